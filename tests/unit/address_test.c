/* tests/unit/address_test.c: address lists (addr_list_parse) and single
 * envelope addresses (addr_parse_mailbox), table-driven.
 *
 * Each list case is run twice: on the literal and on an exactly sized heap
 * copy without a terminator, so that an ASan build catches any read past
 * the counted input. Expected addresses are joined by one space. */
#include "config.h"

#include "address/address.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include "check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct list_case {
	const char *in;
	size_t len;         /* 0: strlen(in) */
	bool ok;
	const char *want;   /* addresses found (on error: those before it) */
	const char *errsub; /* error: part of the message, or NULL */
};

#define OK(in, want) { (in), 0, true, (want), NULL }
#define BAD(in, want, errsub) { (in), 0, false, (want), (errsub) }
#define BADN(in, want, errsub) { (in), sizeof(in) - 1, false, (want), (errsub) }

static const struct list_case list_cases[] = {
	/* plain addr-specs and name-addrs */
	OK("a@b", "a@b"),
	OK("john.doe@example.org", "john.doe@example.org"),
	OK("user@EXAMPLE.Org", "user@EXAMPLE.Org"),
	OK("John Doe <john@example.org>", "john@example.org"),
	OK("<a@b>", "a@b"),
	OK("< a@b >", "a@b"),
	OK("a+tag@b.example, o'reilly@x.example",
	   "a+tag@b.example o'reilly@x.example"),
	OK("!#$%&'*+-/=?^_`{|}~@x.example", "!#$%&'*+-/=?^_`{|}~@x.example"),
	OK("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	   "mary@x.test jdoe@example.org one@y.test"),
	OK("\"Joe Q. Public\" <john.q.public@example.com>",
	   "john.q.public@example.com"),
	OK("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	   "boss@nil.test sysservices@example.net"),
	/* quoted display names holding specials */
	OK("\"Doe, John\" <john@x>, jane@y", "john@x jane@y"),
	OK("\"a@b\" <c@d>", "c@d"),
	OK("\"<evil@x>\" <good@y>", "good@y"),
	/* obsolete phrase: unquoted dots in the display name */
	OK("John Q. Public <jqp@x.example>", "jqp@x.example"),
	OK("J. R. R. Tolkien <jrrt@x>", "jrrt@x"),
	/* encoded words are atoms */
	OK("=?UTF-8?B?7ZmN6ri464+Z?= <kim@example.kr>", "kim@example.kr"),
	OK("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
	   "PIRARD@vm1.ulg.ac.be"),
	/* comments */
	OK("a@b (comment, with comma), c@d", "a@b c@d"),
	OK("a@b (a (nested (deep)) comment)", "a@b"),
	OK("(lead) a(x)@(y)b(z)", "a@b"),
	OK("a@b(comment with \"quote and <angle> and @ and ,)", "a@b"),
	OK("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	   "pete@silly.test"),
	OK("a@b (unbalanced \\( escaped)", "a@b"),
	/* folding: CRLF or bare LF followed by SP or HTAB */
	OK("a@b,\r\n c@d", "a@b c@d"),
	OK("a@b,\n\tc@d", "a@b c@d"),
	OK("John\r\n Doe <j@x>", "j@x"),
	OK("\"a\r\n b\"@x", "\"a b\"@x"),
	OK("a@b (folded\r\n comment)", "a@b"),
	OK("a@b\t,\tc@d", "a@b c@d"),
	/* groups */
	OK("undisclosed-recipients:;", ""),
	OK("Undisclosed recipients:;", ""),
	OK("Team: a@b, \"C\" <c@d>;", "a@b c@d"),
	OK("Team: a@b, \"C\" <c@d>;, e@f", "a@b c@d e@f"),
	OK("Team: a@b", "a@b"),
	OK("g1: a@b;, g2: c@d;", "a@b c@d"),
	OK("g: ;", ""),
	OK("g: , , a@b, ;", "a@b"),
	OK("Undisclosed recipients:;, a@b", "a@b"),
	OK("\"My Team\" (x): a@b;", "a@b"),
	OK("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	   "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)",
	   "c@public.example joe@example.org jdoe@one.test"),
	OK("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;", ""),
	/* routes are dropped */
	OK("<@a.example,@b.example:user@host>", "user@host"),
	OK("Name <@a.example:user@host>", "user@host"),
	OK("< @a.example , , @b.example : user@host >", "user@host"),
	/* domain literals */
	OK("user@[192.0.2.1]", "user@[192.0.2.1]"),
	OK("user@[IPv6:::1]", "user@[IPv6:::1]"),
	OK("user@[ 192.0.2.1 ]", "user@[192.0.2.1]"),
	OK("Name <user@[IPv6:2001:db8::1]>", "user@[IPv6:2001:db8::1]"),
	/* obsolete CFWS around dots and "@" */
	OK("john . doe @ example . org", "john.doe@example.org"),
	OK("john(x).(y)doe@example(z).org", "john.doe@example.org"),
	/* quoted local parts: kept quoted only when needed, minimal escapes */
	OK("\"john \\\"jd\\\" doe\"@example.org", "\"john \\\"jd\\\" doe\"@example.org"),
	OK("\"john\"@x", "john@x"),
	OK("\"john.doe\"@x", "john.doe@x"),
	OK("\"john..doe\"@x", "\"john..doe\"@x"),
	OK("\"a\\b\"@x", "ab@x"),
	OK("\"a\\\\b\"@x", "\"a\\\\b\"@x"),
	OK("\"a b\".c@x", "\"a b.c\"@x"),
	OK("\"a(b)c\"@x", "\"a(b)c\"@x"),
	OK("\" \"@x", "\" \"@x"),
	/* sloppy but unambiguous local parts */
	OK("a..b@docomo.ne.jp", "\"a..b\"@docomo.ne.jp"),
	OK("a.@docomo.ne.jp", "\"a.\"@docomo.ne.jp"),
	OK("john@x.org <john@x.org>", "john@x.org"),
	/* empty members */
	OK("a@b, , c@d,", "a@b c@d"),
	OK(", , ,", ""),
	OK("", ""),
	OK("   ", ""),
	OK("(only a comment)", ""),
	/* unqualified names */
	OK("root", "root"),
	OK("Cron Daemon <root>", "root"),
	OK("root, a@b", "root a@b"),
	OK("Doe, John <john@x>", "Doe john@x"),
	/* UTF-8 (RFC 6532) */
	OK("사용자@예시.kr", "사용자@예시.kr"),
	OK("Müller <müller@bücher.de>", "müller@bücher.de"),
	OK("\"사용자 이름\" <사용자@예시.kr>", "사용자@예시.kr"),
	OK("\"日本 語\"@例え.jp", "\"日本 語\"@例え.jp"),
	OK("사용자@한국.kr, info@bücher.example",
	   "사용자@한국.kr info@bücher.example"),
	OK("=?UTF-8?B?7IKs7Jqp7J6Q?= <사용자@한국.kr>", "사용자@한국.kr"),
	OK("그룹: 사용자@한국.kr, b@c;", "사용자@한국.kr b@c"),
	/* the addr-spec must be valid UTF-8; dropped text need not be */
	OK("J\xf6rg <joerg@example.de>", "joerg@example.de"),
	OK("a@b (caf\xe9)", "a@b"),
	BAD("j\xf6rg@example.de", "", "invalid UTF-8 in address at byte 1"),
	BAD("a@b, <x@b\xfc" "cher.de>", "a@b",
	    "invalid UTF-8 in address at byte 7"),
	BAD("\"\xc0\xaf\"@x", "", "invalid UTF-8"),
	BAD("a\xed\xa0\x80@x", "", "invalid UTF-8"),
	BAD("\xc3", "", "invalid UTF-8"),

	/* unterminated things */
	BAD("\"unterminated@x", "", "unterminated quoted string"),
	BAD("a@b, \"x\\", "a@b", "unterminated quoted string"),
	BAD("a@b (unterminated", "", "unterminated comment"),
	BAD("a@b (nested (deep)", "", "unterminated comment"),
	BAD("a@b (x\\", "", "unterminated comment"),
	BAD("<a@b", "", "unterminated angle address"),
	BAD("x@y, John <a@b", "x@y", "unterminated angle address"),
	BAD("a@[192.0.2.1", "", "unterminated domain literal"),
	/* control characters, header injection */
	BADN("a@b\0c", "", "NUL character"),
	BADN("\0", "", "NUL character"),
	BAD("a@b\x01", "", "control character 0x01"),
	BAD("a@b\x7f", "", "control character 0x7f"),
	BAD("\"a\x1b\"@b", "", "control character 0x1b"),
	BAD("a@b (\x0c)", "", "control character 0x0c"),
	BAD("a@b\r\nBcc: x@y", "", "line break"),
	BAD("a@b\nBcc: x@y", "", "line break"),
	BAD("a@b,\r\nc@d", "a@b", "line break"),
	BAD("a@b\r c@d", "", "line break"),
	BAD("a@b\r\n", "", "line break"),
	BAD("a@b,\r\n\r\n c@d", "a@b", "line break"),
	BAD("\"a\\\r\n b\"@x", "", "control character after"),
	BAD("\"a\tb\"@x", "", "tab in quoted local part"),
	/* empty parts */
	BAD("a@", "", "empty domain"),
	BAD("a@, b@c", "", "empty domain"),
	BAD("@b", "", "empty local part"),
	BAD("\"\"@b", "", "empty local part"),
	BAD("<>", "", "'<>'"),
	BAD("a@b, <>", "a@b", "'<>'"),
	BAD("a@b.c.", "", "empty label in domain"),
	BAD("a@.b", "", "empty label in domain"),
	BAD("a@b..c", "", "empty label in domain"),
	BAD("a@[]", "", "empty domain literal"),
	BAD("<@a.example:>", "", "'>'"),
	/* stray specials */
	BAD("a@b)", "", "unmatched ')'"),
	BAD("a@b]", "", "unmatched ']'"),
	BAD("a@b >", "", "'>'"),
	BAD("a\\b@c", "", "outside quotes"),
	BAD(".", "", "'.'"),
	BAD("[1.2.3.4]", "", "domain literal"),
	BAD("a@b; c@d", "", "';' outside a group"),
	BAD("g: a@b;;", "a@b", "';' outside a group"),
	BAD(";", "", "';' outside a group"),
	BAD("g1: g2: a@b;;", "", "group inside a group"),
	BAD(": a@b;", "", "group without a name"),
	BAD("a@\"b\"", "", "quoted string in domain"),
	BAD("a@b@c", "", "'@'"),
	BAD("a@[1.2.[3]", "", "'['"),
	BAD("a@[\\]]", "", "invalid character in domain literal"),
	BAD("<<a@b>>", "", "'<'"),
	/* words that are neither a display name nor a local part */
	BAD("John Doe", "", "display name without an address"),
	BAD("John Doe@x", "", "space in unquoted local part"),
	BAD("\"a\"b@c", "", "not joined by '.'"),
	BAD("a\"b\"@c", "", "not joined by '.'"),
	BAD("a@b c@d", "", "missing ','"),
	BAD("a@b <c@d", "", "unterminated angle address"),
	BAD("Name <a@b> junk", "", "missing ','"),
	BAD("<a@b, c@d>", "", "expected '>'"),
	BAD("<@a.example user@host>", "", "expected ':'"),
	BAD("g: a@b; c@d", "a@b", "missing ','"),
};

/* The addresses in list joined by one space (owned by the caller). */
static char *
join(const struct addr_list *list)
{
	struct buf b;
	char *s;

	buf_init(&b, 1u << 24);
	for (size_t i = 0; i < list->count; i++) {
		if (i > 0)
			buf_append_byte(&b, ' ');
		buf_append_str(&b, list->addrs[i]);
	}
	s = xmemdup0(b.data ? b.data : "", b.len);
	buf_clear(&b);
	return s;
}

/* Parse in (len bytes) and check the result against c. */
static void
run_list_case(const struct list_case *c, const char *in, size_t len,
	      const char *how)
{
	struct addr_list list;
	struct mf_error err;
	bool ok;
	char *got;

	addr_list_init(&list);
	err_clear(&err);
	ok = addr_list_parse(in, len, &list, &err);
	got = join(&list);
	if (ok != c->ok)
		fprintf(stderr, "case %s (%s): %s, error \"%s\"\n", c->in, how,
			ok ? "accepted" : "rejected", err.msg);
	CHECK(ok == c->ok);
	CHECK_STR(got, c->want);
	if (!c->ok) {
		CHECK(err.exit_code == EX_DATAERR);
		CHECK(err.cls == ERR_PERMANENT);
		CHECK(err.msg[0] != '\0');
		if (c->errsub != NULL && strstr(err.msg, c->errsub) == NULL) {
			fprintf(stderr, "case %s: message \"%s\" lacks \"%s\"\n",
				c->in, err.msg, c->errsub);
			CHECK(!"error message");
		}
	} else {
		CHECK(!err_isset(&err));
	}
	for (size_t i = 0; i < list.count; i++) {
		CHECK(list.addrs[i][0] != '\0');
		CHECK(strlen(list.addrs[i]) <= LIMIT_ADDRESS);
	}
	free(got);
	addr_list_clear(&list);
}

static void
test_list_table(void)
{
	for (size_t i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *c = &list_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		/* Exactly len bytes, no terminator: ASan sees any overread. */
		char *copy = malloc(len ? len : 1);

		if (copy == NULL)
			exit(99);
		if (len)
			memcpy(copy, c->in, len);
		run_list_case(c, c->in, len, "literal");
		run_list_case(c, len ? copy : NULL, len, "heap copy");
		free(copy);
	}
}

/* Every strict prefix of every case must parse or fail cleanly, without
 * reading past its end (the truncated inputs a fuzzer would try first). */
static void
test_list_prefixes(void)
{
	for (size_t i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *c = &list_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);

		for (size_t n = 1; n < len; n++) {
			struct addr_list list;
			struct mf_error err;
			char *copy = malloc(n);

			if (copy == NULL)
				exit(99);
			memcpy(copy, c->in, n);
			addr_list_init(&list);
			err_clear(&err);
			if (!addr_list_parse(copy, n, &list, &err))
				CHECK(err.exit_code == EX_DATAERR);
			addr_list_clear(&list);
			free(copy);
		}
	}
}

static void
test_list_api(void)
{
	struct addr_list list;
	struct mf_error err;

	addr_list_init(&list);
	CHECK(list.count == 0 && list.addrs == NULL);
	addr_list_clear(&list); /* clearing an empty list is fine */

	/* addr_list_add copies counted bytes and terminates them. */
	addr_list_add(&list, "abc@def-ignored", 7);
	CHECK(list.count == 1);
	CHECK_STR(list.addrs[0], "abc@def");

	/* Parsing appends; on error the earlier addresses stay. */
	err_clear(&err);
	CHECK(addr_list_parse("x@y", 3, &list, &err));
	CHECK(!addr_list_parse("p@q, \"bad", 9, &list, &err));
	CHECK(list.count == 3);
	CHECK_STR(list.addrs[1], "x@y");
	CHECK_STR(list.addrs[2], "p@q");

	/* Many adds grow the array. */
	for (int i = 0; i < 100; i++)
		addr_list_add(&list, "m@n", 3);
	CHECK(list.count == 103);
	CHECK(list.cap >= list.count);
	addr_list_clear(&list);
	CHECK(list.count == 0 && list.addrs == NULL && list.cap == 0);

	/* Empty input with a NULL pointer. */
	err_clear(&err);
	CHECK(addr_list_parse(NULL, 0, &list, &err));
	CHECK(list.count == 0);
	addr_list_clear(&list);
}

/* LIMIT_ADDRESS: an address of exactly the limit passes, one more fails,
 * in both parsers; a long display name is not limited. */
static void
test_limits_address(void)
{
	struct addr_list list;
	struct mf_error err;
	struct buf b;
	char *out = NULL;
	const char *domain = "@example.org";
	size_t local = LIMIT_ADDRESS - strlen(domain);

	buf_init(&b, 1u << 20);
	for (size_t i = 0; i < local; i++)
		buf_append_byte(&b, 'a');
	buf_append_str(&b, domain);

	addr_list_init(&list);
	err_clear(&err);
	CHECK(addr_list_parse(b.data, b.len, &list, &err));
	CHECK(list.count == 1 && strlen(list.addrs[0]) == LIMIT_ADDRESS);
	addr_list_clear(&list);
	CHECK(addr_parse_mailbox(buf_cstr(&b), &out, &err));
	CHECK(out != NULL && strlen(out) == LIMIT_ADDRESS);
	free(out);
	out = NULL;

	/* One byte more. */
	buf_reset(&b);
	buf_append_byte(&b, 'b');
	for (size_t i = 0; i < local; i++)
		buf_append_byte(&b, 'a');
	buf_append_str(&b, domain);
	err_clear(&err);
	CHECK(!addr_list_parse(b.data, b.len, &list, &err));
	CHECK(err.exit_code == EX_DATAERR);
	CHECK(strstr(err.msg, "longer than") != NULL);
	CHECK(list.count == 0);
	err_clear(&err);
	CHECK(!addr_parse_mailbox(buf_cstr(&b), &out, &err));
	CHECK(err.exit_code == EX_DATAERR && out == NULL);

	/* Quoting pushes a local part over the limit. */
	buf_reset(&b);
	buf_append_byte(&b, '"');
	for (size_t i = 0; i < local - 1; i++)
		buf_append_byte(&b, ' ');
	buf_append_str(&b, "\"@example.org");
	err_clear(&err);
	CHECK(!addr_list_parse(b.data, b.len, &list, &err));
	CHECK(strstr(err.msg, "longer than") != NULL);

	/* A long domain, and a long route domain. */
	buf_reset(&b);
	buf_append_str(&b, "a@");
	for (size_t i = 0; i < LIMIT_ADDRESS; i++)
		buf_append_byte(&b, 'd');
	err_clear(&err);
	CHECK(!addr_list_parse(b.data, b.len, &list, &err));
	CHECK(strstr(err.msg, "longer than") != NULL);
	buf_reset(&b);
	buf_append_str(&b, "<@");
	for (size_t i = 0; i < LIMIT_ADDRESS + 1; i++)
		buf_append_byte(&b, 'r');
	buf_append_str(&b, ":a@b>");
	err_clear(&err);
	CHECK(!addr_list_parse(b.data, b.len, &list, &err));
	CHECK(strstr(err.msg, "longer than") != NULL);

	/* A display name (or comment) far longer than the limit is fine. */
	buf_reset(&b);
	for (size_t i = 0; i < 4 * LIMIT_ADDRESS; i++)
		buf_append_str(&b, "x ");
	buf_append_str(&b, "<a@b> (");
	for (size_t i = 0; i < 4 * LIMIT_ADDRESS; i++)
		buf_append_str(&b, "(c)");
	buf_append_str(&b, ")");
	err_clear(&err);
	CHECK(addr_list_parse(b.data, b.len, &list, &err));
	CHECK(list.count == 1);
	addr_list_clear(&list);

	/* Deeply nested comments: a counter, not recursion. */
	buf_reset(&b);
	buf_append_str(&b, "a@b ");
	for (size_t i = 0; i < 100000; i++)
		buf_append_byte(&b, '(');
	for (size_t i = 0; i < 100000; i++)
		buf_append_byte(&b, ')');
	err_clear(&err);
	CHECK(addr_list_parse(b.data, b.len, &list, &err));
	CHECK(list.count == 1);
	addr_list_clear(&list);
	buf_clear(&b);
}

/* LIMIT_RECIPIENTS: counted over the whole list, across calls. */
static void
test_limits_recipients(void)
{
	struct addr_list list;
	struct mf_error err;
	struct buf b;

	buf_init(&b, 1u << 24);
	for (size_t i = 0; i < LIMIT_RECIPIENTS; i++)
		buf_append_str(&b, "a,");
	addr_list_init(&list);
	err_clear(&err);
	CHECK(addr_list_parse(b.data, b.len, &list, &err));
	CHECK(list.count == LIMIT_RECIPIENTS);
	CHECK(!addr_list_parse("b@c", 3, &list, &err));
	CHECK(err.exit_code == EX_DATAERR);
	CHECK(strstr(err.msg, "recipients") != NULL);
	CHECK(list.count == LIMIT_RECIPIENTS);
	addr_list_clear(&list);

	buf_append_str(&b, "z@y");
	err_clear(&err);
	CHECK(!addr_list_parse(b.data, b.len, &list, &err));
	CHECK(list.count == LIMIT_RECIPIENTS);
	addr_list_clear(&list);
	buf_clear(&b);
}

struct mailbox_case {
	const char *in;
	const char *want; /* NULL: must be rejected */
};

static const struct mailbox_case mailbox_cases[] = {
	{ "a@b", "a@b" },
	{ "<a@b>", "a@b" },
	{ "john.doe@example.org", "john.doe@example.org" },
	{ "\"quoted local\"@b", "\"quoted local\"@b" },
	{ "\"john\"@x", "john@x" },
	{ "\"a\\\"b\"@x", "\"a\\\"b\"@x" },
	{ "\"a\\b\"@x", "ab@x" },
	{ "<\"a b\"@x>", "\"a b\"@x" },
	{ "root", "root" },
	{ "<root>", "root" },
	{ "<>", "" },
	{ "user@[192.0.2.1]", "user@[192.0.2.1]" },
	{ "user@[IPv6:::1]", "user@[IPv6:::1]" },
	{ "사용자@예시.kr", "사용자@예시.kr" },
	{ "<사용자@한국.kr>", "사용자@한국.kr" },
	{ "\"사용 자\"@한국.kr", "\"사용 자\"@한국.kr" },
	{ "info@bücher.example", "info@bücher.example" },
	{ "j\xf6rg@example.de", NULL },
	{ "a@b\xed\xa0\x80", NULL },
	{ "a@b\xc3", NULL },
	{ "a+b=c@d.example", "a+b=c@d.example" },
	{ "\"a\"", "a" },
	/* header injection and control bytes */
	{ "a@b\r\nBcc: x@y", NULL },
	{ "a@b\nBcc: x@y", NULL },
	{ "a@b\r", NULL },
	{ "a@b\n", NULL },
	{ "<a@b>\r\n", NULL },
	{ "\"a\r\nb\"@c", NULL },
	{ "a@b\t", NULL },
	{ "a\x7f@b", NULL },
	{ "a@b\x01", NULL },
	{ "\"a\x1b\"@b", NULL },
	/* anything but one bare address */
	{ "", NULL },
	{ " a@b", NULL },
	{ "a@b ", NULL },
	{ "a @b", NULL },
	{ "< a@b>", NULL },
	{ "John <a@b>", NULL },
	{ "\"John\" <a@b>", NULL },
	{ "a@b, c@d", NULL },
	{ "a@b,c@d", NULL },
	{ "a@b c@d", NULL },
	{ "a(comment)@b", NULL },
	{ "a@b (comment)", NULL },
	{ "<@r.example:a@b>", NULL },
	{ "g: a@b;", NULL },
	/* broken addresses */
	{ "<a@b", NULL },
	{ "a@b>", NULL },
	{ "<", NULL },
	{ ">", NULL },
	{ "<<a@b>>", NULL },
	{ "a@", NULL },
	{ "@b", NULL },
	{ "@", NULL },
	{ "a..b@c", NULL },
	{ ".a@b", NULL },
	{ "a.@b", NULL },
	{ "a@b.", NULL },
	{ "a@.b", NULL },
	{ "a@b@c", NULL },
	{ "\"unterminated@b", NULL },
	{ "\"a\\", NULL },
	{ "\"\"@b", NULL },
	{ "\"\"", NULL },
	{ "a@\"b\"", NULL },
	{ "a@[1.2.3.4", NULL },
	{ "a@[]", NULL },
	{ "a@[1.2 .3.4]", NULL },
	{ "a@[1.2.3.4]x", NULL },
	{ "a\\b@c", NULL },
	{ "\"a\"b@c", NULL },
};

static void
test_mailbox_table(void)
{
	for (size_t i = 0; i < sizeof(mailbox_cases) / sizeof(mailbox_cases[0]);
	     i++) {
		const struct mailbox_case *c = &mailbox_cases[i];
		struct mf_error err;
		char *out = NULL;
		/* An exactly sized terminated heap copy. */
		char *copy = xstrdup(c->in);
		bool ok;

		err_clear(&err);
		ok = addr_parse_mailbox(copy, &out, &err);
		if (ok != (c->want != NULL))
			fprintf(stderr, "mailbox case \"%s\": %s (%s)\n", c->in,
				ok ? "accepted" : "rejected", err.msg);
		if (c->want != NULL) {
			CHECK(ok);
			CHECK_STR(out, c->want);
		} else {
			CHECK(!ok);
			CHECK(out == NULL);
			CHECK(err.exit_code == EX_DATAERR);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK(err.msg[0] != '\0');
		}
		free(out);
		free(copy);
	}
}

/* Error messages name the problem; injected text is escaped. */
static void
test_messages(void)
{
	struct mf_error err;
	struct addr_list list;
	char *out = NULL;

	addr_list_init(&list);
	err_clear(&err);
	CHECK(!addr_list_parse("a@b, \"c", 7, &list, &err));
	CHECK_STR(err.msg, "unterminated quoted string starting at byte 6");
	addr_list_clear(&list);
	err_clear(&err);
	CHECK(!addr_parse_mailbox("a@b\r\nBcc: x@y", &out, &err));
	CHECK(strchr(err.msg, '\r') == NULL && strchr(err.msg, '\n') == NULL);
	CHECK(strstr(err.msg, "line break") != NULL);
}

/* addr_list_dedupe: later duplicates go, order stays; local parts are
 * exact, domains ignore case; bare names compare as they are. */
static void
test_dedupe(void)
{
	static const char *const in[] = {
		"b@x.org", "a@X.org", "A@x.org", "a@x.ORG", "b@x.org", "root",
		"root@x.org", "root", "", "",
	};
	static const char *const want[] = {
		"b@x.org", "a@X.org", "A@x.org", "root", "root@x.org", "",
	};
	struct addr_list l;

	addr_list_init(&l);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		addr_list_add(&l, in[i], strlen(in[i]));
	addr_list_dedupe(&l);
	CHECK(l.count == sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < l.count && i < sizeof(want) / sizeof(want[0]);
	     i++)
		CHECK_STR(l.addrs[i], want[i]);
	addr_list_clear(&l);
	/* 20000 entries, every one twice: the first 10000 stay, in order */
	addr_list_init(&l);
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < 10000; i++) {
			char a[32];
			int n = snprintf(a, sizeof(a), "u%d@Example.org", i);
			addr_list_add(&l, a, (size_t)n);
		}
	addr_list_dedupe(&l);
	CHECK(l.count == 10000);
	CHECK_STR(l.addrs[0], "u0@Example.org");
	CHECK_STR(l.addrs[9999], "u9999@Example.org");
	addr_list_clear(&l);
}

int
main(void)
{
	test_list_table();
	test_list_prefixes();
	test_list_api();
	test_limits_address();
	test_limits_recipients();
	test_mailbox_table();
	test_messages();
	test_dedupe();
	printf("address_test: %zu list cases, %zu mailbox cases\n",
	       sizeof(list_cases) / sizeof(list_cases[0]),
	       sizeof(mailbox_cases) / sizeof(mailbox_cases[0]));
	return check_done("address_test");
}
