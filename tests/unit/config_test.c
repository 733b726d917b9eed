/* tests/unit/config_test.c: config/ — the msmtprc syntax (comments,
 * quoting, defaults and account inheritance as msmtp does it), exact
 * "FILE:LINE: ..." errors, account selection, default ports, and cfg_load
 * on real files: permissions, missing files, directories.
 *
 * Also: one msmtp-style file that uses every keyword (checked against the
 * keyword table through cfg_account_describe) with every field of every
 * account compared; eval through a test runner and through /bin/sh;
 * cfg_set, cfg_is_keyword, cfg_account_describe, cfg_expand,
 * cfg_select_for, cfg_account_sender; cfg_load_files with a system and a
 * user file (merge, permissions, a system file the user cannot read,
 * which as root is checked in a child running as uid 65534). */
#include "config.h"

#include "check.h"

#include "config/config.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

/* Counted literal: the bytes and their number (NUL bytes included). */
#define S(lit) lit, sizeof(lit) - 1

static const char *
or_dash(const char *s)
{
	return s ? s : "-";
}

/* One account as a line of text, so a whole parse result compares as
 * one string. */
static void
dump_account(struct buf *out, const struct cfg_account *a)
{
	buf_printf(out,
		   "[%s] host=%s port=%u tls=%s starttls=%s trust=%s "
		   "certcheck=%s auth=%s user=%s password=%s from=%s "
		   "domain=%s timeout=%u\n",
		   or_dash(a->name), or_dash(a->host), a->port,
		   a->tls ? "on" : "off", a->tls_starttls ? "on" : "off",
		   or_dash(a->tls_trust_file),
		   a->tls_certcheck ? "on" : "off", or_dash(a->auth),
		   or_dash(a->user), or_dash(a->password), or_dash(a->from),
		   or_dash(a->domain), a->timeout);
}

/* Every account in order, then the defaults section. */
static char *
dump_cfg(const struct cfg *cfg)
{
	struct buf out;

	buf_init(&out, 1u << 20);
	for (size_t i = 0; i < cfg->count; i++)
		dump_account(&out, &cfg->accounts[i]);
	dump_account(&out, &cfg->defaults);
	return buf_steal(&out, NULL);
}

#define DEF "host=- port=0 tls=off starttls=on trust=- certcheck=on " \
	    "auth=- user=- password=- from=- domain=- timeout=60"

