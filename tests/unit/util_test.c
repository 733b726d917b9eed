/* tests/unit/util_test.c: util/ — the bounded buffer (ceiling refused with
 * the buffer unchanged, printf, consume, steal, NUL bytes), the error value
 * (escaping of control and non-ASCII bytes, prefixing that keeps the first
 * cause, truncation at ERR_MSG_MAX without overflow) and secret memory. */
#include "config.h"

#include "check.h"

#include "util/alloc.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/secret.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Counted literal: the bytes and their number (NUL bytes included). */
#define S(lit) lit, sizeof(lit) - 1

/* Name the table row when one of its checks failed. */
static void
report_case(const char *table, size_t i, int failures_before)
{
	if (check_failures != failures_before)
		fprintf(stderr, "  ^ in %s case %zu\n", table, i);
}

/* ------------------------------------------------------------- buf */

#define SIXTY "012345678901234567890123456789012345678901234567890123456789"

/* A sequence of appends against a ceiling: each piece is appended in
 * turn and must succeed or fail as listed; a refused append leaves the
 * buffer exactly as it was. */
static const struct {
	size_t max;
	struct {
		const char *p;
		size_t len;
		bool ok;
	} pieces[5];
	size_t npieces;
	const char *want;
	size_t want_len;
} append_cases[] = {
	{ 16, { { S("hello"), true }, { S(", "), true }, { S("world"), true } },
	  3, S("hello, world") },
	/* exactly at the ceiling is fine, one byte more is not */
	{ 8, { { S("12345"), true }, { S("678"), true }, { S("9"), false } },
	  3, S("12345678") },
	/* a refused append changes nothing; a later one that fits works */
	{ 8, { { S("12345"), true }, { S("6789"), false }, { S("67"), true },
	       { S("xyz"), false } },
	  4, S("1234567") },
	/* NUL bytes are data */
	{ 16, { { S("a\0b"), true }, { S("\0"), true }, { S("c\0"), true } },
	  3, S("a\0b\0c\0") },
	/* empty appends always fit, even at the ceiling */
	{ 2, { { S(""), true }, { S("ab"), true }, { S(""), true },
	       { S("c"), false } },
	  4, S("ab") },
	/* a ceiling of zero refuses every byte */
	{ 0, { { S("a"), false }, { S(""), true } }, 2, S("") },
	/* a single append larger than the ceiling */
	{ 4, { { S("abcdefgh"), false }, { S("abcd"), true } }, 2, S("abcd") },
	/* growth past the first allocation (64 bytes) */
	{ 1000, { { S(SIXTY), true }, { S(SIXTY), true } }, 2,
	  S(SIXTY SIXTY) },
};

static void
test_buf_append(void)
{
	for (size_t i = 0; i < sizeof(append_cases) / sizeof(append_cases[0]);
	     i++) {
		int before = check_failures;
		struct buf b;

		buf_init(&b, append_cases[i].max);
		CHECK(b.len == 0 && b.data == NULL);
		CHECK_STR(buf_cstr(&b), "");
		for (size_t j = 0; j < append_cases[i].npieces; j++) {
			size_t old_len = b.len;
			char *old = xmemdup0(b.data ? b.data : "", b.len);
			bool ok = buf_append(&b, append_cases[i].pieces[j].p,
					     append_cases[i].pieces[j].len);

			CHECK(ok == append_cases[i].pieces[j].ok);
			if (!ok)
				CHECK_MEM(b.data ? b.data : "", b.len, old,
					  old_len);
			free(old);
			CHECK(b.len <= b.max);
			/* always terminated after the counted bytes */
			CHECK(b.data == NULL || b.data[b.len] == '\0');
		}
		CHECK_MEM(b.data ? b.data : "", b.len, append_cases[i].want,
			  append_cases[i].want_len);
		buf_clear(&b);
		CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
		CHECK(b.max == append_cases[i].max);
		report_case("append_cases", i, before);
	}

	/* growth: many small appends, then the exact bytes */
	{
		struct buf b;
		char want[1000];

		buf_init(&b, sizeof(want));
		for (size_t i = 0; i < sizeof(want); i++) {
			want[i] = (char)('a' + i % 26);
			CHECK(buf_append_byte(&b, want[i]));
		}
		CHECK(!buf_append_byte(&b, 'x'));
		CHECK(!buf_append_str(&b, "x"));
		CHECK(b.cap <= b.max + 1);
		CHECK_MEM(b.data, b.len, want, sizeof(want));
		buf_clear(&b);
	}

	/* the largest ceiling there is must not wrap around (max + 1) */
	{
		struct buf b;

		buf_init(&b, SIZE_MAX);
		CHECK(buf_append(&b, S("unbounded")));
		CHECK(buf_append_str(&b, " buffer"));
		CHECK(b.cap >= b.len + 1);
		CHECK_MEM(b.data, b.len, "unbounded buffer", 16);
		buf_clear(&b);
	}

	/* buf_cstr on counted data with a NUL: terminated after len */
	{
		struct buf b;

		buf_init(&b, 10);
		CHECK(buf_append(&b, S("x\0y")));
		CHECK(memcmp(buf_cstr(&b), "x\0y\0", 4) == 0);
		buf_clear(&b);
	}
}

