/* tests/fuzz/fuzz_longlines.c: libFuzzer target for message/longlines.c.
 *
 * Input: data[0] picks the top-level header block (low 3 bits: plain
 * text, multipart/mixed "b", multipart/digest "b", base64, quoted-
 * printable, message/rfc822, multipart with a "----=_b" boundary, an
 * unknown encoding) and whether the body is normalised to CRLF lines
 * (bit 3; otherwise bare CR and LF stay, which the API does not promise
 * but must survive). data[1] seeds the chunk sizes. The rest is the body,
 * where 0x01 n c stands for 8 * n copies of c, so that long lines are
 * cheap to reach.
 *
 * Both passes run twice with different cuts. Checked on every run:
 *  - both runs give the same scan result, headers and output;
 *  - every output line (headers and body) is at most 998 octets;
 *  - without a long line: the output is the input and the headers are
 *    unchanged;
 *  - multipart: as many "--b" delimiter lines (up to the first close
 *    delimiter) in the output as in the input (no line was turned into a
 *    delimiter, none lost);
 *  - plain text: the output is quoted-printable (lines of at most 76) that
 *    decodes to the input, and Content-Transfer-Encoding says so;
 *    base64: the same base64 characters; quoted-printable: the same
 *    decoded octets (unless a run of 998 blanks makes that undefined).
 * Any violation aborts.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc -I.
 *        tests/fuzz/fuzz_longlines.c src/message/longlines.c
 *        src/message/header.c src/util/alloc.c src/util/buf.c
 *        src/util/error.c
 * Seeds: tests/fuzz/corpus/longlines/ */
#include "config.h"

#include "message/header.h"
#include "message/longlines.h"
#include "util/buf.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BODY_MAX (64u * 1024)

enum mode {
	M_PLAIN,
	M_MIXED,
	M_DIGEST,
	M_BASE64,
	M_QP,
	M_RFC822,
	M_DASHES,
	M_UNKNOWN,
};

static const char *const top_headers[] = {
	[M_PLAIN] = "Subject: fuzz\r\n",
	[M_MIXED] = "MIME-Version: 1.0\r\n"
		    "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
	[M_DIGEST] = "MIME-Version: 1.0\r\n"
		     "Content-Type: multipart/digest;\r\n boundary=b\r\n",
	[M_BASE64] = "MIME-Version: 1.0\r\n"
		     "Content-Type: application/octet-stream\r\n"
		     "Content-Transfer-Encoding: base64\r\n",
	[M_QP] = "MIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=utf-8\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n",
	[M_RFC822] = "MIME-Version: 1.0\r\n"
		     "Content-Type: message/rfc822\r\n",
	[M_DASHES] = "MIME-Version: 1.0\r\n"
		     "Content-Type: multipart/alternative; "
		     "boundary=----=_b\r\n",
	[M_UNKNOWN] = "MIME-Version: 1.0\r\n"
		      "Content-Transfer-Encoding: x-fuzz\r\n",
};

static uint32_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
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

static void
add_headers(struct msg_headers *h, const char *text)
{
	size_t len = strlen(text), pos = 0;
	struct mf_error err;

	while (pos < len) {
		size_t end = pos;

		do {
			const char *nl = strstr(text + end, "\r\n");

			end = (size_t)(nl - text) + 2;
		} while (end < len && (text[end] == ' ' || text[end] == '\t'));
		if (!msg_headers_add(h, text + pos, end - pos, &err))
			abort();
		pos = end;
	}
}

/* 0: all at once, 1: one octet, 2: random small, 3: random large */
static size_t
chunk(int how, size_t left)
{
	size_t n = left;

	if (how == 1)
		n = 1;
	else if (how == 2)
		n = 1 + rng() % 64;
	else if (how == 3)
		n = 1 + rng() % 4096;
	return n < left ? n : left;
}

struct run {
	bool scan;
	struct buf headers;
	struct buf body;
};

static void
run_once(const char *hdr, const char *body, size_t len, int how1, int how2,
	 struct run *r)
{
	struct msg_headers h;
	struct msg_longlines *ll;
	struct mf_error err;
	size_t pos, n;

