/* sasl/sasl.c: the libgsasl client wrapper (RFC 4422 SASL; RFC 4616 PLAIN,
 * RFC 5802/7677 SCRAM-SHA-1/-256 and their -PLUS variants with channel
 * binding; the non-standard LOGIN; CRAM-MD5, DIGEST-MD5 and EXTERNAL when
 * asked for by name). OAUTHBEARER (RFC 7628) and Google's and Microsoft's
 * XOAUTH2, which libgsasl 2.2 lacks, are one message each and are built
 * here. It picks the mechanism, steps the exchange and wipes what passed
 * through it.
 *
 * Channel binding (RFC 5802 section 6): the caller hands over the TLS
 * session's binding as bytes with its type name; it goes to libgsasl as
 * the base64 property of that type (GSASL_CB_TLS_EXPORTER, which needs
 * libgsasl 2.2, or GSASL_CB_TLS_UNIQUE), and libgsasl names that type in
 * the gs2 header ("p=tls-exporter,,"). The property is set only for a
 * -PLUS mechanism: libgsasl 2.2's client fails a plain SCRAM exchange that
 * has one (it cannot send the "y" flag), so plain SCRAM always sends "n"
 * even when we could bind. That loses RFC 5802's downgrade signal when
 * the server does not offer -PLUS; the mechanism list came over a TLS
 * session whose certificate was checked, which is what protects it.
 *
 * SCRAM's salted password (RFC 5802 section 3: PBKDF2 over the SASLprep'd
 * password, with the server's salt and iteration count) is computed here
 * with GnuTLS's PBKDF2 (Nettle) and handed to libgsasl through its
 * GSASL_SCRAM_SALTED_PASSWORD callback: libgsasl's own loop costs about
 * 14 times as many instructions (measured: 56M of 72M for one
 * SCRAM-SHA-256 login at 4096 iterations). */
#include "config.h"

#include "sasl/sasl.h"

#include "util/alloc.h"
#include "util/error.h"
#include "util/secret.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gsasl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

struct sasl_session {
	Gsasl *ctx;
	Gsasl_session *sctx;  /* NULL for the token mechanisms */
	char mech[32];
	char *cb64;           /* the channel binding in base64, or NULL */
	bool done;
	char *user;           /* token mechanisms: copies, wiped */
	char *token;
	unsigned steps;
	const char *refused; /* why our end stopped the exchange, or NULL */
};

/* The most SCRAM iterations a server may ask for (RFC 7677 asks for at
 * least 4096; servers use up to about 100 000). Each costs two
 * compressions: a server asking for 2^32 would keep us busy for an hour,
 * past any timeout, since no byte is awaited meanwhile. */
#define SCRAM_MAX_ITERATIONS 1000000UL

/* Strongest first. PLAIN, LOGIN and the bearer tokens only over TLS.
 * explicit: never chosen by "auth on", only by name (msmtp does the
 * same for the token mechanisms; CRAM-MD5 and DIGEST-MD5 are obsolete,
 * EXTERNAL needs a client certificate). */
static const struct {
	const char *name;
	bool needs_tls;
	bool explicit;
	bool token;      /* built here, not by libgsasl */
	bool plus;       /* needs a channel binding */
} mech_order[] = {
	{ "SCRAM-SHA-256-PLUS", true, false, false, true },
	{ "SCRAM-SHA-1-PLUS", true, false, false, true },
	{ "SCRAM-SHA-256", false, false, false, false },
	{ "SCRAM-SHA-1", false, false, false, false },
	{ "CRAM-MD5", false, false, false, false },
	{ "PLAIN", true, false, false, false },
	{ "LOGIN", true, false, false, false },
	{ "OAUTHBEARER", true, true, true, false },
	{ "XOAUTH2", true, true, true, false },
	{ "DIGEST-MD5", false, true, false, false },
	{ "EXTERNAL", false, true, false, false },
};

/* The libgsasl property that carries a binding of cb's type; false when
 * there is no binding or libgsasl cannot send its type. */
