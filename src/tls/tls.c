/* tls/tls.c: GnuTLS client (RFC 8446/5246 via GnuTLS; RFC 6125 host name
 * check; RFC 6066 SNI; RFC 5280 CRLs). Certificate verification is on by
 * default and is done inside the handshake (gnutls_session_set_verify_cert,
 * or for a pinned fingerprint our own callback through
 * gnutls_session_set_verify_function), so no byte of the SMTP session
 * crosses an unverified channel.
 *
 * The options follow msmtp's keywords of the same names: tls_fingerprint
 * (trust exactly one certificate; SHA-256, or SHA-1 and MD5 for old
 * configurations), tls_crl_file, tls_cert_file + tls_key_file (a client
 * certificate), tls_priorities, tls_host_override (the name checked and
 * sent as SNI) and the deprecated tls_min_dh_prime_bits.
 *
 * It also hands out what others need of a session without seeing GnuTLS:
 * the channel binding for SCRAM-*-PLUS (RFC 9266 tls-exporter, RFC 5929
 * tls-unique), and a description of the session and the server's
 * certificate for --serverinfo. */
#include "config.h"

#include "tls/tls.h"

#include "log/log.h"
#include "tls/resume.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <poll.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

struct tls_stream {
	struct stream base; /* first: a struct stream * is a tls_stream * */
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	int fd;
	unsigned timeout;
	bool certcheck; /* the chain and the name were verified */
	/* Pinning (pin.len == 0: not pinned). The verify callback leaves why
	 * it refused here, for the one-line message after the handshake. */
	struct tls_fingerprint pin;
	const char *pin_why; /* NULL, or why the certificate was refused */
	bool pin_mismatch;   /* refused because the fingerprint differs */
	char got[TLS_FINGERPRINT_TEXT_SIZE];        /* received, pin's digest */
	char got_sha256[TLS_FINGERPRINT_TEXT_SIZE]; /* received, SHA-256 */
	char *resume_key; /* tls/resume.h: where the session is kept at close */
};

/* The server ended the session with a fatal alert: name it. */
static void
alert_error(gnutls_session_t session, struct mf_error *err)
{
	const char *alert = gnutls_alert_get_name(gnutls_alert_get(session));

	err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
		"TLS: the server sent a fatal alert: %s",
		alert ? alert : "unknown alert");
}

/* Acknowledge what the server sends at once rather than after the 40 ms
 * delayed-ACK timer: a server whose Nagle algorithm holds its next reply
 * until the last segment (a TLS session ticket) is acknowledged would
 * otherwise stall every such exchange (measured: 40 ms on a third of
 * the STARTTLS + AUTH runs). Linux resets the mode, so it is set before
 * every read. */
static void
quick_ack(int fd)
{
#ifdef TCP_QUICKACK
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)fd;
#endif
}

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t
tls_read(struct stream *s, void *buf, size_t len, struct mf_error *err)
{
	struct tls_stream *t = (struct tls_stream *)s;
	/* One deadline for the whole read: the socket's own receive
	 * timeout may already have spent it inside gnutls_record_recv. */
	long long deadline =
		t->timeout ? monotonic_ms() + (long long)t->timeout * 1000 : 0;

	/* GNUTLS_E_AGAIN also comes after a TLS 1.3 post-handshake message
	 * (a session ticket) that carried no data; only running out of time
	 * is a timeout. The retries are bounded. */
	for (int tries = 0; tries < 64; tries++) {
		ssize_t n;
		quick_ack(t->fd);
		n = gnutls_record_recv(t->session, buf, len);
		if (n >= 0)
			return n;
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_AGAIN) {
			struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
			int rc;
			if (gnutls_record_check_pending(t->session) > 0)
				continue;
			do {
				long long left = deadline
					? deadline - monotonic_ms() : -1;
				if (deadline && left <= 0) {
					rc = 0;
					break;
				}
				rc = poll(&pfd, 1, (int)left);
			} while (rc < 0 && errno == EINTR);
			if (rc > 0)
				continue;
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"timed out waiting for the server");
		} else if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		else if (n == GNUTLS_E_FATAL_ALERT_RECEIVED)
			/* In TLS 1.3 a refused client certificate shows
			 * here, after the handshake. */
			alert_error(t->session, err);
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
	free(t->resume_key);
	free(t);
}