static const struct {
	size_t max;
	const char *before; /* already in the buffer */
	bool ok;
	const char *want;
} printf_cases[] = {
	{ 64, "", true, "n=42 s=abc c=%" },
	{ 64, "pre:", true, "pre:n=42 s=abc c=%" },
	/* "n=42 s=abc c=%" is 14 bytes */
	{ 14, "", true, "n=42 s=abc c=%" },
	{ 13, "", false, "" },
	{ 17, "pre", true, "pren=42 s=abc c=%" },
	{ 16, "pre", false, "pre" },
};

static void
test_buf_printf(void)
{
	for (size_t i = 0; i < sizeof(printf_cases) / sizeof(printf_cases[0]);
	     i++) {
		int before = check_failures;
		struct buf b;

		buf_init(&b, printf_cases[i].max);
		CHECK(buf_append_str(&b, printf_cases[i].before));
		CHECK(buf_printf(&b, "n=%d s=%s c=%%", 42, "abc") ==
		      printf_cases[i].ok);
		CHECK_STR(buf_cstr(&b), printf_cases[i].want);
		CHECK(b.len == strlen(printf_cases[i].want));
		buf_clear(&b);
		report_case("printf_cases", i, before);
	}

	/* an empty result still terminates a fresh buffer */
	{
		struct buf b;

		buf_init(&b, 0);
		CHECK(buf_printf(&b, "%s", ""));
		CHECK(b.len == 0);
		CHECK_STR(buf_cstr(&b), "");
		buf_clear(&b);
	}
}

static const struct {
	const char *in;
	size_t in_len;
	size_t n;
	const char *want;
	size_t want_len;
} consume_cases[] = {
	{ S("abcdef"), 0, S("abcdef") },
	{ S("abcdef"), 2, S("cdef") },
	{ S("abcdef"), 5, S("f") },
	{ S("abcdef"), 6, S("") },
	{ S("abcdef"), 100, S("") },
	{ S("a\0b\0c"), 2, S("b\0c") },
	{ S(""), 1, S("") },
};

static void
test_buf_consume(void)
{
	for (size_t i = 0;
	     i < sizeof(consume_cases) / sizeof(consume_cases[0]); i++) {
		int before = check_failures;
		struct buf b;

		buf_init(&b, 64);
		CHECK(buf_append(&b, consume_cases[i].in,
				 consume_cases[i].in_len));
		buf_consume(&b, consume_cases[i].n);
		CHECK_MEM(b.data ? b.data : "", b.len, consume_cases[i].want,
			  consume_cases[i].want_len);
		CHECK(b.data == NULL || b.data[b.len] == '\0');
		/* the freed room can be used again, up to the ceiling */
		CHECK(buf_append(&b, "Z", 1));
		CHECK(b.data[b.len - 1] == 'Z' && b.data[b.len] == '\0');
		buf_clear(&b);
		report_case("consume_cases", i, before);
	}

	/* consuming from a buffer that never allocated */
	{
		struct buf b;

		buf_init(&b, 8);
		buf_consume(&b, 3);
		CHECK(b.len == 0 && b.data == NULL);
		CHECK_STR(buf_cstr(&b), "");
	}

	/* consume frees room below the ceiling */
	{
		struct buf b;

		buf_init(&b, 4);
		CHECK(buf_append(&b, S("abcd")));
		CHECK(!buf_append(&b, S("e")));
		buf_consume(&b, 1);
		CHECK(buf_append(&b, S("e")));
		CHECK_MEM(b.data, b.len, "bcde", 4);
		buf_clear(&b);
	}
}