static const struct parse_case {
	const char *name;
	const char *text;
	size_t len;
	const char *want; /* dump_cfg() on success */
	const char *error; /* exact message on error (EX_CONFIG) */
} parse_cases[] = {
	{ "empty file", S(""), "[-] " DEF "\n", NULL },
	{ "comments and blank lines",
	  S("# a comment\n   # indented comment\n\t\n\n"
	    "account work\n# host not.this\nhost smtp.example.org\n"
	    "  port 587  \n\tfrom   me@example.org\t\n"),
	  "[work] host=smtp.example.org port=587 tls=off starttls=on "
	  "trust=- certcheck=on auth=- user=- password=- "
	  "from=me@example.org domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },
	{ "quoted arguments with escapes",
	  S("account q\npassword \"a \\\"quoted\\\" pass\\\\word\"\n"
	    "from \"  spaced  \"\nuser \"\"\ndomain \"#not-a-comment\"\n"),
	  "[q] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=a \"quoted\" pass\\word from=  spaced   "
	  "domain=#not-a-comment timeout=60\n[-] " DEF "\n", NULL },
	{ "unquoted arguments keep inner blanks and quotes",
	  S("account u\nuser Me  Myself\npassword ab\"c\\d\n"),
	  "[u] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=Me  Myself password=ab\"c\\d from=- domain=- "
	  "timeout=60\n[-] " DEF "\n", NULL },
	{ "CRLF line endings",
	  S("account w\r\nhost h\r\nport 2525\r\n\r\n# c\r\nuser u"),
	  "[w] host=h port=2525 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=u password=- from=- domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },
	{ "defaults go to accounts defined after them",
	  S("defaults\ntls on\nport 587\naccount a\nhost a.example\n"
	    "account b\nhost b.example\ntls off\n"),
	  "[a] host=a.example port=587 tls=on starttls=on trust=- "
	  "certcheck=on auth=- user=- password=- from=- domain=- "
	  "timeout=60\n"
	  "[b] host=b.example port=587 tls=off starttls=on trust=- "
	  "certcheck=on auth=- user=- password=- from=- domain=- "
	  "timeout=60\n"
	  "[-] host=- port=587 tls=on starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n", NULL },
	{ "later defaults do not change earlier accounts",
	  S("defaults\nport 587\naccount a\nhost a\n"
	    "defaults\nport 2525\nfrom x@y\naccount b\nhost b\n"),
	  "[a] host=a port=587 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[b] host=b port=2525 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=x@y domain=- timeout=60\n"
	  "[-] host=- port=2525 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=x@y domain=- timeout=60\n", NULL },
	{ "parents in order: the later parent wins",
	  S("account base1\nhost h1\nport 1001\nfrom f1\n"
	    "account base2\nhost h2\nuser u2\n"
	    "account c : base1, base2\nauth plain\n"
	    "account d : base2,base1\n"),
	  "[base1] host=h1 port=1001 tls=off starttls=on trust=- "
	  "certcheck=on auth=- user=- password=- from=f1 domain=- "
	  "timeout=60\n"
	  "[base2] host=h2 port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=u2 password=- from=- domain=- timeout=60\n"
	  "[c] host=h2 port=1001 tls=off starttls=on trust=- certcheck=on "
	  "auth=plain user=u2 password=- from=f1 domain=- timeout=60\n"
	  "[d] host=h1 port=1001 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=u2 password=- from=f1 domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },
	{ "own lines override the parents",
	  S("account p\nhost p\nport 1\naccount c:p\nport 2\n"),
	  "[p] host=p port=1 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[c] host=p port=2 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },
	{ "what a parent inherited passes on to its children",
	  S("account g\nhost g\nport 1\naccount p : g\nuser u\n"
	    "account c : p\n"),
	  "[g] host=g port=1 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[p] host=g port=1 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=u password=- from=- domain=- timeout=60\n"
	  "[c] host=g port=1 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=u password=- from=- domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },
	/* msmtp: a new account copies the defaults as they are now, then
	 * only what each parent set itself (or inherited from its own
	 * parents); the defaults a parent copied do not count as set. */
	{ "a parent's copy of older defaults is not inherited",
	  S("defaults\nport 25\ntls off\naccount p\nhost p\n"
	    "defaults\nport 587\ntls on\naccount c : p\n"),
	  "[p] host=p port=25 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[c] host=p port=587 tls=on starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[-] host=- port=587 tls=on starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n", NULL },
	{ "a parent's own setting does override newer defaults",
	  S("defaults\nport 25\naccount p\nport 26\n"
	    "defaults\nport 587\naccount c : p\n"),
	  "[p] host=- port=26 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[c] host=- port=26 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[-] host=- port=587 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n", NULL },
	{ "account default : x",
	  S("account work\nhost w\naccount default : work\nfrom d@x\n"),
	  "[work] host=w port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[default] host=w port=0 tls=off starttls=on trust=- "
	  "certcheck=on auth=- user=- password=- from=d@x domain=- "
	  "timeout=60\n"
	  "[-] " DEF "\n", NULL },
	{ "booleans: on, off, empty means on",
	  S("account b\ntls\ntls_starttls off\ntls_certcheck off\n"
	    "account c\ntls on\ntls_starttls\ntls_certcheck on\n"),
	  "[b] host=- port=0 tls=on starttls=off trust=- certcheck=off "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[c] host=- port=0 tls=on starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },
	{ "port range ends, timeout off and number",
	  S("account a\nport 1\ntimeout off\naccount b\nport 65535\n"
	    "timeout 30\naccount c\ntimeout 86400\n"),
	  "[a] host=- port=1 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=0\n"
	  "[b] host=- port=65535 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=30\n"
	  "[c] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=86400\n"
	  "[-] " DEF "\n", NULL },
	{ "auth values",
	  S("account a\nauth\naccount b\nauth off\naccount c\nauth plain\n"
	    "account d\nauth login\naccount e\nauth scram-sha-1\n"
	    "account f\nauth scram-sha-256\naccount g\nauth on\n"),
	  "[a] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=on user=- password=- from=- domain=- timeout=60\n"
	  "[b] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=off user=- password=- from=- domain=- timeout=60\n"
	  "[c] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=plain user=- password=- from=- domain=- timeout=60\n"
	  "[d] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=login user=- password=- from=- domain=- timeout=60\n"
	  "[e] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=scram-sha-1 user=- password=- from=- domain=- timeout=60\n"
	  "[f] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=scram-sha-256 user=- password=- from=- domain=- "
	  "timeout=60\n"
	  "[g] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=on user=- password=- from=- domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },
	{ "trust file: empty means the system store",
	  S("defaults\ntls_trust_file /etc/ca.pem\naccount a\n"
	    "account b\ntls_trust_file\naccount c\ntls_trust_file system\n"),
	  "[a] host=- port=0 tls=off starttls=on trust=/etc/ca.pem "
	  "certcheck=on auth=- user=- password=- from=- domain=- "
	  "timeout=60\n"
	  "[b] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[c] host=- port=0 tls=off starttls=on trust=system "
	  "certcheck=on auth=- user=- password=- from=- domain=- "
	  "timeout=60\n"
	  "[-] host=- port=0 tls=off starttls=on trust=/etc/ca.pem "
	  "certcheck=on auth=- user=- password=- from=- domain=- "
	  "timeout=60\n", NULL },
	{ "a later line replaces an earlier one",
	  S("account a\nhost one\nhost two\npassword p1\npassword p2\n"),
	  "[a] host=two port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=p2 from=- domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },
	{ "blanks around the parent list",
	  S("account a\nhost a\naccount b\nuser b\n"
	    "account c   :   a ,  b  \n"),
	  "[a] host=a port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=- password=- from=- domain=- timeout=60\n"
	  "[b] host=- port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=b password=- from=- domain=- timeout=60\n"
	  "[c] host=a port=0 tls=off starttls=on trust=- certcheck=on "
	  "auth=- user=b password=- from=- domain=- timeout=60\n"
	  "[-] " DEF "\n", NULL },

	/* --- errors: exact "FILE:LINE: ..." and EX_CONFIG */
	{ "unknown keyword", S("account a\n\n# x\nbogus value\n"), NULL,
	  "test.conf:4: unknown keyword 'bogus'" },
	{ "a mistyped password line never echoes the secret",
	  S("password\"hunter2\"\n"), NULL,
	  "test.conf:1: unknown keyword 'password...'" },
	{ "a keyword of old versions that is unsafe",
	  S("account a\ntls_force_sslv3 on\n"), NULL,
	  "test.conf:2: keyword 'tls_force_sslv3' is no longer supported "
	  "(an insecure protocol)" },
	{ "eval without a runner", S("account a\neval echo host h\n"),
	  NULL, "test.conf:2: eval is not allowed here" },
	{ "port 0", S("account a\nhost h\nport 0\n"), NULL,
	  "test.conf:3: port: '0' is not a number from 1 to 65535" },
	{ "port 65536", S("port 65536\n"), NULL,
	  "test.conf:1: port: '65536' is not a number from 1 to 65535" },
	{ "port with garbage", S("port 25x\n"), NULL,
	  "test.conf:1: port: '25x' is not a number from 1 to 65535" },
	{ "port negative", S("port -1\n"), NULL,
	  "test.conf:1: port: '-1' is not a number from 1 to 65535" },
	{ "port hex", S("port 0x19\n"), NULL,
	  "test.conf:1: port: '0x19' is not a number from 1 to 65535" },
	{ "port empty", S("port\n"), NULL,
	  "test.conf:1: port needs a value" },
	{ "port huge", S("port 99999999999999999999999\n"), NULL,
	  "test.conf:1: port: '99999999999999999999999' is not a number "
	  "from 1 to 65535" },
	{ "timeout 0", S("timeout 0\n"), NULL,
	  "test.conf:1: timeout: '0' is not 'off' or a number of seconds "
	  "from 1 to 86400" },
	{ "timeout empty", S("timeout\n"), NULL,
	  "test.conf:1: timeout: '' is not 'off' or a number of seconds "
	  "from 1 to 86400" },
	{ "bad boolean", S("tls maybe\n"), NULL,
	  "test.conf:1: tls: 'maybe' is not 'on' or 'off'" },
	{ "boolean is case-sensitive", S("tls_starttls ON\n"), NULL,
	  "test.conf:1: tls_starttls: 'ON' is not 'on' or 'off'" },
	{ "bad auth", S("auth sha1\n"), NULL,
	  "test.conf:1: auth: 'sha1' is not 'on', 'off' or a method (plain, "
	  "login, scram-sha-1, scram-sha-256, oauthbearer, xoauth2, ...)" },
	{ "host needs a value", S("account a\nhost\n"), NULL,
	  "test.conf:2: host needs a value" },
	{ "domain needs a value", S("domain \"\"\n"), NULL,
	  "test.conf:1: domain needs a value" },
	{ "unknown parent", S("account a : nope\n"), NULL,
	  "test.conf:1: account 'a' inherits from unknown account 'nope'" },
	{ "parent defined later", S("account a : b\naccount b\n"), NULL,
	  "test.conf:1: account 'a' inherits from unknown account 'b'" },
	{ "second parent unknown", S("account a\naccount b : a, c\n"), NULL,
	  "test.conf:2: account 'b' inherits from unknown account 'c'" },
	{ "itself as parent", S("account a : a\n"), NULL,
	  "test.conf:1: account 'a' inherits from unknown account 'a'" },
	{ "duplicate account", S("account a\nhost x\naccount a\n"), NULL,
	  "test.conf:3: account 'a' is defined twice" },
	{ "account without a name", S("account\n"), NULL,
	  "test.conf:1: account needs a name" },
	{ "account with only parents", S("account a\naccount : a\n"), NULL,
	  "test.conf:2: account needs a name" },
	{ "account name with a blank", S("account a b\n"), NULL,
	  "test.conf:1: account name 'a b' contains a blank, ',' or ':'" },
	{ "account name with a comma", S("account a,b\n"), NULL,
	  "test.conf:1: account name 'a,b' contains a blank, ',' or ':'" },
	{ "defaults with an argument", S("defaults x\n"), NULL,
	  "test.conf:1: defaults takes no argument" },
	{ "unterminated quote", S("account a\npassword \"abc\n"), NULL,
	  "test.conf:2: unterminated quoted argument" },
	{ "escaped closing quote", S("password \"abc\\\"\n"), NULL,
	  "test.conf:1: unterminated quoted argument" },
	{ "text after the closing quote", S("from \"a\" b\n"), NULL,
	  "test.conf:1: text after the closing quote" },
	{ "NUL byte", S("account a\nhost a\0b\n"), NULL,
	  "test.conf:2: NUL byte in line" },
	{ "NUL byte in a comment", S("# \0\n"), NULL,
	  "test.conf:1: NUL byte in line" },
	{ "control character", S("account a\nhost a\x01" "b\n"), NULL,
	  "test.conf:2: control character in line" },
	{ "CR inside a line", S("host a\rb\n"), NULL,
	  "test.conf:1: control character in line" },
	{ "CR CR LF", S("host a\r\r\n"), NULL,
	  "test.conf:1: control character in line" },
	{ "error after CRLF lines counts lines",
	  S("account a\r\n\r\n# c\r\nbogus\r\n"), NULL,
	  "test.conf:4: unknown keyword 'bogus'" },
};

static void
test_parse_table(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		int before = check_failures;
		struct cfg cfg;
		struct mf_error err;
		bool ok;

		cfg_init(&cfg);
		err_clear(&err);
		ok = cfg_parse(c->text, c->len, "test.conf", &cfg, &err);
		CHECK(ok == (c->error == NULL));
		if (ok) {
			char *got = dump_cfg(&cfg);
			CHECK_STR(got, c->want);
			free(got);
			CHECK(!err_isset(&err));
		} else {
			CHECK(err.exit_code == EX_CONFIG);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK_STR(err.msg, c->error ? c->error : "");
		}
		CHECK_STR(cfg.file, "test.conf");
		cfg_clear(&cfg);
		CHECK(cfg.count == 0 && cfg.accounts == NULL &&
		      cfg.file == NULL);
		if (check_failures != before)
			fprintf(stderr, "  ^ in parse case %zu: %s\n", i,
				c->name);
	}
}

static void
test_parse_misc(void)
{
	struct cfg cfg;
	struct mf_error err;

	/* has_password: any password line, anywhere */
	cfg_init(&cfg);
	CHECK(cfg_parse(S("account a\nhost h\n"), "f", &cfg, &err));
	CHECK(!cfg.has_password);
	cfg_clear(&cfg);
	cfg_init(&cfg);
	CHECK(cfg_parse(S("defaults\npassword x\n"), "f", &cfg, &err));
	CHECK(cfg.has_password);
	cfg_clear(&cfg);

	/* a secret never appears in an error message */
	cfg_init(&cfg);
	CHECK(!cfg_parse(S("password \"s3cret\n"), "f", &cfg, &err));
	CHECK(strstr(err.msg, "s3cret") == NULL);
	cfg_clear(&cfg);
	cfg_init(&cfg);
	CHECK(!cfg_parse(S("password \"s3cret\" x\n"), "f", &cfg, &err));
	CHECK(strstr(err.msg, "s3cret") == NULL);
	cfg_clear(&cfg);

	/* the file name is escaped in messages */
	cfg_init(&cfg);
	CHECK(!cfg_parse(S("bogus\n"), "dir\n/f\xc3\xa9", &cfg, &err));
	CHECK_STR(err.msg, "dir\\x0a/f\\xc3\\xa9:1: unknown keyword 'bogus'");
	cfg_clear(&cfg);

	/* a line at the limit is fine, one byte more is refused */
	{
		size_t n = LIMIT_CONFIG_LINE + 1;
		char *text = xmalloc(n + 2);
		char want[128];

		memcpy(text, "from ", 5);
		memset(text + 5, 'f', LIMIT_CONFIG_LINE - 5);
		text[LIMIT_CONFIG_LINE] = '\n';
		cfg_init(&cfg);
		CHECK(cfg_parse(text, LIMIT_CONFIG_LINE + 1, "f", &cfg, &err));
		CHECK(cfg.defaults.from != NULL &&
		      strlen(cfg.defaults.from) == LIMIT_CONFIG_LINE - 5);
		cfg_clear(&cfg);
		/* with CRLF the CR does not count */
		text[LIMIT_CONFIG_LINE] = '\r';
		text[LIMIT_CONFIG_LINE + 1] = '\n';
		cfg_init(&cfg);
		CHECK(cfg_parse(text, LIMIT_CONFIG_LINE + 2, "f", &cfg, &err));
		cfg_clear(&cfg);
		text[LIMIT_CONFIG_LINE] = 'f';
		text[LIMIT_CONFIG_LINE + 1] = '\n';
		cfg_init(&cfg);
		CHECK(!cfg_parse(text, n + 1, "f", &cfg, &err));
		snprintf(want, sizeof(want), "f:1: line longer than %u bytes",
			 (unsigned)LIMIT_CONFIG_LINE);
		CHECK_STR(err.msg, want);
		CHECK(err.exit_code == EX_CONFIG);
		cfg_clear(&cfg);
		free(text);
	}

	/* many accounts, each inheriting from the one before */
	{
		struct buf text;

		buf_init(&text, 1u << 20);
		buf_append_str(&text, "account a0\nhost h0\n");
		for (int k = 1; k < 500; k++)
			buf_printf(&text, "account a%d : a%d\nport %d\n", k,
				   k - 1, k);
		cfg_init(&cfg);
		CHECK(cfg_parse(text.data, text.len, "f", &cfg, &err));
		CHECK(cfg.count == 500);
		CHECK_STR(cfg.accounts[499].host, "h0");
		CHECK(cfg.accounts[499].port == 499);
		CHECK(cfg.accounts[499].line == 2 * 499 + 1);
		cfg_clear(&cfg);
		buf_clear(&text);
	}
}

/* ------------------------------------------------------------ select */

static const struct {
	const char *text;
	const char *name;       /* -a, or NULL */
	const char *want;       /* the account's name ("-": defaults) */
	const char *want_host;
	const char *error;
} select_cases[] = {
	{ "account a\nhost ha\naccount default\nhost hd\n", "a", "a", "ha",
	  NULL },
	{ "account a\nhost ha\naccount default\nhost hd\n", NULL, "default",
	  "hd", NULL },
	{ "account a\nhost ha\naccount default : a\n", NULL, "default", "ha",
	  NULL },
	/* no "default" account: the defaults section, if it names a host */
	{ "defaults\nhost hdef\naccount a\nhost ha\n", NULL, "-", "hdef",
	  NULL },
	/* -a never falls back */
	{ "defaults\nhost hdef\n", "x", NULL, NULL,
	  "test.conf: no account 'x'" },
	{ "defaults\nhost hdef\n", "default", NULL, NULL,
	  "test.conf: no account 'default'" },
	{ "account a\nhost ha\n", NULL, NULL, NULL,
	  "test.conf: no account 'default' and no host in the defaults "
	  "(use -a ACCOUNT)" },
	{ "", NULL, NULL, NULL,
	  "test.conf: no account 'default' and no host in the defaults "
	  "(use -a ACCOUNT)" },
	/* account names are case-sensitive */
	{ "account Work\nhost w\n", "work", NULL, NULL,
	  "test.conf: no account 'work'" },
};

static void
test_select(void)
{
	for (size_t i = 0; i < sizeof(select_cases) / sizeof(select_cases[0]);
	     i++) {
		int before = check_failures;
		const struct cfg_account *a;
		struct cfg cfg;
		struct mf_error err;

		cfg_init(&cfg);
		err_clear(&err);
		CHECK(cfg_parse(select_cases[i].text,
				strlen(select_cases[i].text), "test.conf",
				&cfg, &err));
		a = cfg_select(&cfg, select_cases[i].name, &err);
		if (select_cases[i].error == NULL) {
			CHECK(a != NULL);
			if (a) {
				CHECK_STR(or_dash(a->name),
					  select_cases[i].want);
				CHECK_STR(a->host, select_cases[i].want_host);
				if (a->name == NULL)
					CHECK(a == &cfg.defaults);
			}
			CHECK(!err_isset(&err));
		} else {
			CHECK(a == NULL);
			CHECK(err.exit_code == EX_CONFIG);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK_STR(err.msg, select_cases[i].error);
		}
		cfg_clear(&cfg);
		if (check_failures != before)
			fprintf(stderr, "  ^ in select case %zu\n", i);
	}
}

static const struct {
	const char *text;
	unsigned port;
} port_cases[] = {
	{ "host h\n", 25 },
	{ "tls on\n", 25 },
	{ "tls on\ntls_starttls on\n", 25 },
	{ "tls on\ntls_starttls off\n", 465 },
	{ "tls off\ntls_starttls off\n", 25 },
	{ "tls on\ntls_starttls off\nport 587\n", 587 },
	{ "port 2525\n", 2525 },
};

static void
test_account_port(void)
{
	for (size_t i = 0; i < sizeof(port_cases) / sizeof(port_cases[0]);
	     i++) {
		int before = check_failures;
		struct cfg cfg;
		struct mf_error err;

		cfg_init(&cfg);
		CHECK(cfg_parse(port_cases[i].text, strlen(port_cases[i].text),
				"f", &cfg, &err));
		CHECK(cfg_account_port(&cfg.defaults) == port_cases[i].port);
		cfg_clear(&cfg);
		if (check_failures != before)
			fprintf(stderr, "  ^ in port case %zu\n", i);
	}
}

/* ------------------------------------------------------------ load */

static char tmpdir[4096];

static void
write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    fchmod(fd, mode) != 0 || close(fd) != 0) {
		perror(path);
		exit(99);
	}
}

static const struct {
	const char *text;
	mode_t mode;
	bool system_file;
	int exit_code;
	const char *fragment; /* in the message on error */
} load_cases[] = {
	{ "account a\nhost h\npassword pw\n", 0600, false, EX_OK, NULL },
	{ "account a\nhost h\npassword pw\n", 0400, false, EX_OK, NULL },
	{ "account a\nhost h\npassword pw\n", 0644, false, EX_CONFIG,
	  "can be read by group or others (chmod 600 " },
	{ "account a\nhost h\npassword pw\n", 0640, false, EX_CONFIG,
	  "chmod 600" },
	{ "account a\nhost h\npassword pw\n", 0604, false, EX_CONFIG,
	  "chmod 600" },
	{ "account a\nhost h\npassword pw\n", 0620, false, EX_CONFIG,
	  "chmod 600" },
	/* without a password the mode does not matter */
	{ "account a\nhost h\n", 0644, false, EX_OK, NULL },
	/* the system file may be group-readable (root:mailferry 0640) */
	{ "account a\nhost h\npassword pw\n", 0640, true, EX_OK, NULL },
	{ "account a\nhost h\npassword pw\n", 0600, true, EX_OK, NULL },
	{ "account a\nhost h\npassword pw\n", 0644, true, EX_CONFIG,
	  "can be read by others (chmod 640 " },
	{ "account a\nhost h\n", 0644, true, EX_OK, NULL },
	/* a syntax error names the path and line */
	{ "account a\nbogus\n", 0600, false, EX_CONFIG,
	  ":2: unknown keyword 'bogus'" },
	{ "", 0600, false, EX_OK, NULL },
};

static void
test_load(void)
{
	char path[4200];
	struct cfg cfg;
	struct mf_error err;

	snprintf(path, sizeof(path), "%s/rc", tmpdir);
	for (size_t i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]);
	     i++) {
		int before = check_failures;
		bool ok;

		write_file(path, load_cases[i].text,
			   strlen(load_cases[i].text), load_cases[i].mode);
		cfg_init(&cfg);
		err_clear(&err);
		ok = cfg_load(path, load_cases[i].system_file, &cfg, &err);
		CHECK(ok == (load_cases[i].exit_code == EX_OK));
		if (ok) {
			CHECK(!err_isset(&err));
			CHECK_STR(cfg.file, path);
		} else {
			CHECK(err.exit_code == load_cases[i].exit_code);
			CHECK(strstr(err.msg, load_cases[i].fragment) != NULL);
			CHECK(strncmp(err.msg, path, strlen(path)) == 0);
			if (strstr(err.msg, load_cases[i].fragment) == NULL)
				fprintf(stderr, "  message: %s\n", err.msg);
			/* the password is not in the message */
			CHECK(strstr(err.msg, "pw\\") == NULL);
		}
		cfg_clear(&cfg);
		unlink(path);
		if (check_failures != before)
			fprintf(stderr, "  ^ in load case %zu\n", i);
	}

	/* the message on a group-readable file, exactly */
	{
		char want[8500];

		write_file(path, S("password pw\n"), 0644);
		cfg_init(&cfg);
		CHECK(!cfg_load(path, false, &cfg, &err));
		snprintf(want, sizeof(want),
			 "%s: contains a password but can be read by group or "
			 "others (chmod 600 %s)", path, path);
		CHECK_STR(err.msg, want);
		CHECK(err.cls == ERR_PERMANENT);
		cfg_clear(&cfg);
		unlink(path);
	}

	/* a missing file */
	cfg_init(&cfg);
	CHECK(!cfg_load(path, false, &cfg, &err));
	CHECK(err.exit_code == EX_NOINPUT);
	CHECK(strncmp(err.msg, path, strlen(path)) == 0);
	cfg_clear(&cfg);

	/* a directory */
	cfg_init(&cfg);
	CHECK(!cfg_load(tmpdir, false, &cfg, &err));
	CHECK(err.exit_code == EX_CONFIG);
	CHECK(strstr(err.msg, "not a regular file") != NULL);
	cfg_clear(&cfg);

	/* a file larger than LIMIT_CONFIG_FILE */
	{
		size_t n = LIMIT_CONFIG_FILE + 1;
		char *big = xmalloc(n);

		memset(big, '#', n);
		write_file(path, big, n, 0600);
		cfg_init(&cfg);
		CHECK(!cfg_load(path, false, &cfg, &err));
		CHECK(err.exit_code == EX_CONFIG);
		CHECK(strstr(err.msg, "larger than") != NULL);
		cfg_clear(&cfg);
		unlink(path);
		free(big);
	}

	/* CRLF file, loaded and selected */
	{
		const struct cfg_account *a;

		write_file(path, S("account default\r\nhost h\r\nport 587\r\n"),
			   0600);
		cfg_init(&cfg);
		CHECK(cfg_load(path, false, &cfg, &err));
		a = cfg_select(&cfg, NULL, &err);
		CHECK(a != NULL && a->port == 587 && strcmp(a->host, "h") == 0);
		cfg_clear(&cfg);
		unlink(path);
	}
}


/* Header repair, delivery and queue keywords: values and messages. */
static void
test_choice_keywords(void)
{
	static const struct {
		const char *text;
		const char *error; /* NULL: parses */
	} cases[] = {
		{ "set_from_header on\n", NULL },
		{ "set_date_header on\n",
		  "t:1: set_date_header: 'on' is not one of auto, off" },
		{ "delivery sometimes\n",
		  "t:1: delivery: 'sometimes' is not one of direct, queue" },
		{ "queue_lifetime 0\n",
		  "t:1: queue_lifetime: '0' is not a duration (a number of "
		  "seconds, or with s, m, h or d)" },
		{ "queue_lifetime 3w\n",
		  "t:1: queue_lifetime: '3w' is not a duration (a number of "
		  "seconds, or with s, m, h or d)" },
		{ "queue_lifetime 366d\n",
		  "t:1: queue_lifetime: '366d' is not a duration (a number of "
		  "seconds, or with s, m, h or d)" },
	};
	struct cfg cfg;
	struct mf_error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok;
		cfg_init(&cfg);
		ok = cfg_parse(cases[i].text, strlen(cases[i].text), "t", &cfg,
			       &err);
		CHECK(ok == (cases[i].error == NULL));
		if (!ok && cases[i].error)
			CHECK_STR(err.msg, cases[i].error);
		cfg_clear(&cfg);
	}

	cfg_init(&cfg);
	CHECK(cfg_parse(S("account a\ndelivery queue\nqueue_dir /q\n"
			  "queue_lifetime 4h\nset_from_header on\n"
			  "set_msgid_header off\n"
			  "account b : a\nqueue_dir\nqueue_lifetime 90\n"),
			"t", &cfg, &err));
	CHECK(cfg.count == 2);
	CHECK(cfg.accounts[0].delivery == CFG_DELIVERY_QUEUE);
	CHECK_STR(cfg.accounts[0].queue_dir, "/q");
	CHECK(cfg.accounts[0].queue_lifetime == 4 * 3600);
	CHECK(cfg.accounts[0].set_from_header == CFG_REPAIR_ON);
	CHECK(cfg.accounts[0].set_msgid_header == CFG_REPAIR_OFF);
	CHECK(cfg.accounts[0].set_date_header == CFG_REPAIR_AUTO);
	/* inherited, then overridden: an empty queue_dir unsets it */
	CHECK(cfg.accounts[1].delivery == CFG_DELIVERY_QUEUE);
	CHECK(cfg.accounts[1].queue_dir == NULL);
	CHECK(cfg.accounts[1].queue_lifetime == 90);
	/* defaults */
	CHECK(cfg.defaults.delivery == CFG_DELIVERY_DIRECT);
	CHECK(cfg.defaults.queue_lifetime == 5 * 86400);
	CHECK(cfg.defaults.remove_bcc_headers && cfg.defaults.encode_headers);
	cfg_clear(&cfg);
}

/* ------------------------------------------------------------ full file */

/* Every field of an account, by keyword name, in the order of the keyword
 * table, grouped one line per topic. Strings are quoted ("-": NULL), so
 * an empty string and no value differ. The test of cfg_account_describe
 * below checks that the table still has DUMP_KEYWORDS keywords, so a new
 * keyword cannot be added without extending this dump. */
#define DUMP_KEYWORDS 52

static void
put_str(struct buf *out, const char *key, const char *v)
{
	if (v)
		buf_printf(out, " %s=\"%s\"", key, v);
	else
		buf_printf(out, " %s=-", key);
}

static void
put_bool(struct buf *out, const char *key, bool v)
{
	buf_printf(out, " %s=%s", key, v ? "on" : "off");
}

static void
put_uint(struct buf *out, const char *key, unsigned v)
{
	buf_printf(out, " %s=%u", key, v);
}

/* An enum value by its word (words[v]), or "?N". */
static void
put_word(struct buf *out, const char *key, unsigned v,
	 const char *const words[], size_t n)
{
	if (v < n)
		buf_printf(out, " %s=%s", key, words[v]);
	else
		buf_printf(out, " %s=?%u", key, v);
}

#define WORDS(w) w, sizeof(w) / sizeof(w[0])

static char *
dump_full(const struct cfg_account *a)
{
	static const char *const protocols[] = { "smtp", "lmtp" };
	static const char *const dsn_returns[] = { "off", "headers", "full" };
	static const char *const repairs[] = { "auto", "on", "off" };
	static const char *const deliveries[] = { "direct", "queue" };
	struct buf out;

	/* the enum values the word tables assume */
	CHECK(CFG_PROTOCOL_LMTP == 1 && CFG_DSN_RETURN_FULL == 2 &&
	      CFG_REPAIR_ON == 1 && CFG_REPAIR_OFF == 2 &&
	      CFG_DELIVERY_QUEUE == 1);
	buf_init(&out, 1u << 20);
	buf_printf(&out, "[%s] line %u\n", or_dash(a->name), a->line);
	buf_append_str(&out, " connection:");
	put_str(&out, "host", a->host);
	put_uint(&out, "port", a->port);
	put_str(&out, "source_ip", a->source_ip);
	put_str(&out, "proxy_host", a->proxy_host);
	put_uint(&out, "proxy_port", a->proxy_port);
	put_str(&out, "socket", a->socket);
	put_uint(&out, "timeout", a->timeout);
	put_word(&out, "protocol", a->protocol, WORDS(protocols));
	put_str(&out, "domain", a->domain);
	buf_append_str(&out, "\n tls:");
	put_bool(&out, "tls", a->tls);
	put_bool(&out, "tls_starttls", a->tls_starttls);
	put_str(&out, "tls_trust_file", a->tls_trust_file);
	put_str(&out, "tls_crl_file", a->tls_crl_file);
	put_str(&out, "tls_fingerprint", a->tls_fingerprint);
	put_str(&out, "tls_key_file", a->tls_key_file);
	put_str(&out, "tls_cert_file", a->tls_cert_file);
	put_bool(&out, "tls_certcheck", a->tls_certcheck);
	put_str(&out, "tls_priorities", a->tls_priorities);
	put_str(&out, "tls_host_override", a->tls_host_override);
	put_uint(&out, "tls_min_dh_prime_bits", a->tls_min_dh_prime_bits);
	buf_append_str(&out, "\n auth:");
	put_str(&out, "auth", a->auth);
	put_str(&out, "user", a->user);
	put_str(&out, "password", a->password);
	put_str(&out, "passwordeval", a->passwordeval);
	put_str(&out, "ntlmdomain", a->ntlmdomain);
	buf_append_str(&out, "\n envelope:");
	put_str(&out, "from", a->from);
	put_str(&out, "from_full_name", a->from_full_name);
	put_bool(&out, "allow_from_override", a->allow_from_override);
	put_bool(&out, "auto_from", a->auto_from);
	put_str(&out, "maildomain", a->maildomain);
	put_str(&out, "aliases", a->aliases);
	put_str(&out, "dsn_notify", a->dsn_notify);
	put_word(&out, "dsn_return", a->dsn_return, WORDS(dsn_returns));
	buf_append_str(&out, "\n headers:");
	put_word(&out, "set_from_header", a->set_from_header, WORDS(repairs));
	put_word(&out, "set_date_header", a->set_date_header, WORDS(repairs));
	put_word(&out, "set_msgid_header", a->set_msgid_header,
		 WORDS(repairs));
	put_word(&out, "set_to_header", a->set_to_header, WORDS(repairs));
	put_bool(&out, "remove_bcc_headers", a->remove_bcc_headers);
	put_bool(&out, "undisclosed_recipients", a->undisclosed_recipients);
	put_bool(&out, "encode_headers", a->encode_headers);
	put_bool(&out, "from_reply_to", a->from_reply_to);
	buf_append_str(&out, "\n log:");
	put_str(&out, "logfile", a->logfile);
	put_str(&out, "logfile_time_format", a->logfile_time_format);
	put_str(&out, "syslog", a->syslog);
	buf_append_str(&out, "\n queue:");
	put_word(&out, "delivery", a->delivery, WORDS(deliveries));
	put_str(&out, "queue_dir", a->queue_dir);
	put_str(&out, "fallback", a->fallback);
	put_uint(&out, "queue_lifetime", a->queue_lifetime);
	put_uint(&out, "delay_warning", a->delay_warning);
	buf_printf(&out,
		   " rate_limit=%u/%u\n more: auth_cleartext=%s chunking=%s\n",
		   a->rate_limit.count, a->rate_limit.period,
		   a->auth_cleartext ? "on" : "off",
		   a->chunking ? "on" : "off");
	return buf_steal(&out, NULL);
}

/* The defaults of a fresh account, as msmtp documents them (and
 * mailferry's own: direct delivery, 5 days in the queue, a delay notice
 * after 4 hours as Postfix's delay_warning_time, no rate limit). */
static const char fresh_dump[] =
	"[-] line 0\n"
	" connection: host=- port=0 source_ip=- proxy_host=- proxy_port=0 "
	"socket=- timeout=60 protocol=smtp domain=-\n"
	" tls: tls=off tls_starttls=on tls_trust_file=- tls_crl_file=- "
	"tls_fingerprint=- tls_key_file=- tls_cert_file=- tls_certcheck=on "
	"tls_priorities=- tls_host_override=- tls_min_dh_prime_bits=0\n"
	" auth: auth=- user=- password=- passwordeval=- ntlmdomain=-\n"
	" envelope: from=- from_full_name=- allow_from_override=on "
	"auto_from=off maildomain=- aliases=- dsn_notify=- dsn_return=off\n"
	" headers: set_from_header=auto set_date_header=auto "
	"set_msgid_header=auto set_to_header=off remove_bcc_headers=on "
	"undisclosed_recipients=off encode_headers=on from_reply_to=off\n"
	" log: logfile=- logfile_time_format=- syslog=-\n"
	" queue: delivery=direct queue_dir=- fallback=- "
	"queue_lifetime=432000 delay_warning=14400 rate_limit=0/0\n"
	" more: auth_cleartext=off chunking=off\n";

/* The eval runner of the tests: fixed output lines by command, and a
 * record of every command it was given. */
static bool
test_eval(void *ctx, const char *cmd, char **line, struct mf_error *err)
{
	static const struct {
		const char *cmd;
		const char *line;
	} outputs[] = {
		{ "cmd-host", "host smtp.eval.example" },
		{ "cmd-pass", "password \"ev \\\"al\\\"\"" },
		{ "cmd-empty", "" },
		{ "cmd-comment", "   # nothing here" },
		{ "cmd-aliases", "\taliases ~/eval-aliases  " },
		{ "cmd-account", "account fromeval : corp" },
		{ "cmd-eval", "eval cmd-host" },
		{ "cmd-ctl", "host a\x1b[1mb" },
		{ "cmd-quote", "host \"h" },
		{ "cmd-typo", "hots h" },
		{ "cmd-defaults", "defaults now" },
		{ "cmd-port", "port 0" },
	};
	struct buf *log = ctx;

	if (log)
		buf_printf(log, "%s|", cmd);
	if (strcmp(cmd, "cmd-long") == 0) {
		/* one byte more than a line may hold */
		char *l = xmalloc(LIMIT_CONFIG_LINE + 2);
		memcpy(l, "host ", 5);
		memset(l + 5, 'a', LIMIT_CONFIG_LINE - 4);
		l[LIMIT_CONFIG_LINE + 1] = '\0';
		*line = l;
		return true;
	}
	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		if (strcmp(cmd, outputs[i].cmd) == 0) {
			*line = xstrdup(outputs[i].line);
			return true;
		}
	}
	err_set(err, EX_CONFIG, ERR_PERMANENT,
		"command '%s' failed with exit status 1", cmd);
	return false;
}

