/* tests/unit/idna_test.c: envelope addresses for servers with and without
 * SMTPUTF8 (addr_idna_envelope), table-driven: ASCII passthrough, UTF-8
 * kept for an SMTPUTF8 server, domains converted to A-labels (UTS #46
 * mapping: case, NFC, width) for one without, and the refusals. */
#include "config.h"

#include "address/idna.h"
#include "util/error.h"
#include "util/limits.h"

#include "check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct idna_case {
	const char *in;
	bool smtputf8;             /* the server offers SMTPUTF8 */
	const char *want;          /* NULL: refused */
	enum addr_idna_form form;  /* when accepted */
	const char *errsub;        /* when refused: part of the message */
};

#define GOES(in, utf8, want, form) { (in), (utf8), (want), (form), NULL }
#define REFUSED(in, utf8, errsub) \
	{ (in), (utf8), NULL, ADDR_IDNA_ASCII, (errsub) }

static const char local_refused[] =
	"non-ASCII local part and the server does not offer SMTPUTF8";
static const char bad_domain[] =
	"is not a valid internationalized domain name: ";

static const struct idna_case cases[] = {
	/* ASCII goes unchanged, whatever the server offers */
	GOES("a@b.example", false, "a@b.example", ADDR_IDNA_ASCII),
	GOES("a@b.example", true, "a@b.example", ADDR_IDNA_ASCII),
	GOES("", false, "", ADDR_IDNA_ASCII),
	GOES("root", false, "root", ADDR_IDNA_ASCII),
	GOES("\"john doe\"@x.example", false, "\"john doe\"@x.example",
	     ADDR_IDNA_ASCII),
	GOES("user@[192.0.2.1]", false, "user@[192.0.2.1]", ADDR_IDNA_ASCII),
	/* an A-label domain is ASCII already: not touched */
	GOES("a@xn--3e0b707e.kr", false, "a@xn--3e0b707e.kr", ADDR_IDNA_ASCII),
	GOES("User@EXAMPLE.org", false, "User@EXAMPLE.org", ADDR_IDNA_ASCII),

	/* SMTPUTF8: UTF-8 goes as written, local part and domain */
	GOES("사용자@한국.kr", true, "사용자@한국.kr", ADDR_IDNA_UTF8),
	GOES("user@한국.kr", true, "user@한국.kr", ADDR_IDNA_UTF8),
	GOES("müller@BÜCHER.example", true, "müller@BÜCHER.example",
	     ADDR_IDNA_UTF8),
	GOES("\"사용 자\"@example.org", true, "\"사용 자\"@example.org",
	     ADDR_IDNA_UTF8),

	/* no SMTPUTF8: the domain becomes A-labels */
	GOES("user@한국.kr", false, "user@xn--3e0b707e.kr", ADDR_IDNA_ALABEL),
	GOES("info@bücher.example", false, "info@xn--bcher-kva.example",
	     ADDR_IDNA_ALABEL),
	/* UTS #46 mapping: upper case folded, ... */
	GOES("info@BÜCHER.example", false, "info@xn--bcher-kva.example",
	     ADDR_IDNA_ALABEL),
	GOES("Info@Bücher.EXAMPLE", false, "Info@xn--bcher-kva.example",
	     ADDR_IDNA_ALABEL),
	/* ... decomposed input normalised to NFC (u + U+0308) ... */
	GOES("info@bu\xcc\x88" "cher.example", false,
	     "info@xn--bcher-kva.example", ADDR_IDNA_ALABEL),
	/* ... full-width letters and dots mapped */
	GOES("info@ＢÜCHER．example", false, "info@xn--bcher-kva.example",
	     ADDR_IDNA_ALABEL),
	GOES("info@bücher。example", false, "info@xn--bcher-kva.example",
	     ADDR_IDNA_ALABEL),
	/* non-transitional: sharp s is kept, not mapped to "ss" */
	GOES("x@faß.de", false, "x@xn--fa-hia.de", ADDR_IDNA_ALABEL),
	/* several labels, A-labels and U-labels mixed */
	GOES("x@xn--bcher-kva.bücher.example", false,
	     "x@xn--bcher-kva.xn--bcher-kva.example", ADDR_IDNA_ALABEL),
	/* a quoted local part (holding "@") before an IDN domain */
	GOES("\"a@b c\"@bücher.example", false,
	     "\"a@b c\"@xn--bcher-kva.example", ADDR_IDNA_ALABEL),
	/* the null sender stays the null sender */
	GOES("", true, "", ADDR_IDNA_ASCII),

	/* no SMTPUTF8: a non-ASCII local part cannot be converted */
	REFUSED("사용자@한국.kr", false, local_refused),
	REFUSED("사용자@example.org", false, local_refused),
	REFUSED("müller@example.de", false, local_refused),
	REFUSED("\"사용 자\"@example.org", false, local_refused),
	REFUSED("\"a\\\"ü\"@bücher.example", false, local_refused),
	REFUSED("사용자", false, local_refused),

	/* domains libidn2 refuses */
	REFUSED("x@\xee\x80\x80.example", false, bad_domain), /* U+E000 */
	REFUSED("x@a\xcd\xb8.example", false, bad_domain),    /* U+0378 */
	REFUSED("x@a\xe2\x80\x8d.example", false, bad_domain), /* ZWJ */
	REFUSED("x@-bücher.example", false, bad_domain),
	REFUSED("x@xn--zz.bücher.example", false, bad_domain),
	REFUSED("x@[IPv6:é]", false, "non-ASCII address literal"),

	/* invalid UTF-8, with or without SMTPUTF8 */
	REFUSED("a@b\xff.example", false, "not valid UTF-8"),
	REFUSED("a@b\xff.example", true, "not valid UTF-8"),
	REFUSED("\xc3@example.org", true, "not valid UTF-8"),       /* cut */
	REFUSED("a\xc0\xaf@example.org", true, "not valid UTF-8"),  /* overlong */
	REFUSED("a\xed\xa0\x80@example.org", true, "not valid UTF-8"), /* D800 */
	REFUSED("a\xf4\x90\x80\x80@example.org", true, "not valid UTF-8"),
	REFUSED("a\x80@example.org", false, "not valid UTF-8"),
};

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct idna_case *c = &cases[i];
		struct mf_error err;
		enum addr_idna_form form = ADDR_IDNA_ASCII;
		char *out = NULL;
		bool ok;

		err_clear(&err);
		ok = addr_idna_envelope(c->in, c->smtputf8, &out, &form, &err);
		if (ok != (c->want != NULL))
			fprintf(stderr, "case %zu \"%s\": %s (%s)\n", i, c->in,
				ok ? "accepted" : "refused", err.msg);
		if (c->want != NULL) {
			CHECK(ok);
			CHECK_STR(out, c->want);
			CHECK(form == c->form);
			CHECK(!err_isset(&err));
		} else {
			CHECK(!ok);
			CHECK(out == NULL);
			CHECK(err.exit_code == EX_DATAERR);
			CHECK(err.cls == ERR_PERMANENT);
			if (strstr(err.msg, c->errsub) == NULL) {
				fprintf(stderr, "case %zu: \"%s\" lacks \"%s\"\n",
					i, err.msg, c->errsub);
				CHECK(false);
			}
		}
		free(out);
	}
}

