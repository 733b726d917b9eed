<?php
// Symfony Mailer's SendmailTransport with "-bs" (Laravel's default
// sendmail transport is "/usr/sbin/sendmail -bs -i"), step by step as
// Symfony\Component\Mailer\Transport\Smtp\SmtpTransport drives it over a
// Stream\ProcessStream. Symfony itself needs composer and packagist,
// which the tests cannot reach, so this script speaks its dialogue:
// proc_open(command) with three pipes; stderr read at once, non-blocking
// (anything there: "Process could not be started"); read 220; HELO
// [127.0.0.1] (SmtpTransport, not EsmtpTransport: no EHLO); MAIL FROM,
// RCPT TO per recipient (250/251/252), DATA (354), the message with
// "\r\n." replaced by "\r\n..", then "\r\n.\r\n" (250); after a failure
// RSET, ignoring its answer, and the exception's text; QUIT (221) when
// the transport stops. Usage: php symfony-bs.php "COMMAND".
$p = proc_open($argv[1], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
if (!is_resource($p)) {
	echo "failed: proc_open\n";
	exit(1);
}
stream_set_blocking($pipes[2], false);
if ($err = stream_get_contents($pipes[2])) {
	echo "failed: Process could not be started: $err\n";
	exit(1);
}
[$in, $out] = [$pipes[0], $pipes[1]];
$log = [];

function response($out, array &$log): string
{
	$resp = '';
	while (($line = fgets($out, 515)) !== false) {
		$resp .= $line;
		$log[] = 'S: ' . rtrim($line, "\r\n");
		if (strlen($line) < 4 || $line[3] === ' ')
			break;
	}
	return $resp;
}

function command($in, $out, array &$log, string $c, array $codes): string
{
	fwrite($in, $c);
	fflush($in);
	$log[] = 'C: ' . str_replace(["\r", "\n"], ['\r', '\n'], $c);
	$r = response($out, $log);
	$code = (int)substr($r, 0, 3);
	if (!in_array($code, $codes, true))
		throw new RuntimeException(sprintf('Expected response code "%s" but got code "%s", with message "%s".',
			implode('/', $codes), $code, trim($r)));
	return $r;
}

$message = "From: Shop <shop@example.org>\r\n"
	. "To: customer@example.org\r\n"
	. "Subject: Your order\r\n"
	. "Message-ID: <4f6d1c7e2a8b@example.org>\r\n"
	. "MIME-Version: 1.0\r\n"
	. "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
	. "Content-Type: text/plain; charset=utf-8\r\n"
	. "Content-Transfer-Encoding: quoted-printable\r\n"
	. "\r\n"
	. "Thank you for your order.\r\n"
	. ".hidden dot line\r\n"
	. ".\r\n"
	. "End";
$status = 0;
try {
	$r = response($out, $log);
	if ((int)substr($r, 0, 3) !== 220)
		throw new RuntimeException('Expected response code "220" but got "' . trim($r) . '".');
	command($in, $out, $log, "HELO [127.0.0.1]\r\n", [250]);
	try {
		command($in, $out, $log, "MAIL FROM:<shop@example.org>\r\n", [250]);
		command($in, $out, $log, "RCPT TO:<customer@example.org>\r\n", [250, 251, 252]);
		command($in, $out, $log, "RCPT TO:<archive@example.org>\r\n", [250, 251, 252]);
		command($in, $out, $log, "DATA\r\n", [354]);
		$data = str_replace("\r\n.", "\r\n..", $message);
		fwrite($in, $data);
		$log[] = 'C: <message, ' . strlen($data) . ' bytes>';
		command($in, $out, $log, "\r\n.\r\n", [250]);
		echo "sent\n";
	} catch (RuntimeException $e) {
		try {
			command($in, $out, $log, "RSET\r\n", [250]);
		} catch (RuntimeException $ignored) {
		}
		echo 'failed: ', $e->getMessage(), "\n";
		$status = 1;
	}
	command($in, $out, $log, "QUIT\r\n", [221]);
} catch (RuntimeException $e) {
	echo 'failed: ', $e->getMessage(), "\n";
	$status = 1;
}
fclose($in);
$rest = stream_get_contents($out);
fclose($out);
stream_set_blocking($pipes[2], true);
$err = stream_get_contents($pipes[2]);
fclose($pipes[2]);
$exit = proc_close($p);
echo implode("\n", $log), "\n";
if ($rest !== '')
	echo 'after QUIT: ', $rest, "\n";
echo "exit $exit\n";
if ($err !== '')
	echo 'stderr: ', $err;
exit($status);
