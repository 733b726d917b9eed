/* log/log.c: stderr diagnostics and the -v transcript. The only mutable
 * global of the program lives here (the verbosity, set once). */
#include "config.h"

#include "log/log.h"

#include "util/error.h"
#include "util/limits.h"

#include <stdarg.h>
#include <stdio.h>

static int log_verbosity;

void
log_init(int verbose)
{
	log_verbosity = verbose;
}

bool
log_is_verbose(void)
{
	return log_verbosity > 0;
}

static void log_vprint(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
log_vprint(const char *prefix, const char *fmt, va_list ap)
{
	char raw[1024];
	char esc[1024];
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(raw))
		n = sizeof(raw) - 1;
	err_escape(raw, (size_t)n, esc, sizeof(esc));
	fprintf(stderr, "mailferry: %s%s\n", prefix, esc);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("warning: ", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity <= 0)
		return;
	va_start(ap, fmt);
	log_vprint("", fmt, ap);
	va_end(ap);
}

void
log_transcript(const char *dir, const char *line, size_t len)
{
	char esc[LIMIT_REPLY_LINE * 4 + 1];

	if (log_verbosity <= 0)
		return;
	err_escape(line, len, esc, sizeof(esc));
	fprintf(stderr, "%s %s\n", dir, esc);
}
