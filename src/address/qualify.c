/* address/qualify.c: bare names in address header fields made into full
 * addresses, in place.
 *
 * A message from cron says "To: root"; the smarthost and the final
 * recipient need "To: root@example.org". This file owns that rewrite of
 * an address header field (RFC 5322 3.4, 3.6.2, 3.6.3 and the obsolete
 * forms of 4.4). It does not parse anything itself: addr_list_scan() of
 * address.c reports every addr-spec with the byte span it was read from,
 * and the result is the input with the spans of the unqualified ones
 * replaced, so display names, comments, encoded words, folds and group
 * syntax stay exactly as they were written. Since addr_list_scan() is the
 * parser of addr_list_parse(), a field is rewritten exactly when the
 * envelope can read it, and the rewritten field reads as the same
 * addresses with the bare names replaced.
 */
#include "config.h"

#include "address/qualify.h"

#include "address/address.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct qualify {
	const char *text; /* borrowed: the field body */
	size_t copied;    /* text before this offset is in out */
	addr_qualify_fn fn;
	void *ctx;
	struct buf out;
	bool changed;
	bool all;         /* fn sees every addr-spec, not only bare names */
};

/* fn's answer must be an addr-spec as addr_list_parse() would give it, so
 * that nothing but an address (no CR, LF, ",", "<" ...) enters the field
 * and the field still reads back as the same list. */
static bool
check_replacement(const char *local, const char *repl, struct mf_error *err)
{
	struct mf_error sub;
	char *canon = NULL;
	bool ok;

	err_clear(&sub);
	ok = addr_parse_mailbox(repl, &canon, &sub) && canon[0] != '\0' &&
	     strcmp(canon, repl) == 0;
	free(canon);
	if (!ok)
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"qualify: '%s' is not a valid address to replace '%s'",
			repl, local);
	return ok;
}

static bool
fail_too_long(struct mf_error *err)
{
	err_set(err, EX_DATAERR, ERR_PERMANENT,
		"address field longer than %u bytes after qualification",
		(unsigned)LIMIT_HEADER_FIELD);
	return false;
}

/* addr_list_scan's sink: copy the text up to a bare name, then its
 * replacement. */
static bool
found(void *ctx, const struct addr_span *span, struct mf_error *err)
{
	struct qualify *q = ctx;
	const char *repl;
	size_t rlen;

	if (span->has_domain && !q->all)
		return true;
	repl = q->fn(q->ctx, span->addr);
	if (repl == NULL)
		return true;
	if (!check_replacement(span->addr, repl, err))
		return false;
	rlen = strlen(repl);
	if (!buf_append(&q->out, q->text + q->copied,
			span->start - q->copied) ||
	    !buf_append(&q->out, repl, rlen))
		return fail_too_long(err);
	if (rlen != span->end - span->start ||
	    memcmp(repl, q->text + span->start, rlen) != 0)
		q->changed = true;
	q->copied = span->end;
	return true;
}

static bool
rewrite(const char *text, size_t len, bool all, addr_qualify_fn fn,
	void *ctx, char **out, size_t *out_len, bool *changed,
	struct mf_error *err)
{
	struct qualify q;
	bool ok = false;

	*out = NULL;
	*out_len = 0;
	*changed = false;
	q.text = text;
	q.copied = 0;
	q.fn = fn;
	q.ctx = ctx;
	q.changed = false;
	q.all = all;
	buf_init(&q.out, LIMIT_HEADER_FIELD);
	if (!addr_list_scan(text, len, found, &q, err))
		goto out;
	if (len > q.copied &&
	    !buf_append(&q.out, text + q.copied, len - q.copied)) {
		fail_too_long(err);
		goto out;
	}
	*out = buf_steal(&q.out, out_len);
	*changed = q.changed;
	ok = true;
out:
	buf_clear(&q.out);
	return ok;
}

bool
addr_qualify(const char *text, size_t len, addr_qualify_fn fn, void *ctx,
	     char **out, size_t *out_len, bool *changed, struct mf_error *err)
{
	return rewrite(text, len, false, fn, ctx, out, out_len, changed, err);
}

bool
addr_rewrite(const char *text, size_t len, addr_qualify_fn fn, void *ctx,
	     char **out, size_t *out_len, bool *changed, struct mf_error *err)
{
	return rewrite(text, len, true, fn, ctx, out, out_len, changed, err);
}
