/* tests/unit/message_test.c: message/ — the incremental reader (every rule
 * in reader.h, exact header and body bytes, and the same result however
 * the input is cut into pushes), header fields, the envelope (-t, argument
 * lists, de-duplication, sender precedence) and Bcc removal. */
#include "config.h"

#include "check.h"

#include "address/address.h"
#include "message/envelope.h"
#include "message/header.h"
#include "message/reader.h"
#include "message/repair.h"
#include "message/dsn.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Counted literal: the bytes and their number (NUL bytes included). */
#define S(lit) lit, sizeof(lit) - 1

static void
report_case(const char *table, size_t i, int failures_before)
{
	if (check_failures != failures_before)
		fprintf(stderr, "  ^ in %s case %zu\n", table, i);
}

/* ------------------------------------------------------------ reader */

/* What one run of the reader produced. */
struct read_result {
	bool ok;
	struct mf_error err;
	struct buf headers; /* msg_headers_write() output */
	struct buf body;    /* every byte the body callback received */
	bool eight_bit;
	bool done;
	size_t body_calls;
	bool body_checked;  /* body chunks had no bare CR or LF inside */
};

static void
result_init(struct read_result *res)
{
	res->ok = false;
	err_clear(&res->err);
	buf_init(&res->headers, LIMIT_HEADER_BLOCK + 2);
	buf_init(&res->body, 64u * 1024 * 1024);
	res->eight_bit = false;
	res->done = false;
	res->body_calls = 0;
	res->body_checked = true;
}

static void
result_clear(struct read_result *res)
{
	buf_clear(&res->headers);
	buf_clear(&res->body);
}

static bool
collect_body(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct read_result *res = ctx;

	(void)err;
	res->body_calls++;
	if (len == 0)
		res->body_checked = false; /* never called for nothing */
	if (!buf_append(&res->body, p, len))
		abort();
	return true;
}

/* How the input is cut into pushes. */
enum chunking {
	CHUNK_WHOLE,   /* one push */
	CHUNK_BYTES,   /* one byte per push */
	CHUNK_RANDOM,  /* random sizes from 0 to 7 */
	CHUNK_EMPTY,   /* empty pushes between single bytes */
};

static uint64_t rng_state = 12345;

static size_t
rng_next(size_t n)
{
	/* a fixed LCG: the same "random" chunks on every run */
	rng_state = rng_state * UINT64_C(6364136223846793005) +
		    UINT64_C(1442695040888963407);
	return (size_t)((rng_state >> 33) % n);
}

/* Feed input to a fresh reader as chunking says, the way submit.c does:
 * stop at the first error; push the rest (which must be ignored) even
 * after a lone "."; then finish. */
static void
run_reader(const char *in, size_t len, bool dot_ends, enum chunking how,
	   struct read_result *res)
{
	struct msg_headers h;
	struct msg_reader r;
	size_t pos = 0;
	bool ok = true;

	result_init(res);
	msg_headers_init(&h);
	msg_reader_init(&r, &h, dot_ends, collect_body, res);
	while (ok && pos < len) {
		size_t n;

		switch (how) {
		case CHUNK_WHOLE:
			n = len - pos;
			break;
		case CHUNK_BYTES:
			n = 1;
			break;
		case CHUNK_RANDOM:
			n = rng_next(8);
			break;
		case CHUNK_EMPTY:
		default:
			ok = msg_reader_push(&r, in + pos, 0, &res->err);
			n = 1;
			break;
		}
		if (n > len - pos)
			n = len - pos;
		if (ok)
			ok = msg_reader_push(&r, in + pos, n, &res->err);
		pos += n;
	}
	if (ok)
		ok = msg_reader_finish(&r, &res->err);
	res->ok = ok;
	res->eight_bit = r.eight_bit;
	res->done = msg_reader_done(&r);
	if (ok) {
		struct mf_error werr;

		if (!msg_headers_write(&h, &res->headers, &werr))
			abort();
	}
	msg_reader_clear(&r);
	msg_headers_clear(&h);
}

/* Every byte sequence in the body is well formed: CR only before LF, LF
 * only after CR, never "\r\r\n". */
static bool
body_lines_ok(const struct buf *body)
{
	for (size_t i = 0; i < body->len; i++) {
		if (body->data[i] == '\r' &&
		    (i + 1 >= body->len || body->data[i + 1] != '\n'))
			return false;
		if (body->data[i] == '\n' &&
		    (i == 0 || body->data[i - 1] != '\r'))
			return false;
	}
	return true;
}

