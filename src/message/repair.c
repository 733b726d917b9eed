/* message/repair.c: header repair (RFC 5322 3.6: origination date and
 * originator fields are required, Message-ID should be present; 3.6.3
 * Bcc; 3.6.6 Resent-Bcc; 2.1.1 the 998-octet line limit; RFC 2047 for
 * raw 8-bit text). Only fields that need a change are touched; every
 * other field keeps its bytes. */
#include "config.h"

#include "message/repair.h"

#include "message/header.h"
#include "message/rfc2047.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Longest header line allowed, without CRLF (RFC 5322 2.1.1). */
#define LINE_MAX_OCTETS 998
/* Where folded lines are broken when we refold (RFC 5322 2.1.1). */
#define LINE_GOAL 78

/* Fields whose value is an address list: only their display names and
 * comments are encoded. */
static const char *const address_fields[] = {
	"From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Resent-From",
	"Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc",
	"Mail-Followup-To", "Mail-Reply-To", "Disposition-Notification-To",
	NULL,
};

/* Structured fields that are never RFC 2047 encoded (their syntax has no
 * place for encoded words, or changing them breaks something). */
static const char *const structured_fields[] = {
	"Received", "Return-Path", "Date", "Message-ID", "In-Reply-To",
	"References", "MIME-Version", "Content-Type", "Content-Disposition",
	"Content-Transfer-Encoding", "Content-ID", "DKIM-Signature",
	"Authentication-Results", "ARC-Seal", "ARC-Message-Signature",
	"ARC-Authentication-Results", "Resent-Date", "Resent-Message-ID",
	"List-Unsubscribe", "List-Id", "List-Post", "List-Help",
	"List-Subscribe", "List-Archive", NULL,
};

static bool
field_in(const struct msg_field *f, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (msg_field_is(f, names[i]))
			return true;
	return false;
}

size_t
msg_repair_remove_bcc(struct msg_headers *h)
{
	size_t removed = 0;

	for (size_t i = 0; i < h->count; i++) {
		struct msg_field *f = &h->fields[i];
		if (!f->removed &&
		    (msg_field_is(f, "Bcc") || msg_field_is(f, "Resent-Bcc"))) {
			f->removed = true;
			removed++;
		}
	}
	return removed;
}

static bool
has_field(const struct msg_headers *h, const char *name)
{
	return msg_headers_find(h, name, 0) < h->count;
}

static bool
add_field(struct msg_headers *h, const char *name, const char *value,
	  struct mf_error *err)
{
	struct buf b;
	bool ok;

	buf_init(&b, LIMIT_HEADER_FIELD);
	ok = buf_printf(&b, "%s: %s\r\n", name, value) &&
	     msg_headers_add(h, b.data, b.len, err);
	buf_clear(&b);
	return ok;
}

/* A display name needs quoting when it holds anything but atext and
 * blanks (RFC 5322 3.2.3, 3.4: "Doe, John" must be quoted). */
static bool
needs_quotes(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p >= 0x80 || *p == ' ' || *p == '\t')
			continue;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			continue;
		if (strchr("!#$%&'*+-/=?^_`{|}~", *p) == NULL)
			return true;
	}
	return false;
}

/* Build "From: name <addr>\r\n" (or "From: addr\r\n") into out. */
static bool
build_from(const char *addr, const char *name, struct buf *out)
{
	bool ok = buf_append_str(out, "From: ");

	if (name && *name) {
		if (needs_quotes(name)) {
			ok = ok && buf_append_byte(out, '"');
			for (const char *p = name; *p && ok; p++) {
				if (*p == '"' || *p == '\\')
					ok = buf_append_byte(out, '\\');
				ok = ok && buf_append_byte(out, *p);
			}
			ok = ok && buf_append_byte(out, '"');
		} else {
			ok = ok && buf_append_str(out, name);
		}
		ok = ok && buf_printf(out, " <%s>\r\n", addr);
	} else {
		ok = ok && buf_printf(out, "%s\r\n", addr);
	}
	return ok;
}

static bool
repair_from(struct msg_headers *h, const struct msg_repair *r,
	    struct mf_error *err)
{
	size_t existing = msg_headers_find(h, "From", 0);
	struct buf b;
	bool ok = false;

