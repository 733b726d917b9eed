/* cli/options.h: sendmail-compatible command line into a plain struct.
 *
 * Pure: no I/O. Flags that only matter to a full MTA (-oem, -odi, -B8BITMIME,
 * -oQ...) are accepted and ignored, because real callers pass them. */
#ifndef MF_CLI_OPTIONS_H
#define MF_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;

enum cli_mode {
	CLI_MODE_SEND = 0, /* default: read a message, relay it */
	CLI_MODE_VERSION,  /* --version */
	CLI_MODE_HELP,     /* --help */
	CLI_MODE_MAILQ,    /* argv[0] "mailq", -bp: list the queue */
	CLI_MODE_NEWALIASES, /* argv[0] "newaliases", -bi */
	CLI_MODE_QUEUE_RUN,  /* -q, -qf...: deliver what is queued */
	CLI_MODE_QUEUE_REMOVE,  /* --queue-remove ID */
	CLI_MODE_QUEUE_HOLD,    /* --queue-hold ID */
	CLI_MODE_QUEUE_RELEASE, /* --queue-release ID */
	CLI_MODE_SMTP,     /* -bs: speak SMTP on stdin/stdout */
	CLI_MODE_VERIFY,   /* -bv: print recipients and account, send nothing */
	CLI_MODE_PRETEND,  /* -P, --pretend: print the account's settings */
	CLI_MODE_SERVERINFO, /* -S, --serverinfo: describe the smarthost */
};

/* A configuration setting given on the command line: msmtp's long options
 * ("--tls-trust-file=F") and the sendmail flags that set one (-X FILE is
 * logfile, -N is dsn_notify, -R is dsn_return). */
struct cli_setting {
	char keyword[40];  /* with '_' as in the configuration file */
	const char *value; /* borrowed from argv; "" when none was given */
};

#define CLI_MAX_SETTINGS 64

/* Every pointer is borrowed from argv and lives as long as it does. */
struct cli_options {
	enum cli_mode mode;
	bool read_recipients; /* -t: To, Cc, Bcc from the headers */
	bool ignore_dots;     /* -i, -oi: a lone "." does not end input */
	int verbose;          /* -v, counted */
	const char *from;     /* -f, -r: envelope sender, or NULL */
	const char *full_name;   /* -F: full name for a generated From */
	const char *config_file; /* -C FILE, or NULL for the defaults */
	const char *account;     /* -a NAME, or NULL */
	const char *dsn_notify;  /* -N NEVER|SUCCESS,DELAY,FAILURE */
	const char *dsn_return;  /* -R hdrs|full */
	const char *dsn_envid;   /* -V ENVID */
	bool queue_force;        /* -qf, --flush: ignore the retry schedule */
	const char *queue_id;    /* --queue-remove/-hold/-release ID, -qI */
	const char *queue_rcpt;  /* -qR SUBSTRING: only matching recipients */
	const char *queue_sender; /* -qS SUBSTRING: only matching senders */
	bool queue_only;         /* -odq: queue, do not try now */
	bool read_envelope_from; /* --read-envelope-from: sender from From */
	const char *host;        /* --host: no configuration file accounts */
	struct cli_setting settings[CLI_MAX_SETTINGS];
	size_t setting_count;
	char **recipients;       /* the operands after the options */
	size_t recipient_count;
};

/* Parse argv. The mode starts from the base name of argv[0] ("mailq",
 * "newaliases", anything else: send), as sendmail's links expect. Errors: EX_USAGE, permanent,
 * naming the offending option ("unknown option -x", "option -f needs an
 * argument", "option -f: value contains a line break"). */
bool cli_parse(int argc, char **argv, struct cli_options *opts,
	       struct mf_error *err);

/* The --help text (static, borrowed). */
const char *cli_usage(void);

#endif
