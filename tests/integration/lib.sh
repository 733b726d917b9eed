# tests/integration/lib.sh: shared by the integration tests (sourced).
#
# Gives each test a private directory, starts and stops the servers of
# tests/servers/, writes mailferry configs, runs mailferry, and asserts on
# what arrived. Every wait is bounded. Exit 77 means skip (a tool is
# missing), unless MF_REQUIRE_SERVERS=1 (CI), where that is a failure.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${MAILFERRY:=$top_builddir/mailferry}"
: "${PYTHON3:=python3}"
[ -n "$PYTHON3" ] || PYTHON3=python3
export PYTHON="$PYTHON3"
SERVERS="$top_srcdir/tests/servers"
PATH="$PATH:/usr/sbin:/sbin"

test_name=$(basename "$0" .test)
mkdir -p "$top_builddir/tests/tmp"
T=$(mktemp -d "$top_builddir/tests/tmp/$test_name.XXXXXX")
chmod 755 "$T"
# A private home: the per-user queue, dead.letter and configuration of a
# test never touch the real ones.
HOME="$T/home"
export HOME
mkdir -p "$HOME"
unset XDG_STATE_HOME XDG_CONFIG_HOME
passed=0
failed=0
cleanup_cmds=""

at_exit() {
	eval "$cleanup_cmds"
	if [ "$failed" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "(test files kept in $T)"
	fi
}
trap at_exit EXIT
trap 'exit 99' INT TERM

skip() {
	if [ "${MF_REQUIRE_SERVERS:-0}" = 1 ]; then
		echo "ERROR: $* (and MF_REQUIRE_SERVERS=1)"
		exit 99
	fi
	echo "SKIP: $*"
	exit 77
}

# skip_always REASON: a skip that is right in every configuration (not a
# missing tool), so MF_REQUIRE_SERVERS does not turn it into an error.
skip_always() {
	echo "SKIP: $*"
	exit 77
}

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: one assertion.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

finish() {
	echo "$test_name: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

need_tools() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed"
	done
}

# Start the Postfix smarthost; sets the SMARTHOST_* and SINK_DIR variables.
start_smarthost() {
	need_tools postfix dovecot certtool "$PYTHON3"
	if ! "$SERVERS/smarthost" start "$T/smarthost" >"$T/smarthost.log" 2>&1; then
		cat "$T/smarthost.log"
		echo "ERROR: the test smarthost did not start"
		exit 99
	fi
	cleanup_cmds="$cleanup_cmds \"$SERVERS/smarthost\" stop \"$T/smarthost\" >/dev/null 2>&1;"
	. "$T/smarthost/env"
}

# Start smtpd.py directly (the scriptable server): start_smtpd NAME [ARGS]
# sets ${NAME}_PORT and ${NAME}_DIR.
start_smtpd() {
	name=$1
	shift
	need_tools "$PYTHON3"
	dir="$T/$name"
	mkdir -p "$dir/record"
	"$PYTHON3" "$SERVERS/smtpd.py" --listen 127.0.0.1 --port 0 \
		--port-file "$dir/port" --record "$dir/record" "$@" \
		>"$dir/log" 2>&1 &
	pid=$!
	cleanup_cmds="$cleanup_cmds kill $pid 2>/dev/null; wait $pid 2>/dev/null;"
	i=0
	while [ ! -s "$dir/port" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			cat "$dir/log"
			echo "ERROR: smtpd.py did not start"
			exit 99
		fi
		sleep 0.1
	done
	eval "${name}_PORT=\$(cat \"\$dir/port\")"
	eval "${name}_DIR=\$dir/record"
}

# write_config FILE: stdin becomes a mode 0600 config file.
write_config() {
	cat >"$1"
	chmod 600 "$1"
}

# run_mf INPUT_FILE ARGS...: run mailferry; sets rc, and $T/out, $T/err.
run_mf() {
	input=$1
	shift
	"$MAILFERRY" "$@" <"$input" >"$T/out" 2>"$T/err"
	rc=$?
}

# Wait until DIR holds N transactions; false after the timeout.
wait_sink() {
	i=0
	while [ "$(find "$1" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*' | wc -l)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -le "${3:-100}" ] || return 1
		sleep 0.1
	done
	return 0
}

# The Nth (1-based) transaction directory of a recording dir.
txn() { printf '%s/%04d' "$1" "$2"; }

# Number of transactions recorded in DIR.
txn_count() { find "$1" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*' | wc -l; }

# one_line FILE: exactly one line of text.
one_line() { [ "$(wc -l <"$1")" -eq 1 ]; }

# same_bytes FILE EXPECTED-PRINTF-FORMAT: exact comparison.
same_bytes() {
	printf "$2" >"$T/expected"
	if cmp -s "$1" "$T/expected"; then return 0; fi
	echo "--- expected"; od -c "$T/expected" | head -20
	echo "--- got"; od -c "$1" | head -20
	return 1
}

contains() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qiF -- "$2" "$1"; }
