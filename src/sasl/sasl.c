/* sasl/sasl.c: the libgsasl client wrapper (RFC 4422 SASL; RFC 4616 PLAIN,
 * RFC 5802/7677 SCRAM-SHA-1/-256; the non-standard LOGIN). It picks the
 * mechanism, steps the exchange and wipes what passed through it. */
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
	Gsasl_session *sctx;
	char mech[32];
	bool done;
};

/* Strongest first. PLAIN and LOGIN only over TLS. */
static const struct {
	const char *name;
	bool needs_tls;
} mech_order[] = {
	{ "SCRAM-SHA-256", false },
	{ "SCRAM-SHA-1", false },
	{ "PLAIN", true },
	{ "LOGIN", true },
};

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
	bool any = strcasecmp(wanted, "on") == 0;

	for (size_t i = 0; i < sizeof(mech_order) / sizeof(mech_order[0]);
	     i++) {
		const char *name = mech_order[i].name;
		if (!any && strcasecmp(wanted, name) != 0)
			continue;
		if (!offers(server_mechs, name))
			continue;
		if (!gsasl_client_support_p(ctx, name))
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
	if (user == NULL || *user == '\0' || password == NULL) {
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
	rc = gsasl_client_start(s->ctx, s->mech, &s->sctx);
	if (rc != GSASL_OK) {
		s->sctx = NULL;
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "libgsasl %s: %s",
			s->mech, gsasl_strerror(rc));
		goto fail;
	}
	gsasl_property_set(s->sctx, GSASL_AUTHID, user);
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
	return strcmp(s->mech, "LOGIN") != 0;
}

enum sasl_step
sasl_session_step(struct sasl_session *s, const char *challenge, char **out,
		  struct mf_error *err)
{
	char *gout = NULL;
	int rc;

	*out = NULL;
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