static void
tls_close(struct stream *s)
{
	struct tls_stream *t = (struct tls_stream *)s;

	if (t == NULL)
		return;
	/* The ticket the server sent (it comes after the handshake) lets
	 * the process's next connection skip the certificate exchange. */
	if (t->resume_key)
		tls_resume_keep(t->resume_key, t->session);
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

/* ------------------------------------------------------------------ */
/* fingerprints */

bool
tls_fingerprint_parse(const char *text, struct tls_fingerprint *out,
		      struct mf_error *err)
{
	const char *p = text;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		int hi = bytes_hex_value((unsigned char)p[0]);
		int lo = hi < 0 ? -1 : bytes_hex_value((unsigned char)p[1]);
		if (lo < 0 || n == TLS_FINGERPRINT_MAX ||
		    (p[2] != ':' && p[2] != '\0')) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"tls_fingerprint '%.100s' is malformed: "
				"expected pairs of hex digits separated by "
				"colons (AB:CD:...), as many as 32 (SHA-256)",
				text);
			return false;
		}
		out->md[n++] = (unsigned char)(hi << 4 | lo);
		if (p[2] == '\0')
			break;
		p += 3;
	}
	if (n != 32 && n != 20 && n != 16) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"tls_fingerprint '%.100s' has %zu byte%s; expected "
			"32 (SHA-256), 20 (SHA-1) or 16 (MD5)",
			text, n, n == 1 ? "" : "s");
		return false;
	}
	out->len = n;
	return true;
}

void
tls_fingerprint_format(const unsigned char *md, size_t len, char *out,
		       size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (size == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		if (o + (i > 0 ? 3 : 2) + 1 > size)
			break;
		if (i > 0)
			out[o++] = ':';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 0x0f];
	}
	out[o] = '\0';
}

static gnutls_digest_algorithm_t
pin_digest(size_t len)
{
	return len == 32 ? GNUTLS_DIG_SHA256
	       : len == 20 ? GNUTLS_DIG_SHA1
			   : GNUTLS_DIG_MD5;
}

static const char *
pin_digest_name(size_t len)
{
	return len == 32 ? "SHA-256" : len == 20 ? "SHA-1" : "MD5";
}

/* The fingerprint of the server's leaf certificate with digest algo, as
 * text; false when there is no certificate or the digest fails. */
static bool
peer_fingerprint(gnutls_session_t session, gnutls_digest_algorithm_t algo,
		 unsigned char md[TLS_FINGERPRINT_MAX], size_t *md_len,
		 char *text, size_t size)
{
	unsigned count = 0;
	const gnutls_datum_t *certs =
		gnutls_certificate_get_peers(session, &count);

	*md_len = TLS_FINGERPRINT_MAX;
	if (certs == NULL || count == 0 ||
	    gnutls_fingerprint(algo, &certs[0], md, md_len) < 0)
		return false;
	tls_fingerprint_format(md, *md_len, text, size);
	return true;
}

/* Called by GnuTLS inside the handshake once the server's certificate
 * arrived: 0 goes on, anything else ends the handshake. A pin replaces
 * every other check (msmtp's tls_fingerprint). */
