/* tests/unit/queue_test.c: queue/ — the envelope format (a table of valid
 * and invalid envelope files with the expected result and the line an
 * error names, refusals of format(), exact round trips, the optional
 * warned mark and files without it) and the queue
 * directory itself in a mkdtemp directory: commit, list order and sizes,
 * the bytes of msg/ID, update, the delivery lock against a forked child,
 * remove, stray and corrupt files left alone, a failing source leaving
 * nothing behind, symbolic links refused and modes 0700. */
#include "config.h"

#include "check.h"

#include "queue/queue.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* Counted literal: the bytes and their number (NUL bytes included). */
#define S(lit) lit, sizeof(lit) - 1

static void
report_case(const char *table, size_t i, int failures_before)
{
	if (check_failures != failures_before)
		fprintf(stderr, "  ^ in %s case %zu\n", table, i);
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Every field the file holds (not size, which comes from msg/ID). */
static bool
entry_equal(const struct queue_entry *a, const struct queue_entry *b)
{
	if (strcmp(a->id, b->id) != 0 || !str_eq(a->account, b->account) ||
	    !str_eq(a->sender, b->sender) || a->created != b->created ||
	    a->next_attempt != b->next_attempt || a->attempts != b->attempts ||
	    !str_eq(a->last_error, b->last_error) || a->held != b->held ||
	    a->eight_bit != b->eight_bit || a->warned != b->warned ||
	    a->rcpt_count != b->rcpt_count)
		return false;
	for (size_t i = 0; i < a->rcpt_count; i++)
		if (!str_eq(a->rcpts[i].addr, b->rcpts[i].addr) ||
		    a->rcpts[i].state != b->rcpts[i].state ||
		    !str_eq(a->rcpts[i].error, b->rcpts[i].error))
			return false;
	return true;
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? strdup(s) : NULL;
}

/* ----------------------------------------------------- parse table */

#define V "mailferry-queue 1\n"
#define BASE                                                                 \
	"id 5f00.12.abcdef0123456789\n"                                      \
	"sender <a@example.org>\n"                                           \
	"created 100\n"                                                      \
	"next 200\n"                                                         \
	"attempts 0\n"                                                       \
	"held no\n"                                                          \
	"8bit no\n"
#define R1 "rcpt pending <b@example.net>\n"

static const struct {
	const char *text;
	size_t len;
	bool ok;
	const char *err; /* substring of the message when !ok */
} parse_cases[] = {
	/* valid */
	{ S(V BASE R1 "end\n"), true, NULL },
	{ S(V "id x\naccount work\nsender <>\ncreated 0\nnext 0\n"
	      "attempts 4294967295\nheld yes\n8bit yes\nerror 451 4.3.0 try "
	      "later\trest\n"
	      "rcpt done <a@b>\nrcpt failed <c@d> 550 no such user\n"
	      "rcpt pending <e@f>\nend\n"),
	  true, NULL },
	/* any order between the version and end */
	{ S(V R1 "8bit no\nheld no\nattempts 0\nnext 200\ncreated 100\n"
	      "sender <a@example.org>\nid 5f00.12.abcdef0123456789\nend\n"),
	  true, NULL },
	{ S(V BASE "created2 1\n" R1 "end\n"), false, "line 9: unknown field" },
	{ S(V "id a\nsender <\"john doe\"@x>\ncreated 9223372036854775807\n"
	      "next 1\nattempts 1\nheld no\n8bit no\n"
	      "rcpt pending <\xc3\xa9@\xc3\xa9.example>\nend\n"),
	  true, NULL },
	/* truncated */
	{ S(""), false, "line 1: empty file" },
	{ S("mailferry-queue 1"), false, "line 1: line not terminated" },
	{ S(V), false, "line 2: no end line" },
	{ S(V BASE R1), false, "line 10: no end line" },
	{ S(V BASE R1 "end"), false, "line 10: line not terminated" },
	{ S(V BASE R1 "en"), false, "line 10: line not terminated" },
	{ S(V BASE "rcpt pending <b@exa"), false, "line 9: line not terminated" },
	/* garbage after end */
	{ S(V BASE R1 "end\nx"), false, "line 11: data after the end line" },
	{ S(V BASE R1 "end\n\n"), false, "line 11: data after the end line" },
	{ S(V BASE R1 "end\nend\n"), false, "line 11: data after the end" },
	{ S(V BASE R1 "end \n"), false, "line 10: unknown field" },
	/* version */
	{ S(BASE R1 "end\n"), false, "line 1: not a mailferry-queue 1" },
	{ S("mailferry-queue 2\n" BASE R1 "end\n"), false, "line 1: not a" },
	{ S("mailferry-queue 1 \n" BASE R1 "end\n"), false, "line 1: not a" },
	{ S(V V BASE R1 "end\n"), false, "line 2: second version line" },
	{ S(V BASE V R1 "end\n"), false, "line 9: second version line" },
	/* unknown key, malformed lines */
	{ S(V BASE "color blue\n" R1 "end\n"), false, "line 9: unknown field" },
	{ S(V BASE "\n" R1 "end\n"), false, "line 9: expected \"key value\"" },
	{ S(V BASE " held no\n" R1 "end\n"), false, "line 9: expected" },
	{ S(V BASE "held\n" R1 "end\n"), false, "line 9: expected" },
	{ S(V "ID x\n" BASE R1 "end\n"), false, "line 2: unknown field" },
	/* numbers */
	{ S(V "id x\nsender <a@b>\ncreated 12a\nnext 1\nattempts 0\n"
	      "held no\n8bit no\n" R1 "end\n"),
	  false, "line 4: bad number" },
	{ S(V "id x\nsender <a@b>\ncreated -1\nnext 1\nattempts 0\n"
	      "held no\n8bit no\n" R1 "end\n"),
	  false, "line 4: bad number" },
	{ S(V "id x\nsender <a@b>\ncreated +1\nnext 1\nattempts 0\n"
	      "held no\n8bit no\n" R1 "end\n"),
	  false, "line 4: bad number" },
	{ S(V "id x\nsender <a@b>\ncreated 01\nnext 1\nattempts 0\n"
	      "held no\n8bit no\n" R1 "end\n"),
	  false, "line 4: bad number" },
	{ S(V "id x\nsender <a@b>\ncreated 9223372036854775808\nnext 1\n"
	      "attempts 0\nheld no\n8bit no\n" R1 "end\n"),
	  false, "line 4: bad number" },
	{ S(V "id x\nsender <a@b>\ncreated 1\nnext 99999999999999999999\n"
	      "attempts 0\nheld no\n8bit no\n" R1 "end\n"),
	  false, "line 5: bad number" },
	{ S(V "id x\nsender <a@b>\ncreated 1\nnext 1\nattempts 4294967296\n"
	      "held no\n8bit no\n" R1 "end\n"),
	  false, "line 6: bad number" },
	{ S(V "id x\nsender <a@b>\ncreated 1\nnext 1\nattempts \n"
	      "held no\n8bit no\n" R1 "end\n"),
	  false, "line 6: bad number" },
	{ S(V "id x\nsender <a@b>\ncreated 1\nnext 1\nattempts 0\n"
	      "held maybe\n8bit no\n" R1 "end\n"),
	  false, "line 7: expected yes or no" },
	/* CR and NUL */
	{ S(V BASE "error temporary\r\n" R1 "end\n"), false, "line 9: CR byte" },
	{ S(V BASE R1 "end\r\n"), false, "line 10: CR byte" },
	{ S(V "id x\r\n" BASE R1 "end\n"), false, "line 2: CR byte" },
	{ S(V BASE "error a\0b\n" R1 "end\n"), false, "line 9: NUL byte" },
	{ S(V BASE R1 "end\n\0"), false, "line 11: data after the end" },
	{ S("\0" V BASE R1 "end\n"), false, "line 1: NUL byte" },
	/* fields */
	{ S(V BASE "held no\n" R1 "end\n"), false, "line 9: field repeated" },
	{ S(V BASE "account a\naccount b\n" R1 "end\n"), false,
	  "line 10: field repeated" },
	{ S(V BASE "account \n" R1 "end\n"), false, "line 9: bad account" },
	{ S(V BASE "error \n" R1 "end\n"), false, "line 9: bad error text" },
	{ S(V "id .hidden\n" "sender <a@b>\ncreated 1\nnext 1\nattempts 0\n"
	      "held no\n8bit no\n" R1 "end\n"),
	  false, "line 2: bad id" },
	{ S(V "id a/b\n" "sender <a@b>\ncreated 1\nnext 1\nattempts 0\n"
	      "held no\n8bit no\n" R1 "end\n"),
	  false, "line 2: bad id" },
	{ S(V "id 0123456789012345678901234567890123456789012345678901234567890"
	      "12\nsender <a@b>\ncreated 1\nnext 1\nattempts 0\nheld no\n"
	      "8bit no\n" R1 "end\n"),
	  true, NULL },
	{ S(V "id 0123456789012345678901234567890123456789012345678901234567890"
	      "123\nsender <a@b>\ncreated 1\nnext 1\nattempts 0\nheld no\n"
	      "8bit no\n" R1 "end\n"),
	  false, "line 2: bad id" },
	{ S(V "id x\nsender a@b\ncreated 1\nnext 1\nattempts 0\nheld no\n"
	      "8bit no\n" R1 "end\n"),
	  false, "line 3: bad sender" },
	{ S(V "id x\nsender <a@b> x\ncreated 1\nnext 1\nattempts 0\nheld no\n"
	      "8bit no\n" R1 "end\n"),
	  false, "line 3: bad sender" },
	{ S(V "id x\nsender <a\tb>\ncreated 1\nnext 1\nattempts 0\nheld no\n"
	      "8bit no\n" R1 "end\n"),
	  false, "line 3: bad sender" },
	{ S(V BASE "rcpt pending <>\nend\n"), false,
	  "line 9: bad recipient address" },
	{ S(V BASE "rcpt sent <a@b>\nend\n"), false,
	  "line 9: bad recipient state" },
	{ S(V BASE "rcpt pending\nend\n"), false, "line 9: bad recipient state" },
	{ S(V BASE "rcpt pending <a@b\nend\n"), false, "line 9: bad recipient" },
	{ S(V BASE "rcpt pending <a@b>x\nend\n"), false,
	  "line 9: bad recipient error" },
	{ S(V BASE "rcpt pending <a@b> \nend\n"), false,
	  "line 9: bad recipient error" },
	{ S(V BASE "rcpt pending <a<b>\nend\n"), false, "line 9: bad recipient" },
	{ S(V BASE "rcpt pending <a@b\x7f>\nend\n"), false,
	  "line 9: bad recipient" },
	/* warned: optional (files from before it load), yes or no, once */
	{ S(V BASE "warned yes\n" R1 "end\n"), true, NULL },
	{ S(V BASE "warned no\n" R1 "end\n"), true, NULL },
	{ S(V BASE "warned maybe\n" R1 "end\n"), false,
	  "line 9: expected yes or no" },
	{ S(V BASE "warned yes\nwarned yes\n" R1 "end\n"), false,
	  "line 10: field repeated" },
	/* missing fields */
	{ S(V BASE "end\n"), false, "no rcpt line" },
	{ S(V "sender <a@b>\ncreated 1\nnext 1\nattempts 0\nheld no\n"
	      "8bit no\n" R1 "end\n"),
	  false, "no id line" },
	{ S(V "id x\nsender <a@b>\ncreated 1\nnext 1\nattempts 0\nheld no\n"
	    R1 "end\n"),
	  false, "no 8bit line" },
};

static void
test_parse_table(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		int before = check_failures;
		struct queue_entry e;
		struct mf_error err;
		bool ok;

		queue_entry_init(&e);
		err_clear(&err);
		ok = queue_env_parse(parse_cases[i].text, parse_cases[i].len,
				     &e, &err);
		CHECK(ok == parse_cases[i].ok);
		if (!ok) {
			CHECK(err.exit_code == EX_DATAERR);
			CHECK(e.rcpt_count == 0 && e.sender == NULL);
			if (parse_cases[i].err &&
			    strstr(err.msg, parse_cases[i].err) == NULL)
				CHECK_STR(err.msg, parse_cases[i].err);
		} else {
			/* A valid file formats back to something that
			 * parses to the same entry. */
			struct queue_entry again;
			struct buf out;

			buf_init(&out, 1u << 20);
			queue_entry_init(&again);
			CHECK(queue_env_format(&e, &out, &err));
			CHECK(queue_env_parse(out.data, out.len, &again, &err));
			CHECK(entry_equal(&e, &again));
			queue_entry_clear(&again);
			buf_clear(&out);
		}
		queue_entry_clear(&e);
		report_case("parse", i, before);
	}
}

