/* flush.c: queue runs. Lists the queue, groups what is due by account,
 * opens one connection per account and sends each message under its
 * lock, then records the outcome per recipient (queue/queue.h has the
 * format and the durability rules). Also the retry schedule and expiry. */
#include "config.h"

#include "flush.h"

#include "config/config.h"
#include "deliver/deliver.h"
#include "log/log.h"
#include "message/dsn.h"
#include "message/repair.h"
#include "queue/queue.h"
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

	if (acct && acct->queue_dir)
		n = snprintf(out, size, "%s", acct->queue_dir);
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

/* Tell the sender which recipients failed: an RFC 3464 notice, queued as
 * a message from <> (never for a message from <>, so notices never
 * loop). False when none could be queued (the caller keeps a copy in
 * dead.letter instead). */
static bool
queue_dsn(const struct cfg_account *acct, struct queue *q,
	  const struct queue_entry *e, bool expired)
{
	struct msg_dsn_rcpt *rcpts = xcalloc(e->rcpt_count + 1, sizeof(*rcpts));
	struct msg_dsn d;
	struct buf text, headers;
	struct text_source src;
	struct queue_entry n;
	struct mf_error err;
	char host[256], date[64], msgid[512], boundary[96];
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
		if (e->rcpts[i].state != QUEUE_RCPT_FAILED)
			continue;
		rcpts[count].addr = e->rcpts[i].addr;
		rcpts[count].diagnostic = e->rcpts[i].error ? e->rcpts[i].error
							    : e->last_error;
		rcpts[count].expired = expired;
		count++;
	}
	bytes_host_name(acct->domain, host, sizeof(host));
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	localtime_r(&now, &local);
	gmtime_r(&now, &utc);
	msg_format_date(&local, local.tm_gmtoff, date, sizeof(date));
	msg_format_message_id(&utc, (long)getpid(), rnd, host, msgid,
			      sizeof(msgid));
	snprintf(boundary, sizeof(boundary), "%s/%s", e->id, "report");
	read_headers(q, e, &headers);
	d = (struct msg_dsn){
		.reporting_host = host,
		.sender = e->sender,
		.date = date,
		.message_id = msgid,
		.boundary = boundary,
		.arrival = e->created,
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
	if (ok)
		log_warn("queue %s: delivery failed; notice %s queued for <%s>",
			 e->id, n.id, e->sender);
	else
		log_warn("queue %s: cannot queue the failure notice: %s", e->id,
			 err.msg);
out:
	queue_entry_clear(&n);
	buf_clear(&headers);
	buf_clear(&text);
	free(rcpts);
	return ok;
}

/* Record the outcome of one attempt in e and the queue: done when no
 * recipient is pending any more, else the next attempt is scheduled. */
static void
record_outcome(const struct cfg_account *acct, struct queue *q,
	       struct queue_entry *e, const char *error)
{
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
		saved = queue_dsn(acct, q, e, true) ||
			dead_letter(q, e, "expired: still undelivered after "
					  "the queue lifetime");
	} else if (pending == 0 && failed > 0) {
		saved = queue_dsn(acct, q, e, false) ||
			dead_letter(q, e, e->last_error ? e->last_error
							: "refused by the "
							  "server");
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

/* Send one locked message over ds. */
static void
send_one(const struct cfg_account *acct, struct queue *q,
	 struct deliver_session *ds, struct queue_entry *e)
{
	struct smtp_rcpt_result *results = NULL;
	char **rcpts = NULL;
	size_t *index = NULL, n = 0, accepted = 0;
	struct msg_source src = { -1 };
	struct mf_error err;
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
		record_outcome(acct, q, e, NULL);
		goto out;
	}
	if (!queue_open_message(q, e->id, &src.fd, &err)) {
		log_warn("queue %s: %s", e->id, err.msg);
		goto out;
	}
	results = xcalloc(n, sizeof(*results));
	struct deliver_job job = {
		.account = acct,
		.sender = e->sender,
		.rcpts = rcpts,
		.rcpt_count = n,
		.head = "",
		.head_len = 0,
		.body = queued_body,
		.body_ctx = &src,
		.size = e->size,
		.eight_bit = e->eight_bit,
	};
	ok = deliver_send(ds, &job, results, &accepted, &err);
	for (size_t k = 0; k < n; k++) {
		struct queue_rcpt *r = &e->rcpts[index[k]];
		const struct mf_error *why = &err;
		if (ok && results[k].accepted) {
			r->state = QUEUE_RCPT_DONE;
			continue;
		}
		/* The recipient's own refusal if it had one; else the
		 * transaction's failure (then even accepted recipients did
		 * not get the message and stay pending). */
		if (err_isset(&results[k].error))
			why = &results[k].error;
		if (why->cls == ERR_PERMANENT)
			r->state = QUEUE_RCPT_FAILED;
		free(r->error);
		r->error = err_isset(why) ? xstrdup(why->msg) : NULL;
	}
	log_debug("queue %s: %zu of %zu recipients accepted", e->id, accepted,
		  n);
	record_outcome(acct, q, e, ok ? NULL : err.msg);
out:
	if (src.fd >= 0)
		close(src.fd);
	free(results);
	free(rcpts);
	free(index);
}

