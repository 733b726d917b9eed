/* log/record.c: the one log line per message (record.h describes the line
 * and its quoting). The formatter works in fixed buffers on the stack, so
 * the line can still be written when memory is short, and every value has
 * a size cap so the bound LOG_RECORD_MAX holds by construction (the
 * _Static_assert below); only the recipient list is cut to fit.
 *
 * Writing follows msmtp's logfile and syslog keywords: the logfile is
 * opened for appending, locked with flock(LOCK_EX) and given the whole line
 * in one write(), so concurrent senders never interleave; syslog gets the
 * line without the time, which it adds itself.
 */
#include "config.h"

#include "log/record.h"

#include "log/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Caps on one escaped value, quotes not counted. Short: names, ids and
 * codes; long: addresses and messages. */
#define REC_SHORT_MAX  256
#define REC_LONG_MAX   1024
/* The strftime result before escaping, and after. */
#define REC_TIME_RAW   128
#define REC_TIME_MAX   256
/* Key names, separators and numbers of the whole line, generously. */
#define REC_FIXED_MAX  256
/* ",'...(+18446744073709551615 more)'" */
#define REC_MARKER_MAX 40
/* What the logfile lock waits for: 1000 tries 10 ms apart. */
#define REC_LOCK_TRIES 1000
#define REC_LOCK_NSEC  10000000L

/* Every field at its cap (7 short, 2 long plus the recipient element that
 * always fits, each with 2 quotes), plus the marker, stays in the line. */
_Static_assert(REC_TIME_MAX + 7 * (REC_SHORT_MAX + 2) +
			       3 * (REC_LONG_MAX + 2) +
			       (REC_LONG_MAX + 2) + REC_FIXED_MAX +
			       REC_MARKER_MAX <=
		       LOG_RECORD_MAX,
	       "log record field caps exceed LOG_RECORD_MAX");

/* A line under construction: room for LOG_RECORD_MAX bytes, a newline and
 * a NUL. Appends past the end are cut (cannot happen, see above). */
struct rec_line {
	char data[LOG_RECORD_MAX + 2];
	size_t len;
};

enum rec_mode {
	REC_VALUE,   /* quoted when needed */
	REC_ELEMENT, /* a recipient: a comma needs quotes too */
	REC_TIME,    /* never quoted, non-printables escaped */
};

static void
rec_put(struct rec_line *l, const char *p, size_t n)
{
	if (n > LOG_RECORD_MAX - l->len)
		n = LOG_RECORD_MAX - l->len;
	memcpy(l->data + l->len, p, n);
	l->len += n;
	l->data[l->len] = '\0';
}

static void
rec_puts(struct rec_line *l, const char *s)
{
	rec_put(l, s, strlen(s));
}

static bool
rec_is_bare(unsigned char c, enum rec_mode mode)
{
	if (c <= 0x20 || c >= 0x7f || c == '\'' || c == '"' || c == '\\')
		return false;
	return !(mode == REC_ELEMENT && c == ',');
}

/* The escaped form of byte c: 1 to 4 bytes in unit, the count returned. */
static size_t
rec_unit(unsigned char c, enum rec_mode mode, char unit[4])
{
	static const char hex[] = "0123456789abcdef";

	if (c >= 0x20 && c < 0x7f) {
		if (mode != REC_TIME && (c == '\'' || c == '\\')) {
			unit[0] = '\\';
			unit[1] = (char)c;
			return 2;
		}
		unit[0] = (char)c;
		return 1;
	}
	unit[0] = '\\';
	unit[1] = 'x';
	unit[2] = hex[c >> 4];
	unit[3] = hex[c & 15];
	return 4;
}

/* Append len bytes of v as one value: bare or quoted as record.h says,
 * the escaped text at most cap bytes, ending in "..." when it was cut.
 * Never splits an escape. */
static void
rec_value(struct rec_line *l, const char *v, size_t len, size_t cap,
	  enum rec_mode mode)
{
	char unit[4];
	size_t total = 0, limit, used = 0;
	bool quote = mode != REC_TIME && len == 0;