static bool
cb_property(const struct sasl_channel_binding *cb, Gsasl_property *prop)
{
	if (cb == NULL || cb->type == NULL || cb->data == NULL ||
	    cb->len == 0)
		return false;
	if (strcmp(cb->type, "tls-unique") == 0) {
		*prop = GSASL_CB_TLS_UNIQUE;
		return true;
	}
/* tls-exporter (RFC 9266) came with libgsasl 2.2; configure accepts 2.0,
 * whose header lacks the property. */
#if GSASL_VERSION_NUMBER >= 0x020200
	if (strcmp(cb->type, "tls-exporter") == 0) {
		*prop = GSASL_CB_TLS_EXPORTER;
		return true;
	}
#endif
	return false;
}

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
       bool encrypted, const struct sasl_channel_binding *cb, char *mech,
       size_t mech_size, struct mf_error *err)
{
	bool any = strcasecmp(wanted, "on") == 0, known = any;
	Gsasl_property prop;

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
		if (mech_order[i].needs_tls && !encrypted &&
		    !mech_order[i].plus) {
			if (!any) {
				err_set(err, EX_CONFIG, ERR_PERMANENT,
					"refusing AUTH %s without TLS: the "
					"password would be sent in clear (set "
					"auth_cleartext on to allow it)",
					name);
				return false;
			}
			continue;
		}
		/* -PLUS binds the exchange to this TLS session: without a
		 * binding we can send, "on" takes the next (plain SCRAM). */
		if (mech_order[i].plus &&
		    (!encrypted || !cb_property(cb, &prop))) {
			if (!any) {
				err_set(err, EX_UNAVAILABLE, ERR_PERMANENT,
					"AUTH %s needs a TLS channel binding, "
					"and %s", name,
					!encrypted ? "the connection is not TLS"
					: cb == NULL || cb->len == 0
						? "this TLS session has none"
						: "this libgsasl cannot send "
						  "its type");
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
			"scram-sha-256-plus, scram-sha-1-plus, scram-sha-256, "
			"scram-sha-1, plain, login, oauthbearer, xoauth2, "
			"cram-md5, digest-md5 or external)", wanted);
	else
		err_set(err, EX_UNAVAILABLE, ERR_PERMANENT,
			"server does not offer AUTH %s (it offers: %s)",
			wanted, *server_mechs ? server_mechs : "none");
	return false;
}

bool
sasl_mechanism_choose(const char *server_mechs, const char *wanted,
		      bool encrypted, const struct sasl_channel_binding *cb,
		      char *mech, size_t size, struct mf_error *err)
{
	Gsasl *ctx;
	int rc;
	bool ok;

	rc = gsasl_init(&ctx);
	if (rc != GSASL_OK) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "libgsasl: %s",
			gsasl_strerror(rc));
		return false;
	}
	ok = choose(ctx, server_mechs, wanted, encrypted, cb, mech, size,
		    err);
	gsasl_done(ctx);
	return ok;
}

bool
sasl_session_new(const char *server_mechs, const char *wanted,
		 bool encrypted, const char *user, const char *password,
		 struct sasl_session **out, struct mf_error *err)
{
	return sasl_session_new_bound(server_mechs, wanted, encrypted, NULL,
				      user, password, out, err);
}

/* GSASL_SCRAM_SALTED_PASSWORD, asked for by libgsasl's SCRAM client once
 * the server's salt and iteration count are known: Hi(Normalize(password),
 * salt, i) of RFC 5802 section 2.2, hex-encoded. Without it (any failure
 * here) libgsasl computes the same from GSASL_PASSWORD itself. */
