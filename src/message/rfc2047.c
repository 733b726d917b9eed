/* message/rfc2047.c: RFC 2047 encoded words for header fields with raw
 * 8-bit text, and the folding of the result (RFC 5322 2.2.3).
 *
 * This file owns three things. The encoder for unstructured fields
 * (RFC 5322 3.2.5 unstructured, RFC 2047 5(1)): the text is split into
 * whitespace-separated words; each run of words holding 8-bit or control
 * bytes becomes encoded words, the whitespace inside a run travelling
 * inside the encoded text, because whitespace between adjacent encoded
 * words is dropped by decoders (RFC 2047 6.2). The encoder for address
 * fields (RFC 5322 3.4 address-list, with 3.2.2 comments and 3.2.4
 * quoted strings): a small lexer finds the display names (phrases before
 * "<" and group names before ":") and comments; only their words are
 * encoded (RFC 2047 5(2) in comments, 5(3) in phrases, never inside
 * quoted strings), addr-specs and angle addresses are copied byte for
 * byte. And a lenient decoder (RFC 2047 6.1, 6.2) for tests, the fuzzer
 * and -v.
 *
 * Rules both encoders follow:
 *  - the charset is UTF-8 when the whole field is valid UTF-8 (RFC 3629:
 *    no overlong forms, surrogates or values above U+10FFFF), else
 *    UNKNOWN-8BIT (RFC 1428) with the bytes kept as they are;
 *  - an encoded word is at most 75 octets (RFC 2047 2) and never ends in
 *    the middle of a UTF-8 character (RFC 2047 5, last paragraph);
 *  - each encoded word is B or Q (RFC 2047 4.1, 4.2), whichever carries
 *    more of the remaining text in the room available, and when both
 *    carry all of it, whichever is shorter (Q on a tie); Q uses the
 *    RFC 2047 5(1) set in unstructured text and the 5(3) set in phrases
 *    and comments;
 *  - lines are at most 78 octets without the CRLF (RFC 5322 2.1.1); a fold
 *    is a CRLF put before existing whitespace or before a blank we add
 *    between two encoded words or after a comma, so unfolding gives the
 *    text back. Only a single unbreakable piece (a long address, or a long
 *    word that already holds encoded words, which is left alone) may make
 *    a line longer;
 *  - a field that needs no encoding and already fits is copied unchanged.
 */
#include "config.h"

#include "message/rfc2047.h"

#include "util/alloc.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Longest line we write, without its CRLF (RFC 5322 2.1.1). */
#define LINE_GOAL 78
/* Longest encoded word (RFC 2047 2). */
#define EW_MAX 75
/* Start an encoded word at the end of a line only when at least this many
 * octets of encoded text fit there; otherwise fold first. */
#define EW_MIN_ROOM 16
/* Whitespace between an encoded word and a plain word: up to this many
 * bytes stay outside as they are; a longer run keeps one byte outside and
 * the rest goes into the encoded word, so it can never overfill a line. */
#define WS_KEEP_MAX 3

/* ---- bytes ------------------------------------------------------------ */

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Control bytes that may not stand as text in a header: all below 0x20
 * but HTAB, and DEL (RFC 5322 3.2.5 VCHAR / WSP). */
static bool
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* A byte that makes a word need encoding. */
static bool
needs_encoding(unsigned char c)
{
	return c >= 0x80 || is_ctl(c);
}

bool
msg_has_8bit(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

static bool
has_encoding_bytes(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (needs_encoding((unsigned char)p[i]))
			return true;
	return false;
}

/* Length of the character starting with lead in valid UTF-8. */
static size_t
utf8_char_len(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if (lead < 0xe0)
		return 2;
	if (lead < 0xf0)
		return 3;
	return 4;
}

/* ---- unfolding (RFC 5322 2.2.3) ---------------------------------------- */

enum stray {
	STRAY_KEEP, /* copy a CR or LF that is not part of a fold */
	STRAY_DROP, /* leave it out */
	STRAY_FAIL, /* report it */
};

/* Append the unfolded value to u: a CRLF or LF followed by a blank is
 * removed. Returns false when out's ceiling is hit, or for STRAY_FAIL
 * when a CR or LF is not part of a fold (*stray set). */
static bool
unfold(const char *v, size_t len, enum stray mode, struct buf *u,
       bool *stray)
{
	size_t i = 0;

	*stray = false;
	while (i < len) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' && i + 2 < len && v[i + 1] == '\n' &&
		    is_wsp((unsigned char)v[i + 2])) {
			i += 2;
			continue;
		}
		if (c == '\n' && i + 1 < len && is_wsp((unsigned char)v[i + 1])) {
			i++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (mode == STRAY_FAIL) {
				*stray = true;
				return false;
			}
			if (mode == STRAY_DROP) {
				i++;
				continue;
			}
		}
		if (!buf_append(u, v + i, 1))
			return false;
		i++;
	}
	return true;
}

/* True when "Name:" + value can be sent as it is: only CRLF folds, no
 * other control byte, every line at most LINE_GOAL octets. */
static bool
fits_unchanged(size_t name_len, const char *v, size_t len)
{
	size_t col = name_len + 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r') {
			if (i + 2 >= len || v[i + 1] != '\n' ||
			    !is_wsp((unsigned char)v[i + 2]))
				return false;
			i++;
			col = 0;
			continue;
		}
		if (c == '\n' || is_ctl(c))
			return false;
		if (++col > LINE_GOAL)
			return false;
	}
	return true;
}

/* ---- decoding (RFC 2047 6) --------------------------------------------- */

/* RFC 2047 2 especials. */
static bool
is_especial(unsigned char c)
{
	return strchr("()<>@,;:\"/[]?.=", c) != NULL && c != '\0';
}