static void
test_buf_steal_reset(void)
{
	struct buf b;
	size_t len = 99;
	char *p;

	/* steal hands over the counted, terminated bytes and resets */
	buf_init(&b, 32);
	CHECK(buf_append(&b, S("se\0cret")));
	p = buf_steal(&b, &len);
	CHECK_MEM(p, len, "se\0cret", 7);
	CHECK(p[len] == '\0');
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && b.max == 32);
	free(p);

	/* the buffer is usable after a steal */
	CHECK(buf_append_str(&b, "again"));
	p = buf_steal(&b, NULL);
	CHECK_STR(p, "again");
	free(p);

	/* stealing an empty buffer yields an owned "" */
	len = 99;
	p = buf_steal(&b, &len);
	CHECK(p != NULL && len == 0 && p[0] == '\0');
	free(p);

	/* reset forgets the bytes but keeps the memory */
	CHECK(buf_append_str(&b, "abcdef"));
	{
		size_t cap = b.cap;
		char *data = b.data;

		buf_reset(&b);
		CHECK(b.len == 0 && b.cap == cap && b.data == data);
		CHECK(buf_append_str(&b, "xy"));
		CHECK_STR(buf_cstr(&b), "xy");
	}
	buf_clear(&b);

	/* clear_secret releases (the wipe itself is secret_wipe's job) */
	buf_init(&b, 32);
	CHECK(buf_append_str(&b, "hunter2"));
	buf_clear_secret(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && b.max == 32);
	buf_clear_secret(&b); /* twice, and on an empty buffer */
}

/* ------------------------------------------------------------- error */

/* err_set("%s", in): every byte that is not printable ASCII, and the
 * backslash itself (so that the escaping cannot be forged), becomes
 * \xHH with lower-case hex digits. */
static const struct {
	const char *in;
	const char *want;
} escape_set_cases[] = {
	{ "plain text: 250 ok", "plain text: 250 ok" },
	{ "line\r\nbreak", "line\\x0d\\x0abreak" },
	{ "tab\there", "tab\\x09here" },
	{ "bell\x07 esc\x1b[31m", "bell\\x07 esc\\x1b[31m" },
	{ "del\x7f", "del\\x7f" },
	{ "caf\xc3\xa9", "caf\\xc3\\xa9" },
	{ "\xea\xb0\x80", "\\xea\\xb0\\x80" },
	{ "\xff\x80", "\\xff\\x80" },
	{ "back\\slash", "back\\x5cslash" },
	{ "~ and space", "~ and space" },
	{ "", "" },
};

static void
test_err_set(void)
{
	for (size_t i = 0;
	     i < sizeof(escape_set_cases) / sizeof(escape_set_cases[0]); i++) {
		int before = check_failures;
		struct mf_error err;

		err_clear(&err);
		err.smtp_code = 550;
		memcpy(err.enhanced, "5.1.1", 6);
		err_set(&err, EX_DATAERR, ERR_PERMANENT, "%s",
			escape_set_cases[i].in);
		CHECK_STR(err.msg, escape_set_cases[i].want);
		CHECK(err.exit_code == EX_DATAERR);
		CHECK(err.cls == ERR_PERMANENT);
		/* err_set replaces any earlier error completely */
		CHECK(err.smtp_code == 0);
		CHECK_STR(err.enhanced, "");
		CHECK(err_isset(&err));
		report_case("escape_set_cases", i, before);
	}

	/* the format text itself is escaped too, not only the arguments */
	{
		struct mf_error err;

		err_set(&err, EX_TEMPFAIL, ERR_TEMPORARY, "a\nb %d", 7);
		CHECK_STR(err.msg, "a\\x0ab 7");
		CHECK(err.exit_code == EX_TEMPFAIL);
		CHECK(err.cls == ERR_TEMPORARY);
	}

	/* err_clear */
	{
		struct mf_error err;

		err_set(&err, EX_CONFIG, ERR_LOCAL, "x");
		err_clear(&err);
		CHECK(!err_isset(&err));
		CHECK(err.exit_code == EX_OK);
		CHECK(err.cls == ERR_NONE);
		CHECK(err.smtp_code == 0);
		CHECK_STR(err.enhanced, "");
		CHECK_STR(err.msg, "");
	}
}