/* The fields of the second valid case, one by one. */
static void
test_parse_fields(void)
{
	struct queue_entry e;
	struct mf_error err;

	queue_entry_init(&e);
	CHECK(queue_env_parse(parse_cases[1].text, parse_cases[1].len, &e,
			      &err));
	CHECK_STR(e.id, "x");
	CHECK_STR(e.account, "work");
	CHECK_STR(e.sender, "");
	CHECK(e.created == 0 && e.next_attempt == 0);
	CHECK(e.attempts == UINT_MAX);
	CHECK(e.held && e.eight_bit);
	CHECK_STR(e.last_error, "451 4.3.0 try later\trest");
	CHECK(e.rcpt_count == 3);
	if (e.rcpt_count == 3) {
		CHECK_STR(e.rcpts[0].addr, "a@b");
		CHECK(e.rcpts[0].state == QUEUE_RCPT_DONE);
		CHECK(e.rcpts[0].error == NULL);
		CHECK_STR(e.rcpts[1].addr, "c@d");
		CHECK(e.rcpts[1].state == QUEUE_RCPT_FAILED);
		CHECK_STR(e.rcpts[1].error, "550 no such user");
		CHECK(e.rcpts[2].state == QUEUE_RCPT_PENDING);
	}
	/* A refused parse leaves e as it was. */
	CHECK(!queue_env_parse(S(V "id y\n"), &e, &err));
	CHECK_STR(e.id, "x");
	CHECK(e.rcpt_count == 3);
	/* The parser ignores what follows len. */
	CHECK(queue_env_parse(parse_cases[0].text, parse_cases[0].len - 1, &e,
			      &err) == false);
	queue_entry_clear(&e);
}