/* RFC 2047 2 token: the charset, with an RFC 2231 "*lang" suffix. */
static bool
is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !is_especial(c);
}

/* What may stand right before or after an encoded word: whitespace, or
 * the specials that delimit words in comments and phrases (RFC 2047 5(2),
 * 5(3)), as "(=?...?=)" and "=?...?= <a@b>" show. */
static bool
is_ew_delim(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' ||
	       c == ')' || c == '<' || c == '>' || c == ',' || c == ':' ||
	       c == ';';
}


static int
b64_value(unsigned char c)
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

/* Check B text: base64 characters, then at most two "=" that complete a
 * group of four; without padding a last group of 2 or 3 is accepted. */
static bool
b_valid(const char *t, size_t n)
{
	size_t data = n, pad = 0;

	while (data > 0 && t[data - 1] == '=' && pad < 2) {
		data--;
		pad++;
	}
	for (size_t i = 0; i < data; i++)
		if (b64_value((unsigned char)t[i]) < 0)
			return false;
	if (pad > 0)
		return n % 4 == 0;
	return data % 4 != 1;
}

/* Check Q text: "=" must start "=XX". */
static bool
q_valid(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i] != '=')
			continue;
		if (n - i < 3 || bytes_hex_value((unsigned char)t[i + 1]) < 0 ||
		    bytes_hex_value((unsigned char)t[i + 2]) < 0)
			return false;
		i += 2;
	}
	return true;
}

/* Append the decoded bytes of valid B or Q text to out. */
static bool
ew_text_decode(bool is_b, const char *t, size_t n, struct buf *out)
{
	if (is_b) {
		uint32_t acc = 0;
		unsigned bits = 0;

		for (size_t i = 0; i < n && t[i] != '='; i++) {
			acc = (acc << 6) | (uint32_t)b64_value((unsigned char)t[i]);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (!buf_append_byte(out,
						     (char)((acc >> bits) & 0xff)))
					return false;
			}
		}
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		if (c == '_') {
			c = ' ';
		} else if (c == '=') {
			c = (char)(bytes_hex_value((unsigned char)t[i + 1]) * 16 +
				   bytes_hex_value((unsigned char)t[i + 2]));
			i += 2;
		}
		if (!buf_append_byte(out, c))
			return false;
	}
	return true;
}

/* One encoded word found by ew_match(). */
struct ew_found {
	size_t end;   /* offset just after "?=" */
	bool is_b;
	size_t text;  /* offset and length of the encoded text */
	size_t text_len;
};

/* Is there an encoded word "=?charset[*lang]?B|Q?text?=" at p[i], with a
 * delimiter (or the edge of p) on both sides and decodable text? */
static bool
ew_match(const char *p, size_t n, size_t i, struct ew_found *ew)
{
	size_t j = i + 2, start;
	unsigned char enc;

	if (n - i < 2 || p[i] != '=' || p[i + 1] != '?')
		return false;
	if (i > 0 && !is_ew_delim((unsigned char)p[i - 1]))
		return false;
	start = j;
	while (j < n && is_token_char((unsigned char)p[j]))
		j++;
	if (j == start || j >= n || p[j] != '?')
		return false;
	j++;
	if (j >= n)
		return false;
	enc = (unsigned char)p[j];
	if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
		return false;
	j++;
	if (j >= n || p[j] != '?')
		return false;
	j++;
	start = j;
	while (j < n && p[j] != '?' && (unsigned char)p[j] > 0x20 &&
	       (unsigned char)p[j] < 0x7f)
		j++;
	if (j == start || n - j < 2 || p[j] != '?' || p[j + 1] != '=')
		return false;
	ew->end = j + 2;
	if (ew->end < n && !is_ew_delim((unsigned char)p[ew->end]))
		return false;
	ew->is_b = enc == 'B' || enc == 'b';
	ew->text = start;
	ew->text_len = j - start;
	return ew->is_b ? b_valid(p + start, ew->text_len)
			: q_valid(p + start, ew->text_len);
}

/* Where encoded words are in a piece of text, as the decoder sees them. */
struct ew_scan {
	bool any;      /* at least one */
	bool at_start; /* one starts at offset 0 */
	bool at_end;   /* one ends at the last byte */
};

/* The decoder proper, on unfolded text: encoded words are decoded, the
 * whitespace between two of them is dropped, everything else is copied.
 * out may be NULL to only fill sc. False when out's ceiling is hit. */
static bool
ew_decode_text(const char *p, size_t n, struct buf *out, struct ew_scan *sc)
{
	size_t i = 0, ws_start = 0, ws_len = 0;
	bool after_ew = false;

	sc->any = sc->at_start = sc->at_end = false;
	while (i < n) {
		struct ew_found ew;

		if (is_wsp((unsigned char)p[i])) {
			size_t j = i;

			while (j < n && is_wsp((unsigned char)p[j]))
				j++;
			if (after_ew) {
				/* Held back until we know what follows. */
				ws_start = i;
				ws_len = j - i;
			} else if (out && !buf_append(out, p + i, j - i)) {
				return false;
			}
			i = j;
			continue;
		}
		if (p[i] == '=' && ew_match(p, n, i, &ew)) {
			sc->any = true;
			if (i == 0)
				sc->at_start = true;
			if (ew.end == n)
				sc->at_end = true;
			ws_len = 0; /* whitespace between two words goes */
			if (out && !ew_text_decode(ew.is_b, p + ew.text,
						   ew.text_len, out))
				return false;
			after_ew = true;
			i = ew.end;
			continue;
		}
		if (out && ws_len > 0 && !buf_append(out, p + ws_start, ws_len))
			return false;
		ws_len = 0;
		after_ew = false;
		if (out && !buf_append(out, p + i, 1))
			return false;
		i++;
	}
	if (out && ws_len > 0 && !buf_append(out, p + ws_start, ws_len))
		return false;
	return true;
}

