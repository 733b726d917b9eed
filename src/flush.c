/* flush.c: queue runs. Lists the queue, groups what is due by account,
 * opens one connection per account and sends each message under its
 * lock, then records the outcome per recipient (queue/queue.h has the
 * format and the durability rules). Also the retry schedule, expiry, the
 * per-account rate limit (ledger in queue/rate.h: a message over the
 * limit waits for the next free slot, which is not a failed attempt) and
 * delay warnings (Postfix's delay_warning_time: one RFC 3464 "delayed"
 * notice to the sender). Notices go out over the account's connection
 * when it is open, else in the run's second pass. */
#include "config.h"

#include "flush.h"

#include "config/config.h"
#include "deliver/deliver.h"
#include "log/log.h"
#include "log/record.h"
#include "message/dsn.h"
#include "message/repair.h"
#include "privilege.h"
#include "queue/queue.h"
#include "queue/rate.h"
#include "smtp/client.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Retry schedule: 5 minutes after the first failure, doubling, at most
 * 4 hours apart, each delay moved by up to +-10% so that many hosts do
 * not retry in step. */
#define RETRY_FIRST 300
#define RETRY_MAX   (4 * 3600)
/* Files of interrupted writes are removed when this old (seconds). */
#define LEFTOVER_AGE 3600

bool
flush_queue_path(const struct cfg_account *acct, char *out, size_t size)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	struct stat st;

	if (acct && acct->queue_dir)
		n = snprintf(out, size, "%s", acct->queue_dir);
	else if (priv_held() ||
		 (getuid() == 0 && stat(priv_system_spool(), &st) == 0 &&
		  S_ISDIR(st.st_mode)))
		/* A setgid install: submitters and root's queue runs share
		 * the system spool. */
		n = snprintf(out, size, "%s", priv_system_spool());
	else if (xdg && *xdg == '/')
		n = snprintf(out, size, "%s/mailferry/queue", xdg);
	else if (home && *home == '/')
		n = snprintf(out, size, "%s/.local/state/mailferry/queue",
			     home);
	else
		return false;
	return n > 0 && (size_t)n < size;
}

long long
flush_retry_delay(unsigned attempts)
{
	long long delay = RETRY_FIRST;
	unsigned short r = 0;

	for (unsigned i = 1; i < attempts && delay < RETRY_MAX; i++)
		delay *= 2;
	if (delay > RETRY_MAX)
		delay = RETRY_MAX;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned short)getpid();
	return delay - delay / 10 + (long long)(r % (delay / 5 + 1));
}

static const struct cfg_account *
entry_account(const struct cfg *cfg, const struct queue_entry *e)
{
	struct mf_error ignored;

	return cfg_select(cfg, e->account, &ignored);
}

static bool
same_account(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Append a message that cannot be delivered to ~/dead.letter (mbox
 * format, with the reason) so that it is never just dropped. True only
 * when the copy is written and fsynced. */
static bool
dead_letter(struct queue *q, const struct queue_entry *e, const char *why)
{
	const char *home = getenv("HOME");
	char path[4096], line[8192];
	struct mf_error err;
	FILE *in = NULL, *out = NULL;
	int fd = -1, msg_fd = -1;
	time_t now = time(NULL);
	bool ok = false;

	if (home == NULL || snprintf(path, sizeof(path), "%s/dead.letter",
				     home) >= (int)sizeof(path))
		goto out;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0 || (out = fdopen(fd, "a")) == NULL)
		goto out;
	fd = -1;
	if (!queue_open_message(q, e->id, &msg_fd, &err))
		goto out;
	if ((in = fdopen(msg_fd, "r")) == NULL)
		goto out;
	msg_fd = -1;
	fprintf(out, "From MAILER-DAEMON %s", ctime(&now));
	fprintf(out, "X-Mailferry-Queue-ID: %s\n", e->id);
	fprintf(out, "X-Mailferry-Error: %s\n", why);
	while (fgets(line, sizeof(line), in)) {
		size_t n = strlen(line);
		if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
			line[n - 2] = '\n';
			line[n - 1] = '\0';
		}
		if (strncmp(line, "From ", 5) == 0)
			fputc('>', out);
		fputs(line, out);
	}
	fputc('\n', out);
	ok = !ferror(in) && fflush(out) == 0 && !ferror(out) &&
	     fsync(fileno(out)) == 0;
	if (ok)
		log_warn("queue %s: %s; the message was saved in %s", e->id,
			 why, path);
out:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	if (fd >= 0)
		close(fd);
	if (msg_fd >= 0)
		close(msg_fd);
	return ok;
}

struct msg_source {
	int fd;
};

