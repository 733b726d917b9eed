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
	{ .argv = { "--frobnicate" }, .error = "unknown option --frobnicate" },
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
	{ .argv = { "-bs" }, .error = "option -bs is not supported by this "
				      "version" },
	{ .argv = { "-bv", "a@b" }, .error = "option -bv is not supported by "
					     "this version" },
	{ .argv = { "-b" }, .error = "option -b is not supported by this "
				     "version" },
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
	return check_done("cli_test");
}
