/* submit.c: the sendmail mode, step by step (DESIGN.md "What the program
 * does, in order"): configuration, message intake into headers and a
 * spool file, envelope, header repair, delivery, per-recipient report. */
#include "config.h"

#include "submit.h"

#include "account.h"
#include "address/address.h"
#include "cli/options.h"
#include "config/config.h"
#include "deliver/deliver.h"
#include "flush.h"
#include "log/log.h"
#include "log/record.h"
#include "message/envelope.h"
#include "message/header.h"
#include "message/longlines.h"
#include "message/reader.h"
#include "message/repair.h"
#include "queue/queue.h"
#include "queue/spool.h"
#include "smtp/client.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <sysexits.h>
#include <unistd.h>

/* Read and drop what is left on fd, so a caller still writing never gets
 * SIGPIPE because we stopped early on an error. */
static void
drain(int fd)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
	}
}

/* Where the reader's body bytes go: the spool, and the long-line scan
 * (started at the first body byte, when the header block is complete). */
struct intake {
	struct spool *spool;
	struct msg_headers *headers;
	struct msg_longlines *ll;
};

static bool
intake_body(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct intake *in = ctx;

	if (in->ll == NULL)
		in->ll = msg_longlines_new(in->headers);
	msg_longlines_scan(in->ll, p, len);
	return spool_write(in->spool, p, len, err);
}

static enum msg_add
repair_mode(unsigned cfg_value)
{
	switch (cfg_value) {
	case CFG_REPAIR_ON:
		return MSG_ADD_ALWAYS;
	case CFG_REPAIR_OFF:
		return MSG_ADD_NEVER;
	default:
		return MSG_ADD_AUTO;
	}
}

/* Repair the headers as the account says: needs the clock, the host name
 * and randomness, which message/ does not touch. */
static bool
repair_headers(const struct cli_options *opts,
	       const struct cfg_account *acct, const char *sender,
	       struct msg_headers *headers, struct mf_error *err)
{
	char date[64], msgid[512], domain[256];
	unsigned char rnd[8];
	time_t now = time(NULL);
	struct tm local, utc;
	struct msg_repair r = {
		.remove_bcc = acct->remove_bcc_headers,
		.date = repair_mode(acct->set_date_header),
		.message_id = repair_mode(acct->set_msgid_header),
		.add_to = acct->set_to_header == CFG_REPAIR_AUTO,
		.from = repair_mode(acct->set_from_header),
		.undisclosed = acct->undisclosed_recipients,
		.from_to_reply_to = acct->from_reply_to,
		.encode = acct->encode_headers,
		.from_address = sender,
		.from_name = opts->full_name ? opts->full_name
					     : acct->from_full_name,
	};

	localtime_r(&now, &local);
	gmtime_r(&now, &utc);
	msg_format_date(&local, local.tm_gmtoff, date, sizeof(date));
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* Uniqueness still holds by time and process id. */
		memset(rnd, 0, sizeof(rnd));
	}
	bytes_host_name(acct->domain, domain, sizeof(domain));
	msg_format_message_id(&utc, (long)getpid(), rnd, domain, msgid,
			      sizeof(msgid));
	r.date_value = date;
	r.message_id_value = msgid;
	return msg_repair_apply(headers, &r, err);
}

/* The body for the DATA phase: the spool, through the long-line
 * rewriter when the scan found lines over 998 octets. */
struct body_source {
	struct spool *spool;
	struct msg_longlines *ll; /* NULL: send as read */
};

struct rewrite_pass {
	struct msg_longlines *ll;
	deliver_sink_fn sink;
	void *sink_ctx;
};

static bool
rewrite_chunk(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct rewrite_pass *rp = ctx;

	return msg_longlines_rewrite(rp->ll, p, len, rp->sink, rp->sink_ctx,
				     err);
}

static bool
body_produce(void *ctx, deliver_sink_fn sink, void *sink_ctx,
	     struct mf_error *err)
{
	struct body_source *src = ctx;
	struct rewrite_pass rp = { src->ll, sink, sink_ctx };

