/* tests/unit/aliases_test.c: the aliases file (aliases_parse), expansion
 * of local recipients (aliases_expand) and the qualification of bare
 * names in address header fields (addr_qualify), table-driven.
 *
 * Parse cases are run on an exactly sized heap copy without a terminator
 * so that an ASan build catches a read past the counted input; expected
 * addresses are joined by one space; error messages are compared whole. */
#include "config.h"

#include "address/address.h"
#include "address/aliases.h"
#include "address/qualify.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include "check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char *const local_domains[] = { "localhost", "Host.Example",
					     NULL };

/* A counted copy of len bytes with no terminator (owned by the caller). */
static char *
exact_copy(const char *p, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (copy == NULL)
		exit(99);
	if (len)
		memcpy(copy, p, len);
	return copy;
}

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

/* Parse text (len bytes; 0: strlen) as the file "aliases"; NULL and the
 * message in err on error. */
static struct aliases *
parse(const char *text, size_t len, struct mf_error *err)
{
	struct aliases *a = aliases_new(local_domains);
	char *copy;
	bool ok;

	if (len == 0)
		len = strlen(text);
	copy = exact_copy(text, len);
	err_clear(err);
	ok = aliases_parse(a, copy, len, "aliases", err);
	free(copy);
	if (!ok) {
		aliases_free(a);
		return NULL;
	}
	return a;
}

/* ---- parsing ----------------------------------------------------------- */

struct parse_case {
	const char *text;
	size_t len;       /* 0: strlen(text) */
	const char *err;  /* the whole message, or NULL when it parses */
	size_t count;     /* names defined, when it parses */
};

#define POK(text, count) { (text), 0, NULL, (count) }
#define PBAD(text, err) { (text), 0, (err), 0 }
#define PBADN(text, err) { (text), sizeof(text) - 1, (err), 0 }

static const struct parse_case parse_cases[] = {
	POK("", 0),
	POK("\n\n", 0),
	POK("# only comments\n\n   \n\t# an indented comment\n#\n", 0),
	POK("root: admin@example.org", 1),
	POK("root: admin@example.org # trailing comment\n", 1),
	POK("root: a, b\r\nbob: c\r\n", 2),
	POK("root :a\n", 1),
	POK("root:a\t,\tb\n", 1),
	POK("staff: a,\n  b\n\tc@x.example\n", 1),
	POK("staff: a\n# comment between\n\n  b\nroot: c\n", 2),
	POK("root: Ops <ops@x.example>, \"j d\"@x.example, g: a, b;\n", 1),
	POK("root: /C=US/@x400.example\n", 1),
	POK("a.b-c_d+e: x\n", 1),
	POK("default: x@y.example\n", 1),

	/* names */
	PBAD("# c\n\nroot admin\n", "aliases:3: missing ':' after alias name"),
	PBAD("root\n", "aliases:1: missing ':' after alias name"),
	PBAD("root # admin: x\n", "aliases:1: missing ':' after alias name"),
	PBAD(": a\n", "aliases:1: empty alias name"),
	PBAD("root@localhost: a\n",
	     "aliases:1: invalid alias name 'root@localhost'"),
	PBAD("a..b: x\n", "aliases:1: invalid alias name 'a..b'"),
	PBAD("\"root\": x\n", "aliases:1: invalid alias name '\"root\"'"),
	PBAD("<root>: x\n", "aliases:1: invalid alias name '<root>'"),
	PBAD("root: a\nx: y\nRoot: b\n",
	     "aliases:3: alias 'Root' defined twice (first on line 1)"),
	/* targets */
	PBAD("root:\n", "aliases:1: alias 'root' has no target"),
	PBAD("root: # nothing\nbob: b\n", "aliases:1: alias 'root' has no target"),
	PBAD("x: y\nroot: ,\n\n", "aliases:2: alias 'root' has no target"),
	PBAD("root: undisclosed-recipients:;\n",
	     "aliases:1: alias 'root' has no target"),
	PBAD("  a@b\n",
	     "aliases:1: continued line without an alias name above it"),
	PBAD("# c\n\tb\nroot: a\n",
	     "aliases:2: continued line without an alias name above it"),
	PBAD("root: |/usr/bin/procmail\n",
	     "aliases:1: program target '|/usr/bin/procmail' is not supported "
	     "by a relay-only client"),
	PBAD("root: a, \"|/usr/bin/prog -x\"\n",
	     "aliases:1: program target '\"|/usr/bin/prog -x\"' is not "
	     "supported by a relay-only client"),
	PBAD("x: y\nroot: /var/mail/root\n",
	     "aliases:2: file target '/var/mail/root' is not supported by a "
	     "relay-only client"),
	PBAD("root: /tmp/x@localhost\n",
	     "aliases:1: file target '/tmp/x@localhost' is not supported by "
	     "a relay-only client"),
	PBAD("root: :include:/etc/mail/staff\n",
	     "aliases:1: include target ':include:' is not supported by a "
	     "relay-only client"),
	PBAD("staff: a,\n  :INCLUDE:/etc/mail/staff\n",
	     "aliases:2: include target ':include:' is not supported by a "
	     "relay-only client"),
	PBAD("root: \":include:/x\"\n",
	     "aliases:1: include target '\":include:/x\"' is not supported by "
	     "a relay-only client"),
	/* address syntax: addr_list_parse's message; bytes count from the
	 * start of the line */
	PBAD("root: \"unterminated\n",
	     "aliases:1: unterminated quoted string starting at byte 7"),
	PBAD("root: John Doe\n",
	     "aliases:1: display name without an address at byte 7"),
	PBAD("x: y\nroot: a@b c@d\n",
	     "aliases:2: unexpected text after address (missing ',') at byte 11"),
	PBAD("staff: a,\n  <b@c\n",
	     "aliases:2: unterminated angle address at byte 3"),
	/* bytes */
	PBADN("root: a\0b\n", "aliases:1: NUL byte in line"),
	PBADN("x: y\nroot: a\0", "aliases:2: NUL byte in line"),
	PBAD("root: a\x01\n", "aliases:1: control character 0x01 in line"),
	PBAD("root: a\rb\n", "aliases:1: control character 0x0d in line"),
	PBAD("root: a\r\r\n", "aliases:1: control character 0x0d in line"),
	PBAD("# \x7f\n", "aliases:1: control character 0x7f in line"),
};

