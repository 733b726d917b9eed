/* tests/unit/longlines_test.c: message/longlines — which messages need a
 * rewrite (lines of 998 and 999 octets, every kind of part), the exact
 * top-level header repair, and pass 2 output checked by decoding it again
 * (quoted-printable and base64 decoders below) part by part, with parts
 * that had no long line byte for byte unchanged. Every case runs with the
 * body fed in one chunk, one octet at a time and in random chunks (pass 1
 * and pass 2 cut differently), and must give the same bytes; every output
 * line must be at most 998 octets. */
#include "config.h"

#include "check.h"

#include "message/header.h"
#include "message/longlines.h"
#include "util/buf.h"
#include "util/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define BIG (64u * 1024 * 1024)

/* ------------------------------------------------------------ helpers */

static uint32_t rng_state = 12345;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Build a header list from "Name: value\r\n" text (folds allowed). */
static void
headers_from_text(struct msg_headers *h, const char *text)
{
	size_t len = strlen(text), pos = 0;
	struct mf_error err;

	while (pos < len) {
		size_t end = pos;

		/* a field: its first line and every line starting blank */
		do {
			const char *nl = strstr(text + end, "\r\n");

			end = nl ? (size_t)(nl - text) + 2 : len;
		} while (end < len && (text[end] == ' ' || text[end] == '\t'));
		if (!msg_headers_add(h, text + pos, end - pos, &err)) {
			fprintf(stderr, "bad test header: %s\n", err.msg);
			exit(99);
		}
		pos = end;
	}
}

static bool
collect(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct buf *b = ctx;

	(void)err;
	if (len == 0 || !buf_append(b, p, len))
		abort();
	return true;
}

/* Chunk sizes: 0 all at once, 1 one octet, 2 random (1..300, sometimes
 * large). */
static size_t
chunk_size(int mode, size_t left)
{
	size_t n;

	if (mode == 0)
		return left;
	if (mode == 1)
		n = 1;
	else if (rng() % 8 == 0)
		n = 1 + rng() % 5000;
	else
		n = 1 + rng() % 300;
	return n < left ? n : left;
}

struct result {
	bool scan;
	bool ok;
	struct mf_error err;
	struct buf headers; /* the top-level block after fix_headers */
	struct buf body;    /* pass 2 output */
};

static void
result_init(struct result *r)
{
	r->scan = false;
	r->ok = false;
	err_clear(&r->err);
	buf_init(&r->headers, BIG);
	buf_init(&r->body, BIG);
}

static void
result_clear(struct result *r)
{
	buf_clear(&r->headers);
	buf_clear(&r->body);
}

static void
run(const char *hdr, const char *body, size_t body_len, int mode1, int mode2,
    struct result *r)
{
	struct msg_headers h;
	struct msg_longlines *ll;
	size_t pos, n;
	struct mf_error werr;

	result_init(r);
	msg_headers_init(&h);
	headers_from_text(&h, hdr);
	ll = msg_longlines_new(&h);
	for (pos = 0; pos < body_len; pos += n) {
		n = chunk_size(mode1, body_len - pos);
		msg_longlines_scan(ll, body + pos, n);
	}
	r->scan = msg_longlines_scan_done(ll);
	r->ok = msg_longlines_fix_headers(ll, &h, &r->err);
	for (pos = 0; r->ok && pos < body_len; pos += n) {
		n = chunk_size(mode2, body_len - pos);
		r->ok = msg_longlines_rewrite(ll, body + pos, n, collect,
					      &r->body, &r->err);
	}
	if (r->ok)
		r->ok = msg_longlines_rewrite_end(ll, collect, &r->body,
						  &r->err);
	if (!msg_headers_write(&h, &r->headers, &werr))
		abort();
	msg_longlines_free(ll);
	msg_headers_clear(&h);
}

/* Longest line (without CRLF) in p. */
static size_t
longest_line(const char *p, size_t n)
{
	size_t best = 0, start = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] == '\r' && p[i + 1] == '\n') {
			if (i - start > best)
				best = i - start;
			start = i + 2;
			i++;
		}
	}
	if (n - start > best)
		best = n - start;
	return best;
}

/* Run a case every way; r (initialised here) gets the one-chunk result. */
static void
run_all(const char *hdr, const char *body, size_t body_len, struct result *r)
{
	static const int modes[][2] = {{1, 1}, {2, 2}, {1, 2}, {2, 1},
				       {0, 2}, {2, 0}, {2, 2}, {2, 2}};

	run(hdr, body, body_len, 0, 0, r);
	CHECK(r->ok);
	CHECK(longest_line(r->body.data ? r->body.data : "", r->body.len) <=
	      MSG_LINE_MAX);
	CHECK(longest_line(r->headers.data, r->headers.len) <= MSG_LINE_MAX);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct result o;

		/* one octet at a time is slow on big bodies: random instead */
		if (body_len > 300000 && (modes[i][0] == 1 || modes[i][1] == 1))
			continue;
		run(hdr, body, body_len, modes[i][0], modes[i][1], &o);
		CHECK(o.ok == r->ok && o.scan == r->scan);
		CHECK(o.body.len == r->body.len &&
		      (o.body.len == 0 ||
		       memcmp(o.body.data, r->body.data, o.body.len) == 0));
		CHECK(o.headers.len == r->headers.len &&
		      memcmp(o.headers.data, r->headers.data,
			     o.headers.len) == 0);
		if (o.body.len != r->body.len ||
		    (o.body.len && memcmp(o.body.data, r->body.data,
					  o.body.len) != 0))
			fprintf(stderr, "  ^ chunking %d/%d differs\n",
				modes[i][0], modes[i][1]);
		result_clear(&o);
	}
}

/* ------------------------------------------------ decoders for checking */

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Quoted-printable, strictly (RFC 2045 6.7): trailing blanks of a line
 * are deleted, "=" at its end is a soft break, "=XX" (either case) is an
 * octet, any other "=" is literal. */