#define HOME "/home/joe"

/* A user's file in the style of msmtp's documentation that uses every
 * keyword (and the four older spellings). Line numbers are on the
 * right where an account starts. */
static const char full_rc[] =
	"# Example for a user configuration file ~/.mailferryrc\n"
	"# (msmtp's syntax; every keyword mailferry knows is used).\n"
	"\n"
	"# what every account below starts from\n"
	"defaults\n"                                              /* 5 */
	"\n"
	"# the submission port\n"
	"port 587\n"
	"\n"
	"# TLS for every account\n"                                     /* 10 */
	"tls on\n"
	"tls_starttls on\n"
	"tls_trust_file ~/certs/ca.pem\n"
	"timeout 30\n"
	"domain laptop.example.org\n"                             /* 15 */
	"\n"
	"# a log line per message, in a file and in syslog\n"
	"logfile ~/.mailferry.log\n"
	"logfile_time_format \"%Y-%m-%d %H:%M:%S\"\n"
	"syslog LOG_MAIL\n"                                       /* 20 */
	"set_msgid_header auto\n"
	"encode_headers on\n"
	"queue_dir ~/.local/state/mailferry/queue\n"
	"queue_lifetime 3d\n"
	"delay_warning 4h\n"                                      /* 25 */
	"\n"
	"# first provider\n"
	"account freemail\n"                                      /* 28 */
	"host smtp.freemail.example\n"
	"from joe_smith@freemail.example\n"                       /* 30 */
	"from_full_name \"Joe \\\"JJ\\\" Smith\"\n"
	"auth on\n"
	"user joe.smith\n"
	"passwordeval gpg --no-tty -q -d ~/.msmtp-password.gpg\n"
	"dsn_notify failure,delay\n"                              /* 35 */
	"dsn_return headers\n"
	"fallback isp\n"
	"# another address at the first provider\n"
	"account freemail2 : freemail\n"                          /* 39 */
	"from joey@freemail.example\n"                            /* 40 */
	"   # the spellings of older msmtp versions\n"
	"add_missing_from_header off\n"
	"add_missing_date_header\n"
	"\n"
	"# second provider, implicit TLS\n"
	"account isp\n"                                           /* 46 */
	"host mail.isp.example\n"
	"port 465\n"
	"tls_starttls off\n"
	"tls_fingerprint 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF\n"       /* 50 */
	"tls_host_override mx.isp.example\n"
	"tls_priorities \"NORMAL:-VERS-TLS1.0:-VERS-TLS1.1\"\n"
	"tls_min_dh_prime_bits 2048\n"
	"tls_crl_file ~/certs/isp.crl\n"
	"auth scram-sha-256\n"                                    /* 55 */
	"user \"smith joe\"\n"
	"password \"s3cr\\\"et\\\\pa ss\"\n"
	"from %U@isp.example\n"
	"allow_from_override off\n"
	"set_from_header on\n"                                    /* 60 */
	"from_reply_to on\n"
	"set_date_header off\n"
	"undisclosed_recipients on\n"
	"source_ip 192.0.2.10\n"
	"rate_limit 100/hour\n"                                   /* 65 */
	"delivery queue\n"
	"tls_certcheck on\n"
	"# Later defaults apply to the accounts defined after them only.\n"
	"defaults\n"
	"rate_limit 500/day\n"                                    /* 70 */
	"dsn_notify never\n"
	"\n"
	"# A corporate relay through a SOCKS proxy, with a client "
	"certificate.\n"
	"account corp\n"                                          /* 74 */
	"host smtp.corp.example\n"                                /* 75 */
	"proxy_host 127.0.0.1\n"
	"proxy_port 9050\n"
	"tls_cert_file ~/certs/me.crt\n"
	"tls_key_file ~/certs/me.key\n"
	"auth external\n"                                         /* 80 */
	"ntlmdomain CORP\n"
	"protocol smtp\n"
	"keepbcc on\n"
	"tls_nocertcheck\n"
	"set_to_header auto\n"                                   /* 85 */
	"# The local LMTP server on a UNIX socket.\n"
	"account local\n"                                         /* 87 */
	"socket ~/run/lmtp.sock\n"
	"protocol lmtp\n"
	"tls off\n"                                               /* 90 */
	"auth off\n"
	"auto_from on\n"
	"maildomain example.org\n"
	"aliases ~/.aliases\n"
	"remove_bcc_headers on\n"                                 /* 95 */
	"syslog off\n"
	"logfile\n"
	"logfile_time_format\n"
	"timeout off\n"
	"delay_warning off\n"                                     /* 100 */
	"queue_lifetime 90m\n"
	"encode_headers off\n"
	"rate_limit off\n"
	"dsn_notify off\n"
	"dsn_return full\n"                                       /* 105 */
	"\n"
	"# Two parents: freemail first, then isp (the later one wins).\n"
	"account both : freemail,isp\n"                           /* 108 */
	"user both\n"
	"chunking off\n"                                          /* 110 */
	"# Settings printed by commands.\n"
	"account evald\n"                                         /* 112 */
	"eval cmd-host\n"
	"eval cmd-pass\n"
	"eval cmd-empty\n"                                        /* 115 */
	"eval  \"cmd-comment\"\n"
	"eval cmd-aliases\n"
	"eval cmd-account\n"                                      /* 118 */
	"user \"from eval\"\n"
	"auth_cleartext off\n"                                    /* 120 */
	"# the account used when nothing else picks one\n"
	"account default : freemail\n";                          /* 122 */

