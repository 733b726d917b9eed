"""Run fail2ban's sendmail ban action as fail2ban 1.0.2 (bookworm) does.

The action is action.d/sendmail.conf's actionban, with the [Init] values
of sendmail-common.conf and the mailcmd override a jail.local gives
(mailcmd = SENDMAIL -f "<sender>" "<dest>"). fail2ban reads the multi-line
value with configparser (continuation lines joined by newlines, their
indentation stripped), replaces the <tags> and %% with %, and runs the
result with Popen(shell=True), stdout and stderr on pipes, in a new
session (Utils.executeCmd). On failure it logs the command's stderr and
"-- returned N". <fq-hostname> is socket.getfqdn() in fail2ban; here it
is the host name given, so that no resolver is asked.
Usage: fail2ban-action.py SENDMAIL HOSTNAME
"""
import os
import subprocess
import sys

# action.d/sendmail.conf, [Definition] actionban, as configparser gives it.
ACTIONBAN = "\n".join([
    'printf %%b "Subject: [Fail2Ban] <name>: banned <ip> from <fq-hostname>',
    'Date: `LC_ALL=C date +"%%a, %%d %%h %%Y %%T %%z"`',
    'From: <sendername> <<sender>>',
    'To: <dest>\\n',
    'Hi,\\n',
    'The IP <ip> has just been banned by Fail2Ban after',
    '<failures> attempts against <name>.\\n',
    'Regards,\\n',
    'Fail2Ban" | <mailcmd>',
])

tags = {
    'mailcmd': sys.argv[1] + ' -f "<sender>" "<dest>"',
    'name': 'sshd',
    'ip': '192.0.2.7',
    'failures': '5',
    'fq-hostname': sys.argv[2],
    'sender': 'fail2ban@example.org',   # jail.local: sender =
    'sendername': 'Fail2Ban',
    'dest': 'root@localhost',           # jail.conf: destemail = root@localhost
}
cmd = ACTIONBAN
for _ in range(3):                      # tags inside tags (mailcmd)
    for k, v in tags.items():
        cmd = cmd.replace('<%s>' % k, v)
cmd = cmd.replace('%%', '%')

p = subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, preexec_fn=os.setsid)
out, err = p.communicate(timeout=60)
if p.returncode:
    for line in err.decode(errors='replace').splitlines():
        print("ERROR   %x -- stderr: %r" % (id(p), line))
    print("ERROR   %x -- returned %d" % (id(p), p.returncode))
sys.exit(p.returncode)
