/* tls/tls.h: a GnuTLS client session implementing struct stream. */
#ifndef MF_TLS_TLS_H
#define MF_TLS_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;
struct stream;

/* A certificate fingerprint: SHA-256 (32 bytes), SHA-1 (20, accepted for
 * msmtp compatibility) or MD5 (16, deprecated), told apart by len. */
#define TLS_FINGERPRINT_MAX 32
/* "AB:CD:...": three characters a byte, the last ':' becomes the NUL. */
#define TLS_FINGERPRINT_TEXT_SIZE (TLS_FINGERPRINT_MAX * 3)

struct tls_fingerprint {
	unsigned char md[TLS_FINGERPRINT_MAX];
	size_t len; /* 32, 20 or 16 */
};

/* Everything borrowed; NULL or 0 means "not set" for every field below
 * timeout, and then the behaviour is that of the fields above alone. */
struct tls_options {
	const char *trust_file; /* PEM CA file; NULL or "system": system store */
	bool certcheck;         /* verify the chain and the host name */
	const char *host;       /* the server's name (or address) */
	unsigned timeout;       /* handshake timeout in seconds; 0: none */
	/* "AB:CD:..." (either case): trust the server's certificate iff its
	 * fingerprint is this one, whatever its issuer, name or dates; the
	 * trust file, the CRL file and certcheck are then not used. */
	const char *fingerprint;
	const char *crl_file;      /* PEM CRLs checked with the chain */
	const char *cert_file;     /* client certificate (PEM); needs key_file */
	const char *key_file;      /* its private key (PEM, unencrypted) */
	const char *priorities;    /* GnuTLS priority string for the session */
	const char *host_override; /* the name to verify and send as SNI */
	unsigned min_dh_prime_bits; /* deprecated (priorities set it); 0: the
				      * library default */
	/* Where the connection goes (host and port, socket, proxy), as
	 * text: a kept session is offered only to the same endpoint. */
	const char *endpoint;
};

/* Parse "AB:CD:..." (hex digit pairs, either case, separated by colons)
 * of 32, 20 or 16 bytes into *out. Pure. Errors: EX_CONFIG, permanent
 * ("tls_fingerprint ...: why"). */
bool tls_fingerprint_parse(const char *text, struct tls_fingerprint *out,
			   struct mf_error *err);

/* Write md (len bytes, at most TLS_FINGERPRINT_MAX) as "AB:CD:..." into
 * out (size bytes, at least len * 3; always terminated). Pure. */
void tls_fingerprint_format(const unsigned char *md, size_t len, char *out,
			    size_t size);

/* Check the options that need no file and no network: the fingerprint's
 * syntax, cert_file and key_file set together, the priority string.
 * tls_stream_start does this too; deliver may call it before connecting
 * so that a configuration error costs no connection. Errors: EX_CONFIG,
 * permanent, naming the keyword ("tls_priorities ...: error at character
 * 8 ..."). */
bool tls_options_check(const struct tls_options *opts, struct mf_error *err);

/* Run a TLS handshake as client over the connected socket fd (borrowed:
 * closing the TLS stream sends close_notify but leaves fd open). The
 * certificate is checked inside the handshake, so no byte of the session
 * crosses an unverified channel.
 * *out is owned by the caller. Errors: EX_CONFIG, permanent (as
 * tls_options_check; trust, CRL, client certificate or key file
 * unreadable or unusable: the message names the file), EX_TEMPFAIL,
 * temporary (handshake failed; certificate refused, the message says why
 * in one line: "not signed by a trusted authority", "has expired", "does
 * not match the host name", "the certificate has been revoked", or for a
 * fingerprint mismatch the expected and the received fingerprint). */
bool tls_stream_start(int fd, const struct tls_options *opts,
		      struct stream **out, struct mf_error *err);

/* A session closed with tls_stream's close() is kept in memory, under the
 * endpoint and the verification policy of its options (tls/resume.c,
 * which defines this function), and the next
 * tls_stream_start() with the same policy offers to resume it: a queue
 * run's second connection to a server skips the certificate exchange.
 * This wipes and frees every kept session (main() calls it at exit). */
void tls_resume_forget(void);

/* The SHA-256 fingerprint of the server's certificate on s (a stream made
 * by tls_stream_start) as "AB:CD:..." in out (size bytes, at least
 * TLS_FINGERPRINT_TEXT_SIZE). Errors: EX_SOFTWARE, local (no certificate,
 * digest failure). */
bool tls_stream_peer_fingerprint(const struct stream *s, char *out,
				 size_t size, struct mf_error *err);

/* The channel binding of a session (RFC 5056), for SCRAM-*-PLUS (RFC 5802
 * section 6): "tls-exporter" (RFC 9266, 32 bytes) on TLS 1.3, and
 * "tls-unique" (RFC 5929, the first Finished message) on TLS 1.2 and
 * older, then only with the extended master secret (RFC 7627), without
 * which tls-unique does not name one connection (the triple handshake
 * attack). */
#define TLS_CHANNEL_BINDING_MAX 64

struct tls_channel_binding {
	const char *type; /* "tls-exporter" or "tls-unique" (static) */
	unsigned char data[TLS_CHANNEL_BINDING_MAX];
	size_t len;
};

/* Fill *out for the session on s (a stream made by tls_stream_start).
 * Not a failure of the connection when false: it only means there is no
 * binding to offer, and err says why ("the session has no extended master
 * secret"). Errors: EX_UNAVAILABLE, permanent. */
bool tls_stream_channel_binding(const struct stream *s,
				struct tls_channel_binding *out,
				struct mf_error *err);

/* What --serverinfo shows of a session and of the server's certificate.
 * Every text is terminated, and truncated when too long for its field
 * (with "..." at its end). Times are UTC, "YYYY-MM-DD HH:MM:SS UTC". */
struct tls_session_info {
	char protocol[32];   /* "TLS1.3" */
	char cipher[64];     /* "AES-256-GCM" */
	char kx[64];         /* the key exchange group, "SECP256R1" or "" */
	char desc[192];      /* GnuTLS's one-line summary of the session */
	bool have_cert;      /* the fields below are set */
	char subject[512];   /* RFC 4514 distinguished names */
	char issuer[512];
	char names[512];     /* subjectAltName DNS names and IP addresses,
				comma separated, or "" */
	char not_before[32];
	char not_after[32];
	char sha256[TLS_FINGERPRINT_TEXT_SIZE]; /* "AB:CD:..." */
	char sha1[TLS_FINGERPRINT_TEXT_SIZE];
	unsigned chain_len;  /* certificates the server sent */
	const char *checked; /* how the certificate was checked (static):
				"verified", "pinned (tls_fingerprint)" or
				"not checked (tls_certcheck off)" */
};

/* Describe the session on s (a stream made by tls_stream_start) and the
 * server's certificate. Errors: EX_SOFTWARE, local (the certificate cannot
 * be parsed). */
bool tls_stream_info(const struct stream *s, struct tls_session_info *out,
		     struct mf_error *err);

#endif
