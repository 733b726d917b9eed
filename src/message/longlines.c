/* message/longlines.c: keep every body line within 998 octets (RFC 5321
 * 4.5.3.1.6) without changing what a MIME reader decodes.
 *
 * Owns the two streaming passes of longlines.h: one MIME structure walker
 * shared by both passes (so they cannot disagree on where a part starts),
 * the findings of pass 1 (a "mark" per leaf that must be re-encoded) and
 * the writers of pass 2: a quoted-printable encoder and a strict decoder
 * (RFC 2045 6.7), a base64 re-wrapper (RFC 2045 6.8), a header line
 * folder (RFC 5322 2.2.3) and a hard line splitter.
 *
 * Structure (RFC 2045 5.1, 5.2, 6.1; RFC 2046 5.1.1, 5.1.5, 5.2.1). An
 * entity is a header block and a body; the top-level one has its header
 * block in struct msg_headers, every other one in the body stream. A body
 * is multipart when Content-Type is multipart/<any> with a boundary
 * parameter (1 to LL_BOUNDARY_MAX octets, quoted or not) and the transfer
 * encoding is absent, 7bit, 8bit or binary; it holds a preamble, parts
 * separated by "--boundary" lines (transport padding allowed), a close
 * delimiter "--boundary--" and an epilogue. A delimiter of an enclosing
 * multipart also ends every inner one, and a missing close delimiter
 * lets the last part run to the end of the body. A body of type
 * message/rfc822 or message/global with such an encoding is another
 * entity (an encapsulated message); a part of multipart/digest without
 * Content-Type is message/rfc822. Any other body is a leaf. MIME-Version
 * is not needed to follow the structure: readers do not require it, and
 * re-encoding a body labelled multipart would break it for all of them.
 * Nesting deeper than LL_DEPTH_MAX entities is not followed: the body at
 * that depth is a leaf. A delimiter line is at most 998 octets.
 *
 * What pass 2 does with a line over 998 octets, by where it is:
 *  - in a leaf without a transfer encoding, or 7bit/8bit/binary: the whole
 *    leaf becomes quoted-printable and its Content-Transfer-Encoding is
 *    replaced (the first field, in place; others dropped) or added at the
 *    end of its header block. An encapsulated message also gains
 *    "MIME-Version: 1.0" and "Content-Type: text/plain; charset=..." when
 *    missing; a body part gains that Content-Type only when it is missing
 *    and the part has 8-bit octets (its default, us-ascii, would be wrong).
 *    The top-level header block is fixed by msg_longlines_fix_headers().
 *  - in a quoted-printable leaf (malformed: QP lines are at most 76): it is
 *    decoded strictly (trailing white space dropped, "=" at a line end is
 *    a soft break, "=XX" with either case of hex, any other "=" literal)
 *    and encoded again, so the decoded octets are kept and lines are 76.
 *  - in a base64 leaf: re-wrapped to 76 columns; octets outside the base64
 *    alphabet, which decoders ignore, are dropped.
 *  - in a leaf whose content cannot be re-encoded (unknown encoding, or a
 *    composite type we do not enter with an identity encoding), in a
 *    preamble or in an epilogue (never displayed): split with a plain CRLF
 *    after 998 octets.
 *  - in a header block of the stream: folded before the last blank that
 *    follows a non-blank; with no such blank, a CRLF SP is inserted (the
 *    value gains a space) and a line of only blanks loses blanks beyond
 *    998 so that no line is blank-only.
 * No line made by pass 2 can read as a boundary delimiter: encoded output
 * never starts a line with "-" ("=2D" is written instead), a split never
 * starts the new line with "-" (it moves back over a run of "-"; 998 "-"
 * get a leading space), and when the first piece of a split line would be
 * "--boundary" and blanks, the line is broken after its first octet and
 * the rest starts with a space. Every other octet passes through
 * unchanged.
 *
 * Ceilings: boundaries LL_BOUNDARY_MAX octets, LL_DEPTH_MAX levels, the
 * Content-Type and Content-Transfer-Encoding of a part are read from
 * their first LL_FIELD_MAX octets, a candidate delimiter or undecided
 * header line holds at most 998 octets, the QP decoder holds at most 998
 * blanks (a longer run is kept as content even when it ends the line),
 * and pass 1 keeps at most LL_MARKS_MAX marks (later leaves with long
 * lines are split like a preamble). Memory does not depend on the body. */
#include "config.h"

#include "message/longlines.h"

#include "message/header.h"
#include "util/bytes.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#define LL_DEPTH_MAX    16
#define LL_BOUNDARY_MAX 200
#define LL_FIELD_MAX    16384
#define LL_MARKS_MAX    65536
#define LL_OBUF_SIZE    4096
#define LL_WSP_HOLD     MSG_LINE_MAX
/* Encoded octets on a QP line before the "=" of a soft break (76 in all,
 * RFC 2045 6.7 rule 5). */
#define QP_TEXT_MAX     75
#define B64_LINE        76


_Static_assert(LL_DEPTH_MAX <= 32, "cand_mask has one bit per level");

static const char ll_cte_line[] =
	"Content-Transfer-Encoding: quoted-printable\r\n";
static const char ll_mv_line[] = "MIME-Version: 1.0\r\n";
static const char ll_ct_ascii[] =
	"Content-Type: text/plain; charset=us-ascii\r\n";
static const char ll_ct_utf8[] =
	"Content-Type: text/plain; charset=UTF-8\r\n";
static const char ll_ct_8bit[] =
	"Content-Type: text/plain; charset=unknown-8bit\r\n";

enum ll_phase { PH_SCAN, PH_SCANNED, PH_REWRITE, PH_DONE, PH_FAILED };
enum ll_cat { CAT_DISCRETE, CAT_MULTIPART, CAT_ENCAP, CAT_COMPOSITE };
enum ll_cte { CTE_IDENTITY, CTE_QP, CTE_BASE64, CTE_OTHER };
enum ll_kind { KIND_TEXT, KIND_QP, KIND_BASE64, KIND_OPAQUE };
enum ll_action { ACT_NONE, ACT_QP_ENCODE, ACT_QP_REENCODE, ACT_B64_WRAP };
enum ll_ctx { CTX_HEADER, CTX_BODY };
enum ll_seg { SEG_PREAMBLE, SEG_EPILOGUE, SEG_LEAF };
/* Header line: nothing yet, a name so far, a name and blanks so far, or
 * decided (a field or a continuation). */
enum ll_hl { HL_START, HL_NAME, HL_NAME_WSP, HL_IN };
/* QP decoder: text, after "=", after "=" and one hex digit, after "=" and
 * blanks. */
enum ll_qd { QD_TEXT, QD_EQ, QD_EQ_HEX, QD_EQ_WSP };

/* What a header block says about its body. */
struct ll_type {
	enum ll_cat cat;
	enum ll_cte cte;
	bool digest;
	size_t blen; /* 0: no usable boundary */
	char boundary[LL_BOUNDARY_MAX];
};