static void
qp_decode(const char *p, size_t n, struct buf *out)
{
	size_t pos = 0;

	while (pos < n) {
		const char *nl = NULL;
		size_t end, clen;
		bool crlf, soft = false;

		for (size_t i = pos; i + 1 < n; i++)
			if (p[i] == '\r' && p[i + 1] == '\n') {
				nl = p + i;
				break;
			}
		end = nl ? (size_t)(nl - p) : n;
		crlf = nl != NULL;
		clen = end - pos;
		while (clen > 0 && (p[pos + clen - 1] == ' ' ||
				    p[pos + clen - 1] == '\t'))
			clen--;
		if (clen > 0 && p[pos + clen - 1] == '=') {
			soft = true;
			clen--;
		}
		for (size_t i = 0; i < clen; i++) {
			const char *q = p + pos + i;
			int hi, lo;

			if (q[0] == '=' && i + 2 < clen &&
			    (hi = hex_val(q[1])) >= 0 &&
			    (lo = hex_val(q[2])) >= 0) {
				buf_append_byte(out, (char)(hi * 16 + lo));
				i += 2;
				continue;
			}
			buf_append_byte(out, q[0]);
		}
		if (crlf && !soft)
			buf_append(out, "\r\n", 2);
		pos = crlf ? end + 2 : end;
	}
}

static int
b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Base64 (RFC 2045 6.8): characters outside the alphabet are ignored. */
static void
b64_decode(const char *p, size_t n, struct buf *out)
{
	unsigned acc = 0, bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64_val(p[i]);

		if (p[i] == '=')
			break;
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_append_byte(out, (char)((acc >> bits) & 0xff));
		}
	}
}

static void
b64_encode(const unsigned char *p, size_t n, size_t line_len, struct buf *out)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = a[v >> 18];
		q[1] = a[(v >> 12) & 63];
		q[2] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? a[v & 63] : '=';
		for (int k = 0; k < 4; k++) {
			buf_append_byte(out, q[k]);
			if (++col == line_len) {
				buf_append(out, "\r\n", 2);
				col = 0;
			}
		}
	}
	if (col)
		buf_append(out, "\r\n", 2);
}

/* Every line of a QP text is at most 76 and none starts with "-". */
static bool
qp_lines_ok(const char *p, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')) {
			if (i - start > 76)
				return false;
			if (i > start && p[start] == '-')
				return false;
			start = i + 2;
			i++;
		}
	}
	return true;
}

/* ------------------------------------------------- MIME walk for checks */

struct seg {
	const char *p;
	size_t len;
};

/* Split p at delimiter lines of boundary b: segs[0] is the preamble, then
 * the parts, then the epilogue (if a close delimiter was seen). Returns
 * the number of segments; *closed tells whether "--b--" was seen. */
static size_t
mime_split(const char *p, size_t n, const char *b, struct seg *segs,
	   size_t max, bool *closed)
{
	size_t blen = strlen(b), count = 0, start = 0, seg_start = 0;

	*closed = false;
	for (size_t i = 0; i <= n && count < max; i++) {
		bool eol = i + 1 < n && p[i] == '\r' && p[i + 1] == '\n';
		size_t len, k;

		if (!eol && i != n)
			continue;
		len = i - start;
		if (!*closed && len >= 2 + blen && p[start] == '-' &&
		    p[start + 1] == '-' &&
		    memcmp(p + start + 2, b, blen) == 0) {
			bool close = false;

			k = start + 2 + blen;
			if (k + 1 < i && p[k] == '-' && p[k + 1] == '-') {
				close = true;
				k += 2;
			}
			while (k < i && (p[k] == ' ' || p[k] == '\t'))
				k++;
			if (k == i) {
				/* the CRLF before the delimiter is its own */
				size_t end = start == seg_start ? seg_start
								: start - 2;

				segs[count].p = p + seg_start;
				segs[count].len = end - seg_start;
				count++;
				seg_start = eol ? i + 2 : i;
				if (close)
					*closed = true;
			}
		}
		start = i + 2;
		if (eol)
			i++;
	}
	if (count < max) {
		segs[count].p = p + seg_start;
		segs[count].len = n > seg_start ? n - seg_start : 0;
		count++;
	}
	return count;
}

/* Split a part into its header block (with the final CRLF of the last
 * field) and its body. */
static void
part_split(struct seg part, struct seg *hdr, struct seg *body)
{
	const char *p = part.p;
	size_t i;

	if (part.len >= 2 && p[0] == '\r' && p[1] == '\n') {
		hdr->p = p;
		hdr->len = 0;
		body->p = p + 2;
		body->len = part.len - 2;
		return;
	}
	for (i = 0; i + 3 < part.len; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			break;
	if (i + 3 >= part.len) {
		hdr->p = p;
		hdr->len = part.len;
		body->p = p + part.len;
		body->len = 0;
		return;
	}
	hdr->p = p;
	hdr->len = i + 2;
	body->p = p + i + 4;
	body->len = part.len - i - 4;
}

static bool
seg_has(struct seg s, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= s.len; i++)
		if (memcmp(s.p + i, needle, n) == 0)
			return true;
	return false;
}

static bool
seg_eq(struct seg s, const char *p, size_t n)
{
	return s.len == n && (n == 0 || memcmp(s.p, p, n) == 0);
}

static bool
seg_is(struct seg s, const char *str)
{
	return seg_eq(s, str, strlen(str));
}

/* The decoded body of a QP segment equals want. */
static bool
qp_body_is(struct seg s, const char *want, size_t want_len)
{
	struct buf d;
	bool ok;

	buf_init(&d, BIG);
	qp_decode(s.p, s.len, &d);
	ok = d.len == want_len && (want_len == 0 ||
				   memcmp(d.data, want, want_len) == 0);
	if (!ok)
		fprintf(stderr, "qp decode: got %zu octets, want %zu\n", d.len,
			want_len);
	buf_clear(&d);
	return ok && qp_lines_ok(s.p, s.len);
}

/* -------------------------------------------------------------- builders */

