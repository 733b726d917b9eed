/* util/alloc.h: allocation wrappers that exit EX_OSERR on exhaustion.
 * Safe because every durable write commits atomically. */
#ifndef MF_UTIL_ALLOC_H
#define MF_UTIL_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow an array of n elements of size each; checks for overflow. */
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
/* Copy len counted bytes and terminate. */
char *xmemdup0(const void *p, size_t len);

#endif