static void
test_parse_table(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		struct mf_error err;
		struct aliases *a = parse(c->text, c->len, &err);

		if ((a != NULL) != (c->err == NULL))
			fprintf(stderr, "parse case %zu: %s: \"%s\"\n", i,
				a ? "accepted" : "rejected", err.msg);
		if (c->err == NULL) {
			CHECK(a != NULL);
			CHECK(a == NULL || aliases_count(a) == c->count);
		} else {
			CHECK(a == NULL);
			CHECK(err.exit_code == EX_CONFIG);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK_STR(err.msg, c->err);
		}
		aliases_free(a);
	}
}

/* Every strict prefix of every parse case parses or fails with EX_CONFIG,
 * without reading past its end. */
static void
test_parse_prefixes(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);

		for (size_t n = 1; n < len; n++) {
			struct mf_error err;
			struct aliases *a = parse(c->text, n, &err);

			CHECK(a != NULL || err.exit_code == EX_CONFIG);
			aliases_free(a);
		}
	}
}

/* LIMIT_CONFIG_LINE and LIMIT_ALIASES. */
static void
test_parse_limits(void)
{
	struct mf_error err;
	struct aliases *a;
	struct buf b;
	char want[128];

	/* A line of exactly the limit (CR not counted), then one more. */
	buf_init(&b, 1u << 26);
	buf_append_str(&b, "root: ");
	while (b.len < LIMIT_CONFIG_LINE)
		buf_append_str(&b, "a,");
	buf_append_str(&b, "\r\n");
	a = parse(b.data, b.len, &err);
	CHECK(a != NULL);
	aliases_free(a);
	buf_reset(&b);
	buf_append_str(&b, "x: y\nroot: ");
	while (b.len < 5 + LIMIT_CONFIG_LINE + 1)
		buf_append_byte(&b, 'a');
	a = parse(b.data, b.len, &err);
	CHECK(a == NULL);
	snprintf(want, sizeof(want), "aliases:2: line longer than %u bytes",
		 (unsigned)LIMIT_CONFIG_LINE);
	CHECK_STR(err.msg, want);

	/* LIMIT_ALIASES names are fine, one more is not. */
	buf_reset(&b);
	for (unsigned i = 0; i < LIMIT_ALIASES; i++)
		buf_printf(&b, "a%u: x\n", i);
	a = parse(b.data, b.len, &err);
	CHECK(a != NULL && aliases_count(a) == LIMIT_ALIASES);
	aliases_free(a);
	buf_append_str(&b, "one-more: x\n");
	a = parse(b.data, b.len, &err);
	CHECK(a == NULL);
	snprintf(want, sizeof(want), "aliases:%u: more than %u aliases",
		 (unsigned)LIMIT_ALIASES + 1, (unsigned)LIMIT_ALIASES);
	CHECK_STR(err.msg, want);
	buf_clear(&b);
}