static void
add(struct buf *b, const char *s)
{
	if (!buf_append_str(b, s))
		abort();
}

static void
add_rep(struct buf *b, const char *unit, size_t times)
{
	for (size_t i = 0; i < times; i++)
		add(b, unit);
}

/* n octets of varied printable text with some blanks */
static void
add_text(struct buf *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)(i * 7 + seed) % 53;
		char c = v < 10 ? ' ' : (char)('a' + v % 26);

		if (v == 11)
			c = '=';
		if (v == 12)
			c = '-';
		buf_append_byte(b, c);
	}
}

/* ------------------------------------------------------------- cases */

static const char plain_hdr[] = "From: a@example.org\r\n"
				"To: b@example.org\r\n"
				"Subject: test\r\n";

static void
test_non_mime_short(void)
{
	static const char body[] = "hello\r\n-- \r\nsig\r\n\r\n";
	struct result r;

	run_all(plain_hdr, body, sizeof(body) - 1, &r);
	CHECK(!r.scan);
	CHECK_MEM(r.body.data, r.body.len, body, sizeof(body) - 1);
	CHECK_STR(r.headers.data, "From: a@example.org\r\n"
				  "To: b@example.org\r\n"
				  "Subject: test\r\n\r\n");
	result_clear(&r);
}

static void
test_998_999(void)
{
	struct buf b, want;
	struct result r;

	buf_init(&b, BIG);
	buf_init(&want, BIG);
	add_rep(&b, "a", 998);
	add(&b, "\r\nnext\r\n");
	run_all(plain_hdr, b.data, b.len, &r);
	CHECK(!r.scan);
	CHECK_MEM(r.body.data, r.body.len, b.data, b.len);
	result_clear(&r);

	buf_reset(&b);
	add_rep(&b, "a", 999);
	add(&b, "\r\nnext\r\n");
	run_all(plain_hdr, b.data, b.len, &r);
	CHECK(r.scan);
	/* exact output: 13 lines of 75 + "=", then 24, then "next" */
	for (int i = 0; i < 13; i++) {
		add_rep(&want, "a", 75);
		add(&want, "=\r\n");
	}
	add_rep(&want, "a", 24);
	add(&want, "\r\nnext\r\n");
	CHECK_MEM(r.body.data, r.body.len, want.data, want.len);
	CHECK_STR(r.headers.data,
		  "From: a@example.org\r\n"
		  "To: b@example.org\r\n"
		  "Subject: test\r\n"
		  "MIME-Version: 1.0\r\n"
		  "Content-Type: text/plain; charset=us-ascii\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&want);
}

static void
test_non_mime_long(void)
{
	static const char *const units[] = {"x", "\xed\x95\x9c\xea\xb8\x80 ",
					    "caf\xe9 "};
	static const char *const want_ct[] = {
		"Content-Type: text/plain; charset=us-ascii\r\n",
		"Content-Type: text/plain; charset=UTF-8\r\n",
		"Content-Type: text/plain; charset=unknown-8bit\r\n",
	};

	for (size_t u = 0; u < 3; u++) {
		struct buf b, hdr;
		struct result r;
		struct seg s;

		buf_init(&b, BIG);
		buf_init(&hdr, BIG);
		add(&b, "first line\r\n");
		while (b.len < 5012)
			add(&b, units[u]);
		add(&b, "\r\nlast line\r\n");
		run_all(plain_hdr, b.data, b.len, &r);
		CHECK(r.scan);
		add(&hdr, plain_hdr);
		add(&hdr, "MIME-Version: 1.0\r\n");
		add(&hdr, want_ct[u]);
		add(&hdr, "Content-Transfer-Encoding: "
			  "quoted-printable\r\n\r\n");
		CHECK_STR(r.headers.data, hdr.data);
		s.p = r.body.data;
		s.len = r.body.len;
		CHECK(qp_body_is(s, b.data, b.len));
		CHECK(r.body.len > 12 &&
		      memcmp(r.body.data, "first line\r\n", 12) == 0);
		result_clear(&r);
		buf_clear(&b);
		buf_clear(&hdr);
	}
}

static void
test_cte_replaced(void)
{
	static const char hdr[] =
		"MIME-Version: 1.0\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Subject: x\r\n";
	struct buf b;
	struct result r;
	struct seg s;

	buf_init(&b, BIG);
	add_rep(&b, "\xc3\xa9t\xc3\xa9 ", 400);
	add(&b, "\r\n");
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	CHECK_STR(r.headers.data,
		  "MIME-Version: 1.0\r\n"
		  "Content-Type: text/plain; charset=utf-8\r\n"
		  "Subject: x\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	s.p = r.body.data;
	s.len = r.body.len;
	CHECK(qp_body_is(s, b.data, b.len));
	result_clear(&r);
	buf_clear(&b);
}

/* "=" and blanks at line ends, a line starting with "-", NUL and a bare
 * CR inside a line: all survive the round trip. */
static void
test_qp_specials(void)
{
	static const char tail[] = "a = b \t\r\n"
				   "ends with equals=\r\n"
				   "tab at end\t\r\n"
				   "  \r\n"
				   "--looks like a delimiter\r\n"
				   "-\r\n"
				   "nul\0here and a bare\rcr\r\n"
				   "no final line break  ";
	struct buf b, want;
	struct result r;
	struct seg s;

	buf_init(&b, BIG);
	buf_init(&want, BIG);
	add_text(&b, 1500, 3);
	add(&b, " \r\n");
	buf_append(&b, tail, sizeof(tail) - 1);
	run_all("Subject: specials\r\n", b.data, b.len, &r);
	CHECK(r.scan);
	s.p = r.body.data;
	s.len = r.body.len;
	CHECK(qp_body_is(s, b.data, b.len));
	CHECK(seg_has(s, "=2D-looks like a delimiter\r\n"));
	CHECK(seg_has(s, "no final line break =20"));
	CHECK(r.body.len > 0 && r.body.data[r.body.len - 1] == '0');
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&want);
}

static const char mixed_hdr[] =
	"From: a@example.org\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed;\r\n"
	"\tboundary=\"=_outer 1\" (comment)\r\n";

static void
test_multipart_mixed(void)
{
	struct buf b, text, bin, att;
	struct result r;
	struct seg parts[8], hd, bd;
	bool closed;
	size_t n;
	static const char short_part[] =
		"Content-Type: text/plain; charset=us-ascii\r\n"
		"\r\n"
		"short part\r\n"
		"--=_outer 1x is not a delimiter\r\n"
		"--=_outer 1 - neither\r\n";

	buf_init(&b, BIG);
	buf_init(&text, BIG);
	buf_init(&bin, BIG);
	buf_init(&att, BIG);
	add(&text, "Dear reader,\r\n");
	add_text(&text, 3000, 1);
	add(&text, "\r\n-- \r\nsig");
	for (unsigned i = 0; i < 4000; i++)
		buf_append_byte(&bin, (char)(i * 37 % 256));
	b64_encode((const unsigned char *)bin.data, bin.len, 2000, &att);

	add(&b, "This is a MIME message.\r\n");
	add(&b, "--=_outer 1\r\n");
	add(&b, "Content-Type: text/plain; charset=us-ascii\r\n"
		"Content-Disposition: inline\r\n\r\n");
	buf_append(&b, text.data, text.len);
	add(&b, "\r\n--=_outer 1 \t\r\n");
	add(&b, short_part);
	add(&b, "--=_outer 1\r\n");
	add(&b, "Content-Type: application/octet-stream\r\n"
		"Content-Transfer-Encoding: BASE64 (comment)\r\n\r\n");
	buf_append(&b, att.data, att.len);
	add(&b, "--=_outer 1--  \r\nepilogue\r\n");

	run_all(mixed_hdr, b.data, b.len, &r);
	CHECK(r.scan);
	CHECK_MEM(r.headers.data, r.headers.len - 2, mixed_hdr,
		  sizeof(mixed_hdr) - 1);
	CHECK_MEM(r.headers.data + r.headers.len - 2, 2, "\r\n", 2);
	n = mime_split(r.body.data, r.body.len, "=_outer 1", parts, 8,
		       &closed);
	CHECK(n == 5 && closed);
	if (n == 5) {
		CHECK(seg_is(parts[0], "This is a MIME message."));
		part_split(parts[1], &hd, &bd);
		CHECK(seg_is(hd, "Content-Type: text/plain; "
				 "charset=us-ascii\r\n"
				 "Content-Disposition: inline\r\n"
				 "Content-Transfer-Encoding: "
				 "quoted-printable\r\n"));
		CHECK(qp_body_is(bd, text.data, text.len));
		/* the short part: unchanged */
		CHECK(seg_eq(parts[2], short_part, sizeof(short_part) - 3));
		part_split(parts[3], &hd, &bd);
		CHECK(seg_is(hd, "Content-Type: application/octet-stream\r\n"
				 "Content-Transfer-Encoding: BASE64 "
				 "(comment)\r\n"));
		CHECK(longest_line(bd.p, bd.len) == 76);
		{
			struct buf d;

			buf_init(&d, BIG);
			b64_decode(bd.p, bd.len, &d);
			CHECK_MEM(d.data, d.len, bin.data, bin.len);
			buf_clear(&d);
		}
		CHECK(seg_is(parts[4], "epilogue\r\n"));
	}
	/* the delimiter lines keep their padding */
	{
		struct seg all = {r.body.data, r.body.len};

		CHECK(seg_has(all, "\r\n--=_outer 1 \t\r\n"));
		CHECK(seg_has(all, "\r\n--=_outer 1--  \r\n"));
	}
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&text);
	buf_clear(&bin);
	buf_clear(&att);
}