	if (src->ll == NULL)
		return spool_replay(src->spool, sink, sink_ctx, err);
	/* The body may be produced more than once (a failed delivery, then
	 * the queue): each time from the start. */
	msg_longlines_rewrite_restart(src->ll);
	return spool_replay(src->spool, rewrite_chunk, &rp, err) &&
	       msg_longlines_rewrite_end(src->ll, sink, sink_ctx, err);
}

static bool
count_bytes(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	(void)p;
	(void)err;
	*(unsigned long long *)ctx += len;
	return true;
}

/* The body's size on the wire (before dot-stuffing), for SIZE= (RFC 1870
 * 4). The spool holds the body as it came; re-encoded long lines make it
 * larger, and only a full pass tells by how much. */
static bool
body_size(struct body_source *src, unsigned long long *out,
	  struct mf_error *err)
{
	*out = 0;
	if (src->ll == NULL) {
		*out = (unsigned long long)src->spool->size;
		return true;
	}
	return body_produce(src, count_bytes, out, err);
}

/* The message as it goes on the wire (header block, then the body),
 * for the queue. */
struct wire_source {
	const struct deliver_job *job;
};

static bool
wire_produce(void *ctx, queue_sink_fn sink, void *sink_ctx,
	     struct mf_error *err)
{
	const struct deliver_job *job = ((struct wire_source *)ctx)->job;

	return sink(sink_ctx, job->head, job->head_len, err) &&
	       job->body(job->body_ctx, sink, sink_ctx, err);
}

/* Queue the message for the recipients marked pending in pending[] (all
 * when pending is NULL). why is the failed attempt that makes it wait
 * (NULL: none was made; the message is due at once); not_before, when
 * later, is the earliest next attempt (a rate limit). Sets id. Errors:
 * the queue's. */
static bool
enqueue(const struct cfg_account *acct, const struct deliver_job *job,
	const bool *pending, const struct mf_error *why, long long not_before,
	char *id, size_t id_size, struct mf_error *err)
{
	char path[4096];
	struct queue q;
	struct queue_entry e;
	struct wire_source src = { job };
	bool ok = false;

	if (!flush_queue_path(acct, path, sizeof(path))) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"no queue directory (set queue_dir or HOME)");
		return false;
	}
	if (!queue_open(path, true, &q, err))
		return false;
	queue_entry_init(&e);
	e.account = acct->name ? xstrdup(acct->name) : NULL;
	e.sender = xstrdup(job->sender);
	e.created = (long long)time(NULL);
	e.next_attempt = e.created;
	if (why) {
		e.attempts = 1;
		e.next_attempt += flush_retry_delay(1);
		e.last_error = xstrdup(why->msg);
	}
	if (not_before > e.next_attempt)
		e.next_attempt = not_before;
	e.dsn_notify = job->dsn_notify ? xstrdup(job->dsn_notify) : NULL;
	e.dsn_ret = job->dsn_ret ? xstrdup(job->dsn_ret) : NULL;
	e.dsn_envid = job->dsn_envid ? xstrdup(job->dsn_envid) : NULL;
	e.eight_bit = job->eight_bit;
	for (size_t i = 0; i < job->rcpt_count; i++)
		if (pending == NULL || pending[i])
			queue_entry_add_rcpt(&e, job->rcpts[i]);
	ok = queue_commit(&q, &e, wire_produce, &src, err);
	if (ok)
		snprintf(id, id_size, "%s", e.id);
	queue_entry_clear(&e);
	queue_close(&q);
	return ok;
}

/* delivery queue: commit the message, then deliver it (and whatever else
 * is due) from a detached child, so the caller returns at once. */
static bool
queue_now(const struct cfg *cfg, const struct cfg_account *acct,
	  const struct deliver_job *job, struct submit_outcome *res,
	  struct mf_error *err)
{
	char path[4096];
	pid_t pid;

