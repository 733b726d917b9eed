<?php
// PHPMailer (Debian's libphp-phpmailer) in sendmail mode: isSendmail()
// takes ini sendmail_path when it contains "sendmail" and runs
// "<path> -oi -f<Sender> -t" through popen; To, Cc and Bcc are headers.
require '/usr/share/php/libphp-phpmailer/autoload.php';
use PHPMailer\PHPMailer\PHPMailer;
$m = new PHPMailer(false);
$m->isSendmail();
$m->CharSet = 'UTF-8';
$m->setFrom('shop@example.org', 'Shop Ünïcode');
$m->addAddress('to@example.org', 'To Person');
$m->addCC('cc@example.org');
$m->addBCC('bcc@example.org');
$m->Subject = 'PHPMailer tést';
$m->Body = "Hello from PHPMailer\n.\nend\n";
$ok = $m->send();
var_dump($ok);
if (!$ok)
	echo 'ErrorInfo: ', $m->ErrorInfo, "\n";
