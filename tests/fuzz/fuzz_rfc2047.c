/* tests/fuzz/fuzz_rfc2047.c: libFuzzer target for message/rfc2047.c.
 *
 * The input is a raw field body (the bytes after the colon). It goes
 * through both encoders, with a short and a long field name, then through
 * the decoder. Checked on every run:
 *  - the unstructured encoder always succeeds; the address encoder either
 *    succeeds or fails with EX_DATAERR, permanent, and leaves out as it
 *    was;
 *  - the output is "Name:" then CRLF-terminated lines, no bare CR or LF,
 *    continuation lines start with a blank and are not only blanks;
 *  - a line is at most 78 octets unless it is one unbreakable piece (no
 *    blank where a fold could go) that is not an encoded word;
 *  - every encoded word we wrote is at most 75 octets, decodes on its own,
 *    is labelled UTF-8 exactly when the unfolded input is valid UTF-8,
 *    and then decodes to whole UTF-8 characters;
 *  - unstructured: no 8-bit byte is left; decoding the output gives the
 *    unfolded input (CR and LF that are not folds dropped) byte for byte
 *    when it has no "=?", and in general the same as decoding the unfolded
 *    input, when no word holding "=?" also holds 8-bit or control bytes
 *    (such a word is encoded whole, so its encoded-word look-alikes are
 *    no longer decoded);
 *  - address: when address/address.c can read the input, it reads the
 *    output too and finds the same addr-specs;
 *  - input that needs nothing and fits comes back unchanged;
 *  - the decoder never fails and never grows its input.
 * Any violation aborts.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc -I.
 *        tests/fuzz/fuzz_rfc2047.c src/message/rfc2047.c
 *        src/address/address.c src/util/alloc.c src/util/buf.c
 *        src/util/error.c
 * Seeds: tests/fuzz/corpus/rfc2047/ */
#include "config.h"

#include "address/address.h"
#include "message/rfc2047.h"
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

static const char *const names[2][2] = {
	{ "Subject", "X-A-Rather-Long-Header-Field-Name-For-Fuzzing" },
	{ "To", "Resent-Disposition-Notification-To-Long-Name" },
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
has_8bit_or_ctl(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

static bool
contains(const char *hay, size_t hn, const char *needle, size_t nn)
{
	if (nn == 0)
		return true;
	for (size_t i = 0; i + nn <= hn; i++)
		if (memcmp(hay + i, needle, nn) == 0)
			return true;
	return false;
}

/* RFC 3629 well-formed UTF-8, written independently of the encoder. */
static bool
utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		unsigned long cp;
		size_t need;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += need + 1;
	}
	return true;
}

/* The text the encoders work on: trailing CR/LF gone, CRLF/LF + blank
 * unfolded, other CR and LF dropped; with or without the blank after
 * the colon. Returns false when a CR or LF was dropped. */
static bool
unfold_value(const char *v, size_t n, struct buf *out, bool strip_blank)
{
	bool clean = true;
	size_t i = 0;

	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	while (i < n) {
		if (v[i] == '\r' && i + 2 < n && v[i + 1] == '\n' &&
		    is_blank(v[i + 2])) {
			i += 2;
			continue;
		}
		if (v[i] == '\n' && i + 1 < n && is_blank(v[i + 1])) {
			i++;
			continue;
		}
		if (v[i] == '\r' || v[i] == '\n') {
			clean = false;
			i++;
			continue;
		}
		if (!buf_append(out, v + i, 1))
			abort();
		i++;
	}
	if (strip_blank && out->len > 0 && is_blank(out->data[0]))
		buf_consume(out, 1);
	return clean;
}

/* Length of "=?UTF-8?X?...?=" or "=?UNKNOWN-8BIT?X?...?=" at p, or 0. */
static size_t
our_ew_at(const char *p, size_t n)
{
	size_t i, q = 0;

	if (!(n >= 8 && memcmp(p, "=?UTF-8?", 8) == 0) &&
	    !(n >= 15 && memcmp(p, "=?UNKNOWN-8BIT?", 15) == 0))
		return 0;
	for (i = 2; i < n; i++) {
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return 0;
		if (p[i] == '?' && ++q == 2)
			break;
	}
	/* "?B?" or "?Q?" and at least one byte of text */
	if (i + 3 >= n || (p[i + 1] != 'B' && p[i + 1] != 'Q') ||
	    p[i + 2] != '?' || p[i + 3] == '?')
		return 0;
	for (i += 3; i < n; i++) {
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return 0;
		if (p[i] == '?')
			return i + 1 < n && p[i + 1] == '=' ? i + 2 : 0;
	}
	return 0;
}

/* Scanner state kept across the lines of an address field. */
struct scan {
	bool quoted, angle, literal, escaped;
	size_t comment;
};

/* Does the line hold a blank where a fold could have gone? In an address
 * field not inside quotes, <> or [], and not next to "@" or "." outside
 * comments ("a @ b" is never folded). Leading and trailing blanks do not
 * count. The scanner state moves on through the line either way. */
