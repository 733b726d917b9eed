/* util/error.h: the one error value every layer fills and main reports.
 *
 * An error carries the sysexits.h code main exits with, whether the failure
 * is temporary (retry later), permanent, or a local problem, the SMTP reply
 * code and RFC 3463 enhanced status when a server caused it, and a message in
 * a fixed buffer so that reporting works even when memory is short.
 */
#ifndef MF_UTIL_ERROR_H
#define MF_UTIL_ERROR_H

#include <stdbool.h>
#include <stddef.h>

enum err_class {
	ERR_NONE = 0,
	ERR_TEMPORARY, /* try again later: 4xx, network, timeout */
	ERR_PERMANENT, /* will fail again: 5xx, bad input, bad config */
	ERR_LOCAL,     /* a problem on this host: I/O, memory, permissions */
};

#define ERR_MSG_MAX 512

struct mf_error {
	int exit_code;        /* sysexits.h code; EX_OK when no error */
	enum err_class cls;
	int smtp_code;        /* 0 when no server reply caused it */
	char enhanced[16];    /* "5.7.8", or "" */
	char msg[ERR_MSG_MAX];
};

/* Reset to "no error". */
void err_clear(struct mf_error *err);

/* Set code, class and a printf-style message; replaces any earlier error.
 * Non-printable bytes in the formatted text are escaped. */
void err_set(struct mf_error *err, int exit_code, enum err_class cls,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Put context in front of the message: "config x:3: " + old message. The
 * code and class (the first cause) are kept. */
void err_prefix(struct mf_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True when err holds an error. */
bool err_isset(const struct mf_error *err);

/* Copy at most max bytes of counted, untrusted text into dst (dst_size
 * bytes, always terminated), escaping anything that is not printable ASCII
 * as \xHH. For quoting server replies and input in messages. */
void err_escape(const char *src, size_t len, char *dst, size_t dst_size);

/* Log then abort: an impossible state was reached. */
_Noreturn void bug(const char *file, int line, const char *what);
#define BUG(what) bug(__FILE__, __LINE__, (what))

#endif
