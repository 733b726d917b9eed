/* net/net.h: resolving and connecting, and the plain TCP stream. */
#ifndef MF_NET_NET_H
#define MF_NET_NET_H

#include <stdbool.h>

struct mf_error;
struct stream;

/* Resolve host (IPv6 and IPv4) and connect to each address in turn until
 * one answers, each within timeout seconds (0: no limit). Reads and
 * writes on the stream time out after timeout seconds too.
 * *out is owned by the caller (close with stream->close, which closes the
 * socket). Errors: EX_NOHOST (name does not resolve, temporary when the
 * resolver says "try again"), EX_TEMPFAIL (refused, unreachable, timed
 * out), all temporary but the permanent EX_NOHOST. */
bool net_connect(const char *host, unsigned port, unsigned timeout,
		 struct stream **out, struct mf_error *err);

/* The socket under a stream made by net_connect (borrowed). */
int net_stream_fd(const struct stream *s);

#endif
