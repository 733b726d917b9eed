/* cli/options.c: the sendmail command line.
 *
 * sendmail's flags are not getopt-shaped: "-oi" and "-B8BITMIME" are one
 * flag with a glued value, "-f addr" and "-faddr" mean the same, and "-o"
 * takes its option letter glued. This parser walks argv by hand so each
 * form a real caller uses (cron, PHP, mailx, mutt, git send-email) is
 * accepted. Values go nowhere but into the struct; a value holding CR or LF
 * is refused here so it can never reach a header or an SMTP command. */
#include "config.h"

#include "cli/options.h"

#include "util/error.h"

#include <string.h>
#include <sysexits.h>

static const char usage_text[] =
	"usage: mailferry [options] [--] [recipient...]\n"
	"Read a message on standard input and relay it to the configured "
	"smarthost.\n"
	"\n"
	"  -t              add the To, Cc and Bcc addresses as recipients\n"
	"  -i, -oi         a line with a single dot does not end the message\n"
	"  -f ADDR, -r ADDR  envelope sender\n"
	"  -F NAME         full name for a From header that is added\n"
	"  -C FILE         read this configuration file (msmtprc syntax)\n"
	"  -a ACCOUNT      use this account of the configuration\n"
	"  -v              show the SMTP dialogue (secrets redacted)\n"
	"  -N, -R, -V      DSN options (accepted)\n"
	"  -bp             list the queue (as mailq)\n"
	"  -q              deliver queued messages that are due\n"
	"  -qf, --flush    deliver every queued message now\n"
	"      --queue-remove ID, --queue-hold ID, --queue-release ID\n"
	"  -o..., -B..., -e..., -bm  accepted for compatibility, ignored\n"
	"      --version   print the version\n"
	"      --help      print this help\n";

const char *
cli_usage(void)
{
	return usage_text;
}

static bool
has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Take the value of a flag: glued ("-faddr") or the next argument. */
static bool
flag_value(int argc, char **argv, int *i, const char *arg, const char **out,
	   struct mf_error *err)
{
	const char *v;

	if (arg[2] != '\0') {
		v = arg + 2;
	} else if (*i + 1 < argc) {
		*i += 1;
		v = argv[*i];
	} else {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option -%c needs an argument", arg[1]);
		return false;
	}
	if (has_line_break(v)) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option -%c: value contains a line break", arg[1]);
		return false;
	}
	*out = v;
	return true;
}

bool
cli_parse(int argc, char **argv, struct cli_options *opts,
	  struct mf_error *err)
{
	int i;

