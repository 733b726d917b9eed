/* net/net.h: resolving and connecting, and the plain socket stream. */
#ifndef MF_NET_NET_H
#define MF_NET_NET_H

#include <stdbool.h>

struct mf_error;
struct stream;

/* The SOCKS proxy port when net_options.proxy_port is 0. */
#define NET_PROXY_PORT_DEFAULT 1080

/* Where and how to connect. Everything borrowed; NULL or 0 means "not
 * set", and with none of the last four set the connection is a direct
 * TCP one to host and port. */
struct net_options {
	const char *host;  /* the server's name or address */
	unsigned port;
	unsigned timeout;  /* seconds for the connect and for every read and
			    * write afterwards (the proxy's too); 0: none */
	/* Bind to this numeric address before connecting (to the server,
	 * or to the proxy). Addresses of the other family are skipped. */
	const char *source_ip;
	/* A UNIX-domain socket to connect to instead of host and port
	 * (host is then only a name for messages and TLS). Overrides the
	 * proxy and source_ip. */
	const char *socket;
	/* A SOCKS5 proxy (RFC 1928, no authentication): connect to it and
	 * ask it for host and port by name, so the proxy resolves host. */
	const char *proxy_host;
	unsigned proxy_port; /* 0: NET_PROXY_PORT_DEFAULT */
};

/* Open the connection opts describe. Directly: resolve host (IPv6 and
 * IPv4) and connect to each address in turn until one answers, each
 * within timeout seconds. Reads and writes on the stream time out after
 * timeout seconds too.
 * *out is owned by the caller (close with stream->close, which closes the
 * socket). Errors: EX_NOHOST, permanent (host, or the proxy's name, does
 * not resolve; temporary EX_TEMPFAIL when the resolver says "try again"),
 * EX_CONFIG, permanent (source_ip is not a numeric address, socket path
 * too long), EX_TEMPFAIL, temporary (refused, unreachable, timed out, no
 * address of the source_ip's family, the proxy failed or refused: the
 * message says which, in one line). */
bool net_connect(const struct net_options *opts, struct stream **out,
		 struct mf_error *err);

/* The socket under a stream made by net_connect (borrowed). */
int net_stream_fd(const struct stream *s);

#endif