static void
test_err_prefix(void)
{
	struct mf_error err;

	/* context goes in front; code, class and server codes stay */
	err_set(&err, EX_NOUSER, ERR_PERMANENT, "no such user");
	err.smtp_code = 550;
	memcpy(err.enhanced, "5.1.1", 6);
	err_prefix(&err, "recipient %s: ", "a@b");
	CHECK_STR(err.msg, "recipient a@b: no such user");
	CHECK(err.exit_code == EX_NOUSER);
	CHECK(err.cls == ERR_PERMANENT);
	CHECK(err.smtp_code == 550);
	CHECK_STR(err.enhanced, "5.1.1");

	/* layers stack outward: the first cause stays at the end */
	err_prefix(&err, "config %s:%d: ", "x", 3);
	CHECK_STR(err.msg, "config x:3: recipient a@b: no such user");
	CHECK(err.exit_code == EX_NOUSER);
	CHECK(err.cls == ERR_PERMANENT);

	/* the prefix is escaped; the old message is not escaped twice */
	err_set(&err, EX_CONFIG, ERR_PERMANENT, "bad\x01");
	CHECK_STR(err.msg, "bad\\x01");
	err_prefix(&err, "file\n%s: ", "\xc3\xa9");
	CHECK_STR(err.msg, "file\\x0a\\xc3\\xa9: bad\\x01");
	CHECK(err.exit_code == EX_CONFIG);

	/* a temporary error stays temporary when context is added */
	err_set(&err, EX_TEMPFAIL, ERR_TEMPORARY, "greylisted");
	err_prefix(&err, "deliver: ");
	CHECK(err.cls == ERR_TEMPORARY && err.exit_code == EX_TEMPFAIL);
	CHECK_STR(err.msg, "deliver: greylisted");
}

/* struct mf_error followed by a guard that must never be written. */
struct guarded_error {
	struct mf_error err;
	unsigned char guard[64];
};

static bool
guard_intact(const struct guarded_error *g)
{
	for (size_t i = 0; i < sizeof(g->guard); i++)
		if (g->guard[i] != 0xa5)
			return false;
	return true;
}

