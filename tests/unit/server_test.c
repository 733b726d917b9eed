/* tests/unit/server_test.c: the SMTP server side (smtp/server.c) through
 * an in-memory stream: exact bytes of whole dialogues (HELO as Symfony
 * Mailer speaks it, EHLO, several transactions, pipelining, input split
 * byte by byte, bare LF), dot-unstuffing, every error reply, callbacks
 * that refuse, fail or answer 4xx/5xx, the end of input in each phase,
 * reply sanitising; and util/fdstream.c over pipes. */
#include "config.h"

#include "check.h"

#include "log/log.h"
#include "smtp/server.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fdstream.h"
#include "util/limits.h"
#include "util/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

/* ------------------------------------------------------ memory stream */

/* Counted literal, NUL bytes included. */
#define C(lit) { lit, sizeof(lit) - 1 }

struct chunk {
	const char *p; /* NULL ends the list */
	size_t len;
};

/* Each read returns (up to max_read bytes of) the next chunk; the end of
 * the list is the end of input (or a read error with read_error). Every
 * read appends "|" to written, so a test sees which replies were written
 * before the server waited for more input. */
struct mem_stream {
	struct stream base;
	const struct chunk *chunks;
	size_t next, off;
	size_t max_read;  /* 0: whole chunks */
	bool read_error;
	bool write_error;
	struct buf written;
	int writes;
};

static ssize_t
mem_read(struct stream *base, void *buf, size_t len, struct mf_error *err)
{
	struct mem_stream *m = (struct mem_stream *)base;
	const struct chunk *c = &m->chunks[m->next];
	size_t n;

	buf_append_byte(&m->written, '|');
	if (c->p == NULL) {
		if (m->read_error) {
			err_set(err, EX_IOERR, ERR_LOCAL, "read: test error");
			return -1;
		}
		return 0;
	}
	n = c->len - m->off;
	if (n > len)
		n = len;
	if (m->max_read && n > m->max_read)
		n = m->max_read;
	memcpy(buf, c->p + m->off, n);
	m->off += n;
	if (m->off == c->len) {
		m->next++;
		m->off = 0;
	}
	return (ssize_t)n;
}

static bool
mem_write(struct stream *base, const void *buf, size_t len,
	  struct mf_error *err)
{
	struct mem_stream *m = (struct mem_stream *)base;

	m->writes++;
	if (m->write_error) {
		err_set(err, EX_IOERR, ERR_LOCAL, "write: broken pipe");
		return false;
	}
	if (!buf_append(&m->written, buf, len)) {
		err_set(err, EX_IOERR, ERR_LOCAL, "memory stream full");
		return false;
	}
	return true;
}

static void
mem_close(struct stream *base)
{
	(void)base;
}

static void
mem_init(struct mem_stream *m, const struct chunk *chunks)
{
	memset(m, 0, sizeof(*m));
	m->base.name = "memory";
	m->base.read = mem_read;
	m->base.write = mem_write;
	m->base.close = mem_close;
	m->chunks = chunks;
	buf_init(&m->written, 64u * 1024 * 1024);
}

/* The written bytes without the "|" read markers. */
static char *
strip_markers(const struct buf *b, size_t *len)
{
	char *out = malloc(b->len + 1);
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] != '|')
			out[n++] = b->data[i];
	out[n] = '\0';
	*len = n;
	return out;
}

/* ------------------------------------------------------ callbacks */

struct rec {
	struct buf events; /* one line per callback */
	struct buf data;   /* every byte data_write got */
	int writes;
	size_t max_write;
	/* behaviour */
	int end_code;           /* data_end's answer, 0: 250 */
	const char *end_enhanced;
	const char *end_text;
	const char *fail_on;    /* data_write fails when it sees this */
	int fail_code;          /* with this SMTP code (0: none) */
	int rcpt_code;          /* refuse "bad..." recipients with this */
	const char *rcpt_enhanced;
	const char *rcpt_text;
	int start_code;         /* data_start's answer, 0: default */
};

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->events, 64u * 1024 * 1024);
	buf_init(&r->data, 64u * 1024 * 1024);
	r->rcpt_code = 550;
	r->rcpt_enhanced = "5.1.1";
	r->rcpt_text = "no such user";
}

static void
rec_clear(struct rec *r)
{
	buf_clear(&r->events);
	buf_clear(&r->data);
}

static const char *const body_names[] = { "-", "7BIT", "8BITMIME" };
static const char *const ret_names[] = { "-", "FULL", "HDRS" };

static void
cb_mail(void *ctx, const struct smtp_server_txn *txn,
	struct smtp_server_reply *reply)
{
	struct rec *r = ctx;

	buf_printf(&r->events, "MAIL <%s> helo=%s esmtp=%d body=%s size=%llu "
		   "ret=%s envid=%s rcpts=%zu\n", txn->from, txn->helo,
		   txn->esmtp, body_names[txn->body], txn->size,
		   ret_names[txn->ret], txn->envid ? txn->envid : "-",
		   txn->rcpt_count);
	if (strncmp(txn->from, "refuse", 6) == 0)
		smtp_server_reply_set(reply, 550, "5.7.1", "sender %s refused",
				      txn->from);
	if (strncmp(txn->from, "closing", 7) == 0)
		smtp_server_reply_set(reply, 421, "4.3.2", "shutting down");
}

static void
cb_rcpt(void *ctx, const struct smtp_server_txn *txn,
	const struct smtp_server_rcpt *rcpt, struct smtp_server_reply *reply)
{
	struct rec *r = ctx;

	buf_printf(&r->events, "RCPT <%s> notify=%u orcpt=%s have=%zu\n",
		   rcpt->path, rcpt->notify, rcpt->orcpt ? rcpt->orcpt : "-",
		   txn->rcpt_count);
	if (strncmp(rcpt->path, "bad", 3) == 0)
		smtp_server_reply_set(reply, r->rcpt_code, r->rcpt_enhanced,
				      "%s", r->rcpt_text);
}

static void
cb_data_start(void *ctx, const struct smtp_server_txn *txn,
	      struct smtp_server_reply *reply)
{
	struct rec *r = ctx;

	buf_printf(&r->events, "START rcpts=%zu\n", txn->rcpt_count);
	if (r->start_code)
		smtp_server_reply_set(reply, r->start_code, "4.3.1",
				      "spool full");
}

static bool
cb_data_write(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct rec *r = ctx;

	CHECK(len > 0);
	r->writes++;
	if (len > r->max_write)
		r->max_write = len;
	buf_append(&r->data, p, len);
	if (r->fail_on && strstr(buf_cstr(&r->data), r->fail_on)) {
		err_set(err, EX_DATAERR, ERR_PERMANENT, "header line too long");
		if (r->fail_code) {
			err->smtp_code = r->fail_code;
			snprintf(err->enhanced, sizeof(err->enhanced), "5.3.4");
		}
		return false;
	}
	return true;
}

static void
cb_data_end(void *ctx, const struct smtp_server_txn *txn,
	    struct smtp_server_reply *reply)
{
	struct rec *r = ctx;

