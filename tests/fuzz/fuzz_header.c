/* tests/fuzz/fuzz_header.c: libFuzzer target for message/reader.c and
 * message/header.c.
 *
 * The input goes into msg_reader in two pushes split at data[0] % size,
 * then msg_reader_finish(), with and without -i. Checked on every run:
 *  - the body callback never sees a bare CR, a bare LF or "\r\r\n", even
 *    across callback chunks, and never a NUL;
 *  - the serialised header block is CRLF lines only, each field starts
 *    with a field name and each other line with a blank, and it ends with
 *    the empty line;
 *  - errors are EX_DATAERR (the callback never fails here), permanent;
 *  - the result (ok, headers, body, eight_bit, done, message) is the same
 *    as with one push: where the input is cut must not matter.
 * Any violation aborts.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc -I.
 *        tests/fuzz/fuzz_header.c src/message/reader.c src/message/header.c
 *        src/util/alloc.c src/util/buf.c src/util/error.c
 * Seeds: tests/fuzz/corpus/header/ */
#include "config.h"

#include "message/header.h"
#include "message/reader.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct body_check {
	struct buf body;  /* everything received, for the comparison */
	bool cr_pending;  /* the last byte received was a CR */
	char prev;        /* the last byte received */
};

static bool
body_cb(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct body_check *b = ctx;

	(void)err;
	if (len == 0)
		abort();
	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (c == '\0')
			abort();
		if (b->cr_pending && c != '\n')
			abort(); /* bare CR, or "\r\r" */
		if (c == '\n' && b->prev != '\r')
			abort(); /* bare LF */
		b->cr_pending = c == '\r';
		b->prev = c;
	}
	if (!buf_append(&b->body, p, len))
		abort();
	return true;
}

/* The serialised header block: "Name: ...\r\n", continuation lines that
 * start with a blank, then "\r\n". */
static void
check_headers(const struct buf *out)
{
	size_t pos = 0;

	if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		abort();
	while (pos < out->len - 2) {
		const char *line = out->data + pos;
		const char *cr = memchr(line, '\r', out->len - pos);
		size_t n;

		if (cr == NULL || cr + 1 >= out->data + out->len ||
		    cr[1] != '\n')
			abort();
		n = (size_t)(cr - line);
		if (memchr(line, '\n', n) != NULL ||
		    memchr(line, '\0', n) != NULL)
			abort();
		if (n == 0)
			abort(); /* the empty line only at the end */
		if (line[0] != ' ' && line[0] != '\t') {
			if (msg_field_name_len(line, n) == 0)
				abort();
		} else if (pos == 0) {
			abort(); /* a continuation needs a field before it */
		}
		pos += n + 2;
	}
}

struct run {
	bool ok;
	struct mf_error err;
	struct buf headers;
	struct body_check body;
	bool eight_bit;
	bool done;
};

static void
run_reader(const char *p, size_t size, size_t cut, bool dot_ends,
	   struct run *out)
{
	struct msg_headers h;
	struct msg_reader r;

	err_clear(&out->err);
	buf_init(&out->headers, LIMIT_HEADER_BLOCK + 2);
	buf_init(&out->body.body, (size_t)-1);
	out->body.cr_pending = false;
	out->body.prev = '\n';
	msg_headers_init(&h);
	msg_reader_init(&r, &h, dot_ends, body_cb, &out->body);
	out->ok = msg_reader_push(&r, p, cut, &out->err) &&
		  msg_reader_push(&r, p + cut, size - cut, &out->err) &&
		  msg_reader_finish(&r, &out->err);
	out->eight_bit = r.eight_bit;
	out->done = msg_reader_done(&r);
	if (out->ok) {
		struct mf_error werr;

		if (err_isset(&out->err))
			abort();
		if (out->body.cr_pending)
			abort(); /* the body ends with a CR */
		if (out->body.body.len > 0 && out->body.prev != '\n')
			abort(); /* a body always ends with a line break */
		if (!msg_headers_write(&h, &out->headers, &werr))
			abort();
		check_headers(&out->headers);
		if (h.total > LIMIT_HEADER_BLOCK)
			abort();
		for (size_t i = 0; i < h.count; i++)
			if (h.fields[i].raw_len > LIMIT_HEADER_FIELD)
				abort();
	} else {
		if (out->err.exit_code != EX_DATAERR ||
		    out->err.cls != ERR_PERMANENT || out->err.msg[0] == '\0')
			abort();
	}
	msg_reader_clear(&r);
	msg_headers_clear(&h);
}

static void
run_clear(struct run *r)
{
	buf_clear(&r->headers);
	buf_clear(&r->body.body);
}

static bool
same_buf(const struct buf *a, const struct buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t cut = size ? data[0] % size : 0;

	for (int dot_ends = 0; dot_ends < 2; dot_ends++) {
		struct run split, whole;

		run_reader(p, size, cut, dot_ends, &split);
		run_reader(p, size, size, dot_ends, &whole);
		if (split.ok != whole.ok ||
		    strcmp(split.err.msg, whole.err.msg) != 0)
			abort();
		if (split.ok &&
		    (!same_buf(&split.headers, &whole.headers) ||
		     !same_buf(&split.body.body, &whole.body.body) ||
		     split.eight_bit != whole.eight_bit ||
		     split.done != whole.done))
			abort();
		if (!dot_ends && split.done)
			abort(); /* with -i a "." never ends the input */
		run_clear(&split);
		run_clear(&whole);
	}
	return 0;
}