static const struct reader_case {
	const char *name;
	const char *in;
	size_t in_len;
	bool dot_ends;
	int exit_code;       /* EX_OK: success */
	const char *headers; /* serialised, ends with the empty line */
	const char *body;
	bool eight_bit;
	bool done;           /* a lone "." ended the input */
} reader_cases[] = {
	/* --- line endings */
	{ "LF only becomes CRLF",
	  S("Subject: a\nTo: b@x\n\nline1\nline2\n"), false, EX_OK,
	  "Subject: a\r\nTo: b@x\r\n\r\n", "line1\r\nline2\r\n", false, false },
	{ "CRLF kept",
	  S("Subject: a\r\nTo: b@x\r\n\r\nline1\r\nline2\r\n"), false, EX_OK,
	  "Subject: a\r\nTo: b@x\r\n\r\n", "line1\r\nline2\r\n", false, false },
	{ "mixed LF and CRLF",
	  S("Subject: a\r\nTo: b@x\n\r\nline1\nline2\r\n"), false, EX_OK,
	  "Subject: a\r\nTo: b@x\r\n\r\n", "line1\r\nline2\r\n", false, false },
	{ "CR CR LF is one line end",
	  S("Subject: a\r\r\n\r\r\nbody\r\r\nmore\r\r\n"), false, EX_OK,
	  "Subject: a\r\n\r\n", "body\r\nmore\r\n", false, false },
	{ "bare CR inside a header line is a line break",
	  S("Subject: a\rX-B: c\n\nx\n"), false, EX_OK,
	  "Subject: a\r\nX-B: c\r\n\r\n", "x\r\n", false, false },
	{ "bare CR inside a body line is a line break",
	  S("Subject: a\n\nx\ry\rz\n"), false, EX_OK,
	  "Subject: a\r\n\r\n", "x\r\ny\r\nz\r\n", false, false },
	{ "old Mac CR-only message",
	  S("Subject: a\r\rbody\r"), false, EX_OK,
	  "Subject: a\r\n\r\n", "body\r\n", false, false },
	{ "empty body lines kept",
	  S("Subject: a\n\n\n\nx\n\n"), false, EX_OK,
	  "Subject: a\r\n\r\n", "\r\n\r\nx\r\n\r\n", false, false },

	/* --- header fields */
	{ "folded header kept byte-exact",
	  S("Subject: a \n  b  \n\tc\nTo: x@y\n\nbody\n"), false, EX_OK,
	  "Subject: a \r\n  b  \r\n\tc\r\nTo: x@y\r\n\r\n", "body\r\n",
	  false, false },
	{ "obsolete blank before the colon",
	  S("Subject : x\nX-Tab\t: y\n\nb\n"), false, EX_OK,
	  "Subject : x\r\nX-Tab\t: y\r\n\r\n", "b\r\n", false, false },
	{ "empty field value",
	  S("X-Empty:\nSubject:\n\n"), false, EX_OK,
	  "X-Empty:\r\nSubject:\r\n\r\n", "", false, false },
	{ "Korean UTF-8 subject byte-exact",
	  S("Subject: \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "
	    "\xec\xa0\x9c\xeb\xaa\xa9\n\n\xeb\xb3\xb8\xeb\xac\xb8\n"),
	  false, EX_OK,
	  "Subject: \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "
	  "\xec\xa0\x9c\xeb\xaa\xa9\r\n\r\n",
	  "\xeb\xb3\xb8\xeb\xac\xb8\r\n", true, false },
	{ "8-bit byte in the body sets eight_bit",
	  S("Subject: a\n\ncaf\xc3\xa9\n"), false, EX_OK,
	  "Subject: a\r\n\r\n", "caf\xc3\xa9\r\n", true, false },
	{ "7-bit input leaves eight_bit off",
	  S("Subject: a\n\n~\x7f\x01\n"), false, EX_OK,
	  "Subject: a\r\n\r\n", "~\x7f\x01\r\n", false, false },

	/* --- mbox From line */
	{ "leading mbox From line dropped",
	  S("From alice@x Mon Jan  1 00:00:00 2024\nFrom: alice@x\n"
	    "Subject: s\n\nb\n"), false, EX_OK,
	  "From: alice@x\r\nSubject: s\r\n\r\n", "b\r\n", false, false },
	{ "From: header on the first line is kept",
	  S("From: alice@x\nSubject: s\n\nb\n"), false, EX_OK,
	  "From: alice@x\r\nSubject: s\r\n\r\n", "b\r\n", false, false },
	{ "From : (obsolete) on the first line is kept",
	  S("From : alice@x\n\nb\n"), false, EX_OK,
	  "From : alice@x\r\n\r\n", "b\r\n", false, false },
	{ "mbox From line then the body",
	  S("From alice@x Mon Jan  1 00:00:00 2024\n\nb\n"), false, EX_OK,
	  "\r\n", "b\r\n", false, false },
	{ "a From line later is not a header: the body starts",
	  S("Subject: s\nFrom bob\n\nb\n"), false, EX_OK,
	  "Subject: s\r\n\r\n", "From bob\r\n\r\nb\r\n", false, false },

	/* --- where the header block ends */
	{ "first line not a header: all body",
	  S("hello world\nSubject: x\n"), false, EX_OK,
	  "\r\n", "hello world\r\nSubject: x\r\n", false, false },
	{ "first line a continuation: all body",
	  S(" indented: x\nSubject: y\n"), false, EX_OK,
	  "\r\n", " indented: x\r\nSubject: y\r\n", false, false },
	{ "leading empty line: no header",
	  S("\nSubject: x\n"), false, EX_OK,
	  "\r\n", "Subject: x\r\n", false, false },
	{ "non-header line ends the header block",
	  S("Subject: s\nthis is body\nmore\n"), false, EX_OK,
	  "Subject: s\r\n\r\n", "this is body\r\nmore\r\n", false, false },
	{ "8-bit field name is not a header",
	  S("Subject: s\nX-\xc3\xa9: v\n"), false, EX_OK,
	  "Subject: s\r\n\r\n", "X-\xc3\xa9: v\r\n", true, false },
	{ "headers only, no empty line",
	  S("Subject: s\nTo: a@b\n"), false, EX_OK,
	  "Subject: s\r\nTo: a@b\r\n\r\n", "", false, false },
	{ "headers only, no final newline",
	  S("Subject: s\nTo: a@b"), false, EX_OK,
	  "Subject: s\r\nTo: a@b\r\n\r\n", "", false, false },
	{ "headers only, folded last field without newline",
	  S("Subject: s\n more"), false, EX_OK,
	  "Subject: s\r\n more\r\n\r\n", "", false, false },
	{ "header then empty line only",
	  S("Subject: s\n\n"), false, EX_OK,
	  "Subject: s\r\n\r\n", "", false, false },
	{ "empty input", S(""), false, EX_OK, "\r\n", "", false, false },
	{ "empty input, dot ends", S(""), true, EX_OK, "\r\n", "", false,
	  false },
	{ "only a newline", S("\n"), false, EX_OK, "\r\n", "", false,
	  false },

	/* --- a lone "." */
	{ "lone dot ends the input; the rest is ignored",
	  S("Subject: s\n\nline\n.\nignored\n\0\n"), true, EX_OK,
	  "Subject: s\r\n\r\n", "line\r\n", false, true },
	{ "lone dot with CRLF ends the input",
	  S("Subject: s\r\n\r\nline\r\n.\r\nrest"), true, EX_OK,
	  "Subject: s\r\n\r\n", "line\r\n", false, true },
	{ "lone dot with a bare CR ends the input",
	  S("Subject: s\n\nline\n.\rrest\n"), true, EX_OK,
	  "Subject: s\r\n\r\n", "line\r\n", false, true },
	{ "lone dot is a body line with -i",
	  S("Subject: s\n\nline\n.\nignored\n"), false, EX_OK,
	  "Subject: s\r\n\r\n", "line\r\n.\r\nignored\r\n", false, false },
	{ "without -i a leading \"..\" is one dot, as sendmail 8 reads it",
	  S("Subject: s\n\n..\n.x\n..x\n...\n. \nx.\nx..\n"), true, EX_OK,
	  "Subject: s\r\n\r\n",
	  ".\r\n.x\r\n.x\r\n..\r\n. \r\nx.\r\nx..\r\n", false, false },
	{ "dot lines unchanged with -i",
	  S("Subject: s\n\n..\n.x\n"), false, EX_OK,
	  "Subject: s\r\n\r\n", "..\r\n.x\r\n", false, false },
	{ "lone dot in the header phase ends the input",
	  S("Subject: s\n.\nTo: x@y\n"), true, EX_OK,
	  "Subject: s\r\n\r\n", "", false, true },
	{ "lone dot as the first line ends the input",
	  S(".\nSubject: s\n"), true, EX_OK, "\r\n", "", false, true },
	{ "lone dot in the header phase with -i starts the body",
	  S("Subject: s\n.\nTo: x@y\n"), false, EX_OK,
	  "Subject: s\r\n\r\n", ".\r\nTo: x@y\r\n", false, false },
	{ "dot-x line in the header phase starts the body",
	  S("Subject: s\n.x\n"), true, EX_OK,
	  "Subject: s\r\n\r\n", ".x\r\n", false, false },
	{ "lone dot at EOF without newline ends the input",
	  S("Subject: s\n\nline\n."), true, EX_OK,
	  "Subject: s\r\n\r\n", "line\r\n", false, true },
	{ "lone dot at EOF without newline, header phase",
	  S("Subject: s\n."), true, EX_OK,
	  "Subject: s\r\n\r\n", "", false, true },
	{ "dot at EOF without newline with -i is a body line",
	  S("Subject: s\n\nline\n."), false, EX_OK,
	  "Subject: s\r\n\r\n", "line\r\n.\r\n", false, false },
	{ "dot-x at EOF without newline",
	  S("Subject: s\n\nline\n.x"), true, EX_OK,
	  "Subject: s\r\n\r\n", "line\r\n.x\r\n", false, false },
	{ "8-bit byte after the lone dot is not seen",
	  S("Subject: s\n\n.\n\xc3\xa9\n"), true, EX_OK,
	  "Subject: s\r\n\r\n", "", false, true },

	/* --- NUL and the final line break */
	{ "NUL in a header", S("Subject: a\0b\n\nx\n"), false, EX_DATAERR,
	  NULL, NULL, false, false },
	{ "NUL in the body", S("Subject: a\n\nx\0y\n"), false, EX_DATAERR,
	  NULL, NULL, false, false },
	{ "NUL as the only byte", S("\0"), true, EX_DATAERR, NULL, NULL,
	  false, false },
	{ "NUL right after a CR", S("Subject: a\n\nx\r\0"), false,
	  EX_DATAERR, NULL, NULL, false, false },
	{ "body without final newline gets CRLF",
	  S("Subject: a\n\nlast"), false, EX_OK,
	  "Subject: a\r\n\r\n", "last\r\n", false, false },
	{ "body ending in a bare CR",
	  S("Subject: a\n\nlast\r"), false, EX_OK,
	  "Subject: a\r\n\r\n", "last\r\n", false, false },
	{ "body ending in CR CR: two line breaks (each bare CR is one)",
	  S("Subject: a\n\nlast\r\r"), false, EX_OK,
	  "Subject: a\r\n\r\n", "last\r\n\r\n", false, false },
	{ "a run of bare CRs keeps the empty lines",
	  S("Subject: a\n\npara one\r\rpara two\r"), false, EX_OK,
	  "Subject: a\r\n\r\n", "para one\r\n\r\npara two\r\n", false,
	  false },
	{ "no header, no final newline",
	  S("just text"), true, EX_OK, "\r\n", "just text\r\n", false,
	  false },
};