	if (!enqueue(acct, job, NULL, NULL, 0, res->queue_id,
		     sizeof(res->queue_id), err)) {
		err_prefix(err, "cannot queue the message: ");
		return false;
	}
	res->queued = true;
	log_debug("queued as %s", res->queue_id);
	pid = fork();
	if (pid != 0)
		return true; /* queued; a failed fork leaves it for -q */
	/* The child: a session of its own, no terminal, stdio closed, so
	 * the caller (PHP, cron) is not kept waiting on our output. */
	setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	if (flush_queue_path(acct, path, sizeof(path))) {
		struct queue q;
		struct mf_error ferr;
		if (queue_open(path, false, &q, &ferr)) {
			flush_run(cfg, &q, false, NULL, &ferr);
			queue_close(&q);
		}
	}
	_exit(0);
}

/* After a delivery attempt: queue what can still be delivered later,
 * report what cannot. Returns true when every recipient was accepted or
 * queued; false with err the first permanent refusal (the others are
 * printed as warnings), or the temporary error when queueing failed. */
static bool
settle(const struct cfg_account *acct, const struct deliver_job *job,
       bool sent, const struct smtp_rcpt_result *results,
       struct submit_outcome *res, struct mf_error *err)
{
	struct mf_error attempt = *err, first_perm;
	bool *pending = xcalloc(job->rcpt_count + 1, sizeof(*pending));
	size_t npending = 0, nperm = 0;
	bool ok = false;

	err_clear(&first_perm);
	for (size_t i = 0; i < job->rcpt_count; i++) {
		const struct mf_error *why = &attempt;
		if (sent && results[i].accepted)
			continue;
		if (err_isset(&results[i].error))
			why = &results[i].error;
		if (why->cls == ERR_TEMPORARY) {
			pending[i] = true;
			npending++;
		} else {
			if (nperm++ == 0)
				first_perm = *why;
			else
				log_warn("%s", why->msg);
		}
	}
	res->delivered = job->rcpt_count - npending - nperm;
	res->deferred = npending;
	res->failed = nperm;
	if (npending > 0) {
		char *id = res->queue_id;
		struct mf_error qerr;
		const struct mf_error *why = &attempt;
		for (size_t i = 0; i < job->rcpt_count; i++)
			if (pending[i] && err_isset(&results[i].error)) {
				why = &results[i].error;
				break;
			}
		if (!err_isset(why))
			why = &attempt;
		if (enqueue(acct, job, pending, why, 0, id,
			    sizeof(res->queue_id), &qerr)) {
			res->queued = true;
			log_warn("delivery deferred (%s); queued as %s for "
				 "%zu recipient%s", why->msg, id, npending,
				 npending == 1 ? "" : "s");
		} else {
			/* No queue: the caller must keep the message. */
			*err = *why;
			err_prefix(err, "not queued (%s): ", qerr.msg);
			goto out;
		}
	}
	if (nperm > 0) {
		*err = first_perm;
		if (sent || npending > 0)
			err_prefix(err, "%zu of %zu recipients not reached; ",
				   nperm, job->rcpt_count);
		goto out;
	}
	err_clear(err);
	ok = true;
out:
	free(pending);
	return ok;
}

/* The primary smarthost failed temporarily before accepting anything:
 * try the account's fallback accounts in order (mailferry's "fallback"
 * keyword). On return *ds is the session of the last try and the job
 * still names the primary account, whose queue keeps what is left. */
static bool
try_fallbacks(struct account *a, struct deliver_job *job,
	      struct smtp_rcpt_result *results, size_t *accepted,
	      struct deliver_session **ds, struct mf_error *err)
{
	const char *p = a->acct.fallback;
	const struct cfg_account *primary = job->account;
	bool sent = false;

	while (p && *p && !sent && err->cls == ERR_TEMPORARY) {
		size_t n;
		char name[128];
		const struct cfg_account *fb;
		struct mf_error serr;

		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(n < 127 ? n : 127),
			 p);
		p += n;
		fb = cfg_select(&a->cfg, name, &serr);
		if (fb == NULL) {
			log_warn("fallback: %s", serr.msg);
			continue;
		}
		log_warn("%s; trying fallback account %s", err->msg, name);
		deliver_close(*ds);
		*ds = NULL;
		memset(results, 0, job->rcpt_count * sizeof(*results));
		*accepted = 0;
		job->account = fb;
		sent = deliver_open(fb, ds, err) &&
		       deliver_send(*ds, job, results, accepted, err);
	}
	job->account = primary;
	return sent;
}

