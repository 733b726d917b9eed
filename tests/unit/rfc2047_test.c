/* tests/unit/rfc2047_test.c: message/rfc2047.c, table-driven.
 *
 * Every encoded field is checked for the shape RFC 5322 and RFC 2047 ask
 * for: CRLF line ends only, lines of at most 78 octets, continuation lines
 * that start with a blank, no line of only blanks, encoded words of at
 * most 75 octets that each decode on their own to whole UTF-8 characters
 * (when labelled UTF-8). Then the round trip: decoding the encoded value
 * gives back the unfolded original text, byte for byte. Some short cases
 * also have their exact output. RFC2047_SHOW=1 in the environment prints
 * every encoded field to stderr. */
#include "config.h"

#include "message/rfc2047.h"
#include "util/buf.h"
#include "util/error.h"

#include "check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

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

/* Length of the encoded word "=?cs?X?text?=" at p, or 0. */
static size_t
ew_at(const char *p, size_t n)
{
	size_t i = 2, q = 0;

	if (n < 2 || p[0] != '=' || p[1] != '?')
		return 0;
	for (; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r')
			return 0;
		if (p[i] == '?') {
			q++;
			if (q == 3)
				return i + 1 < n && p[i + 1] == '=' ? i + 2 : 0;
		}
	}
	return 0;
}

/* The value (after "Name:") of an encoded field, unfolded, without its
 * leading blank and the final CRLF. */
static void
field_text(const char *f, size_t n, size_t name_len, struct buf *out)
{
	size_t i = name_len + 1;

	if (n >= 2)
		n -= 2;
	for (; i < n; i++) {
		if (f[i] == '\r' && i + 1 < n && f[i + 1] == '\n') {
			i++;
			continue;
		}
		buf_append(out, f + i, 1);
	}
	if (out->len > 0 && out->data[0] == ' ')
		buf_consume(out, 1);
}

/* A line that is one unbreakable piece (after the field name and the
 * leading blanks), and not an encoded word: it may be longer than 78. */
static bool
one_piece(const char *line, size_t len, size_t skip)
{
	size_t i = skip == 0 ? 0 : skip + 1;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (ew_at(line + i, len - i) == len - i)
		return false;
	for (; i < len; i++)
		if (line[i] == ' ' || line[i] == '\t')
			return false;
	return true;
}

/* The shape checks described at the top; *ews counts encoded words. */
static void
check_shape(const char *f, size_t n, const char *name, bool want_utf8,
	    size_t *ews)
{
	size_t pos = 0, nl = strlen(name), line_no = 0;

	*ews = 0;
	CHECK(n >= 2 && f[n - 2] == '\r' && f[n - 1] == '\n');
	CHECK(n > nl && memcmp(f, name, nl) == 0 && f[nl] == ':');
	while (pos < n) {
		const char *line = f + pos;
		const char *cr = memchr(line, '\r', n - pos);
		size_t len, blanks = 0;

		CHECK(cr != NULL && cr + 1 < f + n && cr[1] == '\n');
		if (cr == NULL)
			return;
		len = (size_t)(cr - line);
		CHECK(memchr(line, '\n', len) == NULL);
		if (len > 78 && !one_piece(line, len, line_no == 0 ? nl : 0)) {
			fprintf(stderr, "long line (%zu): %.*s\n", len,
				(int)len, line);
			CHECK(len <= 78);
		}
		if (line_no > 0) {
			CHECK(len > 0 && (line[0] == ' ' || line[0] == '\t'));
			while (blanks < len &&
			       (line[blanks] == ' ' || line[blanks] == '\t'))
				blanks++;
			CHECK(blanks < len); /* no line of only blanks */
		}
		for (size_t i = 0; i < len; i++) {
			size_t e = ew_at(line + i, len - i);
			struct buf d;
			struct mf_error err;

			if (e == 0)
				continue;
			(*ews)++;
			CHECK(e <= 75);
			if (e > 75)
				fprintf(stderr, "long word: %.*s\n", (int)e,
					line + i);
			CHECK(memcmp(line + i, want_utf8 ? "=?UTF-8?"
							 : "=?UNKNOWN-8BIT?",
				     want_utf8 ? 8 : 15) == 0);
			buf_init(&d, 4096);
			CHECK(msg_rfc2047_decode(line + i, e, &d, &err));
			if (want_utf8)
				CHECK(utf8_ok((const unsigned char *)
						      (d.data ? d.data : ""),
					      d.len));
			/* it really was decoded */
			CHECK(d.len < e);
			buf_clear(&d);
			i += e - 1;
		}
		pos += len + 2;
		line_no++;
	}
}

