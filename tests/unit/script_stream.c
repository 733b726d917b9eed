/* tests/unit/script_stream.c: see script_stream.h. */
#include "config.h"

#include "script_stream.h"

#include "util/error.h"

#include <string.h>
#include <sysexits.h>

static ssize_t
script_read(struct stream *base, void *buf, size_t len, struct mf_error *err)
{
	struct script_stream *s = (struct script_stream *)base;
	const char *chunk = s->chunks[s->next];
	size_t n;

	(void)err;
	s->reads++;
	buf_append_byte(&s->written, '|');
	if (chunk == NULL)
		return 0; /* the server closed the connection */
	n = strlen(chunk);
	if (n > len)
		n = len; /* tests keep chunks under the read size */
	memcpy(buf, chunk, n);
	s->next++;
	return (ssize_t)n;
}

static bool
script_write(struct stream *base, const void *buf, size_t len,
	     struct mf_error *err)
{
	struct script_stream *s = (struct script_stream *)base;

	if (!buf_append(&s->written, buf, len)) {
		err_set(err, EX_IOERR, ERR_LOCAL, "script stream full");
		return false;
	}
	return true;
}

static void
script_close(struct stream *base)
{
	(void)base;
}

void
script_stream_init(struct script_stream *s, const char *const *chunks)
{
	memset(s, 0, sizeof(*s));
	s->base.name = "script";
	s->base.read = script_read;
	s->base.write = script_write;
	s->base.close = script_close;
	s->chunks = chunks;
	buf_init(&s->written, 64u * 1024 * 1024);
}

void
script_stream_clear(struct script_stream *s)
{
	buf_clear(&s->written);
}
