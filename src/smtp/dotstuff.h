/* smtp/dotstuff.h: streaming dot-stuffing for DATA (RFC 5321 4.5.2). */
#ifndef MF_SMTP_DOTSTUFF_H
#define MF_SMTP_DOTSTUFF_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

struct dotstuff {
	bool line_start; /* the next byte starts a line */
};

void dotstuff_init(struct dotstuff *d);

/* Append in (CRLF lines, any chunking) to out with a "." doubled at the
 * start of every line. Returns false when out's ceiling is hit (out then
 * holds a prefix; flush and call again with the rest is not supported:
 * size out for len * 2). */
bool dotstuff_append(struct dotstuff *d, const char *in, size_t len,
		     struct buf *out);

/* The end-of-data sequence for the state d is in: "\r\n.\r\n" when the
 * data did not end at a line start, else ".\r\n". Borrowed static. */
const char *dotstuff_end(const struct dotstuff *d);

#endif