/* Decode the encoded field's value and compare with want. */
static void
check_round_trip(const char *f, size_t n, const char *name, const char *want,
		 size_t want_len)
{
	struct buf text, dec;
	struct mf_error err;

	buf_init(&text, 1 << 20);
	buf_init(&dec, 1 << 20);
	field_text(f, n, strlen(name), &text);
	CHECK(msg_rfc2047_decode(text.data ? text.data : "", text.len, &dec,
				 &err));
	CHECK_MEM(dec.data ? dec.data : "", dec.len, want, want_len);
	buf_clear(&text);
	buf_clear(&dec);
}

/* The unfolded value without the blank after the colon. */
static void
unfolded(const char *v, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\r' && i + 2 < n && v[i + 1] == '\n' &&
		    (v[i + 2] == ' ' || v[i + 2] == '\t')) {
			i++;
			continue;
		}
		if (v[i] == '\n' && i + 1 < n &&
		    (v[i + 1] == ' ' || v[i + 1] == '\t'))
			continue;
		buf_append(out, v + i, 1);
	}
	if (out->len > 0 && (out->data[0] == ' ' || out->data[0] == '\t'))
		buf_consume(out, 1);
}

/* ---- unstructured ------------------------------------------------------ */

struct ucase {
	const char *name;
	const char *value;  /* raw field body after the colon */
	bool utf8;          /* expected label */
	const char *want;   /* exact field, or NULL */
	const char *text;   /* expected decoded text, NULL: value unfolded */
};