/* The delay-warning mark: absent in older files (not warned), written
 * only when set, right after 8bit. */
static void
test_warned(void)
{
	static const char with[] = V BASE "warned yes\n" R1 "end\n";
	struct queue_entry e;
	struct mf_error err;
	struct buf out;

	queue_entry_init(&e);
	buf_init(&out, 4096);
	CHECK(queue_env_parse(parse_cases[0].text, parse_cases[0].len, &e,
			      &err));
	CHECK(!e.warned);
	CHECK(queue_env_format(&e, &out, &err));
	/* never warned: byte for byte the format of before */
	CHECK_MEM(out.data, out.len, parse_cases[0].text, parse_cases[0].len);
	CHECK(queue_env_parse(S(with), &e, &err));
	CHECK(e.warned);
	out.len = 0;
	CHECK(queue_env_format(&e, &out, &err));
	CHECK_MEM(out.data, out.len, with, sizeof(with) - 1);
	CHECK(queue_env_parse(S(V BASE "warned no\n" R1 "end\n"), &e, &err));
	CHECK(!e.warned);
	buf_clear(&out);
	queue_entry_clear(&e);
}

/* ---------------------------------------------------- format/round */

static void
sample_entry(struct queue_entry *e)
{
	queue_entry_init(e);
	memcpy(e->id, "65f1a2b3.4242.0011223344556677",
	       sizeof("65f1a2b3.4242.0011223344556677"));
	set_str(&e->sender, "me@example.org");
	e->created = 1710000000;
	e->next_attempt = 1710000300;
	e->attempts = 2;
	queue_entry_add_rcpt(e, "you@example.net");
	queue_entry_add_rcpt(e, "them@example.com");
}

#define WANT_EXACT \
	"mailferry-queue 1\n" \
	"id 65f1a2b3.4242.0011223344556677\n" \
	"account work\n" \
	"sender <me@example.org>\n" \
	"created 1710000000\n" \
	"next 1710000300\n" \
	"attempts 2\n" \
	"held yes\n" \
	"8bit no\n" \
	"error 421 4.7.0 try again later\n" \
	"rcpt done <you@example.net>\n" \
	"rcpt pending <them@example.com> 450 mailbox busy\n" \
	"end\n"