/* The body producer for a queued message: the file as stored. */
static bool
queued_body(void *ctx, deliver_sink_fn sink, void *sink_ctx,
	    struct mf_error *err)
{
	struct msg_source *src = ctx;
	char chunk[65536];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(src->fd, chunk, sizeof(chunk), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"reading the queued message: %s",
				strerror(errno));
			return false;
		}
		if (n == 0)
			return true;
		if (!sink(sink_ctx, chunk, (size_t)n, err))
			return false;
		off += n;
	}
}

struct text_source {
	const char *p;
	size_t len;
};

static bool
text_produce(void *ctx, queue_sink_fn sink, void *sink_ctx,
	     struct mf_error *err)
{
	struct text_source *t = ctx;

	return sink(sink_ctx, t->p, t->len, err);
}

/* The header block of queued message e (up to the empty line, at most
 * 64 KiB) into out. */
static void
read_headers(struct queue *q, const struct queue_entry *e, struct buf *out)
{
	char chunk[4096];
	struct mf_error err;
	int fd = -1;
	off_t off = 0;

	if (!queue_open_message(q, e->id, &fd, &err))
		return;
	for (;;) {
		ssize_t n = pread(fd, chunk, sizeof(chunk), off);
		const char *end;
		if (n <= 0)
			break;
		if (!buf_append(out, chunk, (size_t)n))
			break;
		off += n;
		end = out->len >= 4 ? memmem(out->data, out->len, "\r\n\r\n", 4)
				    : NULL;
		if (end) {
			out->len = (size_t)(end - out->data) + 2;
			out->data[out->len] = '\0';
			break;
		}
	}
	close(fd);
}

/* One account's share of a queue run: its listed messages and what the
 * run learns on the way. */
struct group {
	const struct cfg_account *acct;
	struct queue *q;
	const struct queue_entry *entries; /* the listing (borrowed) */
	size_t count;
	const char *account;  /* the entries' account field (NULL: default) */
	bool force;           /* -qf: due whatever the schedule says */
	time_t now;
	size_t notices;       /* notices queued for senders meanwhile */
	long long rate_until; /* > 0: the rate limit allows no send before */
	/* Over one connection after another (run_group): which entries of
	 * the listing have had their attempt in this run (NULL: no
	 * record), the one group_each is at, and how many messages the
	 * current connection delivered. */
	bool *tried;
	size_t cur;
	size_t delivered;
};

enum notice_kind {
	NOTICE_FAILED,  /* recipients refused permanently */
	NOTICE_EXPIRED, /* gave up after queue_lifetime */
	NOTICE_DELAYED, /* delay_warning: not delivered yet, still trying */
};

/* "3 hours" for log lines: the largest unit that makes at least 2. */
static const char *
age_text(long long seconds, char *out, size_t size)
{
	static const struct { long long unit; const char *name; } units[] = {
		{ 86400, "days" }, { 3600, "hours" }, { 60, "minutes" },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (seconds >= 2 * units[i].unit) {
			snprintf(out, size, "%lld %s", seconds / units[i].unit,
				 units[i].name);
			return out;
		}
	}
	snprintf(out, size, "%lld seconds", seconds);
	return out;
}

/* Tell the sender what became of a message: an RFC 3464 notice, queued as
 * a message from <> (never for a message from <>, so notices never
 * loop). A failure notice names the failed recipients; a delay warning
 * the pending ones, and until when they are retried. False when none
 * could be queued (the caller keeps a copy of a failed message in
 * dead.letter instead). */