static void
test_reader_table(void)
{
	static const enum chunking other[] = { CHUNK_BYTES, CHUNK_RANDOM,
					       CHUNK_EMPTY };

	for (size_t i = 0; i < sizeof(reader_cases) / sizeof(reader_cases[0]);
	     i++) {
		const struct reader_case *c = &reader_cases[i];
		int before = check_failures;
		struct read_result whole;

		run_reader(c->in, c->in_len, c->dot_ends, CHUNK_WHOLE, &whole);
		CHECK(whole.ok == (c->exit_code == EX_OK));
		if (c->exit_code == EX_OK) {
			CHECK_MEM(whole.headers.data, whole.headers.len,
				  c->headers, strlen(c->headers));
			CHECK_MEM(whole.body.data ? whole.body.data : "",
				  whole.body.len, c->body, strlen(c->body));
			CHECK(whole.eight_bit == c->eight_bit);
			CHECK(whole.done == c->done);
			CHECK(body_lines_ok(&whole.body));
			CHECK(whole.body_checked);
			CHECK(!err_isset(&whole.err));
		} else {
			CHECK(whole.err.exit_code == c->exit_code);
			CHECK(whole.err.cls == ERR_PERMANENT);
			CHECK(strstr(whole.err.msg, "NUL") != NULL);
		}

		/* chunking invariance: the same bytes, cut differently,
		 * give exactly the same result */
		for (size_t k = 0; k < sizeof(other) / sizeof(other[0]); k++) {
			for (int rep = 0; rep < (other[k] == CHUNK_RANDOM ? 20 : 1);
			     rep++) {
				struct read_result res;

				run_reader(c->in, c->in_len, c->dot_ends,
					   other[k], &res);
				CHECK(res.ok == whole.ok);
				CHECK_MEM(res.headers.data ? res.headers.data
							   : "",
					  res.headers.len,
					  whole.headers.data ? whole.headers.data
							     : "",
					  whole.headers.len);
				CHECK_MEM(res.body.data ? res.body.data : "",
					  res.body.len,
					  whole.body.data ? whole.body.data
							  : "",
					  whole.body.len);
				CHECK(res.eight_bit == whole.eight_bit);
				CHECK(res.done == whole.done);
				CHECK(res.err.exit_code == whole.err.exit_code);
				CHECK_STR(res.err.msg, whole.err.msg);
				result_clear(&res);
			}
		}
		result_clear(&whole);
		if (check_failures != before)
			fprintf(stderr, "  ^ in reader case %zu: %s\n", i,
				c->name);
	}
}

/* Every pair of table inputs concatenated, cut at every position into
 * two pushes: CR at a chunk border must not change anything. */
static void
test_reader_split_everywhere(void)
{
	for (size_t i = 0; i < sizeof(reader_cases) / sizeof(reader_cases[0]);
	     i++) {
		const struct reader_case *c = &reader_cases[i];
		int before = check_failures;
		struct read_result whole;

		run_reader(c->in, c->in_len, c->dot_ends, CHUNK_WHOLE, &whole);
		for (size_t cut = 0; cut <= c->in_len; cut++) {
			struct msg_headers h;
			struct msg_reader r;
			struct read_result res;
			bool ok;

			result_init(&res);
			msg_headers_init(&h);
			msg_reader_init(&r, &h, c->dot_ends, collect_body,
					&res);
			ok = msg_reader_push(&r, c->in, cut, &res.err) &&
			     msg_reader_push(&r, c->in + cut, c->in_len - cut,
					     &res.err) &&
			     msg_reader_finish(&r, &res.err);
			CHECK(ok == whole.ok);
			if (ok) {
				CHECK(msg_headers_write(&h, &res.headers,
							&res.err));
				CHECK_MEM(res.headers.data, res.headers.len,
					  whole.headers.data,
					  whole.headers.len);
				CHECK_MEM(res.body.data ? res.body.data : "",
					  res.body.len,
					  whole.body.data ? whole.body.data
							  : "",
					  whole.body.len);
				CHECK(msg_reader_done(&r) == whole.done);
			}
			msg_reader_clear(&r);
			msg_headers_clear(&h);
			result_clear(&res);
		}
		result_clear(&whole);
		if (check_failures != before)
			fprintf(stderr, "  ^ in split case %zu: %s\n", i,
				c->name);
	}
}