#define CONN_DEF(host) \
	" connection: host=" host " port=587 source_ip=- proxy_host=- " \
	"proxy_port=0 socket=- timeout=30 protocol=smtp " \
	"domain=\"laptop.example.org\"\n"
#define TLS_DEF \
	" tls: tls=on tls_starttls=on tls_trust_file=\"" HOME \
	"/certs/ca.pem\" tls_crl_file=- tls_fingerprint=- tls_key_file=- " \
	"tls_cert_file=- tls_certcheck=on tls_priorities=- " \
	"tls_host_override=- tls_min_dh_prime_bits=0\n"
#define TLS_ISP \
	" tls: tls=on tls_starttls=off tls_trust_file=\"" HOME \
	"/certs/ca.pem\" tls_crl_file=\"" HOME "/certs/isp.crl\" " \
	"tls_fingerprint=\"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:" \
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF\" " \
	"tls_key_file=- tls_cert_file=- tls_certcheck=on " \
	"tls_priorities=\"NORMAL:-VERS-TLS1.0:-VERS-TLS1.1\" " \
	"tls_host_override=\"mx.isp.example\" tls_min_dh_prime_bits=2048\n"
#define HEADERS_DEF \
	" headers: set_from_header=auto set_date_header=auto " \
	"set_msgid_header=auto set_to_header=off remove_bcc_headers=on " \
	"undisclosed_recipients=off encode_headers=on from_reply_to=off\n"
#define HEADERS_ISP \
	" headers: set_from_header=on set_date_header=off " \
	"set_msgid_header=auto set_to_header=off remove_bcc_headers=on " \
	"undisclosed_recipients=on encode_headers=on from_reply_to=on\n"
#define LOG_DEF \
	" log: logfile=\"" HOME "/.mailferry.log\" " \
	"logfile_time_format=\"%Y-%m-%d %H:%M:%S\" syslog=\"LOG_MAIL\"\n"
#define QUEUE(delivery, fallback, rate) \
	" queue: delivery=" delivery " queue_dir=\"" HOME \
	"/.local/state/mailferry/queue\" fallback=" fallback \
	" queue_lifetime=259200 " \
	"delay_warning=14400 rate_limit=" rate "\n" \
	" more: auth_cleartext=off chunking=off\n"
#define AUTH_FREEMAIL \
	" auth: auth=\"on\" user=\"joe.smith\" password=- " \
	"passwordeval=\"gpg --no-tty -q -d ~/.msmtp-password.gpg\" " \
	"ntlmdomain=-\n"
#define ENV_FREEMAIL(from) \
	" envelope: from=\"" from "\" from_full_name=\"Joe \"JJ\" Smith\" " \
	"allow_from_override=on auto_from=off maildomain=- aliases=- " \
	"dsn_notify=\"FAILURE,DELAY\" dsn_return=headers\n"
#define CORP_BODY(user) \
	" connection: host=\"smtp.corp.example\" port=587 source_ip=- " \
	"proxy_host=\"127.0.0.1\" proxy_port=9050 socket=- timeout=30 " \
	"protocol=smtp domain=\"laptop.example.org\"\n" \
	" tls: tls=on tls_starttls=on tls_trust_file=\"" HOME \
	"/certs/ca.pem\" tls_crl_file=- tls_fingerprint=- " \
	"tls_key_file=\"" HOME "/certs/me.key\" tls_cert_file=\"" HOME \
	"/certs/me.crt\" tls_certcheck=off tls_priorities=- " \
	"tls_host_override=- tls_min_dh_prime_bits=0\n" \
	" auth: auth=\"external\" user=" user " password=- passwordeval=- " \
	"ntlmdomain=\"CORP\"\n" \
	" envelope: from=- from_full_name=- allow_from_override=on " \
	"auto_from=off maildomain=- aliases=- dsn_notify=\"NEVER\" " \
	"dsn_return=off\n" \
	" headers: set_from_header=auto set_date_header=auto " \
	"set_msgid_header=auto set_to_header=auto remove_bcc_headers=off " \
	"undisclosed_recipients=off encode_headers=on from_reply_to=off\n" \
	LOG_DEF QUEUE("direct", "-", "500/86400")

static const char *const full_want[] = {
	"[freemail] line 28\n"
	CONN_DEF("\"smtp.freemail.example\"") TLS_DEF AUTH_FREEMAIL
	ENV_FREEMAIL("joe_smith@freemail.example") HEADERS_DEF LOG_DEF
	QUEUE("direct", "\"isp\"", "0/0"),

	/* the parent's own settings, then the older spellings:
	 * add_missing_from_header off is set_from_header off, and
	 * add_missing_date_header (on) is set_date_header auto */
	"[freemail2] line 39\n"
	CONN_DEF("\"smtp.freemail.example\"") TLS_DEF AUTH_FREEMAIL
	ENV_FREEMAIL("joey@freemail.example")
	" headers: set_from_header=off set_date_header=auto "
	"set_msgid_header=auto set_to_header=off remove_bcc_headers=on "
	"undisclosed_recipients=off encode_headers=on from_reply_to=off\n"
	LOG_DEF QUEUE("direct", "\"isp\"", "0/0"),

	"[isp] line 46\n"
	" connection: host=\"mail.isp.example\" port=465 "
	"source_ip=\"192.0.2.10\" proxy_host=- proxy_port=0 socket=- "
	"timeout=30 protocol=smtp domain=\"laptop.example.org\"\n"
	TLS_ISP
	" auth: auth=\"scram-sha-256\" user=\"smith joe\" "
	"password=\"s3cr\"et\\pa ss\" passwordeval=- ntlmdomain=-\n"
	" envelope: from=\"%U@isp.example\" from_full_name=- "
	"allow_from_override=off auto_from=off maildomain=- aliases=- "
	"dsn_notify=- dsn_return=off\n"
	HEADERS_ISP LOG_DEF QUEUE("queue", "-", "100/3600"),

	/* defaults changed at line 69: rate_limit and dsn_notify;
	 * keepbcc on is remove_bcc_headers off, tls_nocertcheck (on) is
	 * tls_certcheck off */
	"[corp] line 74\n" CORP_BODY("-"),

	"[local] line 87\n"
	" connection: host=- port=587 source_ip=- proxy_host=- proxy_port=0 "
	"socket=\"" HOME "/run/lmtp.sock\" timeout=0 protocol=lmtp "
	"domain=\"laptop.example.org\"\n"
	" tls: tls=off tls_starttls=on tls_trust_file=\"" HOME
	"/certs/ca.pem\" tls_crl_file=- tls_fingerprint=- tls_key_file=- "
	"tls_cert_file=- tls_certcheck=on tls_priorities=- "
	"tls_host_override=- tls_min_dh_prime_bits=0\n"
	" auth: auth=\"off\" user=- password=- passwordeval=- ntlmdomain=-\n"
	" envelope: from=- from_full_name=- allow_from_override=on "
	"auto_from=on maildomain=\"example.org\" aliases=\"" HOME
	"/.aliases\" dsn_notify=- dsn_return=full\n"
	" headers: set_from_header=auto set_date_header=auto "
	"set_msgid_header=auto set_to_header=off remove_bcc_headers=on "
	"undisclosed_recipients=off encode_headers=off from_reply_to=off\n"
	" log: logfile=- logfile_time_format=- syslog=-\n"
	" queue: delivery=direct queue_dir=\"" HOME
	"/.local/state/mailferry/queue\" fallback=- queue_lifetime=5400 "
	"delay_warning=0 rate_limit=0/0\n"
	" more: auth_cleartext=off chunking=off\n",

	/* defaults of line 69, then freemail's own settings, then isp's:
	 * isp wins where both set a value (host, auth, user, from) */
	"[both] line 108\n"
	" connection: host=\"mail.isp.example\" port=465 "
	"source_ip=\"192.0.2.10\" proxy_host=- proxy_port=0 socket=- "
	"timeout=30 protocol=smtp domain=\"laptop.example.org\"\n"
	TLS_ISP
	" auth: auth=\"scram-sha-256\" user=\"both\" "
	"password=\"s3cr\"et\\pa ss\" "
	"passwordeval=\"gpg --no-tty -q -d ~/.msmtp-password.gpg\" "
	"ntlmdomain=-\n"
	" envelope: from=\"%U@isp.example\" "
	"from_full_name=\"Joe \"JJ\" Smith\" allow_from_override=off "
	"auto_from=off maildomain=- aliases=- dsn_notify=\"FAILURE,DELAY\" "
	"dsn_return=headers\n"
	HEADERS_ISP LOG_DEF QUEUE("queue", "\"isp\"", "100/3600"),

	/* host, password and aliases come from eval lines; an empty output
	 * line and a comment change nothing */
	"[evald] line 112\n"
	CONN_DEF("\"smtp.eval.example\"") TLS_DEF
	" auth: auth=- user=- password=\"ev \"al\"\" passwordeval=- "
	"ntlmdomain=-\n"
	" envelope: from=- from_full_name=- allow_from_override=on "
	"auto_from=off maildomain=- aliases=\"" HOME "/eval-aliases\" "
	"dsn_notify=\"NEVER\" dsn_return=off\n"
	HEADERS_DEF LOG_DEF QUEUE("direct", "-", "500/86400"),

	/* started by an eval line; the next line of the file goes to it */
	"[fromeval] line 118\n" CORP_BODY("\"from eval\""),

	/* freemail's own settings over the defaults of line 69: unlike
	 * freemail itself it has the rate limit */
	"[default] line 122\n"
	CONN_DEF("\"smtp.freemail.example\"") TLS_DEF AUTH_FREEMAIL
	ENV_FREEMAIL("joe_smith@freemail.example") HEADERS_DEF LOG_DEF
	QUEUE("direct", "\"isp\"", "500/86400"),

	/* the defaults section as it ends */
	"[-] line 0\n"
	CONN_DEF("-") TLS_DEF
	" auth: auth=- user=- password=- passwordeval=- ntlmdomain=-\n"
	" envelope: from=- from_full_name=- allow_from_override=on "
	"auto_from=off maildomain=- aliases=- dsn_notify=\"NEVER\" "
	"dsn_return=off\n"
	HEADERS_DEF LOG_DEF QUEUE("direct", "-", "500/86400"),
};

/* The keywords of the table, in order, as cfg_account_describe prints
 * them ("keyword = value" lines). Owned by the caller; *n is set. */
static char **
table_keywords(size_t *n)
{
	struct cfg_account a;
	struct buf out;
	char **words = NULL;
	const char *p;

	*n = 0;
	cfg_account_init(&a);
	buf_init(&out, 1u << 16);
	cfg_account_describe(&a, &out);
	for (p = buf_cstr(&out); *p; ) {
		const char *nl = strchr(p, '\n');
		const char *eq = strstr(p, " = ");
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (p[0] != '#' && eq && eq < p + len &&
		    strncmp(p, "account = ", 10) != 0) {
			words = xreallocarray(words, *n + 1, sizeof(*words));
			words[(*n)++] = xmemdup0(p, (size_t)(eq - p));
		}
		p += len + (nl ? 1 : 0);
	}
	buf_clear(&out);
	cfg_account_clear(&a);
	return words;
}

