/* tests/unit/sasl_test.c: mechanism choice and the first client step;
 * SCRAM-*-PLUS (RFC 5802 section 6): the choice with and without a
 * channel binding, the gs2 header naming its type, and whole exchanges
 * against libgsasl's own SCRAM server, which checks the binding. */
#include "config.h"

#include "check.h"

#include "sasl/sasl.h"
#include "util/error.h"
#include "util/secret.h"

#include <gsasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const struct {
	const char *offered;
	const char *wanted;
	bool encrypted;
	const char *mech; /* NULL: refused */
	int exit_code;
} choice_cases[] = {
	{ "PLAIN LOGIN SCRAM-SHA-256", "on", true, "SCRAM-SHA-256", 0 },
	{ "PLAIN LOGIN SCRAM-SHA-1", "on", true, "SCRAM-SHA-1", 0 },
	{ "LOGIN PLAIN", "on", true, "PLAIN", 0 },
	{ "LOGIN", "on", true, "LOGIN", 0 },
	{ "PLAIN LOGIN", "login", true, "LOGIN", 0 },
	{ "PLAIN LOGIN", "LOGIN", true, "LOGIN", 0 },
	{ "plain", "on", true, "PLAIN", 0 },
	{ "SCRAM-SHA-256 PLAIN", "on", false, "SCRAM-SHA-256", 0 },
	{ "PLAIN LOGIN", "on", false, NULL, EX_UNAVAILABLE },
	{ "PLAIN", "plain", false, NULL, EX_CONFIG },
	/* the order: SCRAM > CRAM-MD5 > PLAIN > LOGIN; CRAM-MD5
	 * needs no TLS (the password does not cross in clear) */
	{ "CRAM-MD5 GSSAPI", "on", true, "CRAM-MD5", 0 },
	{ "PLAIN CRAM-MD5 LOGIN", "on", true, "CRAM-MD5", 0 },
	{ "PLAIN CRAM-MD5 SCRAM-SHA-1", "on", true, "SCRAM-SHA-1", 0 },
	{ "PLAIN CRAM-MD5", "on", false, "CRAM-MD5", 0 },
	{ "GSSAPI", "on", true, NULL, EX_UNAVAILABLE },
	{ "", "on", true, NULL, EX_UNAVAILABLE },
	{ "PLAIN", "scram-sha-256", true, NULL, EX_UNAVAILABLE },
};

static void
test_choice(void)
{
	for (size_t i = 0; i < sizeof(choice_cases) / sizeof(choice_cases[0]);
	     i++) {
		struct sasl_session *s = NULL;
		struct mf_error err;
		bool ok = sasl_session_new(choice_cases[i].offered,
					   choice_cases[i].wanted,
					   choice_cases[i].encrypted, "u",
					   "p", &s, &err);
		CHECK(ok == (choice_cases[i].mech != NULL));
		if (ok)
			CHECK_STR(sasl_session_mechanism(s),
				  choice_cases[i].mech);
		else
			CHECK(err.exit_code == choice_cases[i].exit_code);
		sasl_session_free(s);
	}
}

static void
test_steps(void)
{
	struct sasl_session *s = NULL;
	struct mf_error err;
	char *out = NULL;

	/* PLAIN: one client-first message, "\0user\0secret" in base64 */
	CHECK(sasl_session_new("PLAIN", "on", true, "user", "secret", &s,
			       &err));
	CHECK(sasl_session_client_first(s));
	CHECK(sasl_session_step(s, "", &out, &err) == SASL_STEP_DONE);
	CHECK_STR(out, "AHVzZXIAc2VjcmV0");
	secret_free(out);
	sasl_session_free(s);

	/* SCRAM: the client-first message names the user, needs more */
	CHECK(sasl_session_new("SCRAM-SHA-256", "on", false, "user", "secret",
			       &s, &err));
	CHECK(sasl_session_step(s, "", &out, &err) == SASL_STEP_MORE);
	CHECK(out != NULL && strlen(out) > 8);
	secret_free(out);
	/* a garbage server-first message is an error, not a crash */
	CHECK(sasl_session_step(s, "Z2FyYmFnZQ==", &out, &err) ==
	      SASL_STEP_ERROR);
	CHECK(out == NULL);
	sasl_session_free(s);

	/* no password: refused before anything is sent */
	CHECK(!sasl_session_new("PLAIN", "on", true, "user", NULL, &s, &err));
	CHECK(err.exit_code == EX_CONFIG);
	CHECK(s == NULL);
	sasl_session_free(NULL);
}