	buf_printf(&r->events, "END from=<%s> rcpts=%zu:", txn->from,
		   txn->rcpt_count);
	for (size_t i = 0; i < txn->rcpt_count; i++)
		buf_printf(&r->events, " <%s>", txn->rcpts[i].path);
	buf_printf(&r->events, " bytes=%zu\n", r->data.len);
	if (r->end_code)
		smtp_server_reply_set(reply, r->end_code, r->end_enhanced,
				      "%s", r->end_text);
	else
		smtp_server_reply_set(reply, 250, "2.0.0", "queued as X");
}

static void
cb_data_abort(void *ctx, const struct smtp_server_txn *txn)
{
	struct rec *r = ctx;

	buf_printf(&r->events, "ABORT rcpts=%zu\n", txn->rcpt_count);
}

static const struct smtp_server_ops ops = {
	.mail = cb_mail,
	.rcpt = cb_rcpt,
	.data_start = cb_data_start,
	.data_write = cb_data_write,
	.data_end = cb_data_end,
	.data_abort = cb_data_abort,
};

static const struct smtp_server_ops ops_minimal = {
	.data_write = cb_data_write,
	.data_end = cb_data_end,
};

static const struct smtp_server_config cfg_default = {
	.host = "mx.test",
	.size_max = 10485760,
	.dsn = false,
};

#define GREETING "220 mx.test ESMTP mailferry\r\n"
#define BYE      "221 2.0.0 mx.test closing connection\r\n"
#define EHLO_REPLY                                                           \
	"250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"                  \
	"250-ENHANCEDSTATUSCODES\r\n250 SIZE 10485760\r\n"
#define GO "354 end data with <CR><LF>.<CR><LF>\r\n"

struct run {
	struct mem_stream m;
	struct rec rec;
	struct mf_error err;
	bool ok;
};

static void
run_cfg(struct run *r, const struct chunk *in, size_t max_read,
	const struct smtp_server_config *cfg,
	const struct smtp_server_ops *o)
{
	mem_init(&r->m, in);
	r->m.max_read = max_read;
	err_clear(&r->err);
	r->ok = smtp_server_run(&r->m.base, cfg, o, &r->rec, &r->err);
}

static void
run_clear(struct run *r)
{
	buf_clear(&r->m.written);
	rec_clear(&r->rec);
}

#define CHECK_WRITTEN(r, want)                                               \
	CHECK_MEM((r)->m.written.data, (r)->m.written.len, want,             \
		  sizeof(want) - 1)
#define CHECK_DATA(r, want)                                                  \
	CHECK_MEM((r)->rec.data.data, (r)->rec.data.len, want,               \
		  sizeof(want) - 1)

/* ------------------------------------------------------ dialogues */

/* As Symfony Mailer's SendmailTransport with -bs: HELO, one message,
 * every command waiting for its reply, QUIT. */