static int
pin_verify(gnutls_session_t session)
{
	struct tls_stream *t = gnutls_session_get_ptr(session);
	unsigned char md[TLS_FINGERPRINT_MAX];
	size_t md_len;

	if (!peer_fingerprint(session, pin_digest(t->pin.len), md, &md_len,
			      t->got, sizeof(t->got)) ||
	    md_len != t->pin.len) {
		t->pin_why = "it sent no certificate whose fingerprint can be "
			     "computed";
		return -1;
	}
	if (memcmp(md, t->pin.md, md_len) == 0)
		return 0;
	if (!peer_fingerprint(session, GNUTLS_DIG_SHA256, md, &md_len,
			      t->got_sha256, sizeof(t->got_sha256)))
		t->got_sha256[0] = '\0';
	t->pin_mismatch = true;
	t->pin_why = "fingerprint mismatch";
	return -1;
}

bool
tls_stream_peer_fingerprint(const struct stream *s, char *out, size_t size,
			    struct mf_error *err)
{
	const struct tls_stream *t = (const struct tls_stream *)s;
	unsigned char md[TLS_FINGERPRINT_MAX];
	size_t md_len;

	if (s->read != tls_read)
		BUG("tls_stream_peer_fingerprint on a stream that is not TLS");
	if (size < TLS_FINGERPRINT_TEXT_SIZE ||
	    !peer_fingerprint(t->session, GNUTLS_DIG_SHA256, md, &md_len, out,
			      size)) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL,
			"TLS: cannot compute the fingerprint of the server "
			"certificate");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* channel binding (RFC 5056, RFC 5929, RFC 9266) */

bool
tls_stream_channel_binding(const struct stream *s,
			   struct tls_channel_binding *out,
			   struct mf_error *err)
{
	const struct tls_stream *t = (const struct tls_stream *)s;
	gnutls_channel_binding_t type;
	gnutls_datum_t cb = { NULL, 0 };
	int rc;

	if (s->read != tls_read)
		BUG("tls_stream_channel_binding on a stream that is not TLS");
	memset(out, 0, sizeof(*out));
	if (gnutls_protocol_get_version(t->session) == GNUTLS_TLS1_3) {
		/* RFC 9266 2: 32 bytes exported with the label
		 * "EXPORTER-Channel-Binding" and no context; tls-unique is
		 * not defined for TLS 1.3. */
		type = GNUTLS_CB_TLS_EXPORTER;
		out->type = "tls-exporter";
	} else if (!gnutls_session_ext_master_secret_status(t->session)) {
		err_set(err, EX_UNAVAILABLE, ERR_PERMANENT,
			"TLS: no channel binding: the session has no "
			"extended master secret (RFC 7627)");
		return false;
	} else {
		type = GNUTLS_CB_TLS_UNIQUE;
		out->type = "tls-unique";
	}
	rc = gnutls_session_channel_binding(t->session, type, &cb);
	if (rc < 0 || cb.size == 0 || cb.size > sizeof(out->data)) {
		err_set(err, EX_UNAVAILABLE, ERR_PERMANENT,
			"TLS: no %s channel binding: %s", out->type,
			rc < 0 ? gnutls_strerror(rc) : "unexpected length");
		if (rc >= 0)
			gnutls_free(cb.data);
		memset(out, 0, sizeof(*out));
		return false;
	}
	memcpy(out->data, cb.data, cb.size);
	out->len = cb.size;
	gnutls_free(cb.data);
	return true;
}

/* ------------------------------------------------------------------ */
/* describing the session (--serverinfo) */

/* Copy len bytes of server-chosen text into out (size bytes, always
 * terminated): control bytes become '?', and text that does not fit ends
 * in "...". */