static void
test_err_truncation(void)
{
	struct guarded_error g;
	char *longtext = xmalloc(4 * ERR_MSG_MAX + 1);
	size_t n;

	memset(g.guard, 0xa5, sizeof(g.guard));

	/* plain text longer than the buffer: cut at ERR_MSG_MAX - 1 */
	memset(longtext, 'a', 4 * ERR_MSG_MAX);
	longtext[4 * ERR_MSG_MAX] = '\0';
	err_set(&g.err, EX_DATAERR, ERR_PERMANENT, "%s", longtext);
	n = strlen(g.err.msg);
	CHECK(n == ERR_MSG_MAX - 1);
	CHECK(strspn(g.err.msg, "a") == n);
	CHECK(guard_intact(&g));

	/* escapes are never cut in half: 511 / 4 = 127 whole escapes */
	memset(longtext, '\x01', 4 * ERR_MSG_MAX);
	err_set(&g.err, EX_DATAERR, ERR_PERMANENT, "%s", longtext);
	n = strlen(g.err.msg);
	CHECK(n == 127 * 4);
	CHECK(n % 4 == 0);
	CHECK(memcmp(g.err.msg + n - 4, "\\x01", 4) == 0);
	CHECK(guard_intact(&g));

	/* a mix: "ab" then escapes; "ab" + 127 escapes = 510 <= 511 */
	longtext[0] = 'a';
	longtext[1] = 'b';
	err_set(&g.err, EX_DATAERR, ERR_PERMANENT, "%s", longtext);
	n = strlen(g.err.msg);
	CHECK(n == 2 + 127 * 4);
	CHECK(memcmp(g.err.msg, "ab\\x01", 6) == 0);
	CHECK(guard_intact(&g));

	/* prefixing a full message: still terminated within the buffer,
	 * the prefix comes first, code and class are kept */
	memset(longtext, 'm', 4 * ERR_MSG_MAX);
	err_set(&g.err, EX_NOPERM, ERR_PERMANENT, "%s", longtext);
	err_prefix(&g.err, "context: ");
	n = strlen(g.err.msg);
	CHECK(n == ERR_MSG_MAX - 1);
	CHECK(strncmp(g.err.msg, "context: mmm", 12) == 0);
	CHECK(g.err.exit_code == EX_NOPERM && g.err.cls == ERR_PERMANENT);
	CHECK(guard_intact(&g));

	/* a prefix longer than the buffer on its own */
	memset(longtext, 'p', 4 * ERR_MSG_MAX);
	err_set(&g.err, EX_NOPERM, ERR_PERMANENT, "short");
	err_prefix(&g.err, "%s", longtext);
	n = strlen(g.err.msg);
	CHECK(n == ERR_MSG_MAX - 1);
	CHECK(strspn(g.err.msg, "p") == n);
	CHECK(g.err.exit_code == EX_NOPERM);
	CHECK(guard_intact(&g));

	/* a prefix of control bytes longer than the buffer once escaped */
	memset(longtext, '\n', 200);
	longtext[200] = '\0';
	err_set(&g.err, EX_NOPERM, ERR_PERMANENT, "tail");
	err_prefix(&g.err, "%s", longtext);
	n = strlen(g.err.msg);
	CHECK(n < ERR_MSG_MAX);
	CHECK(guard_intact(&g));

	free(longtext);
}

/* err_escape(src, len, dst, dst_size) directly: counted input, a
 * destination that may be too small; never a half escape, always
 * terminated. */
static const struct {
	const char *src;
	size_t len;
	size_t dst_size;
	const char *want;
} escape_cases[] = {
	{ S("abc"), 16, "abc" },
	{ S("abc"), 4, "abc" },
	{ S("abc"), 3, "ab" },
	{ S("abc"), 1, "" },
	{ S("a\0b"), 16, "a\\x00b" },
	{ S("\x01"), 6, "\\x01" },
	{ S("\x01"), 5, "\\x01" },
	{ S("\x01"), 4, "" },
	{ S("a\x01"), 5, "a" },
	{ S("a\x01"), 6, "a\\x01" },
	{ S("\r\n"), 9, "\\x0d\\x0a" },
	{ S("\r\n"), 8, "\\x0d" },
	{ S("\\"), 16, "\\x5c" },
	{ S("\x80\xff"), 16, "\\x80\\xff" },
	/* only len bytes are read: the terminator is not part of them */
	{ "abcdef", 3, 16, "abc" },
};

static void
test_err_escape(void)
{
	for (size_t i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]);
	     i++) {
		int before = check_failures;
		char dst[32];

		memset(dst, '#', sizeof(dst));
		err_escape(escape_cases[i].src, escape_cases[i].len, dst,
			   escape_cases[i].dst_size);
		CHECK_STR(dst, escape_cases[i].want);
		/* nothing written past dst_size */
		for (size_t j = escape_cases[i].dst_size; j < sizeof(dst); j++)
			CHECK(dst[j] == '#');
		report_case("escape_cases", i, before);
	}

	/* dst_size 0: not even a terminator is written */
	{
		char dst[2] = { '#', '#' };

		err_escape("abc", 3, dst, 0);
		CHECK(dst[0] == '#' && dst[1] == '#');
	}
}