static void
test_nested(void)
{
	struct buf b, t1, t2;
	struct result r;
	struct seg outer[8], inner[8], hd, bd, ihd, ibd;
	bool closed;
	size_t n, m;
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: MULTIPART/Mixed; "
				  "boundary=outer\r\n";

	buf_init(&b, BIG);
	buf_init(&t1, BIG);
	buf_init(&t2, BIG);
	add_text(&t1, 1200, 5);
	add(&t2, "<html>");
	add_text(&t2, 2400, 9);
	add(&t2, "\xe2\x82\xac</html>");
	add(&b, "--outer\r\n"
		"Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
		"\r\n"
		"inner preamble\r\n"
		"--inner\r\n"
		"Content-Type: text/plain\r\n"
		"Content-Transfer-Encoding: 7bit\r\n"
		"\r\n");
	buf_append(&b, t1.data, t1.len);
	add(&b, "\r\n--inner\r\n");
	/* no Content-Type: gains one, as the part has 8-bit octets */
	add(&b, "Content-Transfer-Encoding: 8bit\r\n\r\n");
	buf_append(&b, t2.data, t2.len);
	add(&b, "\r\n--inner--\r\n"
		"inner epilogue\r\n"
		"--outer\r\n"
		"\r\n"
		"short\r\n"
		"--outer--\r\n");
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	n = mime_split(r.body.data, r.body.len, "outer", outer, 8, &closed);
	CHECK(n == 4 && closed);
	if (n == 4) {
		CHECK(outer[0].len == 0);
		CHECK(seg_is(outer[2], "\r\nshort"));
		part_split(outer[1], &hd, &bd);
		CHECK(seg_is(hd, "Content-Type: multipart/alternative; "
				 "boundary=\"inner\"\r\n"));
		m = mime_split(bd.p, bd.len, "inner", inner, 8, &closed);
		CHECK(m == 4 && closed);
		if (m == 4) {
			CHECK(seg_is(inner[0], "inner preamble"));
			part_split(inner[1], &ihd, &ibd);
			CHECK(seg_is(ihd, "Content-Type: text/plain\r\n"
					  "Content-Transfer-Encoding: "
					  "quoted-printable\r\n"));
			CHECK(qp_body_is(ibd, t1.data, t1.len));
			part_split(inner[2], &ihd, &ibd);
			CHECK(seg_is(ihd, "Content-Transfer-Encoding: "
					  "quoted-printable\r\n"
					  "Content-Type: text/plain; "
					  "charset=UTF-8\r\n"));
			CHECK(qp_body_is(ibd, t2.data, t2.len));
			CHECK(seg_is(inner[3], "inner epilogue"));
		}
	}
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&t1);
	buf_clear(&t2);
}