static const struct ucase ucases[] = {
	{ "Subject", " 한국어", true,
	  "Subject: =?UTF-8?B?7ZWc6rWt7Ja0?=\r\n", NULL },
	{ "Subject", " Re: 한국어 test", true,
	  "Subject: Re: =?UTF-8?B?7ZWc6rWt7Ja0?= test\r\n", NULL },
	{ "Subject", " 서버 점검 안내 (server maintenance notice)", true,
	  "Subject: =?UTF-8?B?7ISc67KEIOygkOqygCDslYjrgrQ=?= "
	  "(server maintenance notice)\r\n", NULL },
	{ "Subject", " caf\xc3\xa9", true,
	  "Subject: =?UTF-8?B?Y2Fmw6k=?=\r\n", NULL },
	{ "Subject", " caf\xe9 au lait", false,
	  "Subject: =?UNKNOWN-8BIT?Q?caf=E9?= au lait\r\n", NULL },
	/* already encoded words are left alone; the blank between one and
	 * our word goes inside ours (a decoder would drop it) */
	{ "Subject", " =?UTF-8?B?7ZWc?= 한", true,
	  "Subject: =?UTF-8?B?7ZWc?= =?UTF-8?B?IO2VnA==?=\r\n", "한 한" },
	/* purely ASCII that fits: unchanged, folds and all */
	{ "Subject", " hello world", true, "Subject: hello world\r\n", NULL },
	{ "Subject", "  two  blanks\r\n\tfolded ", true,
	  "Subject:  two  blanks\r\n\tfolded \r\n", NULL },
	{ "Subject", "", true, "Subject:\r\n", NULL },
	/* leading and trailing whitespace travel inside the encoded word */
	{ "Subject", "   한국어  ", true,
	  "Subject: =?UTF-8?B?ICDtlZzqta3slrQgIA==?=\r\n", NULL },
	{ "Subject", " 한국어\r\n test", true,
	  "Subject: =?UTF-8?B?7ZWc6rWt7Ja0?= test\r\n", NULL },
	{ "Subject", " 한국어\n\ttest", true,
	  "Subject: =?UTF-8?B?7ZWc6rWt7Ja0?=\ttest\r\n", NULL },
	{ "X-Note", " 한 a 국", true,
	  "X-Note: =?UTF-8?B?7ZWc?= a =?UTF-8?B?6rWt?=\r\n", NULL },
	{ "Subject", " Japanese: お知らせ：サーバーメンテナンスのお知らせ "
	  "(重要) 本日22時から翌朝6時まで", true, NULL, NULL },
	{ "Subject", " 🎉 Party 🎉🎊 time 😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗"
	  "☺😚😙🥲😋😛😜🤪😝🤑🤗🤭🫢🫣🤫🤔", true, NULL, NULL },
	{ "Subject", " Prix: 10€ – offre spéciale pour les clients fidèles, "
	  "voir https://example.com/promo?id=42&lang=fr_FR", true, NULL,
	  NULL },
	{ "Subject", " text with =? and ?= and _ in it: a=?b ?= c_d "
	  "한글=?x?= _ 끝 =?UTF-8?Q?_ ?=", true, NULL, NULL },
	{ "Subject", " tabs\t한\t글\tword\t\tfoo\t", true, NULL, NULL },
	{ "Subject", "\t  leading 한국어 and trailing   ", true, NULL, NULL },
	{ "Subject", " ctl \x01\x7f 한", true, NULL, NULL },
	{ "Subject", " many          spaces          between 한 words      "
	  "                                                                "
	  "             end", true, NULL, NULL },
	{ "Subject", " https://example.com/a/very/long/path/that/does/not/fit/"
	  "on/one/line/at/all/index.html 한국어 링크", true, NULL, NULL },
	/* invalid UTF-8: overlong, surrogate, truncated, 0xF5-0xFF */
	{ "Subject", " over \xc0\xaf long", false, NULL, NULL },
	{ "Subject", " surrogate \xed\xa0\x80 x", false, NULL, NULL },
	{ "Subject", " truncated 한\xe4\xb8", false, NULL, NULL },
	{ "Subject", " high \xf5\x80\x80\x80 \xff\xfe", false, NULL, NULL },
	{ "Subject", " latin1 r\xe9sum\xe9 na\xefve fa\xe7" "ade \xe0 la carte "
	  "\xfc" "ber sch\xf6n gr\xfc\xdf \xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9"
	  "\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9"
	  "\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9", false, NULL, NULL },
	/* Q with the RFC 2047 5(1) set: "," stays as it is */
	{ "Subject", " Hans Müller, Abteilung Einkauf", true,
	  "Subject: Hans =?UTF-8?Q?M=C3=BCller,?= Abteilung Einkauf\r\n",
	  NULL },
	/* a long name leaves little room on the first line */
	{ "X-A-Rather-Long-Header-Field-Name-That-Eats-The-Line", " 한국어 "
	  "텍스트 입니다", true, NULL, NULL },
	/* ASCII that does not fit is refolded */
	{ "Subject", " aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk "
	  "llll mmmm nnnn oooo pppp", true, NULL, NULL },
};

static void
run_unstructured(const char *name, const char *value, size_t len, bool utf8,
		 const char *want, const char *text)
{
	struct buf out, exp;
	struct mf_error err;
	size_t ews;

	buf_init(&out, 1 << 20);
	buf_init(&exp, 1 << 20);
	err_clear(&err);
	CHECK(msg_rfc2047_encode_unstructured(name, value, len, &out, &err));
	if (out.len == 0) {
		fprintf(stderr, "no output for %s:%.*s (%s)\n", name,
			(int)len, value, err.msg);
		buf_clear(&out);
		buf_clear(&exp);
		return;
	}
	check_shape(out.data, out.len, name, utf8, &ews);
	if (getenv("RFC2047_SHOW"))
		fprintf(stderr, "%.*s", (int)out.len, out.data);
	if (want)
		CHECK_MEM(out.data, out.len, want, strlen(want));
	if (text)
		buf_append(&exp, text, strlen(text));
	else
		unfolded(value, len, &exp);
	check_round_trip(out.data, out.len, name, exp.data ? exp.data : "",
			 exp.len);
	if (msg_has_8bit(value, len))
		CHECK(!msg_has_8bit(out.data, out.len));
	buf_clear(&out);
	buf_clear(&exp);
}