static void
test_format_exact(void)
{
	struct queue_entry e, back;
	struct mf_error err;
	struct buf out;

	sample_entry(&e);
	set_str(&e.account, "work");
	set_str(&e.last_error, "421 4.7.0 try again later");
	e.held = true;
	e.rcpts[0].state = QUEUE_RCPT_DONE;
	set_str(&e.rcpts[1].error, "450 mailbox busy");
	buf_init(&out, 4096);
	CHECK(buf_append_str(&out, "keep:"));
	CHECK(queue_env_format(&e, &out, &err));
	CHECK_MEM(out.data, out.len, "keep:" WANT_EXACT,
		  sizeof("keep:" WANT_EXACT) - 1);
	queue_entry_init(&back);
	CHECK(queue_env_parse(out.data + 5, out.len - 5, &back, &err));
	CHECK(entry_equal(&e, &back));
	queue_entry_clear(&back);

	/* A ceiling too small: refused, buffer as it was. */
	buf_clear(&out);
	buf_init(&out, 40);
	CHECK(buf_append_str(&out, "keep"));
	CHECK(!queue_env_format(&e, &out, &err));
	CHECK(err.exit_code == EX_SOFTWARE);
	CHECK_MEM(out.data, out.len, "keep", 4);
	buf_clear(&out);
	queue_entry_clear(&e);
}

/* Each change makes format() refuse with EX_SOFTWARE. */
enum bad_kind {
	BAD_ERROR_CR,
	BAD_ERROR_LF,
	BAD_ERROR_EMPTY,
	BAD_ACCOUNT_LF,
	BAD_ACCOUNT_EMPTY,
	BAD_SENDER_NULL,
	BAD_SENDER_BRACKET,
	BAD_SENDER_CR,
	BAD_RCPT_EMPTY,
	BAD_RCPT_LF,
	BAD_RCPT_LONG,
	BAD_RCPT_ERROR_CR,
	BAD_RCPT_STATE,
	BAD_NO_RCPT,
	BAD_ID_EMPTY,
	BAD_ID_SLASH,
	BAD_ID_DOT,
	BAD_CREATED,
	BAD_NEXT,
	BAD_COUNT
};