/* A close delimiter is missing: the last part runs to the end. */
static void
test_missing_close(void)
{
	static const char hdr[] = "Mime-Version: 1.0\r\n"
				  "Content-type: multipart/mixed; "
				  "boundary=b\r\n";
	struct buf b, t;
	struct result r;
	struct seg parts[4], hd, bd;
	bool closed;
	size_t n;

	buf_init(&b, BIG);
	buf_init(&t, BIG);
	add_text(&t, 2000, 2);
	add(&t, "\r\n");
	add(&b, "--b\r\n\r\nfirst\r\n--b\r\n"
		"Content-Type: text/plain\r\n\r\n");
	buf_append(&b, t.data, t.len);
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	n = mime_split(r.body.data, r.body.len, "b", parts, 4, &closed);
	CHECK(n == 3 && !closed);
	if (n == 3) {
		CHECK(seg_is(parts[1], "\r\nfirst"));
		part_split(parts[2], &hd, &bd);
		CHECK(seg_has(hd, "Content-Transfer-Encoding: "
				  "quoted-printable\r\n"));
		CHECK(qp_body_is(bd, t.data, t.len));
	}
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&t);
}

/* A long line that starts with "--boundary" but is not a delimiter, in a
 * part that gets encoded and in the preamble (split). */
static void
test_dash_lines(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: multipart/mixed; "
				  "boundary=\"b\"\r\n";
	struct buf b, t, pre;
	struct result r;
	struct seg parts[4], hd, bd;
	bool closed;
	size_t n;

	buf_init(&b, BIG);
	buf_init(&t, BIG);
	buf_init(&pre, BIG);
	add(&t, "--b");
	add_rep(&t, "-", 1500);
	add(&t, "b\r\n--b x\r\n--bb--\r\n");
	add_text(&pre, 997, 4);
	add_rep(&pre, "-", 600);
	add(&pre, "b");
	buf_append(&b, pre.data, pre.len);
	add(&b, "\r\n--b\r\n\r\n");
	buf_append(&b, t.data, t.len);
	add(&b, "--b--\r\n");
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	n = mime_split(r.body.data, r.body.len, "b", parts, 4, &closed);
	CHECK(n == 3 && closed);
	if (n == 3) {
		/* preamble: split, no new line starts with "-" */
		struct buf j;

		buf_init(&j, BIG);
		for (size_t i = 0; i < parts[0].len; i++) {
			if (parts[0].p[i] == '\r' && i + 2 < parts[0].len) {
				CHECK(parts[0].p[i + 2] != '-');
				i++;
				continue;
			}
			buf_append_byte(&j, parts[0].p[i]);
		}
		CHECK_MEM(j.data, j.len, pre.data, pre.len);
		buf_clear(&j);
		part_split(parts[1], &hd, &bd);
		CHECK(seg_is(hd, "Content-Transfer-Encoding: "
				 "quoted-printable\r\n"));
		CHECK(qp_body_is(bd, t.data, t.len - 2));
	}
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&t);
	buf_clear(&pre);
}

/* Long lines that start like a delimiter ("--b" and blanks, then more):
 * the first piece of their split must not become one. */
static void
test_shaped(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: multipart/mixed; "
				  "boundary=b\r\n";
	struct buf b;
	struct result r;
	struct seg parts[6], hd, bd;
	bool closed;
	size_t n;

	buf_init(&b, BIG);
	add(&b, "--b");
	add_rep(&b, " ", 1200);
	add(&b, "x\r\n--b  ");
	add_rep(&b, "-", 1200);
	add(&b, "\r\n--b\r\n--b :");
	add_rep(&b, "y", 1200);
	add(&b, "\r\n\r\nbody\r\n--b--\r\n--b");
	add_rep(&b, " ", 2000);
	add(&b, "\r\n");
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	n = mime_split(r.body.data, r.body.len, "b", parts, 6, &closed);
	CHECK(n == 3 && closed);
	if (n == 3) {
		CHECK(parts[0].len > 6 &&
		      memcmp(parts[0].p, "-\r\n -b ", 7) == 0);
		part_split(parts[1], &hd, &bd);
		CHECK(hd.len > 11 &&
		      memcmp(hd.p, "-\r\n -b\r\n :y", 11) == 0);
		CHECK(seg_is(bd, "body"));
		/* after the close delimiter no boundary is open */
		CHECK(parts[2].len > 1001 &&
		      memcmp(parts[2].p + 998, "\r\n ", 3) == 0);
	}
	result_clear(&r);
	buf_clear(&b);
}

/* A QP part with a long line (malformed) is decoded and encoded again. */
static void
test_qp_part(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Transfer-Encoding: "
				  "Quoted-Printable\r\n"
				  "Content-Type: text/plain; charset=utf-8\r\n";
	struct buf b, dec_in;
	struct result r;
	struct seg s;

	buf_init(&b, BIG);
	buf_init(&dec_in, BIG);
	add(&b, "short =C3=A9 line=\r\n");
	add_rep(&b, "caf=c3=a9 =3D ", 100);
	add(&b, "end  \r\n");
	add_rep(&b, "x", 990);
	add(&b, "=4=\r\n");
	add_rep(&b, " ", 1200);
	add(&b, "=\r\n-dash= \r\n=ZZ tail");
	qp_decode(b.data, b.len, &dec_in);
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	CHECK_MEM(r.headers.data, r.headers.len - 2, hdr, sizeof(hdr) - 1);
	s.p = r.body.data;
	s.len = r.body.len;
	CHECK(qp_body_is(s, dec_in.data, dec_in.len));
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&dec_in);
}

