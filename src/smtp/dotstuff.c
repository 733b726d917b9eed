/* smtp/dotstuff.c: transparency (RFC 5321 4.5.2). A line that starts with
 * "." gets another "." in front; the state carries across chunk borders,
 * so a "." at the start of a chunk right after a CRLF is still doubled. */
#include "config.h"

#include "smtp/dotstuff.h"

#include "util/buf.h"

#include <string.h>

void
dotstuff_init(struct dotstuff *d)
{
	d->line_start = true;
}

bool
dotstuff_append(struct dotstuff *d, const char *in, size_t len,
		struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		if (d->line_start && in[i] == '.') {
			if (!buf_append_byte(out, '.'))
				return false;
		}
		/* Copy up to and including the next LF in one go. */
		const char *lf = memchr(in + i, '\n', len - i);
		size_t n = lf ? (size_t)(lf - (in + i)) + 1 : len - i;
		if (!buf_append(out, in + i, n))
			return false;
		d->line_start = lf != NULL;
		i += n;
	}
	return true;
}

const char *
dotstuff_end(const struct dotstuff *d)
{
	return d->line_start ? ".\r\n" : "\r\n.\r\n";
}