static bool
queue_dsn(const struct cfg_account *acct, struct queue *q,
	  const struct queue_entry *e, enum notice_kind kind)
{
	struct msg_dsn_rcpt *rcpts = xcalloc(e->rcpt_count + 1, sizeof(*rcpts));
	enum queue_rcpt_state want = kind == NOTICE_DELAYED ? QUEUE_RCPT_PENDING
							     : QUEUE_RCPT_FAILED;
	struct msg_dsn d;
	struct buf text, headers;
	struct text_source src;
	struct queue_entry n;
	struct mf_error err;
	char host[256], date[64], msgid[512], boundary[96], age[48];
	unsigned char rnd[8] = { 0 };
	time_t now = time(NULL);
	struct tm local, utc;
	size_t count = 0;
	bool ok = false;

	buf_init(&text, 1u << 20);
	buf_init(&headers, 64 * 1024);
	queue_entry_init(&n);
	if (*e->sender == '\0')
		goto out;
	for (size_t i = 0; i < e->rcpt_count; i++) {
		if (e->rcpts[i].state != want)
			continue;
		rcpts[count].addr = e->rcpts[i].addr;
		rcpts[count].diagnostic = e->rcpts[i].error ? e->rcpts[i].error
							    : e->last_error;
		rcpts[count].expired = kind == NOTICE_EXPIRED;
		count++;
	}
	if (count == 0 && kind == NOTICE_DELAYED)
		goto out;
	bytes_host_name(acct->domain, host, sizeof(host));
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	localtime_r(&now, &local);
	gmtime_r(&now, &utc);
	msg_format_date(&local, local.tm_gmtoff, date, sizeof(date));
	msg_format_message_id(&utc, (long)getpid(), rnd, host, msgid,
			      sizeof(msgid));
	snprintf(boundary, sizeof(boundary), "%s/%s", e->id,
		 kind == NOTICE_DELAYED ? "delay" : "report");
	read_headers(q, e, &headers);
	d = (struct msg_dsn){
		.reporting_host = host,
		.sender = e->sender,
		.date = date,
		.message_id = msgid,
		.boundary = boundary,
		.arrival = e->created,
		.delayed = kind == NOTICE_DELAYED,
		.retry_until = e->created + (long long)acct->queue_lifetime,
		.rcpts = rcpts,
		.rcpt_count = count,
		.original_headers = buf_cstr(&headers),
		.original_headers_len = headers.len,
	};
	if (!msg_dsn_build(&d, &text, &err))
		goto out;
	src = (struct text_source){ text.data, text.len };
	n.account = e->account ? xstrdup(e->account) : NULL;
	n.sender = xstrdup("");
	n.created = (long long)now;
	n.next_attempt = n.created;
	queue_entry_add_rcpt(&n, e->sender);
	ok = queue_commit(q, &n, text_produce, &src, &err);
	if (ok && kind == NOTICE_DELAYED)
		log_warn("queue %s: not delivered after %s; delay notice %s "
			 "queued for <%s>", e->id,
			 age_text((long long)now - e->created, age, sizeof(age)),
			 n.id, e->sender);
	else if (ok)
		log_warn("queue %s: delivery failed; notice %s queued for <%s>",
			 e->id, n.id, e->sender);
	else
		log_warn("queue %s: cannot queue the %s notice: %s", e->id,
			 kind == NOTICE_DELAYED ? "delay" : "failure", err.msg);
out:
	queue_entry_clear(&n);
	buf_clear(&headers);
	buf_clear(&text);
	free(rcpts);
	return ok;
}

/* A failure notice for e, else a copy in dead.letter. True when one of
 * them is written. */
static bool
notify_failure(struct group *g, const struct queue_entry *e,
	       enum notice_kind kind, const char *why)
{
	if (queue_dsn(g->acct, g->q, e, kind)) {
		g->notices++;
		return true;
	}
	return dead_letter(g->q, e, why);
}

/* Record the outcome of one attempt in e and the queue: done when no
 * recipient is pending any more, else the next attempt is scheduled. */
static void
record_outcome(struct group *g, struct queue_entry *e, const char *error)
{
	const struct cfg_account *acct = g->acct;
	struct queue *q = g->q;
	struct mf_error err;
	size_t pending = 0, failed = 0;
	time_t now = time(NULL);
	bool saved = true;

	for (size_t i = 0; i < e->rcpt_count; i++) {
		if (e->rcpts[i].state == QUEUE_RCPT_PENDING)
			pending++;
		else if (e->rcpts[i].state == QUEUE_RCPT_FAILED)
			failed++;
	}
	e->attempts++;
	if (error) {
		free(e->last_error);
		e->last_error = xstrdup(error);
	}
	if (pending > 0 && now - e->created > (long long)acct->queue_lifetime) {
		for (size_t i = 0; i < e->rcpt_count; i++)
			if (e->rcpts[i].state == QUEUE_RCPT_PENDING)
				e->rcpts[i].state = QUEUE_RCPT_FAILED;
		failed += pending;
		pending = 0;
		saved = notify_failure(g, e, NOTICE_EXPIRED,
				       "expired: still undelivered after the "
				       "queue lifetime");
	} else if (pending == 0 && failed > 0) {
		saved = notify_failure(g, e, NOTICE_FAILED,
				       e->last_error ? e->last_error
						     : "refused by the server");
	}
	if (pending == 0 && !saved) {
		/* Neither a notice nor dead.letter: the queue is the last
		 * copy. Keep it, held, for a person to look at (mailq). */
		e->held = true;
		log_warn("queue %s: no failure notice or dead.letter could be "
			 "written; the message stays queued, held", e->id);
		if (!queue_update(q, e, &err))
			log_warn("queue %s: %s", e->id, err.msg);
		return;
	}
	if (pending == 0) {
		if (!queue_remove(q, e->id, &err))
			log_warn("queue %s: %s", e->id, err.msg);
		return;
	}
	e->next_attempt = (long long)now + flush_retry_delay(e->attempts);
	if (!queue_update(q, e, &err))
		log_warn("queue %s: %s", e->id, err.msg);
}