/* Channel bindings as the tls module hands them over. */
static const unsigned char exporter_bytes[32] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
	0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};
static const unsigned char unique_bytes[12] = {
	0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b,
};
static const struct sasl_channel_binding cb_exporter = {
	"tls-exporter", exporter_bytes, sizeof(exporter_bytes)
};
static const struct sasl_channel_binding cb_unique = {
	"tls-unique", unique_bytes, sizeof(unique_bytes)
};
/* A type libgsasl cannot send: treated as no binding. */
static const struct sasl_channel_binding cb_endpoint = {
	"tls-server-end-point", exporter_bytes, sizeof(exporter_bytes)
};

static const struct {
	const char *offered;
	const char *wanted;
	bool encrypted;
	const struct sasl_channel_binding *cb;
	const char *mech; /* NULL: refused */
	int exit_code;
	const char *msg;  /* a piece of the refusal */
} plus_cases[] = {
	/* -PLUS first when the session can bind */
	{ "PLAIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS", "on", true, &cb_exporter,
	  "SCRAM-SHA-256-PLUS", 0, NULL },
	{ "SCRAM-SHA-256 SCRAM-SHA-1-PLUS SCRAM-SHA-1", "on", true,
	  &cb_unique, "SCRAM-SHA-1-PLUS", 0, NULL },
	{ "SCRAM-SHA-1-PLUS SCRAM-SHA-256-PLUS", "on", true, &cb_unique,
	  "SCRAM-SHA-256-PLUS", 0, NULL },
	{ "scram-sha-256-plus", "on", true, &cb_exporter,
	  "SCRAM-SHA-256-PLUS", 0, NULL },
	/* no binding we can send: the plain variant */
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN", "on", true, NULL,
	  "SCRAM-SHA-256", 0, NULL },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-1", "on", true, &cb_endpoint,
	  "SCRAM-SHA-1", 0, NULL },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256", "on", false, &cb_exporter,
	  "SCRAM-SHA-256", 0, NULL },
	{ "SCRAM-SHA-256-PLUS PLAIN", "on", true, NULL, "PLAIN", 0, NULL },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-1-PLUS", "on", true, NULL, NULL,
	  EX_UNAVAILABLE, "no authentication mechanism in common" },
	{ "SCRAM-SHA-256-PLUS", "on", false, NULL, NULL, EX_UNAVAILABLE,
	  "without TLS" },
	/* named */
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256", "scram-sha-256-plus", true,
	  &cb_unique, "SCRAM-SHA-256-PLUS", 0, NULL },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256", "scram-sha-256", true,
	  &cb_exporter, "SCRAM-SHA-256", 0, NULL },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256", "scram-sha-256-plus", true,
	  NULL, NULL, EX_UNAVAILABLE, "this TLS session has none" },
	{ "SCRAM-SHA-1-PLUS", "scram-sha-1-plus", false, &cb_unique, NULL,
	  EX_UNAVAILABLE, "the connection is not TLS" },
	{ "SCRAM-SHA-1-PLUS", "scram-sha-1-plus", true, &cb_endpoint, NULL,
	  EX_UNAVAILABLE, "cannot send its type" },
	{ "SCRAM-SHA-256", "scram-sha-256-plus", true, &cb_exporter, NULL,
	  EX_UNAVAILABLE, "does not offer AUTH scram-sha-256-plus" },
};

static void
test_plus_choice(void)
{
	for (size_t i = 0; i < sizeof(plus_cases) / sizeof(plus_cases[0]);
	     i++) {
		int before = check_failures;
		struct sasl_session *s = NULL;
		struct mf_error err;
		char mech[32];
		bool ok;

		err_clear(&err);
		ok = sasl_session_new_bound(plus_cases[i].offered,
					    plus_cases[i].wanted,
					    plus_cases[i].encrypted,
					    plus_cases[i].cb, "u", "p", &s,
					    &err);
		CHECK(ok == (plus_cases[i].mech != NULL));
		if (ok) {
			CHECK_STR(sasl_session_mechanism(s),
				  plus_cases[i].mech);
		} else {
			CHECK(err.exit_code == plus_cases[i].exit_code);
			CHECK(strstr(err.msg, plus_cases[i].msg) != NULL);
		}
		sasl_session_free(s);
		/* The choice alone (--serverinfo) agrees. */
		err_clear(&err);
		ok = sasl_mechanism_choose(plus_cases[i].offered,
					   plus_cases[i].wanted,
					   plus_cases[i].encrypted,
					   plus_cases[i].cb, mech,
					   sizeof(mech), &err);
		CHECK(ok == (plus_cases[i].mech != NULL));
		if (ok)
			CHECK_STR(mech, plus_cases[i].mech);
		if (check_failures != before)
			fprintf(stderr, "  ^ in plus_cases case %zu\n", i);
	}
}