static void
test_unstructured(void)
{
	for (size_t i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		const struct ucase *c = &ucases[i];

		run_unstructured(c->name, c->value, strlen(c->value), c->utf8,
				 c->want, c->text);
	}
}

/* 500+ bytes of Korean, with and without blanks, and other long text. */
static void
test_long(void)
{
	static const char *const syll[] = { "가", "나", "다", "라", "마",
					    "바", "사", "아", "자", "차" };
	struct buf v;

	buf_init(&v, 1 << 20);
	for (int spaced = 0; spaced < 3; spaced++) {
		buf_reset(&v);
		buf_append_str(&v, " ");
		for (int i = 0; i < 200; i++) {
			buf_append_str(&v, syll[i % 10]);
			if (spaced == 1 && i % 7 == 6)
				buf_append_str(&v, " ");
			if (spaced == 2 && i % 13 == 12)
				buf_append_str(&v, " ascii ");
		}
		CHECK(v.len > 500);
		run_unstructured("Subject", v.data, v.len, true, NULL, NULL);
	}
	/* long emoji run: 4-byte characters must never be split */
	buf_reset(&v);
	buf_append_str(&v, " ");
	for (int i = 0; i < 150; i++)
		buf_append_str(&v, i % 2 ? "😀" : "🎉");
	run_unstructured("Subject", v.data, v.len, true, NULL, NULL);
	/* long invalid UTF-8: may be split anywhere */
	buf_reset(&v);
	buf_append_str(&v, " ");
	for (int i = 0; i < 300; i++)
		buf_append_byte(&v, (char)(0x80 + i % 0x7f));
	run_unstructured("Subject", v.data, v.len, false, NULL, NULL);
	/* a long ASCII word among 8-bit text is encoded, not overflowed */
	buf_reset(&v);
	buf_append_str(&v, " 한 ");
	for (int i = 0; i < 120; i++)
		buf_append_byte(&v, (char)('a' + i % 26));
	buf_append_str(&v, " 끝");
	run_unstructured("Subject", v.data, v.len, true, NULL, NULL);
	/* only blanks, too many for one line */
	buf_reset(&v);
	for (int i = 0; i < 100; i++)
		buf_append_str(&v, " ");
	run_unstructured("Subject", v.data, v.len, true, NULL, NULL);
	buf_clear(&v);
}

/* B or Q, whichever is shorter; Q for mostly ASCII text. */
static void
test_b_or_q(void)
{
	struct buf out;
	struct mf_error err;

	buf_init(&out, 1 << 16);
	CHECK(msg_rfc2047_encode_unstructured("Subject", " Sch\xc3\xb6neberg",
					      12, &out, &err));
	CHECK_STR(buf_cstr(&out), "Subject: =?UTF-8?Q?Sch=C3=B6neberg?=\r\n");
	buf_reset(&out);
	CHECK(msg_rfc2047_encode_unstructured("Subject", " 가나", 7, &out,
					      &err));
	CHECK_STR(buf_cstr(&out), "Subject: =?UTF-8?B?6rCA64KY?=\r\n");
	/* the ceiling of out is honoured */
	buf_clear(&out);
	buf_init(&out, 20);
	CHECK(!msg_rfc2047_encode_unstructured("Subject", " 한국어 한국어",
					       20, &out, &err));
	CHECK(err.exit_code == EX_DATAERR && out.len == 0);
	buf_clear(&out);
}

/* ---- decoding ------------------------------------------------------------ */