static void
test_symfony_helo(void)
{
	static const struct chunk in[] = {
		C("HELO [127.0.0.1]\r\n"),
		C("MAIL FROM:<sender@example.org>\r\n"),
		C("RCPT TO:<to@example.org>\r\n"),
		C("DATA\r\n"),
		C("From: sender@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
		  ".\r\n"),
		C("QUIT\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		GREETING "|250 mx.test\r\n"
		"|250 2.1.0 sender ok\r\n"
		"|250 2.1.5 recipient ok\r\n"
		"|" GO
		"|250 2.0.0 queued as X\r\n"
		"|" BYE;
	static const char events[] =
		"MAIL <sender@example.org> helo=[127.0.0.1] esmtp=0 body=- "
		"size=0 ret=- envid=- rcpts=0\n"
		"RCPT <to@example.org> notify=0 orcpt=- have=0\n"
		"START rcpts=1\n"
		"END from=<sender@example.org> rcpts=1: <to@example.org> "
		"bytes=47\n";
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK(!err_isset(&r.err));
	CHECK_WRITTEN(&r, want);
	CHECK_DATA(&r, "From: sender@example.org\r\nSubject: hi\r\n\r\n"
		       "body\r\n");
	CHECK_STR(buf_cstr(&r.rec.events), events);
	CHECK(r.m.writes == 7);
	run_clear(&r);
}

/* EHLO, the capabilities with and without DSN and a size limit, and the
 * DSN parameters stored for the callbacks. */
static void
test_ehlo(void)
{
	static const struct chunk in[] = {
		C("EHLO client.example\r\n"),
		C("MAIL FROM:<a@example.org> RET=HDRS ENVID=id+2B1 "
		  "body=8bitmime SIZE=100\r\n"),
		C("RCPT TO:<b@example.org> NOTIFY=SUCCESS,failure "
		  "ORCPT=rfc822;b+40example.org\r\n"),
		C("RCPT TO:<c@example.org> NOTIFY=NEVER\r\n"),
		C("QUIT\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		GREETING "|250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
		"250-ENHANCEDSTATUSCODES\r\n250-SIZE\r\n250 DSN\r\n"
		"|250 2.1.0 sender ok\r\n"
		"|250 2.1.5 recipient ok\r\n"
		"|250 2.1.5 recipient ok\r\n"
		"|" BYE;
	static const char events[] =
		"MAIL <a@example.org> helo=client.example esmtp=1 "
		"body=8BITMIME size=100 ret=HDRS envid=id+2B1 rcpts=0\n"
		"RCPT <b@example.org> notify=6 orcpt=rfc822;b+40example.org "
		"have=0\n"
		"RCPT <c@example.org> notify=1 orcpt=- have=1\n";
	const struct smtp_server_config cfg = { "mx.test", 0, true, false };
	static const struct chunk ehlo_only[] = {
		C("EHLO c\r\n"), { NULL, 0 },
	};
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	CHECK_STR(buf_cstr(&r.rec.events), events);
	run_clear(&r);

	/* the default: a size limit, no DSN; end of input after EHLO */
	rec_init(&r.rec);
	run_cfg(&r, ehlo_only, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, GREETING "|" EHLO_REPLY "|");
	run_clear(&r);
}

/* Two messages in one session with RSET and NOOP between them (as a
 * mailer that keeps the transport open does), and commands in lower
 * case. */
static void
test_two_transactions(void)
{
	static const struct chunk in[] = {
		C("EHLO c\r\n"),
		C("MAIL FROM:<a@x.example>\r\n"),
		C("RCPT TO:<b@x.example>\r\n"),
		C("DATA\r\n"),
		C("one\r\n.\r\n"),
		C("RSET\r\n"),
		C("NOOP\r\n"),
		C("mail from:<>\r\n"),
		C("rcpt to:<c@x.example>\r\n"),
		C("rcpt to:<d@x.example>\r\n"),
		C("rset\r\n"),
		C("data\r\n"),
		C("Mail From:<e@x.example>\r\n"),
		C("Rcpt To:<f@x.example>\r\n"),
		C("Data\r\n"),
		C("two\r\n.\r\n"),
		C("quit\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		GREETING "|" EHLO_REPLY
		"|250 2.1.0 sender ok\r\n"
		"|250 2.1.5 recipient ok\r\n"
		"|" GO "|250 2.0.0 queued as X\r\n"
		"|250 2.0.0 ok\r\n"
		"|250 2.0.0 ok\r\n"
		"|250 2.1.0 sender ok\r\n"
		"|250 2.1.5 recipient ok\r\n"
		"|250 2.1.5 recipient ok\r\n"
		"|250 2.0.0 ok\r\n"
		"|503 5.5.1 need MAIL before DATA\r\n"
		"|250 2.1.0 sender ok\r\n"
		"|250 2.1.5 recipient ok\r\n"
		"|" GO "|250 2.0.0 queued as X\r\n"
		"|" BYE;
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	CHECK_DATA(&r, "one\r\ntwo\r\n");
	CHECK(strstr(buf_cstr(&r.rec.events),
		     "END from=<a@x.example> rcpts=1: <b@x.example>") != NULL);
	CHECK(strstr(buf_cstr(&r.rec.events),
		     "END from=<e@x.example> rcpts=1: <f@x.example>") != NULL);
	CHECK(strstr(buf_cstr(&r.rec.events), "ABORT") == NULL);
	run_clear(&r);
}

/* MAIL, RCPT, RCPT, DATA in one read: the four replies leave in one
 * write, before the server reads the data; data and QUIT pipelined
 * after the final dot are answered in order. */
static const struct chunk pipelined_in[] = {
	C("EHLO c\r\n"),
	C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"
	  "RCPT TO:<bad@d.example>\r\nRCPT TO:<e@d.example>\r\nDATA\r\n"),
	C("Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n"),
	{ NULL, 0 },
};
static const char pipelined_want[] =
	GREETING "|" EHLO_REPLY
	"|250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
	"550 5.1.1 no such user\r\n250 2.1.5 recipient ok\r\n" GO
	"|250 2.0.0 queued as X\r\n" BYE;

static void
test_pipelined(void)
{
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, pipelined_in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, pipelined_want);
	CHECK(r.m.writes == 5); /* greeting, EHLO, group, data reply, QUIT */
	CHECK_DATA(&r, "Subject: x\r\n\r\nhello\r\n");
	CHECK(strstr(buf_cstr(&r.rec.events),
		     "rcpts=2: <c@d.example> <e@d.example>") != NULL);
	run_clear(&r);
}

/* The same dialogues delivered one byte per read give the same replies
 * and the same data. */
static void
test_bytewise(void)
{
	static const struct chunk dots_in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
		  "a.b\r\n..\r\n...\r\n.x\r\n. \r\n.\rx\r\n\r\n"
		  ".\r\nQUIT\r\n"),
		{ NULL, 0 },
	};
	static const char dots_want[] =
		GREETING "250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO "250 2.0.0 queued as X\r\n"
		BYE;
	static const char want[] = GREETING EHLO_REPLY
		"250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
		"550 5.1.1 no such user\r\n250 2.1.5 recipient ok\r\n" GO
		"250 2.0.0 queued as X\r\n" BYE;
	struct run r;
	char *got;
	size_t len;

	rec_init(&r.rec);
	run_cfg(&r, pipelined_in, 1, &cfg_default, &ops);
	CHECK(r.ok);
	got = strip_markers(&r.m.written, &len);
	CHECK_MEM(got, len, want, sizeof(want) - 1);
	free(got);
	CHECK_DATA(&r, "Subject: x\r\n\r\nhello\r\n");
	run_clear(&r);

	/* dot-unstuffing across every possible chunk border */
	rec_init(&r.rec);
	run_cfg(&r, dots_in, 1, &cfg_default, &ops);
	CHECK(r.ok);
	got = strip_markers(&r.m.written, &len);
	CHECK_MEM(got, len, dots_want, sizeof(dots_want) - 1);
	free(got);
	CHECK_DATA(&r, "a.b\r\n.\r\n..\r\nx\r\n \r\n\rx\r\n\r\n");
	run_clear(&r);
}

/* RFC 5321 4.5.2 in one read: one leading dot removed, dots inside a
 * line kept, a lone dot ends the data; a dot line with trailing text is
 * not the end. */
static void
test_dot_unstuffing(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C("..leading\r\nmid.dle.\r\n..\r\n.end of data? no\r\n"
		  ". .\r\n"),
		C(".\r\n"),
		C("QUIT\r\n"),
		{ NULL, 0 },
	};
	static const struct chunk empty_in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C(".\r\nQUIT\r\n"),
		{ NULL, 0 },
	};
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_DATA(&r, ".leading\r\nmid.dle.\r\n.\r\nend of data? no\r\n"
		       " .\r\n");
	run_clear(&r);

	/* an empty message: data_write is never called, data_end is */
	rec_init(&r.rec);
	run_cfg(&r, empty_in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK(r.rec.writes == 0);
	CHECK(strstr(buf_cstr(&r.rec.events), "END from=<a@b>") != NULL);
	run_clear(&r);
}

/* Bare LF line ends in commands and data; they are kept in the data. */
static void
test_bare_lf(void)
{
	static const struct chunk in[] = {
		C("HELO x\nMAIL FROM:<a@b>\nRCPT TO:<c@d>\nDATA\n"),
		C("line1\n..dot\nline3\r\n.\nQUIT\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		GREETING "|250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|250 2.0.0 queued as X\r\n" BYE;
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	CHECK_DATA(&r, "line1\n.dot\nline3\r\n");
	run_clear(&r);
}

/* A large message goes to data_write in bounded pieces. */
static void
test_streaming(void)
{
	size_t body = 300000;
	char *msg = malloc(body + 3);
	struct chunk in[4];
	struct run r;

	for (size_t i = 0; i < body; i++)
		msg[i] = (i % 100 == 99) ? '\n' : 'a' + (char)(i % 26);
	memcpy(msg + body, ".\n", 3);
	in[0] = (struct chunk)C("HELO x\r\nMAIL FROM:<a@b>\r\n"
				"RCPT TO:<c@d>\r\nDATA\r\n");
	in[1] = (struct chunk){ msg, body + 2 };
	in[2] = (struct chunk)C("QUIT\r\n");
	in[3] = (struct chunk){ NULL, 0 };
	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK(r.rec.data.len == body);
	CHECK(r.rec.data.len == body && memcmp(r.rec.data.data, msg, body) == 0);
	CHECK(r.rec.max_write <= 65536);
	CHECK(r.rec.writes >= 5);
	run_clear(&r);
	free(msg);
}

/* ------------------------------------------------------ error replies */

static const struct {
	struct chunk in;  /* QUIT is appended */
	const char *want; /* after the greeting, before 221 */
} error_cases[] = {
	/* order */
	{ C("MAIL FROM:<a@b>\r\n"), "503 5.5.1 send HELO or EHLO first\r\n" },
	{ C("RCPT TO:<a@b>\r\n"), "503 5.5.1 need MAIL before RCPT\r\n" },
	{ C("HELO x\r\nRCPT TO:<a@b>\r\n"),
	  "250 mx.test\r\n503 5.5.1 need MAIL before RCPT\r\n" },
	{ C("HELO x\r\nDATA\r\n"),
	  "250 mx.test\r\n503 5.5.1 need MAIL before DATA\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nDATA\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n"
	  "503 5.5.1 need RCPT before DATA\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n"
	  "503 5.5.1 nested MAIL command\r\n" },
	/* HELO/EHLO again resets the transaction */
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nHELO y\r\n"
	    "DATA\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
	  "250 mx.test\r\n503 5.5.1 need MAIL before DATA\r\n" },
	/* a refused recipient does not count */
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bad@d>\r\nDATA\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n550 5.1.1 no such user\r\n"
	  "503 5.5.1 need RCPT before DATA\r\n" },
	/* a refused sender leaves no transaction */
	{ C("HELO x\r\nMAIL FROM:<refuse@b>\r\nRCPT TO:<c@d>\r\n"),
	  "250 mx.test\r\n550 5.7.1 sender refuse@b refused\r\n"
	  "503 5.5.1 need MAIL before RCPT\r\n" },
	/* HELO/EHLO syntax */
	{ C("HELO\r\n"), "501 5.5.4 syntax: HELO domain\r\n" },
	{ C("EHLO \r\n"), "501 5.5.4 syntax: EHLO domain\r\n" },
	{ C("HELO a\x01z\r\n"), "501 5.5.4 bad domain name\r\n" },
	{ C("HELO  x extra words\r\nNOOP\r\n"),
	  "250 mx.test\r\n250 2.0.0 ok\r\n" },
	/* MAIL/RCPT syntax */
	{ C("HELO x\r\nMAIL FRM:<a@b>\r\n"),
	  "250 mx.test\r\n501 5.5.4 syntax: MAIL FROM:<address>\r\n" },
	{ C("HELO x\r\nMAIL\r\n"),
	  "250 mx.test\r\n501 5.5.4 syntax: MAIL FROM:<address>\r\n" },
	{ C("HELO x\r\nMAIL FROM:a@b\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: address must be in "
	  "angle brackets\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: missing \">\"\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a b@c>\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: bad address "
	  "syntax\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a..b@c>\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: bad address "
	  "syntax\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@-c>\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: bad address "
	  "syntax\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@c.>\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: bad address "
	  "syntax\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a\x01@c>\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: control character "
	  "in address\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a\0b@c>\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: control character "
	  "in address\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a\rb@c>\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: control character "
	  "in address\r\n" },
	{ C("HELO x\r\nMAIL FROM:<\xc3\xa9@c>\r\n"),
	  "250 mx.test\r\n501 5.1.7 bad sender address: non-ASCII address "
	  "(SMTPUTF8 is not offered)\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>x\r\n"),
	  "250 mx.test\r\n501 5.5.4 garbage after the address\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<>\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n501 5.1.3 bad recipient "
	  "address: empty address\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:c@d\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n501 5.1.3 bad recipient "
	  "address: address must be in angle brackets\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TOO:<c@d>\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n"
	  "501 5.5.4 syntax: RCPT TO:<address>\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<@x,c@d>\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n501 5.1.3 bad recipient "
	  "address: bad address syntax\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<\"unterminated@d>\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n501 5.1.3 bad recipient "
	  "address: missing \">\"\r\n" },
	/* accepted forms */
	{ C("HELO x\r\nMAIL FROM: <a@b>\r\nRCPT TO: <\"john doe\"@d>\r\n"
	    "RCPT TO:<@r1.example,@r2.example:e@[192.0.2.1]>\r\n"
	    "RCPT TO:<Postmaster>\r\nRCPT TO:<f@my_host.lan>\r\n"
	    "RCPT TO:<\"q\\\"x\"@d> \r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
	  "250 2.1.5 recipient ok\r\n250 2.1.5 recipient ok\r\n"
	  "250 2.1.5 recipient ok\r\n250 2.1.5 recipient ok\r\n" },
	/* parameters */
	{ C("HELO x\r\nMAIL FROM:<a@b> FOO=bar\r\n"),
	  "250 mx.test\r\n555 5.5.4 unknown parameter FOO\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> RET=FULL\r\n"),
	  "250 mx.test\r\n555 5.5.4 unknown parameter RET\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d> SIZE=1\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n"
	  "555 5.5.4 unknown parameter SIZE\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> SIZE=10485761\r\n"),
	  "250 mx.test\r\n552 5.3.4 message size exceeds the limit of "
	  "10485760 bytes\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> SIZE=99999999999999999999999\r\n"),
	  "250 mx.test\r\n552 5.3.4 message size exceeds the limit of "
	  "10485760 bytes\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>  SIZE=10485760  BODY=7bit\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> SIZE=12a\r\n"),
	  "250 mx.test\r\n501 5.5.4 bad SIZE value\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> SIZE\r\n"),
	  "250 mx.test\r\n501 5.5.4 parameter SIZE needs a value\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> SIZE=\r\n"),
	  "250 mx.test\r\n501 5.5.4 bad parameter syntax\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\n"),
	  "250 mx.test\r\n501 5.5.4 bad BODY value\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> BODY=7BIT body=8BITMIME\r\n"),
	  "250 mx.test\r\n501 5.5.4 duplicate parameter body\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b> -X=1\r\n"),
	  "250 mx.test\r\n501 5.5.4 bad parameter syntax\r\n" },
	/* other commands */
	{ C("FOO\r\n"), "500 5.5.2 command not recognized\r\n" },
	{ C("\r\n"), "500 5.5.2 command not recognized\r\n" },
	{ C(" HELO x\r\n"), "500 5.5.2 command not recognized\r\n" },
	{ C("STARTTLS\r\n"), "502 5.5.1 STARTTLS not implemented\r\n" },
	{ C("AUTH PLAIN AGZvbwBiYXI=\r\n"), "502 5.5.1 AUTH not implemented\r\n" },
	{ C("EXPN staff\r\n"), "502 5.5.1 EXPN not implemented\r\n" },
	{ C("VRFY root\r\n"),
	  "252 2.0.0 cannot verify; send RCPT to try delivery\r\n" },
	{ C("VRFY\r\n"), "501 5.5.4 syntax: VRFY address\r\n" },
	{ C("HELP\r\n"), "214 2.0.0 commands: HELO EHLO MAIL RCPT DATA RSET "
			 "NOOP QUIT VRFY HELP\r\n" },
	{ C("NOOP anything\r\n"), "250 2.0.0 ok\r\n" },
	{ C("RSET\r\n"), "250 2.0.0 ok\r\n" },
	{ C("RSET x\r\n"), "501 5.5.4 syntax: RSET takes no arguments\r\n" },
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA now\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
	  "501 5.5.4 syntax: DATA takes no arguments\r\n" },
	/* BDAT is refused and its chunk dropped: "QUIT\r\n" is data */
	{ C("HELO x\r\nBDAT 6 LAST\r\nQUIT\r\nNOOP\r\n"),
	  "250 mx.test\r\n502 5.5.1 BDAT not implemented\r\n"
	  "250 2.0.0 ok\r\n" },
	/* data_start refusing DATA keeps the transaction */
	{ C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nDATA\r\n"),
	  "250 mx.test\r\n250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
	  "452 4.3.1 spool full\r\n452 4.3.1 spool full\r\n" },
};

