/* util/bytes.h: small byte-scanning helpers for hot loops. */
#ifndef MF_UTIL_BYTES_H
#define MF_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>

/* True when any of the len bytes at p is >= 0x80. Reads eight bytes at a
 * time. */
bool bytes_any_high(const char *p, size_t len);

/* The value of a hexadecimal digit (either case), or -1. */
int bytes_hex_value(unsigned char c);

/* The host's name as gethostname() gives it, or "localhost"; configured
 * (the account's domain) wins when not NULL. out is always terminated. */
void bytes_host_name(const char *configured, char *out, size_t size);

/* True when the len bytes at s are well-formed UTF-8 (RFC 3629 section 4:
 * no overlong forms, no surrogates, nothing above U+10FFFF). ASCII is. */
bool bytes_utf8_valid(const char *s, size_t len);

#endif
