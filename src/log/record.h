/* log/record.h: one log line per message, msmtp style (the logfile,
 * logfile_time_format and syslog keywords), with more facts than msmtp's:
 * the account, the AUTH mechanism, the queue id, the enhanced status code
 * and the outcome.
 *
 * The line is a fixed sequence of key=value pairs; a key whose value is
 * absent is left out:
 *
 *   [time] account= host= tls= auth= user= from= recipients= size=
 *   outcome= queueid= smtpstatus= enhanced= smtpmsg= error= exitcode=
 *
 * e.g. "Nov 23 19:51:02 account=gmail host=smtp.gmail.com:587 tls=on
 * auth=PLAIN user=joe from=joe@x.y recipients=a@b,c@d size=1234
 * outcome=delivered smtpstatus=250 enhanced=2.0.0
 * smtpmsg='250 2.0.0 Ok: queued as X' exitcode=EX_OK" (on one line).
 *
 * Quoting: a value made only of printable ASCII other than space, ' " and
 * backslash (and, inside the recipient list, the comma) is written bare.
 * Any other value is put in single quotes, with \' and \\ for a quote and a
 * backslash and \xHH for every byte outside printable ASCII (CR, LF, TAB
 * and UTF-8 included), so text from a server can never start a second line
 * or a fake key. Each value is cut (ending in "...") at a fixed size, and
 * the recipient list ends in '...(+N more)' when the line would pass
 * LOG_RECORD_MAX. No field holds a secret; do not add one.
 */
#ifndef MF_LOG_RECORD_H
#define MF_LOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

/* The longest line log_record_format() produces, without the newline. */
#define LOG_RECORD_MAX 8192

/* The time format when the config sets none (msmtp's). */
#define LOG_RECORD_TIME_FORMAT "%b %d %H:%M:%S"

/* What happened to one message. Every pointer is borrowed; NULL means
 * "absent" and leaves the key out unless said otherwise. */
struct log_record {
	const char *account;   /* NULL: the defaults section */
	const char *host;      /* smarthost name, NULL when not contacted */
	unsigned port;         /* 0: not printed */
	bool tls;              /* tls=on/off, printed only with host */
	const char *auth_mech; /* NULL: no AUTH (auth=off when host is set) */
	const char *user;      /* auth user, only printed with auth_mech */
	const char *from;      /* envelope sender; "" (the null sender) is
				  printed as from=<> */
	char *const *rcpts;    /* envelope recipients (NULL entries print '') */
	size_t rcpt_count;
	unsigned long long size; /* bytes of the message; always printed */
	const char *outcome;   /* "delivered", "queued", "deferred", "failed",
				  "bounced", "expired" */
	const char *queue_id;  /* NULL unless queued / from the queue */
	int smtp_code;         /* 0: none */
	const char *enhanced;  /* "5.1.1"; NULL or "": none */
	const char *smtp_text; /* the server's reply as the caller has it */
	const char *error;     /* our one-line error message */
	int exit_code;         /* sysexits.h; printed as its name (EX_OK) */
};

/* Where the line goes: the config's logfile, logfile_time_format and
 * syslog values, borrowed. */
struct log_target {
	const char *logfile;     /* NULL: none; "-": standard output */
	const char *time_format; /* strftime; NULL: LOG_RECORD_TIME_FORMAT */
	const char *syslog;      /* NULL: none; "LOG_USER", "LOG_MAIL",
				    "LOG_LOCAL0".."LOG_LOCAL7" */
};

/* Append the line for r to out, without a newline. when is the time of the
 * prefix, formatted with time_format (NULL: LOG_RECORD_TIME_FORMAT); NULL
 * when gives no prefix (syslog adds its own). A time that formats to
 * nothing is left out too. Pure: no I/O, no global state, no heap
 * besides out. False (out unchanged) only when out's ceiling refuses the
 * line; a buffer with a ceiling of LOG_RECORD_MAX or more never does. */
bool log_record_format(const struct log_record *r, const struct tm *when,
		       const char *time_format, struct buf *out);

/* Write the line for r to t: to the logfile (appended under an exclusive
 * flock, in one write(), created 0600 when missing; "-" is standard
 * output) with the local time in front, and to syslog (ident "mailferry",
 * LOG_INFO; LOG_ERR when exit_code is not EX_OK or the outcome is
 * "failed", "bounced" or "expired") without it. A logfile that cannot be
 * opened, locked (within 10 seconds) or written sends the line to syslog
 * instead (t->syslog's facility, else LOG_MAIL) and prints one warning
 * naming the file and the reason through log_warn(). Never fails the
 * delivery: the result is true when every configured destination took the
 * line and false after such a fallback; callers may ignore it. */
bool log_record_write(const struct log_target *t, const struct log_record *r);

#endif