/* Whether some line of text starts (after blanks) with word and then a
 * blank or the line end. */
static bool
text_uses_keyword(const char *text, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = text; *p; ) {
		const char *nl = strchr(p, '\n');
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, word, wl) == 0 &&
		    (p[wl] == ' ' || p[wl] == '\t' || p[wl] == '\n' ||
		     p[wl] == '\0'))
			return true;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

static void
test_full_config(void)
{
	static const char *const legacy[] = {
		"add_missing_from_header", "add_missing_date_header",
		"tls_nocertcheck", "keepbcc",
	};
	struct buf log;
	struct cfg_parse_env env = { .home = HOME, .eval = test_eval };
	struct cfg cfg;
	struct mf_error err;
	char **words;
	size_t nwords;

	/* a fresh account has msmtp's defaults */
	{
		struct cfg_account a;
		char *got;

		cfg_account_init(&a);
		got = dump_full(&a);
		CHECK_STR(got, fresh_dump);
		free(got);
		cfg_account_clear(&a);
	}

	/* the file uses every keyword of the table, and the older
	 * spellings */
	words = table_keywords(&nwords);
	CHECK(nwords == DUMP_KEYWORDS);
	for (size_t i = 0; i < nwords; i++) {
		if (!text_uses_keyword(full_rc, words[i]))
			fprintf(stderr, "  full_rc does not use '%s'\n",
				words[i]);
		CHECK(text_uses_keyword(full_rc, words[i]));
		free(words[i]);
	}
	free(words);
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
		CHECK(text_uses_keyword(full_rc, legacy[i]));

	buf_init(&log, 4096);
	env.eval_ctx = &log;
	cfg_init(&cfg);
	err_clear(&err);
	CHECK(cfg_parse_env(full_rc, sizeof(full_rc) - 1, "full.rc", &env,
			    &cfg, &err));
	if (err_isset(&err))
		fprintf(stderr, "  full.rc: %s\n", err.msg);
	/* the eval commands as written (quotes removed), once each, and
	 * never the passwordeval command */
	CHECK_STR(buf_cstr(&log), "cmd-host|cmd-pass|cmd-empty|cmd-comment|"
		  "cmd-aliases|cmd-account|");
	CHECK(cfg.has_password);
	CHECK_STR(cfg.file, "full.rc");
	CHECK(cfg.system_file == NULL);
	CHECK(cfg.count + 1 == sizeof(full_want) / sizeof(full_want[0]));
	for (size_t i = 0; i < sizeof(full_want) / sizeof(full_want[0]);
	     i++) {
		const struct cfg_account *a =
			i < cfg.count ? &cfg.accounts[i] : &cfg.defaults;
		char *got;

		if (i > cfg.count)
			break;
		got = dump_full(a);
		CHECK_STR(got, full_want[i]);
		free(got);
		if (a != &cfg.defaults)
			CHECK(a->file == cfg.file);
	}

	/* selection over the result */
	{
		const struct cfg_account *a = cfg_select(&cfg, NULL, &err);
		CHECK(a != NULL && strcmp(a->name, "default") == 0);
		a = cfg_select(&cfg, "fromeval", &err);
		CHECK(a != NULL && a->line == 118);
		CHECK(cfg_account_port(&cfg.accounts[2]) == 465);
	}
	cfg_clear(&cfg);
	buf_clear(&log);

	/* the same file without a home directory keeps "~/" as written */
	env.home = NULL;
	env.eval_ctx = NULL;
	cfg_init(&cfg);
	CHECK(cfg_parse_env(full_rc, sizeof(full_rc) - 1, "full.rc", &env,
			    &cfg, &err));
	CHECK_STR(cfg.defaults.tls_trust_file, "~/certs/ca.pem");
	CHECK_STR(cfg.defaults.queue_dir, "~/.local/state/mailferry/queue");
	CHECK_STR(cfg.accounts[6].aliases, "~/eval-aliases");
	cfg_clear(&cfg);

	/* "~" alone is the home directory; "~user/" and "a/~/" are not
	 * expanded */
	env.home = HOME;
	cfg_init(&cfg);
	CHECK(cfg_parse_env(S("account a\nqueue_dir ~\naliases ~joe/a\n"
			      "logfile a/~/b\nsocket \"~/s p\"\n"), "f",
			    &env, &cfg, &err));
	CHECK_STR(cfg.accounts[0].queue_dir, HOME);
	CHECK_STR(cfg.accounts[0].aliases, "~joe/a");
	CHECK_STR(cfg.accounts[0].logfile, "a/~/b");
	CHECK_STR(cfg.accounts[0].socket, HOME "/s p");
	cfg_clear(&cfg);
}

/* ------------------------------------------------------------ errors */

#define DURATION_TAIL "a duration (a number of seconds, or with s, m, h or d)"
#define DSN_TAIL "is not off, never or a list of failure, delay and " \
		 "success separated by commas"
#define RATE_TAIL "is not 'off' or N/minute, N/hour or N/day"
#define SYSLOG_TAIL "is not on, off, LOG_USER, LOG_MAIL or LOG_LOCAL0 to " \
		    "LOG_LOCAL7"

/* Each with the test runner for eval and a home directory (unless
 * no_env), the exact message, and EX_CONFIG. */
static const struct {
	const char *name;
	const char *text;
	size_t len;
	bool no_env;
	const char *error;
} error_cases[] = {
	{ "bad boolean in an account",
	  S("account a\nauth on\n\ntls yes\n"), false,
	  "test.conf:4: tls: 'yes' is not 'on' or 'off'" },
	{ "boolean given as a number", S("remove_bcc_headers 1\n"), false,
	  "test.conf:1: remove_bcc_headers: '1' is not 'on' or 'off'" },
	{ "boolean with a quoted blank", S("from_reply_to \"on \"\n"), false,
	  "test.conf:1: from_reply_to: 'on ' is not 'on' or 'off'" },
	{ "port as a service name", S("# x\nport smtp\n"), false,
	  "test.conf:2: port: 'smtp' is not a number from 1 to 65535" },
	{ "proxy_port 0", S("proxy_port 0\n"), false,
	  "test.conf:1: proxy_port: '0' is not a number from 1 to 65535" },
	{ "proxy_port 65536", S("account p\nproxy_port 65536\n"), false,
	  "test.conf:2: proxy_port: '65536' is not a number from 1 to 65535" },
	{ "timeout too long", S("timeout 86401\n"), false,
	  "test.conf:1: timeout: '86401' is not 'off' or a number of seconds "
	  "from 1 to 86400" },
	{ "timeout with a unit", S("timeout 30s\n"), false,
	  "test.conf:1: timeout: '30s' is not 'off' or a number of seconds "
	  "from 1 to 86400" },
	{ "unknown protocol", S("account a\nprotocol esmtp\n"), false,
	  "test.conf:2: protocol: 'esmtp' is not one of smtp, lmtp" },
	{ "protocol in capitals", S("protocol SMTP\n"), false,
	  "test.conf:1: protocol: 'SMTP' is not one of smtp, lmtp" },
	{ "protocol empty", S("protocol\n"), false,
	  "test.conf:1: protocol needs a value" },
	{ "dsn_notify with an unknown condition",
	  S("dsn_notify failure,bogus\n"), false,
	  "test.conf:1: dsn_notify: 'failure,bogus' " DSN_TAIL },
	{ "dsn_notify with a blank after the comma",
	  S("dsn_notify failure, delay\n"), false,
	  "test.conf:1: dsn_notify: 'failure, delay' " DSN_TAIL },
	{ "dsn_notify ending in a comma", S("dsn_notify failure,\n"), false,
	  "test.conf:1: dsn_notify: 'failure,' " DSN_TAIL },
	{ "dsn_notify never with a condition",
	  S("dsn_notify never,failure\n"), false,
	  "test.conf:1: dsn_notify: 'never,failure' " DSN_TAIL },
	{ "dsn_notify in capitals", S("dsn_notify FAILURE\n"), false,
	  "test.conf:1: dsn_notify: 'FAILURE' " DSN_TAIL },
	{ "dsn_notify empty", S("dsn_notify\n"), false,
	  "test.conf:1: dsn_notify needs a value" },
	{ "dsn_return in sendmail's spelling", S("dsn_return hdrs\n"), false,
	  "test.conf:1: dsn_return: 'hdrs' is not one of off, headers, full" },
	{ "syslog facility not allowed", S("syslog LOG_DAEMON\n"), false,
	  "test.conf:1: syslog: 'LOG_DAEMON' " SYSLOG_TAIL },
	{ "syslog LOG_LOCAL8", S("syslog LOG_LOCAL8\n"), false,
	  "test.conf:1: syslog: 'LOG_LOCAL8' " SYSLOG_TAIL },
	{ "syslog in lower case", S("syslog log_mail\n"), false,
	  "test.conf:1: syslog: 'log_mail' " SYSLOG_TAIL },
	{ "set_date_header on (only auto or off)",
	  S("account a\nset_date_header on\n"), false,
	  "test.conf:2: set_date_header: 'on' is not one of auto, off" },
	{ "set_msgid_header on", S("set_msgid_header on\n"), false,
	  "test.conf:1: set_msgid_header: 'on' is not one of auto, off" },
	{ "set_from_header yes", S("set_from_header yes\n"), false,
	  "test.conf:1: set_from_header: 'yes' is not one of auto, on, off" },
	{ "set_to_header on (only auto or off)", S("set_to_header on\n"),
	  false, "test.conf:1: set_to_header: 'on' is not one of auto, off" },
	{ "set_from_header empty", S("set_from_header\n"), false,
	  "test.conf:1: set_from_header needs a value" },
	{ "rate_limit without a period", S("rate_limit 5\n"), false,
	  "test.conf:1: rate_limit: '5' " RATE_TAIL },
	{ "rate_limit per week", S("rate_limit 5/week\n"), false,
	  "test.conf:1: rate_limit: '5/week' " RATE_TAIL },
	{ "rate_limit of zero", S("rate_limit 0/day\n"), false,
	  "test.conf:1: rate_limit: '0/day' " RATE_TAIL },
	{ "rate_limit with blanks", S("rate_limit 5 / day\n"), false,
	  "test.conf:1: rate_limit: '5 / day' " RATE_TAIL },
	{ "rate_limit empty", S("rate_limit\n"), false,
	  "test.conf:1: rate_limit needs a value" },
	{ "queue_lifetime 0", S("queue_lifetime 0\n"), false,
	  "test.conf:1: queue_lifetime: '0' is not " DURATION_TAIL },
	{ "queue_lifetime with an unknown unit", S("queue_lifetime 5x\n"),
	  false, "test.conf:1: queue_lifetime: '5x' is not " DURATION_TAIL },
	{ "queue_lifetime off", S("queue_lifetime off\n"), false,
	  "test.conf:1: queue_lifetime: 'off' is not " DURATION_TAIL },
	{ "delay_warning 0", S("delay_warning 0\n"), false,
	  "test.conf:1: delay_warning: '0' is not 'off' or " DURATION_TAIL },
	{ "delay_warning as a word", S("delay_warning soon\n"), false,
	  "test.conf:1: delay_warning: 'soon' is not 'off' or "
	  DURATION_TAIL },
	{ "delivery later", S("delivery later\n"), false,
	  "test.conf:1: delivery: 'later' is not one of direct, queue" },
	{ "tls_min_dh_prime_bits as a word",
	  S("tls_min_dh_prime_bits many\n"), false,
	  "test.conf:1: tls_min_dh_prime_bits: 'many' is not a number" },
	{ "auth with an unknown mechanism", S("auth kerberos\n"), false,
	  "test.conf:1: auth: 'kerberos' is not 'on', 'off' or a method "
	  "(plain, login, scram-sha-1, scram-sha-256, oauthbearer, xoauth2, "
	  "...)" },
	{ "unknown keyword", S("account a\nhostname h\n"), false,
	  "test.conf:2: unknown keyword 'hostname'" },
	{ "keyword with a dash (the command line's spelling)",
	  S("tls-starttls on\n"), false,
	  "test.conf:1: unknown keyword 'tls...'" },
	{ "keyword in capitals", S("Host h\n"), false,
	  "test.conf:1: unknown keyword '...'" },
	{ "tls_force_sslv3 off is refused too", S("tls_force_sslv3 off\n"),
	  false, "test.conf:1: keyword 'tls_force_sslv3' is no longer "
	  "supported (an insecure protocol)" },
	{ "duplicate default account",
	  S("account a\naccount default : a\n# again\naccount default\n"),
	  false, "test.conf:4: account 'default' is defined twice" },
	{ "unknown parent after an empty one",
	  S("account a\naccount c : a,,b\n"), false,
	  "test.conf:2: account 'c' inherits from unknown account 'b'" },
	{ "account default : unknown", S("account default : work\n"), false,
	  "test.conf:1: account 'default' inherits from unknown account "
	  "'work'" },
	{ "empty quoted account name", S("account \"\"\n"), false,
	  "test.conf:1: account needs a name" },
	{ "account name with a tab", S("account a\tb\n"), false,
	  "test.conf:1: account name 'a\\x09b' contains a blank, ',' or ':'" },
	{ "quoted account name with a blank", S("account \"my work\"\n"),
	  false,
	  "test.conf:1: account name 'my work' contains a blank, ',' or ':'" },
	{ "defaults with an argument after an account",
	  S("account a\ndefaults a\n"), false,
	  "test.conf:2: defaults takes no argument" },
	{ "unterminated quote", S("\n\nfrom \"a@b\n"), false,
	  "test.conf:3: unterminated quoted argument" },
	{ "text after the closing quote", S("user \"a\"b\n"), false,
	  "test.conf:1: text after the closing quote" },
	{ "NUL byte on the third line", S("# c\n\nhost a\0\n"), false,
	  "test.conf:3: NUL byte in line" },
	{ "escape character", S("account a\n\nhost \x1b[0m\n"), false,
	  "test.conf:3: control character in line" },
	{ "vertical tab", S("host a\vb\n"), false,
	  "test.conf:1: control character in line" },
	{ "host with no value", S("account a\nhost   \n"), false,
	  "test.conf:2: host needs a value" },
	{ "host with an empty quoted value", S("host \"\"\n"), false,
	  "test.conf:1: host needs a value" },
	{ "legacy keyword with a bad value", S("keepbcc yes\n"), false,
	  "test.conf:1: keepbcc: 'yes' is not 'on' or 'off'" },
	{ "tls_nocertcheck with a bad value", S("tls_nocertcheck maybe\n"),
	  false, "test.conf:1: tls_nocertcheck: 'maybe' is not 'on' or 'off'" },
	{ "add_missing_date_header auto (the new word)",
	  S("add_missing_date_header auto\n"), false,
	  "test.conf:1: add_missing_date_header: 'auto' is not 'on' or "
	  "'off'" },
	{ "add_missing_from_header empty quoted is on, then bad",
	  S("add_missing_from_header \"\"\nadd_missing_from_header 1\n"), false,
	  "test.conf:2: add_missing_from_header: '1' is not 'on' or 'off'" },
	/* eval */
	{ "eval printing another eval", S("account a\neval cmd-eval\n"),
	  false, "test.conf:2: eval produced another eval line (from eval)" },
	{ "eval failing", S("account a\n\neval cmd-fail\n"), false,
	  "test.conf:3: eval: command 'cmd-fail' failed with exit status 1" },
	{ "eval without a command", S("eval\n"), false,
	  "test.conf:1: eval needs a command" },
	{ "eval not allowed without a runner",
	  S("account a\nhost h\neval cmd-host\n"), true,
	  "test.conf:3: eval is not allowed here" },
	{ "eval printing a control character", S("eval cmd-ctl\n"), false,
	  "test.conf:1: control character in line (from eval)" },
	{ "eval printing an unterminated quote", S("\neval cmd-quote\n"),
	  false, "test.conf:2: unterminated quoted argument (from eval)" },
	{ "eval printing an unknown keyword", S("eval cmd-typo\n"), false,
	  "test.conf:1: unknown keyword 'hots' (from eval)" },
	{ "eval printing defaults with an argument",
	  S("eval cmd-defaults\n"), false,
	  "test.conf:1: defaults takes no argument (from eval)" },
	{ "eval printing a line over the limit",
	  S("account a\neval cmd-long\n"), false,
	  "test.conf:2: eval: line longer than 65536 bytes" },
	{ "eval printing a bad port", S("account a\neval cmd-port\n"), false,
	  "test.conf:2: port: '0' is not a number from 1 to 65535 (from "
	  "eval)" },
};