/* ---- expansion --------------------------------------------------------- */

static const char file_main[] =
	"# The aliases of a small host.\n"
	"root: admin@example.org, \"Ops Team\" <ops@example.org>\n"
	"postmaster: root\n"
	"Staff: alice,\n"
	"    bob@example.org   # bob is away\n"
	"\tcarol, \"dan d\"\n"
	"alice: alice@mail.example\n"
	"self: self, other@x.example\n"
	"loopa: loopb\n"
	"loopb: loopa\n"
	"ring1: ring2, r1@x.example\n"
	"ring2: ring3, r2@x.example\n"
	"ring3: ring1, r3@x.example\n"
	"webmaster: root@localhost, www@host.example\n"
	"www: web@example.org\n"
	"dup: admin@example.org, root, ADMIN@example.org, root\n"
	"hash: a#b@x.example (not # a comment), \"c #d\"@x.example # this is\n"
	"group: team: root, z@x.example;\n"
	"remote: root@example.org, alice@elsewhere.example\n";

static const char file_default[] =
	"root: admin@example.org\n"
	"bob: robert\n"
	"default: catchall@example.org\n";

static const char file_default_local[] = "default: postmaster\n";

static const char file_self[] = "root: root, admin@x\n";

struct expand_case {
	const char *file;
	const char *addr;
	const char *want; /* joined result (on error: what came before) */
	const char *err;  /* the whole message, or NULL */
};

static const struct expand_case expand_cases[] = {
	{ file_main, "root", "admin@example.org ops@example.org", NULL },
	{ file_main, "ROOT", "admin@example.org ops@example.org", NULL },
	{ file_main, "root@localhost", "admin@example.org ops@example.org",
	  NULL },
	{ file_main, "root@LocalHost", "admin@example.org ops@example.org",
	  NULL },
	{ file_main, "root@host.example", "admin@example.org ops@example.org",
	  NULL },
	/* not local: unchanged */
	{ file_main, "root@example.org", "root@example.org", NULL },
	{ file_main, "root@localhost.example", "root@localhost.example", NULL },
	/* recursion */
	{ file_main, "postmaster", "admin@example.org ops@example.org", NULL },
	{ file_main, "staff",
	  "alice@mail.example bob@example.org carol \"dan d\"", NULL },
	{ file_main, "webmaster",
	  "admin@example.org ops@example.org web@example.org", NULL },
	/* self-reference and loops stop where they close */
	{ file_main, "self", "self other@x.example", NULL },
	{ file_main, "loopa", "loopa", NULL },
	{ file_main, "loopb", "loopb", NULL },
	{ file_main, "ring1", "ring1 r3@x.example r2@x.example r1@x.example",
	  NULL },
	{ file_main, "ring2", "ring2 r1@x.example r3@x.example r2@x.example",
	  NULL },
	{ file_self, "root", "root admin@x", NULL },
	/* duplicates (exact comparison) */
	{ file_main, "dup", "admin@example.org ops@example.org "
	  "ADMIN@example.org", NULL },
	/* comments, groups, remote targets */
	{ file_main, "hash", "a#b@x.example \"c #d\"@x.example", NULL },
	{ file_main, "group", "admin@example.org ops@example.org z@x.example",
	  NULL },
	{ file_main, "remote", "root@example.org alice@elsewhere.example",
	  NULL },
	/* unmatched local names: unchanged, for the caller to qualify */
	{ file_main, "nobody", "nobody", NULL },
	{ file_main, "nobody@localhost", "nobody@localhost", NULL },
	{ file_main, "\"john doe\"", "\"john doe\"", NULL },
	{ file_main, "\"john doe\"@localhost", "\"john doe\"@localhost", NULL },
	/* default */
	{ file_default, "root", "admin@example.org", NULL },
	{ file_default, "joe", "catchall@example.org", NULL },
	{ file_default, "joe@localhost", "catchall@example.org", NULL },
	{ file_default, "joe@remote.example", "joe@remote.example", NULL },
	{ file_default, "bob", "catchall@example.org", NULL },
	{ file_default, "default", "catchall@example.org", NULL },
	{ file_default_local, "joe", "postmaster", NULL },
	{ file_default_local, "postmaster", "postmaster", NULL },
};