/* The gs2 header of the client-first message (RFC 5802 7) names the
 * binding's type for -PLUS; plain SCRAM says "n" (see sasl.c). */
static void
test_plus_header(void)
{
	static const struct {
		const char *offered;
		const struct sasl_channel_binding *cb;
		const char *header;
	} cases[] = {
		{ "SCRAM-SHA-256-PLUS", &cb_exporter, "p=tls-exporter,,n=u," },
		{ "SCRAM-SHA-1-PLUS", &cb_unique, "p=tls-unique,,n=u," },
		{ "SCRAM-SHA-256", &cb_exporter, "n,,n=u," },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sasl_session *s = NULL;
		struct mf_error err;
		char *out = NULL, *first = NULL;
		size_t len = 0;

		err_clear(&err);
		CHECK(sasl_session_new_bound(cases[i].offered, "on", true,
					     cases[i].cb, "u", "p", &s, &err));
		if (s == NULL)
			continue;
		CHECK(sasl_session_step(s, "", &out, &err) == SASL_STEP_MORE);
		CHECK(out != NULL &&
		      gsasl_base64_from(out, strlen(out), &first, &len) ==
			      GSASL_OK);
		CHECK(first != NULL &&
		      strncmp(first, cases[i].header,
			      strlen(cases[i].header)) == 0);
		if (first && strncmp(first, cases[i].header,
				     strlen(cases[i].header)) != 0)
			fprintf(stderr, "  got %.*s\n", (int)len, first);
		gsasl_free(first);
		secret_free(out);
		sasl_session_free(s);
	}
}

/* libgsasl's SCRAM server needs the password from a callback. */
static const char *server_password = "secret";
static const char *client_password = "secret";
static const char *server_iterations; /* NULL: libgsasl's default */
static char last_error[512];          /* the client's, from exchange() */

static int
server_callback(Gsasl *ctx, Gsasl_session *sctx, Gsasl_property prop)
{
	(void)ctx;
	if (prop == GSASL_PASSWORD) {
		gsasl_property_set(sctx, GSASL_PASSWORD, server_password);
		return GSASL_OK;
	}
	return GSASL_NO_CALLBACK;
}

/* One whole exchange: our client with client_cb against libgsasl's
 * server for mech with server_cb (type and bytes the server's end of the
 * TLS session would have). True when both ends accept. */
static bool
exchange(const char *mech, const struct sasl_channel_binding *client_cb,
	 const struct sasl_channel_binding *server_cb)
{
	Gsasl *ctx = NULL;
	Gsasl_session *server = NULL;
	struct sasl_session *client = NULL;
	struct mf_error err;
	char *c_out = NULL, *s_out = NULL, *b64 = NULL;
	size_t b64_len;
	enum sasl_step st = SASL_STEP_MORE;
	int rc = GSASL_NEEDS_MORE;
	bool ok = false;

	err_clear(&err);
	if (gsasl_init(&ctx) != GSASL_OK)
		return false;
	gsasl_callback_set(ctx, server_callback);
	if (gsasl_server_start(ctx, mech, &server) != GSASL_OK)
		goto out;
	if (server_iterations)
		gsasl_property_set(server, GSASL_SCRAM_ITER,
				   server_iterations);
	last_error[0] = '\0';
	if (gsasl_base64_to((const char *)server_cb->data, server_cb->len,
			    &b64, &b64_len) != GSASL_OK)
		goto out;
	gsasl_property_set(server, strcmp(server_cb->type, "tls-unique") == 0
					   ? GSASL_CB_TLS_UNIQUE
					   : GSASL_CB_TLS_EXPORTER,
			   b64);
	if (!sasl_session_new_bound(mech, "on", true, client_cb, "user",
				    client_password, &client, &err))
		goto out;
	/* client first, server first, client final, server final */
	for (int round = 0; round < 4 && st == SASL_STEP_MORE; round++) {
		st = sasl_session_step(client, s_out ? s_out : "", &c_out,
				       &err);
		gsasl_free(s_out);
		s_out = NULL;
		if (st != SASL_STEP_MORE)
			break;
		rc = gsasl_step64(server, c_out, &s_out);
		secret_free(c_out);
		c_out = NULL;
		if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE)
			break;
	}
	ok = st == SASL_STEP_DONE && rc == GSASL_OK;
	if (err_isset(&err))
		snprintf(last_error, sizeof(last_error), "%s", err.msg);