static void
test_error_replies(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]);
	     i++) {
		struct buf in, want;
		struct chunk chunks[2];
		struct run r;
		int before = check_failures;

		buf_init(&in, 1 << 20);
		buf_init(&want, 1 << 20);
		buf_append(&in, error_cases[i].in.p, error_cases[i].in.len);
		buf_append_str(&in, "QUIT\r\n");
		buf_append_str(&want, GREETING "|");
		buf_append_str(&want, error_cases[i].want);
		buf_append_str(&want, BYE);
		chunks[0] = (struct chunk){ in.data, in.len };
		chunks[1] = (struct chunk){ NULL, 0 };
		rec_init(&r.rec);
		if (i == sizeof(error_cases) / sizeof(error_cases[0]) - 1)
			r.rec.start_code = 452;
		run_cfg(&r, chunks, 0, &cfg_default, &ops);
		CHECK(r.ok);
		CHECK_MEM(r.m.written.data, r.m.written.len, want.data,
			  want.len);
		if (check_failures != before)
			fprintf(stderr, "  in error case %zu\n", i);
		run_clear(&r);
		buf_clear(&in);
		buf_clear(&want);
	}
}

/* What the callbacks saw for the accepted forms: route dropped, quotes
 * kept, unqualified names passed on. */
static void
test_paths_stored(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<@r.example:a@b>\r\n"
		  "RCPT TO:<\"john doe\"@d>\r\n"
		  "RCPT TO:<@r1.example,@r2.example:e@[192.0.2.1]>\r\n"
		  "RCPT TO:<Postmaster>\r\n"),
		{ NULL, 0 },
	};
	static const char events[] =
		"MAIL <a@b> helo=x esmtp=0 body=- size=0 ret=- envid=- "
		"rcpts=0\n"
		"RCPT <\"john doe\"@d> notify=0 orcpt=- have=0\n"
		"RCPT <e@[192.0.2.1]> notify=0 orcpt=- have=1\n"
		"RCPT <Postmaster> notify=0 orcpt=- have=2\n";
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok); /* end of input outside DATA: nothing delivered */
	CHECK_STR(buf_cstr(&r.rec.events), events);
	run_clear(&r);
}