bool
msg_rfc2047_decode(const char *value, size_t len, struct buf *out,
		   struct mf_error *err)
{
	struct buf u;
	struct ew_scan sc;
	bool stray, ok;

	buf_init(&u, len);
	ok = unfold(value, len, STRAY_KEEP, &u, &stray) &&
	     ew_decode_text(u.data ? u.data : "", u.len, out, &sc);
	if (!ok)
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"decoded header field too long");
	buf_clear(&u);
	return ok;
}

/* ---- encoded words (RFC 2047 4, 5) ------------------------------------- */

struct charset {
	const char *label; /* "UTF-8" or "UNKNOWN-8BIT" */
	size_t label_len;
	bool utf8;         /* split only between characters */
	bool strict;       /* RFC 2047 5(3) Q set (phrases, comments) */
};

static void
charset_init(struct charset *cs, const char *text, size_t len, bool strict)
{
	cs->utf8 = bytes_utf8_valid(text, len);
	cs->label = cs->utf8 ? "UTF-8" : "UNKNOWN-8BIT";
	cs->label_len = strlen(cs->label);
	cs->strict = strict;
}

/* "=?" label "?B?" ... "?=" */
static size_t
ew_overhead(const struct charset *cs)
{
	return cs->label_len + 7;
}

/* A byte that Q may write as itself (a blank is written "_"). */
static bool
q_literal(const struct charset *cs, unsigned char c)
{
	if (cs->strict)
		return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		       (c >= '0' && c <= '9') || c == '!' || c == '*' ||
		       c == '+' || c == '-' || c == '/';
	return c > 0x20 && c < 0x7f && c != '=' && c != '?' && c != '_';
}

static size_t
q_cost(const struct charset *cs, unsigned char c)
{
	return (c == ' ' || q_literal(cs, c)) ? 1 : 3;
}

/* How one encoded word will look. */
struct ew_plan {
	size_t take;  /* bytes of text it carries */
	bool is_b;
	size_t len;   /* its length in octets */
};

/* The longest whole-character prefix of p (n bytes) that fits an encoded
 * word of at most cap octets, in B and in Q; pick one as the file comment
 * says. take is 0 when not even one character fits. */
static void
ew_plan_word(const struct charset *cs, const char *p, size_t n, size_t cap,
	     struct ew_plan *plan)
{
	size_t over = ew_overhead(cs), kb = 0, kq = 0, lq = over, lb;
	size_t i;

	/* B: 4 octets for every 3 bytes or part of 3. */
	i = 0;
	while (i < n) {
		size_t cl = cs->utf8 ? utf8_char_len((unsigned char)p[i]) : 1;

		if (cl > n - i)
			cl = n - i; /* cannot happen for valid UTF-8 */
		if (over + (i + cl + 2) / 3 * 4 > cap)
			break;
		i += cl;
	}
	kb = i;
	lb = over + (kb + 2) / 3 * 4;
	/* Q: 1 or 3 octets per byte. */
	i = 0;
	while (i < n) {
		size_t cl = cs->utf8 ? utf8_char_len((unsigned char)p[i]) : 1;
		size_t cost = 0;

		if (cl > n - i)
			cl = n - i;
		for (size_t k = 0; k < cl; k++)
			cost += q_cost(cs, (unsigned char)p[i + k]);
		if (lq + cost > cap)
			break;
		lq += cost;
		i += cl;
	}
	kq = i;
	if (kb == kq) {
		plan->is_b = lb < lq;
	} else {
		plan->is_b = kb > kq;
	}
	plan->take = plan->is_b ? kb : kq;
	plan->len = plan->is_b ? lb : lq;
}

/* Append the encoded word planned for p to out. */
static bool
ew_write(const struct charset *cs, const char *p, const struct ew_plan *plan,
	 struct buf *out)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)p;

	if (!buf_append(out, "=?", 2) ||
	    !buf_append(out, cs->label, cs->label_len) ||
	    !buf_append(out, plan->is_b ? "?B?" : "?Q?", 3))
		return false;
	if (plan->is_b) {
		for (size_t i = 0; i < plan->take; i += 3) {
			size_t left = plan->take - i;
			uint32_t v = (uint32_t)s[i] << 16;
			char q[4];

			if (left > 1)
				v |= (uint32_t)s[i + 1] << 8;
			if (left > 2)
				v |= s[i + 2];
			q[0] = b64[(v >> 18) & 63];
			q[1] = b64[(v >> 12) & 63];
			q[2] = left > 1 ? b64[(v >> 6) & 63] : '=';
			q[3] = left > 2 ? b64[v & 63] : '=';
			if (!buf_append(out, q, 4))
				return false;
		}
	} else {
		for (size_t i = 0; i < plan->take; i++) {
			char q[3];
			size_t qn = 1;

			if (s[i] == ' ') {
				q[0] = '_';
			} else if (q_literal(cs, s[i])) {
				q[0] = (char)s[i];
			} else {
				q[0] = '=';
				q[1] = hex[s[i] >> 4];
				q[2] = hex[s[i] & 15];
				qn = 3;
			}
			if (!buf_append(out, q, qn))
				return false;
		}
	}
	return buf_append(out, "?=", 2);
}

/* ---- folding (RFC 5322 2.2.3) ------------------------------------------ */

/* Writes one field into out line by line. The current line is the tail
 * of out from line_start; fp remembers the last place in it where a fold
 * may go. When a line grows past LINE_GOAL we fold at that place, so a
 * line only stays too long when it holds a single unbreakable piece. */