/* Pass 1 finding: entity number `entity` is a leaf to re-encode. */
struct ll_mark {
	uint64_t entity;      /* in document order; the top level is 0 */
	unsigned char action; /* enum ll_action */
	bool eight_bit;       /* the leaf has octets >= 0x80 */
	bool utf8;            /* ... and it is valid UTF-8 */
};

struct ll_multipart {
	size_t blen;
	unsigned depth; /* of the multipart entity */
	bool digest;    /* parts default to message/rfc822 */
	char boundary[LL_BOUNDARY_MAX];
};

struct msg_longlines {
	enum ll_phase phase;
	struct ll_type top;  /* from the headers given to _new() */
	bool headers_fixed;

	/* Pass 1 results. */
	struct ll_mark *marks;
	size_t nmarks, marks_cap;
	bool any_long;       /* some line anywhere is over 998 */
	uint64_t p1_bytes, p1_entities;

	/* State of the current pass. */
	bool pass2;
	uint64_t bytes, entities;
	size_t mark_next;    /* pass 2: next mark to meet */
	bool mismatch;       /* pass 2 disagrees with pass 1 */
	struct ll_multipart mp[LL_DEPTH_MAX];
	size_t nmp;          /* open multiparts, outermost first */

	/* Line splitting and delimiter candidates. */
	bool cr_pending;
	bool line_fresh;     /* nothing of the current line seen yet */
	bool cand_on;        /* the line may be a delimiter: held in cand */
	uint32_t cand_mask;  /* open multiparts it may still match */
	size_t cand_len;
	char cand[MSG_LINE_MAX];
	enum ll_ctx ctx;
	size_t col;          /* octets of this line given to the segment */

	/* The entity whose header block is being read. */
	uint64_t ent;
	unsigned ent_depth;
	bool ent_message;    /* a message (top level or encapsulated) */
	bool ent_digest;     /* default type message/rfc822 */
	unsigned char ent_action;
	bool ent_eight_bit, ent_utf8;
	struct buf ct, cte;  /* first Content-Type / -Transfer-Encoding value */
	bool ct_seen, cte_seen, mv_seen;
	struct buf *capture; /* where the current field's value goes */
	bool dropping;       /* pass 2: current field is left out */
	bool cte_replaced;
	enum ll_hl hl;
	size_t hp_len, name_len;
	char hp[MSG_LINE_MAX]; /* undecided start of a header line */

	/* The body segment. */
	enum ll_seg seg;
	enum ll_kind kind;
	enum ll_action action;
	bool long_line, eight_bit, u8_ok;
	unsigned u8_need;
	unsigned char u8_lo, u8_hi;
	bool last_eol;       /* the last thing in the segment was a CRLF */

	/* Pass 2 writers. */
	size_t lb_len;
	size_t lb_first;     /* header writer: first non-blank, or SIZE_MAX */
	bool lb_fresh;       /* lb starts where the input line starts */
	char lb[MSG_LINE_MAX]; /* output line of the splitter or folder */
	size_t qcol;
	int qpend;           /* blank held by the QP encoder, or -1 */
	enum ll_qd qd;
	unsigned char qd_hex;
	size_t qw_len;
	char qw[LL_WSP_HOLD];  /* blanks held by the QP decoder */
	size_t bcol;
	bool b_out;

	/* Pass 2 output. */
	msg_longlines_out_fn out;
	void *out_ctx;
	struct mf_error *err;
	bool out_failed;
	size_t olen;
	char obuf[LL_OBUF_SIZE];
};

static void ll_seg_byte(struct msg_longlines *ll, unsigned char c);
static void ll_seg_eol(struct msg_longlines *ll);
static void ll_start_entity(struct msg_longlines *ll, unsigned depth,
			    bool message, bool digest_default);

/* ------------------------------------------------------------ helpers */

static bool
ll_wsp(int c)
{
	return c == ' ' || c == '\t';
}


static bool
ll_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

static bool
ll_word_is(const char *p, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(p, word, len) == 0;
}

static const char *
ll_ct_line(bool eight_bit, bool utf8)
{
	if (!eight_bit)
		return ll_ct_ascii;
	return utf8 ? ll_ct_utf8 : ll_ct_8bit;
}

/* ---------------------------------------------- header values (RFC 2045) */

/* tspecials, RFC 2045 5.1. */
static bool
ll_tspecial(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '@' ||
	       c == ',' || c == ';' || c == ':' || c == '\\' || c == '"' ||
	       c == '/' || c == '[' || c == ']' || c == '?' || c == '=';
}

static bool
ll_token_char(unsigned char c)
{
	return c > 32 && c < 127 && !ll_tspecial(c);
}

/* Skip blanks, line breaks of folds and (nested) comments. */
static size_t
ll_skip_cfws(const char *p, size_t n, size_t i)
{
	size_t depth = 0;

	while (i < n) {
		char c = p[i];

		if (depth > 0) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			i++;
		} else if (ll_wsp(c) || c == '\r' || c == '\n') {
			i++;
		} else if (c == '(') {
			depth = 1;
			i++;
		} else {
			break;
		}
	}
	return i;
}

static size_t
ll_token(const char *p, size_t n, size_t i)
{
	while (i < n && ll_token_char((unsigned char)p[i]))
		i++;
	return i;
}

static void
ll_type_default(struct ll_type *t, bool digest_default)
{
	t->cat = digest_default ? CAT_ENCAP : CAT_DISCRETE;
	t->cte = CTE_IDENTITY;
	t->digest = false;
	t->blen = 0;
}

/* The parameters after type/subtype: only the first "boundary" counts.
 * An unquoted value runs to ";", a blank or a line break (real boundaries
 * such as ----=_Part_1 are often left unquoted). */
static void
ll_parse_params(const char *p, size_t n, size_t i, struct ll_type *t)
{
	bool seen = false;

	for (;;) {
		size_t as, ae, len = 0;
		bool ok = true;
		char val[LL_BOUNDARY_MAX];

		i = ll_skip_cfws(p, n, i);
		if (i >= n)
			return;
		if (p[i] != ';') {
			/* junk: resume at the next ";" */
			while (i < n && p[i] != ';')
				i++;
			continue;
		}
		i = ll_skip_cfws(p, n, i + 1);
		as = i;
		ae = i = ll_token(p, n, i);
		i = ll_skip_cfws(p, n, i);
		if (ae == as || i >= n || p[i] != '=')
			continue;
		i = ll_skip_cfws(p, n, i + 1);
		if (i < n && p[i] == '"') {
			ok = false;
			for (i++; i < n; i++) {
				char c = p[i];

				if (c == '"') {
					ok = true;
					i++;
					break;
				}
				if (c == '\r' || c == '\n')
					continue; /* a fold inside the quotes */
				if (c == '\\' && i + 1 < n)
					c = p[++i];
				if (len < sizeof(val))
					val[len++] = c;
				else
					ok = false;
			}
		} else {
			while (i < n && p[i] != ';' && !ll_wsp(p[i]) &&
			       p[i] != '\r' && p[i] != '\n' && p[i] != '"') {
				if (len < sizeof(val))
					val[len++] = p[i];
				else
					ok = false;
				i++;
			}
		}
		if (seen || !ll_word_is(p + as, ae - as, "boundary"))
			continue;
		seen = true;
		if (ok && len > 0 && len <= LL_BOUNDARY_MAX) {
			memcpy(t->boundary, val, len);
			t->blen = len;
		}
	}
}

