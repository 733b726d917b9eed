/* net/net.c: getaddrinfo over IPv6 and IPv4, a non-blocking connect with
 * a timeout to every address in turn (RFC 6724 order as the resolver gives
 * it), optionally from a given source address, through a SOCKS5 proxy
 * (socks.c) or to a UNIX-domain socket instead, and the plain socket
 * implementation of struct stream, whose reads and writes time out
 * through SO_RCVTIMEO/SO_SNDTIMEO. */
#include "config.h"

#include "net/net.h"
#include "net/socks.h"

#include "log/log.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

struct tcp_stream {
	struct stream base; /* first: a struct stream * is a tcp_stream * */
	int fd;
};

static ssize_t
tcp_read(struct stream *s, void *buf, size_t len, struct mf_error *err)
{
	struct tcp_stream *t = (struct tcp_stream *)s;

	for (;;) {
		ssize_t n;
#ifdef TCP_QUICKACK
		/* Acknowledge at once, not after the delayed-ACK timer
		 * (see tls.c's quick_ack; a UNIX socket just refuses). */
		int one = 1;
		(void)setsockopt(t->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
				 sizeof(one));
#endif
		n = recv(t->fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"timed out waiting for the server");
		else
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY, "%s",
				strerror(errno));
		return -1;
	}
}

static bool
tcp_write(struct stream *s, const void *buf, size_t len,
	  struct mf_error *err)
{
	struct tcp_stream *t = (struct tcp_stream *)s;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(t->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
					"timed out sending to the server");
			else
				err_set(err, EX_TEMPFAIL, ERR_TEMPORARY, "%s",
					strerror(errno));
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void
tcp_close(struct stream *s)
{
	struct tcp_stream *t = (struct tcp_stream *)s;

	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

int
net_stream_fd(const struct stream *s)
{
	return ((const struct tcp_stream *)s)->fd;
}

/* Connect fd to addr within timeout seconds; errno-style result. */
static int
connect_timeout(int fd, const struct sockaddr *addr, socklen_t addrlen,
		unsigned timeout)
{
	int flags = fcntl(fd, F_GETFL);
	int rc, so_error = 0;
	socklen_t len = sizeof(so_error);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errno;
	rc = connect(fd, addr, addrlen);
	if (rc != 0 && errno != EINPROGRESS)
		return errno;
	if (rc != 0) {
		do
			rc = poll(&pfd, 1, timeout ? (int)timeout * 1000 : -1);
		while (rc < 0 && errno == EINTR);
		if (rc < 0)
			return errno;
		if (rc == 0)
			return ETIMEDOUT;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0)
			return errno;
		if (so_error != 0)
			return so_error;
	}
	if (fcntl(fd, F_SETFL, flags) < 0)
		return errno;
	return 0;
}

/* The source address for source_ip (numeric only). */
static bool
source_address(const char *source_ip, struct addrinfo **out,
	       struct mf_error *err)
{
	struct addrinfo hints;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	rc = getaddrinfo(source_ip, NULL, &hints, out);
	if (rc != 0) {
		*out = NULL;
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"source_ip %s is not an IP address: %s", source_ip,
			gai_strerror(rc));
		return false;
	}
	return true;
}

static const char *
family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* Resolve host and connect to each address in turn (from source_ip when
 * set), each within timeout; what is "" or "proxy " for messages. */
