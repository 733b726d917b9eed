/* tests/unit/cli_test.c: cli/ — sendmail command lines as real callers
 * write them (cron, anacron, mutt, PHP, git send-email) into the options
 * struct, and the EX_USAGE errors with their exact messages. */
#include "config.h"

#include "check.h"

#include "cli/options.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define MAX_ARGS 16

static const struct cli_case {
	const char *argv0;          /* NULL: "sendmail" */
	const char *argv[MAX_ARGS]; /* after argv[0]; NULL-terminated */
	const char *error;          /* NULL: success; else the message */
	enum cli_mode mode;
	bool read_recipients;
	bool ignore_dots;
	int verbose;
	const char *from;
	const char *full_name;
	const char *config_file;
	const char *account;
	const char *dsn_notify;
	const char *dsn_return;
	const char *dsn_envid;
	const char *recipients[4]; /* NULL-terminated */
} cli_cases[] = {
	/* nothing at all */
	{ .argv = { NULL } },
	/* PHP's default sendmail_path */
	{ .argv = { "-t", "-i" }, .read_recipients = true,
	  .ignore_dots = true },
	{ .argv = { "-oi", "a@b" }, .ignore_dots = true,
	  .recipients = { "a@b" } },
	{ .argv = { "-i", "-t" }, .read_recipients = true,
	  .ignore_dots = true },
	/* getopt-style bundles of the plain flags (sendmail, Postfix and
	 * exim's "-ti") */
	{ .argv = { "-ti" }, .read_recipients = true, .ignore_dots = true },
	{ .argv = { "-it", "x@y" }, .read_recipients = true,
	  .ignore_dots = true, .recipients = { "x@y" } },
	{ .argv = { "-tiv" }, .read_recipients = true, .ignore_dots = true,
	  .verbose = 1 },
	/* envelope sender: separate, glued, -r */
	{ .argv = { "-f", "a@b", "x@y" }, .from = "a@b",
	  .recipients = { "x@y" } },
	{ .argv = { "-fa@b" }, .from = "a@b" },
	{ .argv = { "-r", "a@b" }, .from = "a@b" },
	{ .argv = { "-ra@b" }, .from = "a@b" },
	{ .argv = { "-f", "<>" }, .from = "<>" },
	/* the last -f wins */
	{ .argv = { "-f", "a@b", "-r", "c@d" }, .from = "c@d" },
	/* full name */
	{ .argv = { "-F", "Cron Daemon" }, .full_name = "Cron Daemon" },
	/* Debian cron */
	{ .argv = { "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root" },
	  .full_name = "CronDaemon", .ignore_dots = true,
	  .recipients = { "root" } },
	/* anacron */
	{ .argv = { "-FAnacron", "-odi", "a,b" }, .full_name = "Anacron",
	  .recipients = { "a,b" } },
	/* mutt */
	{ .argv = { "-oem", "-oi", "-B8BITMIME", "-N", "success", "-R",
		    "hdrs", "--", "a@b", "c@d" },
	  .ignore_dots = true, .dsn_notify = "success", .dsn_return = "hdrs",
	  .recipients = { "a@b", "c@d" } },
	{ .argv = { "-Nfailure,delay", "-Rfull", "-V", "envid-1" },
	  .dsn_notify = "failure,delay", .dsn_return = "full",
	  .dsn_envid = "envid-1" },
	/* configuration and account */
	{ .argv = { "-C", "file" }, .config_file = "file" },
	{ .argv = { "-C/etc/x.conf" }, .config_file = "/etc/x.conf" },
	{ .argv = { "-a", "acct" }, .account = "acct" },
	{ .argv = { "-awork", "-C", "f", "x@y" }, .account = "work",
	  .config_file = "f", .recipients = { "x@y" } },
	/* verbosity counts */
	{ .argv = { "-v" }, .verbose = 1 },
	{ .argv = { "-vv" }, .verbose = 2 },
	{ .argv = { "-v", "-vv" }, .verbose = 3 },
	/* modes */
	{ .argv = { "--version" }, .mode = CLI_MODE_VERSION },
	{ .argv = { "--help" }, .mode = CLI_MODE_HELP },
	/* "--" ends the options: "-x" is a recipient */
	{ .argv = { "--", "-x" }, .recipients = { "-x" } },
	{ .argv = { "-t", "--", "--help", "-f" }, .read_recipients = true,
	  .recipients = { "--help", "-f" } },
	/* the first operand ends the options (as Postfix: no permuting) */
	{ .argv = { "-t", "a@b", "-i" }, .read_recipients = true,
	  .recipients = { "a@b", "-i" } },
	/* "-" alone is an operand */
	{ .argv = { "-", "a@b" }, .recipients = { "-", "a@b" } },
	/* MTA flags accepted and ignored */
	{ .argv = { "-bm", "a" }, .recipients = { "a" } },
	{ .argv = { "-odb", "x" }, .recipients = { "x" } },
	{ .argv = { "-odq", "-oQ/var/spool", "-oXfoo", "-em", "-ep" } },
	{ .argv = { "-B", "7BIT", "a@b" }, .recipients = { "a@b" } },
	{ .argv = { "-e", "q", "a@b" }, .recipients = { "a@b" } },
	/* the mode from the program name and from -bp, -bi, -q */
	{ .argv0 = "/usr/bin/mailq", .argv = { NULL }, .mode = CLI_MODE_MAILQ },
	{ .argv0 = "mailq", .argv = { "-v" }, .mode = CLI_MODE_MAILQ,
	  .verbose = 1 },
	{ .argv0 = "/usr/bin/newaliases", .argv = { NULL },
	  .mode = CLI_MODE_NEWALIASES },
	{ .argv0 = "/usr/sbin/sendmail", .argv = { "-t" },
	  .read_recipients = true },
	{ .argv = { "-bp" }, .mode = CLI_MODE_MAILQ },
	{ .argv = { "-bi" }, .mode = CLI_MODE_NEWALIASES },
	{ .argv = { "-q" }, .mode = CLI_MODE_QUEUE_RUN },
	{ .argv = { "-q30m" }, .mode = CLI_MODE_QUEUE_RUN },
	/* "-o" with a separate argument */
	{ .argv = { "-o", "i" }, .ignore_dots = true },
	{ .argv = { "-o", "em", "a@b" }, .recipients = { "a@b" } },

	/* errors, exit code EX_USAGE */
	{ .argv = { "-x" }, .error = "unknown option -x" },
	{ .argv = { "-t", "-x", "a@b" }, .error = "unknown option -x" },
	/* other long options are configuration keywords, checked by main */
	{ .argv = { "--=x" }, .error = "unknown option --=x" },
	{ .argv = { "-tx" }, .error = "unknown option -tx" },
	{ .argv = { "-vx" }, .error = "unknown option -vx" },
	{ .argv = { "-ix" }, .error = "unknown option -ix" },
	{ .argv = { "-f" }, .error = "option -f needs an argument" },
	{ .argv = { "-t", "-r" }, .error = "option -r needs an argument" },
	{ .argv = { "-F" }, .error = "option -F needs an argument" },
	{ .argv = { "-C" }, .error = "option -C needs an argument" },
	{ .argv = { "-a" }, .error = "option -a needs an argument" },
	{ .argv = { "-N" }, .error = "option -N needs an argument" },
	{ .argv = { "-o" }, .error = "option -o needs an argument" },
	{ .argv = { "-B" }, .error = "option -B needs an argument" },
	{ .argv = { "-f", "a@b\nRCPT TO:<x@y>" },
	  .error = "option -f: value contains a line break" },
	{ .argv = { "-fa@b\r" },
	  .error = "option -f: value contains a line break" },
	{ .argv = { "-F", "Evil\nBcc: x@y" },
	  .error = "option -F: value contains a line break" },
	{ .argv = { "-a", "x\r\n" },
	  .error = "option -a: value contains a line break" },
	{ .argv = { "-N", "success\r\nRSET" },
	  .error = "option -N: value contains a line break" },
	{ .argv = { "a@b\n" },
	  .error = "recipient argument contains a line break" },
	{ .argv = { "--", "a@b", "c@d\rRSET" },
	  .error = "recipient argument contains a line break" },
	{ .argv = { "-bs" }, .mode = CLI_MODE_SMTP },
	{ .argv = { "-bv", "a@b" }, .mode = CLI_MODE_VERIFY,
	  .recipients = { "a@b" } },
	{ .argv = { "-bm", "-bp" }, .mode = CLI_MODE_MAILQ },
	{ .argv = { "-bp", "-bm" }, .mode = CLI_MODE_SEND },
	{ .argv = { "-b" }, .error = "option -b is not supported" },
	{ .argv = { "-bt" }, .error = "option -bt is not supported" },
	{ .argv = { "-bd" }, .error = "option -bd: mailferry is not a daemon "
				      "(it relays each message to the "
				      "smarthost when it is submitted)" },
	{ .argv = { "-bD" }, .error = "option -bD: mailferry is not a daemon "
				      "(it relays each message to the "
				      "smarthost when it is submitted)" },
	{ .argv = { "-bl" }, .error = "option -bl: mailferry is not a daemon "
				      "(it relays each message to the "
				      "smarthost when it is submitted)" },
	/* sendmail's debug flag prints the version; msmtp's -d is -v */
	{ .argv = { "-d0.1" }, .mode = CLI_MODE_VERSION },
	{ .argv = { "-d" }, .verbose = 1 },
	{ .argv = { "-dx" }, .error = "unknown option -dx" },
	{ .argv = { "-P" }, .mode = CLI_MODE_PRETEND },
	{ .argv = { "--pretend" }, .mode = CLI_MODE_PRETEND },
	{ .argv = { "--pretend=x" },
	  .error = "option --pretend takes no argument" },
	/* ignored MTA flags, with and without values */
	{ .argv = { "-G", "-U", "-m", "-n", "-L", "tag", "-h", "5", "-O",
		    "a=b", "-Am", "x@y" }, .recipients = { "x@y" } },
	{ .argv = { "-odi", "-odb", "-oem", "-oQ/tmp", "-o", "ep", "x@y" },
	  .recipients = { "x@y" } },
	/* PHPMailer passes -t twice */
	{ .argv = { "-t", "-i", "-oi", "-fa@b", "-t" }, .from = "a@b",
	  .read_recipients = true, .ignore_dots = true },
	/* long options that are not keywords */
	{ .argv = { "--from=a@b", "--account", "acc", "--file=/x",
		    "--read-recipients", "--debug", "--", "-y@z" },
	  .from = "a@b", .account = "acc", .config_file = "/x",
	  .read_recipients = true, .verbose = 1, .recipients = { "-y@z" } },
	{ .argv = { "--from" }, .error = "option --from needs an argument" },
	{ .argv = { "--from=a\nb" },
	  .error = "option --from: value contains a line break" },
	/* msmtp's server information mode */
	{ .argv = { "-S" }, .mode = CLI_MODE_SERVERINFO },
	{ .argv = { "--serverinfo" }, .mode = CLI_MODE_SERVERINFO },
	{ .argv = { "-a", "acc", "-S", "-v" }, .mode = CLI_MODE_SERVERINFO,
	  .account = "acc", .verbose = 1 },
	{ .argv = { "--serverinfo=x" },
	  .error = "option --serverinfo takes no argument" },
	{ .argv = { "-Sx" }, .error = "unknown option -Sx" },
	{ .argv = { "--" }, },
	{ .argv = { "-qIabc" }, .mode = CLI_MODE_QUEUE_RUN },
	{ .argv = { "-qR" }, .error = "option -qR needs an argument" },
};