static void
test_error_table(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]);
	     i++) {
		int before = check_failures;
		struct cfg_parse_env env = { .home = HOME, .eval = test_eval };
		struct cfg cfg;
		struct mf_error err;

		cfg_init(&cfg);
		err_clear(&err);
		CHECK(!cfg_parse_env(error_cases[i].text, error_cases[i].len,
				     "test.conf",
				     error_cases[i].no_env ? NULL : &env, &cfg,
				     &err));
		CHECK(err.exit_code == EX_CONFIG);
		CHECK(err.cls == ERR_PERMANENT);
		CHECK_STR(err.msg, error_cases[i].error);
		cfg_clear(&cfg);
		if (check_failures != before)
			fprintf(stderr, "  ^ in error case %zu: %s\n", i,
				error_cases[i].name);
	}
}

/* Values that are accepted, as a fragment of dump_full() of the
 * defaults section. */
static const struct {
	const char *text;
	const char *fragment;
} accept_cases[] = {
	{ "delay_warning off\n", " delay_warning=0 " },
	{ "delay_warning 90\n", " delay_warning=90 " },
	{ "delay_warning 2d\n", " delay_warning=172800 " },
	{ "queue_lifetime 45s\n", " queue_lifetime=45 " },
	{ "queue_lifetime 30m\n", " queue_lifetime=1800 " },
	{ "queue_lifetime 365d\n", " queue_lifetime=31536000 " },
	{ "rate_limit 10/minute\n", " rate_limit=10/60\n" },
	{ "rate_limit 1/hour\n", " rate_limit=1/3600\n" },
	{ "rate_limit 1000000/day\n", " rate_limit=1000000/86400\n" },
	{ "rate_limit 5/day\nrate_limit off\n", " rate_limit=0/0\n" },
	{ "dsn_notify success,failure,delay\n",
	  " dsn_notify=\"SUCCESS,FAILURE,DELAY\" " },
	{ "dsn_notify never\n", " dsn_notify=\"NEVER\" " },
	{ "dsn_notify success\ndsn_notify off\n", " dsn_notify=- " },
	{ "dsn_return full\n", " dsn_return=full\n" },
	{ "syslog\n", " syslog=\"LOG_USER\"\n" },
	{ "syslog on\n", " syslog=\"LOG_USER\"\n" },
	{ "syslog LOG_LOCAL7\n", " syslog=\"LOG_LOCAL7\"\n" },
	{ "syslog LOG_MAIL\nsyslog off\n", " syslog=-\n" },
	{ "auth\n", " auth=\"on\" " },
	{ "auth xoauth2\n", " auth=\"xoauth2\" " },
	{ "auth oauthbearer\n", " auth=\"oauthbearer\" " },
	{ "auth cram-md5\n", " auth=\"cram-md5\" " },
	{ "auth gssapi\n", " auth=\"gssapi\" " },
	{ "auth ntlm\n", " auth=\"ntlm\" " },
	{ "auth digest-md5\n", " auth=\"digest-md5\" " },
	{ "proxy_port 1080\nproxy_port\n", " proxy_port=0 " },
	{ "tls_min_dh_prime_bits 512\ntls_min_dh_prime_bits\n",
	  " tls_min_dh_prime_bits=0\n" },
	{ "protocol lmtp\n", " protocol=lmtp " },
	{ "set_from_header off\n", " set_from_header=off " },
	{ "add_missing_from_header on\n", " set_from_header=auto " },
	{ "add_missing_date_header off\n", " set_date_header=off " },
	{ "tls_nocertcheck off\n", " tls_certcheck=on " },
	{ "tls_nocertcheck on\n", " tls_certcheck=off " },
	{ "keepbcc\n", " remove_bcc_headers=off " },
	{ "keepbcc off\n", " remove_bcc_headers=on " },
	{ "undisclosed_recipients\n", " undisclosed_recipients=on " },
	{ "from_reply_to\n", " from_reply_to=on\n" },
	{ "auth_cleartext\n", " auth_cleartext=on " },
	{ "chunking\n", " chunking=on\n" },
	{ "delivery queue\n", " delivery=queue " },
	{ "set_to_header auto\n", " set_to_header=auto " },
	{ "fallback backup, other\n", " fallback=\"backup, other\" " },
	{ "fallback b\nfallback\n", " fallback=- " },
	{ "timeout off\n", " timeout=0 " },
	{ "user joe\nuser\n", " user=- " },
	{ "user \"  spaced  \"\n", " user=\"  spaced  \" " },
	{ "from \"a\\\\b\\\"c\"\n", " from=\"a\\b\"c\" " },
	{ "logfile -\n", " logfile=\"-\" " },
	{ "account \"work\"\nhost h\ndefaults \"\"\nport 2\n", " port=2 " },
	{ "domain %H\n", " domain=\"%H\"\n" },
	/* a DEL byte is not a control character the parser refuses */
	{ "ntlmdomain a\x7f" "b\n", " ntlmdomain=\"a\x7f" "b\"\n" },
};

static void
test_accept_table(void)
{
	for (size_t i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]);
	     i++) {
		int before = check_failures;
		struct cfg cfg;
		struct mf_error err;
		char *got;

		cfg_init(&cfg);
		err_clear(&err);
		CHECK(cfg_parse(accept_cases[i].text,
				strlen(accept_cases[i].text), "t", &cfg, &err));
		got = dump_full(&cfg.defaults);
		CHECK(strstr(got, accept_cases[i].fragment) != NULL);
		if (check_failures != before)
			fprintf(stderr, "  ^ in accept case %zu: %s\n  got %s",
				i, err.msg, got);
		free(got);
		cfg_clear(&cfg);
	}
}

/* ------------------------------------------------------------ cfg_set */

static void
test_set(void)
{
	static const struct {
		const char *keyword;
		const char *arg;
		const char *error; /* NULL: accepted */
	} cases[] = {
		{ "bogus", "x", "unknown option --bogus" },
		{ "account", "a", "unknown option --account" },
		{ "defaults", "", "unknown option --defaults" },
		{ "eval", "echo host h", "unknown option --eval" },
		{ "tls-force-sslv3", "on", "unknown option --tls-force-sslv3" },
		{ "Host", "h", "unknown option --Host" },
		{ "host", "", "option --host: host needs a value" },
		{ "port", "0", "option --port: '0' is not a number from 1 "
		  "to 65535" },
		{ "tls-starttls", "maybe", "option --tls-starttls: "
		  "'maybe' is not 'on' or 'off'" },
		{ "set-date-header", "on", "option --set-date-header: "
		  "'on' is not one of auto, off" },
		{ "keepbcc", "yes", "option --keepbcc: 'yes' is not "
		  "'on' or 'off'" },
		{ "rate-limit", "5/week", "option --rate-limit: "
		  "'5/week' is not 'off' or N/minute, N/hour or N/day" },
		{ "dsn_notify", "bogus", "option --dsn-notify: "
		  "'bogus' is not off, never or a list of failure, delay and "
		  "success separated by commas" },
		{ "timeout", "forever", "option --timeout: 'forever' is "
		  "not 'off' or a number of seconds from 1 to 86400" },
		{ "host", "smtp.example.org", NULL },
	};
	struct cfg cfg;
	struct cfg_account a;
	struct mf_error err;
	char longname[100];

	cfg_init(&cfg);
	cfg_account_init(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = check_failures;
		bool ok;

		err_clear(&err);
		ok = cfg_set(&cfg, &a, cases[i].keyword, cases[i].arg, &err);
		CHECK(ok == (cases[i].error == NULL));
		if (!ok) {
			CHECK(err.exit_code == EX_USAGE);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK_STR(err.msg, cases[i].error);
		}
		if (check_failures != before)
			fprintf(stderr, "  ^ in set case %zu\n", i);
	}
	/* a failed setting changed nothing */
	CHECK_STR(a.host, "smtp.example.org");
	CHECK(a.port == 0 && a.tls_starttls && a.timeout == 60);

	/* '-' for '_', either spelling; the home directory from $HOME */
	CHECK(cfg_set(&cfg, &a, "tls-trust-file", "~/ca.pem", &err));
	CHECK_STR(a.tls_trust_file, HOME "/ca.pem");
	CHECK(cfg_set(&cfg, &a, "tls_starttls", "off", &err));
	CHECK(!a.tls_starttls);
	CHECK(cfg_set(&cfg, &a, "tls-starttls", "", &err));
	CHECK(a.tls_starttls);
	CHECK(cfg_set(&cfg, &a, "tls-nocertcheck", "", &err));
	CHECK(!a.tls_certcheck);
	CHECK(cfg_set(&cfg, &a, "add-missing-from-header", "off", &err));
	CHECK(a.set_from_header == CFG_REPAIR_OFF);
	CHECK(cfg_set(&cfg, &a, "queue-lifetime", "2h", &err));
	CHECK(a.queue_lifetime == 7200);
	CHECK(cfg_set(&cfg, &a, "rate-limit", "3/minute", &err));
	CHECK(a.rate_limit.count == 3 && a.rate_limit.period == 60);
	CHECK(cfg_set(&cfg, &a, "dsn-notify", "delay,success", &err));
	CHECK_STR(a.dsn_notify, "DELAY,SUCCESS");
	CHECK(!cfg.has_password);
	CHECK(cfg_set(&cfg, &a, "password", "pw", &err));
	CHECK(cfg.has_password);
	CHECK_STR(a.password, "pw");
	/* the setting counts as the account's own */
	CHECK(a.set != 0);
	/* a name too long for any keyword */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!cfg_set(&cfg, &a, longname, "x", &err));
	CHECK(err.exit_code == EX_USAGE);
	CHECK(strncmp(err.msg, "unknown option --aaaa", 21) == 0);
	cfg_account_clear(&a);
	cfg_clear(&cfg);
}

static void
test_is_keyword(void)
{
	static const struct {
		const char *word;
		bool want;
	} cases[] = {
		{ "host", true },
		{ "tls_starttls", true },
		{ "tls-starttls", true },
		{ "tls-min-dh-prime-bits", true },
		{ "rate-limit", true },
		{ "queue_dir", true },
		{ "keepbcc", true },
		{ "tls-nocertcheck", true },
		{ "add-missing-date-header", true },
		{ "add_missing_from_header", true },
		{ "account", false },
		{ "defaults", false },
		{ "eval", false },
		{ "tls_force_sslv3", false },
		{ "Host", false },
		{ "host-", false },
		{ "", false },
		{ "tls starttls", false },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaa", false },
	};
	char **words;
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(cfg_is_keyword(cases[i].word) == cases[i].want);
		if (cfg_is_keyword(cases[i].word) != cases[i].want)
			fprintf(stderr, "  ^ cfg_is_keyword(\"%s\")\n",
				cases[i].word);
	}
	/* every keyword of the table, in both spellings */
	words = table_keywords(&n);
	for (size_t i = 0; i < n; i++) {
		CHECK(cfg_is_keyword(words[i]));
		for (char *c = words[i]; *c; c++)
			if (*c == '_')
				*c = '-';
		CHECK(cfg_is_keyword(words[i]));
		free(words[i]);
	}
	free(words);
}

/* ------------------------------------------------------------ describe */