/* ------------------------------------------------------------- secret */

static void
test_secret(void)
{
	char pw[16];
	static const char zero[16];

	memcpy(pw, "correct horse!!", 16);
	secret_wipe(pw, sizeof(pw));
	CHECK(memcmp(pw, zero, sizeof(pw)) == 0);

	/* only len bytes */
	memcpy(pw, "correct horse!!", 16);
	secret_wipe(pw, 7);
	CHECK(memcmp(pw, zero, 7) == 0);
	CHECK(memcmp(pw + 7, " horse!!", 9) == 0);

	/* NULL and zero length do nothing */
	secret_wipe(NULL, 10);
	secret_wipe(pw, 0);
	CHECK(memcmp(pw + 7, " horse!!", 9) == 0);

	/* secret_free: NULL is fine; a real string is released (ASan
	 * reports a leak or double free if not) */
	secret_free(NULL);
	secret_free(xstrdup("hunter2"));
	secret_free(xstrdup(""));
}


static void
test_bytes(void)
{
	char big[64], name[8];

	CHECK(bytes_hex_value('0') == 0 && bytes_hex_value('9') == 9);
	CHECK(bytes_hex_value('a') == 10 && bytes_hex_value('F') == 15);
	CHECK(bytes_hex_value('g') == -1 && bytes_hex_value('=') == -1);
	memset(big, 'a', sizeof(big));
	CHECK(!bytes_any_high(big, sizeof(big)));
	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (char)0x80;
		CHECK(bytes_any_high(big, sizeof(big)));
		CHECK(!bytes_any_high(big, i)); /* only bytes before it */
		big[i] = 'a';
	}
	CHECK(!bytes_any_high(big, 0));
	bytes_host_name("mail.example.org", name, sizeof(name));
	CHECK_STR(name, "mail.ex"); /* truncated, terminated */
	bytes_host_name(NULL, big, sizeof(big));
	CHECK(big[0] != '\0' && strlen(big) < sizeof(big));
}

/* bytes_utf8_valid: RFC 3629 4, the one validator of address/ and
 * message/rfc2047.c. */
static void
test_utf8_valid(void)
{
	static const struct {
		const char *s;
		size_t len;
		bool ok;
	} cases[] = {
		{ "", 0, true },
		{ "plain ascii", 11, true },
		{ "\xea\xb0\x80", 3, true },           /* U+AC00 */
		{ "\xf0\x9f\x98\x80", 4, true },       /* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4, true },       /* U+10FFFF */
		{ "\xc2\x80", 2, true },               /* U+0080 */
		{ "\xc0\xaf", 2, false },              /* overlong '/' */
		{ "\xc1\xbf", 2, false },              /* overlong */
		{ "\xe0\x80\xaf", 3, false },          /* overlong */
		{ "\xe0\x9f\xbf", 3, false },          /* overlong */
		{ "\xed\xa0\x80", 3, false },          /* surrogate U+D800 */
		{ "\xed\x9f\xbf", 3, true },           /* U+D7FF */
		{ "\xf0\x8f\xbf\xbf", 4, false },      /* overlong */
		{ "\xf4\x90\x80\x80", 4, false },      /* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, false },
		{ "\xff", 1, false },
		{ "\x80", 1, false },                  /* lone continuation */
		{ "\xea\xb0", 2, false },              /* cut short */
		{ "\xea\xb0\x41", 3, false },          /* bad continuation */
		{ "a\0b", 3, true },                   /* NUL is ASCII */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = check_failures;
		CHECK(bytes_utf8_valid(cases[i].s, cases[i].len) ==
		      cases[i].ok);
		if (check_failures != before)
			fprintf(stderr, "  ^ in utf8 case %zu\n", i);
	}
}

int
main(void)
{
	test_buf_append();
	test_buf_printf();
	test_buf_consume();
	test_buf_steal_reset();
	test_err_set();
	test_err_prefix();
	test_err_truncation();
	test_err_escape();
	test_secret();
	test_bytes();
	test_utf8_valid();
	return check_done("util_test");
}
