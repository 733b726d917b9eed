# Email::Sender (Debian's libemail-sender-perl) with its Sendmail
# transport: sendmail() takes the envelope from the message (From; To and
# Cc, not Bcc) and runs PATH -i -f from -- to... on a pipe. The Bcc header
# stays in the message. Usage: perl email-sender.pl SENDMAIL
use strict;
use warnings;
use Email::Simple;
use Email::Simple::Creator;
use Email::Sender::Simple qw(sendmail);
use Email::Sender::Transport::Sendmail;
use Try::Tiny;

my $email = Email::Simple->create(
	header => [
		From    => 'Perl App <perl@example.org>',
		To      => 'to@example.org',
		Cc      => 'cc@example.org',
		Bcc     => 'bcc@example.org',
		Subject => 'Email::Sender test',
	],
	body => "Hello from Email::Sender\n.\nafter the dot\n",
);
my $transport = Email::Sender::Transport::Sendmail->new({ sendmail => $ARGV[0] });
try {
	sendmail($email, { transport => $transport });
	print "sent\n";
	exit 0;
} catch {
	print 'failed: ', (ref $_ ? $_->message : $_), "\n";
	exit 1;
};
