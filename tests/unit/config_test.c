/* tests/unit/config_test.c: config/ — the msmtprc syntax (comments,
 * quoting, defaults and account inheritance as msmtp does it), exact
 * "FILE:LINE: ..." errors, account selection, default ports, and cfg_load
 * on real files: permissions, missing files, directories. */
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
#include <sys/stat.h>
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
	rmdir(tmpdir);
	test_choice_keywords();
	return check_done("config_test");
}
