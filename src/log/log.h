/* log/log.h: where diagnostics go. stderr for warnings, and the -v
 * transcript (SMTP dialogue with AUTH payloads redacted by the caller that
 * knows which lines are secret). Later: syslog and a logfile. */
#ifndef MF_LOG_LOG_H
#define MF_LOG_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Set up once in main: verbosity 0 (quiet) or more (-v). */
void log_init(int verbose);
bool log_is_verbose(void);

/* "mailferry: warning: ..." on stderr. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A -v progress line ("connecting to 127.0.0.1 port 587"). */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One SMTP line for the -v transcript. dir is "<--" (server) or "-->"
 * (client); line is counted, without CRLF, and is escaped when printed.
 * Callers pass a placeholder, never an AUTH payload. */
void log_transcript(const char *dir, const char *line, size_t len);

#endif