/* Inputs too large for the table: header line limits and a large body. */
static void
test_reader_limits(void)
{
	size_t big = LIMIT_HEADER_FIELD + 10;
	char *in = xmalloc(big + 64);
	struct read_result res;
	size_t n;

	/* a header line longer than LIMIT_HEADER_FIELD */
	memcpy(in, "X-Long: ", 8);
	memset(in + 8, 'a', big);
	n = 8 + big;
	memcpy(in + n, "\n\nbody\n", 7);
	n += 7;
	run_reader(in, n, false, CHUNK_WHOLE, &res);
	CHECK(!res.ok);
	CHECK(res.err.exit_code == EX_DATAERR);
	CHECK(res.err.cls == ERR_PERMANENT);
	CHECK(strstr(res.err.msg, "line 1: header") != NULL);
	result_clear(&res);
	run_reader(in, n, false, CHUNK_BYTES, &res);
	CHECK(!res.ok && res.err.exit_code == EX_DATAERR);
	result_clear(&res);

	/* a line just under the limit (with its CRLF) is fine */
	n = LIMIT_HEADER_FIELD - 2;
	memcpy(in, "X-Long: ", 8);
	memset(in + 8, 'b', n - 8);
	memcpy(in + n, "\n\nbody\n", 7);
	run_reader(in, n + 7, false, CHUNK_WHOLE, &res);
	CHECK(res.ok);
	CHECK(res.headers.len == n + 4);
	CHECK(memcmp(res.headers.data + n, "\r\n\r\n", 4) == 0);
	CHECK_MEM(res.body.data, res.body.len, "body\r\n", 6);
	result_clear(&res);

	/* a folded field whose lines are short but whose whole is too
	 * long */
	{
		size_t lines = LIMIT_HEADER_FIELD / 1000 + 2;
		size_t pos = 0;

		free(in);
		in = xmalloc(lines * 1001 + 64);
		pos = 0;
		memcpy(in, "X-Folded: x\n", 12);
		pos = 12;
		for (size_t k = 0; k < lines; k++) {
			in[pos++] = ' ';
			memset(in + pos, 'c', 998);
			pos += 998;
			in[pos++] = '\n';
		}
		memcpy(in + pos, "\nbody\n", 6);
		pos += 6;
		run_reader(in, pos, false, CHUNK_WHOLE, &res);
		CHECK(!res.ok);
		CHECK(res.err.exit_code == EX_DATAERR);
		result_clear(&res);
	}

	/* the header block as a whole (LIMIT_HEADER_BLOCK): five fields
	 * of just under LIMIT_HEADER_FIELD each are too much */
	{
		size_t field = LIMIT_HEADER_FIELD - 16;
		size_t pos = 0;

		free(in);
		in = xmalloc(6 * (field + 16));
		for (int k = 0; k < 5; k++) {
			int w = snprintf(in + pos, 16, "X-%d: ", k);
			memset(in + pos + w, 'd', field - (size_t)w);
			pos += field;
			in[pos++] = '\n';
		}
		memcpy(in + pos, "\nbody\n", 6);
		pos += 6;
		run_reader(in, pos, false, CHUNK_WHOLE, &res);
		CHECK(!res.ok);
		CHECK(res.err.exit_code == EX_DATAERR);
		CHECK(strstr(res.err.msg, "header block larger") != NULL);
		result_clear(&res);
		/* four of them fit */
		pos = 4 * (field + 1);
		memcpy(in + pos, "\nbody\n", 6);
		run_reader(in, pos + 6, false, CHUNK_WHOLE, &res);
		CHECK(res.ok);
		CHECK(res.headers.len == 4 * (field + 2) + 2);
		result_clear(&res);
	}

	/* body lines have no length limit, and a body larger than the
	 * callback chunk arrives whole and in order */
	{
		size_t body = 3 * 65536 + 123;
		size_t pos;

		free(in);
		in = xmalloc(body + 64);
		memcpy(in, "Subject: big\n\n", 14);
		pos = 14;
		for (size_t k = 0; k < body; k++)
			in[pos++] = (char)('a' + k % 26);
		in[pos++] = '\n';
		run_reader(in, pos, true, CHUNK_WHOLE, &res);
		CHECK(res.ok);
		CHECK(res.body.len == body + 2);
		CHECK(res.body_calls >= 2);
		CHECK(memcmp(res.body.data, in + 14, body) == 0);
		CHECK(memcmp(res.body.data + body, "\r\n", 2) == 0);
		result_clear(&res);
		run_reader(in, pos, true, CHUNK_RANDOM, &res);
		CHECK(res.ok);
		CHECK(res.body.len == body + 2);
		CHECK(memcmp(res.body.data, in + 14, body) == 0);
		result_clear(&res);
	}
	free(in);
}

/* The body callback can stop the reader; its error comes back as is. */
struct failing_ctx {
	size_t calls;
};

static bool
failing_body(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct failing_ctx *f = ctx;

	(void)p;
	(void)len;
	f->calls++;
	err_set(err, EX_IOERR, ERR_LOCAL, "spool: disk full");
	return false;
}

static void
test_reader_body_error(void)
{
	struct msg_headers h;
	struct msg_reader r;
	struct failing_ctx f = { 0 };
	struct mf_error err;

	msg_headers_init(&h);
	msg_reader_init(&r, &h, false, failing_body, &f);
	err_clear(&err);
	CHECK(msg_reader_push(&r, S("Subject: x\n\nbody\n"), &err));
	CHECK(!msg_reader_finish(&r, &err));
	CHECK(f.calls == 1);
	CHECK(err.exit_code == EX_IOERR);
	CHECK_STR(err.msg, "spool: disk full");
	msg_reader_clear(&r);
	msg_headers_clear(&h);
}

/* ------------------------------------------------------------ header */

static const struct {
	const char *line;
	size_t len;
	size_t name_len;
} name_cases[] = {
	{ S("Subject: x"), 7 },
	{ S("Subject:"), 7 },
	{ S("Subject : x"), 7 },
	{ S("Subject \t :x"), 7 },
	{ S("X-Mailer: y"), 8 },
	{ S("a:"), 1 },
	{ S("!#$%&'*+-/=?^_`{|}~:"), 19 },
	{ S(": x"), 0 },
	{ S("Subject"), 0 },
	{ S("Subject "), 0 },
	{ S("Sub ject: x"), 0 },
	{ S(" Subject: x"), 0 },
	{ S("\tSubject: x"), 0 },
	{ S("X-\xc3\xa9: x"), 0 },
	{ S("X-\x7f: x"), 0 },
	{ S("X\0: x"), 0 },
	{ S(""), 0 },
	/* counted: the colon is outside len */
	{ "To: x", 2, 0 },
	{ "To: x", 3, 2 },
};

static void
test_field_name(void)
{
	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]);
	     i++) {
		int before = check_failures;

		CHECK(msg_field_name_len(name_cases[i].line, name_cases[i].len) ==
		      name_cases[i].name_len);
		report_case("name_cases", i, before);
	}
}

static void
test_headers(void)
{
	struct msg_headers h;
	struct mf_error err;
	struct buf out;
	const char *v;
	size_t len;

	msg_headers_init(&h);
	CHECK(msg_headers_add(&h, S("Subject: hi\r\n"), &err));
	CHECK(msg_headers_add(&h, S("To : a@x,\r\n b@y\r\n"), &err));
	CHECK(msg_headers_add(&h, S("BCC: c@z\r\n"), &err));
	CHECK(msg_headers_add(&h, S("X-Empty:\r\n"), &err));
	CHECK(h.count == 4);
	CHECK(h.total == 13 + 17 + 10 + 10);

	/* not a field */
	err_clear(&err);
	CHECK(!msg_headers_add(&h, S(" continuation\r\n"), &err));
	CHECK(err.exit_code == EX_DATAERR && err.cls == ERR_PERMANENT);
	CHECK(!msg_headers_add(&h, S("no colon\r\n"), &err));
	CHECK(h.count == 4);

	/* names, compared without case, exactly in length */
	CHECK(msg_field_is(&h.fields[0], "Subject"));
	CHECK(msg_field_is(&h.fields[0], "SUBJECT"));
	CHECK(!msg_field_is(&h.fields[0], "Subj"));
	CHECK(!msg_field_is(&h.fields[0], "Subjects"));
	CHECK(msg_field_is(&h.fields[1], "to"));
	CHECK(msg_field_is(&h.fields[2], "Bcc"));
	CHECK(h.fields[1].name_len == 2);

	/* values: after the colon, folds kept, final CRLF dropped */
	v = msg_field_value(&h.fields[0], &len);
	CHECK_MEM(v, len, " hi", 3);
	v = msg_field_value(&h.fields[1], &len);
	CHECK_MEM(v, len, " a@x,\r\n b@y", 11);
	v = msg_field_value(&h.fields[3], &len);
	CHECK(len == 0);

	/* find skips removed fields */
	CHECK(msg_headers_find(&h, "to", 0) == 1);
	CHECK(msg_headers_find(&h, "to", 2) == h.count);
	CHECK(msg_headers_find(&h, "Cc", 0) == h.count);
	h.fields[1].removed = true;
	CHECK(msg_headers_find(&h, "To", 0) == h.count);

	/* write: every field not removed, byte-exact, then the empty line */
	buf_init(&out, 1024);
	CHECK(msg_headers_write(&h, &out, &err));
	CHECK_STR(buf_cstr(&out), "Subject: hi\r\nBCC: c@z\r\nX-Empty:\r\n"
				  "\r\n");
	buf_clear(&out);

	/* write into a buffer that is too small */
	buf_init(&out, 10);
	err_clear(&err);
	CHECK(!msg_headers_write(&h, &out, &err));
	CHECK(err.exit_code == EX_DATAERR);
	buf_clear(&out);
	msg_headers_clear(&h);
	CHECK(h.count == 0 && h.fields == NULL && h.total == 0);

	/* an empty header block writes just the empty line */
	buf_init(&out, 2);
	CHECK(msg_headers_write(&h, &out, &err));
	CHECK_MEM(out.data, out.len, "\r\n", 2);
	buf_clear(&out);

	/* LIMIT_HEADER_BLOCK is enforced by msg_headers_add itself */
	{
		size_t part = LIMIT_HEADER_BLOCK / 4;
		char *raw = xmalloc(part);

		memset(raw, 'v', part);
		memcpy(raw, "X: ", 3);
		memcpy(raw + part - 2, "\r\n", 2);
		for (int k = 0; k < 4; k++)
			CHECK(msg_headers_add(&h, raw, part, &err));
		CHECK(h.total == LIMIT_HEADER_BLOCK);
		err_clear(&err);
		CHECK(!msg_headers_add(&h, S("Y: z\r\n"), &err));
		CHECK(err.exit_code == EX_DATAERR);
		CHECK(h.count == 4);
		free(raw);
		msg_headers_clear(&h);
	}
}