/* Whether entry e is to be sent in this run. */
static bool
is_due(const struct queue_entry *e, bool force, time_t now)
{
	return !e->held && (force || e->next_attempt <= (long long)now);
}

/* Run one account's due messages (entries[i] with the account of
 * entries[first]) over ds; on a broken connection, stop. */
static void
run_group(const struct cfg_account *acct, struct queue *q,
	  struct deliver_session *ds, const struct queue_entry *entries,
	  size_t count, const char *account, bool force)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < count; i++) {
		const struct queue_entry *l = &entries[i];
		struct queue_entry e;
		struct mf_error err;
		int lock_fd = -1;

		if (!same_account(l->account, account) || !is_due(l, force, now))
			continue;
		if (!deliver_session_usable(ds))
			break;
		queue_entry_init(&e);
		if (queue_lock(q, l->id, &e, &lock_fd, &err)) {
			/* Re-check under the lock: another run may have
			 * changed it between the listing and now. */
			if (is_due(&e, force, now))
				send_one(acct, q, ds, &e);
			queue_unlock(lock_fd);
		}
		queue_entry_clear(&e);
	}
}

/* The connection could not be opened: every due message of the account
 * gets the failure as its attempt. */
static void
fail_group(const struct cfg_account *acct, struct queue *q,
	   const struct queue_entry *entries, size_t count,
	   const char *account, bool force, const struct mf_error *why)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < count; i++) {
		struct queue_entry e;
		struct mf_error err;
		int lock_fd = -1;

		if (!same_account(entries[i].account, account) ||
		    !is_due(&entries[i], force, now))
			continue;
		queue_entry_init(&e);
		if (queue_lock(q, entries[i].id, &e, &lock_fd, &err)) {
			if (why->cls == ERR_PERMANENT)
				for (size_t k = 0; k < e.rcpt_count; k++)
					if (e.rcpts[k].state ==
					    QUEUE_RCPT_PENDING)
						e.rcpts[k].state =
							QUEUE_RCPT_FAILED;
			record_outcome(acct, q, &e, why->msg);
			queue_unlock(lock_fd);
		}
		queue_entry_clear(&e);
	}
}

/* One pass over the queue: what is due, or with fresh_since >= 0 only the
 * messages queued since then and never tried (notices made by this run). */
static bool
run_pass(const struct cfg *cfg, struct queue *q, bool force,
	 long long fresh_since, struct mf_error *err)
{
	struct queue_entry *entries = NULL;
	size_t count = 0;
	time_t now = time(NULL);

	if (!queue_list(q, &entries, &count, err))
		return false;
	if (fresh_since >= 0) {
		for (size_t i = 0; i < count; i++)
			if (entries[i].created < fresh_since ||
			    entries[i].attempts > 0)
				entries[i].held = true; /* not in this pass */
	}
	for (size_t i = 0; i < count; i++) {
		const char *account = entries[i].account;
		const struct cfg_account *acct;
		struct deliver_session *ds = NULL;
		struct mf_error cerr;
		bool seen = false;

		/* Each account once, at its first due message. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = same_account(entries[j].account, account) &&
			       is_due(&entries[j], force, now);
		if (seen || !is_due(&entries[i], force, now))
			continue;
		acct = entry_account(cfg, &entries[i]);
		if (acct == NULL) {
			log_warn("queue %s: account '%s' is not in the "
				 "configuration; left queued", entries[i].id,
				 account ? account : "default");
			continue;
		}
		err_clear(&cerr);
		if (!deliver_open(acct, &ds, &cerr)) {
			log_warn("queue run for %s: %s",
				 account ? account : "the default account",
				 cerr.msg);
			fail_group(acct, q, entries, count, account, force,
				   &cerr);
			continue;
		}
		run_group(acct, q, ds, entries, count, account, force);
		deliver_close(ds);
	}
	queue_entries_free(entries, count);
	return true;
}

bool
flush_run(const struct cfg *cfg, struct queue *q, bool force,
	  struct mf_error *err)
{
	long long start = (long long)time(NULL);

	queue_clean(q, LEFTOVER_AGE);
	/* The second pass sends the failure notices the first one made. */
	return run_pass(cfg, q, force, -1, err) &&
	       run_pass(cfg, q, true, start, err);
}

void
flush_account(const struct cfg *cfg, const struct cfg_account *acct,
	      struct queue *q, struct deliver_session *ds)
{
	struct queue_entry *entries = NULL;
	size_t count = 0;
	struct mf_error err;

	(void)cfg;
	if (!queue_list(q, &entries, &count, &err))
		return;
	run_group(acct, q, ds, entries, count, acct->name, false);
	queue_entries_free(entries, count);
}