/* SMTPUTF8 (RFC 6531) when configured: advertised; UTF-8 in local parts,
 * quoted strings and domains, stored as sent, in a transaction whose MAIL
 * said SMTPUTF8; malformed UTF-8, a non-ASCII quoted pair, a value on the
 * keyword and UTF-8 outside such a transaction are refused. */
static void
test_smtputf8(void)
{
	static const struct smtp_server_config cfg = {
		.host = "mx.test", .size_max = 0, .smtputf8 = true,
	};
	static const struct chunk in[] = {
		C("EHLO c\r\n"
		  "MAIL FROM:<\xea\xb9\x80@\xec\x98\x88\xec\x8b\x9c.kr> SMTPUTF8\r\n"
		  "RCPT TO:<\"j\xc3\xb6 d\"@b.example>\r\n"
		  "RCPT TO:<ascii@b.example>\r\n"
		  "RCPT TO:<caf\xe9@b.example>\r\n"
		  "RCPT TO:<\"a\\\xc3\xa9\"@b.example>\r\n"
		  "RSET\r\n"
		  "MAIL FROM:<a@b.example>\r\n"
		  "RCPT TO:<\xc3\xa9@b.example>\r\n"
		  "RSET\r\n"
		  "MAIL FROM:<\xc3\xa9@b.example>\r\n"
		  "MAIL FROM:<a@b.example> SMTPUTF8=yes\r\n"
		  "QUIT\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		"220 mx.test ESMTP mailferry\r\n|"
		"250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
		"250-ENHANCEDSTATUSCODES\r\n250-SIZE\r\n250 SMTPUTF8\r\n"
		"250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n"
		"250 2.1.5 recipient ok\r\n"
		"501 5.1.3 bad recipient address: malformed UTF-8 in "
		"address\r\n"
		"501 5.1.3 bad recipient address: bad address syntax\r\n"
		"250 2.0.0 ok\r\n"
		"250 2.1.0 sender ok\r\n"
		"553 5.6.7 non-ASCII recipient address needs SMTPUTF8 on "
		"MAIL\r\n"
		"250 2.0.0 ok\r\n"
		"553 5.6.7 non-ASCII sender address needs SMTPUTF8 on MAIL\r\n"
		"501 5.5.4 SMTPUTF8 takes no value\r\n"
		BYE;
	static const char events[] =
		"MAIL <\xea\xb9\x80@\xec\x98\x88\xec\x8b\x9c.kr> helo=c esmtp=1 "
		"body=- size=0 ret=- envid=- rcpts=0\n"
		"RCPT <\"j\xc3\xb6 d\"@b.example> notify=0 orcpt=- have=0\n"
		"RCPT <ascii@b.example> notify=0 orcpt=- have=1\n"
		"MAIL <a@b.example> helo=c esmtp=1 body=- size=0 ret=- envid=- "
		"rcpts=0\n";
	/* Not configured: the keyword is unknown, as before. */
	static const struct chunk off[] = {
		C("EHLO c\r\nMAIL FROM:<a@b.example> SMTPUTF8\r\nQUIT\r\n"),
		{ NULL, 0 },
	};
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg, &ops);
	CHECK(r.ok);
	CHECK_MEM(r.m.written.data, r.m.written.len, want, sizeof(want) - 1);
	CHECK_STR(buf_cstr(&r.rec.events), events);
	run_clear(&r);

	rec_init(&r.rec);
	run_cfg(&r, off, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, GREETING "|" EHLO_REPLY
		      "555 5.5.4 unknown parameter SMTPUTF8\r\n" BYE);
	run_clear(&r);
}

/* A path of exactly 256 octets passes, 257 does not. */
static void
test_path_length(void)
{
	for (size_t len = 255; len <= 258; len++) {
		struct buf in;
		struct chunk chunks[2];
		struct run r;
		/* "<" + local + "@b.example" + ">" */
		size_t local = len - 2 - 10;

		buf_init(&in, 4096);
		buf_append_str(&in, "HELO x\r\nMAIL FROM:<");
		for (size_t i = 0; i < local; i++)
			buf_append_byte(&in, 'l');
		buf_append_str(&in, "@b.example>\r\n");
		chunks[0] = (struct chunk){ in.data, in.len };
		chunks[1] = (struct chunk){ NULL, 0 };
		rec_init(&r.rec);
		run_cfg(&r, chunks, 0, &cfg_default, &ops);
		CHECK(r.ok);
		if (len <= 256)
			CHECK(strstr(r.m.written.data, "250 2.1.0") != NULL);
		else
			CHECK(strstr(r.m.written.data, "501 5.1.7 bad sender "
				     "address: address too long\r\n") != NULL);
		run_clear(&r);
		buf_clear(&in);
	}
}

/* A command line that does not fit LIMIT_COMMAND_LINE is answered once
 * with 500 when its end arrives; the next command works. A data line of
 * any length passes. */
static void
test_long_lines(void)
{
	size_t big = LIMIT_COMMAND_LINE + 10;
	char *line = malloc(big);
	char *data = malloc(big + 1);
	struct chunk in[8];
	struct run r;
	static const char want[] =
		GREETING "|250 mx.test\r\n"
		"||||500 5.5.2 line too long\r\n250 2.0.0 ok\r\n"
		"250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n" GO
		"|||250 2.0.0 queued as X\r\n" BYE;

	memset(line, 'x', big);
	memcpy(line, "NOOP ", 5);
	memset(data, 'd', big);
	data[big] = '\n';
	in[0] = (struct chunk)C("HELO x\r\n");
	in[1] = (struct chunk){ line, big };
	in[2] = (struct chunk){ line, 100 };
	in[3] = (struct chunk)C("\r\nNOOP\r\nMAIL FROM:<a@b>\r\n"
				"RCPT TO:<c@d>\r\nDATA\r\n");
	in[4] = (struct chunk){ data, big + 1 };
	in[5] = (struct chunk)C(".\r\nQUIT\r\n");
	in[6] = (struct chunk){ NULL, 0 };
	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	CHECK(r.rec.data.len == big + 1);
	run_clear(&r);

	/* the longest line that fits: LIMIT_COMMAND_LINE with its CRLF */
	memset(line, ' ', big);
	memcpy(line, "NOOP", 4);
	line[LIMIT_COMMAND_LINE - 2] = '\r';
	line[LIMIT_COMMAND_LINE - 1] = '\n';
	in[1] = (struct chunk){ line, LIMIT_COMMAND_LINE };
	in[2] = (struct chunk)C("QUIT\r\n");
	in[3] = (struct chunk){ NULL, 0 };
	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, GREETING "|250 mx.test\r\n|250 2.0.0 ok\r\n|" BYE);
	run_clear(&r);
	free(line);
	free(data);
}