/* Top-level base64 with long lines: re-wrapped, headers unchanged. */
static void
test_top_base64(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: image/png\r\n"
				  "Content-Transfer-Encoding: base64\r\n";
	struct buf bin, b, d;
	struct result r;

	buf_init(&bin, BIG);
	buf_init(&b, BIG);
	buf_init(&d, BIG);
	for (unsigned i = 0; i < 10000; i++)
		buf_append_byte(&bin, (char)(i * 131 % 251));
	b64_encode((const unsigned char *)bin.data, bin.len, 5000, &b);
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	CHECK_MEM(r.headers.data, r.headers.len - 2, hdr, sizeof(hdr) - 1);
	CHECK(longest_line(r.body.data, r.body.len) == 76);
	b64_decode(r.body.data, r.body.len, &d);
	CHECK_MEM(d.data, d.len, bin.data, bin.len);
	CHECK(r.body.len > 2 &&
	      memcmp(r.body.data + r.body.len - 2, "\r\n", 2) == 0);
	result_clear(&r);
	buf_clear(&bin);
	buf_clear(&b);
	buf_clear(&d);
}

/* Unknown encoding, preamble and epilogue: split with a plain CRLF. */
static void
test_opaque(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: text/plain\r\n"
				  "Content-Transfer-Encoding: x-uuencode\r\n";
	struct buf b, want;
	struct result r;

	buf_init(&b, BIG);
	buf_init(&want, BIG);
	add_rep(&b, "u", 2500);
	add(&b, "\r\n");
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	CHECK_MEM(r.headers.data, r.headers.len - 2, hdr, sizeof(hdr) - 1);
	add_rep(&want, "u", 998);
	add(&want, "\r\n");
	add_rep(&want, "u", 998);
	add(&want, "\r\n");
	add_rep(&want, "u", 504);
	add(&want, "\r\n");
	CHECK_MEM(r.body.data, r.body.len, want.data, want.len);
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&want);
}

/* Part header lines over 998 octets are folded. */
static void
test_part_header_fold(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: multipart/mixed; "
				  "boundary=\"b\"\r\n";
	struct buf b, f1, f2, unf;
	struct result r;
	struct seg parts[4], hd, bd;
	bool closed;
	size_t n;

	buf_init(&b, BIG);
	buf_init(&f1, BIG);
	buf_init(&f2, BIG);
	buf_init(&unf, BIG);
	add(&f1, "Content-Disposition: attachment; filename=\"");
	add_text(&f1, 2500, 6);
	add(&f1, "\"");
	add(&f2, "X-Token: ");
	add_rep(&f2, "z", 1500);
	add(&b, "--b\r\n");
	buf_append(&b, f1.data, f1.len);
	add(&b, "\r\n");
	buf_append(&b, f2.data, f2.len);
	add(&b, "\r\n\r\nbody\r\n--b--\r\n");
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	n = mime_split(r.body.data, r.body.len, "b", parts, 4, &closed);
	CHECK(n == 3 && closed);
	if (n == 3) {
		part_split(parts[1], &hd, &bd);
		CHECK(seg_is(bd, "body"));
		/* unfold: drop each CRLF that a blank follows */
		for (size_t i = 0; i < hd.len; i++) {
			if (i + 2 < hd.len && hd.p[i] == '\r' &&
			    (hd.p[i + 2] == ' ' || hd.p[i + 2] == '\t')) {
				i++;
				continue;
			}
			buf_append_byte(&unf, hd.p[i]);
		}
		buf_append(&f1, "\r\n", 2);
		CHECK(unf.len > f1.len &&
		      memcmp(unf.data, f1.data, f1.len) == 0);
		/* no blank to fold at: one space inserted */
		CHECK(unf.len == f1.len + f2.len + 3);
		if (unf.len == f1.len + f2.len + 3) {
			const char *u = unf.data + f1.len;
			size_t k = 0;

			while (k < f2.len && u[k] == f2.data[k])
				k++;
			CHECK(k < f2.len && u[k] == ' ');
			CHECK(memcmp(u + k + 1, f2.data + k, f2.len - k) == 0);
			CHECK(memcmp(u + f2.len + 1, "\r\n", 2) == 0);
		}
	}
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&f1);
	buf_clear(&f2);
	buf_clear(&unf);
}

/* An encapsulated message without MIME headers, in a digest part without
 * Content-Type, and one behind message/rfc822. */
static void
test_rfc822(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: multipart/digest; "
				  "boundary=d\r\n";
	static const char want_hdr[] =
		"Subject: inner\r\n"
		"From: x@example.org\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=us-ascii\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n";
	struct buf b, t;
	struct result r;
	struct seg parts[4], hd, bd, ihd, ibd;
	bool closed;
	size_t n;

	buf_init(&b, BIG);
	buf_init(&t, BIG);
	add_text(&t, 1800, 7);
	add(&b, "--d\r\n\r\n"
		"Subject: inner\r\n"
		"From: x@example.org\r\n\r\n");
	buf_append(&b, t.data, t.len);
	add(&b, "\r\n--d\r\n"
		"Content-Type: message/rfc822\r\n\r\n"
		"Subject: inner\r\n"
		"From: x@example.org\r\n\r\n");
	buf_append(&b, t.data, t.len);
	add(&b, "\r\n--d--\r\n");
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	n = mime_split(r.body.data, r.body.len, "d", parts, 4, &closed);
	CHECK(n == 4 && closed);
	for (size_t i = 1; i < 3 && n == 4; i++) {
		part_split(parts[i], &hd, &bd);
		CHECK(i == 1 ? hd.len == 0
			     : seg_is(hd, "Content-Type: message/rfc822\r\n"));
		part_split(bd, &ihd, &ibd);
		CHECK(seg_eq(ihd, want_hdr, sizeof(want_hdr) - 1));
		CHECK(qp_body_is(ibd, t.data, t.len));
	}
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&t);
}

/* A part whose header block is missing its empty line: fields are added
 * and the empty line with them. */