	for (size_t i = 0; i < len; i++) {
		total += rec_unit((unsigned char)v[i], mode, unit);
		if (mode != REC_TIME && !rec_is_bare((unsigned char)v[i], mode))
			quote = true;
	}
	limit = total <= cap ? cap : cap - 3;
	if (quote)
		rec_put(l, "'", 1);
	for (size_t i = 0; i < len; i++) {
		size_t n = rec_unit((unsigned char)v[i], mode, unit);

		if (used + n > limit)
			break;
		rec_put(l, unit, n);
		used += n;
	}
	if (total > cap)
		rec_put(l, "...", 3);
	if (quote)
		rec_put(l, "'", 1);
}

/* " key=value" for a string that may be absent (NULL). */
static void
rec_field(struct rec_line *l, const char *key, const char *v, size_t cap)
{
	if (v == NULL)
		return;
	if (l->len > 0)
		rec_put(l, " ", 1);
	rec_puts(l, key);
	rec_put(l, "=", 1);
	rec_value(l, v, strlen(v), cap, REC_VALUE);
}

/* " key=" followed by printf-formatted text that needs no escaping. */
static void rec_fieldf(struct rec_line *l, const char *key, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

static void
rec_fieldf(struct rec_line *l, const char *key, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = (int)sizeof(tmp) - 1;
	if (l->len > 0)
		rec_put(l, " ", 1);
	rec_puts(l, key);
	rec_put(l, "=", 1);
	rec_put(l, tmp, (size_t)n);
}

static const struct {
	int code;
	const char *name;
} rec_exits[] = {
	{ EX_OK, "EX_OK" },
	{ EX_USAGE, "EX_USAGE" },
	{ EX_DATAERR, "EX_DATAERR" },
	{ EX_NOINPUT, "EX_NOINPUT" },
	{ EX_NOUSER, "EX_NOUSER" },
	{ EX_NOHOST, "EX_NOHOST" },
	{ EX_UNAVAILABLE, "EX_UNAVAILABLE" },
	{ EX_SOFTWARE, "EX_SOFTWARE" },
	{ EX_OSERR, "EX_OSERR" },
	{ EX_OSFILE, "EX_OSFILE" },
	{ EX_CANTCREAT, "EX_CANTCREAT" },
	{ EX_IOERR, "EX_IOERR" },
	{ EX_TEMPFAIL, "EX_TEMPFAIL" },
	{ EX_PROTOCOL, "EX_PROTOCOL" },
	{ EX_NOPERM, "EX_NOPERM" },
	{ EX_CONFIG, "EX_CONFIG" },
};

static void
rec_exit_code(struct rec_line *l, int code)
{
	for (size_t i = 0; i < sizeof(rec_exits) / sizeof(rec_exits[0]); i++) {
		if (rec_exits[i].code == code) {
			rec_fieldf(l, "exitcode", "%s", rec_exits[i].name);
			return;
		}
	}
	rec_fieldf(l, "exitcode", "%d", code);
}

/* The time prefix; nothing when strftime gives nothing. */
static void
rec_time(struct rec_line *l, const struct tm *when, const char *fmt)
{
	char raw[REC_TIME_RAW];
	size_t n;

	if (fmt == NULL)
		fmt = LOG_RECORD_TIME_FORMAT;
	/* The format is the user's logfile_time_format, by design. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(raw, sizeof(raw), fmt, when);
#pragma GCC diagnostic pop
	if (n > 0)
		rec_value(l, raw, n, REC_TIME_MAX, REC_TIME);
}

/* "host:port", "[v6]:port" or "host" when the port is 0. */
static void
rec_host(struct rec_line *l, const char *host, unsigned port)
{
	char hp[REC_SHORT_MAX + 32];
	int n;

	if (port == 0)
		n = snprintf(hp, sizeof(hp), "%s", host);
	else if (strchr(host, ':') != NULL)
		n = snprintf(hp, sizeof(hp), "[%s]:%u", host, port);
	else
		n = snprintf(hp, sizeof(hp), "%s:%u", host, port);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(hp))
		n = (int)sizeof(hp) - 1;
	if (l->len > 0)
		rec_put(l, " ", 1);
	rec_puts(l, "host=");
	rec_value(l, hp, (size_t)n, REC_SHORT_MAX, REC_VALUE);
}

/* " recipients=a,b,..." using at most budget bytes, then the marker. */
static void
rec_recipients(struct rec_line *l, const struct log_record *r, size_t budget)
{
	struct rec_line elem;
	size_t i, used;
	char more[REC_MARKER_MAX];
	int n;

	if (r->rcpt_count == 0)
		return;
	used = l->len;
	rec_puts(l, l->len > 0 ? " recipients=" : "recipients=");
	used = l->len - used;
	for (i = 0; i < r->rcpt_count; i++) {
		const char *v = r->rcpts[i] ? r->rcpts[i] : "";
		size_t reserve = i + 1 < r->rcpt_count ? REC_MARKER_MAX : 0;

		elem.len = 0;
		if (i > 0)
			rec_put(&elem, ",", 1);
		rec_value(&elem, v, strlen(v), REC_LONG_MAX, REC_ELEMENT);
		if (used + elem.len + reserve > budget)
			break;
		rec_put(l, elem.data, elem.len);
		used += elem.len;
	}
	if (i == r->rcpt_count)
		return;
	n = snprintf(more, sizeof(more), "%s'...(+%zu more)'", i > 0 ? "," : "",
		     r->rcpt_count - i);
	if (n > 0 && (size_t)n < sizeof(more))
		rec_put(l, more, (size_t)n);
}

/* The whole line into l (terminated, no newline). */
static void
rec_build(const struct log_record *r, const struct tm *when,
	  const char *time_format, struct rec_line *l)
{
	struct rec_line tail;
	size_t budget;

	/* The fields after the recipients first: the list gets what is left. */
	tail.len = 0;
	tail.data[0] = '\0';
	rec_fieldf(&tail, "size", "%llu", r->size);
	rec_field(&tail, "outcome", r->outcome, REC_SHORT_MAX);
	rec_field(&tail, "queueid", r->queue_id, REC_SHORT_MAX);
	if (r->smtp_code != 0)
		rec_fieldf(&tail, "smtpstatus", "%d", r->smtp_code);
	if (r->enhanced != NULL && r->enhanced[0] != '\0')
		rec_field(&tail, "enhanced", r->enhanced, REC_SHORT_MAX);
	rec_field(&tail, "smtpmsg", r->smtp_text, REC_LONG_MAX);
	rec_field(&tail, "error", r->error, REC_LONG_MAX);
	rec_exit_code(&tail, r->exit_code);

	l->len = 0;
	l->data[0] = '\0';
	if (when != NULL)
		rec_time(l, when, time_format);
	rec_field(l, "account", r->account, REC_SHORT_MAX);
	if (r->host != NULL) {
		rec_host(l, r->host, r->port);
		rec_puts(l, r->tls ? " tls=on" : " tls=off");
		if (r->auth_mech == NULL)
			rec_puts(l, " auth=off");
	}
	if (r->auth_mech != NULL) {
		rec_field(l, "auth", r->auth_mech, REC_SHORT_MAX);
		rec_field(l, "user", r->user, REC_SHORT_MAX);
	}
	if (r->from != NULL && r->from[0] == '\0')
		rec_puts(l, l->len > 0 ? " from=<>" : "from=<>");
	else
		rec_field(l, "from", r->from, REC_LONG_MAX);
	/* cannot be short (the _Static_assert); checked all the same */
	budget = l->len + tail.len + 1 < LOG_RECORD_MAX
			 ? LOG_RECORD_MAX - l->len - tail.len - 1
			 : 0;
	rec_recipients(l, r, budget);
	if (l->len > 0)
		rec_put(l, " ", 1);
	rec_put(l, tail.data, tail.len);
}

bool
log_record_format(const struct log_record *r, const struct tm *when,
		  const char *time_format, struct buf *out)
{
	struct rec_line l;

	rec_build(r, when, time_format, &l);
	return buf_append(out, l.data, l.len);
}

/* ------------------------------------------------------------ writing */

static int
rec_facility(const char *name)
{
	static const struct {
		const char *name;
		int facility;
	} facilities[] = {
		{ "LOG_USER", LOG_USER },     { "LOG_MAIL", LOG_MAIL },
		{ "LOG_LOCAL0", LOG_LOCAL0 }, { "LOG_LOCAL1", LOG_LOCAL1 },
		{ "LOG_LOCAL2", LOG_LOCAL2 }, { "LOG_LOCAL3", LOG_LOCAL3 },
		{ "LOG_LOCAL4", LOG_LOCAL4 }, { "LOG_LOCAL5", LOG_LOCAL5 },
		{ "LOG_LOCAL6", LOG_LOCAL6 }, { "LOG_LOCAL7", LOG_LOCAL7 },
	};

	for (size_t i = 0; name != NULL &&
			   i < sizeof(facilities) / sizeof(facilities[0]);
	     i++) {
		if (strcmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	}
	return LOG_MAIL;
}

static bool
rec_is_failure(const struct log_record *r)
{
	if (r->exit_code != EX_OK)
		return true;
	return r->outcome != NULL && (strcmp(r->outcome, "failed") == 0 ||
				      strcmp(r->outcome, "bounced") == 0 ||
				      strcmp(r->outcome, "expired") == 0);
}

/* flock(LOCK_EX), waiting up to REC_LOCK_TRIES * REC_LOCK_NSEC. */
static bool
rec_lock(int fd)
{
	struct timespec pause = { 0, REC_LOCK_NSEC };

	for (int tries = 0; tries < REC_LOCK_TRIES;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return true;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return false;
		tries++;
		nanosleep(&pause, NULL);
	}
	errno = ETIMEDOUT;
	return false;
}

/* One write() of the whole line; a short write is a failure. */
static bool
rec_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	do
		n = write(fd, p, len);
	while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n != len)
		errno = ENOSPC; /* a short write to a file: disk or quota full */
	return n >= 0 && (size_t)n == len;
}