/* LIMIT_RECIPIENTS recipients are taken, the next gets 452 4.5.3. */
static void
test_too_many_recipients(void)
{
	static const char rcpt[] = "RCPT TO:<a@b>\r\n";
	struct buf in;
	struct chunk chunks[2];
	struct run r;
	const char *tail = "250 2.1.5 recipient ok\r\n"
			   "452 4.5.3 too many recipients\r\n" BYE;
	size_t tl = strlen(tail), len;
	char *got;

	buf_init(&in, 64u * 1024 * 1024);
	buf_append_str(&in, "HELO x\r\nMAIL FROM:<a@b>\r\n");
	for (size_t i = 0; i < LIMIT_RECIPIENTS + 1; i++)
		buf_append(&in, rcpt, sizeof(rcpt) - 1);
	buf_append_str(&in, "QUIT\r\n");
	chunks[0] = (struct chunk){ in.data, in.len };
	chunks[1] = (struct chunk){ NULL, 0 };
	rec_init(&r.rec);
	run_cfg(&r, chunks, 0, &cfg_default, &ops_minimal);
	CHECK(r.ok);
	got = strip_markers(&r.m.written, &len);
	CHECK(len > tl && memcmp(got + len - tl, tail, tl) == 0);
	free(got);
	run_clear(&r);
	buf_clear(&in);
}

/* ------------------------------------------------------ callbacks */

static const struct chunk refused_rcpt_in[] = {
	C("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bad@d>\r\n"
	  "RCPT TO:<good@d>\r\nDATA\r\n"),
	C("x\r\n.\r\nQUIT\r\n"),
	{ NULL, 0 },
};

/* A recipient refused by the callback, with CR/LF and 8-bit bytes in
 * its text and a malformed enhanced code; a code out of range. */
static void
test_callback_refuses(void)
{
	struct run r;
	static const char want[] =
		GREETING "|" EHLO_REPLY "250 2.1.0 sender ok\r\n"
		"553 5.0.0 no?  such user  250 injected\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|250 2.0.0 queued as X\r\n" BYE;
	static const char want_odd[] =
		GREETING "|" EHLO_REPLY "250 2.1.0 sender ok\r\n"
		"451 4.3.0 odd\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|250 2.0.0 queued as X\r\n" BYE;

	rec_init(&r.rec);
	r.rec.rcpt_code = 553;
	r.rec.rcpt_enhanced = "5.1";
	r.rec.rcpt_text = "no\xff\r\nsuch user\r\n250 injected";
	run_cfg(&r, refused_rcpt_in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	CHECK(strstr(buf_cstr(&r.rec.events), "rcpts=1: <good@d>") != NULL);
	run_clear(&r);

	/* 3xx is not a refusal: sent as 451 4.3.0 */
	rec_init(&r.rec);
	r.rec.rcpt_code = 354;
	r.rec.rcpt_enhanced = "2.1.5";
	r.rec.rcpt_text = "odd";
	run_cfg(&r, refused_rcpt_in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want_odd);
	run_clear(&r);
}

/* data_end answers 451 and 554: the transaction is over either way and
 * the dialogue goes on. */
static void
test_data_end_refusals(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C("x\r\n.\r\n"),
		C("RCPT TO:<c@d>\r\n"),
		C("QUIT\r\n"),
		{ NULL, 0 },
	};
	static const char want451[] =
		GREETING "|250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|451 4.4.1 smarthost unreachable, try later\r\n"
		"|503 5.5.1 need MAIL before RCPT\r\n|" BYE;
	static const char want554[] =
		GREETING "|250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|554 5.7.1 relay refused: 554 5.7.1 spam\r\n"
		"|503 5.5.1 need MAIL before RCPT\r\n|" BYE;
	struct run r;

	rec_init(&r.rec);
	r.rec.end_code = 451;
	r.rec.end_enhanced = "4.4.1";
	r.rec.end_text = "smarthost unreachable, try later";
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want451);
	run_clear(&r);

	rec_init(&r.rec);
	r.rec.end_code = 554;
	r.rec.end_enhanced = "5.7.1";
	r.rec.end_text = "relay refused: 554 5.7.1 spam";
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want554);
	run_clear(&r);
}

static void
end_nothing(void *ctx, const struct smtp_server_txn *txn,
	    struct smtp_server_reply *reply)
{
	(void)ctx;
	(void)txn;
	(void)reply;
}

/* data_end that leaves the reply alone gets the 451 default. */
static void
test_data_end_default(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C("x\r\n.\r\nQUIT\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		GREETING "|250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|451 4.3.0 local error: no verdict on the message\r\n" BYE;
	const struct smtp_server_ops o = {
		.data_write = cb_data_write,
		.data_end = end_nothing,
	};
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &o);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	run_clear(&r);
}

/* data_write fails: the server reads on to the final dot (lines that
 * look like commands are data), answers the error, calls data_abort, and
 * the next command is understood. */
