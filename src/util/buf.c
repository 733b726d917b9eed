/* util/buf.c: bounded growable byte buffer. */
#include "config.h"

#include "util/buf.h"

#include "util/alloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_clear(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void
buf_clear_secret(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	buf_clear(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

/* Make room for len more bytes plus a terminator. */
static bool
buf_reserve(struct buf *b, size_t len)
{
	size_t need;

	if (len > b->max || b->len > b->max - len)
		return false;
	need = b->len + len + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	/* Never more than max bytes plus the terminator; written as
	 * cap - 1 > max because max + 1 wraps to 0 for max == SIZE_MAX. */
	if (cap - 1 > b->max)
		cap = b->max + 1;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return true;
}

bool
buf_append(struct buf *b, const void *p, size_t len)
{
	if (!buf_reserve(b, len))
		return false;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return true;
}

bool
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

bool
buf_append_byte(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

bool
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

const char *
buf_cstr(struct buf *b)
{
	if (b->data == NULL)
		return "";
	return b->data;
}

char *
buf_steal(struct buf *b, size_t *len)
{
	char *p = b->data ? b->data : xmemdup0("", 0);

	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return p;
}
