<?php
// PHP's mail() as a web application calls it: To and Subject as
// arguments, extra headers joined with CRLF (PHP 8), a body with LF line
// ends, and an envelope sender in additional_parameters. PHP runs
// sh -c "<sendmail_path> <additional_parameters>" and writes
// "To: ...\r\nSubject: ...\r\n<headers>\r\n\r\n<body>\r\n".
$headers = "From: Web App <webapp@example.org>\r\n"
	. "Cc: cc@example.org\r\n"
	. "Bcc: hidden@example.org\r\n"
	. "Content-Type: text/plain; charset=UTF-8";
$ok = mail("to@example.org, Second <second@example.org>", "PHP mail() test",
	"Line one\nLine two\n.\nlast line\n", $headers, "-fbounce@example.org");
var_dump($ok);