static void
check_opt(const char *got, const char *want, const char *what)
{
	if (want == NULL) {
		CHECK(got == NULL);
		if (got != NULL)
			fprintf(stderr, "  %s: got \"%s\", want NULL\n", what,
				got);
	} else {
		CHECK_STR(got, want);
	}
}

static void
test_cli_table(void)
{
	for (size_t i = 0; i < sizeof(cli_cases) / sizeof(cli_cases[0]); i++) {
		const struct cli_case *c = &cli_cases[i];
		int before = check_failures;
		char *argv[MAX_ARGS + 2];
		struct cli_options opts;
		struct mf_error err;
		int argc = 0;
		size_t nrcpt = 0;
		bool ok;

		/* writable copies, as the real argv is */
		argv[argc++] = strdup(c->argv0 ? c->argv0 : "sendmail");
		while (c->argv[argc - 1]) {
			argv[argc] = strdup(c->argv[argc - 1]);
			argc++;
		}
		argv[argc] = NULL;
		err_clear(&err);
		ok = cli_parse(argc, argv, &opts, &err);
		CHECK(ok == (c->error == NULL));
		if (!ok) {
			CHECK(err.exit_code == EX_USAGE);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK_STR(err.msg, c->error ? c->error : "");
		} else {
			CHECK(!err_isset(&err));
			CHECK(opts.mode == c->mode);
			CHECK(opts.read_recipients == c->read_recipients);
			CHECK(opts.ignore_dots == c->ignore_dots);
			CHECK(opts.verbose == c->verbose);
			check_opt(opts.from, c->from, "from");
			check_opt(opts.full_name, c->full_name, "full_name");
			check_opt(opts.config_file, c->config_file,
				  "config_file");
			check_opt(opts.account, c->account, "account");
			check_opt(opts.dsn_notify, c->dsn_notify,
				  "dsn_notify");
			check_opt(opts.dsn_return, c->dsn_return,
				  "dsn_return");
			check_opt(opts.dsn_envid, c->dsn_envid, "dsn_envid");
			while (c->recipients[nrcpt])
				nrcpt++;
			CHECK(opts.recipient_count == nrcpt);
			for (size_t k = 0;
			     k < nrcpt && k < opts.recipient_count; k++)
				CHECK_STR(opts.recipients[k],
					  c->recipients[k]);
			/* values are borrowed from argv, not copied */
			if (opts.recipient_count > 0)
				CHECK(opts.recipients ==
				      argv + argc - opts.recipient_count);
		}
		for (int k = 0; k < argc; k++)
			free(argv[k]);
		if (check_failures != before) {
			fprintf(stderr, "  ^ in cli case %zu:", i);
			for (size_t k = 0; c->argv[k]; k++)
				fprintf(stderr, " %s", c->argv[k]);
			fprintf(stderr, "\n");
		}
	}
}