static void
run_expand(const struct aliases *a, const char *addr, const char *want,
	   const char *want_err, struct addr_list *out)
{
	struct mf_error err;
	bool ok;
	char *got;

	err_clear(&err);
	ok = aliases_expand(a, addr, out, &err);
	got = join(out);
	if (ok != (want_err == NULL))
		fprintf(stderr, "expand %s: %s: \"%s\"\n", addr,
			ok ? "accepted" : "rejected", err.msg);
	CHECK(ok == (want_err == NULL));
	CHECK_STR(got, want);
	if (want_err != NULL) {
		CHECK(err.exit_code == EX_CONFIG);
		CHECK(err.cls == ERR_PERMANENT);
		CHECK_STR(err.msg, want_err);
	} else {
		CHECK(!err_isset(&err));
	}
	free(got);
}

static void
test_expand_table(void)
{
	for (size_t i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]);
	     i++) {
		const struct expand_case *c = &expand_cases[i];
		struct addr_list out;
		struct mf_error err;
		struct aliases *a = parse(c->file, 0, &err);

		CHECK(a != NULL);
		if (a == NULL) {
			fprintf(stderr, "expand %s: %s\n", c->addr, err.msg);
			continue;
		}
		addr_list_init(&out);
		run_expand(a, c->addr, c->want, c->err, &out);
		addr_list_clear(&out);
		aliases_free(a);
	}
}

/* Results already in out are not added again; several calls share out. */
static void
test_expand_appends(void)
{
	struct addr_list out;
	struct mf_error err;
	struct aliases *a = parse(file_main, 0, &err);

	CHECK(a != NULL);
	if (a == NULL)
		return;
	addr_list_init(&out);
	addr_list_add(&out, "ops@example.org", 15);
	run_expand(a, "root", "ops@example.org admin@example.org", NULL, &out);
	run_expand(a, "postmaster", "ops@example.org admin@example.org", NULL,
		   &out);
	run_expand(a, "www", "ops@example.org admin@example.org "
		   "web@example.org", NULL, &out);
	run_expand(a, "x@y.example", "ops@example.org admin@example.org "
		   "web@example.org x@y.example", NULL, &out);
	addr_list_clear(&out);
	aliases_free(a);

	/* No local domains at all: only bare names are local. */
	a = aliases_new(NULL);
	err_clear(&err);
	CHECK(aliases_parse(a, "root: admin@x", 13, "f", &err));
	CHECK(aliases_is_local(a, "root"));
	CHECK(!aliases_is_local(a, "root@localhost"));
	CHECK(!aliases_is_local(a, ""));
	addr_list_init(&out);
	run_expand(a, "root@localhost", "root@localhost", NULL, &out);
	run_expand(a, "root", "root@localhost admin@x", NULL, &out);
	addr_list_clear(&out);
	aliases_free(a);
	aliases_free(NULL);
}

/* A chain of n names, d0: d1 ... d(n-1): end@x.example. */
static struct aliases *
chain(unsigned n)
{
	struct mf_error err;
	struct aliases *a;
	struct buf b;

	buf_init(&b, 1u << 20);
	for (unsigned i = 0; i + 1 < n; i++)
		buf_printf(&b, "d%u: d%u\n", i, i + 1);
	buf_printf(&b, "d%u: end@x.example\n", n - 1);
	a = parse(b.data, b.len, &err);
	buf_clear(&b);
	return a;
}

