/* util/fdstream.h: a struct stream over two file descriptors that are
 * already open, such as standard input and output for `sendmail -bs`. */
#ifndef MF_UTIL_FDSTREAM_H
#define MF_UTIL_FDSTREAM_H

#include "util/stream.h"

struct fdstream {
	struct stream base; /* first: a struct stream * is a fdstream * */
	int rfd;            /* borrowed: read from here */
	int wfd;            /* borrowed: write to here */
};

/* Make fs a stream that reads from rfd and writes to wfd (they may be the
 * same descriptor). The descriptors stay the caller's: the stream's close
 * does not close them. Reads and writes block (a descriptor left
 * non-blocking is waited on with poll) and are retried on EINTR; a write
 * returns only when every byte is written.
 * Errors of read: EX_IOERR, ERR_LOCAL, with strerror. Errors of write:
 * EX_IOERR, ERR_LOCAL ("broken pipe" when the reader went away; the
 * caller should ignore SIGPIPE to get that instead of being killed). */
void fdstream_init(struct fdstream *fs, int rfd, int wfd);

#endif