/* ------------------------------------------------------------ envelope */

/* Parse a header block ("Name: value\r\n"...) into h. */
static void
headers_from(struct msg_headers *h, const char *text)
{
	struct msg_reader r;
	struct read_result res;
	struct mf_error err;

	result_init(&res);
	msg_reader_init(&r, h, false, collect_body, &res);
	if (!msg_reader_push(&r, text, strlen(text), &err) ||
	    !msg_reader_finish(&r, &err))
		abort();
	msg_reader_clear(&r);
	result_clear(&res);
}

/* Join an address list as "a|b|c" for comparison. */
static char *
joined(const struct addr_list *l)
{
	struct buf b;

	buf_init(&b, 1u << 20);
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			buf_append_byte(&b, '|');
		buf_append_str(&b, l->addrs[i]);
	}
	return buf_steal(&b, NULL);
}

static const struct {
	const char *headers;
	const char *args[4]; /* NULL-terminated */
	bool read_headers;
	int exit_code;
	const char *want;   /* "a|b|c", or a message fragment on error */
} rcpt_cases[] = {
	/* -t: To, Cc and Bcc, in that order */
	{ "To: a@x\nCc: b@y\nBcc: c@z\nSubject: s\n", { NULL }, true, EX_OK,
	  "a@x|b@y|c@z" },
	{ "Bcc: c@z\nCc: b@y\nTo: a@x\n", { NULL }, true, EX_OK,
	  "a@x|b@y|c@z" },
	/* several To fields */
	{ "To: a@x\nTo: b@x\nTo: c@x\n", { NULL }, true, EX_OK,
	  "a@x|b@x|c@x" },
	/* display names, quoted names with commas, comments */
	{ "To: Alice <a@x>, \"Bob, Jr.\" <b@y>\nCc: c@z (Carol)\n", { NULL },
	  true, EX_OK, "a@x|b@y|c@z" },
	/* groups, empty groups */
	{ "To: team: a@x, b@y;, d@w\n", { NULL }, true, EX_OK,
	  "a@x|b@y|d@w" },
	{ "To: undisclosed-recipients:;\nBcc: c@z\n", { NULL }, true, EX_OK,
	  "c@z" },
	/* folded address field */
	{ "To: a@x,\n  b@y,\n\tc@z\n", { NULL }, true, EX_OK, "a@x|b@y|c@z" },
	/* case of the field name does not matter, nor the obsolete
	 * blank before the colon */
	{ "TO: a@x\ncc : b@y\nBCC: c@z\n", { NULL }, true, EX_OK,
	  "a@x|b@y|c@z" },
	/* other fields are not read: Reply-To, From, Resent-From, Sender
	 * (Resent-To/Cc/Bcc are: see resent_cases) */
	{ "From: f@x\nReply-To: r@x\nResent-From: t@x\nSender: s@x\n"
	  "To: a@x\n", { NULL },
	  true, EX_OK, "a@x" },
	/* arguments: each one is an address list */
	{ "", { "a@x, b@y", NULL }, false, EX_OK, "a@x|b@y" },
	{ "", { "a@x", "Bob <b@y>", "c@z,d@w", NULL }, false, EX_OK,
	  "a@x|b@y|c@z|d@w" },
	{ "", { "root", NULL }, false, EX_OK, "root" },
	/* without -t the header fields are not read */
	{ "To: h@x\n", { "a@x", NULL }, false, EX_OK, "a@x" },
	/* -t plus arguments: arguments first, then the fields */
	{ "To: h@x\n", { "a@x", NULL }, true, EX_OK, "a@x|h@x" },
	/* de-duplication: domains without case, local parts exactly */
	{ "", { "a@X.org", "a@x.ORG", NULL }, false, EX_OK, "a@X.org" },
	{ "", { "A@x", "a@x", NULL }, false, EX_OK, "A@x|a@x" },
	{ "To: a@x, Alice <a@x>\nCc: a@X\nBcc: a@x\n", { "a@x", NULL }, true,
	  EX_OK, "a@x" },
	{ "", { "root", "root", "Root", NULL }, false, EX_OK, "root|Root" },
	{ "", { "a@x, a@x, b@x, a@x", NULL }, false, EX_OK, "a@x|b@x" },
	/* no recipients */
	{ "", { NULL }, false, EX_USAGE, "no recipients" },
	{ "To: h@x\n", { NULL }, false, EX_USAGE, "no recipients" },
	{ "Subject: s\n", { NULL }, true, EX_USAGE, "no recipients" },
	{ "To: undisclosed-recipients:;\n", { NULL }, true, EX_USAGE,
	  "no recipients" },
	{ "", { "", NULL }, false, EX_USAGE, "no recipients" },
	/* bad addresses name where they came from */
	{ "To: <a@x\n", { NULL }, true, EX_DATAERR, "To header: " },
	{ "Cc: \"unterminated\n", { NULL }, true, EX_DATAERR, "Cc header: " },
	{ "", { "a@x", "<b@y", NULL }, false, EX_DATAERR,
	  "recipient argument 2: " },
};

