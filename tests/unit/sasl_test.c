/* tests/unit/sasl_test.c: mechanism choice and the first client step. */
#include "config.h"

#include "check.h"

#include "sasl/sasl.h"
#include "util/error.h"
#include "util/secret.h"

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
	{ "CRAM-MD5 GSSAPI", "on", true, NULL, EX_UNAVAILABLE },
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

int
main(void)
{
	test_choice();
	test_steps();
	return check_done("sasl_test");
}
