# s-nail (14.9): -Smta=PATH. With -r "Name <addr>" it runs
# mta -i -F Name -f addr -- recipients... (the Bcc addresses on the
# command line, no Bcc header) on a temporary file.
need_cmd s-nail s-nail
printf 'Hello from s-nail\n.\nend\n' >body
begin
timeout 60 s-nail -n -SDEAD="$W/dead.letter" -Smta="$OK_SM" -s 's-nail test' \
	-r 'Ann Example <ann@example.org>' -c cc@example.org -b bcc@example.org to@example.org <body >out 2>err
rc=$?
show out; show err
check "exit 0, got $rc" [ "$rc" -eq 0 ]
check "one message arrived" wait_ok 1
check "argv: -i -F name -f addr -- to cc bcc" argv_is -i -F 'Ann Example' -f ann@example.org -- to@example.org cc@example.org bcc@example.org
check "stdin a temporary file" fd_is 0 '/*'
check "envelope sender from -f" mail_from_is ann@example.org
check "recipients from the command line" rcpts_are to@example.org cc@example.org bcc@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "no Bcc header" no_header "$M/message" Bcc
check "From kept (written by s-nail)" header_is "$M/message" 'From: Ann Example <ann@example.org>'
check "body intact, the lone dot kept (-i)" body_is "$M/message" 'Hello from s-nail\r\n.\r\nend\r\n'

begin
timeout 60 s-nail -n -SDEAD="$W/dead.letter" -Smta="$FAIL_SM" -s 's-nail test' to@example.org <body >out 2>err
rc=$?
show out; show err
check "refused: s-nail exits non-zero, got $rc" [ "$rc" -ne 0 ]
check "refused: s-nail reports it" has err 'message not sent'
check "refused: mailferry's reason on stderr" has err '550 5.1.1 no such user here'
check "refused: s-nail keeps the message in DEAD" has "$W/dead.letter" 'Hello from s-nail'
check "refused: nothing queued" nothing_queued
caller_done
