/* queue/internal.h: what queue.c shares with rate.c inside the module. */
#ifndef MF_QUEUE_INTERNAL_H
#define MF_QUEUE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;
struct queue;

/* Replace dest_name in dest_dirfd with len bytes of data, atomically:
 * written to a fresh Q/tmp/PREFIX.RANDOM (O_EXCL, the queue's file mode),
 * fsynced, renamed into place. The destination directory is not fsynced
 * (the caller decides when that is needed). shown names the destination
 * in messages ("env/ID"). On failure the temporary file is removed.
 * Errors: EX_CANTCREAT, EX_IOERR (local). */
bool queue_replace_file(struct queue *q, const char *prefix, const char *data,
			size_t len, int dest_dirfd, const char *dest_name,
			const char *shown, struct mf_error *err);

#endif