/* Writable copies of words (as a real argv is), freed by free_argv. */
static char **
make_argv(const char *const *words, int *argc)
{
	static char *v[32];

	for (*argc = 0; words[*argc]; (*argc)++)
		v[*argc] = strdup(words[*argc]);
	v[*argc] = NULL;
	return v;
}

static void
free_argv(char **v, int argc)
{
	for (int i = 0; i < argc; i++)
		free(v[i]);
}

/* Configuration keywords as long options, -X, -odq and the queue
 * selections: they land in the struct in order. */
static void
test_cli_settings(void)
{
	static const char *const words[] = {
		"sendmail", "--tls-trust-file=/ca.pem", "--auth", "-X",
		"/tmp/log", "--port=2525", "-odq", "-qR", "example.org",
		"-qSroot", "-qI", "ID1", "x@y", NULL,
	};
	static const char *const bad[] = { "sendmail", "--x-y=a\nb", NULL };
	static const char *const host[] = { "sendmail", "--host=mx.example",
					    "--port=587", NULL };
	static const char *const nohost[] = { "sendmail", "--host=", NULL };
	/* msmtp's documented way to learn a certificate to pin */
	static const char *const pin[] = { "sendmail", "--serverinfo",
					   "--tls", "--tls-certcheck=off",
					   NULL };
	struct cli_options opts;
	struct mf_error err;
	int argc;
	char **argv = make_argv(words, &argc);

	err_clear(&err);
	CHECK(cli_parse(argc, argv, &opts, &err));
	CHECK(opts.setting_count == 4);
	CHECK_STR(opts.settings[0].keyword, "tls_trust_file");
	CHECK_STR(opts.settings[0].value, "/ca.pem");
	CHECK_STR(opts.settings[1].keyword, "auth");
	CHECK_STR(opts.settings[1].value, "");
	CHECK_STR(opts.settings[2].keyword, "logfile");
	CHECK_STR(opts.settings[2].value, "/tmp/log");
	CHECK_STR(opts.settings[3].keyword, "port");
	CHECK_STR(opts.settings[3].value, "2525");
	CHECK(opts.queue_only);
	CHECK(opts.mode == CLI_MODE_QUEUE_RUN);
	CHECK(opts.queue_force);
	CHECK_STR(opts.queue_rcpt, "example.org");
	CHECK_STR(opts.queue_sender, "root");
	CHECK_STR(opts.queue_id, "ID1");
	CHECK(opts.recipient_count == 1);
	free_argv(argv, argc);

	argv = make_argv(bad, &argc);
	CHECK(!cli_parse(argc, argv, &opts, &err));
	CHECK_STR(err.msg, "option --x-y: value contains a line break");
	free_argv(argv, argc);
	argv = make_argv(host, &argc);
	CHECK(cli_parse(argc, argv, &opts, &err));
	CHECK_STR(opts.host, "mx.example");
	free_argv(argv, argc);
	argv = make_argv(nohost, &argc);
	CHECK(!cli_parse(argc, argv, &opts, &err));
	CHECK_STR(err.msg, "option --host needs a host name");
	free_argv(argv, argc);
	argv = make_argv(pin, &argc);
	CHECK(cli_parse(argc, argv, &opts, &err));
	CHECK(opts.mode == CLI_MODE_SERVERINFO);
	CHECK(opts.setting_count == 2);
	CHECK_STR(opts.settings[0].keyword, "tls");
	CHECK_STR(opts.settings[0].value, "");
	CHECK_STR(opts.settings[1].keyword, "tls_certcheck");
	CHECK_STR(opts.settings[1].value, "off");
	free_argv(argv, argc);
}

static void
test_cli_misc(void)
{
	struct cli_options opts;
	struct mf_error err;
	char prog[] = "sendmail";
	char *argv[] = { prog, NULL };

	/* a fresh parse resets every field */
	memset(&opts, 0xff, sizeof(opts));
	CHECK(cli_parse(1, argv, &opts, &err));
	CHECK(opts.mode == CLI_MODE_SEND && !opts.read_recipients &&
	      !opts.ignore_dots && opts.verbose == 0 && opts.from == NULL &&
	      opts.full_name == NULL && opts.config_file == NULL &&
	      opts.account == NULL && opts.recipient_count == 0);

	/* the usage text names every flag it documents */
	CHECK(strncmp(cli_usage(), "usage: mailferry ", 17) == 0);
	CHECK(strstr(cli_usage(), "-t ") != NULL);
	CHECK(strstr(cli_usage(), "--version") != NULL);
	CHECK(cli_usage()[strlen(cli_usage()) - 1] == '\n');
}

int
main(void)
{
	test_cli_table();
	test_cli_misc();
	test_cli_settings();
	return check_done("cli_test");
}