/* The account's log line for this message (logfile, syslog). attempted:
 * the smarthost was tried (ds is the session when one was opened). */
static void
log_message(struct account *a, bool attempted, struct deliver_session *ds,
	    const char *sender, const struct addr_list *rcpts,
	    unsigned long long size, const struct submit_outcome *res,
	    bool ok, const struct mf_error *err)
{
	const struct cfg_account *acct = &a->acct;
	struct log_target t = {
		.logfile = acct->logfile,
		.time_format = acct->logfile_time_format,
		.syslog = acct->syslog,
	};
	struct deliver_info info;
	struct log_record r = {
		.account = acct->name,
		.user = acct->user,
		.from = sender,
		.rcpts = rcpts->addrs,
		.rcpt_count = rcpts->count,
		.size = size,
		.queue_id = res->queued ? res->queue_id : NULL,
	};

	if (t.logfile == NULL && t.syslog == NULL)
		return;
	deliver_session_info(ds, acct, &info);
	r.host = attempted ? info.host : NULL;
	r.port = info.port;
	r.tls = info.tls;
	r.auth_mech = info.auth_mech;
	if (ok) {
		r.outcome = res->queued ? (res->delivered ? "deferred"
							  : "queued")
					: "delivered";
		r.smtp_code = info.code;
		r.enhanced = info.enhanced;
		r.smtp_text = info.text;
		r.exit_code = EX_OK;
	} else {
		r.outcome = "failed";
		r.smtp_code = err->smtp_code;
		r.enhanced = err->enhanced;
		r.error = err->msg;
		r.exit_code = err->exit_code ? err->exit_code : EX_SOFTWARE;
	}
	log_record_write(&t, &r);
}

/* A message being read: headers in memory, the body in the spool. */
struct submission {
	struct msg_headers headers;
	struct spool spool;
	struct msg_reader reader;
	struct intake in;
	bool failed;  /* a push failed: the rest is dropped */
};

struct submission *
submission_new(bool dot_ends, struct mf_error *err)
{
	struct submission *s = xcalloc(1, sizeof(*s));

	msg_headers_init(&s->headers);
	s->spool.fd = -1;
	s->in.spool = &s->spool;
	s->in.headers = &s->headers;
	msg_reader_init(&s->reader, &s->headers, dot_ends, intake_body,
			&s->in);
	if (!spool_open(&s->spool, err)) {
		submission_free(s);
		return NULL;
	}
	return s;
}

void
submission_free(struct submission *s)
{
	if (s == NULL)
		return;
	msg_reader_clear(&s->reader);
	msg_longlines_free(s->in.ll);
	spool_close(&s->spool);
	msg_headers_clear(&s->headers);
	free(s);
}

bool
submission_write(struct submission *s, const char *p, size_t len,
		 struct mf_error *err)
{
	if (s->failed || msg_reader_done(&s->reader))
		return !s->failed;
	if (!msg_reader_push(&s->reader, p, len, err)) {
		err_prefix(err, "message: ");
		s->failed = true;
		return false;
	}
	return true;
}

bool
submission_complete(const struct submission *s)
{
	return msg_reader_done(&s->reader);
}

/* Read the whole message from fd. After an error the rest of the input
 * is still read, so a caller that is writing never gets SIGPIPE. */
static bool
read_message(int fd, struct submission *s, struct mf_error *err)
{
	char chunk[65536];

	while (!submission_complete(s)) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"reading the message: %s", strerror(errno));
			return false;
		}
		if (n == 0)
			break;
		if (!submission_write(s, chunk, (size_t)n, err)) {
			drain(fd);
			return false;
		}
	}
	return true;
}

/* The address named in the first From field, for --read-envelope-from
 * (NULL when there is none). Owned by the caller. */
