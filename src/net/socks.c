/* net/socks.c: the client side of SOCKS version 5 (RFC 1928) over an
 * already connected socket: method negotiation offering only "no
 * authentication required" (section 3), then CONNECT (section 4) with the
 * destination as a domain name (ATYP 3), so that the name is resolved by
 * the proxy and not here, or as an address when it is one, and the reply
 * (section 6), whose code is turned into words. Every read and write
 * times out through the socket's SO_RCVTIMEO/SO_SNDTIMEO. */
#include "config.h"

#include "net/socks.h"

#include "log/log.h"
#include "util/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

enum {
	SOCKS_VERSION = 5,
	SOCKS_METHOD_NONE = 0x00,       /* no authentication required */
	SOCKS_METHOD_REFUSED = 0xff,    /* no acceptable method */
	SOCKS_CMD_CONNECT = 1,
	SOCKS_ATYP_IPV4 = 1,
	SOCKS_ATYP_DOMAIN = 3,
	SOCKS_ATYP_IPV6 = 4,
};

/* RFC 1928 section 6, REP field. */
static const char *const socks_replies[] = {
	"succeeded",
	"general SOCKS server failure",
	"connection not allowed by ruleset",
	"network unreachable",
	"host unreachable",
	"connection refused",
	"TTL expired",
	"command not supported",
	"address type not supported",
};

static bool
socks_send(int fd, const char *proxy, const unsigned char *buf, size_t len,
	   struct mf_error *err)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"SOCKS5 proxy %s: %s", proxy,
				errno == EAGAIN || errno == EWOULDBLOCK
					? "timed out sending to the proxy"
					: strerror(errno));
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Read exactly len bytes. */
static bool
socks_recv(int fd, const char *proxy, unsigned char *buf, size_t len,
	   struct mf_error *err)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"SOCKS5 proxy %s: %s", proxy,
				n == 0 ? "the proxy closed the connection"
				: errno == EAGAIN || errno == EWOULDBLOCK
					? "timed out waiting for the proxy"
					: strerror(errno));
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static bool
negotiate(int fd, const char *proxy, struct mf_error *err)
{
	static const unsigned char hello[] = { SOCKS_VERSION, 1,
					       SOCKS_METHOD_NONE };
	unsigned char reply[2];

	if (!socks_send(fd, proxy, hello, sizeof(hello), err) ||
	    !socks_recv(fd, proxy, reply, sizeof(reply), err))
		return false;
	if (reply[0] != SOCKS_VERSION) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"SOCKS5 proxy %s: not a SOCKS5 proxy (it answered "
			"with version %u)",
			proxy, reply[0]);
		return false;
	}
	if (reply[1] == SOCKS_METHOD_REFUSED) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"SOCKS5 proxy %s: the proxy requires authentication, "
			"which is not supported",
			proxy);
		return false;
	}
	if (reply[1] != SOCKS_METHOD_NONE) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"SOCKS5 proxy %s: the proxy chose authentication "
			"method %u, which was not offered",
			proxy, reply[1]);
		return false;
	}
	return true;
}

/* Build the CONNECT request in req (at least 262 bytes); its length. */
static size_t
connect_request(const char *host, unsigned port, unsigned char *req)
{
	size_t n = 0, len;

	req[n++] = SOCKS_VERSION;
	req[n++] = SOCKS_CMD_CONNECT;
	req[n++] = 0; /* reserved */
	if (inet_pton(AF_INET, host, req + n + 1) == 1) {
		req[n++] = SOCKS_ATYP_IPV4;
		n += 4;
	} else if (inet_pton(AF_INET6, host, req + n + 1) == 1) {
		req[n++] = SOCKS_ATYP_IPV6;
		n += 16;
	} else {
		len = strlen(host); /* <= 255: checked by the caller */
		req[n++] = SOCKS_ATYP_DOMAIN;
		req[n++] = (unsigned char)len;
		memcpy(req + n, host, len);
		n += len;
	}
	req[n++] = (unsigned char)(port >> 8);
	req[n++] = (unsigned char)(port & 0xff);
	return n;
}

bool
socks5_connect(int fd, const char *proxy, const char *host, unsigned port,
	       struct mf_error *err)
{
	/* VER CMD RSV ATYP, then at most 1 + 255 name bytes, then PORT. */
	unsigned char req[4 + 1 + 255 + 2];
	unsigned char reply[4 + 255 + 2];
	size_t rest;

	if (strlen(host) > 255) {
		err_set(err, EX_NOHOST, ERR_PERMANENT,
			"host name %.60s... is too long for a SOCKS5 proxy "
			"(over 255 bytes)",
			host);
		return false;
	}
	if (port == 0 || port > 65535) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"port %u is not a TCP port", port);
		return false;
	}
	if (!negotiate(fd, proxy, err))
		return false;
	log_debug("SOCKS5 proxy %s: asking for %s port %u", proxy, host,
		  port);
	if (!socks_send(fd, proxy, req, connect_request(host, port, req),
			err) ||
	    !socks_recv(fd, proxy, reply, 4, err))
		return false;
	if (reply[0] != SOCKS_VERSION) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"SOCKS5 proxy %s: malformed reply (version %u)", proxy,
			reply[0]);
		return false;
	}
	if (reply[1] != 0) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"SOCKS5 proxy %s cannot connect to %s port %u: %s",
			proxy, host, port,
			reply[1] < sizeof(socks_replies) /
						   sizeof(socks_replies[0])
				? socks_replies[reply[1]]
				: "unknown reply code");
		return false;
	}
	/* BND.ADDR and BND.PORT: read and ignore. */
	switch (reply[3]) {
	case SOCKS_ATYP_IPV4:
		rest = 4 + 2;
		break;
	case SOCKS_ATYP_IPV6:
		rest = 16 + 2;
		break;
	case SOCKS_ATYP_DOMAIN:
		if (!socks_recv(fd, proxy, reply, 1, err))
			return false;
		rest = (size_t)reply[0] + 2;
		break;
	default:
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"SOCKS5 proxy %s: malformed reply (address type %u)",
			proxy, reply[3]);
		return false;
	}
	if (!socks_recv(fd, proxy, reply, rest, err))
		return false;
	log_debug("SOCKS5 proxy %s: connected to %s port %u", proxy, host,
		  port);
	return true;
}