static void
test_data_write_failure(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C("Subject: FAIL\r\nMAIL FROM:<evil@x>\r\n"),
		C("RCPT TO:<evil@x>\r\n"),
		C("..\r\n.\r\nNOOP\r\nQUIT\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		GREETING "|250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|||554 5.6.0 header line too long\r\n"
		"250 2.0.0 ok\r\n" BYE;
	static const char want552[] =
		GREETING "|250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|||552 5.3.4 header line too long\r\n"
		"250 2.0.0 ok\r\n" BYE;
	static const char events[] =
		"MAIL <a@b> helo=x esmtp=0 body=- size=0 ret=- envid=- "
		"rcpts=0\n"
		"RCPT <c@d> notify=0 orcpt=- have=0\n"
		"START rcpts=1\n"
		"ABORT rcpts=1\n";
	struct run r;

	rec_init(&r.rec);
	r.rec.fail_on = "FAIL";
	run_cfg(&r, in, 1000, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	CHECK_STR(buf_cstr(&r.rec.events), events);
	run_clear(&r);

	rec_init(&r.rec);
	r.rec.fail_on = "FAIL";
	r.rec.fail_code = 552;
	run_cfg(&r, in, 1000, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want552);
	run_clear(&r);

	/* a failure in the first of several chunks: no further calls */
	{
		size_t big = 200000;
		char *msg = malloc(big);
		struct chunk bin[4];

		memset(msg, 'm', big);
		memcpy(msg, "FAIL\r\n", 6);
		memcpy(msg + big - 3, "\n.\n", 3);
		bin[0] = in[0];
		bin[1] = (struct chunk){ msg, big };
		bin[2] = (struct chunk)C("QUIT\r\n");
		bin[3] = (struct chunk){ NULL, 0 };
		rec_init(&r.rec);
		r.rec.fail_on = "FAIL";
		run_cfg(&r, bin, 0, &cfg_default, &ops);
		CHECK(r.ok);
		CHECK(r.rec.writes == 1);
		CHECK(strstr(r.m.written.data, "554 5.6.0 header line too "
			     "long\r\n|" BYE) != NULL);
		run_clear(&r);
		free(msg);
	}
}

/* Data beyond size_max: 552 5.3.4 after the dot, data_write never sees
 * it whole. */
static void
test_data_too_big(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C("0123456789\r\n0123456789\r\n.\r\nQUIT\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		GREETING "|250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|552 5.3.4 message size exceeds the limit of 20 bytes\r\n" BYE;
	const struct smtp_server_config cfg = { "mx.test", 20, false, false };
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	CHECK(r.rec.writes == 0);
	CHECK(strstr(buf_cstr(&r.rec.events), "ABORT rcpts=1\n") != NULL);
	CHECK(strstr(buf_cstr(&r.rec.events), "END") == NULL);
	run_clear(&r);
}

/* A 421 from a callback is sent and ends the session. */
static void
test_callback_421(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<closing@b>\r\nNOOP\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		GREETING "|250 mx.test\r\n421 4.3.2 shutting down\r\n";
	struct run r;

	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	CHECK(!r.ok);
	CHECK(r.err.exit_code == EX_TEMPFAIL && r.err.cls == ERR_TEMPORARY);
	CHECK(strstr(r.err.msg, "421 shutting down") != NULL);
	CHECK_WRITTEN(&r, want);
	run_clear(&r);
}

/* ------------------------------------------------------ end of input */

static void
test_eof(void)
{
	static const struct chunk in_data[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C("Subject: cut\r\n\r\nhalf a mess"),
		{ NULL, 0 },
	};
	static const struct chunk in_dot[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C("x\r\n.\r"),
		{ NULL, 0 },
	};
	static const struct chunk in_mail[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nQUI"),
		{ NULL, 0 },
	};
	static const struct chunk in_nothing[] = { { NULL, 0 } };
	struct run r;

	/* inside the data: abandoned, false, EX_IOERR temporary */
	rec_init(&r.rec);
	run_cfg(&r, in_data, 0, &cfg_default, &ops);
	CHECK(!r.ok);
	CHECK(r.err.exit_code == EX_IOERR && r.err.cls == ERR_TEMPORARY);
	CHECK(strstr(buf_cstr(&r.rec.events), "ABORT rcpts=1\n") != NULL);
	CHECK(strstr(buf_cstr(&r.rec.events), "END") == NULL);
	run_clear(&r);

	/* ".\r" without its LF is not the end yet */
	rec_init(&r.rec);
	run_cfg(&r, in_dot, 0, &cfg_default, &ops);
	CHECK(!r.ok);
	CHECK(strstr(buf_cstr(&r.rec.events), "ABORT") != NULL);
	run_clear(&r);

	/* outside: true, nothing delivered, a partial line ignored */
	rec_init(&r.rec);
	run_cfg(&r, in_mail, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK(!err_isset(&r.err));
	CHECK(strstr(buf_cstr(&r.rec.events), "START") == NULL);
	CHECK_WRITTEN(&r, GREETING "|250 mx.test\r\n250 2.1.0 sender ok\r\n"
			  "250 2.1.5 recipient ok\r\n|");
	run_clear(&r);

	rec_init(&r.rec);
	run_cfg(&r, in_nothing, 0, &cfg_default, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, GREETING "|");
	run_clear(&r);
}

/* Read and write failures end the session with the stream's error. */
static void
test_io_errors(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nab"),
		{ NULL, 0 },
	};
	struct run r;

	rec_init(&r.rec);
	mem_init(&r.m, in);
	r.m.read_error = true;
	err_clear(&r.err);
	r.ok = smtp_server_run(&r.m.base, &cfg_default, &ops, &r.rec, &r.err);
	CHECK(!r.ok);
	CHECK(r.err.exit_code == EX_IOERR);
	CHECK_STR(r.err.msg, "reading from the caller: read: test error");
	CHECK(strstr(buf_cstr(&r.rec.events), "ABORT rcpts=1\n") != NULL);
	run_clear(&r);

	rec_init(&r.rec);
	mem_init(&r.m, in);
	r.m.write_error = true;
	err_clear(&r.err);
	r.ok = smtp_server_run(&r.m.base, &cfg_default, &ops, &r.rec, &r.err);
	CHECK(!r.ok);
	CHECK(r.err.exit_code == EX_IOERR);
	CHECK_STR(r.err.msg, "writing to the caller: write: broken pipe");
	CHECK(r.m.writes == 1); /* the greeting */
	run_clear(&r);
}

/* Our own host name and callback text cannot inject lines. */
static void
test_sanitise(void)
{
	static const struct chunk in[] = {
		C("HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		C("x\r\n.\r\nQUIT\r\n"),
		{ NULL, 0 },
	};
	static const char want[] =
		"220 evil  250 host ESMTP mailferry\r\n"
		"|250 evil  250 host\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO
		"|250 2.0.0 queued  250 2.0.0 fake\r\n"
		"221 2.0.0 evil  250 host closing connection\r\n";
	const struct smtp_server_config cfg = { "evil\r\n250 host", 0, false,
						 false };
	struct run r;

	rec_init(&r.rec);
	r.rec.end_code = 250;
	r.rec.end_enhanced = "2.0.0";
	r.rec.end_text = "queued\r\n250 2.0.0 fake";
	run_cfg(&r, in, 0, &cfg, &ops);
	CHECK(r.ok);
	CHECK_WRITTEN(&r, want);
	run_clear(&r);
}

static void
test_reply_helpers(void)
{
	struct smtp_server_reply rep;
	struct mf_error e;
	char big[1000];

	err_set(&e, EX_TEMPFAIL, ERR_TEMPORARY, "disk full");
	smtp_server_reply_error(&rep, &e, 554, "5.6.0");
	CHECK(rep.code == 451);
	CHECK_STR(rep.enhanced, "4.3.0");
	CHECK_STR(rep.text, "disk full");
	err_set(&e, EX_DATAERR, ERR_PERMANENT, "bad message");
	smtp_server_reply_error(&rep, &e, 554, "5.6.0");
	CHECK(rep.code == 554);
	CHECK_STR(rep.enhanced, "5.6.0");
	e.smtp_code = 552;
	snprintf(e.enhanced, sizeof(e.enhanced), "5.3.4");
	smtp_server_reply_error(&rep, &e, 554, "5.6.0");
	CHECK(rep.code == 552);
	CHECK_STR(rep.enhanced, "5.3.4");
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	smtp_server_reply_set(&rep, 250, "2.0.0", "%s", big);
	CHECK(strlen(rep.text) == SMTP_SERVER_TEXT_MAX);
}

/* The -v transcript never shows what follows AUTH. */
static void
test_transcript_redacts_auth(void)
{
	static const struct chunk in[] = {
		C("EHLO c\r\nAUTH PLAIN c2VjcmV0\r\nNOOP\r\nQUIT\r\n"),
		{ NULL, 0 },
	};
	FILE *tmp = tmpfile();
	int saved = dup(2);
	char text[4096];
	size_t n;
	struct run r;

	if (tmp == NULL || saved < 0) {
		fprintf(stderr, "tmpfile/dup: %s\n", strerror(errno));
		exit(99);
	}
	fflush(stderr);
	dup2(fileno(tmp), 2);
	log_init(1);
	rec_init(&r.rec);
	run_cfg(&r, in, 0, &cfg_default, &ops);
	log_init(0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(text, 1, sizeof(text) - 1, tmp);
	text[n] = '\0';
	fclose(tmp);
	CHECK(r.ok);
	CHECK(strstr(text, "--> AUTH <redacted>\n") != NULL);
	CHECK(strstr(text, "c2VjcmV0") == NULL);
	CHECK(strstr(text, "--> NOOP\n") != NULL);
	CHECK(strstr(text, "<-- 502 5.5.1 AUTH not implemented\n") != NULL);
	run_clear(&r);
}

/* ------------------------------------------------------ fdstream */

static void
test_fdstream(void)
{
	int in[2], out[2];
	struct fdstream fs;
	struct mf_error err;
	char buf[64];
	ssize_t n;
	static const char dialogue[] =
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
		"hi\r\n.\r\nQUIT\r\n";
	static const char want[] =
		GREETING "250 mx.test\r\n250 2.1.0 sender ok\r\n"
		"250 2.1.5 recipient ok\r\n" GO "250 2.0.0 queued as X\r\n" BYE;
	struct rec rec;
	struct buf got;

	if (pipe(in) != 0 || pipe(out) != 0) {
		fprintf(stderr, "pipe: %s\n", strerror(errno));
		exit(99);
	}
	/* plain reads and writes */
	fdstream_init(&fs, in[0], out[1]);
	CHECK(fs.base.write(&fs.base, "abc", 3, &err));
	n = read(out[0], buf, sizeof(buf));
	CHECK(n == 3 && memcmp(buf, "abc", 3) == 0);
	CHECK(write(in[1], "xyz", 3) == 3);
	n = fs.base.read(&fs.base, buf, sizeof(buf), &err);
	CHECK(n == 3 && memcmp(buf, "xyz", 3) == 0);
	/* close leaves the descriptors open */
	fs.base.close(&fs.base);
	CHECK(fcntl(in[0], F_GETFD) != -1 && fcntl(out[1], F_GETFD) != -1);
	/* a whole session over the pipes */
	CHECK(write(in[1], dialogue, sizeof(dialogue) - 1) ==
	      (ssize_t)(sizeof(dialogue) - 1));
	close(in[1]);
	rec_init(&rec);
	err_clear(&err);
	CHECK(smtp_server_run(&fs.base, &cfg_default, &ops, &rec, &err));
	CHECK_MEM(rec.data.data, rec.data.len, "hi\r\n", 4);
	close(out[1]);
	buf_init(&got, 1 << 20);
	while ((n = read(out[0], buf, sizeof(buf))) > 0)
		buf_append(&got, buf, (size_t)n);
	CHECK_MEM(got.data, got.len, want, sizeof(want) - 1);
	buf_clear(&got);
	rec_clear(&rec);
	/* end of input: 0 */
	n = fs.base.read(&fs.base, buf, sizeof(buf), &err);
	CHECK(n == 0);
	close(in[0]);
	close(out[0]);
	/* errors: EX_IOERR */
	fdstream_init(&fs, -1, -1);
	err_clear(&err);
	CHECK(fs.base.read(&fs.base, buf, sizeof(buf), &err) == -1);
	CHECK(err.exit_code == EX_IOERR);
	err_clear(&err);
	CHECK(!fs.base.write(&fs.base, "a", 1, &err));
	CHECK(err.exit_code == EX_IOERR);
}

/* A non-blocking descriptor still reads as a blocking one. */
static void
test_fdstream_nonblocking(void)
{
	int p[2];
	struct fdstream fs;
	struct mf_error err;
	char buf[8];
	pid_t pid;

	if (pipe(p) != 0) {
		fprintf(stderr, "pipe: %s\n", strerror(errno));
		exit(99);
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	pid = fork();
	if (pid == 0) {
		usleep(100000);
		if (write(p[1], "late", 4) != 4)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	fdstream_init(&fs, p[0], 1);
	CHECK(fs.base.read(&fs.base, buf, sizeof(buf), &err) == 4);
	CHECK(memcmp(buf, "late", 4) == 0);
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int
main(void)
{
	test_symfony_helo();
	test_ehlo();
	test_two_transactions();
	test_pipelined();
	test_bytewise();
	test_dot_unstuffing();
	test_bare_lf();
	test_streaming();
	test_error_replies();
	test_paths_stored();
	test_smtputf8();
	test_path_length();
	test_long_lines();
	test_too_many_recipients();
	test_callback_refuses();
	test_data_end_refusals();
	test_data_end_default();
	test_data_write_failure();
	test_data_too_big();
	test_callback_421();
	test_eof();
	test_io_errors();
	test_sanitise();
	test_reply_helpers();
	test_transcript_redacts_auth();
	test_fdstream();
	test_fdstream_nonblocking();
	return check_done("server_test");
}