static char *
header_from(const struct msg_headers *h)
{
	struct addr_list from;
	struct mf_error ignored;
	char *out = NULL;
	size_t i = msg_headers_find(h, "From", 0);

	if (i >= h->count)
		return NULL;
	addr_list_init(&from);
	size_t len;
	const char *v = msg_field_value(&h->fields[i], &len);
	if (addr_list_parse(v, len, &from, &ignored) && from.count > 0)
		out = xstrdup(from.addrs[0]);
	addr_list_clear(&from);
	return out;
}

/* The envelope sender: the caller's (-f, MAIL FROM, or From with
 * --read-envelope-from) unless the account forbids overriding it, else
 * the account's, else the From field, else the user. Qualified. */
static bool
final_sender(const struct account *a, const struct msg_headers *h,
	     const char *given, char **out, struct mf_error *err)
{
	const char *cli = a->acct.allow_from_override || a->sender == NULL
				  ? given : NULL;
	const char *cfgf = a->sender;
	char *raw = NULL;

	if (cli == NULL && cfgf == NULL &&
	    msg_headers_find(h, "From", 0) >= h->count)
		cfgf = a->facts.user;
	if (!msg_envelope_sender(h, cli, cfgf, &raw, err))
		return false;
	*out = account_qualify(a, raw);
	free(raw);
	return true;
}

bool
submission_send(struct submission *sub, const struct cli_options *opts,
		const struct submit_envelope *env, struct submit_outcome *res,
		struct mf_error *err)
{
	struct account a;
	const struct cfg_account *acct = &a.acct;
	struct addr_list rcpts;
	struct smtp_rcpt_result *results = NULL;
	struct buf head;
	char *sender = NULL, *given = NULL, *hint = NULL;
	size_t accepted = 0;
	bool ok = false, sent = false, have_account = false, logged = false;
	unsigned long long size = 0;
	long long stamp = 0, retry_at = 0;
	struct deliver_session *ds = NULL;
	struct body_source body = { .spool = &sub->spool };