static void
test_envelope_recipients(void)
{
	for (size_t i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]);
	     i++) {
		int before = check_failures;
		struct msg_headers h;
		struct addr_list out;
		struct mf_error err;
		char *args[4];
		size_t nargs = 0;
		bool ok;

		msg_headers_init(&h);
		headers_from(&h, rcpt_cases[i].headers);
		while (rcpt_cases[i].args[nargs]) {
			args[nargs] = xstrdup(rcpt_cases[i].args[nargs]);
			nargs++;
		}
		addr_list_init(&out);
		err_clear(&err);
		ok = msg_envelope_recipients(&h, args, nargs,
					     rcpt_cases[i].read_headers, &out,
					     &err);
		CHECK(ok == (rcpt_cases[i].exit_code == EX_OK));
		if (ok) {
			char *got = joined(&out);
			CHECK_STR(got, rcpt_cases[i].want);
			free(got);
			CHECK(!err_isset(&err));
		} else {
			CHECK(err.exit_code == rcpt_cases[i].exit_code);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK(strstr(err.msg, rcpt_cases[i].want) != NULL);
			if (strstr(err.msg, rcpt_cases[i].want) == NULL)
				fprintf(stderr, "  message: %s\n", err.msg);
		}
		addr_list_clear(&out);
		for (size_t k = 0; k < nargs; k++)
			free(args[k]);
		msg_headers_clear(&h);
		report_case("rcpt_cases", i, before);
	}
}

static const struct {
	const char *headers;
	const char *cli_from;
	const char *cfg_from;
	int exit_code;
	const char *want; /* the address, or a message fragment on error */
} sender_cases[] = {
	/* -f over the configured from over the From field */
	{ "From: c@z\n", "a@x", "b@y", EX_OK, "a@x" },
	{ "From: c@z\n", NULL, "b@y", EX_OK, "b@y" },
	{ "From: c@z\n", NULL, NULL, EX_OK, "c@z" },
	{ "", "a@x", NULL, EX_OK, "a@x" },
	/* angle brackets and display names */
	{ "", "<a@x>", NULL, EX_OK, "a@x" },
	{ "", NULL, "<b@y>", EX_OK, "b@y" },
	{ "From: Alice Example <alice@example.org>\n", NULL, NULL, EX_OK,
	  "alice@example.org" },
	{ "From: a@x, b@y\nSender: s@x\n", NULL, NULL, EX_OK, "a@x" },
	/* the null sender */
	{ "From: c@z\n", "<>", "b@y", EX_OK, "" },
	{ "", NULL, "<>", EX_OK, "" },
	/* a line break in -f never reaches MAIL FROM */
	{ "", "a@x\r\nRCPT TO:<evil@x>", NULL, EX_DATAERR,
	  "envelope sender (-f): " },
	{ "", "a@x\n", NULL, EX_DATAERR, "envelope sender (-f): " },
	{ "", "a@x\r", NULL, EX_DATAERR, "envelope sender (-f): " },
	{ "", NULL, "bad\n@x", EX_DATAERR, "configured from: " },
	{ "From: <broken\n", NULL, NULL, EX_DATAERR, "From header: " },
	/* nothing at all */
	{ "", NULL, NULL, EX_USAGE, "no envelope sender" },
	{ "From: undisclosed:;\n", NULL, NULL, EX_USAGE,
	  "no envelope sender" },
};

static void
test_envelope_sender(void)
{
	for (size_t i = 0; i < sizeof(sender_cases) / sizeof(sender_cases[0]);
	     i++) {
		int before = check_failures;
		struct msg_headers h;
		struct mf_error err;
		char *out = NULL;
		bool ok;

		msg_headers_init(&h);
		headers_from(&h, sender_cases[i].headers);
		err_clear(&err);
		ok = msg_envelope_sender(&h, sender_cases[i].cli_from,
					 sender_cases[i].cfg_from, &out, &err);
		CHECK(ok == (sender_cases[i].exit_code == EX_OK));
		if (ok) {
			CHECK_STR(out, sender_cases[i].want);
		} else {
			CHECK(out == NULL);
			CHECK(err.exit_code == sender_cases[i].exit_code);
			CHECK(strstr(err.msg, sender_cases[i].want) != NULL);
			if (strstr(err.msg, sender_cases[i].want) == NULL)
				fprintf(stderr, "  message: %s\n", err.msg);
			/* the message never carries a raw line break */
			CHECK(strpbrk(err.msg, "\r\n") == NULL);
		}
		free(out);
		msg_headers_clear(&h);
		report_case("sender_cases", i, before);
	}
}

/* ------------------------------------------------------------ repair */

static const struct {
	const char *in;
	size_t removed;
	const char *want; /* msg_headers_write() after the repair */
} bcc_cases[] = {
	{ "To: a@x\nBcc: b@y\nSubject: s\n", 1, "To: a@x\r\nSubject: s\r\n\r\n" },
	/* any case, the obsolete blank, folded, empty, several */
	{ "To: a@x\nBcc: b@y\nbcc: c@y\nBCC: d@y\nbCc : e@y\n"
	  "Bcc: f@y,\n  g@y\nBcc:\nSubject: s\n",
	  6, "To: a@x\r\nSubject: s\r\n\r\n" },
	/* look-alikes stay; Resent-Bcc goes too (RFC 5322 3.6.6) */
	{ "X-Bcc: a@x\nBccx: b@x\nResent-Bcc: c@x\nB-cc: d@x\n", 1,
	  "X-Bcc: a@x\r\nBccx: b@x\r\nB-cc: d@x\r\n\r\n" },
	/* the others are untouched, byte for byte and in order */
	{ "Subject : odd \n\tfold\nBcc: x@y\nTo:  a@x  \nX-8: \xc3\xa9\n", 1,
	  "Subject : odd \r\n\tfold\r\nTo:  a@x  \r\nX-8: \xc3\xa9\r\n\r\n" },
	{ "Bcc: only@x\n", 1, "\r\n" },
	{ "", 0, "\r\n" },
};

static void
test_repair_bcc(void)
{
	for (size_t i = 0; i < sizeof(bcc_cases) / sizeof(bcc_cases[0]); i++) {
		int before = check_failures;
		struct msg_headers h;
		struct mf_error err;
		struct buf out;

		msg_headers_init(&h);
		headers_from(&h, bcc_cases[i].in);
		CHECK(msg_repair_remove_bcc(&h) == bcc_cases[i].removed);
		/* a second pass finds nothing more */
		CHECK(msg_repair_remove_bcc(&h) == 0);
		buf_init(&out, 4096);
		CHECK(msg_headers_write(&h, &out, &err));
		CHECK_MEM(out.data, out.len, bcc_cases[i].want,
			  strlen(bcc_cases[i].want));
		buf_clear(&out);
		msg_headers_clear(&h);
		report_case("bcc_cases", i, before);
	}

	/* -t reads Bcc before the repair removes it: the envelope keeps the
	 * address, the header does not */
	{
		struct msg_headers h;
		struct addr_list rcpts;
		struct mf_error err;
		struct buf out;
		char *got;

		msg_headers_init(&h);
		headers_from(&h, "To: a@x\nBcc: hidden@y\n");
		addr_list_init(&rcpts);
		CHECK(msg_envelope_recipients(&h, NULL, 0, true, &rcpts, &err));
		CHECK(msg_repair_remove_bcc(&h) == 1);
		got = joined(&rcpts);
		CHECK_STR(got, "a@x|hidden@y");
		free(got);
		buf_init(&out, 4096);
		CHECK(msg_headers_write(&h, &out, &err));
		CHECK_STR(buf_cstr(&out), "To: a@x\r\n\r\n");
		buf_clear(&out);
		addr_list_clear(&rcpts);
		msg_headers_clear(&h);
	}
}


/* ------------------------------------------------------------ resent */