out:
	secret_free(c_out);
	gsasl_free(s_out);
	gsasl_free(b64);
	sasl_session_free(client);
	if (server)
		gsasl_finish(server);
	gsasl_done(ctx);
	return ok;
}

static void
test_plus_exchange(void)
{
	static const unsigned char other[32] = { 0x42 };
	static const struct sasl_channel_binding cb_other = {
		"tls-exporter", other, sizeof(other)
	};

	/* Both ends of one TLS session: accepted. */
	CHECK(exchange("SCRAM-SHA-256-PLUS", &cb_exporter, &cb_exporter));
	CHECK(exchange("SCRAM-SHA-1-PLUS", &cb_exporter, &cb_exporter));
	CHECK(exchange("SCRAM-SHA-256-PLUS", &cb_unique, &cb_unique));
	/* A man in the middle: two TLS sessions, two bindings. */
	CHECK(!exchange("SCRAM-SHA-256-PLUS", &cb_exporter, &cb_other));
	CHECK(!exchange("SCRAM-SHA-1-PLUS", &cb_unique, &cb_other));
	/* Plain SCRAM still works with a binding at hand (sent as "n"). */
	CHECK(exchange("SCRAM-SHA-256", &cb_exporter, &cb_exporter));
}

/* The salted password our client computes (sasl.c: PBKDF2 through
 * GnuTLS, over the SASLprep'd password) is the one libgsasl's server
 * derives from its own copy: a wrong one is refused, and passwords equal
 * under SASLprep (RFC 4013: NFKC, soft hyphen mapped to nothing) log in. */
static void
test_salted_password(void)
{
	static const struct {
		const char *client, *server;
		bool ok;
	} cases[] = {
		{ "secret", "secret", true },
		{ "secret", "Secret", false },
		{ "wrong", "secret", false },
		{ "", "secret", false },
		{ "\xe2\x85\xa8", "IX", true },        /* ROMAN NUMERAL NINE */
		{ "sec\xc2\xadret", "secret", true },   /* SOFT HYPHEN */
		{ "p\xc3\xa4ss w\xc3\xb6rd", "p\xc3\xa4ss w\xc3\xb6rd", true },
		{ "p\xc3\xa4ss", "pass", false },
	};
	static const char *const mechs[] = { "SCRAM-SHA-256", "SCRAM-SHA-1",
					     "SCRAM-SHA-256-PLUS" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t m = 0; m < sizeof(mechs) / sizeof(mechs[0]); m++) {
			bool ok;

			client_password = cases[i].client;
			server_password = cases[i].server;
			ok = exchange(mechs[m], &cb_exporter, &cb_exporter);
			CHECK(ok == cases[i].ok);
			if (ok != cases[i].ok)
				fprintf(stderr, "  ^ %s, case %zu\n", mechs[m],
					i);
		}
	}
	client_password = server_password = "secret";
}

/* The iteration count is the server's to choose, within reason: an
 * unusual but sane one works, one that would keep the client computing
 * for minutes is refused at once, saying why. */
static void
test_iterations(void)
{
	server_iterations = "10000";
	CHECK(exchange("SCRAM-SHA-256", &cb_exporter, &cb_exporter));
	CHECK(exchange("SCRAM-SHA-1", &cb_exporter, &cb_exporter));
	server_iterations = "1000001";
	CHECK(!exchange("SCRAM-SHA-256", &cb_exporter, &cb_exporter));
	CHECK(strstr(last_error, "more than 1000000 iterations") != NULL);
	server_iterations = "4294967295";
	CHECK(!exchange("SCRAM-SHA-1", &cb_exporter, &cb_exporter));
	CHECK(strstr(last_error, "more than 1000000 iterations") != NULL);
	server_iterations = NULL;
}

int
main(void)
{
	test_choice();
	test_steps();
	test_plus_choice();
	test_plus_header();
	test_plus_exchange();
	test_salted_password();
	test_iterations();
	return check_done("sasl_test");
}
