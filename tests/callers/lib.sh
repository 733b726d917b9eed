# tests/callers/lib.sh: helpers for the caller files (sourced by run.sh).
#
# Each caller file runs in its own subshell, in its own directory W, with
# these variables from run.sh:
#   OK_SM, FAIL_SM  recording wrappers named sendmail: they note the argv
#                   and descriptors of each call in CALLS, then exec the
#                   built mailferry with ok.conf (smarthost accepts) or
#                   fail.conf (smarthost answers 550 to every RCPT)
#   OK_DIR, FAIL_DIR  the two smtpd.py recording directories
#   CALLERS         tests/callers in the source tree
#   MF_HOSTNAME     this host's name (uname -n)
# and every helper of tests/integration/lib.sh (check, same_bytes, ...).
# A caller file ends with caller_done.

# skip_caller REASON: the caller's program is not installed. A failure
# when MF_REQUIRE_SERVERS=1 (CI), where every caller must run.
skip_caller() {
	printf '%s\n' "$*" >"$W/skip"
	if [ "${MF_REQUIRE_SERVERS:-0}" = 1 ]; then
		echo "not ok - $* (and MF_REQUIRE_SERVERS=1)"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

# skip_caller_always REASON: a skip that no configuration turns into a
# failure (the npm registry cannot be reached).
skip_caller_always() {
	printf '%s\n' "$*" >"$W/skip"
	echo "SKIP: $*"
	exit 77
}

# need_cmd COMMAND PACKAGE
need_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip_caller "$1 not installed (Debian package $2)"
}

# need_mount_ns: unshare -m works (root, or CAP_SYS_ADMIN).
need_mount_ns() {
	need_cmd unshare util-linux
	unshare -m true 2>/dev/null || skip_caller "no private mount namespace (unshare -m failed)"
}

caller_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# closes DIR: how many SMTP sessions of the server recording in DIR ended.
closes() {
	if [ -f "$1/transcript.log" ]; then grep -c '^S: <close>' "$1/transcript.log"; else echo 0; fi
}

# begin: forget earlier calls; remember how much both servers have seen.
begin() {
	rm -f "$CALLS"/*
	ok0=$(txn_count "$OK_DIR")
	fail0=$(closes "$FAIL_DIR")
	M=
	M2=
}

# wait_ok N: the accepting server recorded N transactions since begin
# (10 s at most); M is the first one's directory, M2 the second's.
wait_ok() {
	if ! wait_sink "$OK_DIR" $((ok0 + $1)); then
		echo "# the smarthost recorded $(($(txn_count "$OK_DIR") - ok0)) transactions, not $1"
		# Empty stand-ins, so that the checks after this one fail quietly.
		M="$W/no-message"
		M2=$M
		mkdir -p "$M"
		: >"$M/mail"; : >"$M/rcpt"; : >"$M/data"; : >"$M/message"
		return 1
	fi
	M=$(txn "$OK_DIR" $((ok0 + 1)))
	[ "$1" -lt 2 ] || M2=$(txn "$OK_DIR" $((ok0 + 2)))
	return 0
}

# wait_fail N: N sessions with the refusing server ended since begin.
wait_fail() {
	i=0
	while [ "$(closes "$FAIL_DIR")" -lt $((fail0 + $1)) ]; do
		i=$((i + 1))
		[ $i -le 100 ] || return 1
		sleep 0.1
	done
	return 0
}

# calls_were N: the wrapper ran N times since begin.
calls_were() {
	n=$(find "$CALLS" -name '*.argv' | wc -l)
	[ "$n" -eq "$1" ] && return 0
	echo "# the wrapper ran $n times, not $1"
	return 1
}

# The argv and descriptor records of the (first) call; /dev/null when
# there was none.
call_argv() { f=$(find "$CALLS" -name '*.argv' | sort | head -1); echo "${f:-/dev/null}"; }
call_fds() { f=$(find "$CALLS" -name '*.fds' | sort | head -1); echo "${f:-/dev/null}"; }

# argv_is ARG...: the caller ran sendmail with exactly these arguments.
argv_is() {
	f=$(call_argv)
	printf '%s\n' "$@" >"$W/argv.expected"
	cmp -s "$f" "$W/argv.expected" && return 0
	echo "# expected argv:"; sed 's/^/#   /' "$W/argv.expected"
	echo "# got:"; sed 's/^/#   /' "$f"
	return 1
}

# fd_is N PATTERN: descriptor N of the call leads to PATTERN (a shell
# pattern over readlink /proc/PID/fd/N: pipe:*, socket:*, /dev/null,
# closed, a file name).
fd_is() {
	got=$(sed -n "s/^fd$1 //p" "$(call_fds)")
	# shellcheck disable=SC2254
	case $got in
	$2) return 0 ;;
	esac
	echo "# descriptor $1 leads to '$got', not $2"
	return 1
}

# mail_from_is ADDR: the envelope sender (MAIL FROM without parameters).
mail_from_is() {
	got=$(sed -n 's/^MAIL FROM:<\([^>]*\)>.*/\1/p' "$M/mail")
	[ "$got" = "$1" ] && return 0
	echo "# MAIL FROM:<$got>, expected <$1>"
	return 1
}