static void
test_part_without_blank(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: multipart/mixed; "
				  "boundary=b\r\n";
	struct buf b, t;
	struct result r;
	struct seg parts[4], hd, bd;
	bool closed;
	size_t n;

	buf_init(&b, BIG);
	buf_init(&t, BIG);
	add(&t, "Hello, no header here ");
	add_text(&t, 1100, 8);
	add(&b, "--b\r\n");
	buf_append(&b, t.data, t.len);
	add(&b, "\r\n--b--\r\n");
	run_all(hdr, b.data, b.len, &r);
	CHECK(r.scan);
	n = mime_split(r.body.data, r.body.len, "b", parts, 4, &closed);
	CHECK(n == 3 && closed);
	if (n == 3) {
		part_split(parts[1], &hd, &bd);
		CHECK(seg_is(hd, "Content-Transfer-Encoding: "
				 "quoted-printable\r\n"));
		CHECK(qp_body_is(bd, t.data, t.len));
	}
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&t);
}

/* Deeper than the nesting limit: still every line within 998. */
static void
test_deep(void)
{
	struct buf b, h;
	struct result r;

	buf_init(&b, BIG);
	buf_init(&h, BIG);
	add(&h, "MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=b0\r\n");
	for (int i = 1; i < 30; i++) {
		char line[128];

		snprintf(line, sizeof(line),
			 "--b%d\r\nContent-Type: multipart/mixed; "
			 "boundary=b%d\r\n\r\n",
			 i - 1, i);
		add(&b, line);
	}
	add(&b, "--b29\r\n\r\n");
	add_text(&b, 3000, 1);
	add(&b, "\r\n--b29--\r\n");
	run_all(h.data, b.data, b.len, &r);
	CHECK(r.scan);
	result_clear(&r);
	buf_clear(&b);
	buf_clear(&h);
}

/* A 10 MB line in one part: bounded memory, fast enough, round trip. */
static void
test_huge_line(void)
{
	struct buf b;
	struct result r;
	struct seg s;
	size_t n = 10u * 1024 * 1024;

	buf_init(&b, BIG);
	add(&b, "start\r\n");
	add_text(&b, n, 11);
	add(&b, "\r\n");
	run(plain_hdr, b.data, b.len, 2, 0, &r);
	CHECK(r.ok && r.scan);
	s.p = r.body.data;
	s.len = r.body.len;
	CHECK(qp_body_is(s, b.data, b.len));
	{
		struct result o;

		run(plain_hdr, b.data, b.len, 0, 2, &o);
		CHECK(o.ok);
		CHECK_MEM(o.body.data, o.body.len, r.body.data, r.body.len);
		result_clear(&o);
	}
	result_clear(&r);
	buf_clear(&b);
}

/* CRLF and a delimiter cut at every place, in two chunks. */
static void
test_every_cut(void)
{
	static const char hdr[] = "MIME-Version: 1.0\r\n"
				  "Content-Type: multipart/mixed; "
				  "boundary=cut\r\n";
	struct buf b;
	struct result whole;

	buf_init(&b, BIG);
	add(&b, "pre\r\n--cut\r\n\r\n");
	add_text(&b, 1000, 2);
	add(&b, "\r\n--cut  \r\n\r\nb\r\n--cut--\r\n");
	run(hdr, b.data, b.len, 0, 0, &whole);
	CHECK(whole.ok && whole.scan);
	for (size_t cut = 0; cut <= b.len; cut++) {
		struct msg_headers h;
		struct msg_longlines *ll;
		struct buf out;
		struct mf_error err;
		bool ok;

		msg_headers_init(&h);
		headers_from_text(&h, hdr);
		buf_init(&out, BIG);
		ll = msg_longlines_new(&h);
		msg_longlines_scan(ll, b.data, cut);
		msg_longlines_scan(ll, b.data + cut, b.len - cut);
		ok = msg_longlines_scan_done(ll) &&
		     msg_longlines_fix_headers(ll, &h, &err) &&
		     msg_longlines_rewrite(ll, b.data, b.len - cut, collect,
					   &out, &err) &&
		     msg_longlines_rewrite(ll, b.data + b.len - cut, cut,
					   collect, &out, &err) &&
		     msg_longlines_rewrite_end(ll, collect, &out, &err);
		CHECK(ok);
		CHECK_MEM(out.data, out.len, whole.body.data, whole.body.len);
		msg_longlines_free(ll);
		msg_headers_clear(&h);
		buf_clear(&out);
	}
	result_clear(&whole);
	buf_clear(&b);
}

static bool
fail_out(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	(void)ctx;
	(void)p;
	(void)len;
	err_set(err, EX_TEMPFAIL, ERR_TEMPORARY, "disk full");
	return false;
}