static void
test_format_refused(void)
{
	char long_addr[LIMIT_ADDRESS + 2];

	memset(long_addr, 'a', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = '\0';
	for (int k = 0; k < BAD_COUNT; k++) {
		int before = check_failures;
		struct queue_entry e;
		struct mf_error err;
		struct buf out;

		sample_entry(&e);
		switch ((enum bad_kind)k) {
		case BAD_ERROR_CR: set_str(&e.last_error, "a\rb"); break;
		case BAD_ERROR_LF: set_str(&e.last_error, "a\nb"); break;
		case BAD_ERROR_EMPTY: set_str(&e.last_error, ""); break;
		case BAD_ACCOUNT_LF: set_str(&e.account, "x\n"); break;
		case BAD_ACCOUNT_EMPTY: set_str(&e.account, ""); break;
		case BAD_SENDER_NULL: set_str(&e.sender, NULL); break;
		case BAD_SENDER_BRACKET: set_str(&e.sender, "a>@b"); break;
		case BAD_SENDER_CR: set_str(&e.sender, "a\r@b"); break;
		case BAD_RCPT_EMPTY: set_str(&e.rcpts[1].addr, ""); break;
		case BAD_RCPT_LF: set_str(&e.rcpts[0].addr, "a@b\n"); break;
		case BAD_RCPT_LONG: set_str(&e.rcpts[0].addr, long_addr); break;
		case BAD_RCPT_ERROR_CR:
			set_str(&e.rcpts[0].error, "x\r");
			break;
		case BAD_RCPT_STATE:
			e.rcpts[0].state = (enum queue_rcpt_state)7;
			break;
		case BAD_NO_RCPT:
			for (size_t i = 0; i < e.rcpt_count; i++)
				free(e.rcpts[i].addr);
			free(e.rcpts);
			e.rcpts = NULL;
			e.rcpt_count = 0;
			break;
		case BAD_ID_EMPTY: e.id[0] = '\0'; break;
		case BAD_ID_SLASH: memcpy(e.id, "a/b", 4); break;
		case BAD_ID_DOT: memcpy(e.id, "..", 3); break;
		case BAD_CREATED: e.created = -1; break;
		case BAD_NEXT: e.next_attempt = -5; break;
		case BAD_COUNT: break;
		}
		buf_init(&out, 1u << 20);
		err_clear(&err);
		CHECK(!queue_env_format(&e, &out, &err));
		CHECK(err.exit_code == EX_SOFTWARE);
		CHECK(out.len == 0);
		buf_clear(&out);
		queue_entry_clear(&e);
		report_case("format refused", (size_t)k, before);
	}
}

static void
test_round_trips(void)
{
	static const char *const errors[] = { NULL, "x", "\t\x01\x7f\xff",
					      " leading and trailing " };
	char long_addr[LIMIT_ADDRESS + 1];

	memset(long_addr, 'b', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = '\0';
	for (size_t i = 0; i < 32; i++) {
		int before = check_failures;
		struct queue_entry e, back;
		struct mf_error err;
		struct buf out;

		sample_entry(&e);
		set_str(&e.account, i & 1 ? "acct name with spaces" : NULL);
		set_str(&e.sender, i & 2 ? "" : "\"q u\"@[127.0.0.1]");
		set_str(&e.last_error, errors[i % 4]);
		e.held = i & 4;
		e.eight_bit = i & 8;
		e.created = i & 16 ? LLONG_MAX : 0;
		e.next_attempt = (long long)i;
		e.attempts = i & 16 ? UINT_MAX : 0;
		e.rcpts[0].state = (enum queue_rcpt_state)(i % 3);
		set_str(&e.rcpts[0].error, errors[(i + 1) % 4]);
		queue_entry_add_rcpt(&e, i & 8 ? long_addr : "\xe2\x98\x83@x");
		buf_init(&out, 1u << 20);
		queue_entry_init(&back);
		CHECK(queue_env_format(&e, &out, &err));
		CHECK(queue_env_parse(out.data, out.len, &back, &err));
		CHECK(entry_equal(&e, &back));
		queue_entry_clear(&back);
		buf_clear(&out);
		queue_entry_clear(&e);
		report_case("round trip", i, before);
	}
}

/* LIMIT_RECIPIENTS rcpt lines parse; one more does not. */
static void
test_recipient_limit(void)
{
	struct queue_entry e;
	struct mf_error err;
	struct buf out;

	sample_entry(&e);
	while (e.rcpt_count < LIMIT_RECIPIENTS)
		queue_entry_add_rcpt(&e, "r@x");
	buf_init(&out, 16u << 20);
	CHECK(queue_env_format(&e, &out, &err));
	queue_entry_clear(&e);
	queue_entry_init(&e);
	CHECK(queue_env_parse(out.data, out.len, &e, &err));
	CHECK(e.rcpt_count == LIMIT_RECIPIENTS);
	queue_entry_clear(&e);
	/* Splice one more rcpt line in before "end\n". */
	out.len -= 4;
	CHECK(buf_append_str(&out, "rcpt pending <r@x>\nend\n"));
	queue_entry_init(&e);
	CHECK(!queue_env_parse(out.data, out.len, &e, &err));
	CHECK(strstr(err.msg, "too many recipients") != NULL);
	queue_entry_clear(&e);
	buf_clear(&out);
}

/* ------------------------------------------------- the directory */

static char base[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
path_in(char *dst, size_t size, const char *rel)
{
	int n = snprintf(dst, size, "%s/%s", base, rel);

	if (n < 0 || (size_t)n >= size)
		abort();
}

static bool
exists(const char *rel)
{
	char p[256];
	struct stat st;

	path_in(p, sizeof(p), rel);
	return lstat(p, &st) == 0;
}

/* Entries in base/rel other than . and .. */
static size_t
count_files(const char *rel)
{
	char p[256];
	struct dirent *d;
	size_t n = 0;
	DIR *dir;

	path_in(p, sizeof(p), rel);
	dir = opendir(p);
	if (dir == NULL)
		return (size_t)-1;
	while ((d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n;
}

static void
write_file(const char *rel, const char *text, size_t len)
{
	char p[256];
	int fd;

	path_in(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
}

static unsigned
mode_of(const char *rel)
{
	char p[256];
	struct stat st;

	path_in(p, sizeof(p), rel);
	if (lstat(p, &st) != 0)
		return 0;
	return (unsigned)(st.st_mode & 07777);
}

/* A message source: total bytes of a pattern that depends on seed, in
 * chunks of varying size; fails with EX_IOERR after fail_at bytes when
 * fail_at is set. */
struct pattern {
	size_t total;
	unsigned seed;
	size_t fail_at;   /* 0: never */
	bool set_error;   /* on failure, set err (else leave it clear) */
};

static char
pattern_byte(unsigned seed, size_t i)
{
	return (char)((i * 131u + seed * 7u + (i >> 9)) & 0xff);
}

static bool
pattern_source(void *ctx, queue_sink_fn sink, void *sink_ctx,
	       struct mf_error *err)
{
	const struct pattern *pt = ctx;
	char chunk[7001];
	size_t done = 0, step = 1;

	while (done < pt->total) {
		size_t n = step % sizeof(chunk);
		if (n == 0)
			n = 1;
		if (n > pt->total - done)
			n = pt->total - done;
		if (pt->fail_at && done + n > pt->fail_at) {
			if (pt->set_error)
				err_set(err, EX_IOERR, ERR_LOCAL,
					"test source: failed on purpose");
			return false;
		}
		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern_byte(pt->seed, done + i);
		if (!sink(sink_ctx, chunk, n, err))
			return false;
		done += n;
		step = step * 3 + 17;
	}
	return true;
}

/* msg/ID holds exactly the pattern. */
static bool
message_matches(struct queue *q, const char *id, const struct pattern *pt)
{
	struct mf_error err;
	char chunk[4096];
	size_t off = 0;
	bool ok = true;
	int fd;

	if (!queue_open_message(q, id, &fd, &err))
		return false;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r <= 0) {
			ok = ok && r == 0;
			break;
		}
		for (ssize_t i = 0; i < r; i++)
			if (chunk[i] != pattern_byte(pt->seed, off + (size_t)i))
				ok = false;
		off += (size_t)r;
	}
	close(fd);
	return ok && off == pt->total;
}

static bool
commit_one(struct queue *q, long long created, const char *rcpt,
	   struct pattern *pt, char id_out[64])
{
	struct queue_entry e;
	struct mf_error err;
	bool ok;

	queue_entry_init(&e);
	e.sender = strdup("sender@example.org");
	e.created = created;
	e.next_attempt = created;
	queue_entry_add_rcpt(&e, rcpt);
	ok = queue_commit(q, &e, pattern_source, pt, &err);
	if (!ok)
		fprintf(stderr, "commit: %s\n", err.msg);
	if (ok) {
		CHECK(e.size == pt->total);
		memcpy(id_out, e.id, 64);
	}
	queue_entry_clear(&e);
	return ok;
}

/* Messages committed within one second list in the order they came:
 * ids sort by the time they were made (make_id), not by pid or by their
 * random part. 40 commits with the same created second. */
static void
test_arrival_order(void)
{
	enum { N = 40 };
	static char ids[N][64];
	char p[256];
	struct queue q;
	struct queue_entry *list = NULL;
	struct mf_error err;
	size_t n = 0;

	path_in(p, sizeof(p), "order/q/");
	CHECK(queue_open(p, true, &q, &err));
	if (q.dirfd < 0)
		return;
	for (size_t i = 0; i < N; i++) {
		struct pattern pt = { 10, (unsigned)i, 0, false };
		char rcpt[32];
		snprintf(rcpt, sizeof(rcpt), "o%zu@example.net", i);
		CHECK(commit_one(&q, 1000, rcpt, &pt, ids[i]));
	}
	CHECK(queue_list(&q, &list, &n, &err));
	CHECK(n == N);
	for (size_t i = 0; i < n && n == N; i++) {
		char rcpt[32];
		snprintf(rcpt, sizeof(rcpt), "o%zu@example.net", i);
		CHECK_STR(list[i].id, ids[i]);
		if (list[i].rcpt_count == 1)
			CHECK_STR(list[i].rcpts[0].addr, rcpt);
	}
	queue_entries_free(list, n);
	queue_close(&q);
}

static void
test_directory(void)
{
	struct pattern pats[3] = {
		{ 100 * 1024, 1, 0, false },
		{ 100 * 1024 + 3, 2, 0, false },
		{ 0, 3, 0, false },
	};
	/* Committed in this order, created 300, 100, 200. */
	static const long long created[3] = { 300, 100, 200 };
	static const size_t want_order[3] = { 1, 2, 0 };
	char ids[3][64];
	char p[256];
	struct queue q;
	struct queue_entry *list = NULL;
	struct queue_entry e;
	struct mf_error err;
	size_t n = 0;
	int lock_fd = -1;

	/* Created with missing parents, every level 0700. */
	path_in(p, sizeof(p), "a/b/q/");
	CHECK(queue_open(p, true, &q, &err));
	if (q.dirfd < 0) {
		fprintf(stderr, "queue_open: %s\n", err.msg);
		return;
	}
	CHECK(mode_of("a") == 0700);
	CHECK(mode_of("a/b") == 0700);
	CHECK(mode_of("a/b/q") == 0700);
	CHECK(mode_of("a/b/q/tmp") == 0700);
	CHECK(mode_of("a/b/q/msg") == 0700);
	CHECK(mode_of("a/b/q/env") == 0700);
	CHECK(count_files("a/b/q/env") == 0);

	/* An empty queue lists as empty. */
	CHECK(queue_list(&q, &list, &n, &err));
	CHECK(n == 0);
	queue_entries_free(list, n);

	for (size_t i = 0; i < 3; i++) {
		char rcpt[32];
		snprintf(rcpt, sizeof(rcpt), "r%zu@example.net", i);
		CHECK(commit_one(&q, created[i], rcpt, &pats[i], ids[i]));
	}
	CHECK(strcmp(ids[0], ids[1]) != 0 && strcmp(ids[1], ids[2]) != 0);
	CHECK(count_files("a/b/q/tmp") == 0);
	CHECK(count_files("a/b/q/msg") == 3);
	CHECK(count_files("a/b/q/env") == 3);
	path_in(p, sizeof(p), "a/b/q/msg/");
	for (size_t i = 0; i < 3; i++) {
		char rel[256];
		snprintf(rel, sizeof(rel), "a/b/q/msg/%s", ids[i]);
		CHECK(mode_of(rel) == 0600);
		snprintf(rel, sizeof(rel), "a/b/q/env/%s", ids[i]);
		CHECK(mode_of(rel) == 0600);
	}

	CHECK(queue_list(&q, &list, &n, &err));
	CHECK(n == 3);
	for (size_t i = 0; i < n && n == 3; i++) {
		size_t k = want_order[i];
		char rcpt[32];
		snprintf(rcpt, sizeof(rcpt), "r%zu@example.net", k);
		CHECK_STR(list[i].id, ids[k]);
		CHECK(list[i].created == created[k]);
		CHECK(list[i].size == pats[k].total);
		CHECK(list[i].rcpt_count == 1);
		if (list[i].rcpt_count == 1)
			CHECK_STR(list[i].rcpts[0].addr, rcpt);
		CHECK_STR(list[i].sender, "sender@example.org");
		CHECK(message_matches(&q, list[i].id, &pats[k]));
	}
	queue_entries_free(list, n);

	/* Lock, update under the lock, unlock; list shows the change. */
	queue_entry_init(&e);
	CHECK(queue_lock(&q, ids[0], &e, &lock_fd, &err));
	CHECK(lock_fd >= 0);
	CHECK_STR(e.id, ids[0]);
	CHECK(e.size == pats[0].total);
	e.attempts = 3;
	e.next_attempt = 5000;
	e.rcpts[0].state = QUEUE_RCPT_FAILED;
	e.rcpts[0].error = strdup("550 5.1.1 unknown");
	e.last_error = strdup("550 5.1.1 unknown");
	CHECK(queue_update(&q, &e, &err));
	CHECK(count_files("a/b/q/tmp") == 0);

	/* A child cannot take the lock while it is held... */
	for (int round = 0; round < 2; round++) {
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			struct queue_entry ce;
			struct mf_error cerr;
			int cfd = -1;
			int code;

			queue_entry_init(&ce);
			if (queue_lock(&q, ids[0], &ce, &cfd, &cerr)) {
				code = ce.attempts == 3 ? 0 : 1;
				queue_unlock(cfd);
			} else {
				code = cerr.exit_code;
				if (round == 0 && (cerr.cls != ERR_TEMPORARY ||
						   strstr(cerr.msg, "being "
						   "delivered by another "
						   "process") == NULL))
					code = 2;
			}
			queue_entry_clear(&ce);
			_exit(code);
		}
		CHECK(pid > 0);
		if (pid > 0)
			CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status));
		/* ...and can once it is released. */
		CHECK(WEXITSTATUS(status) == (round == 0 ? EX_TEMPFAIL : 0));
		if (round == 0) {
			/* Locking twice in this process also refuses:
			 * flock locks belong to the open file. */
			struct queue_entry e2;
			int fd2 = -1;
			queue_entry_init(&e2);
			CHECK(!queue_lock(&q, ids[0], &e2, &fd2, &err));
			CHECK(err.exit_code == EX_TEMPFAIL && fd2 == -1);
			queue_entry_clear(&e2);
			queue_unlock(lock_fd);
			lock_fd = -1;
		}
	}
	queue_entry_clear(&e);

	CHECK(queue_list(&q, &list, &n, &err));
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(list[2].id, ids[0]);
		CHECK(list[2].attempts == 3);
		CHECK(list[2].next_attempt == 5000);
		CHECK_STR(list[2].last_error, "550 5.1.1 unknown");
		CHECK(list[2].rcpts[0].state == QUEUE_RCPT_FAILED);
		CHECK_STR(list[2].rcpts[0].error, "550 5.1.1 unknown");
	}
	queue_entries_free(list, n);

	/* Stray and corrupt files: skipped by list, never deleted. */
	write_file("a/b/q/tmp/stray.msg", S("half a message"));
	write_file("a/b/q/env/corrupt.1", S(V "id corrupt.1\ngarbage\n"));
	write_file("a/b/q/msg/corrupt.1", S("body"));
	write_file("a/b/q/env/.hidden", S("x"));
	write_file("a/b/q/env/bad name", S("x"));
	write_file("a/b/q/env/other.id", S(V "id notother\nsender <a@b>\n"
					   "created 1\nnext 1\nattempts 0\n"
					   "held no\n8bit no\n" R1 "end\n"));
	write_file("a/b/q/msg/other.id", S("body"));
	/* A valid envelope without its message. */
	write_file("a/b/q/env/nomsg.1", S(V "id nomsg.1\nsender <a@b>\n"
					  "created 1\nnext 1\nattempts 0\n"
					  "held no\n8bit no\n" R1 "end\n"));
	fprintf(stderr, "(warnings about four skipped files expected)\n");
	CHECK(queue_list(&q, &list, &n, &err));
	CHECK(n == 3);
	queue_entries_free(list, n);
	CHECK(exists("a/b/q/tmp/stray.msg"));
	CHECK(exists("a/b/q/env/corrupt.1"));
	CHECK(exists("a/b/q/msg/corrupt.1"));
	CHECK(exists("a/b/q/env/nomsg.1"));
	CHECK(exists("a/b/q/env/other.id"));
	/* Locking the corrupt one: a data error naming the file. */
	queue_entry_init(&e);
	CHECK(!queue_lock(&q, "corrupt.1", &e, &lock_fd, &err));
	CHECK(err.exit_code == EX_DATAERR && lock_fd == -1);
	CHECK(strstr(err.msg, "env/corrupt.1") != NULL);
	queue_entry_clear(&e);

	/* A source failing half-way leaves nothing in msg/, env/, tmp/. */
	for (int set = 0; set < 2; set++) {
		struct pattern bad = { 100 * 1024, 9, 50 * 1024, set != 0 };
		size_t msgs = count_files("a/b/q/msg");
		size_t envs = count_files("a/b/q/env");

		queue_entry_init(&e);
		e.sender = strdup("");
		queue_entry_add_rcpt(&e, "x@y");
		memcpy(e.id, "before", 7);
		err_clear(&err);
		CHECK(!queue_commit(&q, &e, pattern_source, &bad, &err));
		CHECK(err.exit_code == EX_IOERR);
		if (set)
			CHECK(strstr(err.msg, "failed on purpose") != NULL);
		CHECK_STR(e.id, "before");
		CHECK(count_files("a/b/q/msg") == msgs);
		CHECK(count_files("a/b/q/env") == envs);
		CHECK(count_files("a/b/q/tmp") == 1); /* the stray only */
		queue_entry_clear(&e);
	}
	/* An envelope format() refuses: also nothing left. */
	{
		struct pattern ok_src = { 10, 4, 0, false };
		size_t msgs = count_files("a/b/q/msg");

		queue_entry_init(&e);
		e.sender = strdup("a\nb");
		queue_entry_add_rcpt(&e, "x@y");
		CHECK(!queue_commit(&q, &e, pattern_source, &ok_src, &err));
		CHECK(err.exit_code == EX_SOFTWARE);
		CHECK(count_files("a/b/q/msg") == msgs);
		CHECK(count_files("a/b/q/tmp") == 1);
		queue_entry_clear(&e);
	}

	/* Remove: gone from list and disk; twice is fine. */
	CHECK(queue_remove(&q, ids[1], &err));
	CHECK(queue_remove(&q, ids[1], &err));
	{
		char rel[256];
		snprintf(rel, sizeof(rel), "a/b/q/msg/%s", ids[1]);
		CHECK(!exists(rel));
		snprintf(rel, sizeof(rel), "a/b/q/env/%s", ids[1]);
		CHECK(!exists(rel));
	}
	CHECK(queue_list(&q, &list, &n, &err));
	CHECK(n == 2);
	for (size_t i = 0; i < n; i++)
		CHECK(strcmp(list[i].id, ids[1]) != 0);
	queue_entries_free(list, n);
	queue_entry_init(&e);
	CHECK(!queue_lock(&q, ids[1], &e, &lock_fd, &err));
	CHECK(err.exit_code == EX_NOINPUT);
	/* Updating a removed message does not bring it back. */
	sample_entry(&e);
	memcpy(e.id, ids[1], sizeof(e.id));
	CHECK(!queue_update(&q, &e, &err));
	CHECK(err.exit_code == EX_NOINPUT);
	CHECK(count_files("a/b/q/tmp") == 1);
	queue_entry_clear(&e);
	/* Finished meanwhile: msg/ID still there, env/ID gone. */
	{
		char rel[256];
		snprintf(rel, sizeof(rel), "a/b/q/env/%s", ids[2]);
		path_in(p, sizeof(p), rel);
		CHECK(unlink(p) == 0);
		queue_entry_init(&e);
		CHECK(!queue_lock(&q, ids[2], &e, &lock_fd, &err));
		CHECK(err.exit_code == EX_NOINPUT && lock_fd == -1);
		queue_entry_clear(&e);
	}
	/* Ids that are not ids. */
	queue_entry_init(&e);
	CHECK(!queue_lock(&q, "../env/x", &e, &lock_fd, &err));
	CHECK(err.exit_code == EX_NOINPUT);
	CHECK(!queue_remove(&q, "..", &err));
	queue_entry_clear(&e);
	queue_close(&q);
	CHECK(q.dirfd == -1);

	/* Reopen without create: the same queue. */
	path_in(p, sizeof(p), "a/b/q");
	CHECK(queue_open(p, false, &q, &err));
	CHECK(queue_list(&q, &list, &n, &err));
	CHECK(n == 1);
	queue_entries_free(list, n);
	queue_close(&q);
}

