/* queue/spool.h: the spool file that holds a message body while it is
 * read and sent, so memory use does not grow with the message. */
#ifndef MF_QUEUE_SPOOL_H
#define MF_QUEUE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mf_error;

struct spool {
	int fd;      /* -1 when closed */
	off_t size;  /* bytes written */
};

/* Create an anonymous file (no name on disk, mode 0600) in $TMPDIR or
 * /tmp. Errors: EX_CANTCREAT, local. */
bool spool_open(struct spool *sp, struct mf_error *err);

/* Append bytes; matches msg_body_fn so the reader can write straight
 * here (ctx is the struct spool). Errors: EX_IOERR, local (disk full). */
bool spool_write(void *ctx, const char *p, size_t len, struct mf_error *err);

/* Read the whole spool from the start and hand it to sink in chunks.
 * Errors: EX_IOERR, local; or whatever sink sets. */
bool spool_replay(struct spool *sp,
		  bool (*sink)(void *ctx, const char *p, size_t len,
			       struct mf_error *err),
		  void *ctx, struct mf_error *err);

void spool_close(struct spool *sp);

#endif