static void
test_expand_limits(void)
{
	struct addr_list out;
	struct mf_error err;
	struct aliases *a;
	struct buf b;
	char want[128];

	/* LIMIT_ALIAS_DEPTH (10) nested names expand, 11 do not. */
	CHECK(LIMIT_ALIAS_DEPTH == 10);
	a = chain(10);
	CHECK(a != NULL);
	addr_list_init(&out);
	run_expand(a, "d0", "end@x.example", NULL, &out);
	addr_list_clear(&out);
	run_expand(a, "d1@localhost", "end@x.example", NULL, &out);
	addr_list_clear(&out);
	aliases_free(a);
	a = chain(11);
	CHECK(a != NULL);
	run_expand(a, "d0", "",
		   "aliases: 'd0' expands deeper than 10 levels", &out);
	addr_list_clear(&out);
	run_expand(a, "d1", "end@x.example", NULL, &out);
	addr_list_clear(&out);
	aliases_free(a);

	/* A fan-out that would visit 1 + 400 + 400 * 300 addresses. */
	buf_init(&b, 1u << 20);
	buf_append_str(&b, "a: ");
	for (int i = 0; i < 400; i++)
		buf_append_str(&b, "b, ");
	buf_append_str(&b, "\nb: ");
	for (int i = 0; i < 300; i++)
		buf_append_str(&b, "c, ");
	a = parse(b.data, b.len, &err);
	CHECK(a != NULL);
	snprintf(want, sizeof(want),
		 "aliases: 'a' expands to more than %u addresses",
		 (unsigned)LIMIT_RECIPIENTS);
	run_expand(a, "a", "c", want, &out);
	addr_list_clear(&out);
	run_expand(a, "b", "c", NULL, &out);
	addr_list_clear(&out);
	aliases_free(a);
	buf_clear(&b);
}

/* ---- qualification ----------------------------------------------------- */

/* Bare names get "@example.org", except postmaster (left alone). */
static const char *
qualify_example(void *ctx, const char *local)
{
	struct buf *b = ctx;

	if (strcmp(local, "postmaster") == 0)
		return NULL;
	buf_reset(b);
	buf_append_str(b, local);
	buf_append_str(b, "@example.org");
	return buf_cstr(b);
}

struct qualify_case {
	const char *in;
	const char *want; /* NULL: unchanged */
};

static const struct qualify_case qualify_cases[] = {
	/* the examples of the design */
	{ "root", "root@example.org" },
	{ "root (Cron Daemon)", "root@example.org (Cron Daemon)" },
	{ "Cron Daemon <root>", "Cron Daemon <root@example.org>" },
	{ "\"Joe\" <joe>, bob@x.y", "\"Joe\" <joe@example.org>, bob@x.y" },
	{ "undisclosed-recipients:;", NULL },
	{ "team: a, b@c;", "team: a@example.org, b@c;" },
	{ "\"quoted name\"", "\"quoted name\"@example.org" },
	/* folded fields keep their folds */
	{ "root,\r\n\tbob (the\r\n boss),\r\n Carol <carol@x.example>",
	  "root@example.org,\r\n\tbob@example.org (the\r\n boss),\r\n "
	  "Carol <carol@x.example>" },
	{ "Cron\n Daemon\n <root>", "Cron\n Daemon\n <root@example.org>" },
	/* comments that look like addresses stay comments */
	{ "admin@x.example (not <root>)", NULL },
	{ "(mail for <root>) root", "(mail for <root>) root@example.org" },
	{ "root (a (nested <root>) comment)",
	  "root@example.org (a (nested <root>) comment)" },
	{ "root(Cron)", "root@example.org(Cron)" },
	/* encoded-word display names */
	{ "=?UTF-8?B?w4lyaWM=?= <eric>", "=?UTF-8?B?w4lyaWM=?= <eric@example.org>" },
	{ "=?UTF-8?Q?Cron_D=C3=A6mon?= <root>, =?ISO-8859-1?Q?Andr=E9?= <andre@x.example>",
	  "=?UTF-8?Q?Cron_D=C3=A6mon?= <root@example.org>, "
	  "=?ISO-8859-1?Q?Andr=E9?= <andre@x.example>" },
	/* groups with bare names */
	{ "ops: root, bob (Bob), <carol>; , dave",
	  "ops: root@example.org, bob@example.org (Bob), <carol@example.org>; , "
	  "dave@example.org" },
	{ "\"My Team\" (x): a;", "\"My Team\" (x): a@example.org;" },
	{ "Team: a, b", "Team: a@example.org, b@example.org" },
	/* quoted local parts without a domain stay quoted */
	{ "\"Joe\" <\"joe smith\">", "\"Joe\" <\"joe smith\"@example.org>" },
	{ "\"a\\\"b\"", "\"a\\\"b\"@example.org" },
	{ "\"john\"", "john@example.org" },
	/* routes */
	{ "<@relay.example,@r2.example:root>",
	  "<@relay.example,@r2.example:root@example.org>" },
	{ "Root <@relay.example: root >", "Root <@relay.example: root@example.org >" },
	/* spacing, names that are not addresses, callers that say no */
	{ "  root  ,  bob  ", "  root@example.org  ,  bob@example.org  " },
	{ "root <admin@x.example>", NULL },
	{ "a@b <root>", "a@b <root@example.org>" },
	{ "Doe, John <john@x>", "Doe@example.org, John <john@x>" },
	{ "postmaster", NULL },
	{ "postmaster, root", "postmaster, root@example.org" },
	{ "müller", "müller@example.org" },
	{ "john . doe", "john.doe@example.org" },
	{ "user@[192.0.2.1], x@y", NULL },
	{ "", NULL },
	{ " (only a comment) ", NULL },
};