static void
test_open_refused(void)
{
	char target[256], link[256], file[256], missing[256], p[256];
	struct queue q;
	struct mf_error err;

	path_in(target, sizeof(target), "real");
	path_in(link, sizeof(link), "link");
	path_in(file, sizeof(file), "file");
	path_in(missing, sizeof(missing), "missing");
	CHECK(queue_open(target, true, &q, &err));
	queue_close(&q);
	CHECK(symlink(target, link) == 0);
	for (int create = 0; create < 2; create++) {
		CHECK(!queue_open(link, create, &q, &err));
		CHECK(err.exit_code == EX_NOPERM);
		CHECK(strstr(err.msg, "symbolic link") != NULL);
		CHECK(q.dirfd == -1 && q.path == NULL);
	}
	/* A trailing slash does not get around it. */
	path_in(p, sizeof(p), "link/");
	CHECK(!queue_open(p, true, &q, &err));
	CHECK(err.exit_code == EX_NOPERM);
	write_file("file", S("x"));
	CHECK(!queue_open(file, true, &q, &err));
	CHECK(strstr(err.msg, "not a directory") != NULL);
	CHECK(!queue_open(missing, false, &q, &err));
	CHECK(!exists("missing"));
	/* A queue without its subdirectories is refused unless created. */
	path_in(p, sizeof(p), "bare");
	CHECK(mkdir(p, 0700) == 0);
	CHECK(!queue_open(p, false, &q, &err));
	CHECK(queue_open(p, true, &q, &err));
	queue_close(&q);
	CHECK(!queue_open("", true, &q, &err));
}


