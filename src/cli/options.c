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
	"  -f ADDR, -r ADDR  envelope sender (also --from=ADDR)\n"
	"  -F NAME         full name for a From header that is added\n"
	"  -C FILE         read this configuration file (msmtprc syntax)\n"
	"  -a ACCOUNT      use this account of the configuration\n"
	"  -v, -d          show the SMTP dialogue (secrets redacted)\n"
	"  -N COND, -R RET, -V ENVID  DSN requests (RFC 3461)\n"
	"  -X FILE         append a log line per message to FILE\n"
	"  -bm             read a message and send it (the default)\n"
	"  -bs             speak SMTP on standard input and output\n"
	"  -bv             print the recipients and account; send nothing\n"
	"  -bp             list the queue (as mailq)\n"
	"  -bi             check the aliases file (as newaliases)\n"
	"  -odq            queue the message; deliver it at the next -q\n"
	"  -q              deliver queued messages that are due\n"
	"  -qf, --flush    deliver every queued message now\n"
	"  -qI ID, -qR RCPT, -qS SENDER  deliver only the matching messages\n"
	"      --queue-remove ID, --queue-hold ID, --queue-release ID\n"
	"  -P, --pretend   print the account's effective settings\n"
	"  -S, --serverinfo  print the server's greeting, TLS session, "
	"certificate\n"
	"                  (and the fingerprint for tls_fingerprint) and "
	"capabilities;\n"
	"                  connects as a delivery would; no AUTH, nothing "
	"sent\n"
	"      --read-envelope-from  take the envelope sender from From\n"
	"      --KEYWORD=VALUE  any configuration keyword, '-' for '_'\n"
	"                  (--host=H uses no configuration file accounts)\n"
	"  -o..., -B..., -e..., -G, -U, -L, -h, -m, -n, -O, -A  accepted for\n"
	"                  compatibility, ignored (see mailferry(1))\n"
	"      --version   print the version, features and file locations\n"
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

/* Record a configuration setting given on the command line. */
static bool
add_setting(struct cli_options *opts, const char *keyword, size_t len,
	    const char *value, struct mf_error *err)
{
	struct cli_setting *s;

	if (len >= sizeof(opts->settings[0].keyword)) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"unknown option --%.*s", (int)(len > 60 ? 60 : len),
			keyword);
		return false;
	}
	if (has_line_break(value)) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option --%.*s: value contains a line break",
			(int)len, keyword);
		return false;
	}
	if (opts->setting_count == CLI_MAX_SETTINGS) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"more than %d configuration options",
			CLI_MAX_SETTINGS);
		return false;
	}
	s = &opts->settings[opts->setting_count++];
	for (size_t i = 0; i < len; i++)
		s->keyword[i] = keyword[i] == '-' ? '_' : keyword[i];
	s->keyword[len] = '\0';
	s->value = value;
	return true;
}

/* The long options that are not configuration keywords. Returns 1 when
 * arg was one of them, 0 when it was not, -1 on error. */
static int
long_option(int argc, char **argv, int *i, struct cli_options *opts,
	    struct mf_error *err)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	static const struct {
		const char *name;
		int what;
	} table[] = {
		{ "version", 1 }, { "help", 2 }, { "flush", 3 },
		{ "pretend", 4 }, { "debug", 5 }, { "read-recipients", 6 },
		{ "read-envelope-from", 7 }, { "from", 8 }, { "account", 9 },
		{ "file", 10 }, { "queue-remove", 11 }, { "queue-hold", 12 },
		{ "queue-release", 13 }, { "host", 14 }, { "serverinfo", 15 },
	};
	int what = 0;
	const char *value = eq ? eq + 1 : NULL;
	bool takes_value;

	for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++)
		if (strlen(table[k].name) == n &&
		    strncmp(table[k].name, arg, n) == 0)
			what = table[k].what;
	if (what == 0)
		return 0;
	/* 8 to 14 take a value; the others are flags. */
	takes_value = what >= 8 && what <= 14;
	if (takes_value && value == NULL) {
		/* "--from ADDR" as getopt_long allows */
		if (*i + 1 >= argc) {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"option --%.*s needs an argument", (int)n, arg);
			return -1;
		}
		value = argv[++*i];
	}
	if (!takes_value && value != NULL) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option --%.*s takes no argument", (int)n, arg);
		return -1;
	}
	if (value && has_line_break(value)) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option --%.*s: value contains a line break", (int)n,
			arg);
		return -1;
	}
	switch (what) {
	case 1: opts->mode = CLI_MODE_VERSION; break;
	case 2: opts->mode = CLI_MODE_HELP; break;
	case 3:
		opts->mode = CLI_MODE_QUEUE_RUN;
		opts->queue_force = true;
		break;
	case 4: opts->mode = CLI_MODE_PRETEND; break;
	case 5: opts->verbose++; break;
	case 6: opts->read_recipients = true; break;
	case 7: opts->read_envelope_from = true; break;
	case 8: opts->from = value; break;
	case 9: opts->account = value; break;
	case 10: opts->config_file = value; break;
	case 11:
	case 12:
	case 13:
		if (opts->queue_id != NULL) {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"option --%.*s needs one queue ID", (int)n,
				arg);
			return -1;
		}
		opts->mode = what == 11 ? CLI_MODE_QUEUE_REMOVE :
			     what == 12 ? CLI_MODE_QUEUE_HOLD :
					  CLI_MODE_QUEUE_RELEASE;
		opts->queue_id = value;
		break;
	case 14:
		if (*value == '\0') {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"option --host needs a host name");
			return -1;
		}
		opts->host = value;
		break;
	case 15: opts->mode = CLI_MODE_SERVERINFO; break;
	}
	return 1;
}

