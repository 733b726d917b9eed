/* net/net.c: getaddrinfo over IPv6 and IPv4, a non-blocking connect with
 * a timeout to every address in turn (RFC 6724 order as the resolver gives
 * it), and the plain TCP implementation of struct stream, whose reads and
 * writes time out through SO_RCVTIMEO/SO_SNDTIMEO. */
#include "config.h"

#include "net/net.h"

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
		ssize_t n = recv(t->fd, buf, len, 0);
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

bool
net_connect(const char *host, unsigned port, unsigned timeout,
	    struct stream **out, struct mf_error *err)
{
	struct addrinfo hints, *res = NULL;
	char service[16];
	char addr_text[NI_MAXHOST];
	int rc, last_errno = 0, fd = -1;
	bool ok = false;

	*out = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc == EAI_AGAIN) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"cannot resolve %s: %s", host, gai_strerror(rc));
		goto out;
	}
	if (rc != 0) {
		err_set(err, EX_NOHOST, ERR_PERMANENT,
			"cannot resolve %s: %s", host, gai_strerror(rc));
		goto out;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr_text,
				sizeof(addr_text), NULL, 0,
				NI_NUMERICHOST) != 0)
			snprintf(addr_text, sizeof(addr_text), "?");
		log_debug("connecting to %s port %u", addr_text, port);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		last_errno = connect_timeout(fd, ai->ai_addr, ai->ai_addrlen,
					     timeout);
		if (last_errno == 0)
			break;
		log_debug("%s port %u: %s", addr_text, port,
			  strerror(last_errno));
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
			"cannot connect to %s port %u: %s", host, port,
			strerror(last_errno ? last_errno : ECONNREFUSED));
		goto out;
	}
	if (timeout) {
		struct timeval tv = { .tv_sec = (time_t)timeout };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	{
		int one = 1;
		/* Pipelined commands and the last data chunk should leave
		 * at once, not wait for Nagle's algorithm. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	struct tcp_stream *t = xcalloc(1, sizeof(*t));
	t->base.name = "tcp";
	t->base.read = tcp_read;
	t->base.write = tcp_write;
	t->base.close = tcp_close;
	t->fd = fd;
	*out = &t->base;
	ok = true;
out:
	if (res)
		freeaddrinfo(res);
	return ok;
}
