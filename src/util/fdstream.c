/* util/fdstream.c: struct stream over two borrowed file descriptors (see
 * fdstream.h). Used for the SMTP server side of `sendmail -bs`, where the
 * caller speaks to us on standard input and output. */
#include "config.h"

#include "util/fdstream.h"

#include "util/error.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* A descriptor the caller left non-blocking would fail with EAGAIN: wait
 * until it is ready instead, so the stream behaves as a blocking one. */
static bool
wait_ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&p, 1, -1);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

static bool
would_block(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK;
}

static ssize_t
fd_read(struct stream *s, void *buf, size_t len, struct mf_error *err)
{
	struct fdstream *fs = (struct fdstream *)s;

	for (;;) {
		ssize_t n = read(fs->rfd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (would_block(errno) && wait_ready(fs->rfd, POLLIN))
			continue;
		err_set(err, EX_IOERR, ERR_LOCAL, "read: %s",
			strerror(errno));
		return -1;
	}
}

static bool
fd_write(struct stream *s, const void *buf, size_t len, struct mf_error *err)
{
	struct fdstream *fs = (struct fdstream *)s;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fs->wfd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && would_block(errno) &&
		    wait_ready(fs->wfd, POLLOUT))
			continue;
		if (n < 0) {
			err_set(err, EX_IOERR, ERR_LOCAL, "write: %s",
				strerror(errno));
			return false;
		}
		if (n == 0) {
			/* Not expected from a blocking descriptor; refuse to
			 * spin. */
			err_set(err, EX_IOERR, ERR_LOCAL,
				"write: no progress");
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void
fd_close(struct stream *s)
{
	/* The descriptors are borrowed: nothing to release. */
	(void)s;
}

void
fdstream_init(struct fdstream *fs, int rfd, int wfd)
{
	memset(fs, 0, sizeof(*fs));
	fs->base.name = "fd";
	fs->base.read = fd_read;
	fs->base.write = fd_write;
	fs->base.close = fd_close;
	fs->rfd = rfd;
	fs->wfd = wfd;
}
