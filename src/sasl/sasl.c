/* sasl/sasl.c: the libgsasl client wrapper (RFC 4422 SASL; RFC 4616 PLAIN,
 * RFC 5802/7677 SCRAM-SHA-1/-256; the non-standard LOGIN; CRAM-MD5,
 * DIGEST-MD5 and EXTERNAL when asked for by name). OAUTHBEARER (RFC 7628)
 * and Google's and Microsoft's XOAUTH2, which libgsasl 2.2 lacks, are one
 * message each and are built here. It picks the mechanism, steps the
 * exchange and wipes what passed through it. */
#include "config.h"

#include "sasl/sasl.h"

#include "util/alloc.h"
#include "util/error.h"
#include "util/secret.h"

#include <gsasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

struct sasl_session {
	Gsasl *ctx;
	Gsasl_session *sctx;  /* NULL for the token mechanisms */
	char mech[32];
	bool done;
	char *user;           /* token mechanisms: copies, wiped */
	char *token;
	unsigned steps;
};

/* Strongest first. PLAIN, LOGIN and the bearer tokens only over TLS.
 * explicit: never chosen by "auth on", only by name (msmtp does the
 * same for the token mechanisms; CRAM-MD5 and DIGEST-MD5 are obsolete,
 * EXTERNAL needs a client certificate). */
static const struct {
	const char *name;
	bool needs_tls;
	bool explicit;
	bool token;      /* built here, not by libgsasl */
} mech_order[] = {
	{ "SCRAM-SHA-256", false, false, false },
	{ "SCRAM-SHA-1", false, false, false },
	{ "PLAIN", true, false, false },
	{ "LOGIN", true, false, false },
	{ "OAUTHBEARER", true, true, true },
	{ "XOAUTH2", true, true, true },
	{ "CRAM-MD5", false, true, false },
	{ "DIGEST-MD5", false, true, false },
	{ "EXTERNAL", false, true, false },
};

static bool
is_token_mech(const char *name)
{
	return strcmp(name, "OAUTHBEARER") == 0 ||
	       strcmp(name, "XOAUTH2") == 0;
}

/* Whether the space separated list offers name (case-insensitive). */
static bool
offers(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (*p) {
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " ");
		if (w == n && strncasecmp(p, name, n) == 0)
			return true;
		p += w;
	}
	return false;
}

static bool
choose(Gsasl *ctx, const char *server_mechs, const char *wanted,
       bool encrypted, char *mech, size_t mech_size, struct mf_error *err)
{
	bool any = strcasecmp(wanted, "on") == 0, known = any;

	for (size_t i = 0; i < sizeof(mech_order) / sizeof(mech_order[0]);
	     i++) {
		const char *name = mech_order[i].name;
		if (!any && strcasecmp(wanted, name) != 0)
			continue;
		if (any && mech_order[i].explicit)
			continue;
		known = true;
		if (!offers(server_mechs, name))
			continue;
		if (!mech_order[i].token && !gsasl_client_support_p(ctx, name))
			continue;
		if (mech_order[i].needs_tls && !encrypted) {
			if (!any) {
				err_set(err, EX_CONFIG, ERR_PERMANENT,
					"refusing AUTH %s without TLS: the "
					"password would be sent in clear",
					name);
				return false;
			}
			continue;
		}
		snprintf(mech, mech_size, "%s", name);
		return true;
	}
	if (any)
		err_set(err, EX_UNAVAILABLE, ERR_PERMANENT,
			"no authentication mechanism in common with the "
			"server%s (server offers: %s)",
			encrypted ? "" : " without TLS",
			*server_mechs ? server_mechs : "none");
	else if (!known)
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"auth %s is not supported by this version (use on, "
			"scram-sha-256, scram-sha-1, plain, login, "
			"oauthbearer, xoauth2, cram-md5, digest-md5 or "
			"external)", wanted);
	else
		err_set(err, EX_UNAVAILABLE, ERR_PERMANENT,
			"server does not offer AUTH %s (it offers: %s)",
			wanted, *server_mechs ? server_mechs : "none");
	return false;
}