struct dcase {
	const char *in;
	const char *want;
};

static const struct dcase dcases[] = {
	{ "=?UTF-8?B?7ZWc6rWt7Ja0?=", "한국어" },
	{ "=?utf-8?q?caf=C3=A9_au_lait?=", "café au lait" },
	{ "=?UTF-8*ko?B?7ZWc?= =?UTF-8?B?6rWt?=", "한국" },
	{ "=?UTF-8?B?7ZWc?=\r\n =?UTF-8?B?6rWt?=", "한국" },
	{ "=?UTF-8?B?7ZWc?= x =?UTF-8?B?6rWt?=", "한 x 국" },
	{ "(=?ISO-8859-1?Q?a?=)", "(a)" },
	{ "=?UTF-8?B?7ZWc?=<a@b>", "한<a@b>" },
	{ "=?UTF-8?B?7?=", "=?UTF-8?B?7?=" },             /* bad length */
	{ "=?UTF-8?B?7ZW=c?=", "=?UTF-8?B?7ZW=c?=" },     /* bad padding */
	{ "=?UTF-8?B?7ZWc?=", "\xed\x95\x9c" },
	{ "=?UTF-8?B?7ZWc6rWt7Ja?=", "한국\xec\x96" },       /* no padding */
	{ "=?UTF-8?Q?a=4?=", "=?UTF-8?Q?a=4?=" },          /* bad escape */
	{ "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=" },          /* bad encoding */
	{ "=??Q?abc?=", "=??Q?abc?=" },                    /* no charset */
	{ "=?UTF-8?Q?\?\?=", "=?UTF-8?Q?\?\?=" },              /* empty text */
	{ "x=?UTF-8?Q?a?=", "x=?UTF-8?Q?a?=" },            /* inside a word */
	{ "=?UTF-8?Q?a?=x", "=?UTF-8?Q?a?=x" },
	{ "=?UTF-8?Q?a b?=", "=?UTF-8?Q?a b?=" },
	{ "a\r\n b", "a b" },
	{ "a\n\tb", "a\tb" },
	{ "=?UTF-8?Q?a?=  plain", "a  plain" },
	{ "", "" },
};

static void
test_decode(void)
{
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		struct buf out;
		struct mf_error err;

		buf_init(&out, 4096);
		CHECK(msg_rfc2047_decode(dcases[i].in, strlen(dcases[i].in),
					 &out, &err));
		CHECK_STR(buf_cstr(&out), dcases[i].want);
		buf_clear(&out);
	}
}

/* ---- address fields -------------------------------------------------- */

struct acase {
	const char *name;
	const char *value;
	bool utf8;
	const char *want;         /* exact field, or NULL */
	const char *decoded;      /* decoded value (names shown as text) */
	const char *addrs[4];     /* must appear unchanged in the output */
};