	if (r->from == MSG_ADD_NEVER || r->from_address == NULL ||
	    *r->from_address == '\0')
		return true;
	if (r->from == MSG_ADD_AUTO && existing < h->count)
		return true;
	buf_init(&b, LIMIT_HEADER_FIELD);
	if (!build_from(r->from_address, r->from_name, &b)) {
		err_set(err, EX_DATAERR, ERR_PERMANENT, "From field too long");
		goto out;
	}
	if (existing < h->count && r->from_to_reply_to &&
	    msg_headers_find(h, "Reply-To", 0) >= h->count) {
		/* Replies still reach the original author. */
		size_t vlen;
		const char *v = msg_field_value(&h->fields[existing], &vlen);
		struct buf rt;
		buf_init(&rt, LIMIT_HEADER_FIELD);
		ok = buf_append_str(&rt, "Reply-To:") &&
		     buf_append(&rt, v, vlen) && buf_append_str(&rt, "\r\n");
		if (!ok)
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"Reply-To field too long");
		ok = ok && msg_headers_add(h, rt.data, rt.len, err);
		buf_clear(&rt);
		if (!ok)
			goto out;
	}
	if (existing < h->count) {
		/* set_from_header on: one From, ours, in the old place. */
		for (size_t i = existing + 1; i < h->count; i++)
			if (msg_field_is(&h->fields[i], "From"))
				h->fields[i].removed = true;
		ok = msg_headers_replace(h, existing, b.data, b.len, err);
	} else {
		ok = msg_headers_add(h, b.data, b.len, err);
	}
out:
	buf_clear(&b);
	return ok;
}

static bool
repair_undisclosed(struct msg_headers *h, struct mf_error *err)
{
	for (size_t i = 0; i < h->count; i++) {
		struct msg_field *f = &h->fields[i];
		if (msg_field_is(f, "To") || msg_field_is(f, "Cc") ||
		    msg_field_is(f, "Bcc"))
			f->removed = true;
	}
	return add_field(h, "To", "undisclosed-recipients:;", err);
}

/* Encode field i when it has raw 8-bit text and may be encoded. A field
 * the address encoder cannot parse is left as it was. */
static bool
encode_field(struct msg_headers *h, size_t i, struct mf_error *err)
{
	struct msg_field *f = &h->fields[i];
	size_t len;
	const char *value = msg_field_value(f, &len);
	char name[128];
	struct buf b;
	bool ok = true;

	if (!msg_has_8bit(value, len) || field_in(f, structured_fields) ||
	    f->name_len >= sizeof(name))
		return true;
	memcpy(name, f->raw, f->name_len);
	name[f->name_len] = '\0';
	buf_init(&b, LIMIT_HEADER_FIELD);
	if (field_in(f, address_fields)) {
		struct mf_error ignored;
		if (msg_rfc2047_encode_address(name, value, len, &b, &ignored))
			ok = msg_headers_replace(h, i, b.data, b.len, err);
	} else if (msg_rfc2047_encode_unstructured(name, value, len, &b,
						   err)) {
		ok = msg_headers_replace(h, i, b.data, b.len, err);
	} else {
		ok = false;
	}
	buf_clear(&b);
	return ok;
}

/* Longest physical line of a raw field, without its CRLF. */
static size_t
longest_line(const struct msg_field *f)
{
	size_t longest = 0, start = 0;

	for (size_t i = 0; i < f->raw_len; i++) {
		if (f->raw[i] == '\n') {
			size_t n = i - start;
			if (n > 0 && f->raw[i - 1] == '\r')
				n--;
			if (n > longest)
				longest = n;
			start = i + 1;
		}
	}
	return longest;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Refold a field whose line is too long: unfold, then break before
 * whitespace so that lines stay near LINE_GOAL and never exceed
 * LINE_MAX_OCTETS. Folding only inserts CRLF before existing whitespace,
 * so the unfolded value is unchanged (RFC 5322 2.2.3). A break is never
 * put before a run of blanks that ends the field (no blank-only line). */
static bool
refold_field(struct msg_headers *h, size_t i, struct mf_error *err)
{
	const struct msg_field *f = &h->fields[i];
	struct buf flat, out;
	size_t seg_start = 0, seg_end, line_len = 0;
	bool ok = false;

	buf_init(&flat, LIMIT_HEADER_FIELD);
	buf_init(&out, 2 * LIMIT_HEADER_FIELD);
	for (size_t j = 0; j < f->raw_len; j++) {
		if (f->raw[j] == '\r' || f->raw[j] == '\n')
			continue; /* raw lines end CRLF; folds are CRLF WSP */
		buf_append_byte(&flat, f->raw[j]);
	}
	seg_end = f->value_off;
	while (seg_end < flat.len && !is_wsp(flat.data[seg_end]))
		seg_end++;
	while (seg_start < flat.len) {
		size_t seg_len = seg_end - seg_start;
		bool has_text = false;

		for (size_t j = seg_start; j < seg_end && !has_text; j++)
			has_text = !is_wsp(flat.data[j]);
		if (line_len > 0 && has_text && seg_start > 0 &&
		    line_len + seg_len > LINE_GOAL) {
			if (!buf_append(&out, "\r\n", 2))
				goto full;
			line_len = 0;
		}
		if (line_len + seg_len > LINE_MAX_OCTETS) {
			char name[64];
			size_t n = f->name_len < sizeof(name) - 1
					   ? f->name_len
					   : sizeof(name) - 1;
			memcpy(name, f->raw, n);
			name[n] = '\0';
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"header field %s has more than %d octets "
				"without a blank to fold at", name,
				LINE_MAX_OCTETS);
			goto out;
		}
		if (!buf_append(&out, flat.data + seg_start, seg_len))
			goto full;
		line_len += seg_len;
		seg_start = seg_end;
		seg_end = seg_start + 1;
		while (seg_end < flat.len && !is_wsp(flat.data[seg_end]))
			seg_end++;
		if (seg_end > flat.len)
			seg_end = flat.len;
	}
	if (!buf_append(&out, "\r\n", 2))
		goto full;
	ok = msg_headers_replace(h, i, out.data, out.len, err);
	goto out;
full:
	err_set(err, EX_DATAERR, ERR_PERMANENT, "header field too long");
out:
	buf_clear(&flat);
	buf_clear(&out);
	return ok;
}