static void
copy_text(char *out, size_t size, const char *text, size_t len)
{
	size_t o = 0;

	if (size == 0)
		return;
	for (size_t i = 0; i < len && o + 1 < size; i++) {
		unsigned char c = (unsigned char)text[i];
		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[o] = '\0';
	if (o < len && size > 4)
		memcpy(out + size - 4, "...", 4);
}

static void
format_time(time_t when, char *out, size_t size)
{
	struct tm tm;

	if (when == (time_t)-1 || gmtime_r(&when, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		copy_text(out, size, "unknown", 7);
}

/* The subjectAltName DNS names and IP addresses, comma separated; the
 * ones that fit, then "...". */
static void
alt_names(gnutls_x509_crt_t crt, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (unsigned seq = 0; seq < 64; seq++) {
		unsigned char value[256];
		char ip[64];
		size_t len = sizeof(value);
		unsigned critical;
		int type = gnutls_x509_crt_get_subject_alt_name(
			crt, seq, value, &len, &critical);
		const char *text = NULL;
		size_t text_len = 0;

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			text = (const char *)value;
			text_len = len;
		} else if (type == GNUTLS_SAN_IPADDRESS &&
			   (len == 4 || len == 16) &&
			   inet_ntop(len == 4 ? AF_INET : AF_INET6, value, ip,
				     sizeof(ip)) != NULL) {
			text = ip;
			text_len = strlen(ip);
		}
		if (text == NULL)
			continue; /* other kinds, or too long for value */
		if (o + (o ? 2 : 0) + text_len + 1 > size) {
			if (size >= 4) {
				if (o + 4 > size)
					o = size - 4;
				memcpy(out + o, "...", 4);
			}
			break;
		}
		if (o) {
			out[o++] = ',';
			out[o++] = ' ';
		}
		copy_text(out + o, size - o, text, text_len);
		o += text_len;
	}
}

static bool
describe_cert(const gnutls_datum_t *der, struct tls_session_info *out)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { NULL, 0 };
	unsigned char md[TLS_FINGERPRINT_MAX];
	size_t md_len;
	bool ok = false;

	if (gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
		copy_text(out->subject, sizeof(out->subject),
			  (const char *)dn.data, dn.size);
		gnutls_free(dn.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) >= 0) {
		copy_text(out->issuer, sizeof(out->issuer),
			  (const char *)dn.data, dn.size);
		gnutls_free(dn.data);
	}
	alt_names(crt, out->names, sizeof(out->names));
	format_time(gnutls_x509_crt_get_activation_time(crt),
		    out->not_before, sizeof(out->not_before));
	format_time(gnutls_x509_crt_get_expiration_time(crt),
		    out->not_after, sizeof(out->not_after));
	md_len = sizeof(md);
	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, der, md, &md_len) < 0)
		goto out;
	tls_fingerprint_format(md, md_len, out->sha256, sizeof(out->sha256));
	md_len = sizeof(md);
	if (gnutls_fingerprint(GNUTLS_DIG_SHA1, der, md, &md_len) < 0)
		goto out;
	tls_fingerprint_format(md, md_len, out->sha1, sizeof(out->sha1));
	ok = true;
out:
	gnutls_x509_crt_deinit(crt);
	return ok;
}

bool
tls_stream_info(const struct stream *s, struct tls_session_info *out,
		struct mf_error *err)
{
	const struct tls_stream *t = (const struct tls_stream *)s;
	const char *name;
	char *desc;
	unsigned count = 0;
	const gnutls_datum_t *certs;

	if (s->read != tls_read)
		BUG("tls_stream_info on a stream that is not TLS");
	memset(out, 0, sizeof(*out));
	name = gnutls_protocol_get_name(
		gnutls_protocol_get_version(t->session));
	copy_text(out->protocol, sizeof(out->protocol), name ? name : "?",
		  name ? strlen(name) : 1);
	name = gnutls_cipher_get_name(gnutls_cipher_get(t->session));
	copy_text(out->cipher, sizeof(out->cipher), name ? name : "?",
		  name ? strlen(name) : 1);
	name = gnutls_group_get_name(gnutls_group_get(t->session));
	if (name)
		copy_text(out->kx, sizeof(out->kx), name, strlen(name));
	desc = gnutls_session_get_desc(t->session);
	if (desc) {
		copy_text(out->desc, sizeof(out->desc), desc, strlen(desc));
		gnutls_free(desc);
	}
	out->checked = t->pin.len ? "pinned (tls_fingerprint)"
		       : t->certcheck ? "verified"
				      : "not checked (tls_certcheck off)";
	certs = gnutls_certificate_get_peers(t->session, &count);
	out->chain_len = certs ? count : 0;
	if (certs == NULL || count == 0)
		return true; /* out->have_cert stays false */
	if (!describe_cert(&certs[0], out)) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL,
			"TLS: cannot read the server certificate");
		return false;
	}
	out->have_cert = true;
	return true;
}