static bool
connect_tcp(const char *what, const char *host, unsigned port,
	    const char *source_ip, unsigned timeout, int *fd_out,
	    struct mf_error *err)
{
	struct addrinfo hints, *res = NULL, *src = NULL;
	char service[16];
	char addr_text[NI_MAXHOST];
	int rc, last_errno = 0, fd = -1;
	bool bind_failed = false;
	size_t tried = 0, skipped = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%u", port);
	if (source_ip && !source_address(source_ip, &src, err))
		goto out;
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc == EAI_AGAIN) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"cannot resolve %s%s: %s", what, host,
			gai_strerror(rc));
		goto out;
	}
	if (rc != 0) {
		res = NULL;
		err_set(err, EX_NOHOST, ERR_PERMANENT,
			"cannot resolve %s%s: %s", what, host,
			gai_strerror(rc));
		goto out;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr_text,
				sizeof(addr_text), NULL, 0,
				NI_NUMERICHOST) != 0)
			snprintf(addr_text, sizeof(addr_text), "?");
		if (src && src->ai_family != ai->ai_family) {
			/* An IPv4 source cannot reach an IPv6 address. */
			log_debug("skipping %s: source_ip %s is %s", addr_text,
				  source_ip, family_name(src->ai_family));
			skipped++;
			continue;
		}
		tried++;
		log_debug("connecting to %s%s port %u", what, addr_text, port);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			last_errno = errno;
			bind_failed = false;
			continue;
		}
		if (src && bind(fd, src->ai_addr, src->ai_addrlen) != 0) {
			last_errno = errno;
			bind_failed = true;
			log_debug("cannot bind to source_ip %s: %s", source_ip,
				  strerror(last_errno));
		} else {
			bind_failed = false;
			last_errno = connect_timeout(fd, ai->ai_addr,
						     ai->ai_addrlen, timeout);
			if (last_errno == 0)
				break;
			log_debug("%s port %u: %s", addr_text, port,
				  strerror(last_errno));
		}
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		goto out;
	if (tried == 0 && skipped > 0)
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"cannot connect to %s%s port %u: it has no %s address "
			"(source_ip %s)",
			what, host, port, family_name(src->ai_family),
			source_ip);
	else if (bind_failed)
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"cannot connect to %s%s port %u: cannot bind to "
			"source_ip %s: %s",
			what, host, port, source_ip, strerror(last_errno));
	else
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"cannot connect to %s%s port %u: %s", what, host, port,
			strerror(last_errno ? last_errno : ECONNREFUSED));
out:
	if (res)
		freeaddrinfo(res);
	if (src)
		freeaddrinfo(src);
	*fd_out = fd;
	return fd >= 0;
}

/* Connect to the UNIX-domain socket at path within timeout. */
static bool
connect_unix(const char *path, unsigned timeout, int *fd_out,
	     struct mf_error *err)
{
	struct sockaddr_un sun;
	size_t len = strlen(path);
	int fd = -1, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (len == 0 || len >= sizeof(sun.sun_path)) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"socket %.100s: a UNIX socket path must have 1 to %zu "
			"bytes",
			path, sizeof(sun.sun_path) - 1);
		goto out;
	}
	memcpy(sun.sun_path, path, len + 1);
	log_debug("connecting to socket %s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? errno
		    : connect_timeout(fd, (const struct sockaddr *)&sun,
				      sizeof(sun), timeout);
	if (rc != 0) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"cannot connect to socket %s: %s", path, strerror(rc));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	*fd_out = fd;
	return fd >= 0;
}

static void
set_timeouts(int fd, unsigned timeout)
{
	if (timeout) {
		struct timeval tv = { .tv_sec = (time_t)timeout };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
}

bool
net_connect(const struct net_options *opts, struct stream **out,
	    struct mf_error *err)
{
	int fd = -1;
	bool ok;

	*out = NULL;
	if (opts->socket) {
		ok = connect_unix(opts->socket, opts->timeout, &fd, err);
		if (ok)
			set_timeouts(fd, opts->timeout);
	} else if (opts->proxy_host) {
		unsigned proxy_port = opts->proxy_port
					      ? opts->proxy_port
					      : NET_PROXY_PORT_DEFAULT;
		char proxy[300];
		snprintf(proxy, sizeof(proxy), "%s port %u", opts->proxy_host,
			 proxy_port);
		ok = connect_tcp("proxy ", opts->proxy_host, proxy_port,
				 opts->source_ip, opts->timeout, &fd, err);
		if (ok) {
			/* The SOCKS exchange is bound by the timeout too. */
			set_timeouts(fd, opts->timeout);
			ok = socks5_connect(fd, proxy, opts->host, opts->port,
					    err);
		}
	} else {
		ok = connect_tcp("", opts->host, opts->port, opts->source_ip,
				 opts->timeout, &fd, err);
		if (ok)
			set_timeouts(fd, opts->timeout);
	}
	if (!ok) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (!opts->socket) {
		int one = 1;
		/* Pipelined commands and the last data chunk should leave
		 * at once, not wait for Nagle's algorithm. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	struct tcp_stream *t = xcalloc(1, sizeof(*t));
	t->base.name = opts->socket ? "unix" : "tcp";
	t->base.read = tcp_read;
	t->base.write = tcp_write;
	t->base.close = tcp_close;
	t->fd = fd;
	*out = &t->base;
	return true;
}