bool
msg_repair_apply(struct msg_headers *h, const struct msg_repair *r,
		 struct mf_error *err)
{
	bool dkim;

	if (r->remove_bcc)
		msg_repair_remove_bcc(h);
	if (r->undisclosed && !repair_undisclosed(h, err))
		return false;
	/* A message whose only recipients were Bcc has no To or Cc left;
	 * some servers refuse that (set_to_header auto). */
	if (r->add_to && !has_field(h, "To") &&
	    !has_field(h, "Cc") &&
	    !add_field(h, "To", "undisclosed-recipients:;", err))
		return false;
	if (!repair_from(h, r, err))
		return false;
	if (r->date == MSG_ADD_AUTO && r->date_value &&
	    !has_field(h, "Date") && !add_field(h, "Date", r->date_value, err))
		return false;
	if (r->message_id == MSG_ADD_AUTO && r->message_id_value &&
	    !has_field(h, "Message-ID") &&
	    !add_field(h, "Message-ID", r->message_id_value, err))
		return false;
	dkim = has_field(h, "DKIM-Signature");
	for (size_t i = 0; i < h->count; i++) {
		if (h->fields[i].removed)
			continue;
		if (r->encode && !dkim && !encode_field(h, i, err))
			return false;
		if (longest_line(&h->fields[i]) > LINE_MAX_OCTETS &&
		    !refold_field(h, i, err))
			return false;
	}
	return true;
}

static const char *const day_names[] = { "Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat" };
static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr",
					   "May", "Jun", "Jul", "Aug",
					   "Sep", "Oct", "Nov", "Dec" };

void
msg_format_date(const struct tm *local, long gmtoff, char *out, size_t size)
{
	long off = gmtoff < 0 ? -gmtoff : gmtoff;
	int wday = local->tm_wday >= 0 && local->tm_wday < 7 ? local->tm_wday
							      : 0;
	int mon = local->tm_mon >= 0 && local->tm_mon < 12 ? local->tm_mon : 0;

	/* English names whatever the locale (RFC 5322 3.3). */
	snprintf(out, size, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
		 day_names[wday], local->tm_mday, month_names[mon],
		 local->tm_year + 1900, local->tm_hour, local->tm_min,
		 local->tm_sec, gmtoff < 0 ? '-' : '+', off / 3600,
		 (off % 3600) / 60);
}

void
msg_format_message_id(const struct tm *utc, long pid,
		      const unsigned char random[8], const char *domain,
		      char *out, size_t size)
{
	snprintf(out, size,
		 "<%04d%02d%02d%02d%02d%02d.%ld.%02x%02x%02x%02x%02x%02x%02x%02x"
		 "@%s>",
		 utc->tm_year + 1900, utc->tm_mon + 1, utc->tm_mday,
		 utc->tm_hour, utc->tm_min, utc->tm_sec, pid, random[0],
		 random[1], random[2], random[3], random[4], random[5],
		 random[6], random[7], domain);
}