/* ------------------------------------------------------------------ */
/* setting up */

bool
tls_options_check(const struct tls_options *opts, struct mf_error *err)
{
	struct tls_fingerprint pin;

	if (opts->fingerprint &&
	    !tls_fingerprint_parse(opts->fingerprint, &pin, err))
		return false;
	if ((opts->cert_file == NULL) != (opts->key_file == NULL)) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s is set but %s is not: a client certificate needs "
			"both",
			opts->cert_file ? "tls_cert_file" : "tls_key_file",
			opts->cert_file ? "tls_key_file" : "tls_cert_file");
		return false;
	}
	if (opts->priorities) {
		gnutls_priority_t prio;
		const char *pos = NULL;
		int rc = gnutls_priority_init(&prio, opts->priorities, &pos);
		if (rc < 0) {
			if (rc == GNUTLS_E_INVALID_REQUEST && pos != NULL &&
			    pos >= opts->priorities)
				err_set(err, EX_CONFIG, ERR_PERMANENT,
					"tls_priorities '%.200s' is invalid "
					"at character %zu ('%.40s')",
					opts->priorities,
					(size_t)(pos - opts->priorities) + 1,
					pos);
			else
				err_set(err, EX_CONFIG, ERR_PERMANENT,
					"tls_priorities '%.200s': %s",
					opts->priorities, gnutls_strerror(rc));
			return false;
		}
		gnutls_priority_deinit(prio);
	}
	return true;
}

/* Read a whole file into *data (gnutls_free it); what names the keyword. */
static bool
load_file(const char *path, const char *what, gnutls_datum_t *data,
	  struct mf_error *err)
{
	int rc;

	errno = 0;
	rc = gnutls_load_file(path, data);
	if (rc < 0) {
		data->data = NULL;
		data->size = 0;
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"TLS: cannot read %s %s: %s", what, path,
			errno ? strerror(errno) : gnutls_strerror(rc));
		return false;
	}
	return true;
}

/* The client certificate and its key (the key is wiped after use). */
static bool
load_client_cert(struct tls_stream *t, const struct tls_options *opts,
		 struct mf_error *err)
{
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 };
	bool ok = false;
	int rc;

	if (!load_file(opts->cert_file, "tls_cert_file", &cert, err) ||
	    !load_file(opts->key_file, "tls_key_file", &key, err))
		goto out;
	rc = gnutls_certificate_set_x509_key_mem(t->cred, &cert, &key,
						 GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"TLS: cannot use tls_cert_file %s with tls_key_file "
			"%s: %s",
			opts->cert_file, opts->key_file, gnutls_strerror(rc));
		goto out;
	}
	ok = true;
out:
	if (key.data) {
		gnutls_memset(key.data, 0, key.size);
		gnutls_free(key.data);
	}
	gnutls_free(cert.data);
	return ok;
}

static void
gnutls_error(int rc, struct mf_error *err)
{
	err_set(err, EX_TEMPFAIL, ERR_TEMPORARY, "TLS: %s",
		rc == GNUTLS_E_AGAIN ? "handshake timed out"
				     : gnutls_strerror(rc));
}

static bool
setup_credentials(struct tls_stream *t, const struct tls_options *opts,
		  struct mf_error *err)
{
	bool system_store = opts->trust_file == NULL ||
			    strcmp(opts->trust_file, "system") == 0;
	bool chain = opts->certcheck && t->pin.len == 0;
	int rc;

	rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0) {
		t->cred = NULL;
		gnutls_error(rc, err);
		return false;
	}
	if (chain) {
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
			return false;
		}
	}
	/* CRLs only matter to a chain check (after the trust anchors). */
	if (chain && opts->crl_file) {
		rc = gnutls_certificate_set_x509_crl_file(
			t->cred, opts->crl_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"TLS: cannot load tls_crl_file %s: %s",
				opts->crl_file,
				rc < 0 ? gnutls_strerror(rc)
				       : "no CRL found");
			return false;
		}
	}
	if (!opts->certcheck && t->pin.len == 0)
		log_warn("TLS certificate check is off (tls_certcheck off): "
			 "the server's identity is not verified");
	if (opts->cert_file && !load_client_cert(t, opts, err))
		return false;
	return true;
}

static bool
setup_session(struct tls_stream *t, const struct tls_options *opts,
	      const char *name, struct mf_error *err)
{
	int rc;

	/* One key share, for the first group offered (X25519 unless
	 * tls_priorities says otherwise): the default second share (P-256)
	 * costs 0.47M instructions per handshake and is used only by a
	 * server without X25519, which answers with a HelloRetryRequest
	 * instead (one more round trip, same security). */
	rc = gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_KEY_SHARE_TOP);
	if (rc < 0) {
		t->session = NULL;
		gnutls_error(rc, err);
		return false;
	}
	gnutls_session_set_ptr(t->session, t);
	if (opts->priorities) {
		const char *pos = NULL;
		/* Checked by tls_options_check already. */
		rc = gnutls_priority_set_direct(t->session, opts->priorities,
						&pos);
		if (rc < 0) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"tls_priorities '%.200s': %s",
				opts->priorities, gnutls_strerror(rc));
			return false;
		}
	} else {
		/* The library's (and the system's) defaults, with X25519
		 * offered first: its key share is the cheapest to compute
		 * (measured: 0.5M fewer instructions per handshake than
		 * P-256 first). Servers without it answer with a retry. */
		const char *pos = NULL;
		rc = gnutls_set_default_priority_append(
			t->session,
			"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
			"+GROUP-SECP384R1:+GROUP-SECP521R1:+GROUP-FFDHE2048:"
			"+GROUP-FFDHE3072:+GROUP-FFDHE4096",
			&pos, 0);
		if (rc < 0)
			rc = gnutls_set_default_priority(t->session);
		if (rc < 0) {
			gnutls_error(rc, err);
			return false;
		}
	}
	/* After the priorities, which would override it. */
	if (opts->min_dh_prime_bits)
		gnutls_dh_set_prime_bits(t->session, opts->min_dh_prime_bits);
	rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
				    t->cred);
	if (rc < 0) {
		gnutls_error(rc, err);
		return false;
	}
	if (!is_ip_address(name)) {
		/* SNI carries DNS names only (RFC 6066 3). */
		rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, name,
					    strlen(name));
		if (rc < 0) {
			gnutls_error(rc, err);
			return false;
		}
	}
	if (t->pin.len)
		gnutls_session_set_verify_function(t->session, pin_verify);
	else if (opts->certcheck)
		gnutls_session_set_verify_cert(t->session, name, 0);
	gnutls_transport_set_int(t->session, t->fd);
	if (opts->timeout)
		gnutls_handshake_set_timeout(t->session,
					     opts->timeout * 1000);
	return true;
}

/* Say in one line why the certificate was refused. */
static void
verify_error(gnutls_session_t session, const char *name,
	     struct mf_error *err)
{
	unsigned status = gnutls_session_get_verify_cert_status(session);
	const char *why;

