/* queue/spool.c: the body spool file. It is created without a name
 * (O_TMPFILE, or mkstemp then unlink where that is missing), so nothing
 * is left behind when we exit in any way. The durable queue will give
 * it a name with linkat() when a message has to wait. */
#include "config.h"

#include "queue/spool.h"

#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

static const char *
spool_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir == '/' ? dir : "/tmp";
}

bool
spool_open(struct spool *sp, struct mf_error *err)
{
	const char *dir = spool_dir();

	sp->size = 0;
#ifdef O_TMPFILE
	sp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (sp->fd >= 0)
		return true;
#endif
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/mailferry.XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		err_set(err, EX_CANTCREAT, ERR_LOCAL,
			"spool file: directory name too long");
		return false;
	}
	sp->fd = mkostemp(path, O_CLOEXEC);
	if (sp->fd < 0) {
		err_set(err, EX_CANTCREAT, ERR_LOCAL,
			"cannot create a spool file in %s: %s", dir,
			strerror(errno));
		return false;
	}
	unlink(path);
	return true;
}

bool
spool_write(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct spool *sp = ctx;

	while (len > 0) {
		ssize_t n = write(sp->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"writing the spool file: %s", strerror(errno));
			return false;
		}
		p += n;
		len -= (size_t)n;
		sp->size += n;
	}
	return true;
}

bool
spool_replay(struct spool *sp,
	     bool (*sink)(void *ctx, const char *p, size_t len,
			  struct mf_error *err),
	     void *ctx, struct mf_error *err)
{
	char chunk[65536];
	off_t off = 0;

	while (off < sp->size) {
		ssize_t n = pread(sp->fd, chunk, sizeof(chunk), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"reading the spool file: %s",
				n < 0 ? strerror(errno) : "file shrank");
			return false;
		}
		if (!sink(ctx, chunk, (size_t)n, err))
			return false;
		off += n;
	}
	return true;
}

void
spool_close(struct spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
}
