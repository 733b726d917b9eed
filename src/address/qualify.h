/* address/qualify.h: qualify the bare names ("root") of an address header
 * field in place, leaving every other byte of the field as it was.
 *
 * Pure: bytes in, bytes out; what a bare name becomes is the caller's
 * decision (maildomain, aliases), made in a callback. */
#ifndef MF_ADDRESS_QUALIFY_H
#define MF_ADDRESS_QUALIFY_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;

/* What a bare name becomes. local is the name as addr_list_parse() gives
 * it (a dot-atom, or a quoted string such as "\"john doe\"", never with
 * "@"), terminated, borrowed for the call. Return the replacement
 * addr-spec (in the same form, normally local + "@" + a domain), which
 * must stay valid until the next call or until addr_qualify() returns
 * (a buffer in ctx will do), or NULL to leave the name as it is. */
typedef const char *(*addr_qualify_fn)(void *ctx, const char *local);

/* Copy the body of an address header field (text, len counted bytes: what
 * follows "To:", possibly folded, with comments, display names, groups,
 * quoted strings, encoded words) into *out, replacing the bytes of every
 * addr-spec without "@" by what fn returns for it. Everything else (display
 * names, comments, blanks, folds, angle brackets, routes, group syntax)
 * stays byte for byte. An addr-spec written in an obsolete form with CFWS
 * inside ("john . doe") is replaced as a whole. *changed says whether the
 * result differs from text. On success *out (terminated, *out_len bytes)
 * is owned by the caller; on error it is NULL. fn's ctx is borrowed.
 * Errors: malformed input gives exactly the error addr_list_parse() gives
 * (EX_DATAERR, permanent); EX_CONFIG, permanent, when fn returns something
 * that is not an addr-spec in the form addr_list_parse() gives; EX_DATAERR,
 * permanent, when the result would be longer than LIMIT_HEADER_FIELD. */
bool addr_qualify(const char *text, size_t len, addr_qualify_fn fn, void *ctx,
		  char **out, size_t *out_len, bool *changed,
		  struct mf_error *err);

/* As addr_qualify, but fn is asked about every addr-spec, with or
 * without a domain (it gets the whole addr-spec), so that addresses at
 * this host's own names can be rewritten too. */
bool addr_rewrite(const char *text, size_t len, addr_qualify_fn fn,
		  void *ctx, char **out, size_t *out_len, bool *changed,
		  struct mf_error *err);

#endif