/* The addresses of a list with bare names (except postmaster) given
 * "@example.org": what the qualified field must read as. */
static char *
expected_addresses(const char *in, size_t len)
{
	struct addr_list list, mapped;
	struct mf_error err;
	char *s;

	addr_list_init(&list);
	addr_list_init(&mapped);
	err_clear(&err);
	CHECK(addr_list_parse(in, len, &list, &err));
	for (size_t i = 0; i < list.count; i++) {
		const char *a = list.addrs[i];
		struct buf b;

		buf_init(&b, 2 * LIMIT_ADDRESS);
		buf_append_str(&b, a);
		if (a[0] == '"' ? strstr(a + 1, "\"@") == NULL :
				  strchr(a, '@') == NULL)
			if (strcmp(a, "postmaster") != 0)
				buf_append_str(&b, "@example.org");
		addr_list_add(&mapped, b.data, b.len);
		buf_clear(&b);
	}
	s = join(&mapped);
	addr_list_clear(&mapped);
	addr_list_clear(&list);
	return s;
}

static void
test_qualify_table(void)
{
	struct buf cb;

	buf_init(&cb, 2 * LIMIT_ADDRESS);
	for (size_t i = 0; i < sizeof(qualify_cases) / sizeof(qualify_cases[0]);
	     i++) {
		const struct qualify_case *c = &qualify_cases[i];
		const char *want = c->want ? c->want : c->in;
		size_t len = strlen(c->in);
		char *copy = exact_copy(c->in, len);
		struct addr_list again;
		struct mf_error err;
		char *out = NULL, *want_list, *got_list;
		size_t out_len = 0;
		bool changed = true, ok;

		err_clear(&err);
		ok = addr_qualify(len ? copy : NULL, len, qualify_example, &cb,
				  &out, &out_len, &changed, &err);
		if (!ok)
			fprintf(stderr, "qualify %s: %s\n", c->in, err.msg);
		CHECK(ok);
		CHECK_STR(out, want);
		CHECK(out == NULL || out_len == strlen(out));
		CHECK(changed == (c->want != NULL));

		/* It reads as the same list, bare names qualified. */
		want_list = expected_addresses(c->in, len);
		addr_list_init(&again);
		CHECK(out != NULL &&
		      addr_list_parse(out, out_len, &again, &err));
		got_list = join(&again);
		CHECK_STR(got_list, want_list);
		free(got_list);
		free(want_list);
		addr_list_clear(&again);
		free(out);
		free(copy);
	}
	buf_clear(&cb);
}

/* Malformed fields fail exactly as addr_list_parse() fails on them. */
static void
test_qualify_errors(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *err;
	} cases[] = {
		{ "root, \"unterminated", 0,
		  "unterminated quoted string starting at byte 7" },
		{ "root\r\nBcc: evil@x.example", 0,
		  "line break not followed by white space at byte 5" },
		{ "John Doe", 0, "display name without an address at byte 1" },
		{ "root; bob", 0, "';' outside a group at byte 5" },
		{ "root, <bob", 0, "unterminated angle address at byte 7" },
		{ "root (x", 0, "unterminated comment starting at byte 6" },
		{ "ro\0ot", 5, "NUL character at byte 3" },
		{ "<>", 0, "empty address '<>' in a list at byte 1" },
	};
	struct buf cb;

	buf_init(&cb, 2 * LIMIT_ADDRESS);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		char *copy = exact_copy(cases[i].in, len);
		struct addr_list list;
		struct mf_error err, perr;
		char *out = (char *)&cb; /* must become NULL */
		size_t out_len = 1;
		bool changed = true;

		err_clear(&err);
		CHECK(!addr_qualify(copy, len, qualify_example, &cb, &out,
				    &out_len, &changed, &err));
		CHECK(out == NULL && out_len == 0 && !changed);
		CHECK(err.exit_code == EX_DATAERR && err.cls == ERR_PERMANENT);
		CHECK_STR(err.msg, cases[i].err);
		addr_list_init(&list);
		err_clear(&perr);
		CHECK(!addr_list_parse(copy, len, &list, &perr));
		CHECK_STR(err.msg, perr.msg);
		CHECK(err.exit_code == perr.exit_code);
		addr_list_clear(&list);
		free(copy);
	}
	buf_clear(&cb);
}