	buf_init(&r->headers, 1u << 20);
	buf_init(&r->body, 16u * BODY_MAX);
	msg_headers_init(&h);
	add_headers(&h, hdr);
	ll = msg_longlines_new(&h);
	for (pos = 0; pos < len; pos += n) {
		n = chunk(how1, len - pos);
		msg_longlines_scan(ll, body + pos, n);
	}
	r->scan = msg_longlines_scan_done(ll);
	if (!msg_longlines_fix_headers(ll, &h, &err))
		abort();
	for (pos = 0; pos < len; pos += n) {
		n = chunk(how2, len - pos);
		if (!msg_longlines_rewrite(ll, body + pos, n, collect,
					   &r->body, &err))
			abort();
	}
	if (!msg_longlines_rewrite_end(ll, collect, &r->body, &err))
		abort();
	if (!msg_headers_write(&h, &r->headers, &err))
		abort();
	msg_longlines_free(ll);
	msg_headers_clear(&h);
}

static void
run_clear(struct run *r)
{
	buf_clear(&r->headers);
	buf_clear(&r->body);
}

static bool
same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Longest line, without its CRLF. */
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
	return n - start > best ? n - start : best;
}

/* Delimiter lines of boundary b up to the first close delimiter; lines
 * over 998 octets are not delimiters. */
static size_t
count_delims(const char *p, size_t n, const char *b)
{
	size_t blen = strlen(b), count = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		bool eol = i + 1 < n && p[i] == '\r' && p[i + 1] == '\n';
		size_t len = i - start, k;
		bool close = false;

		if (!eol && i != n)
			continue;
		if (len <= MSG_LINE_MAX && len >= 2 + blen &&
		    p[start] == '-' && p[start + 1] == '-' &&
		    memcmp(p + start + 2, b, blen) == 0) {
			k = start + 2 + blen;
			if (k + 1 < i && p[k] == '-' && p[k + 1] == '-') {
				close = true;
				k += 2;
			}
			while (k < i && (p[k] == ' ' || p[k] == '\t'))
				k++;
			if (k == i) {
				count++;
				if (close)
					return count;
			}
		}
		start = i + 2;
		i++;
	}
	return count;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Strict quoted-printable decoding (RFC 2045 6.7). */
static void
qp_decode(const char *p, size_t n, struct buf *out)
{
	size_t pos = 0;

	while (pos < n) {
		size_t end = pos, clen;
		bool crlf = false, soft = false;

		while (end < n && !(p[end] == '\r' && end + 1 < n &&
				    p[end + 1] == '\n'))
			end++;
		crlf = end < n;
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
			    (hi = hexval(q[1])) >= 0 &&
			    (lo = hexval(q[2])) >= 0) {
				if (!buf_append_byte(out, (char)(hi * 16 + lo)))
					abort();
				i += 2;
				continue;
			}
			if (!buf_append_byte(out, q[0]))
				abort();
		}
		if (crlf && !soft && !buf_append(out, "\r\n", 2))
			abort();
		pos = crlf ? end + 2 : end;
	}
}

static bool
qp_lines_ok(const char *p, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')) {
			if (i - start > 76 || (i > start && p[start] == '-'))
				return false;
			start = i + 2;
			i++;
		}
	}
	return true;
}

static void
b64_filter(const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '=')
			if (!buf_append_byte(out, c))
				abort();
	}
}

static bool
has_blank_run(const char *p, size_t n, size_t run)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		k = (p[i] == ' ' || p[i] == '\t') ? k + 1 : 0;
		if (k >= run)
			return true;
	}
	return false;
}

static bool
has(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->data + i, s, n) == 0)
			return true;
	return false;
}

static void
put(struct buf *out, char c, bool normalise)
{
	bool after_cr = out->len > 0 && out->data[out->len - 1] == '\r';

	if (normalise && c == '\n' && !after_cr && !buf_append_byte(out, '\r'))
		abort();
	if (normalise && after_cr && c != '\n' && !buf_append_byte(out, '\n'))
		abort();
	if (!buf_append_byte(out, c))
		abort();
}

