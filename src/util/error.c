/* util/error.c: filling and decorating struct mf_error. */
#include "config.h"

#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

void
err_clear(struct mf_error *err)
{
	err->exit_code = EX_OK;
	err->cls = ERR_NONE;
	err->smtp_code = 0;
	err->enhanced[0] = '\0';
	err->msg[0] = '\0';
}

bool
err_isset(const struct mf_error *err)
{
	return err->cls != ERR_NONE;
}

void
err_escape(const char *src, size_t len, char *dst, size_t dst_size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (dst_size == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dst_size)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dst_size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
}

/* Format into a scratch buffer, then escape into the message. The format
 * arguments may include untrusted text; escaping happens once, here. */
static void err_vformat(char *dst, size_t dst_size, const char *fmt,
			va_list ap) __attribute__((format(printf, 3, 0)));

static void
err_vformat(char *dst, size_t dst_size, const char *fmt, va_list ap)
{
	char raw[ERR_MSG_MAX];
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(raw))
		n = sizeof(raw) - 1;
	err_escape(raw, (size_t)n, dst, dst_size);
}

void
err_set(struct mf_error *err, int exit_code, enum err_class cls,
	const char *fmt, ...)
{
	va_list ap;

	err_clear(err);
	err->exit_code = exit_code;
	err->cls = cls;
	va_start(ap, fmt);
	err_vformat(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
err_prefix(struct mf_error *err, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	size_t plen, olen;
	va_list ap;

	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	err_vformat(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* prefix + old, cut to the buffer (not snprintf "%s%s": gcc's
	 * -Wformat-truncation rejects that at -O0/-O1 with -Werror). */
	plen = strlen(prefix);
	olen = strlen(old);
	if (olen > sizeof(err->msg) - 1 - plen)
		olen = sizeof(err->msg) - 1 - plen;
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, old, olen);
	err->msg[plen + olen] = '\0';
}

void
bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "mailferry: internal error at %s:%d: %s\n", file, line,
		what);
	abort();
}