static bool
has_fold_point(const char *line, size_t len, size_t start, bool address,
	       struct scan *st)
{
	size_t end = len, first = start;
	bool found = false;

	while (end > start && is_blank(line[end - 1]))
		end--;
	while (first < end && is_blank(line[first]))
		first++;
	for (size_t i = 0; i < len; i++) {
		char c = line[i];
		bool top = !st->quoted && !st->angle && !st->literal;

		if (is_blank(c) && i > first && i < end && !st->escaped) {
			if (!address) {
				found = true;
			} else if (top) {
				size_t a = i, b = i;

				while (a > 0 && is_blank(line[a - 1]))
					a--;
				while (b < len && is_blank(line[b]))
					b++;
				if (st->comment > 0 ||
				    ((a == 0 || (line[a - 1] != '@' &&
						 line[a - 1] != '.')) &&
				     (b == len ||
				      (line[b] != '@' && line[b] != '.'))))
					found = true;
			}
		}
		if (!address)
			continue;
		if (st->escaped) {
			st->escaped = false;
		} else if (c == '\\' && (st->quoted || st->comment || st->literal ||
				 st->angle)) {
			st->escaped = true;
		} else if (st->quoted) {
			if (c == '"')
				st->quoted = false;
		} else if (st->comment > 0) {
			if (c == '(')
				st->comment++;
			else if (c == ')')
				st->comment--;
		} else if (st->literal) {
			if (c == ']')
				st->literal = false;
		} else if (st->angle) {
			if (c == '"')
				st->quoted = true;
			else if (c == '>')
				st->angle = false;
		} else if (c == '"') {
			st->quoted = true;
		} else if (c == '(') {
			st->comment = 1;
		} else if (c == '<') {
			st->angle = true;
		} else if (c == '[') {
			st->literal = true;
		}
	}
	return found;
}

/* The shape checks; returns the value after "Name:" unfolded in val.
 * in is the unfolded input: encoded words found there are not ours. */
static void
check_field(const char *out, size_t n, const char *name, const char *in,
	    size_t in_len, bool address, bool want_utf8, bool unchanged,
	    struct buf *val)
{
	size_t nl = strlen(name), pos = 0, line_no = 0;
	struct scan st;

	memset(&st, 0, sizeof(st));
	if (n < nl + 3 || memcmp(out, name, nl) != 0 || out[nl] != ':' ||
	    out[n - 2] != '\r' || out[n - 1] != '\n')
		abort();
	while (pos < n) {
		const char *line = out + pos;
		const char *cr = memchr(line, '\r', n - pos);
		size_t len, start = line_no == 0 ? nl + 1 : 0;

		if (cr == NULL || cr + 1 >= out + n || cr[1] != '\n')
			abort(); /* bare CR, or no CRLF at the end */
		len = (size_t)(cr - line);
		if (memchr(line, '\n', len) != NULL)
			abort(); /* bare LF */
		if (line_no > 0) {
			size_t b = 0;

			if (len == 0 || !is_blank(line[0]))
				abort();
			while (b < len && is_blank(line[b]))
				b++;
			if (b == len && !unchanged)
				abort(); /* a line of only blanks */
		}
		if (has_fold_point(line, len, start, address, &st) &&
		    len > 78)
			abort();
		if (len > 78) {
			/* one piece: but never one of our encoded words */
			size_t s = start;

			while (s < len && is_blank(line[s]))
				s++;
			if (our_ew_at(line + s, len - s) == len - s &&
			    !contains(in, in_len, line + s, len - s))
				abort();
		}
		for (size_t i = start; i < len; i++) {
			size_t e = our_ew_at(line + i, len - i);
			struct buf d;
			struct mf_error err;

			if (e == 0 || contains(in, in_len, line + i, e))
				continue;
			if (e > 75)
				abort();
			if ((memcmp(line + i, "=?UTF-8?", 8) == 0) != want_utf8)
				abort();
			buf_init(&d, 4096);
			if (!msg_rfc2047_decode(line + i, e, &d, &err))
				abort();
			if (d.len >= e) /* not decoded: malformed */
				abort();
			if (want_utf8 &&
			    !utf8_ok((const unsigned char *)(d.data ? d.data
								    : ""),
				     d.len))
				abort();
			buf_clear(&d);
			i += e - 1;
		}
		if (!buf_append(val, line + start, len - start))
			abort();
		pos += len + 2;
		line_no++;
	}
	if (val->len > 0 && is_blank(val->data[0]))
		buf_consume(val, 1);
}

/* Is there a whitespace-separated word with "=?" and 8-bit or control
 * bytes? */
static bool
mixed_lookalike(const char *t, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && !is_blank(t[j]))
			j++;
		if (contains(t + i, j - i, "=?", 2) &&
		    has_8bit_or_ctl(t + i, j - i))
			return true;
		i = j < n ? j + 1 : j;
	}
	return false;
}