	memset(opts, 0, sizeof(*opts));
	if (argc > 0 && argv[0] != NULL) {
		const char *base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		if (strcmp(base, "mailq") == 0)
			opts->mode = CLI_MODE_MAILQ;
		else if (strcmp(base, "newaliases") == 0)
			opts->mode = CLI_MODE_NEWALIASES;
	}
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(arg, "--version") == 0) {
			opts->mode = CLI_MODE_VERSION;
			continue;
		}
		if (strcmp(arg, "--help") == 0) {
			opts->mode = CLI_MODE_HELP;
			continue;
		}
		if (strcmp(arg, "--flush") == 0) {
			opts->mode = CLI_MODE_QUEUE_RUN;
			opts->queue_force = true;
			continue;
		}
		if (strcmp(arg, "--queue-remove") == 0)
			opts->mode = CLI_MODE_QUEUE_REMOVE;
		else if (strcmp(arg, "--queue-hold") == 0)
			opts->mode = CLI_MODE_QUEUE_HOLD;
		else if (strcmp(arg, "--queue-release") == 0)
			opts->mode = CLI_MODE_QUEUE_RELEASE;
		if (opts->mode == CLI_MODE_QUEUE_REMOVE ||
		    opts->mode == CLI_MODE_QUEUE_HOLD ||
		    opts->mode == CLI_MODE_QUEUE_RELEASE) {
			if (opts->queue_id != NULL || i + 1 >= argc) {
				err_set(err, EX_USAGE, ERR_PERMANENT,
					"option %s needs one queue ID", arg);
				return false;
			}
			opts->queue_id = argv[++i];
			continue;
		}
		if (arg[1] == '-') {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"unknown option %s", arg);
			return false;
		}
		switch (arg[1]) {
		case 't':
		case 'i':
		case 'v':
			/* Flags without a value may be bundled as getopt
			 * allows: "-ti" (sendmail, Postfix, exim), "-vv". */
			if (strspn(arg + 1, "tiv") != strlen(arg + 1))
				goto unknown;
			for (const char *f = arg + 1; *f; f++) {
				if (*f == 't')
					opts->read_recipients = true;
				else if (*f == 'i')
					opts->ignore_dots = true;
				else
					opts->verbose++;
			}
			break;
		case 'f':
		case 'r':
			if (!flag_value(argc, argv, &i, arg, &opts->from, err))
				return false;
			break;
		case 'F':
			if (!flag_value(argc, argv, &i, arg, &opts->full_name,
					err))
				return false;
			break;
		case 'C':
			if (!flag_value(argc, argv, &i, arg,
					&opts->config_file, err))
				return false;
			break;
		case 'a':
			if (!flag_value(argc, argv, &i, arg, &opts->account,
					err))
				return false;
			break;
		case 'N':
			if (!flag_value(argc, argv, &i, arg,
					&opts->dsn_notify, err))
				return false;
			break;
		case 'R':
			if (!flag_value(argc, argv, &i, arg,
					&opts->dsn_return, err))
				return false;
			break;
		case 'V':
			if (!flag_value(argc, argv, &i, arg, &opts->dsn_envid,
					err))
				return false;
			break;
		case 'o':
			/* -oi is -i; every other -oX (-oem, -odi, -oQ/dir,
			 * -oXvalue) is MTA tuning: accepted, ignored. "-o"
			 * alone takes the next argument as its option. */
			if (strcmp(arg, "-oi") == 0) {
				opts->ignore_dots = true;
			} else if (arg[2] == '\0') {
				const char *ignored;
				if (!flag_value(argc, argv, &i, arg, &ignored,
						err))
					return false;
				if (strcmp(ignored, "i") == 0)
					opts->ignore_dots = true;
			}
			break;
		case 'B': /* -B8BITMIME, -B 7BIT: the body type; ignored */
		case 'e': /* -em, -ep, -eq: error reporting mode; ignored */
		{
			const char *ignored;
			if (!flag_value(argc, argv, &i, arg, &ignored, err))
				return false;
			break;
		}
		case 'q':
			/* -q, -q30m (sendmail's run interval: one run now);
			 * -qf ignores the retry schedule. */
			opts->mode = CLI_MODE_QUEUE_RUN;
			if (strcmp(arg, "-qf") == 0)
				opts->queue_force = true;
			break;
		case 'b':
			/* -bm is "deliver mail", the default mode; -bp lists
			 * the queue, -bi rebuilds aliases. -bs (SMTP on stdin)
			 * comes later. */
			if (strcmp(arg, "-bm") == 0)
				break;
			if (strcmp(arg, "-bp") == 0) {
				opts->mode = CLI_MODE_MAILQ;
				break;
			}
			if (strcmp(arg, "-bi") == 0) {
				opts->mode = CLI_MODE_NEWALIASES;
				break;
			}
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"option %s is not supported by this version",
				arg);
			return false;
		default:
			goto unknown;
		}
	}
	opts->recipients = argv + i;
	opts->recipient_count = (size_t)(argc - i);
	for (; i < argc; i++) {
		if (has_line_break(argv[i])) {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"recipient argument contains a line break");
			return false;
		}
	}
	return true;

unknown:
	err_set(err, EX_USAGE, ERR_PERMANENT, "unknown option %s", argv[i]);
	return false;
}
