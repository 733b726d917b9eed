/* net/socks.h: the SOCKS5 client handshake (internal to net/). */
#ifndef MF_NET_SOCKS_H
#define MF_NET_SOCKS_H

#include <stdbool.h>

struct mf_error;

/* Over fd, a connection to the SOCKS5 proxy named proxy (for messages)
 * whose reads and writes already time out, ask the proxy to connect to
 * host and port (RFC 1928: method "no authentication", CONNECT; a name is
 * sent as a domain name, so the proxy resolves it; an IP address as an
 * address). On success fd carries the connection to host.
 * Errors: EX_TEMPFAIL, temporary ("SOCKS5 proxy P: why", the proxy's
 * reply code in words), EX_NOHOST, permanent (host over 255 bytes). */
bool socks5_connect(int fd, const char *proxy, const char *host,
		    unsigned port, struct mf_error *err);

#endif