static const struct {
	const char *headers;
	const char *want;
} resent_cases[] = {
	/* the most recent (topmost) Resent block replaces To/Cc/Bcc */
	{ "Resent-From: r@x\nResent-To: new@x\nResent-Cc: new2@x\n"
	  "Resent-Bcc: hidden@x\nReceived: from a by b\nTo: old@x\n"
	  "Cc: old2@x\n",
	  "new@x|new2@x|hidden@x" },
	/* two blocks: only the first counts */
	{ "Resent-Date: Mon, 1 Jan 2026 00:00:00 +0000\nResent-To: second@x\n"
	  "Received: from a by b\nResent-To: first@x\nResent-Cc: c1@x\n"
	  "Received: from c by d\nX-Other: 1\nResent-To: older@x\n"
	  "To: orig@x\n",
	  "second@x|first@x|c1@x" },
	/* Resent-From alone is not a resent message for -t */
	{ "Resent-From: r@x\nTo: a@x\n", "a@x" },
};

static void
test_envelope_resent(void)
{
	for (size_t i = 0; i < sizeof(resent_cases) / sizeof(resent_cases[0]);
	     i++) {
		int before = check_failures;
		struct msg_headers h;
		struct addr_list rcpts;
		struct mf_error err;
		char *got;

		msg_headers_init(&h);
		headers_from(&h, resent_cases[i].headers);
		addr_list_init(&rcpts);
		CHECK(msg_envelope_recipients(&h, NULL, 0, true, &rcpts, &err));
		got = joined(&rcpts);
		CHECK_STR(got, resent_cases[i].want);
		free(got);
		addr_list_clear(&rcpts);
		msg_headers_clear(&h);
		report_case("resent_cases", i, before);
	}
}

/* ------------------------------------------------------------ repair */

static const char long_words[] =
	"Subject: word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word word "
	"word word word word word word word word word word word word end\n";

#define DATE "Mon, 23 Nov 2026 20:52:27 +0900"
#define MSGID "<20261123115227.42.0011223344556677@host.example>"

static const struct {
	const char *in;
	struct msg_repair r;
	const char *want; /* msg_headers_write(), or NULL: error */
} apply_cases[] = {
	/* everything missing: From, Date, Message-ID added at the end */
	{ "To: a@x\nSubject: s\n",
	  { .remove_bcc = true, .from_address = "me@x", .from_name = "Me" },
	  "To: a@x\r\nSubject: s\r\nFrom: Me <me@x>\r\n"
	  "Date: " DATE "\r\nMessage-ID: " MSGID "\r\n\r\n" },
	/* present and correct: left byte for byte */
	{ "From:  Someone <s@x>\nDate:   Sun, 1 Nov 2026 1:2:3 -0000\n"
	  "Message-Id: <a@b>\nTo: a@x\n",
	  { .from_address = "me@x" },
	  "From:  Someone <s@x>\r\nDate:   Sun, 1 Nov 2026 1:2:3 -0000\r\n"
	  "Message-Id: <a@b>\r\nTo: a@x\r\n\r\n" },
	/* set_from_header on: ours replaces the first, the rest go */
	{ "From: a@x\nTo: t@x\nFrom: b@x\n",
	  { .from = MSG_ADD_ALWAYS, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER, .from_address = "me@x" },
	  "From: me@x\r\nTo: t@x\r\n\r\n" },
	/* ... and with from_to_reply_to the original From becomes the
	 * Reply-To, byte for byte, added at the end */
	{ "From: \"Web Shop\" <shop@x>\nTo: t@x\n",
	  { .from = MSG_ADD_ALWAYS, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER, .from_address = "me@x",
	    .from_to_reply_to = true },
	  "From: me@x\r\nTo: t@x\r\nReply-To: \"Web Shop\" <shop@x>\r\n"
	  "\r\n" },
	/* but an existing Reply-To is kept and no second one added */
	{ "From: shop@x\nReply-To: help@x\n",
	  { .from = MSG_ADD_ALWAYS, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER, .from_address = "me@x",
	    .from_to_reply_to = true },
	  "From: me@x\r\nReply-To: help@x\r\n\r\n" },
	/* no From to keep: only ours is added */
	{ "To: t@x\n",
	  { .from = MSG_ADD_ALWAYS, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER, .from_address = "me@x",
	    .from_to_reply_to = true },
	  "To: t@x\r\nFrom: me@x\r\n\r\n" },
	/* set_to_header auto: a Bcc-only message gets an undisclosed To */
	{ "Bcc: hidden@x\nSubject: s\n",
	  { .remove_bcc = true, .add_to = true, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER },
	  "Subject: s\r\nTo: undisclosed-recipients:;\r\n\r\n" },
	/* ... but not when a Cc is left */
	{ "Cc: c@x\nBcc: hidden@x\n",
	  { .remove_bcc = true, .add_to = true, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER },
	  "Cc: c@x\r\n\r\n" },
	/* a name with specials is quoted, quotes escaped */
	{ "To: t@x\n",
	  { .date = MSG_ADD_NEVER, .message_id = MSG_ADD_NEVER,
	    .from_address = "j@x", .from_name = "Doe, John \"JD\"" },
	  "To: t@x\r\nFrom: \"Doe, John \\\"JD\\\"\" <j@x>\r\n\r\n" },
	/* null sender: no From can be made */
	{ "To: t@x\n",
	  { .date = MSG_ADD_NEVER, .message_id = MSG_ADD_NEVER,
	    .from_address = "" },
	  "To: t@x\r\n\r\n" },
	/* off means off */
	{ "To: t@x\n",
	  { .from = MSG_ADD_NEVER, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER, .from_address = "me@x" },
	  "To: t@x\r\n\r\n" },
	/* undisclosed recipients */
	{ "From: f@x\nTo: a@x\nCc: b@x\nBcc: c@x\nSubject: s\n",
	  { .remove_bcc = true, .undisclosed = true, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER },
	  "From: f@x\r\nSubject: s\r\nTo: undisclosed-recipients:;\r\n"
	  "\r\n" },
	/* Bcc kept when asked */
	{ "Bcc: c@x\n",
	  { .date = MSG_ADD_NEVER, .message_id = MSG_ADD_NEVER },
	  "Bcc: c@x\r\n\r\n" },
	/* 8-bit text left raw when encoding is off */
	{ "Subject: \xed\x95\x9c\n",
	  { .date = MSG_ADD_NEVER, .message_id = MSG_ADD_NEVER },
	  "Subject: \xed\x95\x9c\r\n\r\n" },
	/* a DKIM signature: signed fields are not re-encoded */
	{ "DKIM-Signature: v=1\nSubject: \xed\x95\x9c\n",
	  { .encode = true, .date = MSG_ADD_NEVER,
	    .message_id = MSG_ADD_NEVER },
	  "DKIM-Signature: v=1\r\nSubject: \xed\x95\x9c\r\n\r\n" },
};

static void
test_repair_apply(void)
{
	for (size_t i = 0; i < sizeof(apply_cases) / sizeof(apply_cases[0]);
	     i++) {
		int before = check_failures;
		struct msg_repair r = apply_cases[i].r;
		struct msg_headers h;
		struct mf_error err;
		struct buf out;

		r.date_value = DATE;
		r.message_id_value = MSGID;
		msg_headers_init(&h);
		headers_from(&h, apply_cases[i].in);
		buf_init(&out, 1u << 20);
		CHECK(msg_repair_apply(&h, &r, &err));
		CHECK(msg_headers_write(&h, &out, &err));
		CHECK_MEM(out.data, out.len, apply_cases[i].want,
			  strlen(apply_cases[i].want));
		buf_clear(&out);
		msg_headers_clear(&h);
		report_case("apply_cases", i, before);
	}
}