bool
sasl_session_new(const char *server_mechs, const char *wanted,
		 bool encrypted, const char *user, const char *password,
		 struct sasl_session **out, struct mf_error *err)
{
	struct sasl_session *s = xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	/* EXTERNAL proves who we are with the TLS client certificate. */
	if (strcasecmp(wanted, "external") != 0 &&
	    (user == NULL || *user == '\0' || password == NULL)) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"authentication needs 'user' and 'password' in the "
			"account");
		goto fail;
	}
	rc = gsasl_init(&s->ctx);
	if (rc != GSASL_OK) {
		s->ctx = NULL;
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "libgsasl: %s",
			gsasl_strerror(rc));
		goto fail;
	}
	if (!choose(s->ctx, server_mechs, wanted, encrypted, s->mech,
		    sizeof(s->mech), err))
		goto fail;
	if (is_token_mech(s->mech)) {
		s->user = xstrdup(user);
		s->token = xstrdup(password);
		*out = s;
		return true;
	}
	rc = gsasl_client_start(s->ctx, s->mech, &s->sctx);
	if (rc != GSASL_OK) {
		s->sctx = NULL;
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "libgsasl %s: %s",
			s->mech, gsasl_strerror(rc));
		goto fail;
	}
	if (user && *user)
		gsasl_property_set(s->sctx, GSASL_AUTHID, user);
	if (password)
		gsasl_property_set(s->sctx, GSASL_PASSWORD, password);
	gsasl_property_set(s->sctx, GSASL_SERVICE, "smtp");
	*out = s;
	return true;
fail:
	sasl_session_free(s);
	return false;
}

void
sasl_session_free(struct sasl_session *s)
{
	if (s == NULL)
		return;
	if (s->sctx) {
		/* Release libgsasl's copy of the password as early as we
		 * can; libgsasl does not promise to wipe it (our own copies
		 * are wiped by the config layer). */
		gsasl_property_free(s->sctx, GSASL_PASSWORD);
		gsasl_finish(s->sctx);
	}
	if (s->ctx)
		gsasl_done(s->ctx);
	secret_free(s->user);
	secret_free(s->token);
	free(s);
}

const char *
sasl_session_mechanism(const struct sasl_session *s)
{
	return s->mech;
}

bool
sasl_session_client_first(const struct sasl_session *s)
{
	/* The server speaks first in these: an initial response is an
	 * error (CRAM-MD5's challenge is what we answer). */
	return strcmp(s->mech, "LOGIN") != 0 &&
	       strcmp(s->mech, "CRAM-MD5") != 0 &&
	       strcmp(s->mech, "DIGEST-MD5") != 0;
}

/* OAUTHBEARER (RFC 7628 3.1) and XOAUTH2: the token in one message. If
 * the server answers it with a challenge, that is its error report
 * (JSON); the reply that ends the exchange is a ^A (OAUTHBEARER) or an
 * empty line (XOAUTH2), after which the server says 535. */
static enum sasl_step
token_step(struct sasl_session *s, char **out, struct mf_error *err)
{
	size_t n = strlen(s->user) + strlen(s->token) + 64;
	char *msg = xmalloc(n), *b64 = NULL;
	size_t b64_len = 0;
	int len, rc;

	if (s->steps++ > 0) {
		*out = xstrdup(strcmp(s->mech, "OAUTHBEARER") == 0 ? "AQ=="
								    : "");
		free(msg);
		return SASL_STEP_DONE;
	}
	if (strcmp(s->mech, "OAUTHBEARER") == 0)
		len = snprintf(msg, n, "n,a=%s,\001auth=Bearer %s\001\001",
			       s->user, s->token);
	else
		len = snprintf(msg, n, "user=%s\001auth=Bearer %s\001\001",
			       s->user, s->token);
	rc = gsasl_base64_to(msg, (size_t)len, &b64, &b64_len);
	secret_wipe(msg, n);
	free(msg);
	if (rc != GSASL_OK) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "AUTH %s: %s", s->mech,
			gsasl_strerror(rc));
		return SASL_STEP_ERROR;
	}
	*out = xstrdup(b64);
	secret_wipe(b64, b64_len);
	gsasl_free(b64);
	s->done = true;
	return SASL_STEP_DONE;
}

enum sasl_step
sasl_session_step(struct sasl_session *s, const char *challenge, char **out,
		  struct mf_error *err)
{
	char *gout = NULL;
	int rc;

	*out = NULL;
	if (s->sctx == NULL)
		return token_step(s, out, err);
	rc = gsasl_step64(s->sctx, challenge, &gout);
	if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
		if (gout) {
			secret_wipe(gout, strlen(gout));
			gsasl_free(gout);
		}
		if (rc == GSASL_AUTHENTICATION_ERROR ||
		    rc == GSASL_MECHANISM_PARSE_ERROR)
			err_set(err, EX_NOPERM, ERR_PERMANENT,
				"AUTH %s: the server's answer is not valid "
				"(%s)", s->mech, gsasl_strerror(rc));
		else
			err_set(err, EX_PROTOCOL, ERR_TEMPORARY,
				"AUTH %s: %s", s->mech, gsasl_strerror(rc));
		return SASL_STEP_ERROR;
	}
	*out = xstrdup(gout ? gout : "");
	if (gout) {
		secret_wipe(gout, strlen(gout));
		gsasl_free(gout);
	}
	s->done = rc == GSASL_OK;
	return s->done ? SASL_STEP_DONE : SASL_STEP_MORE;
}