static void
test_describe(void)
{
	static const char want[] =
		"account = small\n"
		"# defined in d.conf line 3\n"
		"host = smtp.example.org\n"
		"port = 587\n"
		"source_ip = (not set)\n"
		"proxy_host = (not set)\n"
		"proxy_port = (default)\n"
		"socket = (not set)\n"
		"timeout = 60\n"
		"protocol = smtp\n"
		"domain = (not set)\n"
		"tls = on\n"
		"tls_starttls = on\n"
		"tls_trust_file = (not set)\n"
		"tls_crl_file = (not set)\n"
		"tls_fingerprint = (not set)\n"
		"tls_key_file = (not set)\n"
		"tls_cert_file = (not set)\n"
		"tls_certcheck = on\n"
		"tls_priorities = (not set)\n"
		"tls_host_override = (not set)\n"
		"tls_min_dh_prime_bits = (default)\n"
		"auth = plain\n"
		"user = joe\n"
		"password = *\n"
		"passwordeval = (not set)\n"
		"ntlmdomain = (not set)\n"
		"from = joe@example.org\n"
		"from_full_name = (not set)\n"
		"allow_from_override = on\n"
		"auto_from = off\n"
		"maildomain = (not set)\n"
		"aliases = (not set)\n"
		"dsn_notify = FAILURE\n"
		"dsn_return = off\n"
		"set_from_header = auto\n"
		"set_date_header = auto\n"
		"set_msgid_header = auto\n"
		"set_to_header = off\n"
		"remove_bcc_headers = on\n"
		"undisclosed_recipients = off\n"
		"logfile = (not set)\n"
		"logfile_time_format = (not set)\n"
		"syslog = (not set)\n"
		"encode_headers = on\n"
		"from_reply_to = off\n"
		"delivery = direct\n"
		"queue_dir = (not set)\n"
		"fallback = (not set)\n"
		"queue_lifetime = 432000\n"
		"delay_warning = 14400\n"
		"rate_limit = off\n"
		"auth_cleartext = off\n"
		"chunking = off\n";
	struct cfg cfg;
	struct mf_error err;
	struct buf out;

	cfg_init(&cfg);
	CHECK(cfg_parse(S("defaults\ntls on\n"
			  "account small\nhost smtp.example.org\nport 587\n"
			  "user joe\npassword \"hunter2 secret\"\nauth plain\n"
			  "from joe@example.org\ndsn_notify failure\n"),
			"d.conf", &cfg, &err));
	buf_init(&out, 1u << 16);
	cfg_account_describe(&cfg.accounts[0], &out);
	CHECK_STR(buf_cstr(&out), want);
	/* the secret appears nowhere, whole or in part */
	CHECK(strstr(buf_cstr(&out), "hunter2") == NULL);
	CHECK(strstr(buf_cstr(&out), "secret") == NULL);
	buf_clear(&out);

	/* the defaults section: no file line; the port it would use, and
	 * the other mailferry values */
	cfg_clear(&cfg);
	cfg_init(&cfg);
	CHECK(cfg_parse(S("tls on\ntls_starttls off\ntimeout off\n"
			  "rate_limit 7/hour\ndelay_warning 1h\n"
			  "proxy_port 1080\nset_from_header on\n"
			  "passwordeval pass show mail\n"),
			"d.conf", &cfg, &err));
	buf_init(&out, 1u << 16);
	cfg_account_describe(&cfg.defaults, &out);
	{
		static const char head[] = "account = (defaults)\n"
					   "host = (not set)\nport = 465\n";
		CHECK(strncmp(buf_cstr(&out), head, sizeof(head) - 1) == 0);
	}
	CHECK(strstr(buf_cstr(&out), "\ntimeout = off\n") != NULL);
	CHECK(strstr(buf_cstr(&out), "\nrate_limit = 7/hour\n") != NULL);
	CHECK(strstr(buf_cstr(&out), "\ndelay_warning = 3600\n") != NULL);
	CHECK(strstr(buf_cstr(&out), "\nproxy_port = 1080\n") != NULL);
	CHECK(strstr(buf_cstr(&out), "\nset_from_header = on\n") != NULL);
	/* the command is not a secret; no password is not "*" */
	CHECK(strstr(buf_cstr(&out), "\npasswordeval = pass show mail\n") !=
	      NULL);
	CHECK(strstr(buf_cstr(&out), "\npassword = (not set)\n") != NULL);
	buf_clear(&out);
	cfg_clear(&cfg);
}

/* ------------------------------------------------------------ select */

static const struct cfg_facts test_facts = {
	.user = "alice",
	.host = "box",
	.canonical = "box.example.org",
	.mailname = "example.org",
};

static void
test_expand(void)
{
	static const struct {
		const char *text;
		const char *want;
		bool bare; /* with only user and host known */
	} cases[] = {
		{ "%U@%H", "alice@box", false },
		{ "%U@%C", "alice@box.example.org", false },
		{ "%U@%M", "alice@example.org", false },
		{ "%C %M", "box box", true },
		{ "100%% sure", "100% sure", false },
		{ "%%U", "%U", false },
		{ "%X and %u stay", "%X and %u stay", false },
		{ "ends in %", "ends in %", false },
		{ "%", "%", false },
		{ "", "", false },
		{ "no subst", "no subst", false },
		{ "%U%U", "alicealice", false },
	};
	struct cfg_facts bare = { .user = "alice", .host = "box" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = cfg_expand(cases[i].text,
				       cases[i].bare ? &bare : &test_facts);
		CHECK_STR(got, cases[i].want);
		free(got);
	}
	CHECK(cfg_from_is_pattern("*@example.org"));
	CHECK(cfg_from_is_pattern("a?@x"));
	CHECK(cfg_from_is_pattern("[ab]@x"));
	CHECK(!cfg_from_is_pattern("a@x"));
	CHECK(!cfg_from_is_pattern(NULL));
}

static const char select_rc[] =
	"account exact\nhost h-exact\nfrom Alice.Smith@Example.ORG\n"
	"account sub\nhost h-sub\nfrom %U@example.net\n"
	"account org\nhost h-org\nfrom *@example.org\n"
	"account ab\nhost h-ab\nfrom [ab]*@x\n"
	"account nofrom\nhost h-nofrom\n"
	"account default\nhost h-default\nfrom nobody@default.example\n";

static void
test_select_for(void)
{
	static const struct {
		const char *name;   /* -a */
		const char *sender; /* -f, or NULL */
		const char *want;   /* account name, or NULL: error */
	} cases[] = {
		/* the exact address, without regard to case */
		{ NULL, "alice.smith@example.org", "exact" },
		{ NULL, "ALICE.SMITH@EXAMPLE.ORG", "exact" },
		/* from with %U, expanded before the comparison */
		{ NULL, "alice@example.net", "sub" },
		{ NULL, "bob@example.net", "default" },
		/* patterns; the first account that matches wins */
		{ NULL, "bob@example.org", "org" },
		{ NULL, "Bob@EXAMPLE.org", "org" },
		{ NULL, "alice.smith@example.org.evil", "default" },
		{ NULL, "bob@x", "ab" },
		{ NULL, "anna@x", "ab" },
		{ NULL, "carl@x", "default" },
		{ NULL, "bob@x.y", "default" },
		/* no match, no sender: the default account */
		{ NULL, "someone@elsewhere.example", "default" },
		{ NULL, NULL, "default" },
		{ NULL, "", "default" },
		/* -a wins over the sender */
		{ "nofrom", "bob@example.org", "nofrom" },
		{ "ab", "alice.smith@example.org", "ab" },
		{ "missing", "bob@example.org", NULL },
	};
	struct cfg cfg;
	struct mf_error err;

	cfg_init(&cfg);
	CHECK(cfg_parse(select_rc, sizeof(select_rc) - 1, "s.conf", &cfg,
			&err));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cfg_account *a;

		err_clear(&err);
		a = cfg_select_for(&cfg, cases[i].name, cases[i].sender,
				   &test_facts, &err);
		if (cases[i].want) {
			CHECK(a != NULL);
			CHECK_STR(a ? a->name : NULL, cases[i].want);
		} else {
			CHECK(a == NULL);
			CHECK_STR(err.msg, "s.conf: no account 'missing'");
			CHECK(err.exit_code == EX_CONFIG);
		}
		if (a && cases[i].want && strcmp(a->name, cases[i].want) != 0)
			fprintf(stderr, "  ^ select_for case %zu\n", i);
	}
	cfg_clear(&cfg);

	/* no account matches and there is no default: the defaults
	 * section when it names a host, else an error */
	cfg_init(&cfg);
	CHECK(cfg_parse(S("defaults\nhost relay\naccount a\nfrom a@x\n"),
			"s.conf", &cfg, &err));
	CHECK(cfg_select_for(&cfg, NULL, "b@x", &test_facts, &err) ==
	      &cfg.defaults);
	CHECK(cfg_select_for(&cfg, NULL, "A@X", &test_facts, &err) ==
	      &cfg.accounts[0]);
	cfg_clear(&cfg);
	cfg_init(&cfg);
	CHECK(cfg_parse(S("account a\nfrom a@x\n"), "s.conf", &cfg, &err));
	CHECK(cfg_select_for(&cfg, NULL, "b@x", &test_facts, &err) == NULL);
	CHECK_STR(err.msg, "s.conf: no account 'default' and no host in the "
		  "defaults (use -a ACCOUNT)");
	cfg_clear(&cfg);
}

