/* message/envelope.c: envelope recipients and sender from the command line
 * and the header fields (sendmail -t semantics; RFC 5322 3.6.3). */
#include "config.h"

#include "message/envelope.h"

#include "message/header.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

/* Move the addresses of from into out, skipping ones already there. */
static bool
merge_unique(struct addr_list *out, struct addr_list *from,
	     struct mf_error *err)
{
	for (size_t i = 0; i < from->count; i++)
		addr_list_add(out, from->addrs[i], strlen(from->addrs[i]));
	addr_list_dedupe(out);
	if (out->count > LIMIT_RECIPIENTS) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"more than %u recipients", (unsigned)LIMIT_RECIPIENTS);
		return false;
	}
	return true;
}

static bool
is_resent(const struct msg_field *f)
{
	return f->name_len > 7 && strncasecmp(f->raw, "Resent-", 7) == 0;
}

static bool
is_resent_rcpt(const struct msg_field *f)
{
	return msg_field_is(f, "Resent-To") || msg_field_is(f, "Resent-Cc") ||
	       msg_field_is(f, "Resent-Bcc");
}

/* The fields -t reads, as [first, end) indexes and a name filter: the To,
 * Cc and Bcc fields of the whole header, or, when the message has been
 * resent, the Resent-To/Cc/Bcc of the most recent Resent block (RFC 5322
 * 3.6.6: blocks are prepended, so it is the first run of Resent-* fields
 * in the header; trace fields between them belong to the block too). */
static bool
resent_block(const struct msg_headers *h, size_t *first, size_t *end)
{
	size_t i = 0;

	while (i < h->count && (h->fields[i].removed ||
				!is_resent_rcpt(&h->fields[i])))
		i++;
	if (i == h->count)
		return false;
	/* Back up to the start of the run of Resent-* fields. */
	while (i > 0 && (is_resent(&h->fields[i - 1]) ||
			 msg_field_is(&h->fields[i - 1], "Received") ||
			 msg_field_is(&h->fields[i - 1], "Return-Path")))
		i--;
	*first = i;
	while (i < h->count && (is_resent(&h->fields[i]) ||
				msg_field_is(&h->fields[i], "Received") ||
				msg_field_is(&h->fields[i], "Return-Path")))
		i++;
	*end = i;
	return true;
}

bool
msg_envelope_recipients(const struct msg_headers *h, char *const *args,
			size_t nargs, bool read_headers,
			struct addr_list *out, struct mf_error *err)
{
	static const char *const plain[] = { "To", "Cc", "Bcc", NULL };
	static const char *const resent[] = { "Resent-To", "Resent-Cc",
					      "Resent-Bcc", NULL };
	const char *const *names = plain;
	size_t first = 0, end = h->count;
	struct addr_list found;
	bool ok = false;

	addr_list_init(&found);
	for (size_t i = 0; i < nargs; i++) {
		if (!addr_list_parse(args[i], strlen(args[i]), &found, err)) {
			err_prefix(err, "recipient argument %zu: ", i + 1);
			goto out;
		}
	}
	if (read_headers && resent_block(h, &first, &end))
		names = resent;
	for (size_t k = 0; read_headers && names[k]; k++) {
		for (size_t i = msg_headers_find(h, names[k], first); i < end;
		     i = msg_headers_find(h, names[k], i + 1)) {
			size_t len;
			const char *v = msg_field_value(&h->fields[i], &len);
			if (!addr_list_parse(v, len, &found, err)) {
				err_prefix(err, "%s header: ", names[k]);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < found.count; i++) {
		if (found.addrs[i][0] == '\0') {
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"empty recipient address");
			goto out;
		}
	}
	if (!merge_unique(out, &found, err))
		goto out;
	if (out->count == 0) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			read_headers ? "no recipients: no address on the "
				       "command line or in To, Cc or Bcc"
				     : "no recipients given (use -t to read "
				       "them from the message)");
		goto out;
	}
	ok = true;
out:
	addr_list_clear(&found);
	return ok;
}

bool
msg_envelope_sender(const struct msg_headers *h, const char *cli_from,
		    const char *cfg_from, char **out, struct mf_error *err)
{
	struct addr_list from;
	size_t i;
	bool ok = false;

	if (cli_from != NULL) {
		if (!addr_parse_mailbox(cli_from, out, err)) {
			err_prefix(err, "envelope sender (-f): ");
			return false;
		}
		return true;
	}
	if (cfg_from != NULL) {
		if (!addr_parse_mailbox(cfg_from, out, err)) {
			err_prefix(err, "configured from: ");
			return false;
		}
		return true;
	}
	addr_list_init(&from);
	i = msg_headers_find(h, "From", 0);
	if (i < h->count) {
		size_t len;
		const char *v = msg_field_value(&h->fields[i], &len);
		if (!addr_list_parse(v, len, &from, err)) {
			err_prefix(err, "From header: ");
			goto out;
		}
	}
	if (from.count == 0) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"no envelope sender: give -f ADDRESS, set 'from' in "
			"the configuration, or add a From header");
		goto out;
	}
	*out = xstrdup(from.addrs[0]);
	ok = true;
out:
	addr_list_clear(&from);
	return ok;
}
