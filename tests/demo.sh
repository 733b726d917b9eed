#!/bin/sh
# make demo: the embedded default.  Starts the test smarthost (Postfix +
# Dovecot SASL + recording sink, loopback only), sends a sample message
# (Korean UTF-8 subject, To + Cc + Bcc) through the built mailferry with
# -t over STARTTLS + AUTH, shows the -v transcript (AUTH payload redacted),
# then the message as it arrived with its envelope, and stops the servers.
set -u
MAILFERRY=${1:?usage: demo.sh PATH-TO-MAILFERRY}
here=$(cd "$(dirname "$0")" && pwd)
PATH="$PATH:/usr/sbin:/sbin"
state=$(mktemp -d /tmp/mailferry-demo.XXXXXX)
chmod 755 "$state"
cleanup() { "$here/servers/smarthost" stop "$state/smarthost" >/dev/null 2>&1; rm -rf "$state"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "== starting the test smarthost (Postfix + Dovecot SASL on loopback)"
if ! "$here/servers/smarthost" start "$state/smarthost" >"$state/start.log" 2>&1; then
	cat "$state/start.log"
	echo "demo: the test smarthost did not start" >&2
	exit 1
fi
. "$state/smarthost/env"

cat >"$state/mailferry.conf" <<CONF
# msmtp syntax: STARTTLS on the submission port, verified against the test CA
account demo
host localhost
port $SMARTHOST_SUBMISSION_PORT
tls on
tls_starttls on
tls_trust_file $SMARTHOST_CA
auth on
user $SMARTHOST_USER
password $SMARTHOST_PASSWORD

account default : demo
CONF
chmod 600 "$state/mailferry.conf"

echo
echo "== the message a program writes to sendmail"
cat "$here/demo-message.eml"
echo
echo "== mailferry -C mailferry.conf -v -t -i  (SMTP transcript, secrets redacted)"
"$MAILFERRY" -C "$state/mailferry.conf" -v -t -i <"$here/demo-message.eml"
rc=$?
echo "== mailferry exit status: $rc"
[ "$rc" -eq 0 ] || exit "$rc"

i=0
while [ ! -d "$SINK_DIR/0001" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "demo: Postfix did not relay the message to the sink in 10 s" >&2
		exit 1
	fi
	sleep 0.1
done
echo
echo "== envelope as it reached the recording sink (relayed by Postfix)"
cat "$SINK_DIR/0001/mail"; echo
sed 's/ ORCPT=.*//' "$SINK_DIR/0001/rcpt"
echo
echo "== message as it arrived (CR shown as nothing; note: no Bcc header)"
tr -d '\r' <"$SINK_DIR/0001/message"
echo
if grep -qi '^Bcc:' "$SINK_DIR/0001/message"; then
	echo "demo: FAILED: a Bcc header arrived" >&2
	exit 1
fi
for r in alice@example.org bob@example.net carol@example.com; do
	grep -q "<$r>" "$SINK_DIR/0001/rcpt" || { echo "demo: FAILED: $r missing" >&2; exit 1; }
done
echo "== demo: To, Cc and Bcc recipients all received it; the Bcc header is gone"
