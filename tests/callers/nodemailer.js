// nodemailer's sendmail transport (sendmail: true, path: SENDMAIL): it
// spawns PATH -i -f <from> <to...> (Bcc addresses on the command line)
// with stdio pipes, which Node makes UNIX socket pairs, and writes the
// message with its Bcc header kept (keepBcc). Usage:
// node nodemailer.js NODE_MODULES_DIR SENDMAIL
const nodemailer = require(process.argv[2] + '/nodemailer');
const transport = nodemailer.createTransport({
	sendmail: true,
	newline: 'unix',
	path: process.argv[3],
});
transport.sendMail({
	from: '"Node App" <node@example.org>',
	to: 'to@example.org',
	bcc: 'bcc@example.org',
	subject: 'nodemailer t\u00e9st',
	text: 'Hello from nodemailer\n.\nend\n',
}, (err, info) => {
	if (err) {
		console.log('failed: ' + err.message);
		process.exit(1);
	}
	console.log('sent ' + JSON.stringify(info.envelope));
	process.exit(0);
});