/* A callback that returns a fixed string (ctx). */
static const char *
qualify_fixed(void *ctx, const char *local)
{
	(void)local;
	return ctx;
}

static void
test_qualify_replacements(void)
{
	static const struct {
		const char *repl;
		const char *err; /* NULL: accepted */
	} cases[] = {
		{ "root@example.org", NULL },
		{ "\"j d\"@example.org", NULL },
		{ "other", NULL },
		{ "x@[192.0.2.1]", NULL },
		{ "x\r\nBcc: evil@x.example",
		  "qualify: 'x\\x0d\\x0aBcc: evil@x.example' is not a valid "
		  "address to replace 'root'" },
		{ "<root@example.org>",
		  "qualify: '<root@example.org>' is not a valid address to "
		  "replace 'root'" },
		{ "", "qualify: '' is not a valid address to replace 'root'" },
		{ "a@b, c@d",
		  "qualify: 'a@b, c@d' is not a valid address to replace 'root'" },
		{ "\"john\"@x",
		  "qualify: '\"john\"@x' is not a valid address to replace "
		  "'root'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mf_error err;
		char *out = NULL;
		size_t out_len;
		bool changed, ok;

		err_clear(&err);
		ok = addr_qualify("Cron <root>", 11, qualify_fixed,
				  (void *)(uintptr_t)cases[i].repl, &out,
				  &out_len, &changed, &err);
		CHECK(ok == (cases[i].err == NULL));
		if (cases[i].err != NULL) {
			CHECK(err.exit_code == EX_CONFIG);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK_STR(err.msg, cases[i].err);
			CHECK(out == NULL);
		} else {
			CHECK(changed);
			CHECK(out != NULL &&
			      strncmp(out, "Cron <", 6) == 0 &&
			      strcmp(out + 6 + strlen(cases[i].repl), ">") == 0);
		}
		free(out);
	}

	/* A replacement equal to what was there is no change. */
	{
		struct mf_error err;
		char *out = NULL;
		size_t out_len;
		bool changed = true;

		err_clear(&err);
		CHECK(addr_qualify("Cron <root>", 11, qualify_fixed,
				   (void *)(uintptr_t)"root", &out, &out_len,
				   &changed, &err));
		CHECK_STR(out, "Cron <root>");
		CHECK(!changed);
		free(out);
	}
}

/* The result is bounded by LIMIT_HEADER_FIELD. */
static void
test_qualify_limit(void)
{
	struct buf in, cb;
	struct mf_error err;
	char *out = NULL;
	size_t out_len;
	bool changed;
	char want[128];

	buf_init(&in, 1u << 26);
	buf_init(&cb, 2 * LIMIT_ADDRESS);
	/* "a, a, ...": 3 bytes each in, 15 out. */
	while (in.len < LIMIT_HEADER_FIELD / 4)
		buf_append_str(&in, "a, ");
	err_clear(&err);
	CHECK(!addr_qualify(in.data, in.len, qualify_example, &cb, &out,
			    &out_len, &changed, &err));
	CHECK(out == NULL);
	CHECK(err.exit_code == EX_DATAERR);
	snprintf(want, sizeof(want),
		 "address field longer than %u bytes after qualification",
		 (unsigned)LIMIT_HEADER_FIELD);
	CHECK_STR(err.msg, want);
	buf_clear(&cb);
	buf_clear(&in);
}

int
main(void)
{
	test_parse_table();
	test_parse_prefixes();
	test_parse_limits();
	test_expand_table();
	test_expand_appends();
	test_expand_limits();
	test_qualify_table();
	test_qualify_errors();
	test_qualify_replacements();
	test_qualify_limit();
	return check_done("aliases_test");
}