	if (status & GNUTLS_CERT_REVOKED)
		why = "the certificate has been revoked";
	else if (status & GNUTLS_CERT_EXPIRED)
		why = "it has expired";
	else if (status & GNUTLS_CERT_NOT_ACTIVATED)
		why = "it is not valid yet";
	else if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		why = "it does not match the host name";
	else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND |
			   GNUTLS_CERT_SIGNER_NOT_CA))
		why = "it is not signed by a trusted authority";
	else if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		why = "it uses an insecure algorithm";
	else if (status & GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED)
		why = "the revocation list (tls_crl_file) is out of date";
	else if (status & GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE)
		why = "the revocation list (tls_crl_file) is not valid yet";
	else
		why = "it is not valid";
	err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
		"TLS: the server certificate for %s was refused: %s", name,
		why);
}

static void
pin_error(const struct tls_stream *t, const char *name,
	  struct mf_error *err)
{
	char want[TLS_FINGERPRINT_TEXT_SIZE];

	tls_fingerprint_format(t->pin.md, t->pin.len, want, sizeof(want));
	if (!t->pin_mismatch)
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"TLS: the server certificate for %s was refused: %s",
			name, t->pin_why);
	else if (t->pin.len == 32)
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"TLS: the server certificate for %s does not match "
			"tls_fingerprint: expected %s, got %s",
			name, want, t->got);
	else
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"TLS: the server certificate for %s does not match "
			"tls_fingerprint: expected %s %s, got %s (SHA-256 %s)",
			name, pin_digest_name(t->pin.len), want, t->got,
			t->got_sha256);
}

static bool
handshake(struct tls_stream *t, const char *name, struct mf_error *err)
{
	int rc;

	do
		rc = gnutls_handshake(t->session);
	while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
	if (rc >= 0)
		return true;
	if (t->pin_why)
		pin_error(t, name, err);
	else if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		verify_error(t->session, name, err);
	else if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		alert_error(t->session, err);
	else
		gnutls_error(rc, err);
	return false;
}

bool
tls_stream_start(int fd, const struct tls_options *opts,
		 struct stream **out, struct mf_error *err)
{
	const char *name = opts->host_override ? opts->host_override
					       : opts->host;
	struct tls_stream *t;

	*out = NULL;
	if (!tls_options_check(opts, err))
		return false;
	t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->timeout = opts->timeout;
	t->certcheck = opts->certcheck;
	if ((opts->fingerprint &&
	     !tls_fingerprint_parse(opts->fingerprint, &t->pin, err)) ||
	    !setup_credentials(t, opts, err) ||
	    !setup_session(t, opts, name, err)) {
		tls_free(t);
		return false;
	}
	/* A session this process had with the server under the same
	 * verification policy is offered for resumption; the server may
	 * refuse it, and then the handshake is a full one, certificate
	 * checked. */
	t->resume_key = tls_resume_key(opts);
	(void)tls_resume_offer(t->resume_key, t->session);
	if (!handshake(t, name, err)) {
		tls_free(t);
		return false;
	}
	if (log_is_verbose()) {
		char *desc = gnutls_session_get_desc(t->session);
		const char *group =
			gnutls_group_get_name(gnutls_group_get(t->session));
		if (gnutls_session_is_resumed(t->session))
			log_debug("TLS: %s, session resumed (key exchange "
				  "%s)",
				  desc ? desc : "?", group ? group : "none");
		else
			log_debug("TLS: %s", desc ? desc : "?");
		gnutls_free(desc);
	}
	if (log_is_verbose() || t->pin.len == 16) {
		char fp[TLS_FINGERPRINT_TEXT_SIZE];
		unsigned char md[TLS_FINGERPRINT_MAX];
		size_t md_len;
		if (peer_fingerprint(t->session, GNUTLS_DIG_SHA256, md,
				     &md_len, fp, sizeof(fp))) {
			log_debug("TLS: server certificate SHA-256 %s", fp);
			if (t->pin.len == 16)
				log_warn("tls_fingerprint: MD5 fingerprints "
					 "are deprecated (MD5 is broken); "
					 "use the SHA-256 one: %s",
					 fp);
		}
	}
	t->base.name = "tls";
	t->base.read = tls_read;
	t->base.write = tls_write;
	t->base.close = tls_close;
	*out = &t->base;
	return true;
}