struct folder {
	struct buf *out;
	const struct charset *cs;
	size_t line_start; /* offset in out of the current line */
	size_t fp;         /* fold point, offset in the line; 0: none */
	bool fp_blank;     /* the fold must add a blank (after a comma) */
	size_t mp;         /* the last fold point between list members */
	bool mp_blank;
	bool ok;           /* false once out's ceiling was hit */
};

static size_t
line_len(const struct folder *f)
{
	return f->out->len - f->line_start;
}

/* Put a CRLF (and a blank, when the fold point has none) at offset pos
 * of the line, a fold point. Fold points after it stay valid. */
static void
fold_at(struct folder *f, size_t pos, bool blank)
{
	const char *ins = blank ? "\r\n " : "\r\n";
	size_t n = blank ? 3 : 2;
	size_t at = f->line_start + pos;
	size_t tail = f->out->len - at;

	if (!f->ok || pos == 0)
		return;
	if (!buf_append(f->out, ins, n)) {
		f->ok = false;
		return;
	}
	memmove(f->out->data + at + n, f->out->data + at, tail);
	memcpy(f->out->data + at, ins, n);
	f->line_start = at + 2;
	f->fp = f->fp > pos ? f->fp + n - pos - 2 : 0;
	if (f->fp == 0)
		f->fp_blank = false;
	f->mp = 0;
	f->mp_blank = false;
}

/* Fold at the last fold point. */
static void
fold_now(struct folder *f)
{
	fold_at(f, f->fp, f->fp_blank);
}

/* The line is too long: fold between list members when what follows
 * then fits, else at the last fold point. */
static void
fold_check(struct folder *f)
{
	if (!f->ok || line_len(f) <= LINE_GOAL)
		return;
	if (f->mp > 0 && f->mp < f->fp &&
	    line_len(f) - f->mp + (f->mp_blank ? 1 : 0) <= LINE_GOAL)
		fold_at(f, f->mp, f->mp_blank);
	else if (f->fp > 0)
		fold_now(f);
}

/* Bytes that may not be separated from what comes before them. */
static void
fold_put(struct folder *f, const char *p, size_t n)
{
	if (!f->ok || n == 0)
		return;
	if (!buf_append(f->out, p, n)) {
		f->ok = false;
		return;
	}
	fold_check(f);
}

/* Whitespace that is kept as it is; a fold may go before it. member:
 * it separates list members (after a comma), a better place to fold. */
static void
fold_blank(struct folder *f, const char *p, size_t n, bool member)
{
	if (!f->ok || n == 0)
		return;
	f->fp = line_len(f);
	f->fp_blank = false;
	if (member) {
		f->mp = f->fp;
		f->mp_blank = false;
	}
	if (!buf_append(f->out, p, n))
		f->ok = false;
}

/* A place without whitespace where a fold (CRLF + blank) may be added:
 * between list members, RFC 5322 3.4 allows CFWS there. */
static void
fold_break(struct folder *f)
{
	f->fp = f->mp = line_len(f);
	f->fp_blank = f->mp_blank = true;
}

/* Encode p (n bytes) as encoded words separated by single blanks, each
 * sized to the room left on its line. */
static void
fold_run(struct folder *f, const char *p, size_t n)
{
	size_t pos = 0, over = ew_overhead(f->cs);

	while (f->ok && pos < n) {
		struct ew_plan plan;
		size_t room;

		if (pos > 0)
			fold_blank(f, " ", 1, false);
		room = line_len(f) < LINE_GOAL ? LINE_GOAL - line_len(f) : 0;
		if (room > EW_MAX)
			room = EW_MAX;
		ew_plan_word(f->cs, p + pos, n - pos, room, &plan);
		if (plan.take < n - pos &&
		    (plan.take == 0 || room < over + EW_MIN_ROOM) && f->fp > 0) {
			fold_now(f);
			room = line_len(f) < LINE_GOAL ? LINE_GOAL - line_len(f)
							: 0;
			if (room > EW_MAX)
				room = EW_MAX;
			ew_plan_word(f->cs, p + pos, n - pos, room, &plan);
		}
		if (plan.take == 0) /* no fold helps: a piece is too long */
			ew_plan_word(f->cs, p + pos, n - pos, EW_MAX, &plan);
		if (plan.take == 0) {
			BUG("empty encoded word");
		}
		if (!ew_write(f->cs, p + pos, &plan, f->out)) {
			f->ok = false;
			return;
		}
		fold_check(f);
		pos += plan.take;
	}
}

/* ---- elements: the words and blanks of a field --------------------------- */

enum elem_kind {
	EL_WS,    /* whitespace */
	EL_WORD,  /* a word of text, phrase or comment: may be encoded */
	EL_RAW,   /* bytes copied as they are (addresses, specials) */
	EL_BREAK, /* a place to fold between list members */
};

struct elem {
	enum elem_kind kind;
	size_t off, len;   /* the bytes in the unfolded text */
	size_t doff, dlen; /* EL_WORD: what it displays, in the display buffer */
	bool enc;          /* EL_WORD: goes into encoded words */
	struct ew_scan ew; /* EL_WORD: encoded words the decoder would see */
	bool fold;         /* EL_WS: a fold may go before it */
	bool member;       /* EL_WS: it follows a comma between members */
	/* EL_WS next to encoded words: */
	bool inner;        /* between two encoded words: all inside */
	bool sep;          /* all moved inside; write one blank between */
	size_t to_left;    /* bytes at its start that go into the run before */
	size_t to_right;   /* bytes at its end that go into the run after */
};

struct field_enc {
	const char *text;   /* unfolded value without the leading blank */
	size_t len;
	struct buf disp;    /* display text of words */
	struct elem *el;
	size_t n, cap;
	struct buf run;     /* scratch: the text of one run of encoded words */
	struct charset cs;
};

