/* tls/tls.c: GnuTLS client (RFC 8446/5246 via GnuTLS; RFC 6125 host name
 * check; RFC 6066 SNI). Certificate verification is on by default and is
 * done inside the handshake (gnutls_session_set_verify_cert), so no byte
 * of the SMTP session crosses an unverified channel. */
#include "config.h"

#include "tls/tls.h"

#include "log/log.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct tls_stream {
	struct stream base; /* first: a struct stream * is a tls_stream * */
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	int fd;
	unsigned timeout;
};

static ssize_t
tls_read(struct stream *s, void *buf, size_t len, struct mf_error *err)
{
	struct tls_stream *t = (struct tls_stream *)s;

	/* GNUTLS_E_AGAIN also comes after a TLS 1.3 post-handshake message
	 * (a session ticket) that carried no data; only a poll() that runs
	 * out of time is a timeout. The retries are bounded. */
	for (int tries = 0; tries < 64; tries++) {
		ssize_t n = gnutls_record_recv(t->session, buf, len);
		if (n >= 0)
			return n;
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_AGAIN) {
			struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
			int rc;
			if (gnutls_record_check_pending(t->session) > 0)
				continue;
			do
				rc = poll(&pfd, 1,
					  t->timeout ? (int)t->timeout * 1000
						     : -1);
			while (rc < 0 && errno == EINTR);
			if (rc > 0)
				continue;
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"timed out waiting for the server");
		} else if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		else
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY, "TLS: %s",
				gnutls_strerror((int)n));
		return -1;
	}
	err_set(err, EX_PROTOCOL, ERR_TEMPORARY,
		"TLS: no data after repeated post-handshake messages");
	return -1;
}

static bool
tls_write(struct stream *s, const void *buf, size_t len,
	  struct mf_error *err)
{
	struct tls_stream *t = (struct tls_stream *)s;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = gnutls_record_send(t->session, p, len);
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0) {
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY, "TLS: %s",
				n == GNUTLS_E_AGAIN
					? "timed out sending to the server"
					: gnutls_strerror((int)n));
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void
tls_free(struct tls_stream *t)
{
	if (t == NULL)
		return;
	if (t->session)
		gnutls_deinit(t->session);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	free(t);
}

static void
tls_close(struct stream *s)
{
	struct tls_stream *t = (struct tls_stream *)s;

	if (t == NULL)
		return;
	/* close_notify; do not wait for the peer's (RFC 8446 6.1). */
	gnutls_bye(t->session, GNUTLS_SHUT_WR);
	tls_free(t);
}

static bool
is_ip_address(const char *host)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, host, addr) == 1 ||
	       inet_pton(AF_INET6, host, addr) == 1;
}

/* Say in one line why the certificate was refused. */
static void
verify_error(gnutls_session_t session, const char *host,
	     struct mf_error *err)
{
	unsigned status = gnutls_session_get_verify_cert_status(session);
	const char *why;

	if (status & GNUTLS_CERT_EXPIRED)
		why = "it has expired";
	else if (status & GNUTLS_CERT_NOT_ACTIVATED)
		why = "it is not valid yet";
	else if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		why = "it does not match the host name";
	else if (status & GNUTLS_CERT_REVOKED)
		why = "it has been revoked";
	else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND |
			   GNUTLS_CERT_SIGNER_NOT_CA))
		why = "it is not signed by a trusted authority";
	else if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		why = "it uses an insecure algorithm";
	else
		why = "it is not valid";
	err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
		"TLS: the server certificate for %s was refused: %s", host,
		why);
}

bool
tls_stream_start(int fd, const struct tls_options *opts,
		 struct stream **out, struct mf_error *err)
{
	struct tls_stream *t = xcalloc(1, sizeof(*t));
	bool system_store = opts->trust_file == NULL ||
			    strcmp(opts->trust_file, "system") == 0;
	int rc;

	*out = NULL;
	rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0) {
		t->cred = NULL;
		goto gnutls_fail;
	}
	if (opts->certcheck) {
		rc = system_store ? gnutls_certificate_set_x509_system_trust(
					    t->cred)
				  : gnutls_certificate_set_x509_trust_file(
					    t->cred, opts->trust_file,
					    GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"TLS: cannot load trusted certificates from "
				"%s: %s",
				system_store ? "the system store"
					     : opts->trust_file,
				rc < 0 ? gnutls_strerror(rc)
				       : "no certificate found");
			goto fail;
		}
	} else {
		log_warn("TLS certificate check is off (tls_certcheck off): "
			 "the server's identity is not verified");
	}
	rc = gnutls_init(&t->session, GNUTLS_CLIENT);
	if (rc < 0) {
		t->session = NULL;
		goto gnutls_fail;
	}
	rc = gnutls_set_default_priority(t->session);
	if (rc < 0)
		goto gnutls_fail;
	rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
				    t->cred);
	if (rc < 0)
		goto gnutls_fail;
	if (!is_ip_address(opts->host)) {
		/* SNI carries DNS names only (RFC 6066 3). */
		rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS,
					    opts->host, strlen(opts->host));
		if (rc < 0)
			goto gnutls_fail;
	}
	if (opts->certcheck)
		gnutls_session_set_verify_cert(t->session, opts->host, 0);
	gnutls_transport_set_int(t->session, fd);
	t->fd = fd;
	t->timeout = opts->timeout;
	if (opts->timeout)
		gnutls_handshake_set_timeout(t->session,
					     opts->timeout * 1000);
	do
		rc = gnutls_handshake(t->session);
	while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		verify_error(t->session, opts->host, err);
		goto fail;
	}
	if (rc < 0)
		goto gnutls_fail;
	{
		char *desc = gnutls_session_get_desc(t->session);
		log_debug("TLS: %s", desc ? desc : "?");
		gnutls_free(desc);
	}
	t->base.name = "tls";
	t->base.read = tls_read;
	t->base.write = tls_write;
	t->base.close = tls_close;
	*out = &t->base;
	return true;

gnutls_fail:
	err_set(err, EX_TEMPFAIL, ERR_TEMPORARY, "TLS: %s",
		rc == GNUTLS_E_AGAIN ? "handshake timed out"
				     : gnutls_strerror(rc));
fail:
	tls_free(t);
	return false;
}