/* Content-Type (RFC 2045 5.1). False when it is not type/subtype. */
static bool
ll_parse_ct(const char *p, size_t n, struct ll_type *t)
{
	size_t i, ts, te, ss, se;

	i = ll_skip_cfws(p, n, 0);
	ts = i;
	te = i = ll_token(p, n, i);
	i = ll_skip_cfws(p, n, i);
	if (te == ts || i >= n || p[i] != '/')
		return false;
	i = ll_skip_cfws(p, n, i + 1);
	ss = i;
	se = i = ll_token(p, n, i);
	if (se == ss)
		return false;
	t->digest = false;
	t->blen = 0;
	if (ll_word_is(p + ts, te - ts, "multipart")) {
		t->cat = CAT_MULTIPART;
		t->digest = ll_word_is(p + ss, se - ss, "digest");
	} else if (ll_word_is(p + ts, te - ts, "message")) {
		if (ll_word_is(p + ss, se - ss, "rfc822") ||
		    ll_word_is(p + ss, se - ss, "global"))
			t->cat = CAT_ENCAP;
		else
			t->cat = CAT_COMPOSITE;
	} else {
		t->cat = CAT_DISCRETE;
	}
	ll_parse_params(p, n, i, t);
	return true;
}

/* Content-Transfer-Encoding (RFC 2045 6.1); an empty value is 7bit. */
static enum ll_cte
ll_parse_cte(const char *p, size_t n)
{
	size_t s = ll_skip_cfws(p, n, 0), e = ll_token(p, n, s);
	size_t len = e - s;

	if (len == 0)
		return s >= n ? CTE_IDENTITY : CTE_OTHER;
	p += s;
	if (ll_word_is(p, len, "7bit") || ll_word_is(p, len, "8bit") ||
	    ll_word_is(p, len, "binary"))
		return CTE_IDENTITY;
	if (ll_word_is(p, len, "quoted-printable"))
		return CTE_QP;
	if (ll_word_is(p, len, "base64"))
		return CTE_BASE64;
	return CTE_OTHER;
}

/* ------------------------------------------------------------- output */

static void
ll_flush(struct msg_longlines *ll)
{
	if (ll->olen > 0 && !ll->out_failed &&
	    !ll->out(ll->out_ctx, ll->obuf, ll->olen, ll->err))
		ll->out_failed = true;
	ll->olen = 0;
}

static void
ll_emit(struct msg_longlines *ll, const char *p, size_t n)
{
	if (!ll->pass2)
		return;
	while (n > 0) {
		size_t room = sizeof(ll->obuf) - ll->olen;
		size_t k = n < room ? n : room;

		memcpy(ll->obuf + ll->olen, p, k);
		ll->olen += k;
		p += k;
		n -= k;
		if (ll->olen == sizeof(ll->obuf))
			ll_flush(ll);
	}
}

static void
ll_emit_str(struct msg_longlines *ll, const char *s)
{
	ll_emit(ll, s, strlen(s));
}

/* ------------------------------------------------- line splitter (pass 2) */

/* Would the line p (n octets) read as a delimiter of an open multipart?
 * The first piece of a split line can, when the line starts with
 * "--boundary" and only blanks follow within the piece. */