static void
field_enc_init(struct field_enc *fe)
{
	fe->text = "";
	fe->len = 0;
	buf_init(&fe->disp, LIMIT_HEADER_FIELD * 4u);
	fe->el = NULL;
	fe->n = fe->cap = 0;
	buf_init(&fe->run, LIMIT_HEADER_FIELD * 4u);
}

static void
field_enc_clear(struct field_enc *fe)
{
	buf_clear(&fe->disp);
	buf_clear(&fe->run);
	free(fe->el);
	fe->el = NULL;
	fe->n = fe->cap = 0;
}

static struct elem *
elem_add(struct field_enc *fe, enum elem_kind kind, size_t off, size_t len)
{
	struct elem *e;

	if (fe->n == fe->cap) {
		fe->cap = fe->cap ? fe->cap * 2 : 32;
		fe->el = xreallocarray(fe->el, fe->cap, sizeof(*fe->el));
	}
	e = &fe->el[fe->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->off = off;
	e->len = len;
	e->fold = kind == EL_WS;
	return e;
}

/* Does p hold "=?" (so it may hold an encoded word)? */
static bool
has_ew_opener(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '=' && p[i + 1] == '?')
			return true;
	return false;
}

/* Finish a word whose display text is the last dlen bytes of fe->disp:
 * note whether it must be encoded and where the decoder sees encoded
 * words in its raw bytes. */
static void
word_finish(struct field_enc *fe, struct elem *e, size_t doff)
{
	const char *d = fe->disp.data ? fe->disp.data + doff : "";

	e->doff = doff;
	e->dlen = fe->disp.len - doff;
	e->enc = has_encoding_bytes(d, e->dlen);
	if (has_ew_opener(fe->text + e->off, e->len))
		ew_decode_text(fe->text + e->off, e->len, NULL, &e->ew);
}

/* Where the whitespace next to runs of encoded words goes (see the
 * struct elem fields). edges: whitespace at the start or end of the text
 * next to a run goes inside it (unstructured text: a receiver might strip
 * leading or trailing blanks). */
static void
ws_split(struct field_enc *fe, bool edges)
{
	for (size_t i = 0; i < fe->n; i++) {
		struct elem *w = &fe->el[i];
		const struct elem *l = i > 0 ? &fe->el[i - 1] : NULL;
		const struct elem *r = i + 1 < fe->n ? &fe->el[i + 1] : NULL;
		bool lenc = l && l->kind == EL_WORD && l->enc;
		bool renc = r && r->kind == EL_WORD && r->enc;

		if (w->kind != EL_WS)
			continue;
		w->inner = w->sep = false;
		w->to_left = w->to_right = 0;
		if (lenc && renc) {
			w->inner = true;
		} else if (lenc) {
			if (r == NULL) {
				if (edges)
					w->to_left = w->len;
			} else if (r->kind == EL_WORD && r->ew.at_start) {
				/* The decoder would drop a blank between our
				 * word and that one: carry it inside. */
				w->to_left = w->len;
				w->sep = true;
			} else if (r->kind == EL_WORD && w->len > WS_KEEP_MAX) {
				w->to_left = w->len - 1;
			}
		} else if (renc) {
			if (l == NULL) {
				if (edges)
					w->to_right = w->len;
			} else if (l->kind == EL_WORD && l->ew.at_end) {
				w->to_right = w->len;
				w->sep = true;
			} else if (l->kind == EL_WORD && w->len > WS_KEEP_MAX) {
				w->to_right = w->len - 1;
			}
		}
	}
}

/* Bytes of a whitespace element written outside encoded words. */
static size_t
ws_outside(const struct elem *w)
{
	if (w->inner)
		return 0;
	return w->len - w->to_left - w->to_right + (w->sep ? 1 : 0);
}

static const char *
elem_disp(const struct field_enc *fe, const struct elem *e)
{
	return fe->disp.data ? fe->disp.data + e->doff : "";
}

/* Write a run of encoded words starting with word i; returns the index
 * of the last element it used. */
static size_t
emit_run(struct field_enc *fe, struct folder *f, size_t i)
{
	const struct elem *w;
	size_t j = i;

	buf_reset(&fe->run);
	if (i > 0 && fe->el[i - 1].kind == EL_WS) {
		w = &fe->el[i - 1];
		if (!buf_append(&fe->run, fe->text + w->off + w->len - w->to_right,
				w->to_right))
			f->ok = false;
	}
	for (;;) {
		const struct elem *e = &fe->el[j];

		if (!buf_append(&fe->run, elem_disp(fe, e), e->dlen))
			f->ok = false;
		if (j + 2 < fe->n && fe->el[j + 1].kind == EL_WS &&
		    fe->el[j + 1].inner) {
			w = &fe->el[j + 1];
			if (!buf_append(&fe->run, fe->text + w->off, w->len))
				f->ok = false;
			j += 2;
			continue;
		}
		break;
	}
	if (j + 1 < fe->n && fe->el[j + 1].kind == EL_WS) {
		w = &fe->el[j + 1];
		if (!buf_append(&fe->run, fe->text + w->off, w->to_left))
			f->ok = false;
	}
	if (f->ok)
		fold_run(f, fe->run.data, fe->run.len);
	return j;
}