/* The messages name the address (escaped, as every error is). */
static void
test_messages(void)
{
	struct mf_error err;
	enum addr_idna_form form;
	char *out = NULL;

	err_clear(&err);
	CHECK(!addr_idna_envelope("사용자@한국.kr", false, &out, &form, &err));
	CHECK_STR(err.msg, "address <\\xec\\x82\\xac\\xec\\x9a\\xa9\\xec\\x9e"
			   "\\x90@\\xed\\x95\\x9c\\xea\\xb5\\xad.kr>: non-ASCII "
			   "local part and the server does not offer SMTPUTF8");
	err_clear(&err);
	CHECK(!addr_idna_envelope("x@-b\xc3\xbc" "cher.example", false, &out,
				  &form, &err));
	CHECK(strncmp(err.msg, "domain of <x@-b\\xc3\\xbccher.example> is not "
			       "a valid internationalized domain name: ",
		      strlen("domain of <x@-b\\xc3\\xbccher.example> is not "
			     "a valid internationalized domain name: ")) == 0);
	CHECK(out == NULL);
}

/* Converted, an address may outgrow LIMIT_ADDRESS: refused, not cut. */
static void
test_too_long(void)
{
	char in[LIMIT_ADDRESS + 64];
	size_t n = LIMIT_ADDRESS - 14;
	struct mf_error err;
	enum addr_idna_form form;
	char *out = NULL;

	memset(in, 'a', n);
	memcpy(in + n, "@bücher.example", sizeof("@bücher.example"));
	err_clear(&err);
	CHECK(addr_idna_envelope(in, true, &out, &form, &err));
	CHECK(form == ADDR_IDNA_UTF8);
	free(out);
	out = NULL;
	CHECK(!addr_idna_envelope(in, false, &out, &form, &err));
	CHECK(out == NULL);
	CHECK(err.exit_code == EX_DATAERR);
	CHECK(strstr(err.msg, "longer than") != NULL);
}

static void
test_is_ascii(void)
{
	CHECK(addr_is_ascii(""));
	CHECK(addr_is_ascii("a@b.example"));
	CHECK(addr_is_ascii("\x7f"));
	CHECK(!addr_is_ascii("a@bücher.example"));
	CHECK(!addr_is_ascii("abcdefghijklmnop\x80"));
}

int
main(void)
{
	test_table();
	test_messages();
	test_too_long();
	test_is_ascii();
	return check_done("idna_test");
}
