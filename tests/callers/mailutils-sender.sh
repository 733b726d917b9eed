# GNU Mailutils passes -f <login>@<short host name> (and writes that
# address into From). On a host without a mail server that host name is
# no mail domain: a smarthost refuses it as a sender, and a reply to it
# goes nowhere. The aliases keyword already treats a recipient at this
# host as local (mailferry.conf(5)); the sender at this host is the same
# local user and should get the maildomain as a bare name does.
need_cmd mail.mailutils mailutils
case $MF_HOSTNAME in
*.*) skip_caller_always "the host name $MF_HOSTNAME is fully qualified" ;;
esac
printf 'set sendmail=sendmail://%s\n' "$OK_SM" >"$HOME/.mailrc"
me=$(id -un)
begin
printf 'Hello\n' | timeout 60 mail.mailutils -s 'mailutils sender' to@example.org >out 2>err
show out; show err
check "one message arrived" wait_ok 1
check "the call was -f $me@$MF_HOSTNAME" argv_is -oi -f "$me@$MF_HOSTNAME" -t
check "envelope sender: $me@<maildomain>, not $me@$MF_HOSTNAME" mail_from_is "$me@host.example.org"
check "From: $me@<maildomain>" header_is "$M/message" "From: $me@host.example.org"
caller_done