static const struct acase acases[] = {
	{ "From", " 홍길동 <hong@example.kr>", true,
	  "From: =?UTF-8?B?7ZmN6ri464+Z?= <hong@example.kr>\r\n",
	  "홍길동 <hong@example.kr>", { "<hong@example.kr>" } },
	{ "To", " \"김, 철수\" <kim@example.kr>, lee@example.kr", true,
	  "To: =?UTF-8?B?6rmALCDssqDsiJg=?= <kim@example.kr>, "
	  "lee@example.kr\r\n",
	  "김, 철수 <kim@example.kr>, lee@example.kr",
	  { "<kim@example.kr>", "lee@example.kr" } },
	{ "Cc", " park@example.kr (박 부장)", true,
	  "Cc: park@example.kr (=?UTF-8?B?67CVIOu2gOyepQ==?=)\r\n",
	  "park@example.kr (박 부장)", { "park@example.kr" } },
	{ "To", " 팀: a@b, c@d;", true, "To: =?UTF-8?B?7YyA?=: a@b, c@d;\r\n",
	  "팀: a@b, c@d;", { "a@b", "c@d" } },
	{ "To", " <홍@example.kr>", true, "To: <홍@example.kr>\r\n",
	  "<홍@example.kr>", { "<홍@example.kr>" } },
	{ "To", " 홍길동 <홍@example.kr>, 김@example.kr", true,
	  "To: =?UTF-8?B?7ZmN6ri464+Z?= <홍@example.kr>, 김@example.kr\r\n",
	  "홍길동 <홍@example.kr>, 김@example.kr",
	  { "<홍@example.kr>", "김@example.kr" } },
	{ "To", " John Doe <john@example.com>,\r\n jane@example.com (Jane)",
	  true,
	  "To: John Doe <john@example.com>,\r\n jane@example.com (Jane)\r\n",
	  "John Doe <john@example.com>, jane@example.com (Jane)",
	  { "<john@example.com>", "jane@example.com" } },
	{ "From", " \"홍 \\\"길동\\\"\" <a@b.kr>", true, NULL,
	  "홍 \"길동\" <a@b.kr>", { "<a@b.kr>" } },
	{ "From", " 홍.길동 Jr. <a@b.kr>", true, NULL,
	  "홍.길동 Jr. <a@b.kr>", { "<a@b.kr>" } },
	{ "From", " 홍길동<hong@example.kr>", true,
	  "From: =?UTF-8?B?7ZmN6ri464+Z?=<hong@example.kr>\r\n",
	  "홍길동<hong@example.kr>", { "<hong@example.kr>" } },
	{ "From", " Ren\xe9 <rene@example.fr>", false,
	  "From: =?UNKNOWN-8BIT?Q?Ren=E9?= <rene@example.fr>\r\n",
	  "Ren\xe9 <rene@example.fr>", { "<rene@example.fr>" } },
	/* Q with the stricter RFC 2047 5(3) set in a phrase: "," encoded */
	{ "From", " \"Hans Müller, Abteilung Einkauf\" <a@b>", true,
	  "From: =?UTF-8?Q?Hans_M=C3=BCller=2C_Abteilung_Einkauf?= <a@b>\r\n",
	  "Hans Müller, Abteilung Einkauf <a@b>", { "<a@b>" } },
	{ "From", " Dr. 홍길동 <a@b>", true,
	  "From: Dr. =?UTF-8?B?7ZmN6ri464+Z?= <a@b>\r\n",
	  "Dr. 홍길동 <a@b>", { "<a@b>" } },
	/* already encoded, ASCII: unchanged */
	{ "From", " =?UTF-8?B?7ZmN?= <a@b>", true,
	  "From: =?UTF-8?B?7ZmN?= <a@b>\r\n", "홍 <a@b>", { "<a@b>" } },
	/* 8-bit inside <> (and comments there) is an address: kept raw */
	{ "To", " 홍 <a@b (길동)>", true,
	  "To: =?UTF-8?B?7ZmN?= <a@b (길동)>\r\n", "홍 <a@b (길동)>",
	  { "<a@b (길동)>" } },
	{ "To", " undisclosed-recipients:;, 홍 <a@b>", true, NULL,
	  "undisclosed-recipients:;, 홍 <a@b>", { "<a@b>" } },
	{ "To", " \"plain\" <a@b>, 홍 (코멘트 (중첩)) <c@d>", true, NULL,
	  "\"plain\" <a@b>, 홍 (코멘트 (중첩)) <c@d>", { "<a@b>", "<c@d>" } },
	{ "To", " 김철수 <kim@example.kr>,이영희 <lee@example.kr>,박민수 "
	  "<park@example.kr>,최지우 <choi@example.kr>,정해인 "
	  "<jung@example.kr>", true,
	  "To: =?UTF-8?B?6rmA7LKg7IiY?= <kim@example.kr>,\r\n"
	  " =?UTF-8?B?7J207JiB7Z2s?= <lee@example.kr>,\r\n"
	  " =?UTF-8?B?67CV66+87IiY?= <park@example.kr>,\r\n"
	  " =?UTF-8?B?7LWc7KeA7Jqw?= <choi@example.kr>,\r\n"
	  " =?UTF-8?B?7KCV7ZW07J24?= <jung@example.kr>\r\n",
	  /* folds after a comma add a blank */
	  "김철수 <kim@example.kr>, 이영희 <lee@example.kr>, 박민수 "
	  "<park@example.kr>, 최지우 <choi@example.kr>, 정해인 "
	  "<jung@example.kr>",
	  { "<kim@example.kr>", "<lee@example.kr>", "<park@example.kr>",
	    "<jung@example.kr>" } },
	{ "Reply-To", " \"서버 점검 안내 담당자 (server maintenance notice "
	  "team), 운영팀\" <ops-maintenance-notices@example.co.kr>", true,
	  NULL,
	  "서버 점검 안내 담당자 (server maintenance notice team), 운영팀 "
	  "<ops-maintenance-notices@example.co.kr>",
	  { "<ops-maintenance-notices@example.co.kr>" } },
	{ "To", " 홍 <a.very.long.local.part.that.goes.on.and.on.and.on@"
	  "a.very.long.domain.name.example.kr>", true, NULL,
	  "홍 <a.very.long.local.part.that.goes.on.and.on.and.on@"
	  "a.very.long.domain.name.example.kr>",
	  { "<a.very.long.local.part.that.goes.on.and.on.and.on@"
	    "a.very.long.domain.name.example.kr>" } },
};

