# nodemailer (from the npm registry, installed into this test's
# directory) with its sendmail transport, on Node.js.
NODEMAILER_VERSION=10.6.0
need_cmd node nodejs
need_cmd npm npm
# npm's cache: the user's (where the first run leaves the package, so
# later runs install offline), or MF_NPM_CACHE.
cache=${MF_NPM_CACHE:-}
if [ -z "$cache" ] && [ -n "$orig_home" ] && [ -d "$orig_home" ] && [ -w "$orig_home" ]; then
	cache="$orig_home/.npm"
fi
[ -n "$cache" ] || cache="$W/npm-cache"
mkdir -p node
timeout 180 npm install --prefix "$W/node" --cache "$cache" --prefer-offline \
	--no-audit --no-fund --no-save --no-package-lock --ignore-scripts --no-update-notifier \
	--fetch-retries=1 --fetch-timeout=30000 --loglevel=error \
	"nodemailer@$NODEMAILER_VERSION" >npm.log 2>&1 ||
	skip_caller_always "npm could not install nodemailer@$NODEMAILER_VERSION: $(grep -v '^ *$' npm.log | tail -1)"
[ -f node/node_modules/nodemailer/package.json ] ||
	skip_caller_always "npm did not install nodemailer@$NODEMAILER_VERSION"

begin
timeout 60 node "$CALLERS/nodemailer.js" "$W/node/node_modules" "$OK_SM" >out 2>err
rc=$?
show out; show err
check "sendMail succeeded, got $rc" sh -c "[ $rc -eq 0 ] && grep -q '^sent ' out"
check "one message arrived" wait_ok 1
check "argv: -i -f from to bcc" argv_is -i -f node@example.org to@example.org bcc@example.org
check "stdin a UNIX socket (Node's pipes)" fd_is 0 'socket:*'
check "envelope sender from -f" mail_from_is node@example.org
check "recipients from the command line" rcpts_are to@example.org bcc@example.org
check "CRLF only on the wire (nodemailer wrote LF)" crlf_only "$M/data"
check "the Bcc header nodemailer left in is removed" no_header "$M/message" Bcc
check "nodemailer's encoded Subject kept" header_is "$M/message" 'Subject: =?UTF-8?Q?nodemailer_t=C3=A9st?='
check "nodemailer's Message-ID and Date kept" sh -c "[ \$(grep -c '^Date:' '$M/message') -eq 1 ] && [ \$(grep -c '^Message-ID:' '$M/message') -eq 1 ] && grep -q '^Message-ID: <.*@example.org>.\$' '$M/message'"
check "body intact, the lone dot kept (-i)" body_is "$M/message" 'Hello from nodemailer\r\n.\r\nend\r\n'

begin
timeout 60 node "$CALLERS/nodemailer.js" "$W/node/node_modules" "$FAIL_SM" >out 2>err
rc=$?
show out; show err
check "refused: sendMail's callback gets the exit code" sh -c "[ $rc -eq 1 ] && grep -qx 'failed: Sendmail exited with code 67' out"
check "refused: nothing queued" nothing_queued
caller_done