/* -b<mode>. */
static bool
b_option(const char *arg, struct cli_options *opts, struct mf_error *err)
{
	if (strcmp(arg, "-bm") == 0)
		opts->mode = CLI_MODE_SEND;
	else if (strcmp(arg, "-bp") == 0)
		opts->mode = CLI_MODE_MAILQ;
	else if (strcmp(arg, "-bi") == 0)
		opts->mode = CLI_MODE_NEWALIASES;
	else if (strcmp(arg, "-bs") == 0)
		opts->mode = CLI_MODE_SMTP;
	else if (strcmp(arg, "-bv") == 0)
		opts->mode = CLI_MODE_VERIFY;
	else if (strcmp(arg, "-bd") == 0 || strcmp(arg, "-bD") == 0 ||
		 strcmp(arg, "-bl") == 0) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option %s: mailferry is not a daemon (it relays each "
			"message to the smarthost when it is submitted)", arg);
		return false;
	} else {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option %s is not supported", arg);
		return false;
	}
	return true;
}

/* -q, -qf, -q30m (sendmail's interval: one run now), -qI ID, -qR RCPT,
 * -qS SENDER (glued or separate). */
static bool
q_option(int argc, char **argv, int *i, struct cli_options *opts,
	 struct mf_error *err)
{
	const char *arg = argv[*i];
	const char **slot = NULL;

	opts->mode = CLI_MODE_QUEUE_RUN;
	if (strcmp(arg, "-qf") == 0) {
		opts->queue_force = true;
		return true;
	}
	if (arg[2] == 'I')
		slot = &opts->queue_id;
	else if (arg[2] == 'R')
		slot = &opts->queue_rcpt;
	else if (arg[2] == 'S')
		slot = &opts->queue_sender;
	if (slot == NULL)
		return true; /* -q, -q30m, -q1h: one run now */
	/* A selected run ignores the schedule, as sendmail's does. */
	opts->queue_force = true;
	if (arg[3] != '\0') {
		*slot = arg + 3;
	} else if (*i + 1 < argc) {
		*slot = argv[++*i];
	} else {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option -q%c needs an argument", arg[2]);
		return false;
	}
	if (has_line_break(*slot)) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"option -q%c: value contains a line break", arg[2]);
		return false;
	}
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
		const char *ignored;

		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[1] == '-') {
			int r = long_option(argc, argv, &i, opts, err);
			if (r < 0)
				return false;
			if (r == 0) {
				/* --KEYWORD[=VALUE]: checked against the
				 * keyword table when the account is set up. */
				const char *eq = strchr(arg + 2, '=');
				size_t n = eq ? (size_t)(eq - arg - 2)
					      : strlen(arg + 2);
				if (n == 0)
					goto unknown;
				if (!add_setting(opts, arg + 2, n,
						 eq ? eq + 1 : "", err))
					return false;
			}
			continue;
		}
		switch (arg[1]) {
		case 't':
		case 'i':
		case 'v':
		case 'm': /* me too: a sender on the list gets a copy (default) */
		case 'n': /* no aliasing: aliases are ours to apply */
		case 'U': /* initial submission */
		case 'G': /* relay (gateway) submission */
		case 'P':
			/* Flags without a value may be bundled as getopt
			 * allows: "-ti" (sendmail, Postfix, exim), "-vv". */
			if (strspn(arg + 1, "tivmnUGP") != strlen(arg + 1))
				goto unknown;
			for (const char *f = arg + 1; *f; f++) {
				if (*f == 't')
					opts->read_recipients = true;
				else if (*f == 'i')
					opts->ignore_dots = true;
				else if (*f == 'v')
					opts->verbose++;
				else if (*f == 'P')
					opts->mode = CLI_MODE_PRETEND;
			}
			break;
		case 'd':
			/* -d alone is msmtp's debug; -d0.1 and other
			 * sendmail debug levels print the version. */
			if (arg[2] == '\0')
				opts->verbose++;
			else if (strspn(arg + 2, "0123456789.-,") ==
				 strlen(arg + 2))
				opts->mode = CLI_MODE_VERSION;
			else
				goto unknown;
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
		case 'X':
			if (!flag_value(argc, argv, &i, arg, &ignored, err) ||
			    !add_setting(opts, "logfile", 7, ignored, err))
				return false;
			break;
		case 'S':
			/* msmtp's --serverinfo; alone, nothing glued. */
			if (strcmp(arg, "-S") != 0)
				goto unknown;
			opts->mode = CLI_MODE_SERVERINFO;
			break;
		case 'o':
			/* -oi is -i; -odq queues; every other -oX (-oem,
			 * -odi, -odb, -oQ/dir, -oXvalue) is MTA tuning:
			 * accepted, ignored. "-o" alone takes the next
			 * argument as its option. */
			if (arg[2] == '\0') {
				if (!flag_value(argc, argv, &i, arg, &ignored,
						err))
					return false;
			} else {
				ignored = arg + 2;
			}
			if (strcmp(ignored, "i") == 0)
				opts->ignore_dots = true;
			else if (strcmp(ignored, "dq") == 0)
				opts->queue_only = true;
			break;
		case 'B': /* -B8BITMIME, -B 7BIT: the body type; ignored */
		case 'e': /* -em, -ep, -eq: error reporting mode; ignored */
		case 'L': /* -L tag: syslog tag */
		case 'h': /* -h N: hop count */
		case 'O': /* -O option=value */
		case 'A': /* -Am, -Ac: which sendmail.cf */
			if (!flag_value(argc, argv, &i, arg, &ignored, err))
				return false;
			break;
		case 'q':
			if (!q_option(argc, argv, &i, opts, err))
				return false;
			break;
		case 'b':
			if (!b_option(arg, opts, err))
				return false;
			break;
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