	memset(res, 0, sizeof(*res));
	memset(&a, 0, sizeof(a));
	addr_list_init(&rcpts);
	buf_init(&head, LIMIT_HEADER_BLOCK + 2);
	if (sub->failed) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "message: not read");
		goto out;
	}
	if (!msg_reader_finish(&sub->reader, err)) {
		err_prefix(err, "message: ");
		goto out;
	}
	/* Lines over 998 octets: re-encode the parts that have them (the
	 * top-level headers change first, for a non-MIME body). */
	if (sub->in.ll && msg_longlines_scan_done(sub->in.ll)) {
		if (!msg_longlines_fix_headers(sub->in.ll, &sub->headers, err))
			goto out;
		body.ll = sub->in.ll;
	}
	/* The sender the caller named, as given (for MAIL FROM), and bare
	 * (to match the accounts' from against). */
	if (env->sender)
		given = xstrdup(env->sender);
	else if (opts->from)
		given = xstrdup(opts->from);
	else if (opts->read_envelope_from)
		given = header_from(&sub->headers);
	if (given) {
		struct mf_error ignored;
		if (!addr_parse_mailbox(given, &hint, &ignored))
			hint = xstrdup(given);
	}
	if (!account_setup(opts, hint, &a, err))
		goto out;
	have_account = true;
	if (!msg_envelope_recipients(&sub->headers, env->rcpts,
				     env->rcpt_count, env->read_recipients,
				     &rcpts, err) ||
	    !account_recipients(&a, &rcpts, err) ||
	    !final_sender(&a, &sub->headers, given, &sender, err) ||
	    !account_qualify_headers(&a, &sub->headers, err))
		goto out;
	if (!repair_headers(opts, acct, sender, &sub->headers, err) ||
	    !msg_headers_write(&sub->headers, &head, err) ||
	    !body_size(&body, &size, err))
		goto out;

	struct deliver_job job = {
		.account = acct,
		.sender = sender,
		.rcpts = rcpts.addrs,
		.rcpt_count = rcpts.count,
		.head = buf_cstr(&head),
		.head_len = head.len,
		.body = body_produce,
		.body_ctx = &body,
		.size = (unsigned long long)head.len + size,
		.eight_bit = sub->reader.eight_bit,
		.dsn_notify = acct->dsn_notify,
		.dsn_ret = acct->dsn_return == CFG_DSN_RETURN_FULL	? "FULL"
			   : acct->dsn_return == CFG_DSN_RETURN_HEADERS ? "HDRS"
									: NULL,
		.dsn_envid = opts->dsn_envid,
	};
	size = job.size;
	if (opts->queue_only) {
		ok = enqueue(acct, &job, NULL, NULL, 0, res->queue_id,
			     sizeof(res->queue_id), err);
		if (ok)
			res->queued = true;
		else
			err_prefix(err, "cannot queue the message: ");
		goto out;
	}
	if (acct->delivery == CFG_DELIVERY_QUEUE) {
		ok = queue_now(&a.cfg, acct, &job, res, err);
		goto out;
	}
	/* rate_limit: over it, the message waits in the queue for a slot
	 * (exit 0, as for any temporary failure). */
	if (!flush_rate_admit(acct, &stamp, &retry_at, err)) {
		struct mf_error why = *err;
		err_clear(err);
		ok = enqueue(acct, &job, NULL, NULL, retry_at, res->queue_id,
			     sizeof(res->queue_id), err);
		if (ok) {
			res->queued = true;
			res->deferred = job.rcpt_count;
			log_warn("%s; queued as %s", why.msg, res->queue_id);
		} else {
			err_prefix(err, "%s; cannot queue the message: ",
				   why.msg);
		}
		goto out;
	}
	results = xcalloc(rcpts.count, sizeof(*results));
	sent = deliver_open(acct, &ds, err) &&
	       deliver_send(ds, &job, results, &accepted, err);
	if (!sent && accepted == 0 && err->cls == ERR_TEMPORARY) {
		sent = try_fallbacks(&a, &job, results, &accepted, &ds, err);
		if (sent) /* the primary's provider never saw it */
			flush_rate_return(acct, stamp);
	}
	ok = settle(acct, &job, sent, results, res, err);
	/* Nothing went anywhere: the slot is not used up. */
	if (res->delivered == 0 && res->failed == 0)
		flush_rate_return(acct, stamp);
	log_message(&a, true, ds, sender, &rcpts, job.size, res, ok, err);
	logged = true;
	/* The connection is open and in step: take older queued messages
	 * along (only when a queue already exists; never create one here). */
	if (sent && deliver_session_usable(ds)) {
		char path[4096];
		struct queue q;
		struct mf_error qerr;
		if (flush_queue_path(acct, path, sizeof(path)) &&
		    queue_open(path, false, &q, &qerr)) {
			flush_account(&a.cfg, acct, &q, ds);
			queue_close(&q);
		}
	}
out:
	if (have_account && !logged)
		log_message(&a, false, NULL,
			    sender ? sender : hint ? hint : "",
			    &rcpts, size, res, ok, err);
	deliver_close(ds);
	free(results);
	free(sender);
	free(hint);
	free(given);
	buf_clear(&head);
	addr_list_clear(&rcpts);
	account_clear(&a);
	return ok;
}

bool
submit_run(const struct cli_options *opts, int in_fd, struct mf_error *err)
{
	struct submission *sub;
	struct submit_outcome res;
	struct submit_envelope env = {
		.rcpts = opts->recipients,
		.rcpt_count = opts->recipient_count,
		.read_recipients = opts->read_recipients,
	};
	bool ok;

	/* The message is read to the end first: the caller is answered only
	 * after its input is drained, whatever goes wrong later; nothing is
	 * sent before EOF (cron may kill us mid-message). */
	sub = submission_new(!opts->ignore_dots, err);
	if (sub == NULL) {
		drain(in_fd);
		return false;
	}
	ok = read_message(in_fd, sub, err) &&
	     submission_send(sub, opts, &env, &res, err);
	submission_free(sub);
	return ok;
}