static void
run_address(const struct acase *c)
{
	struct buf out;
	struct mf_error err;
	size_t ews;

	buf_init(&out, 1 << 20);
	err_clear(&err);
	CHECK(msg_rfc2047_encode_address(c->name, c->value, strlen(c->value),
					 &out, &err));
	if (out.len == 0) {
		fprintf(stderr, "no output for %s:%s (%s)\n", c->name,
			c->value, err.msg);
		buf_clear(&out);
		return;
	}
	check_shape(out.data, out.len, c->name, c->utf8, &ews);
	if (getenv("RFC2047_SHOW"))
		fprintf(stderr, "%s", buf_cstr(&out));
	if (c->want)
		CHECK_STR(buf_cstr(&out), c->want);
	check_round_trip(out.data, out.len, c->name, c->decoded,
			 strlen(c->decoded));
	for (size_t i = 0; i < 4 && c->addrs[i]; i++)
		CHECK(strstr(buf_cstr(&out), c->addrs[i]) != NULL);
	buf_clear(&out);
}

/* Structures the encoder cannot parse: false, EX_DATAERR, out as it was. */
static const char *const bad_addresses[] = {
	" 홍 <a@b",
	" \"홍 <a@b>",
	" 홍) <a@b>",
	" (홍 <a@b>",
	" 홍 <a@b> x",
	" 홍 <a@b> <c@d>",
	" g1: g2: a@b;;",
	" a@b;",
	" a@b x@y <c@d>",
	" 홍 [1.2.3.4] <a@b>",
	" 홍 <a@b>\n, c@d",
	" g: a@b; c@d",
};

static void
test_address(void)
{
	for (size_t i = 0; i < sizeof(acases) / sizeof(acases[0]); i++)
		run_address(&acases[i]);
	for (size_t i = 0; i < sizeof(bad_addresses) / sizeof(bad_addresses[0]);
	     i++) {
		struct buf out;
		struct mf_error err;

		buf_init(&out, 4096);
		buf_append_str(&out, "kept");
		err_clear(&err);
		CHECK(!msg_rfc2047_encode_address("To", bad_addresses[i],
						  strlen(bad_addresses[i]),
						  &out, &err));
		CHECK(err.exit_code == EX_DATAERR && err.cls == ERR_PERMANENT);
		CHECK_STR(buf_cstr(&out), "kept");
		buf_clear(&out);
	}
}

int
main(void)
{
	test_unstructured();
	test_long();
	test_b_or_q();
	test_decode();
	test_address();
	CHECK(msg_has_8bit("a\x80", 2));
	CHECK(!msg_has_8bit("abc\0", 4));
	return check_done("rfc2047_test");
}