/* Append the line to path ("-": standard output). On failure *step names
 * what failed and errno says why. */
static bool
rec_write_file(const char *path, const char *line, size_t len,
	       const char **step)
{
	int fd = -1, saved;
	bool ok = false;

	if (strcmp(path, "-") == 0) {
		fflush(stdout);
		*step = "write";
		return rec_write_all(STDOUT_FILENO, line, len);
	}
	*step = "open";
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
		  0600);
	if (fd < 0)
		goto cleanup;
	*step = "lock";
	if (!rec_lock(fd))
		goto cleanup;
	*step = "write";
	ok = rec_write_all(fd, line, len);
	/* close() drops the lock */
cleanup:
	saved = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		*step = "close";
		saved = errno;
		ok = false;
	}
	errno = saved;
	return ok;
}

bool
log_record_write(const struct log_target *t, const struct log_record *r)
{
	struct rec_line l;
	bool ok = true;
	bool to_syslog = t->syslog != NULL;

	if (t->logfile != NULL) {
		time_t now = time(NULL);
		struct tm tm;
		const char *step = "write";

		rec_build(r, localtime_r(&now, &tm) ? &tm : NULL,
			  t->time_format, &l);
		l.data[l.len] = '\n';
		if (!rec_write_file(t->logfile, l.data, l.len + 1, &step)) {
			log_warn("logfile %s: cannot %s: %s (logging to syslog "
				 "instead)",
				 t->logfile, step, strerror(errno));
			ok = false;
			to_syslog = true;
		}
	}
	if (to_syslog) {
		rec_build(r, NULL, NULL, &l);
		openlog("mailferry", LOG_PID, rec_facility(t->syslog));
		syslog(rec_is_failure(r) ? LOG_ERR : LOG_INFO, "%s", l.data);
		closelog();
	}
	return ok;
}