/* A line over 998 octets is folded at blanks; unfolding gives back the
 * original; a line with no blank to fold at is refused. */
static void
test_repair_long_lines(void)
{
	struct msg_repair r = { .date = MSG_ADD_NEVER,
				.message_id = MSG_ADD_NEVER };
	struct msg_headers h;
	struct mf_error err;
	struct buf out, flat;
	size_t line = 0, longest = 0;

	CHECK(strlen(long_words) > 1000);
	msg_headers_init(&h);
	headers_from(&h, long_words);
	buf_init(&out, 1u << 20);
	CHECK(msg_repair_apply(&h, &r, &err));
	CHECK(msg_headers_write(&h, &out, &err));
	buf_init(&flat, 1u << 20);
	for (size_t i = 0; i < out.len; i++) {
		if (out.data[i] == '\n') {
			if (line > longest)
				longest = line;
			line = 0;
			continue;
		}
		line++;
		if (out.data[i] != '\r')
			buf_append_byte(&flat, out.data[i]);
	}
	CHECK(longest <= 79); /* 78 + the CR counted above */
	/* unfolded: the original line exactly (without its LF) */
	CHECK_MEM(flat.data, flat.len, long_words, strlen(long_words) - 1);
	buf_clear(&flat);
	buf_clear(&out);
	msg_headers_clear(&h);

	{
		char *text = malloc(1200 + 16);
		memcpy(text, "X-Long: ", 8);
		memset(text + 8, 'a', 1200);
		memcpy(text + 1208, "\n", 2);
		msg_headers_init(&h);
		headers_from(&h, text);
		CHECK(!msg_repair_apply(&h, &r, &err));
		CHECK(err.exit_code == EX_DATAERR);
		CHECK(strstr(err.msg, "X-Long") != NULL);
		msg_headers_clear(&h);
		free(text);
	}
}

static void
test_format(void)
{
	struct tm tm;
	char out[128];
	static const unsigned char rnd[8] = { 0, 0x11, 0x22, 0x33,
					      0x44, 0x55, 0x66, 0x77 };

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 10;
	tm.tm_mday = 23;
	tm.tm_wday = 1;
	tm.tm_hour = 20;
	tm.tm_min = 52;
	tm.tm_sec = 27;
	msg_format_date(&tm, 9 * 3600, out, sizeof(out));
	CHECK_STR(out, "Mon, 23 Nov 2026 20:52:27 +0900");
	msg_format_date(&tm, -(4 * 3600 + 30 * 60), out, sizeof(out));
	CHECK_STR(out, "Mon, 23 Nov 2026 20:52:27 -0430");
	msg_format_date(&tm, 0, out, sizeof(out));
	CHECK_STR(out, "Mon, 23 Nov 2026 20:52:27 +0000");
	tm.tm_mday = 3;
	tm.tm_hour = 4;
	msg_format_date(&tm, 5 * 3600 + 45 * 60, out, sizeof(out));
	CHECK_STR(out, "Mon, 3 Nov 2026 04:52:27 +0545");
	msg_format_message_id(&tm, 42, rnd, "host.example", out, sizeof(out));
	CHECK_STR(out, "<20261103045227.42.0011223344556677@host.example>");
}


/* ------------------------------------------------------------ dsn */

static void
test_dsn(void)
{
	static const struct {
		const char *diag;
		bool expired;
		const char *want;
	} st[] = {
		{ "server refused RCPT TO <a@b>: 550 5.1.1 no such user", false,
		  "5.1.1" },
		{ "550 5.7.1 relaying denied", false, "5.7.1" },
		{ "552 5.3.4 message too big", false, "5.3.4" },
		{ "550 no enhanced code", false, "5.0.0" },
		{ "550 4.1.1 wrong class", false, "5.0.0" },
		{ "version 1.2.3 and 550 5.2.2 full", false, "5.2.2" },
		{ "421 4.3.2 busy", true, "4.4.7" },
		{ NULL, false, "5.0.0" },
	};
	char status[16];
	struct msg_dsn_rcpt r[2] = {
		{ "bad@example.org", "server refused RCPT TO <bad@example.org>: "
				     "550 5.1.1 no such user", false },
		{ "old@example.org", "421 4.3.2 busy", true },
	};
	static const char headers[] = "From: a@example.org\r\n"
				      "Subject: caf\xc3\xa9\r\n";
	struct msg_dsn d = {
		.reporting_host = "host.example",
		.sender = "a@example.org",
		.date = "Mon, 23 Nov 2026 20:52:27 +0900",
		.message_id = "<n@host.example>",
		.boundary = "B",
		.arrival = 0,
		.rcpts = r,
		.rcpt_count = 2,
		.original_headers = headers,
		.original_headers_len = sizeof(headers) - 1,
	};
	struct buf out;
	struct mf_error err;
	size_t line = 0;
	bool seven_bit = true;

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		struct msg_dsn_rcpt one = { "x@y", st[i].diag, st[i].expired };
		msg_dsn_status(&one, status);
		CHECK_STR(status, st[i].want);
	}
	buf_init(&out, 1u << 20);
	CHECK(msg_dsn_build(&d, &out, &err));
	CHECK(strncmp(out.data, "From: Mail Delivery System "
				"<MAILER-DAEMON@host.example>\r\nTo: "
				"<a@example.org>\r\n", 73) == 0);
	CHECK(strstr(out.data, "\r\nFinal-Recipient: rfc822; bad@example.org"
			       "\r\nAction: failed\r\nStatus: 5.1.1\r\n"
			       "Diagnostic-Code: smtp; server refused RCPT TO "
			       "<bad@example.org>: 550 5.1.1 no such user\r\n") !=
	      NULL);
	CHECK(strstr(out.data, "\r\nFinal-Recipient: rfc822; old@example.org"
			       "\r\nAction: failed\r\nStatus: 4.4.7\r\n") !=
	      NULL);
	CHECK(strstr(out.data, "Arrival-Date: Thu, 01 Jan 1970 00:00:00 +0000"
			       "\r\n") != NULL);
	CHECK(strstr(out.data, "Content-Type: text/rfc822-headers\r\n\r\n"
			       "From: a@example.org\r\nSubject: caf??\r\n") !=
	      NULL);
	CHECK(out.len > 5 &&
	      strcmp(out.data + out.len - 9, "\r\n--B--\r\n") == 0);
	for (size_t i = 0; i < out.len; i++) {
		if ((unsigned char)out.data[i] >= 0x80)
			seven_bit = false;
		if (out.data[i] == '\n') {
			CHECK(i > 0 && out.data[i - 1] == '\r');
			line = 0;
		} else if (++line > 999) {
			CHECK(!"line over 998 octets");
			line = 0;
		}
	}
	CHECK(seven_bit);
	buf_clear(&out);
}

int
main(void)
{
	test_reader_table();
	test_reader_split_everywhere();
	test_reader_limits();
	test_reader_body_error();
	test_field_name();
	test_headers();
	test_envelope_recipients();
	test_envelope_sender();
	test_repair_bcc();
	test_envelope_resent();
	test_repair_apply();
	test_repair_long_lines();
	test_format();
	test_dsn();
	return check_done("message_test");
}