/* Expand 0x01 n c and, when asked, make every line end CRLF. */
static void
make_body(const uint8_t *data, size_t size, bool normalise, struct buf *out)
{
	for (size_t i = 0; i < size && out->len < BODY_MAX; i++) {
		char c = (char)data[i];

		if (c == 1 && i + 2 < size) {
			size_t n = 8u * data[i + 1];

			c = (char)data[i + 2];
			i += 2;
			while (n-- > 0 && out->len < BODY_MAX)
				put(out, c, normalise);
			continue;
		}
		put(out, c, normalise);
	}
	if (normalise && out->len > 0 && out->data[out->len - 1] == '\r' &&
	    !buf_append_byte(out, '\n'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum mode mode;
	bool normalise;
	const char *hdr;
	struct buf body;
	struct run a, b;
	size_t hlen;

	if (size < 2)
		return 0;
	mode = (enum mode)(data[0] & 7);
	normalise = !(data[0] & 8);
	hdr = top_headers[mode];
	hlen = strlen(hdr);
	buf_init(&body, BODY_MAX + 8);
	make_body(data + 2, size - 2, normalise, &body);

	rng_state = 0x9e3779b9u ^ data[1];
	run_once(hdr, body.data ? body.data : "", body.len, 0,
		 data[1] & 1 ? 3 : 2, &a);
	run_once(hdr, body.data ? body.data : "", body.len,
		 body.len < 8192 ? 1 : 2, data[1] & 2 ? 0 : 3, &b);

	if (a.scan != b.scan ||
	    !same(a.headers.data, a.headers.len, b.headers.data,
		  b.headers.len) ||
	    !same(a.body.data, a.body.len, b.body.data, b.body.len))
		abort();
	if (longest_line(a.body.data, a.body.len) > MSG_LINE_MAX ||
	    longest_line(a.headers.data, a.headers.len) > MSG_LINE_MAX)
		abort();
	if (!a.scan &&
	    (!same(a.body.data, a.body.len, body.data, body.len) ||
	     a.headers.len != hlen + 2 || memcmp(a.headers.data, hdr, hlen)))
		abort();
	if (a.scan &&
	    (mode == M_MIXED || mode == M_DIGEST || mode == M_DASHES)) {
		const char *bnd = mode == M_DASHES ? "----=_b" : "b";

		if (count_delims(body.data, body.len, bnd) !=
		    count_delims(a.body.data, a.body.len, bnd))
			abort();
	}
	if (a.scan && mode == M_PLAIN) {
		struct buf d;

		buf_init(&d, 16u * BODY_MAX);
		qp_decode(a.body.data, a.body.len, &d);
		if (!same(d.data, d.len, body.data, body.len) ||
		    !qp_lines_ok(a.body.data, a.body.len) ||
		    !has(&a.headers, "\r\nContent-Transfer-Encoding: "
				     "quoted-printable\r\n") ||
		    !has(&a.headers, "\r\nMIME-Version: 1.0\r\n"))
			abort();
		buf_clear(&d);
	}
	if (a.scan && mode == M_BASE64) {
		struct buf x, y;

		buf_init(&x, 16u * BODY_MAX);
		buf_init(&y, 16u * BODY_MAX);
		b64_filter(body.data, body.len, &x);
		b64_filter(a.body.data, a.body.len, &y);
		if (!same(x.data, x.len, y.data, y.len) ||
		    longest_line(a.body.data, a.body.len) > 76)
			abort();
		buf_clear(&x);
		buf_clear(&y);
	}
	if (a.scan && mode == M_QP &&
	    !has_blank_run(body.data, body.len, MSG_LINE_MAX)) {
		struct buf x, y;

		buf_init(&x, 16u * BODY_MAX);
		buf_init(&y, 16u * BODY_MAX);
		qp_decode(body.data, body.len, &x);
		qp_decode(a.body.data, a.body.len, &y);
		if (!same(x.data, x.len, y.data, y.len) ||
		    !qp_lines_ok(a.body.data, a.body.len))
			abort();
		buf_clear(&x);
		buf_clear(&y);
	}
	run_clear(&a);
	run_clear(&b);
	buf_clear(&body);
	return 0;
}