# mail_param PARAM: the MAIL command carries this parameter (BODY=8BITMIME).
mail_param() {
	tr ' ' '\n' <"$M/mail" | grep -qixF -- "$1" && return 0
	echo "# $(cat "$M/mail")"
	return 1
}

# rcpt_param PARAM: every RCPT command carries this parameter.
rcpt_param() {
	n=$(wc -l <"$M/rcpt")
	k=$(tr ' ' '\n' <"$M/rcpt" | grep -cixF -- "$1")
	[ "$n" -gt 0 ] && [ "$k" -eq "$n" ] && return 0
	sed 's/^/# /' "$M/rcpt"
	return 1
}

# rcpts_are ADDR...: the envelope recipients, as a set.
rcpts_are() {
	sed -n 's/^RCPT TO:<\([^>]*\)>.*/\1/p' "$M/rcpt" | sort >"$W/rcpt.got"
	printf '%s\n' "$@" | sort >"$W/rcpt.expected"
	cmp -s "$W/rcpt.got" "$W/rcpt.expected" && return 0
	echo "# recipients: $(tr '\n' ' ' <"$W/rcpt.got")expected: $(tr '\n' ' ' <"$W/rcpt.expected")"
	return 1
}

# crlf_only FILE: every line ends in CRLF, no bare CR or LF anywhere, and
# the file ends with a line break.
crlf_only() {
	"$PYTHON3" - "$1" <<'PY'
import re, sys
data = open(sys.argv[1], 'rb').read()
bad = [m.start() for m in re.finditer(rb'\r(?!\n)|(?<!\r)\n', data)]
if bad or not data.endswith(b'\r\n'):
    print('# bare CR or LF at offsets %s%s' % (bad[:5], '' if data.endswith(b'\r\n') else ', no final CRLF'))
    sys.exit(1)
PY
}

# header_is FILE LINE: the header block holds this exact field line
# (without its CRLF).
header_is() {
	awk '/^\r?$/ { exit } { sub(/\r$/, ""); print }' "$1" | grep -qxF -- "$2" && return 0
	echo "# no header line '$2'; the header:"
	awk '/^\r?$/ { exit } { print "#   " $0 }' "$1"
	return 1
}

# no_header FILE NAME: no field of this name in the header block.
no_header() {
	awk '/^\r?$/ { exit } { print }' "$1" | grep -qi "^$2:" || return 0
	echo "# the header still has $2:"
	return 1
}

# header_count FILE NAME N: the header block has N fields of this name.
header_count() {
	n=$(awk '/^\r?$/ { exit } { print }' "$1" | grep -ci "^$2:")
	[ "$n" -eq "$3" ] && return 0
	echo "# $n $2 fields, expected $3"
	return 1
}

# body_is FILE FORMAT: the body (after the first empty line) is exactly
# printf FORMAT.
body_is() {
	awk 'body { print } /^\r?$/ { body = 1 }' "$1" >"$W/body.got"
	printf "$2" >"$W/body.expected"
	cmp -s "$W/body.got" "$W/body.expected" && return 0
	echo "# body expected:"; od -c "$W/body.expected" | head -12 | sed 's/^/#   /'
	echo "# got:"; od -c "$W/body.got" | head -12 | sed 's/^/#   /'
	return 1
}

# body_has FILE LINE: the body holds this exact line (without its CRLF).
body_has() {
	awk 'body { sub(/\r$/, ""); print } /^\r?$/ { body = 1 }' "$1" | grep -qxF -- "$2" && return 0
	echo "# no body line '$2'"
	return 1
}

# has FILE TEXT: FILE contains TEXT (stdout or stderr of a caller).
has() {
	grep -qF -- "$2" "$1" && return 0
	echo "# '$2' not in $1:"
	sed 's/^/#   /' "$1" | head -10
	return 1
}

# nothing_queued: the failure left nothing in either queue.
nothing_queued() {
	n=$(find "$T/queue-ok" "$T/queue-fail" -type f 2>/dev/null | wc -l)
	[ "$n" -eq 0 ] && return 0
	echo "# $n files in the queues"
	return 1
}

# show FILE: copy a caller's output into the log (for a failure report).
show() {
	[ -s "$1" ] || return 0
	echo "# $(basename "$1"):"
	sed 's/^/#   /' "$1" | head -20
}
