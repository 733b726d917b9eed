/* privilege.h: the optional setgid group (./configure
 * --with-setgid-group=GROUP). With it, any local user can submit into the
 * system spool and the program can read a system configuration that
 * holds secrets, while ordinary users can read neither (see
 * doc/internals/security.md for the threat model).
 *
 * The rule: the privilege is kept only while everything the program reads
 * is root's (the system file, the files it names, the system spool). The
 * moment the caller controls something that would be read or written (-C,
 * a user configuration, --KEYWORD=VALUE, -X, --host, or a mode that shows
 * configuration) the privilege is given up for good, before that thing
 * is touched, and the run continues as the plain user with the per-user
 * queue. */
#ifndef MF_PRIVILEGE_H
#define MF_PRIVILEGE_H

#include <stdbool.h>

struct cli_options;
struct mf_error;

/* True while the program runs with a group it was not started with. */
bool priv_held(void);

/* Give the group up for good (real, effective and saved). Errors:
 * EX_OSERR (the kernel refused: the program must stop). */
bool priv_drop(struct mf_error *err);

/* At startup: drop the privilege when opts or the caller's files call for
 * it; when it is kept, replace the caller's environment by a fixed one
 * (PATH only) and let the group use the spool (umask 007). Errors: as
 * priv_drop. */
bool priv_settle(const struct cli_options *opts, struct mf_error *err);

/* The system spool used while the privilege is held. */
const char *priv_system_spool(void);

#endif
