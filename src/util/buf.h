/* util/buf.h: a growable byte buffer with a ceiling (curl's dynbuf idea).
 * Contents are counted bytes and may hold NUL; buf_cstr() terminates. */
#ifndef MF_UTIL_BUF_H
#define MF_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;  /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;  /* appends that would exceed this fail */
};

/* Embedded buffer that may grow to max bytes. */
void buf_init(struct buf *b, size_t max);
/* Release the memory; the buffer can be reused after buf_init(). */
void buf_clear(struct buf *b);
/* Like buf_clear() but overwrite the bytes first (secrets). */
void buf_clear_secret(struct buf *b);
/* Forget the contents, keep the memory. */
void buf_reset(struct buf *b);
/* Append len bytes; false (buffer unchanged) when max would be exceeded. */
bool buf_append(struct buf *b, const void *p, size_t len);
bool buf_append_str(struct buf *b, const char *s);
bool buf_append_byte(struct buf *b, char c);
/* printf into the buffer; false when max would be exceeded. */
bool buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Terminated view of the contents (borrowed until the next change). */
const char *buf_cstr(struct buf *b);
/* Hand the terminated contents to the caller (owned) and reset. */
char *buf_steal(struct buf *b, size_t *len);

#endif
