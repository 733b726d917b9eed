/* address/internal.h: declarations shared by the files of address/ only. */
#ifndef MF_ADDRESS_INTERNAL_H
#define MF_ADDRESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* True when the len bytes at s are well-formed UTF-8 (RFC 3629 section 4:
 * no overlong forms, no surrogates, nothing above U+10FFFF). ASCII is. */
bool addr_utf8_valid(const char *s, size_t len);

#endif