/* Errors: the body changed, fix_headers skipped, the output failed. */
static void
test_errors(void)
{
	struct buf b, out;
	struct msg_headers h;
	struct msg_longlines *ll;
	struct mf_error err;

	buf_init(&b, BIG);
	buf_init(&out, BIG);
	add_rep(&b, "y", 1200);
	add(&b, "\r\n");

	/* a different body in pass 2 */
	msg_headers_init(&h);
	headers_from_text(&h, plain_hdr);
	ll = msg_longlines_new(&h);
	msg_longlines_scan(ll, b.data, b.len);
	CHECK(msg_longlines_scan_done(ll));
	CHECK(msg_longlines_fix_headers(ll, &h, &err));
	CHECK(msg_longlines_rewrite(ll, b.data, b.len - 3, collect, &out,
				    &err));
	err_clear(&err);
	CHECK(!msg_longlines_rewrite_end(ll, collect, &out, &err));
	CHECK(err.exit_code == EX_SOFTWARE && err.cls == ERR_LOCAL);
	msg_longlines_free(ll);
	msg_headers_clear(&h);

	/* the top-level headers were not fixed */
	msg_headers_init(&h);
	headers_from_text(&h, plain_hdr);
	ll = msg_longlines_new(&h);
	msg_longlines_scan(ll, b.data, b.len);
	CHECK(msg_longlines_scan_done(ll));
	err_clear(&err);
	CHECK(!msg_longlines_rewrite(ll, b.data, b.len, collect, &out, &err));
	CHECK(err.exit_code == EX_SOFTWARE);
	msg_longlines_free(ll);
	msg_headers_clear(&h);

	/* the output fails: its error comes back, and again afterwards */
	msg_headers_init(&h);
	headers_from_text(&h, plain_hdr);
	ll = msg_longlines_new(&h);
	msg_longlines_scan(ll, b.data, b.len);
	CHECK(msg_longlines_scan_done(ll));
	CHECK(msg_longlines_fix_headers(ll, &h, &err));
	err_clear(&err);
	CHECK(!msg_longlines_rewrite(ll, b.data, b.len, fail_out, NULL, &err));
	CHECK(err.exit_code == EX_TEMPFAIL);
	CHECK_STR(err.msg, "disk full");
	CHECK(!msg_longlines_rewrite_end(ll, fail_out, NULL, &err));
	CHECK(err.exit_code == EX_TEMPFAIL);
	msg_longlines_free(ll);
	msg_headers_clear(&h);

	/* no long line: nothing to fix, pass 2 is the identity */
	msg_headers_init(&h);
	headers_from_text(&h, plain_hdr);
	ll = msg_longlines_new(&h);
	msg_longlines_scan(ll, "hi\r\n", 4);
	CHECK(!msg_longlines_scan_done(ll));
	CHECK(msg_longlines_fix_headers(ll, &h, &err));
	CHECK(h.count == 3);
	msg_longlines_free(ll);
	msg_headers_clear(&h);
	msg_longlines_free(NULL);

	buf_clear(&b);
	buf_clear(&out);
}

/* A multipart without MIME-Version is still followed; a multipart without
 * a boundary, or base64-encoded, is a leaf. */
static void
test_odd_tops(void)
{
	struct buf b;
	struct result r;
	struct seg parts[4], hd, bd;
	bool closed;
	size_t n;

	buf_init(&b, BIG);
	add(&b, "--q\r\n\r\n");
	add_text(&b, 1500, 3);
	add(&b, "\r\n--q--\r\n");
	run_all("Content-Type: multipart/mixed; boundary=q\r\n", b.data, b.len,
		&r);
	CHECK(r.scan);
	CHECK_STR(r.headers.data,
		  "Content-Type: multipart/mixed; boundary=q\r\n\r\n");
	n = mime_split(r.body.data, r.body.len, "q", parts, 4, &closed);
	CHECK(n == 3 && closed);
	if (n == 3) {
		part_split(parts[1], &hd, &bd);
		CHECK(seg_is(hd, "Content-Transfer-Encoding: "
				 "quoted-printable\r\n"));
		CHECK(qp_body_is(bd, b.data + 7, 1500));
	}
	result_clear(&r);

	/* no boundary: a composite leaf, split */
	run_all("MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n",
		b.data, b.len, &r);
	CHECK(r.scan);
	CHECK_STR(r.headers.data,
		  "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n");
	CHECK(r.body.len == b.len + 2);
	result_clear(&r);
	buf_clear(&b);
}

/* Boundary parameters: a quoted-pair, a fold inside the quotes, an
 * unquoted value with "=" (common), other parameters first, and a second
 * boundary parameter that does not count. */
static void
test_boundary_params(void)
{
	static const struct {
		const char *hdr;
		const char *boundary;
	} cases[] = {
		{"Content-Type: multipart/mixed; boundary=\"a\\\"b\"\r\n",
		 "a\"b"},
		{"Content-Type: multipart/mixed; boundary=\"fo\r\n ld\"\r\n",
		 "fo ld"},
		{"Content-Type: multipart/related; type=\"text/html\";\r\n"
		 "\tcharset=us-ascii; BOUNDARY=----=_Part_1_2.3;"
		 " boundary=other\r\n",
		 "----=_Part_1_2.3"},
		{"Content-Type: multipart/mixed; junk junk;"
		 " boundary = x (c)\r\n",
		 "x"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b, h, t;
		struct result r;
		struct seg parts[4], hd, bd;
		bool closed;
		size_t n;
		int before = check_failures;

		buf_init(&b, BIG);
		buf_init(&h, BIG);
		buf_init(&t, BIG);
		add(&h, "MIME-Version: 1.0\r\n");
		add(&h, cases[i].hdr);
		add_text(&t, 1100, (unsigned)i);
		add(&b, "--");
		add(&b, cases[i].boundary);
		add(&b, "\r\n\r\n");
		buf_append(&b, t.data, t.len);
		add(&b, "\r\n--");
		add(&b, cases[i].boundary);
		add(&b, "--\r\n");
		run_all(h.data, b.data, b.len, &r);
		CHECK(r.scan);
		n = mime_split(r.body.data, r.body.len, cases[i].boundary,
			       parts, 4, &closed);
		CHECK(n == 3 && closed);
		if (n == 3) {
			part_split(parts[1], &hd, &bd);
			CHECK(seg_is(hd, "Content-Transfer-Encoding: "
					 "quoted-printable\r\n"));
			CHECK(qp_body_is(bd, t.data, t.len));
		}
		if (check_failures != before)
			fprintf(stderr, "  ^ boundary case %zu\n", i);
		result_clear(&r);
		buf_clear(&b);
		buf_clear(&h);
		buf_clear(&t);
	}
}

int
main(void)
{
	test_non_mime_short();
	test_998_999();
	test_non_mime_long();
	test_cte_replaced();
	test_qp_specials();
	test_multipart_mixed();
	test_nested();
	test_missing_close();
	test_dash_lines();
	test_shaped();
	test_qp_part();
	test_top_base64();
	test_opaque();
	test_part_header_fold();
	test_rfc822();
	test_part_without_blank();
	test_deep();
	test_huge_line();
	test_every_cut();
	test_errors();
	test_odd_tops();
	test_boundary_params();
	return check_done("longlines_test");
}
