/* tls/tls.h: a GnuTLS client session implementing struct stream. */
#ifndef MF_TLS_TLS_H
#define MF_TLS_TLS_H

#include <stdbool.h>

struct mf_error;
struct stream;

struct tls_options {
	const char *trust_file; /* PEM CA file; NULL or "system": system store */
	bool certcheck;         /* verify the chain and the host name */
	const char *host;       /* name (or address) to verify and for SNI */
	unsigned timeout;       /* handshake timeout in seconds; 0: none */
};

/* Run a TLS handshake as client over the connected socket fd (borrowed:
 * closing the TLS stream sends close_notify but leaves fd open).
 * *out is owned by the caller. Errors: EX_CONFIG (trust file unreadable),
 * EX_TEMPFAIL, temporary (handshake failed, certificate refused: the
 * message names why: "certificate is not trusted", "expired", "does not
 * match host x"). */
bool tls_stream_start(int fd, const struct tls_options *opts,
		      struct stream **out, struct mf_error *err);

#endif