/* Write "Name:", the elements and the CRLF. */
static bool
emit_field(struct field_enc *fe, const char *name, struct buf *out)
{
	struct folder f;
	size_t i = 0;

	f.out = out;
	f.cs = &fe->cs;
	f.line_start = out->len;
	f.fp = f.mp = 0;
	f.fp_blank = f.mp_blank = false;
	f.ok = buf_append(out, name, strlen(name)) && buf_append(out, ":", 1);
	if (fe->n > 0) {
		/* The blank after the colon, with the text's own leading
		 * whitespace when it stays outside (the first element has
		 * no run before it, so only to_right can be set). */
		size_t lead = 0;

		if (fe->el[0].kind == EL_WS) {
			lead = fe->el[0].len - fe->el[0].to_right;
			i = 1;
		}
		if (fe->n == 1 && fe->el[0].kind == EL_WS)
			fold_put(&f, " ", 1); /* only blanks: no fold */
		else
			fold_blank(&f, " ", 1, false);
		fold_put(&f, fe->text, lead);
	}
	for (; f.ok && i < fe->n; i++) {
		const struct elem *e = &fe->el[i];

		switch (e->kind) {
		case EL_WS: {
			size_t raw = e->len - e->to_left - e->to_right;

			if (e->inner)
				break;
			if (e->fold && i + 1 < fe->n)
				fold_blank(&f, fe->text + e->off + e->to_left,
					   raw, e->member);
			else
				fold_put(&f, fe->text + e->off + e->to_left, raw);
			if (e->sep)
				fold_blank(&f, " ", 1, false);
			break;
		}
		case EL_WORD:
			if (e->enc)
				i = emit_run(fe, &f, i);
			else
				fold_put(&f, fe->text + e->off, e->len);
			break;
		case EL_RAW:
			fold_put(&f, fe->text + e->off, e->len);
			break;
		case EL_BREAK:
			if (i + 1 < fe->n)
				fold_break(&f);
			break;
		}
	}
	if (f.ok && !buf_append(out, "\r\n", 2))
		f.ok = false;
	return f.ok;
}

/* Unfold value and drop the blank after the colon. */
static bool
prepare_text(const char *value, size_t len, enum stray mode, struct buf *u,
	     struct mf_error *err)
{
	bool stray;

	while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n'))
		len--;
	if (!unfold(value, len, mode, u, &stray)) {
		if (stray)
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"header field has a line break that is not a fold");
		else
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"header field too long");
		return false;
	}
	if (u->len > 0 && is_wsp((unsigned char)u->data[0]))
		buf_consume(u, 1);
	return true;
}

static bool
copy_unchanged(const char *name, const char *value, size_t len,
	       struct buf *out, struct mf_error *err)
{
	size_t keep = out->len;

	if (buf_append(out, name, strlen(name)) && buf_append(out, ":", 1) &&
	    buf_append(out, value, len) && buf_append(out, "\r\n", 2))
		return true;
	out->len = keep;
	err_set(err, EX_DATAERR, ERR_PERMANENT, "header field too long");
	return false;
}

/* ---- unstructured fields (RFC 5322 3.2.5, RFC 2047 5(1)) --------------- */

bool
msg_rfc2047_encode_unstructured(const char *name, const char *value,
				size_t len, struct buf *out,
				struct mf_error *err)
{
	struct field_enc fe;
	struct buf u;
	size_t keep = out->len, words = 0;
	bool ok = false;

	buf_init(&u, len);
	field_enc_init(&fe);
	if (!msg_has_8bit(value, len) &&
	    fits_unchanged(strlen(name), value, len)) {
		ok = copy_unchanged(name, value, len, out, err);
		goto done;
	}
	if (!prepare_text(value, len, STRAY_DROP, &u, err))
		goto done;
	fe.text = u.data ? u.data : "";
	fe.len = u.len;
	charset_init(&fe.cs, fe.text, fe.len, false);

	for (size_t i = 0; i < fe.len;) {
		size_t j = i;

		if (is_wsp((unsigned char)fe.text[i])) {
			while (j < fe.len && is_wsp((unsigned char)fe.text[j]))
				j++;
			elem_add(&fe, EL_WS, i, j - i);
		} else {
			struct elem *e;
			size_t doff = fe.disp.len;

			while (j < fe.len && !is_wsp((unsigned char)fe.text[j]))
				j++;
			e = elem_add(&fe, EL_WORD, i, j - i);
			if (!buf_append(&fe.disp, fe.text + i, j - i)) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"header field too long");
				goto done;
			}
			word_finish(&fe, e, doff);
			/* A word holding encoded words stays as it is
			 * unless it has 8-bit bytes (RFC 2047 6.1). */
			words++;
		}
		i = j;
	}
	if (words == 0 && fe.n > 0 && strlen(name) + 2 + fe.len > LINE_GOAL) {
		/* Only whitespace, too much for one line: encode it all. */
		fe.el[0].kind = EL_WORD;
		fe.el[0].enc = true;
		fe.el[0].doff = 0;
		fe.el[0].dlen = fe.len;
		if (!buf_append(&fe.disp, fe.text, fe.len)) {
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"header field too long");
			goto done;
		}
	}

	/* A plain word that could not fit on a line of its own, with the
	 * whitespace that must stay in front of and after it, is encoded
	 * too (encoded words can be split). Forcing a word only shortens
	 * the whitespace kept next to its neighbours, so one pass is
	 * enough. */
	ws_split(&fe, true);
	for (size_t i = 0; i < fe.n; i++) {
		struct elem *e = &fe.el[i];
		size_t lead = 1, trail = 0;

		if (e->kind != EL_WORD || e->enc || e->ew.any)
			continue;
		if (i > 0)
			lead = ws_outside(&fe.el[i - 1]) + (i == 1 ? 1 : 0);
		if (i + 2 == fe.n)
			trail = ws_outside(&fe.el[i + 1]);
		if (lead + e->len + trail > LINE_GOAL)
			e->enc = true;
	}
	ws_split(&fe, true);

	if (!emit_field(&fe, name, out)) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"encoded header field too long");
		goto done;
	}
	ok = true;
done:
	if (!ok)
		out->len = keep;
	field_enc_clear(&fe);
	buf_clear(&u);
	return ok;
}

