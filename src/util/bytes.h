/* util/bytes.h: small byte-scanning helpers for hot loops. */
#ifndef MF_UTIL_BYTES_H
#define MF_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>

/* True when any of the len bytes at p is >= 0x80. Reads eight bytes at a
 * time. */
bool bytes_any_high(const char *p, size_t len);

#endif
