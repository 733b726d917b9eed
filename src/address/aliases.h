/* address/aliases.h: the aliases file of the `aliases` config keyword
 * (msmtp and /etc/aliases style) and the expansion of local recipients
 * through it.
 *
 * Pure: the caller reads the file and says which domains are local; no
 * I/O, no config, no environment. The file format is described at the top
 * of aliases.c. */
#ifndef MF_ADDRESS_ALIASES_H
#define MF_ADDRESS_ALIASES_H

#include <stdbool.h>
#include <stddef.h>

struct addr_list;
struct mf_error;

/* A parsed aliases file plus the list of local domains. Opaque. */
struct aliases;

/* An empty table. local_domains is a NULL-terminated array of domains
 * that count as this host ("localhost", the host's name), compared
 * without regard to ASCII case; it may be NULL. The strings are copied
 * (borrowed for the call). The result is owned by the caller: release it
 * with aliases_free(). Never fails (allocation failure exits). */
struct aliases *aliases_new(const char *const *local_domains);

/* Release a table and everything in it. aliases_free(NULL) does nothing. */
void aliases_free(struct aliases *a);

/* Parse the text of an aliases file (len counted bytes, not terminated;
 * a NUL byte is an error) into a, which must be fresh from aliases_new().
 * file names the source in messages (borrowed for the call).
 * Errors: EX_CONFIG, permanent, "FILE:LINE: what is wrong": syntax, a
 * name defined twice, an entry without a target, a program, file or
 * :include: target (not supported by a relay-only client), a line longer
 * than LIMIT_CONFIG_LINE, more than LIMIT_ALIASES names. On error a keeps
 * the entries read before the bad one; free it. */
bool aliases_parse(struct aliases *a, const char *text, size_t len,
		   const char *file, struct mf_error *err);

/* The number of names defined ("default" included). */
size_t aliases_count(const struct aliases *a);

/* Whether addr (an addr-spec as addr_list_parse() gives it) is local: it
 * has no domain, or its domain is one of the local domains. */
bool aliases_is_local(const struct aliases *a, const char *addr);

/* Expand one recipient and append the result to out (an initialised list,
 * borrowed), skipping addresses out already holds (exact comparison).
 * A local addr (see aliases_is_local) is looked up by its local part,
 * ignoring ASCII case; when no name matches, the "default" entry does.
 * Each target that is itself local is expanded in turn, depth first, in
 * file order; a name already being expanded on the current path is
 * appended as it is written, so "root: root, admin@x" gives root and
 * admin@x and a loop stops where it closes. A local address that matches
 * nothing, and every non-local address, is appended unchanged (the
 * caller qualifies bare names later). addr is borrowed.
 * Errors: EX_CONFIG, permanent: "aliases: 'ADDR' expands deeper than 10
 * levels" (LIMIT_ALIAS_DEPTH), or "aliases: 'ADDR' expands to more than N
 * addresses" (LIMIT_RECIPIENTS, counting every target visited). On error
 * out keeps what was appended before it. */
bool aliases_expand(const struct aliases *a, const char *addr,
		    struct addr_list *out, struct mf_error *err);

#endif