static void
decode_or_abort(const char *p, size_t n, struct buf *out)
{
	struct mf_error err;

	if (!msg_rfc2047_decode(p, n, out, &err))
		abort();
}

static bool
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool
unchanged_copy(const struct buf *out, const char *name, const char *v,
	       size_t n)
{
	size_t nl = strlen(name);

	return out->len == nl + 1 + n + 2 &&
	       memcmp(out->data, name, nl) == 0 && out->data[nl] == ':' &&
	       (n == 0 || memcmp(out->data + nl + 1, v, n) == 0);
}

/* Would "Name:" + v be sent as it is? */
static bool
fits(const char *name, const char *v, size_t n)
{
	size_t col = strlen(name) + 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' && i + 2 < n && v[i + 1] == '\n' &&
		    is_blank(v[i + 2])) {
			i++;
			col = 0;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
		if (++col > 78)
			return false;
	}
	return true;
}

static void
run_unstructured(const char *name, const char *v, size_t n)
{
	struct buf out, val, text, dec, want;
	struct mf_error err;
	bool utf8, unchanged;

	buf_init(&out, (size_t)-1);
	buf_init(&val, (size_t)-1);
	buf_init(&text, (size_t)-1);
	buf_init(&dec, (size_t)-1);
	buf_init(&want, (size_t)-1);
	err_clear(&err);
	if (!msg_rfc2047_encode_unstructured(name, v, n, &out, &err))
		abort();
	unfold_value(v, n, &text, true);
	utf8 = utf8_ok((const unsigned char *)(text.data ? text.data : ""),
		       text.len);
	unchanged = unchanged_copy(&out, name, v, n);
	if (!msg_has_8bit(v, n) && fits(name, v, n) && !unchanged)
		abort();
	check_field(out.data, out.len, name, text.data ? text.data : "",
		    text.len, false, utf8, unchanged, &val);
	if (msg_has_8bit(out.data, out.len))
		abort();
	decode_or_abort(val.data ? val.data : "", val.len, &dec);
	if (!contains(text.data ? text.data : "", text.len, "=?", 2)) {
		if (!same(&dec, &text))
			abort();
	} else if (!mixed_lookalike(text.data ? text.data : "", text.len)) {
		decode_or_abort(text.data ? text.data : "", text.len, &want);
		if (!same(&dec, &want))
			abort();
	}
	buf_clear(&out);
	buf_clear(&val);
	buf_clear(&text);
	buf_clear(&dec);
	buf_clear(&want);
}

static bool
same_list(const struct addr_list *a, const struct addr_list *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->addrs[i], b->addrs[i]) != 0)
			return false;
	return true;
}

static void
run_address(const char *name, const char *v, size_t n)
{
	struct buf out, val, text;
	struct mf_error err;
	struct addr_list before, after;
	bool ok, utf8, clean, unchanged, parsed;

	buf_init(&out, (size_t)-1);
	buf_init(&val, (size_t)-1);
	buf_init(&text, (size_t)-1);
	buf_append(&out, "x", 1);
	err_clear(&err);
	ok = msg_rfc2047_encode_address(name, v, n, &out, &err);
	if (!ok) {
		if (err.exit_code != EX_DATAERR || err.cls != ERR_PERMANENT ||
		    err.msg[0] == '\0' || out.len != 1)
			abort();
		goto done;
	}
	buf_consume(&out, 1);
	clean = unfold_value(v, n, &text, true);
	if (!clean)
		abort(); /* a stray CR or LF must be refused */
	utf8 = utf8_ok((const unsigned char *)(text.data ? text.data : ""),
		       text.len);
	unchanged = unchanged_copy(&out, name, v, n);
	check_field(out.data, out.len, name, text.data ? text.data : "",
		    text.len, true, utf8, unchanged, &val);
	if (!msg_has_8bit(v, n) && fits(name, v, n) && !unchanged)
		abort();

	addr_list_init(&before);
	addr_list_init(&after);
	err_clear(&err);
	parsed = addr_list_parse(text.data ? text.data : "", text.len, &before,
				 &err);
	if (parsed) {
		err_clear(&err);
		if (!addr_list_parse(val.data ? val.data : "", val.len, &after,
				     &err))
			abort();
		if (!same_list(&before, &after))
			abort();
	}
	addr_list_clear(&before);
	addr_list_clear(&after);
done:
	buf_clear(&out);
	buf_clear(&val);
	buf_clear(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data;
	struct buf dec;

	if (size > 64 * 1024)
		return 0;
	for (int k = 0; k < 2; k++) {
		run_unstructured(names[0][k], v, size);
		run_address(names[1][k], v, size);
	}
	buf_init(&dec, (size_t)-1);
	decode_or_abort(v, size, &dec);
	if (dec.len > size)
		abort();
	buf_clear(&dec);
	return 0;
}
