/* tests/unit/script_stream.h: an in-memory struct stream for driving the
 * SMTP engine without sockets. Each read returns the next scripted chunk
 * of server bytes (so replies can be split across reads or arrive
 * several at once); everything the client writes is recorded, with a
 * "|" marker each time the client read, so a test sees whether the client
 * waited for a reply before sending on. */
#ifndef MF_TESTS_SCRIPT_STREAM_H
#define MF_TESTS_SCRIPT_STREAM_H

#include <stddef.h>

#include "util/buf.h"
#include "util/stream.h"

struct script_stream {
	struct stream base;
	const char *const *chunks; /* NULL-terminated */
	size_t next;
	struct buf written;       /* client bytes, "|" at every read */
	int reads;
};

void script_stream_init(struct script_stream *s, const char *const *chunks);
void script_stream_clear(struct script_stream *s);

#endif
