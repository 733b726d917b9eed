# MIME::Lite (Debian's libmime-lite-perl): $msg->send('sendmail',
# Sendmail => PATH) runs PATH -t -oi -oem -f<From address> (its default
# BaseArgs and SetSender) on a pipe, with the Bcc header in the message,
# and dies "error closing PATH: ... (exit STATUS)" when sendmail fails.
# Usage: perl mime-lite.pl SENDMAIL
use strict;
use warnings;
use MIME::Lite;

my $msg = MIME::Lite->new(
	From    => 'Reports <reports@example.org>',
	To      => 'to@example.org',
	Bcc     => 'bcc@example.org',
	Subject => 'MIME::Lite test',
	Type    => 'multipart/mixed',
);
$msg->attach(Type => 'TEXT', Data => "Hello from MIME::Lite\n.\nend\n");
$msg->attach(Type => 'text/csv', Filename => 'r.csv', Disposition => 'attachment',
	Data => "a,b\n1,2\n");
my $ok = eval { $msg->send('sendmail', Sendmail => $ARGV[0]) };
if (!$ok) {
	print 'failed: ', ($@ || "send returned false\n");
	exit 1;
}
print "sent\n";
