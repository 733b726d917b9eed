/* util/secret.c: secret memory. Core dumps are disabled in main so that a
 * password in memory never reaches a core file. */
#include "config.h"

#include "util/secret.h"

#include <stdlib.h>
#include <string.h>

void
secret_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	secret_wipe(s, strlen(s));
	free(s);
}