static int
salted_password(Gsasl_session *sctx)
{
	struct sasl_session *s = gsasl_session_hook_get(sctx);
	const char *password = gsasl_property_fast(sctx, GSASL_PASSWORD);
	const char *iter_text = gsasl_property_fast(sctx, GSASL_SCRAM_ITER);
	const char *salt64 = gsasl_property_fast(sctx, GSASL_SCRAM_SALT);
	gnutls_mac_algorithm_t mac;
	unsigned char out[32];
	char hex[2 * sizeof(out) + 1];
	char *prepped = NULL, *salt = NULL, *end;
	size_t out_len, salt_len = 0;
	unsigned long iter;
	int rc = GSASL_NO_CALLBACK;

	if (s == NULL || password == NULL || iter_text == NULL ||
	    salt64 == NULL)
		return GSASL_NO_CALLBACK;
	if (strncmp(s->mech, "SCRAM-SHA-256", 13) == 0) {
		mac = GNUTLS_MAC_SHA256;
		out_len = 32;
	} else if (strncmp(s->mech, "SCRAM-SHA-1", 11) == 0) {
		mac = GNUTLS_MAC_SHA1;
		out_len = 20;
	} else {
		return GSASL_NO_CALLBACK;
	}
	errno = 0;
	iter = strtoul(iter_text, &end, 10);
	if (*iter_text < '0' || *iter_text > '9' || *end != '\0' ||
	    errno != 0 || iter == 0 || iter > UINT_MAX)
		return GSASL_NO_CALLBACK;
	if (iter > SCRAM_MAX_ITERATIONS) {
		/* Without the password libgsasl cannot compute it either:
		 * the step fails, and s->refused says why. */
		s->refused = "the server asks for more than 1000000 "
			     "iterations";
		gsasl_property_free(sctx, GSASL_PASSWORD);
		return GSASL_NO_CALLBACK;
	}
	/* libgsasl prepares the password the same way (RFC 4013, unassigned
	 * code points allowed: a stored query, RFC 3454 section 7). */
	if (gsasl_saslprep(password, GSASL_ALLOW_UNASSIGNED, &prepped,
			   NULL) != GSASL_OK ||
	    gsasl_base64_from(salt64, strlen(salt64), &salt, &salt_len) !=
		    GSASL_OK)
		goto out;
	{
		gnutls_datum_t key = { (unsigned char *)prepped,
				       (unsigned)strlen(prepped) };
		gnutls_datum_t salt_d = { (unsigned char *)salt,
					  (unsigned)salt_len };
		if (gnutls_pbkdf2(mac, &key, &salt_d, (unsigned)iter, out,
				  out_len) != 0)
			goto out;
	}
	for (size_t i = 0; i < out_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	rc = gsasl_property_set(sctx, GSASL_SCRAM_SALTED_PASSWORD, hex) ==
			     GSASL_OK
		     ? GSASL_OK
		     : GSASL_NO_CALLBACK;
out:
	secret_wipe(out, sizeof(out));
	secret_wipe(hex, sizeof(hex));
	if (prepped) {
		secret_wipe(prepped, strlen(prepped));
		gsasl_free(prepped);
	}
	gsasl_free(salt);
	return rc;
}

static int
sasl_callback(Gsasl *ctx, Gsasl_session *sctx, Gsasl_property prop)
{
	(void)ctx;
	if (prop == GSASL_SCRAM_SALTED_PASSWORD)
		return salted_password(sctx);
	return GSASL_NO_CALLBACK;
}

/* Give the session's channel binding to libgsasl (a -PLUS mechanism). */
static bool
set_binding(struct sasl_session *s, const struct sasl_channel_binding *cb,
	    struct mf_error *err)
{
	Gsasl_property prop;
	size_t len = 0;
	char *b64 = NULL;
	int rc;

	if (!cb_property(cb, &prop))
		BUG("a -PLUS mechanism was chosen without a channel binding");
	rc = gsasl_base64_to((const char *)cb->data, cb->len, &b64, &len);
	if (rc != GSASL_OK) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "libgsasl: %s",
			gsasl_strerror(rc));
		return false;
	}
	s->cb64 = xstrdup(b64);
	gsasl_free(b64);
	gsasl_property_set(s->sctx, prop, s->cb64);
	return true;
}

bool
sasl_session_new_bound(const char *server_mechs, const char *wanted,
		       bool encrypted, const struct sasl_channel_binding *cb,
		       const char *user, const char *password,
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
	if (!choose(s->ctx, server_mechs, wanted, encrypted, cb, s->mech,
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
	gsasl_callback_set(s->ctx, sasl_callback);
	gsasl_session_hook_set(s->sctx, s);
	if (user && *user)
		gsasl_property_set(s->sctx, GSASL_AUTHID, user);
	if (password)
		gsasl_property_set(s->sctx, GSASL_PASSWORD, password);
	gsasl_property_set(s->sctx, GSASL_SERVICE, "smtp");
	if (strstr(s->mech, "-PLUS") != NULL && !set_binding(s, cb, err))
		goto fail;
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
		gsasl_property_free(s->sctx, GSASL_SCRAM_SALTED_PASSWORD);
		gsasl_finish(s->sctx);
	}
	if (s->ctx)
		gsasl_done(s->ctx);
	secret_free(s->user);
	secret_free(s->token);
	free(s->cb64);
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
		if (s->refused)
			err_set(err, EX_PROTOCOL, ERR_PERMANENT, "AUTH %s: %s",
				s->mech, s->refused);
		else if (rc == GSASL_AUTHENTICATION_ERROR ||
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
