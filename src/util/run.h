/* util/run.h: run a user's command and take its output (passwordeval,
 * eval). The command is the user's own configuration text, run by
 * /bin/sh -c exactly as written: nothing from the message or the command
 * line is ever put into it. */
#ifndef MF_UTIL_RUN_H
#define MF_UTIL_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;

/* Run cmd with /bin/sh -c, standard input /dev/null, standard output
 * captured, standard error inherited, no other descriptor of ours, in a
 * process group of its own that is killed when timeout seconds pass (0:
 * no limit). At most max bytes of output are accepted. On success *out
 * (owned by the caller; wipe it with secret_free, it may be a password)
 * is the output up to and without its first line end when first_line is
 * set, else the whole output minus one trailing newline (and a CR before
 * it). Errors: EX_CONFIG (cannot start, killed, exit status not 0, timed
 * out, output too long); the message never contains the output. */
bool run_capture(const char *cmd, unsigned timeout, size_t max,
		 bool first_line, char **out, struct mf_error *err);

#endif
