/* util/stream.h: the byte stream smtp/ talks to.
 *
 * Plain TCP (net/), GnuTLS (tls/) and the in-memory script stream of the
 * unit tests implement it, so the SMTP engine never sees a socket. */
#ifndef MF_UTIL_STREAM_H
#define MF_UTIL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mf_error;

struct stream {
	const char *name; /* "tcp", "tls", "script": for -v */
	/* Read up to len bytes into buf. Returns the count (> 0), 0 at end of
	 * stream, or -1 with err set (timeout and I/O errors are temporary). */
	ssize_t (*read)(struct stream *s, void *buf, size_t len,
			struct mf_error *err);
	/* Write all len bytes, or fail with err set. */
	bool (*write)(struct stream *s, const void *buf, size_t len,
		      struct mf_error *err);
	/* Release the stream (not the layer below it). */
	void (*close)(struct stream *s);
};

#endif