/* ---- address fields (RFC 5322 3.4, RFC 2047 5(2), 5(3)) ---------------- */

enum tok_kind {
	T_WS,
	T_ATOM,    /* anything else up to whitespace or a special */
	T_QSTR,    /* "..." */
	T_COMMENT, /* (...), nested */
	T_ANGLE,   /* <...> */
	T_LITERAL, /* [...] */
	T_SPECIAL, /* @ , : ; . */
};

struct tok {
	enum tok_kind kind;
	size_t off, len;
	bool phrase; /* part of a display name or group name */
};

struct lexer {
	const char *p;
	size_t n;
	struct tok *t;
	size_t count, cap;
};

static void
tok_add(struct lexer *lx, enum tok_kind kind, size_t off, size_t len)
{
	if (lx->count == lx->cap) {
		lx->cap = lx->cap ? lx->cap * 2 : 32;
		lx->t = xreallocarray(lx->t, lx->cap, sizeof(*lx->t));
	}
	lx->t[lx->count].kind = kind;
	lx->t[lx->count].off = off;
	lx->t[lx->count].len = len;
	lx->t[lx->count].phrase = false;
	lx->count++;
}

/* Offset just after the quoted string that opens at i, or 0 when it is
 * not closed. */
static size_t
skip_quoted(const char *p, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++) {
		if (p[j] == '\\')
			j++;
		else if (p[j] == '"')
			return j + 1;
	}
	return 0;
}

static bool
lex(struct lexer *lx, struct mf_error *err)
{
	const char *p = lx->p;
	size_t n = lx->n, i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		size_t j = i + 1;

		if (is_wsp(c)) {
			while (j < n && is_wsp((unsigned char)p[j]))
				j++;
			tok_add(lx, T_WS, i, j - i);
		} else if (c == '"') {
			j = skip_quoted(p, n, i);
			if (j == 0) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"unterminated quoted string");
				return false;
			}
			tok_add(lx, T_QSTR, i, j - i);
		} else if (c == '(') {
			size_t depth = 1;

			while (j < n && depth > 0) {
				if (p[j] == '\\')
					j++;
				else if (p[j] == '(')
					depth++;
				else if (p[j] == ')')
					depth--;
				j++;
			}
			if (depth > 0 || j > n) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"unterminated comment");
				return false;
			}
			tok_add(lx, T_COMMENT, i, j - i);
		} else if (c == '<' || c == '[') {
			char close = c == '<' ? '>' : ']';

			while (j < n && p[j] != close) {
				if (p[j] == '\\') {
					j++;
				} else if (c == '<' && p[j] == '"') {
					size_t q = skip_quoted(p, n, j);

					if (q == 0)
						break;
					j = q;
					continue;
				} else if (p[j] == c) {
					break;
				}
				j++;
			}
			if (j >= n || p[j] != close) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"missing '%c'", close);
				return false;
			}
			j++;
			tok_add(lx, c == '<' ? T_ANGLE : T_LITERAL, i, j - i);
		} else if (c == ')' || c == '>' || c == ']') {
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"unexpected '%c'", c);
			return false;
		} else if (c == '@' || c == ',' || c == ':' || c == ';' ||
			   c == '.') {
			tok_add(lx, T_SPECIAL, i, 1);
		} else {
			while (j < n && !is_wsp((unsigned char)p[j]) &&
			       strchr("\"()<>[]@,:;.", p[j]) == NULL)
				j++;
			tok_add(lx, T_ATOM, i, j - i);
		}
		i = j;
	}
	return true;
}

static bool
tok_is(const struct lexer *lx, size_t i, char c)
{
	return i < lx->count && lx->t[i].kind == T_SPECIAL &&
	       lx->p[lx->t[i].off] == c;
}

/* Mark tokens [from, to) as a display name; they may only be words,
 * dots, whitespace and comments. */
static bool
mark_phrase(struct lexer *lx, size_t from, size_t to, struct mf_error *err)
{
	for (size_t i = from; i < to; i++) {
		if (lx->t[i].kind == T_LITERAL || tok_is(lx, i, '@')) {
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"address in a display name");
			return false;
		}
		lx->t[i].phrase = true;
	}
	return true;
}

/* Skip whitespace and comments from i. */
static size_t
skip_cfws(const struct lexer *lx, size_t i)
{
	while (i < lx->count &&
	       (lx->t[i].kind == T_WS || lx->t[i].kind == T_COMMENT))
		i++;
	return i;
}

/* Find the display names of an address list (RFC 5322 3.4): the words
 * before "<" in a name-addr, before ":" in a group. */
static bool
parse_list(struct lexer *lx, struct mf_error *err)
{
	size_t i = 0;
	bool in_group = false;

	while (i < lx->count) {
		size_t j = i;

		while (j < lx->count && lx->t[j].kind != T_ANGLE &&
		       !tok_is(lx, j, ':') && !tok_is(lx, j, ',') &&
		       !tok_is(lx, j, ';'))
			j++;
		if (j < lx->count && lx->t[j].kind == T_ANGLE) {
			if (!mark_phrase(lx, i, j, err))
				return false;
			j = skip_cfws(lx, j + 1);
			if (j < lx->count && !tok_is(lx, j, ',') &&
			    !tok_is(lx, j, ';')) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"unexpected text after '>'");
				return false;
			}
		} else if (j < lx->count && tok_is(lx, j, ':')) {
			if (in_group) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"group inside a group");
				return false;
			}
			if (!mark_phrase(lx, i, j, err))
				return false;
			in_group = true;
			i = j + 1;
			continue;
		}
		/* j is at ",", ";" or the end */
		if (j < lx->count && tok_is(lx, j, ';')) {
			if (!in_group) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"';' outside a group");
				return false;
			}
			in_group = false;
			j = skip_cfws(lx, j + 1);
			if (j < lx->count && !tok_is(lx, j, ',')) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"missing ',' after a group");
				return false;
			}
		}
		i = j < lx->count ? j + 1 : j;
	}
	return true;
}