/* ------------------------------------------------------- rate limit */

/* "500/day", "20/hour", "3/minute" (as rate_limit is written). */
static void
rate_text(const struct cfg_rate *r, char *out, size_t size)
{
	if (r->period == 60)
		snprintf(out, size, "%u/minute", r->count);
	else if (r->period == 3600)
		snprintf(out, size, "%u/hour", r->count);
	else if (r->period == 86400)
		snprintf(out, size, "%u/day", r->count);
	else
		snprintf(out, size, "%u per %u seconds", r->count, r->period);
}

/* Local time for log lines. */
static void
time_text(long long t, char out[32])
{
	time_t at = (time_t)t;
	struct tm tm;

	localtime_r(&at, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *
account_text(const struct group *g)
{
	return g->account ? g->account : "the default account";
}

/* The rate limit is reached: e (locked) waits for the next free slot.
 * This is not an attempt: attempts, the last error and the back-off stay
 * as they are, and a later next attempt is kept. */
static void
rate_defer(struct group *g, struct queue_entry *e)
{
	char when[32];
	struct mf_error err;

	time_text(g->rate_until, when);
	log_debug("queue %s: waits for the rate limit of %s until %s", e->id,
		  account_text(g), when);
	if (e->next_attempt >= g->rate_until)
		return;
	e->next_attempt = g->rate_until;
	if (!queue_update(g->q, e, &err))
		log_warn("queue %s: %s", e->id, err.msg);
}

/* The group's rate limit was found reached at retry_at. */
static void
rate_reached(struct group *g, long long retry_at)
{
	char limit[48], when[32];

	rate_text(&g->acct->rate_limit, limit, sizeof(limit));
	time_text(retry_at, when);
	log_debug("queue run for %s: rate limit %s reached; the next message "
		  "may go at %s", account_text(g), limit, when);
	g->rate_until = retry_at;
}

/* May e (locked) be sent now? Reserves a slot of the account's rate
 * limit (*stamp: the reservation, 0 for none); when refused, e and the
 * rest of the group wait (rate_defer). A ledger that cannot be used
 * counts as refused for RETRY_FIRST seconds: nothing is sent uncounted. */
static bool
rate_admit(struct group *g, struct queue_entry *e, long long *stamp)
{
	const struct cfg_rate *r = &g->acct->rate_limit;
	long long now = (long long)time(NULL), retry_at = 0;
	struct mf_error err;
	bool granted = false;

	*stamp = 0;
	if (r->count == 0)
		return true;
	if (g->rate_until == 0) {
		err_clear(&err);
		if (!rate_reserve(g->q, g->acct->name, r->count, r->period, now,
				  &granted, &retry_at, &err)) {
			log_warn("queue run for %s: rate limit: %s; the "
				 "messages stay queued", account_text(g),
				 err.msg);
			g->rate_until = now + RETRY_FIRST;
		} else if (granted) {
			*stamp = now;
			return true;
		} else {
			rate_reached(g, retry_at);
		}
	}
	rate_defer(g, e);
	return false;
}

/* Give back a reservation for a message that did not go out. */
static void
rate_giveback(struct group *g, long long stamp)
{
	struct mf_error err;

	if (stamp == 0)
		return;
	if (!rate_release(g->q, g->acct->name, stamp, &err))
		log_warn("queue run for %s: rate limit: %s", account_text(g),
			 err.msg);
}

/* ------------------------------------------------------------ runs */

/* Send one locked message over ds. */
/* The account's log line for one queued message's attempt. */
static void
log_attempt(const struct group *g, struct deliver_session *ds,
	    const struct queue_entry *e, char *const *rcpts, size_t n,
	    size_t done, size_t refused, const struct mf_error *err)
{
	const struct cfg_account *acct = g->acct;
	struct log_target t = {
		.logfile = acct->logfile,
		.time_format = acct->logfile_time_format,
		.syslog = acct->syslog,
	};
	struct deliver_info info;
	struct log_record r = {
		.account = acct->name,
		.user = acct->user,
		.from = e->sender,
		.rcpts = rcpts,
		.rcpt_count = n,
		.size = e->size,
		.queue_id = e->id,
	};

	if (t.logfile == NULL && t.syslog == NULL)
		return;
	deliver_session_info(ds, acct, &info);
	r.host = info.host;
	r.port = info.port;
	r.tls = info.tls;
	r.auth_mech = info.auth_mech;
	if (done == n) {
		r.outcome = "delivered";
		r.smtp_code = info.code;
		r.enhanced = info.enhanced;
		r.smtp_text = info.text;
		r.exit_code = EX_OK;
		log_record_write(&t, &r);
		return;
	}
	r.outcome = refused == n ? "failed" : "deferred";
	r.smtp_code = err->smtp_code;
	r.enhanced = err->enhanced;
	r.error = err_isset(err) ? err->msg : NULL;
	r.exit_code = refused == n && err->exit_code ? err->exit_code
						     : EX_TEMPFAIL;
	log_record_write(&t, &r);
}

/* One attempt for e over ds; true when some recipient got it. */
static bool
send_one(struct group *g, struct deliver_session *ds, struct queue_entry *e)
{
	struct smtp_rcpt_result *results = NULL;
	char **rcpts = NULL;
	size_t *index = NULL, n = 0, accepted = 0, done = 0, refused = 0;
	struct msg_source src = { -1 };
	struct mf_error err;
	long long stamp = 0;
	bool ok;

	err_clear(&err);
	rcpts = xcalloc(e->rcpt_count + 1, sizeof(*rcpts));
	index = xcalloc(e->rcpt_count + 1, sizeof(*index));
	for (size_t i = 0; i < e->rcpt_count; i++) {
		if (e->rcpts[i].state != QUEUE_RCPT_PENDING)
			continue;
		index[n] = i;
		rcpts[n++] = e->rcpts[i].addr;
	}
	if (n == 0) {
		record_outcome(g, e, NULL);
		goto out;
	}
	if (!rate_admit(g, e, &stamp))
		goto out;
	if (!queue_open_message(g->q, e->id, &src.fd, &err)) {
		log_warn("queue %s: %s", e->id, err.msg);
		rate_giveback(g, stamp);
		goto out;
	}
	results = xcalloc(n, sizeof(*results));
	struct deliver_job job = {
		.account = g->acct,
		.sender = e->sender,
		.rcpts = rcpts,
		.rcpt_count = n,
		.head = "",
		.head_len = 0,
		.body = queued_body,
		.body_ctx = &src,
		.size = e->size,
		.eight_bit = e->eight_bit,
		.dsn_notify = e->dsn_notify,
		.dsn_ret = e->dsn_ret,
		.dsn_envid = e->dsn_envid,
	};
	ok = deliver_send(ds, &job, results, &accepted, &err);
	for (size_t k = 0; k < n; k++) {
		struct queue_rcpt *r = &e->rcpts[index[k]];
		const struct mf_error *why = &err;
		if (ok && results[k].accepted) {
			r->state = QUEUE_RCPT_DONE;
			done++;
			continue;
		}
		/* The recipient's own refusal if it had one; else the
		 * transaction's failure (then even accepted recipients did
		 * not get the message and stay pending). */
		if (err_isset(&results[k].error))
			why = &results[k].error;
		if (why->cls == ERR_PERMANENT) {
			r->state = QUEUE_RCPT_FAILED;
			refused++;
		}
		free(r->error);
		r->error = err_isset(why) ? xstrdup(why->msg) : NULL;
	}
	log_debug("queue %s: %zu of %zu recipients accepted", e->id, accepted,
		  n);
	/* Failed for now, as a whole: it did not go out, the slot is free
	 * again (a permanent refusal keeps it: the provider may count
	 * those). */
	if (done == 0 && refused == 0)
		rate_giveback(g, stamp);
	log_attempt(g, ds, e, rcpts, n, done, refused, &err);
	record_outcome(g, e, ok ? NULL : err.msg);
out:
	if (src.fd >= 0)
		close(src.fd);
	free(results);
	free(rcpts);
	free(index);
	return done > 0;
}

/* Whether entry e is to be sent in this run. */
static bool
is_due(const struct queue_entry *e, bool force, time_t now)
{
	return !e->held && (force || e->next_attempt <= (long long)now);
}

/* What to do with one due message, locked; false stops the group. */
typedef bool (*group_fn)(struct group *g, void *ctx, struct queue_entry *e);

/* Call fn for each due message of the group, in listing order, under its
 * lock and re-read (another run may have changed it since the listing).
 * Messages another process holds are skipped. */
static void
group_each(struct group *g, group_fn fn, void *ctx)
{
	for (size_t i = 0; i < g->count; i++) {
		const struct queue_entry *l = &g->entries[i];
		struct queue_entry e;
		struct mf_error err;
		int lock_fd = -1;
		bool go = true;

		if (!same_account(l->account, g->account) ||
		    !is_due(l, g->force, g->now) || (g->tried && g->tried[i]))
			continue;
		g->cur = i;
		queue_entry_init(&e);
		if (queue_lock(g->q, l->id, &e, &lock_fd, &err)) {
			if (is_due(&e, g->force, g->now))
				go = fn(g, ctx, &e);
			queue_unlock(lock_fd);
		}
		queue_entry_clear(&e);
		if (!go)
			break;
	}
}

/* Over the connection ctx; on a broken connection, stop. */
static bool
send_fn(struct group *g, void *ctx, struct queue_entry *e)
{
	struct deliver_session *ds = ctx;
	struct mf_error err;

	err_clear(&err);
	if (!deliver_session_usable(ds))
		return false;
	/* A connection that breaks between two messages leaves the next
	 * one untouched: it waits for the next connection, not for the
	 * next run. */
	if (!deliver_ready(ds, &err)) {
		log_debug("queue run for %s: %s", account_text(g), err.msg);
		return false;
	}
	if (g->tried)
		g->tried[g->cur] = true;
	if (send_one(g, ds, e))
		g->delivered++;
	return true;
}

/* The connection could not be opened (error ctx): the message gets the
 * failure as its attempt. */
static bool
fail_fn(struct group *g, void *ctx, struct queue_entry *e)
{
	const struct mf_error *why = ctx;

	if (why->cls == ERR_PERMANENT)
		for (size_t k = 0; k < e->rcpt_count; k++)
			if (e->rcpts[k].state == QUEUE_RCPT_PENDING)
				e->rcpts[k].state = QUEUE_RCPT_FAILED;
	record_outcome(g, e, why->msg);
	return true;
}

static bool
defer_fn(struct group *g, void *ctx, struct queue_entry *e)
{
	(void)ctx;
	rate_defer(g, e);
	return true;
}

/* Run the group's due messages over ds. */
static void
run_group(struct group *g, struct deliver_session *ds)
{
	group_each(g, send_fn, ds);
}

static struct deliver_session *group_open(struct group *g);

/* Whether a message of the group that was due at the listing has not had
 * its attempt in this run yet. */
static bool
group_has_untried(const struct group *g)
{
	for (size_t i = 0; i < g->count; i++)
		if (same_account(g->entries[i].account, g->account) &&
		    is_due(&g->entries[i], g->force, g->now) && !g->tried[i])
			return true;
	return false;
}

/* Run the group's due messages over *ds (open), each attempted once. When
 * the connection breaks (a server that closes after so many messages, a
 * 421 between transactions), a new one is opened for the messages not
 * yet tried, TLS resumed from the last (tls/tls.h), provided the broken
 * one delivered something: a server that takes nothing gets no second
 * connection in this run. *ds is the last connection (NULL when a new one
 * could not be opened: the messages left then have that failure as their
 * attempt, as with the first). */
static void
run_group_reconnecting(struct group *g, struct deliver_session **ds)
{
	g->tried = xcalloc(g->count + 1, sizeof(*g->tried));
	for (;;) {
		g->delivered = 0;
		group_each(g, send_fn, *ds);
		if (deliver_session_usable(*ds) || g->delivered == 0 ||
		    !group_has_untried(g))
			break;
		log_debug("queue run for %s: the connection was lost after "
			  "delivering %zu; connecting again for the rest",
			  account_text(g), g->delivered);
		deliver_close(*ds);
		*ds = group_open(g);
		if (*ds == NULL)
			break;
	}
	free(g->tried);
	g->tried = NULL;
}

/* Open the connection for the group's due messages. NULL when nothing
 * can be sent now: the rate limit is reached (they wait for the next
 * free slot, without a connection) or the connection failed (each gets
 * the failure as its attempt). */
static struct deliver_session *
group_open(struct group *g)
{
	const struct cfg_rate *r = &g->acct->rate_limit;
	struct deliver_session *ds = NULL;
	long long retry_at = 0;
	bool granted = true;
	struct mf_error err;

	/* A ledger that cannot be read is reported by rate_admit. */
	err_clear(&err);
	if (r->count > 0 &&
	    rate_check(g->q, g->acct->name, r->count, r->period,
		       (long long)g->now, &granted, &retry_at, &err) &&
	    !granted) {
		rate_reached(g, retry_at);
		group_each(g, defer_fn, NULL);
		return NULL;
	}
	err_clear(&err);
	if (!deliver_open(g->acct, &ds, &err)) {
		log_warn("queue run for %s: %s", account_text(g), err.msg);
		group_each(g, fail_fn, &err);
		return NULL;
	}
	return ds;
}

/* Is a delay warning due for e? Postfix's delay_warning_time: once, when
 * the message has waited delay_warning seconds and has not expired; never
 * to the null sender, never for a held message. */
static bool
warn_due(const struct cfg_account *acct, const struct queue_entry *e,
	 time_t now)
{
	long long age = (long long)now - e->created;

	return acct->delay_warning > 0 && !e->warned && !e->held &&
	       e->sender != NULL && *e->sender != '\0' &&
	       age >= (long long)acct->delay_warning &&
	       age <= (long long)acct->queue_lifetime;
}

static bool
has_pending(const struct queue_entry *e)
{
	for (size_t i = 0; i < e->rcpt_count; i++)
		if (e->rcpts[i].state == QUEUE_RCPT_PENDING)
			return true;
	return false;
}

/* Whether some message of the group (due or not) needs a delay warning. */
static bool
group_wants_warning(const struct group *g)
{
	for (size_t i = 0; i < g->count; i++)
		if (same_account(g->entries[i].account, g->account) &&
		    warn_due(g->acct, &g->entries[i], g->now))
			return true;
	return false;
}

/* Queue a delay warning for each message of the group that has waited
 * too long (due or not; after this run's attempt), and mark it warned.
 * The notice is queued before the mark is written: a crash in between
 * can send a second warning, never lose the only one. */
static void
warn_group(struct group *g)
{
	time_t now = time(NULL);

	if (g->acct->delay_warning == 0)
		return;
	for (size_t i = 0; i < g->count; i++) {
		const struct queue_entry *l = &g->entries[i];
		struct queue_entry e;
		struct mf_error err;
		int lock_fd = -1;

		if (!same_account(l->account, g->account) ||
		    !warn_due(g->acct, l, now))
			continue;
		queue_entry_init(&e);
		if (queue_lock(g->q, l->id, &e, &lock_fd, &err)) {
			if (warn_due(g->acct, &e, now) && has_pending(&e) &&
			    queue_dsn(g->acct, g->q, &e, NOTICE_DELAYED)) {
				g->notices++;
				e.warned = true;
				if (!queue_update(g->q, &e, &err))
					log_warn("queue %s: %s", e.id, err.msg);
			}
			queue_unlock(lock_fd);
		}
		queue_entry_clear(&e);
	}
}

/* Send the notices queued since the run started (from <>, never tried)
 * for the group's account over ds, the connection already open. */
static void
run_notices(struct group *g, struct deliver_session *ds, long long since)
{
	struct queue_entry *entries = NULL;
	size_t count = 0;
	struct mf_error err;
	struct group n = *g;

	if (!queue_list(g->q, &entries, &count, &err))
		return;
	for (size_t i = 0; i < count; i++)
		if (*entries[i].sender != '\0' || entries[i].created < since ||
		    entries[i].attempts > 0)
			entries[i].held = true; /* not in this group */
	n.entries = entries;
	n.count = count;
	n.force = true;
	n.now = time(NULL);
	run_group(&n, ds);
	g->rate_until = n.rate_until;
	queue_entries_free(entries, count);
}

/* Whether e is one of the messages -qI, -qR and -qS ask for. */
static bool
selected(const struct queue_entry *e, const struct flush_select *sel)
{
	bool rcpt = sel->rcpt == NULL;

	if (sel->id && strcmp(e->id, sel->id) != 0)
		return false;
	if (sel->sender && (e->sender == NULL ||
			    strcasestr(e->sender, sel->sender) == NULL))
		return false;
	for (size_t i = 0; !rcpt && i < e->rcpt_count; i++)
		rcpt = e->rcpts[i].state == QUEUE_RCPT_PENDING &&
		       strcasestr(e->rcpts[i].addr, sel->rcpt) != NULL;
	return rcpt;
}

/* One pass over the queue, account by account: what is due (with
 * fresh_only, only the messages queued since start and never tried:
 * notices made by this run), then the delay warnings, then the notices
 * made meanwhile over the same connection. */
static bool
run_pass(const struct cfg *cfg, struct queue *q, bool force,
	 const struct flush_select *sel, long long start, bool fresh_only,
	 struct mf_error *err)
{
	struct queue_entry *entries = NULL;
	size_t count = 0;
	time_t now = time(NULL);

	if (!queue_list(q, &entries, &count, err))
		return false;
	if (fresh_only) {
		/* The notices this run made: from <>, never tried, not
		 * older than the run (a message submitted in the same
		 * second is not one of them). */
		for (size_t i = 0; i < count; i++)
			if (entries[i].created < start ||
			    entries[i].attempts > 0 ||
			    (entries[i].sender && *entries[i].sender))
				entries[i].held = true; /* not in this pass */
	}
	for (size_t i = 0; sel && i < count; i++)
		if (!selected(&entries[i], sel))
			entries[i].held = true; /* not in this pass */
	for (size_t i = 0; i < count; i++) {
		const char *account = entries[i].account;
		const struct cfg_account *acct;
		struct deliver_session *ds = NULL;
		struct group g;
		size_t due = count;
		bool seen = false;

		/* Each account once, at its first message. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = same_account(entries[j].account, account);
		if (seen)
			continue;
		for (size_t j = i; j < count && due == count; j++)
			if (same_account(entries[j].account, account) &&
			    is_due(&entries[j], force, now))
				due = j;
		if (due == count && fresh_only)
			continue;
		acct = entry_account(cfg, &entries[i]);
		if (acct == NULL) {
			if (due < count)
				log_warn("queue %s: account '%s' is not in the "
					 "configuration; left queued",
					 entries[due].id,
					 account ? account : "default");
			continue;
		}
		g = (struct group){
			.acct = acct,
			.q = q,
			.entries = entries,
			.count = count,
			.account = account,
			.force = force,
			.now = time(NULL),
		};
		if (due == count && !group_wants_warning(&g))
			continue;
		if (due < count && (ds = group_open(&g)) != NULL)
			run_group_reconnecting(&g, &ds);
		if (!fresh_only)
			warn_group(&g);
		if (g.notices > 0 && deliver_session_usable(ds))
			run_notices(&g, ds, start);
		deliver_close(ds);
	}
	queue_entries_free(entries, count);
	return true;
}

bool
flush_run(const struct cfg *cfg, struct queue *q, bool force,
	  const struct flush_select *sel, struct mf_error *err)
{
	long long start = (long long)time(NULL);

	queue_clean(q, LEFTOVER_AGE);
	/* The second pass sends the notices the first one made and could
	 * not send over an open connection. */
	return run_pass(cfg, q, force, sel, start, false, err) &&
	       run_pass(cfg, q, true, NULL, start, true, err);
}

void
flush_account(const struct cfg *cfg, const struct cfg_account *acct,
	      struct queue *q, struct deliver_session *ds)
{
	struct queue_entry *entries = NULL;
	size_t count = 0;
	struct mf_error err;
	long long start = (long long)time(NULL);
	struct group g;

	(void)cfg;
	if (!queue_list(q, &entries, &count, &err))
		return;
	g = (struct group){
		.acct = acct,
		.q = q,
		.entries = entries,
		.count = count,
		.account = acct->name,
		.force = false,
		.now = time(NULL),
	};
	run_group(&g, ds);
	if (g.notices > 0 && deliver_session_usable(ds))
		run_notices(&g, ds, start);
	queue_entries_free(entries, count);
}

/* ------------------------------------------- direct delivery limits */

bool
flush_rate_admit(const struct cfg_account *acct, long long *stamp,
		 long long *retry_at, struct mf_error *err)
{
	const struct cfg_rate *r = &acct->rate_limit;
	long long now = (long long)time(NULL);
	char path[4096], limit[48];
	struct queue q;
	bool granted = false, ok = false;

	*stamp = 0;
	*retry_at = 0;
	if (r->count == 0)
		return true;
	if (!flush_queue_path(acct, path, sizeof(path))) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"rate limit: no queue directory (set queue_dir or "
			"HOME)");
		*retry_at = now + RETRY_FIRST;
		return false;
	}
	if (!queue_open(path, true, &q, err)) {
		err_prefix(err, "rate limit: ");
		*retry_at = now + RETRY_FIRST;
		return false;
	}
	if (!rate_reserve(&q, acct->name, r->count, r->period, now, &granted,
			  retry_at, err)) {
		err_prefix(err, "rate limit: ");
		*retry_at = now + RETRY_FIRST;
	} else if (granted) {
		*stamp = now;
		ok = true;
	} else {
		rate_text(r, limit, sizeof(limit));
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY, "rate limit %s reached",
			limit);
	}
	queue_close(&q);
	return ok;
}

void
flush_rate_return(const struct cfg_account *acct, long long stamp)
{
	char path[4096];
	struct queue q;
	struct mf_error err;

	if (stamp == 0 || acct->rate_limit.count == 0 ||
	    !flush_queue_path(acct, path, sizeof(path)))
		return;
	if (!queue_open(path, false, &q, &err)) {
		log_warn("rate limit: %s", err.msg);
		return;
	}
	if (!rate_release(&q, acct->name, stamp, &err))
		log_warn("rate limit: %s", err.msg);
	queue_close(&q);
}