static bool
ll_shaped(const struct msg_longlines *ll, const char *p, size_t n)
{
	for (size_t i = 0; i < ll->nmp; i++) {
		const struct ll_multipart *m = &ll->mp[i];
		size_t k = 2 + m->blen;

		if (n < k || p[0] != '-' || p[1] != '-' ||
		    memcmp(p + 2, m->boundary, m->blen) != 0)
			continue;
		if (k + 1 < n && p[k] == '-' && p[k + 1] == '-')
			k += 2;
		while (k < n && ll_wsp(p[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* The first piece of the line in lb would read as a delimiter: break
 * after its first octet instead and start the next line with a blank
 * (the one case where a split adds an octet). lb stays full. */
static void
ll_unshape(struct msg_longlines *ll)
{
	ll_emit(ll, ll->lb, 1);
	ll_emit(ll, "\r\n", 2);
	ll->lb[0] = ' ';
	ll->lb_fresh = false;
}

/* Pass-through lines: split only past 998 octets, never so that the new
 * line starts with "-". */
static void
lw_byte(struct msg_longlines *ll, unsigned char c)
{
	size_t p;

	if (ll->lb_len < MSG_LINE_MAX) {
		ll->lb[ll->lb_len++] = (char)c;
		return;
	}
	p = MSG_LINE_MAX;
	if (c == '-') {
		p = MSG_LINE_MAX - 1;
		while (p > 0 && ll->lb[p] == '-')
			p--;
	}
	if (ll->lb_fresh &&
	    ll_shaped(ll, ll->lb, p == 0 ? MSG_LINE_MAX : p)) {
		ll_unshape(ll);
		lw_byte(ll, c);
		return;
	}
	ll->lb_fresh = false;
	ll_emit(ll, ll->lb, p == 0 ? MSG_LINE_MAX : p);
	ll_emit(ll, "\r\n", 2);
	if (p == 0) {
		ll->lb[0] = ' ';
		ll->lb_len = 1;
	} else {
		memmove(ll->lb, ll->lb + p, MSG_LINE_MAX - p);
		ll->lb_len = MSG_LINE_MAX - p;
	}
	ll->lb[ll->lb_len++] = (char)c;
}

static void
lw_end(struct msg_longlines *ll, bool eol)
{
	ll_emit(ll, ll->lb, ll->lb_len);
	if (eol)
		ll_emit(ll, "\r\n", 2);
	ll->lb_len = 0;
	ll->lb_fresh = true;
}

/* ------------------------------------------------- header folder (pass 2) */

static void
hw_rescan(struct msg_longlines *ll)
{
	ll->lb_first = SIZE_MAX;
	for (size_t i = 0; i < ll->lb_len; i++) {
		if (!ll_wsp(ll->lb[i])) {
			ll->lb_first = i;
			break;
		}
	}
}

static void
hw_byte(struct msg_longlines *ll, unsigned char c)
{
	size_t p;

	if (ll->lb_len < MSG_LINE_MAX) {
		if (!ll_wsp(c) && ll->lb_first == SIZE_MAX)
			ll->lb_first = ll->lb_len;
		ll->lb[ll->lb_len++] = (char)c;
		return;
	}
	if (ll->lb_first == SIZE_MAX) {
		/* 998 blanks: drop blanks, make room for the non-blank */
		if (ll_wsp(c))
			return;
		ll->lb_len--;
		hw_byte(ll, c);
		return;
	}
	/* Fold before the last blank that follows a non-blank (c counts). */
	if (ll_wsp(c)) {
		p = MSG_LINE_MAX;
	} else {
		p = MSG_LINE_MAX - 1;
		while (p > ll->lb_first && !ll_wsp(ll->lb[p]))
			p--;
	}
	if (ll->lb_fresh &&
	    ll_shaped(ll, ll->lb, p > ll->lb_first ? p : MSG_LINE_MAX)) {
		ll_unshape(ll);
		hw_rescan(ll);
		hw_byte(ll, c);
		return;
	}
	ll->lb_fresh = false;
	if (p > ll->lb_first) {
		ll_emit(ll, ll->lb, p);
		ll_emit(ll, "\r\n", 2);
		memmove(ll->lb, ll->lb + p, MSG_LINE_MAX - p);
		ll->lb_len = MSG_LINE_MAX - p;
	} else {
		/* no blank to fold at: insert one */
		ll_emit(ll, ll->lb, MSG_LINE_MAX);
		ll_emit(ll, "\r\n", 2);
		ll->lb[0] = ' ';
		ll->lb_len = 1;
	}
	hw_rescan(ll);
	hw_byte(ll, c);
}

static void
hw_end(struct msg_longlines *ll, bool eol)
{
	ll_emit(ll, ll->lb, ll->lb_len);
	if (eol)
		ll_emit(ll, "\r\n", 2);
	ll->lb_len = 0;
	ll->lb_first = SIZE_MAX;
	ll->lb_fresh = true;
}

/* ------------------------------------ quoted-printable encoder (pass 2) */

/* One octet, literal or as =XX, with a soft break first when the line is
 * full. No line starts with a literal "-". */
static void
qp_token(struct msg_longlines *ll, unsigned char c, bool literal)
{
	static const char hex[] = "0123456789ABCDEF";
	char t[3];

	if (ll->qcol + (literal ? 1 : 3) > QP_TEXT_MAX) {
		ll_emit(ll, "=\r\n", 3);
		ll->qcol = 0;
	}
	if (literal && ll->qcol == 0 && c == '-')
		literal = false;
	if (literal) {
		t[0] = (char)c;
		ll_emit(ll, t, 1);
		ll->qcol += 1;
	} else {
		t[0] = '=';
		t[1] = hex[c >> 4];
		t[2] = hex[c & 15];
		ll_emit(ll, t, 3);
		ll->qcol += 3;
	}
}

/* RFC 2045 6.7 rules 1-3: 33-60 and 62-126 literal; a blank literal
 * unless it ends the line, so the last blank is held. */
static void
qp_byte(struct msg_longlines *ll, unsigned char c)
{
	if (ll->qpend >= 0) {
		qp_token(ll, (unsigned char)ll->qpend, true);
		ll->qpend = -1;
	}
	if (ll_wsp(c))
		ll->qpend = c;
	else
		qp_token(ll, c, c >= 33 && c <= 126 && c != '=');
}

/* A hard line break (rule 4). */
static void
qp_eol(struct msg_longlines *ll)
{
	if (ll->qpend >= 0) {
		qp_token(ll, (unsigned char)ll->qpend, false);
		ll->qpend = -1;
	}
	ll_emit(ll, "\r\n", 2);
	ll->qcol = 0;
}

/* End of the leaf. When its last line had a CRLF that the content does
 * not end with (a soft break before a delimiter), end with "=" CRLF. */
static void
qp_end(struct msg_longlines *ll, bool eol)
{
	if (ll->qpend >= 0) {
		qp_token(ll, (unsigned char)ll->qpend, eol);
		ll->qpend = -1;
	}
	if (eol && ll->qcol > 0)
		ll_emit(ll, "=\r\n", 3);
	ll->qcol = 0;
}

/* ------------------------------------ quoted-printable decoder (pass 2) */

static void
qd_flush_wsp(struct msg_longlines *ll)
{
	for (size_t i = 0; i < ll->qw_len; i++)
		qp_byte(ll, (unsigned char)ll->qw[i]);
	ll->qw_len = 0;
}

static void
qd_byte(struct msg_longlines *ll, unsigned char c)
{
	int v;

	switch (ll->qd) {
	case QD_TEXT:
		if (ll_wsp(c)) {
			if (ll->qw_len == sizeof(ll->qw))
				qd_flush_wsp(ll);
			ll->qw[ll->qw_len++] = (char)c;
			return;
		}
		qd_flush_wsp(ll);
		if (c == '=')
			ll->qd = QD_EQ;
		else
			qp_byte(ll, c);
		return;
	case QD_EQ:
		if (bytes_hex_value(c) >= 0) {
			ll->qd_hex = c;
			ll->qd = QD_EQ_HEX;
			return;
		}
		if (ll_wsp(c)) {
			ll->qw[0] = (char)c;
			ll->qw_len = 1;
			ll->qd = QD_EQ_WSP;
			return;
		}
		break;
	case QD_EQ_HEX:
		v = bytes_hex_value(c);
		if (v >= 0) {
			qp_byte(ll, (unsigned char)(bytes_hex_value(ll->qd_hex) * 16 +
						    v));
			ll->qd = QD_TEXT;
			return;
		}
		qp_byte(ll, '=');
		qp_byte(ll, ll->qd_hex);
		ll->qd = QD_TEXT;
		qd_byte(ll, c);
		return;
	case QD_EQ_WSP:
		if (ll_wsp(c) && ll->qw_len < sizeof(ll->qw)) {
			ll->qw[ll->qw_len++] = (char)c;
			return;
		}
		break;
	}
	/* "=" not followed by hex digits nor by blanks to the line end: a
	 * literal "=" (what follows is handled as text). */
	qp_byte(ll, '=');
	ll->qd = QD_TEXT;
	qd_byte(ll, c);
}

/* End of an encoded line: trailing blanks go, "=" there is a soft break;
 * eol says whether a hard break follows. */
static void
qd_line_end(struct msg_longlines *ll, bool eol)
{
	bool soft = ll->qd == QD_EQ || ll->qd == QD_EQ_WSP;

	if (ll->qd == QD_EQ_HEX) {
		qp_byte(ll, '=');
		qp_byte(ll, ll->qd_hex);
	}
	ll->qw_len = 0;
	ll->qd = QD_TEXT;
	if (eol && !soft)
		qp_eol(ll);
}

/* ------------------------------------------ base64 re-wrapper (pass 2) */

static void
b64_byte(struct msg_longlines *ll, unsigned char c)
{
	char t = (char)c;

	if (!ll_b64_char(c))
		return;
	ll_emit(ll, &t, 1);
	ll->b_out = true;
	if (++ll->bcol == B64_LINE) {
		ll_emit(ll, "\r\n", 2);
		ll->bcol = 0;
	}
}

static void
b64_end(struct msg_longlines *ll, bool eol)
{
	if (eol && (ll->bcol > 0 || !ll->b_out))
		ll_emit(ll, "\r\n", 2);
	ll->bcol = 0;
}

/* ----------------------------------------------------------- structure */

static void
ll_mark_add(struct msg_longlines *ll, enum ll_action action)
{
	struct ll_mark *m;

	if (ll->nmarks == LL_MARKS_MAX)
		return; /* pass 2 splits it like a preamble */
	if (ll->nmarks == ll->marks_cap) {
		ll->marks_cap = ll->marks_cap ? ll->marks_cap * 2 : 16;
		ll->marks = xreallocarray(ll->marks, ll->marks_cap,
					  sizeof(*m));
	}
	m = &ll->marks[ll->nmarks++];
	m->entity = ll->ent;
	m->action = (unsigned char)action;
	m->eight_bit = ll->eight_bit;
	m->utf8 = ll->u8_ok && ll->u8_need == 0;
}

/* Pass 2: the mark of the entity starting now, if any. */
static void
ll_take_mark(struct msg_longlines *ll)
{
	const struct ll_mark *m;

	ll->ent_action = ACT_NONE;
	ll->ent_eight_bit = false;
	ll->ent_utf8 = true;
	if (!ll->pass2)
		return;
	while (ll->mark_next < ll->nmarks &&
	       ll->marks[ll->mark_next].entity < ll->ent) {
		ll->mismatch = true;
		ll->mark_next++;
	}
	if (ll->mark_next == ll->nmarks ||
	    ll->marks[ll->mark_next].entity != ll->ent)
		return;
	m = &ll->marks[ll->mark_next++];
	ll->ent_action = m->action;
	ll->ent_eight_bit = m->eight_bit;
	ll->ent_utf8 = m->utf8;
}

static void
ll_start_body(struct msg_longlines *ll, enum ll_seg seg, enum ll_kind kind,
	      enum ll_action action)
{
	ll->ctx = CTX_BODY;
	ll->col = 0;
	ll->seg = seg;
	ll->kind = kind;
	ll->action = action;
	ll->long_line = false;
	ll->eight_bit = false;
	ll->u8_ok = true;
	ll->u8_need = 0;
	ll->last_eol = false;
	ll->lb_len = 0;
	ll->lb_fresh = true;
	ll->qcol = 0;
	ll->qpend = -1;
	ll->qd = QD_TEXT;
	ll->qw_len = 0;
	ll->bcol = 0;
	ll->b_out = false;
}

/* The body of the current entity starts: enter it or make it a leaf. */
static void
ll_classify(struct msg_longlines *ll, const struct ll_type *t)
{
	static const enum ll_action want[] = {
		[KIND_TEXT] = ACT_QP_ENCODE,
		[KIND_QP] = ACT_QP_REENCODE,
		[KIND_BASE64] = ACT_B64_WRAP,
		[KIND_OPAQUE] = ACT_NONE,
	};
	unsigned depth = ll->ent_depth;
	enum ll_kind kind;
	enum ll_action action = ACT_NONE;

	if (t->cte == CTE_IDENTITY && depth < LL_DEPTH_MAX) {
		if (t->cat == CAT_MULTIPART && t->blen > 0 &&
		    ll->nmp < LL_DEPTH_MAX) {
			struct ll_multipart *m = &ll->mp[ll->nmp++];

			memcpy(m->boundary, t->boundary, t->blen);
			m->blen = t->blen;
			m->depth = depth;
			m->digest = t->digest;
			if (ll->ent_action != ACT_NONE)
				ll->mismatch = true;
			ll_start_body(ll, SEG_PREAMBLE, KIND_OPAQUE, ACT_NONE);
			return;
		}
		if (t->cat == CAT_ENCAP) {
			if (ll->ent_action != ACT_NONE)
				ll->mismatch = true;
			ll_start_entity(ll, depth + 1, true, false);
			return;
		}
	}
	if (t->cte == CTE_QP)
		kind = KIND_QP;
	else if (t->cte == CTE_BASE64)
		kind = KIND_BASE64;
	else if (t->cte == CTE_IDENTITY && t->cat == CAT_DISCRETE)
		kind = KIND_TEXT;
	else
		kind = KIND_OPAQUE;
	if (ll->ent_action != ACT_NONE) {
		if (ll->ent_action == want[kind])
			action = want[kind];
		else
			ll->mismatch = true;
	}
	ll_start_body(ll, SEG_LEAF, kind, action);
}

static void
ll_start_entity(struct msg_longlines *ll, unsigned depth, bool message,
		bool digest_default)
{
	ll->ent = ll->entities++;
	ll->ent_depth = depth;
	ll->ent_message = message;
	ll->ent_digest = digest_default;
	ll_take_mark(ll);
	buf_reset(&ll->ct);
	buf_reset(&ll->cte);
	ll->ct_seen = false;
	ll->cte_seen = false;
	ll->mv_seen = false;
	ll->capture = NULL;
	ll->dropping = false;
	ll->cte_replaced = false;
	ll->hl = HL_START;
	ll->hp_len = 0;
	ll->lb_len = 0;
	ll->lb_first = SIZE_MAX;
	ll->lb_fresh = true;
	ll->ctx = CTX_HEADER;
	ll->col = 0;
}

/* ------------------------------------------------------- header blocks */

/* The header block ended, with an empty line (blank) or at a line that is
 * neither a field nor a continuation. */
static void
ll_block_end(struct msg_longlines *ll, bool blank)
{
	struct ll_type t;

	if (ll->pass2 && ll->ent_action == ACT_QP_ENCODE) {
		bool added = false;

		if (ll->ent_message && !ll->mv_seen) {
			ll_emit_str(ll, ll_mv_line);
			added = true;
		}
		if (!ll->ct_seen && (ll->ent_message || ll->ent_eight_bit)) {
			ll_emit_str(ll, ll_ct_line(ll->ent_eight_bit,
						   ll->ent_utf8));
			added = true;
		}
		if (!ll->cte_replaced) {
			ll_emit_str(ll, ll_cte_line);
			added = true;
		}
		if (added && !blank)
			ll_emit(ll, "\r\n", 2); /* end the block properly */
	}
	if (blank)
		ll_emit(ll, "\r\n", 2);
	ll_type_default(&t, ll->ent_digest);
	if (ll->ct_seen &&
	    !ll_parse_ct(ll->ct.data ? ll->ct.data : "", ll->ct.len, &t))
		ll_type_default(&t, ll->ent_digest);
	if (ll->cte_seen)
		t.cte = ll_parse_cte(ll->cte.data ? ll->cte.data : "",
				     ll->cte.len);
	ll_classify(ll, &t);
}

/* The undecided line start is not a field: the block ends and the line
 * belongs to the body. */
static void
ll_hdr_nonfield(struct msg_longlines *ll)
{
	char tmp[MSG_LINE_MAX];
	size_t n = ll->hp_len;

	memcpy(tmp, ll->hp, n);
	ll->hp_len = 0;
	ll->hl = HL_START;
	ll_block_end(ll, false);
	for (size_t i = 0; i < n; i++)
		ll_seg_byte(ll, (unsigned char)tmp[i]);
}

static void
ll_field_byte(struct msg_longlines *ll, unsigned char c)
{
	if (ll->capture != NULL)
		(void)buf_append_byte(ll->capture, (char)c); /* cut at max */
	if (ll->pass2 && !ll->dropping)
		hw_byte(ll, c);
}

/* hp holds "Name:" (or "Name :"): a field starts. */
static void
ll_field_start(struct msg_longlines *ll)
{
	const char *name = ll->hp;
	size_t n = ll->name_len;
	bool is_cte = ll_word_is(name, n, "Content-Transfer-Encoding");

	ll->capture = NULL;
	if (ll_word_is(name, n, "Content-Type")) {
		if (!ll->ct_seen)
			ll->capture = &ll->ct;
		ll->ct_seen = true;
	} else if (is_cte) {
		if (!ll->cte_seen)
			ll->capture = &ll->cte;
		ll->cte_seen = true;
	} else if (ll_word_is(name, n, "MIME-Version")) {
		ll->mv_seen = true;
	}
	ll->hl = HL_IN;
	ll->dropping = ll->pass2 && is_cte &&
		       ll->ent_action == ACT_QP_ENCODE;
	if (ll->dropping) {
		if (!ll->cte_replaced)
			ll_emit_str(ll, ll_cte_line);
		ll->cte_replaced = true;
		return;
	}
	if (ll->pass2)
		for (size_t i = 0; i < ll->hp_len; i++)
			hw_byte(ll, (unsigned char)ll->hp[i]);
}

static void
ll_hdr_byte(struct msg_longlines *ll, unsigned char c)
{
	bool room = ll->hp_len < MSG_LINE_MAX;

	switch (ll->hl) {
	case HL_START:
		if (ll_wsp(c)) {
			/* a continuation of the field before (if any) */
			ll->hl = HL_IN;
			ll_field_byte(ll, c);
			return;
		}
		if (c >= 33 && c <= 126 && c != ':') {
			ll->hp[0] = (char)c;
			ll->hp_len = 1;
			ll->hl = HL_NAME;
			return;
		}
		break;
	case HL_NAME:
		if (room && c >= 33 && c <= 126 && c != ':') {
			ll->hp[ll->hp_len++] = (char)c;
			return;
		}
		if (room && ll_wsp(c)) {
			ll->name_len = ll->hp_len;
			ll->hp[ll->hp_len++] = (char)c;
			ll->hl = HL_NAME_WSP;
			return;
		}
		if (room && c == ':') {
			ll->name_len = ll->hp_len;
			ll->hp[ll->hp_len++] = (char)c;
			ll_field_start(ll);
			return;
		}
		break;
	case HL_NAME_WSP:
		if (room && ll_wsp(c)) {
			ll->hp[ll->hp_len++] = (char)c;
			return;
		}
		if (room && c == ':') {
			ll->hp[ll->hp_len++] = (char)c;
			ll_field_start(ll);
			return;
		}
		break;
	case HL_IN:
		ll_field_byte(ll, c);
		return;
	}
	ll_hdr_nonfield(ll);
	ll_seg_byte(ll, c);
}

static void
ll_hdr_eol(struct msg_longlines *ll)
{
	switch (ll->hl) {
	case HL_START:
		ll_block_end(ll, true);
		return;
	case HL_NAME:
	case HL_NAME_WSP:
		ll_hdr_nonfield(ll);
		ll_seg_eol(ll);
		return;
	case HL_IN:
		if (ll->pass2 && !ll->dropping)
			hw_end(ll, true);
		ll->hl = HL_START;
		ll->hp_len = 0;
		return;
	}
}

/* ---------------------------------------------------------------- bodies */

/* UTF-8 well-formedness (RFC 3629 4), one octet at a time. */
static void
ll_utf8(struct msg_longlines *ll, unsigned char c)
{
	if (!ll->u8_ok)
		return;
	if (ll->u8_need > 0) {
		if (c < ll->u8_lo || c > ll->u8_hi) {
			ll->u8_ok = false;
			return;
		}
		ll->u8_need--;
		ll->u8_lo = 0x80;
		ll->u8_hi = 0xBF;
		return;
	}
	if (c < 0x80)
		return;
	ll->u8_lo = 0x80;
	ll->u8_hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		ll->u8_need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		ll->u8_need = 2;
		if (c == 0xE0)
			ll->u8_lo = 0xA0; /* no overlong forms */
		else if (c == 0xED)
			ll->u8_hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		ll->u8_need = 3;
		if (c == 0xF0)
			ll->u8_lo = 0x90;
		else if (c == 0xF4)
			ll->u8_hi = 0x8F; /* at most U+10FFFF */
	} else {
		ll->u8_ok = false;
	}
}

static void
ll_body_byte(struct msg_longlines *ll, unsigned char c)
{
	ll->last_eol = false;
	if (!ll->pass2) {
		if (ll->seg == SEG_LEAF) {
			if (c >= 0x80)
				ll->eight_bit = true;
			ll_utf8(ll, c);
		}
		return;
	}
	switch (ll->action) {
	case ACT_QP_ENCODE:
		qp_byte(ll, c);
		break;
	case ACT_QP_REENCODE:
		qd_byte(ll, c);
		break;
	case ACT_B64_WRAP:
		b64_byte(ll, c);
		break;
	case ACT_NONE:
		lw_byte(ll, c);
		break;
	}
}

static void
ll_body_eol(struct msg_longlines *ll)
{
	ll->last_eol = true;
	if (!ll->pass2) {
		if (ll->seg == SEG_LEAF)
			ll_utf8(ll, '\r');
		return;
	}
	switch (ll->action) {
	case ACT_QP_ENCODE:
		qp_eol(ll);
		break;
	case ACT_QP_REENCODE:
		qd_line_end(ll, true);
		break;
	case ACT_B64_WRAP:
		break;
	case ACT_NONE:
		lw_end(ll, true);
		break;
	}
}

/* The current segment ends (a delimiter, or the end of the input). */
static void
ll_seg_close(struct msg_longlines *ll)
{
	static const enum ll_action todo[] = {
		[KIND_TEXT] = ACT_QP_ENCODE,
		[KIND_QP] = ACT_QP_REENCODE,
		[KIND_BASE64] = ACT_B64_WRAP,
		[KIND_OPAQUE] = ACT_NONE,
	};

	if (ll->ctx == CTX_HEADER) {
		if (ll->pass2 && !ll->dropping)
			hw_end(ll, false); /* an unterminated last line */
		return;
	}
	if (!ll->pass2) {
		if (ll->seg == SEG_LEAF && ll->long_line &&
		    todo[ll->kind] != ACT_NONE)
			ll_mark_add(ll, todo[ll->kind]);
		return;
	}
	switch (ll->action) {
	case ACT_QP_ENCODE:
		qp_end(ll, ll->last_eol);
		break;
	case ACT_QP_REENCODE:
		if (!ll->last_eol)
			qd_line_end(ll, false);
		qp_end(ll, ll->last_eol);
		break;
	case ACT_B64_WRAP:
		b64_end(ll, ll->last_eol);
		break;
	case ACT_NONE:
		lw_end(ll, false);
		break;
	}
}

/* ------------------------------------------------------------- segments */

static void
ll_seg_byte(struct msg_longlines *ll, unsigned char c)
{
	if (++ll->col > MSG_LINE_MAX) {
		ll->any_long = true;
		if (ll->ctx == CTX_BODY)
			ll->long_line = true;
	}
	if (ll->ctx == CTX_HEADER)
		ll_hdr_byte(ll, c);
	else
		ll_body_byte(ll, c);
}

static void
ll_seg_eol(struct msg_longlines *ll)
{
	if (ll->ctx == CTX_HEADER)
		ll_hdr_eol(ll);
	else
		ll_body_eol(ll);
	ll->col = 0;
}

/* End of the input: finish an undecided header line, then the segment. */
static void
ll_seg_finish(struct msg_longlines *ll)
{
	while (ll->ctx == CTX_HEADER &&
	       (ll->hl == HL_NAME || ll->hl == HL_NAME_WSP))
		ll_hdr_nonfield(ll);
	ll_seg_close(ll);
}

/* ------------------------------------------- delimiters (RFC 2046 5.1.1) */

/* Add c to a candidate delimiter line; false when no open boundary can
 * match any more: "--" boundary, then "--" or not, then blanks. */
static bool
ll_cand_push(struct msg_longlines *ll, unsigned char c)
{
	size_t pos = ll->cand_len;
	uint32_t mask = ll->cand_mask;

	if (pos >= MSG_LINE_MAX)
		return false;
	for (size_t i = 0; i < ll->nmp; i++) {
		const struct ll_multipart *m = &ll->mp[i];
		bool ok;

		if (!(mask & (UINT32_C(1) << i)))
			continue;
		if (pos < 2)
			ok = c == '-';
		else if (pos < 2 + m->blen)
			ok = c == (unsigned char)m->boundary[pos - 2];
		else if (pos == 2 + m->blen)
			ok = c == '-' || ll_wsp(c);
		else if (pos == 3 + m->blen && ll->cand[2 + m->blen] == '-')
			ok = c == '-';
		else
			ok = ll_wsp(c);
		if (!ok)
			mask &= ~(UINT32_C(1) << i);
	}
	ll->cand_mask = mask;
	if (mask == 0)
		return false;
	ll->cand[ll->cand_len++] = (char)c;
	return true;
}

/* The candidate line is complete: which boundary (innermost first)? */
static bool
ll_cand_match(const struct msg_longlines *ll, size_t *level, bool *close)
{
	for (size_t i = ll->nmp; i-- > 0;) {
		size_t blen = ll->mp[i].blen;

		if (!(ll->cand_mask & (UINT32_C(1) << i)) ||
		    ll->cand_len < 2 + blen)
			continue;
		*close = ll->cand_len > 2 + blen && ll->cand[2 + blen] == '-';
		if (*close && ll->cand_len < 4 + blen)
			continue; /* "--boundary-" */
		*level = i;
		return true;
	}
	return false;
}

static void
ll_replay_cand(struct msg_longlines *ll)
{
	for (size_t i = 0; i < ll->cand_len; i++)
		ll_seg_byte(ll, (unsigned char)ll->cand[i]);
	ll->cand_len = 0;
}

static void
ll_delimiter(struct msg_longlines *ll, size_t level, bool close, bool eol)
{
	ll_seg_close(ll);
	ll_emit(ll, ll->cand, ll->cand_len);
	if (eol)
		ll_emit(ll, "\r\n", 2);
	ll->cand_len = 0;
	if (close) {
		ll->nmp = level;
		ll_start_body(ll, SEG_EPILOGUE, KIND_OPAQUE, ACT_NONE);
	} else {
		ll->nmp = level + 1;
		ll_start_entity(ll, ll->mp[level].depth + 1, false,
				ll->mp[level].digest);
	}
}

/* ----------------------------------------------------------------- lines */

static void
ll_line_byte(struct msg_longlines *ll, unsigned char c)
{
	if (ll->line_fresh) {
		ll->line_fresh = false;
		if (c == '-' && ll->nmp > 0) {
			ll->cand_on = true;
			ll->cand_len = 0;
			ll->cand_mask =
				(uint32_t)((UINT64_C(1) << ll->nmp) - 1);
		}
	}
	if (ll->cand_on) {
		if (ll_cand_push(ll, c))
			return;
		ll->cand_on = false;
		ll_replay_cand(ll);
	}
	ll_seg_byte(ll, c);
}

static void
ll_line_end(struct msg_longlines *ll, bool eol)
{
	size_t level;
	bool close;

	ll->line_fresh = true;
	if (ll->cand_on) {
		ll->cand_on = false;
		if (ll_cand_match(ll, &level, &close)) {
			ll_delimiter(ll, level, close, eol);
			return;
		}
		ll_replay_cand(ll);
	}
	if (eol)
		ll_seg_eol(ll);
}

/* Pass 1 inside a body line (no delimiter candidate): the octets up to
 * the next CR need only counting. Same effect as ll_seg_byte() on each. */
static size_t
ll_scan_run(struct msg_longlines *ll, const char *p, size_t len)
{
	const char *cr = memchr(p, '\r', len);
	size_t i = cr ? (size_t)(cr - p) : len;
	/* Only 8-bit text needs the byte-by-byte UTF-8 check; a run of
	 * ASCII (base64, most text) is one scan eight bytes at a time. */
	if (ll->seg == SEG_LEAF &&
	    (ll->u8_need > 0 || bytes_any_high(p, i))) {
		for (size_t j = 0; j < i; j++) {
			unsigned char c = (unsigned char)p[j];
			if (c >= 0x80 || ll->u8_need > 0) {
				if (c >= 0x80)
					ll->eight_bit = true;
				ll_utf8(ll, c);
			}
		}
	}
	if (i == 0)
		return 0;
	ll->bytes += i;
	ll->col += i;
	if (ll->col > MSG_LINE_MAX) {
		ll->any_long = true;
		ll->long_line = true;
	}
	ll->last_eol = false;
	return i;
}

static void
ll_feed(struct msg_longlines *ll, const char *p, size_t len)
{
	for (size_t i = 0; i < len && !ll->out_failed; i++) {
		unsigned char c;

		if (!ll->pass2 && ll->ctx == CTX_BODY && !ll->cand_on &&
		    !ll->line_fresh && !ll->cr_pending) {
			i += ll_scan_run(ll, p + i, len - i);
			if (i == len)
				break;
		}
		c = (unsigned char)p[i];

		ll->bytes++;
		if (ll->cr_pending) {
			ll->cr_pending = false;
			if (c == '\n') {
				ll_line_end(ll, true);
				continue;
			}
			ll_line_byte(ll, '\r');
		}
		if (c == '\r')
			ll->cr_pending = true;
		else
			ll_line_byte(ll, c);
	}
}

static void
ll_input_end(struct msg_longlines *ll)
{
	if (ll->cr_pending) {
		ll->cr_pending = false;
		ll_line_byte(ll, '\r');
	}
	if (!ll->line_fresh)
		ll_line_end(ll, false);
	ll_seg_finish(ll);
}

static void
ll_pass_begin(struct msg_longlines *ll, bool pass2)
{
	ll->pass2 = pass2;
	ll->bytes = 0;
	ll->entities = 0;
	ll->mark_next = 0;
	ll->mismatch = false;
	ll->nmp = 0;
	ll->cr_pending = false;
	ll->line_fresh = true;
	ll->cand_on = false;
	ll->cand_len = 0;
	ll->olen = 0;
	ll->out_failed = false;
	ll->lb_len = 0;
	ll->lb_first = SIZE_MAX;
	/* The top-level entity: its header block is not in the body. */
	ll->ent = ll->entities++;
	ll->ent_depth = 0;
	ll->ent_message = true;
	ll->ent_digest = false;
	ll_take_mark(ll);
	ll_classify(ll, &ll->top);
}

/* ---------------------------------------------------------------- API */

struct msg_longlines *
msg_longlines_new(const struct msg_headers *h)
{
	struct msg_longlines *ll = xcalloc(1, sizeof(*ll));

	buf_init(&ll->ct, LL_FIELD_MAX);
	buf_init(&ll->cte, LL_FIELD_MAX);
	ll_type_default(&ll->top, false);
	if (h != NULL) {
		size_t i = msg_headers_find(h, "Content-Type", 0);
		const char *v;
		size_t vlen;

		if (i < h->count) {
			v = msg_field_value(&h->fields[i], &vlen);
			if (!ll_parse_ct(v, vlen, &ll->top))
				ll_type_default(&ll->top, false);
		}
		i = msg_headers_find(h, "Content-Transfer-Encoding", 0);
		if (i < h->count) {
			v = msg_field_value(&h->fields[i], &vlen);
			ll->top.cte = ll_parse_cte(v, vlen);
		}
	}
	ll->phase = PH_SCAN;
	ll_pass_begin(ll, false);
	return ll;
}

void
msg_longlines_free(struct msg_longlines *ll)
{
	if (ll == NULL)
		return;
	buf_clear(&ll->ct);
	buf_clear(&ll->cte);
	free(ll->marks);
	free(ll);
}

void
msg_longlines_scan(struct msg_longlines *ll, const char *p, size_t len)
{
	if (ll->phase != PH_SCAN)
		BUG("msg_longlines_scan() after msg_longlines_scan_done()");
	ll_feed(ll, p, len);
}

bool
msg_longlines_scan_done(struct msg_longlines *ll)
{
	if (ll->phase != PH_SCAN)
		BUG("msg_longlines_scan_done() called twice");
	ll_input_end(ll);
	ll->p1_bytes = ll->bytes;
	ll->p1_entities = ll->entities;
	ll->phase = PH_SCANNED;
	return ll->any_long;
}

/* True when pass 2 re-encodes the top-level body as quoted-printable. */
static bool
ll_top_encoded(const struct msg_longlines *ll)
{
	return ll->nmarks > 0 && ll->marks[0].entity == 0 &&
	       ll->marks[0].action == ACT_QP_ENCODE;
}

bool
msg_longlines_fix_headers(struct msg_longlines *ll, struct msg_headers *h,
			  struct mf_error *err)
{
	const struct ll_mark *m;
	size_t n0 = h->count;
	const char *ct;

	if (ll->phase != PH_SCANNED)
		BUG("msg_longlines_fix_headers() outside pass 1 and pass 2");
	if (ll->headers_fixed || !ll_top_encoded(ll))
		return true;
	m = &ll->marks[0];
	if (msg_headers_find(h, "MIME-Version", 0) == h->count &&
	    !msg_headers_add(h, ll_mv_line, strlen(ll_mv_line), err))
		goto fail;
	if (msg_headers_find(h, "Content-Type", 0) == h->count) {
		ct = ll_ct_line(m->eight_bit, m->utf8);
		if (!msg_headers_add(h, ct, strlen(ct), err))
			goto fail;
	}
	if (!msg_headers_add(h, ll_cte_line, strlen(ll_cte_line), err))
		goto fail;
	for (size_t i = 0; i < n0; i++)
		if (msg_field_is(&h->fields[i], "Content-Transfer-Encoding"))
			h->fields[i].removed = true;
	ll->headers_fixed = true;
	return true;
fail:
	err_prefix(err, "long lines: ");
	return false;
}

/* Start or continue pass 2 with this output. */
static bool
ll_rewrite_enter(struct msg_longlines *ll, msg_longlines_out_fn out,
		 void *ctx, struct mf_error *err)
{
	if (ll->phase == PH_SCANNED) {
		if (ll_top_encoded(ll) && !ll->headers_fixed) {
			err_set(err, EX_SOFTWARE, ERR_LOCAL,
				"long lines: body rewritten before its headers "
				"were fixed");
			ll->phase = PH_FAILED;
			return false;
		}
		ll_pass_begin(ll, true);
		ll->phase = PH_REWRITE;
	}
	if (ll->phase == PH_FAILED) {
		if (!err_isset(err))
			err_set(err, EX_SOFTWARE, ERR_LOCAL,
				"long lines: rewrite after a failure");
		return false;
	}
	if (ll->phase != PH_REWRITE)
		BUG("msg_longlines_rewrite() outside pass 2");
	ll->out = out;
	ll->out_ctx = ctx;
	ll->err = err;
	return true;
}

static bool
ll_rewrite_leave(struct msg_longlines *ll)
{
	ll_flush(ll);
	ll->out = NULL;
	ll->out_ctx = NULL;
	ll->err = NULL;
	if (!ll->out_failed)
		return true;
	ll->phase = PH_FAILED;
	return false;
}

bool
msg_longlines_rewrite(struct msg_longlines *ll, const char *p, size_t len,
		      msg_longlines_out_fn out, void *ctx,
		      struct mf_error *err)
{
	if (!ll_rewrite_enter(ll, out, ctx, err))
		return false;
	ll_feed(ll, p, len);
	return ll_rewrite_leave(ll);
}

void
msg_longlines_rewrite_restart(struct msg_longlines *ll)
{
	if (ll->phase == PH_SCAN)
		BUG("msg_longlines_rewrite_restart() before the scan ended");
	ll->phase = PH_SCANNED;
}

bool
msg_longlines_rewrite_end(struct msg_longlines *ll, msg_longlines_out_fn out,
			  void *ctx, struct mf_error *err)
{
	if (!ll_rewrite_enter(ll, out, ctx, err))
		return false;
	ll_input_end(ll);
	if (!ll_rewrite_leave(ll))
		return false;
	if (ll->bytes != ll->p1_bytes ||
	    ll->entities != ll->p1_entities || ll->mismatch ||
	    ll->mark_next != ll->nmarks) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL,
			"long lines: the body changed between the two passes");
		ll->phase = PH_FAILED;
		return false;
	}
	ll->phase = PH_DONE;
	return true;
}
