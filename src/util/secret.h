/* util/secret.h: memory for passwords and tokens, wiped before release. */
#ifndef MF_UTIL_SECRET_H
#define MF_UTIL_SECRET_H

#include <stddef.h>

/* Overwrite len bytes in a way the compiler cannot remove. */
void secret_wipe(void *p, size_t len);
/* Wipe and free a terminated secret string; NULL does nothing. */
void secret_free(char *s);

#endif