/* queue_clean: hour-old leftovers of interrupted writes go; queued
 * messages, fresh files and locked orphans stay. */
static void
make_file(const char *dir, const char *name, int age)
{
	char path[512];
	struct timespec ts[2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, "x", 1) == 1);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	CHECK(futimens(fd, ts) == 0);
	close(fd);
}

static bool
file_exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void
test_clean(void)
{
	struct pattern pt = { 10, 9, 0, false };
	char qpath[300], tmpd[320], msgd[320], id[64], kept_path[400];
	struct queue q;
	struct mf_error err;
	int locked;

	snprintf(qpath, sizeof(qpath), "%s/clean", base);
	CHECK(queue_open(qpath, true, &q, &err));
	snprintf(tmpd, sizeof(tmpd), "%s/tmp", qpath);
	snprintf(msgd, sizeof(msgd), "%s/msg", qpath);
	CHECK(commit_one(&q, 1, "a@example.org", &pt, id));
	make_file(tmpd, "old.msg", 7200);
	make_file(tmpd, "new.msg", 10);
	make_file(msgd, "6b000000.1.0000000000000001", 7200); /* orphan */
	make_file(msgd, "6b000000.1.0000000000000002", 10);   /* fresh */
	make_file(msgd, "6b000000.1.0000000000000003", 7200); /* locked */
	snprintf(kept_path, sizeof(kept_path), "%s/6b000000.1.0000000000000003",
		 msgd);
	locked = open(kept_path, O_RDONLY | O_CLOEXEC);
	CHECK(locked >= 0 && flock(locked, LOCK_EX) == 0);
	/* the queued message, made old too, must stay */
	{
		char mp[400];
		struct timespec ts[2] = { { time(NULL) - 7200, 0 },
					  { time(NULL) - 7200, 0 } };
		snprintf(mp, sizeof(mp), "%s/%s", msgd, id);
		CHECK(utimensat(AT_FDCWD, mp, ts, 0) == 0);
	}
	queue_clean(&q, 3600);
	CHECK(!file_exists(tmpd, "old.msg"));
	CHECK(file_exists(tmpd, "new.msg"));
	CHECK(!file_exists(msgd, "6b000000.1.0000000000000001"));
	CHECK(file_exists(msgd, "6b000000.1.0000000000000002"));
	CHECK(file_exists(msgd, "6b000000.1.0000000000000003"));
	CHECK(file_exists(msgd, id));
	close(locked);
	queue_close(&q);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	umask(022);
	test_parse_table();
	test_warned();
	test_parse_fields();
	test_format_exact();
	test_format_refused();
	test_round_trips();
	test_recipient_limit();

	n = snprintf(base, sizeof(base), "%s/queue_test.XXXXXX",
		     tmp && *tmp == '/' && strlen(tmp) < 40 ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(base) || mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_arrival_order();
	test_directory();
	test_open_refused();
	test_clean();
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return check_done("queue_test");
}