/* Elements for the comment at p[off..off+len): its parentheses stay, its
 * words may be encoded, the blanks inside are fold points. */
static bool
comment_elems(struct field_enc *fe, size_t off, size_t len)
{
	const char *p = fe->text;
	size_t i = off, end = off + len;

	while (i < end) {
		unsigned char c = (unsigned char)p[i];
		size_t j = i + 1;

		if (c == '(' || c == ')') {
			elem_add(fe, EL_RAW, i, 1);
		} else if (is_wsp(c)) {
			while (j < end && is_wsp((unsigned char)p[j]))
				j++;
			elem_add(fe, EL_WS, i, j - i);
		} else {
			size_t doff = fe->disp.len;
			struct elem *e;

			j = i;
			while (j < end && !is_wsp((unsigned char)p[j]) &&
			       p[j] != '(' && p[j] != ')') {
				if (p[j] == '\\' && j + 1 < end)
					j++; /* quoted-pair: the byte itself */
				if (!buf_append(&fe->disp, p + j, 1))
					return false;
				j++;
			}
			e = elem_add(fe, EL_WORD, i, j - i);
			word_finish(fe, e, doff);
		}
		i = j;
	}
	return true;
}

/* Append the display text of a quoted string (quotes removed, quoted
 * pairs undone). */
static bool
qstr_disp(struct field_enc *fe, size_t off, size_t len)
{
	for (size_t i = off + 1; i + 1 < off + len; i++) {
		if (fe->text[i] == '\\')
			i++;
		if (!buf_append(&fe->disp, fe->text + i, 1))
			return false;
	}
	return true;
}

static bool
is_word_part(const struct lexer *lx, size_t i)
{
	return i < lx->count && lx->t[i].phrase &&
	       (lx->t[i].kind == T_ATOM || lx->t[i].kind == T_QSTR ||
		tok_is(lx, i, '.'));
}

/* Turn the tokens into elements. */
static bool
address_elems(struct field_enc *fe, const struct lexer *lx)
{
	for (size_t i = 0; i < lx->count; i++) {
		const struct tok *t = &lx->t[i];

		if (t->kind == T_WS) {
			struct elem *e = elem_add(fe, EL_WS, t->off, t->len);

			e->member = i > 0 && tok_is(lx, i - 1, ',');
			/* "a @ b" (RFC 5322 4.4): keep an addr-spec whole. */
			if (!t->phrase &&
			    ((i > 0 && (tok_is(lx, i - 1, '@') ||
					tok_is(lx, i - 1, '.'))) ||
			     tok_is(lx, i + 1, '@') || tok_is(lx, i + 1, '.')))
				e->fold = false;
		} else if (t->kind == T_COMMENT) {
			if (!comment_elems(fe, t->off, t->len))
				return false;
		} else if (is_word_part(lx, i)) {
			/* A word of a display name: atoms, quoted strings
			 * and dots written together. */
			size_t doff = fe->disp.len, j = i;
			struct elem *e;

			for (; is_word_part(lx, j); j++) {
				const struct tok *w = &lx->t[j];
				bool ok = w->kind == T_QSTR
						  ? qstr_disp(fe, w->off, w->len)
						  : buf_append(&fe->disp,
							       fe->text + w->off,
							       w->len);
				if (!ok)
					return false;
			}
			e = elem_add(fe, EL_WORD, t->off,
				     lx->t[j - 1].off + lx->t[j - 1].len -
					     t->off);
			word_finish(fe, e, doff);
			i = j - 1;
		} else {
			elem_add(fe, EL_RAW, t->off, t->len);
			if (tok_is(lx, i, ',') && i + 1 < lx->count &&
			    lx->t[i + 1].kind != T_WS)
				elem_add(fe, EL_BREAK, t->off + 1, 0);
		}
	}
	if (fe->n > 0 && fe->el[fe->n - 1].kind == EL_WS)
		fe->el[fe->n - 1].fold = false;
	return true;
}

bool
msg_rfc2047_encode_address(const char *name, const char *value, size_t len,
			   struct buf *out, struct mf_error *err)
{
	struct field_enc fe;
	struct lexer lx = { NULL, 0, NULL, 0, 0 };
	struct buf u;
	size_t keep = out->len;
	bool ok = false, any_enc = false;

	buf_init(&u, len);
	field_enc_init(&fe);
	if (!prepare_text(value, len, STRAY_FAIL, &u, err))
		goto done;
	fe.text = u.data ? u.data : "";
	fe.len = u.len;
	charset_init(&fe.cs, fe.text, fe.len, true);
	lx.p = fe.text;
	lx.n = fe.len;
	if (!lex(&lx, err) || !parse_list(&lx, err))
		goto done;
	if (!address_elems(&fe, &lx)) {
		err_set(err, EX_DATAERR, ERR_PERMANENT, "header field too long");
		goto done;
	}
	for (size_t i = 0; i < fe.n; i++)
		if (fe.el[i].kind == EL_WORD && fe.el[i].enc)
			any_enc = true;
	if (!any_enc && fits_unchanged(strlen(name), value, len)) {
		ok = copy_unchanged(name, value, len, out, err);
		goto done;
	}
	ws_split(&fe, false);
	if (!emit_field(&fe, name, out)) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"encoded header field too long");
		goto done;
	}
	ok = true;
done:
	if (!ok)
		out->len = keep;
	free(lx.t);
	field_enc_clear(&fe);
	buf_clear(&u);
	return ok;
}
