/* tests/fuzz/fuzz_server.c: libFuzzer target for the SMTP server side
 * (smtp/server.c): the input is what a `sendmail -bs` caller sends.
 *
 * The first byte picks the set-up: bit 0 offers DSN, bits 1-2 the size
 * limit (none, 64, 4096, 10 MiB), bits 3-6 the read size (0: everything
 * at once, else that many bytes per read), so chunk borders land
 * everywhere, and bit 7 offers SMTPUTF8. The callbacks accept, except that a recipient starting
 * with "bad" is refused, a sender starting with "closing" gets 421, and
 * data_write fails once the message holds "FAIL".
 *
 * Checked on every run: a stored path has no control byte, and bytes
 * >= 0x80 only as UTF-8 in an SMTPUTF8 transaction; each reply line is
 * "NNN" + ' ' or '-' + printable text + CRLF, at most 512 octets, with a
 * code of 2xx-5xx; every data phase that started ends in exactly one of
 * data_end and data_abort;
 * data_write never gets 0 bytes nor more bytes than were sent; a failure
 * carries an exit code. */
#include "config.h"

#include "smtp/server.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/stream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_stream {
	struct stream base;
	const char *p;
	size_t len, off, max_read;
	struct buf out;
};

static ssize_t
fz_read(struct stream *s, void *buf, size_t len, struct mf_error *err)
{
	struct fz_stream *f = (struct fz_stream *)s;
	size_t n = f->len - f->off;

	(void)err;
	if (n > len)
		n = len;
	if (f->max_read && n > f->max_read)
		n = f->max_read;
	memcpy(buf, f->p + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

static bool
fz_write(struct stream *s, const void *buf, size_t len, struct mf_error *err)
{
	struct fz_stream *f = (struct fz_stream *)s;

	(void)err;
	if (len == 0 || !buf_append(&f->out, buf, len))
		abort();
	return true;
}

static void
fz_close(struct stream *s)
{
	(void)s;
}

struct fz_ctx {
	int phases;   /* data_start calls that were accepted */
	int ends;     /* data_end + data_abort */
	bool in_data;
	size_t data_bytes;
	size_t input_len;
	struct buf msg; /* the current message, for "FAIL" */
};

/* A stored path has no control byte; bytes >= 0x80 only in an SMTPUTF8
 * transaction, and then as well-formed UTF-8. */
static void
path_check(const struct smtp_server_txn *txn, const char *path)
{
	bool high = false;

	for (const char *q = path; *q; q++) {
		if ((unsigned char)*q < 0x20 || (unsigned char)*q == 0x7f)
			abort();
		high |= (unsigned char)*q >= 0x80;
	}
	if (high && (!txn->smtputf8 || !bytes_utf8_valid(path, strlen(path))))
		abort();
}

static void
fz_mail(void *c, const struct smtp_server_txn *txn,
	struct smtp_server_reply *reply)
{
	(void)c;
	if (txn->from == NULL || txn->rcpt_count != 0 || txn->helo == NULL)
		abort();
	path_check(txn, txn->from);
	if (strncmp(txn->from, "closing", 7) == 0)
		smtp_server_reply_set(reply, 421, "4.3.2", "closing\r\nnow");
}

static void
fz_rcpt(void *c, const struct smtp_server_txn *txn,
	const struct smtp_server_rcpt *rcpt, struct smtp_server_reply *reply)
{
	(void)c;
	if (txn->from == NULL || rcpt->path == NULL || rcpt->path[0] == '\0')
		abort();
	path_check(txn, rcpt->path);
	if (strlen(rcpt->path) + 2 > SMTP_SERVER_PATH_MAX)
		abort();
	if (strncmp(rcpt->path, "bad", 3) == 0)
		smtp_server_reply_set(reply, 550, "5.1.1", "no\r\n%s",
				      rcpt->path);
}

static void
fz_data_start(void *c, const struct smtp_server_txn *txn,
	      struct smtp_server_reply *reply)
{
	struct fz_ctx *ctx = c;

	(void)reply;
	if (ctx->in_data || txn->rcpt_count == 0)
		abort();
	ctx->in_data = true;
	ctx->phases++;
	buf_reset(&ctx->msg);
}

static bool
fz_data_write(void *c, const char *p, size_t len, struct mf_error *err)
{
	struct fz_ctx *ctx = c;

	if (!ctx->in_data || len == 0)
		abort();
	ctx->data_bytes += len;
	if (ctx->data_bytes > ctx->input_len)
		abort();
	if (!buf_append(&ctx->msg, p, len))
		abort();
	if (memmem(ctx->msg.data, ctx->msg.len, "FAIL", 4)) {
		err_set(err, EX_DATAERR, ERR_PERMANENT, "failed\non purpose");
		return false;
	}
	return true;
}

static void
fz_data_end(void *c, const struct smtp_server_txn *txn,
	    struct smtp_server_reply *reply)
{
	struct fz_ctx *ctx = c;

	if (!ctx->in_data || txn->rcpt_count == 0)
		abort();
	ctx->in_data = false;
	ctx->ends++;
	smtp_server_reply_set(reply, 250, "2.0.0", "ok %zu", ctx->msg.len);
}

static void
fz_data_abort(void *c, const struct smtp_server_txn *txn)
{
	struct fz_ctx *ctx = c;

	(void)txn;
	if (!ctx->in_data)
		abort();
	ctx->in_data = false;
	ctx->ends++;
}

static const struct smtp_server_ops fz_ops = {
	.mail = fz_mail,
	.rcpt = fz_rcpt,
	.data_start = fz_data_start,
	.data_write = fz_data_write,
	.data_end = fz_data_end,
	.data_abort = fz_data_abort,
};

/* Every reply line well formed. */
static void
check_replies(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *lf = memchr(p + i, '\n', n - i);
		size_t len;

		if (lf == NULL)
			abort(); /* a reply without its line end */
		len = (size_t)(lf - (p + i));
		if (len < 5 || len + 1 > 512 || p[i + len - 1] != '\r')
			abort();
		if (p[i] < '2' || p[i] > '5' || p[i + 1] < '0' ||
		    p[i + 1] > '9' || p[i + 2] < '0' || p[i + 2] > '9' ||
		    (p[i + 3] != ' ' && p[i + 3] != '-'))
			abort();
		for (size_t k = 4; k + 1 < len; k++) {
			unsigned char c = (unsigned char)p[i + k];
			if (c < 0x20 || c >= 0x7f)
				abort();
		}
		i += len + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned long long limits[] = { 0, 64, 4096,
						     10485760 };
	struct smtp_server_config cfg = { "fuzz.example", 0, false, false };
	struct fz_stream fs;
	struct fz_ctx ctx;
	struct mf_error err;
	bool ok;

	if (size == 0)
		return 0;
	cfg.dsn = data[0] & 1;
	cfg.size_max = limits[(data[0] >> 1) & 3];
	cfg.smtputf8 = (data[0] & 0x80) != 0;
	memset(&fs, 0, sizeof(fs));
	fs.base.name = "fuzz";
	fs.base.read = fz_read;
	fs.base.write = fz_write;
	fs.base.close = fz_close;
	fs.p = (const char *)data + 1;
	fs.len = size - 1;
	fs.max_read = (data[0] >> 3) & 15;
	buf_init(&fs.out, 64u * 1024 * 1024);
	memset(&ctx, 0, sizeof(ctx));
	ctx.input_len = fs.len;
	buf_init(&ctx.msg, 64u * 1024 * 1024);
	err_clear(&err);

	ok = smtp_server_run(&fs.base, &cfg, &fz_ops, &ctx, &err);
	if (!ok && (err.exit_code == 0 || !err_isset(&err)))
		abort();
	if (ok && err_isset(&err))
		abort();
	if (ctx.in_data || ctx.phases != ctx.ends)
		abort();
	check_replies(fs.out.data, fs.out.len);
	buf_clear(&fs.out);
	buf_clear(&ctx.msg);
	return 0;
}