static void
test_account_sender(void)
{
	static const struct {
		const char *text;
		const char *want; /* NULL: none */
	} cases[] = {
		{ "auto_from on\nmaildomain example.com\n",
		  "alice@example.com" },
		{ "auto_from on\n", "alice" },
		{ "auto_from on\nmaildomain \"\"\n", "alice" },
		/* auto_from replaces from, as in msmtp */
		{ "from me@x\nauto_from on\nmaildomain m.example\n",
		  "alice@m.example" },
		{ "from me@x\n", "me@x" },
		{ "from %U@%M\n", "alice@example.org" },
		{ "from \"%U+%%@%C\"\n", "alice+%@box.example.org" },
		{ "from *@example.org\n", NULL },
		{ "from [ab]*@x\n", NULL },
		{ "maildomain example.com\n", NULL },
		{ "", NULL },
		{ "auto_from off\nfrom f@x\n", "f@x" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg cfg;
		struct mf_error err;
		char *got;

		cfg_init(&cfg);
		CHECK(cfg_parse(cases[i].text, strlen(cases[i].text), "f",
				&cfg, &err));
		got = cfg_account_sender(&cfg.defaults, &test_facts);
		if (cases[i].want)
			CHECK_STR(got, cases[i].want);
		else
			CHECK(got == NULL);
		if ((got == NULL) != (cases[i].want == NULL))
			fprintf(stderr, "  ^ sender case %zu: got %s\n", i,
				got ? got : "(null)");
		free(got);
		cfg_clear(&cfg);
	}
}

/* ------------------------------------------------------------ load files */

/* The checks of a system file this user may not read; run as a user
 * who cannot read sys. Returns the number of failed checks. */
static int
unreadable_checks(const char *sys, const char *user, const char *nohome)
{
	int before = check_failures;
	struct cfg cfg;
	struct mf_error err;
	char want[9000];
	bool none = false;

	setenv("HOME", nohome, 1);
	unsetenv("XDG_CONFIG_HOME");
	/* skipped when the user has a file */
	cfg_init(&cfg);
	CHECK(cfg_load_files(user, sys, &cfg, &none, &err));
	CHECK(cfg.count == 1 && strcmp(cfg.accounts[0].name, "mine") == 0);
	CHECK(cfg.system_file == NULL);
	CHECK_STR(cfg.file, user);
	cfg_clear(&cfg);
	/* an error when there is nothing else */
	cfg_init(&cfg);
	CHECK(!cfg_load_files(NULL, sys, &cfg, &none, &err));
	CHECK(!none);
	CHECK(err.exit_code == EX_CONFIG);
	snprintf(want, sizeof(want), "%s: Permission denied", sys);
	CHECK_STR(err.msg, want);
	cfg_clear(&cfg);
	return check_failures - before;
}

static void
test_unreadable_system(const char *sys, const char *user,
		       const char *nohome)
{
	pid_t pid;
	int status = 0;

	write_file(sys, S("account mine\nhost sys.example\n"), 0600);
	write_file(user, S("account mine\nhost user.example\npassword pw\n"),
		   0600);
	if (geteuid() != 0) {
		CHECK(chmod(sys, 0) == 0);
		unreadable_checks(sys, user, nohome);
		goto out;
	}
	/* root reads every file: check as nobody, in a child, with the
	 * user's file owned by nobody and the system file by root 0600 */
	if (chmod(tmpdir, 0755) != 0 || chown(user, 65534, 65534) != 0) {
		perror("unreadable system file test");
		CHECK(false);
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int failed;
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
		    setuid(65534) != 0)
			_exit(77);
		failed = unreadable_checks(sys, user, nohome);
		fflush(stderr);
		_exit(failed ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		fprintf(stderr, "config_test: note: cannot become uid 65534; "
			"the unreadable system file checks were skipped\n");
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(chmod(tmpdir, 0700) == 0);

	/* as root: a user file with a password that root does not own */
	{
		struct cfg cfg;
		struct mf_error err;
		char want[9000];

		cfg_init(&cfg);
		CHECK(!cfg_load(user, false, &cfg, &err));
		snprintf(want, sizeof(want), "%s: contains a password but is "
			 "not owned by this user", user);
		CHECK_STR(err.msg, want);
		CHECK(err.exit_code == EX_CONFIG);
		cfg_clear(&cfg);
	}
out:
	unlink(sys);
	unlink(user);
}

/* cfg_load_files on one case: sys and user texts (NULL: no file) with
 * their modes; want_error "" for success, else the exact message with
 * "SYS" and "USER" standing for the paths. */
static void
load_files_case(const char *sys, const char *sys_text, mode_t sys_mode,
		const char *user, const char *user_text, mode_t user_mode,
		const char *want_error)
{
	int before = check_failures;
	struct cfg cfg;
	struct mf_error err;
	struct buf want;
	bool ok;

	if (sys_text)
		write_file(sys, sys_text, strlen(sys_text), sys_mode);
	if (user_text)
		write_file(user, user_text, strlen(user_text), user_mode);
	cfg_init(&cfg);
	err_clear(&err);
	ok = cfg_load_files(user_text ? user : NULL, sys, &cfg, NULL, &err);
	CHECK(ok == (*want_error == '\0'));
	if (!ok) {
		buf_init(&want, 1u << 16);
		for (const char *p = want_error; *p; p++) {
			if (strncmp(p, "SYS", 3) == 0) {
				buf_append_str(&want, sys);
				p += 2;
			} else if (strncmp(p, "USER", 4) == 0) {
				buf_append_str(&want, user);
				p += 3;
			} else {
				buf_append_byte(&want, *p);
			}
		}
		CHECK_STR(err.msg, buf_cstr(&want));
		CHECK(err.exit_code == EX_CONFIG);
		buf_clear(&want);
	}
	cfg_clear(&cfg);
	unlink(sys);
	unlink(user);
	if (check_failures != before)
		fprintf(stderr, "  ^ in load_files case: system %04o %s user "
			"%04o %s\n", (unsigned)sys_mode,
			sys_text ? sys_text : "(none)", (unsigned)user_mode,
			user_text ? user_text : "(none)");
}

static void
test_load_files(void)
{
	char sys[4200], user[4200], home[4200], xdg[4200], p1[4300],
		p2[4300], want[9000];
	struct cfg cfg;
	struct mf_error err;
	const struct cfg_account *a;
	bool none;

	snprintf(sys, sizeof(sys), "%s/system.conf", tmpdir);
	snprintf(user, sizeof(user), "%s/user.conf", tmpdir);
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	snprintf(xdg, sizeof(xdg), "%s/xdg", tmpdir);
	CHECK(mkdir(home, 0700) == 0);
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");

	/* the system file only */
	write_file(sys, S("defaults\ntls on\naccount default\n"
			  "host sys.example\n"), 0644);
	cfg_init(&cfg);
	none = false;
	CHECK(cfg_load_files(NULL, sys, &cfg, &none, &err));
	CHECK(!none);
	CHECK_STR(cfg.file, sys);
	CHECK(cfg.system_file == NULL);
	a = cfg_select(&cfg, NULL, &err);
	CHECK(a != NULL && strcmp(a->host, "sys.example") == 0 && a->tls);
	CHECK(a != NULL && a->file == cfg.file);
	cfg_clear(&cfg);
	unlink(sys);

	/* the user's file only (-C), no system file */
	write_file(user, S("account default\nhost user.example\n"
			   "password pw\n"), 0600);
	cfg_init(&cfg);
	CHECK(cfg_load_files(user, sys, &cfg, &none, &err));
	CHECK_STR(cfg.file, user);
	CHECK(cfg.system_file == NULL);
	CHECK(cfg.count == 1 && strcmp(cfg.accounts[0].host,
				       "user.example") == 0);
	cfg_clear(&cfg);
	unlink(user);

	/* the user's file without -C: ~/.mailferryrc, unless
	 * ~/.config/mailferry/config exists, or with $XDG_CONFIG_HOME set,
	 * $XDG_CONFIG_HOME/mailferry/config */
	snprintf(p1, sizeof(p1), "%s/.mailferryrc", home);
	write_file(p1, S("account default\nhost rc.example\n"), 0600);
	cfg_init(&cfg);
	CHECK(cfg_load_files(NULL, sys, &cfg, &none, &err));
	CHECK_STR(cfg.file, p1);
	cfg_clear(&cfg);
	snprintf(p2, sizeof(p2), "%s/.config", home);
	CHECK(mkdir(p2, 0700) == 0);
	snprintf(p2, sizeof(p2), "%s/.config/mailferry", home);
	CHECK(mkdir(p2, 0700) == 0);
	snprintf(p2, sizeof(p2), "%s/.config/mailferry/config", home);
	write_file(p2, S("account default\nhost dotconfig.example\n"), 0600);
	cfg_init(&cfg);
	CHECK(cfg_load_files(NULL, sys, &cfg, &none, &err));
	CHECK_STR(cfg.file, p2);
	cfg_clear(&cfg);
	unlink(p2);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	cfg_init(&cfg);
	CHECK(cfg_load_files(NULL, sys, &cfg, &none, &err));
	CHECK_STR(cfg.file, p1);
	cfg_clear(&cfg);
	CHECK(mkdir(xdg, 0700) == 0);
	snprintf(p2, sizeof(p2), "%s/mailferry", xdg);
	CHECK(mkdir(p2, 0700) == 0);
	snprintf(p2, sizeof(p2), "%s/mailferry/config", xdg);
	write_file(p2, S("account default\nhost xdg.example\n"), 0600);
	cfg_init(&cfg);
	CHECK(cfg_load_files(NULL, sys, &cfg, &none, &err));
	CHECK_STR(cfg.file, p2);
	cfg_clear(&cfg);
	unlink(p2);
	unlink(p1);
	snprintf(p2, sizeof(p2), "%s/mailferry", xdg);
	rmdir(p2);
	rmdir(xdg);
	snprintf(p2, sizeof(p2), "%s/.config/mailferry", home);
	rmdir(p2);
	snprintf(p2, sizeof(p2), "%s/.config", home);
	rmdir(p2);
	unsetenv("XDG_CONFIG_HOME");

	/* both: the user's account replaces the system's of the same name
	 * (whole), the system's other accounts stay available, and the
	 * system defaults are used when the user's name no host */
	write_file(sys, S("defaults\nhost relay.sys.example\nport 2525\n"
			  "account shared\nhost shared.sys.example\n"
			  "user sysuser\n"
			  "account sysonly\nhost only.sys.example\n"
			  "account default : sysonly\n"), 0644);
	write_file(user, S("account shared\nhost shared.user.example\n"
			   "account mine : shared\nport 587\n"), 0600);
	cfg_init(&cfg);
	CHECK(cfg_load_files(user, sys, &cfg, &none, &err));
	CHECK_STR(cfg.file, user);
	CHECK_STR(cfg.system_file, sys);
	CHECK(cfg.count == 4);
	if (cfg.count == 4) {
		CHECK_STR(cfg.accounts[0].name, "shared");
		CHECK_STR(cfg.accounts[0].host, "shared.user.example");
		CHECK(cfg.accounts[0].user == NULL);
		CHECK(cfg.accounts[0].port == 0);
		CHECK(cfg.accounts[0].file == cfg.file);
		CHECK_STR(cfg.accounts[1].name, "mine");
		CHECK_STR(cfg.accounts[1].host, "shared.user.example");
		CHECK(cfg.accounts[1].port == 587);
		CHECK_STR(cfg.accounts[2].name, "sysonly");
		CHECK_STR(cfg.accounts[2].host, "only.sys.example");
		CHECK(cfg.accounts[2].port == 2525);
		CHECK(cfg.accounts[2].file == cfg.system_file);
		CHECK(cfg.accounts[2].line == 7);
		CHECK_STR(cfg.accounts[3].name, "default");
	}
	a = cfg_select(&cfg, NULL, &err);
	CHECK(a != NULL && strcmp(a->host, "only.sys.example") == 0);
	a = cfg_select(&cfg, "shared", &err);
	CHECK(a != NULL && strcmp(a->host, "shared.user.example") == 0);
	CHECK_STR(cfg.defaults.host, "relay.sys.example");
	CHECK(cfg.defaults.port == 2525);
	CHECK(cfg.defaults.file == cfg.system_file);
	cfg_clear(&cfg);
	/* the user's default account wins over the system's */
	write_file(sys, S("account default\nhost d.sys.example\n"
			  "account other\nhost o.sys.example\n"), 0644);
	write_file(user, S("account default\nhost d.user.example\n"), 0600);
	cfg_init(&cfg);
	CHECK(cfg_load_files(user, sys, &cfg, &none, &err));
	a = cfg_select(&cfg, NULL, &err);
	CHECK(a != NULL && strcmp(a->host, "d.user.example") == 0);
	a = cfg_select(&cfg, "other", &err);
	CHECK(a != NULL && strcmp(a->host, "o.sys.example") == 0);
	CHECK(cfg.count == 2);
	cfg_clear(&cfg);
	unlink(sys);
	unlink(user);

	/* neither file */
	cfg_init(&cfg);
	none = false;
	CHECK(!cfg_load_files(NULL, sys, &cfg, &none, &err));
	CHECK(none);
	CHECK(err.exit_code == EX_CONFIG);
	snprintf(want, sizeof(want), "no configuration: give -C FILE or "
		 "create ~/.mailferryrc or %s", sys);
	CHECK_STR(err.msg, want);
	cfg_clear(&cfg);
	/* -C names a missing file */
	cfg_init(&cfg);
	none = false;
	CHECK(!cfg_load_files(user, sys, &cfg, &none, &err));
	CHECK(!none);
	CHECK(err.exit_code == EX_NOINPUT);
	snprintf(want, sizeof(want), "%s: No such file or directory", user);
	CHECK_STR(err.msg, want);
	cfg_clear(&cfg);

	/* a system file with a password: not readable by others */
	load_files_case(sys, "account s\nhost s\npassword syspw\n", 0644,
			user, "account mine\nhost m\n", 0644,
			"SYS: contains a password but can be read by others "
			"(chmod 640 SYS)");
	load_files_case(sys, "account s\nhost s\npassword syspw\n", 0604,
			user, "account mine\nhost m\n", 0600,
			"SYS: contains a password but can be read by others "
			"(chmod 640 SYS)");
	load_files_case(sys, "account s\nhost s\npassword syspw\n", 0644,
			user, NULL, 0, "SYS: contains a password but can be "
			"read by others (chmod 640 SYS)");
	load_files_case(sys, "account s\nhost s\npassword syspw\n", 0640,
			user, "account mine\nhost m\n", 0644, "");
	load_files_case(sys, "account s\nhost s\npassword syspw\n", 0600,
			user, "account mine\nhost m\n", 0600, "");
	load_files_case(sys, "account s\nhost s\npassword syspw\n", 0440,
			user, NULL, 0, "");
	/* a user file with a password: not readable by group or others */
	load_files_case(sys, "account s\nhost s\n", 0644,
			user, "account default\nhost h\npassword pw\n", 0640,
			"USER: contains a password but can be read by group "
			"or others (chmod 600 USER)");
	load_files_case(sys, "account s\nhost s\n", 0644,
			user, "account default\nhost h\npassword pw\n", 0604,
			"USER: contains a password but can be read by group "
			"or others (chmod 600 USER)");
	load_files_case(sys, "account s\nhost s\n", 0644,
			user, "account default\nhost h\npassword pw\n", 0600,
			"");
	load_files_case(sys, NULL, 0,
			user, "account default\nhost h\npassword pw\n", 0400,
			"");
	/* a broken system file is an error even next to a user file */
	load_files_case(sys, "account a\nbogus\n", 0644,
			user, "account mine\nhost m\n", 0600,
			"SYS:2: unknown keyword 'bogus'");
	/* and so is a user file with an error */
	load_files_case(sys, "account a\nhost a\n", 0644,
			user, "account a\nport 0\n", 0600,
			"USER:2: port: '0' is not a number from 1 to 65535");

	/* a system file this user cannot read */
	snprintf(p1, sizeof(p1), "%s/nohome", tmpdir);
	test_unreadable_system(sys, user, p1);
	setenv("HOME", home, 1);

	/* eval through the real runner (/bin/sh -c), with $HOME for "~" */
	snprintf(p1, sizeof(p1), "%s/passwordeval-ran", tmpdir);
	snprintf(want, sizeof(want),
		 "account default\neval echo host h.example\n"
		 "eval echo '  user \"u v\"'\n"
		 "eval printf '%%s\\n' 'aliases ~/al'\n"
		 "eval true\n"
		 "passwordeval touch %s\n", p1);
	write_file(user, want, strlen(want), 0600);
	cfg_init(&cfg);
	CHECK(cfg_load(user, false, &cfg, &err));
	CHECK(cfg.count == 1);
	if (cfg.count == 1) {
		snprintf(want, sizeof(want), "%s/al", home);
		CHECK_STR(cfg.accounts[0].host, "h.example");
		CHECK_STR(cfg.accounts[0].user, "u v");
		CHECK_STR(cfg.accounts[0].aliases, want);
		CHECK(strncmp(cfg.accounts[0].passwordeval, "touch /",
			      7) == 0);
	}
	/* passwordeval is not run while reading the file */
	CHECK(access(p1, F_OK) != 0);
	cfg_clear(&cfg);
	write_file(user, S("account a\neval false\n"), 0600);
	cfg_init(&cfg);
	CHECK(!cfg_load(user, false, &cfg, &err));
	snprintf(want, sizeof(want),
		 "%s:2: eval: command 'false' failed with exit status 1", user);
	CHECK_STR(err.msg, want);
	CHECK(err.exit_code == EX_CONFIG);
	cfg_clear(&cfg);
	write_file(user, S("account a\neval exit 3\n"), 0600);
	cfg_init(&cfg);
	CHECK(!cfg_load(user, false, &cfg, &err));
	snprintf(want, sizeof(want),
		 "%s:2: eval: command 'exit 3' failed with exit status 3",
		 user);
	CHECK_STR(err.msg, want);
	cfg_clear(&cfg);
	write_file(user, S("account a\neval echo eval echo host x\n"), 0600);
	cfg_init(&cfg);
	CHECK(!cfg_load(user, false, &cfg, &err));
	snprintf(want, sizeof(want),
		 "%s:2: eval produced another eval line (from eval)", user);
	CHECK_STR(err.msg, want);
	cfg_clear(&cfg);
	/* a password printed by eval counts for the permission check */
	write_file(user, S("account a\nhost h\neval echo password pw\n"),
		   0644);
	cfg_init(&cfg);
	CHECK(!cfg_load(user, false, &cfg, &err));
	snprintf(want, sizeof(want), "%s: contains a password but can be "
		 "read by group or others (chmod 600 %s)", user, user);
	CHECK_STR(err.msg, want);
	cfg_clear(&cfg);
	/* not tested: a command that sleeps past CFG_EVAL_TIMEOUT (30 s),
	 * too slow for a unit test */
	unlink(user);
	rmdir(home);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/config_test.XXXXXX",
		 base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_parse_table();
	test_parse_misc();
	test_select();
	test_account_port();
	test_load();
	test_load_files();
	rmdir(tmpdir);
	test_choice_keywords();
	test_full_config();
	test_error_table();
	test_accept_table();
	setenv("HOME", HOME, 1);
	test_set();
	test_is_keyword();
	test_describe();
	test_expand();
	test_select_for();
	test_account_sender();
	return check_done("config_test");
}
