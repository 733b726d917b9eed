/* message/header.c: header fields (RFC 5322 2.2, 3.6; obsolete field
 * syntax of 4.5: blanks allowed between the name and the colon). */
#include "config.h"

#include "message/header.h"

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

void
msg_headers_init(struct msg_headers *h)
{
	h->fields = NULL;
	h->count = 0;
	h->cap = 0;
	h->total = 0;
}

void
msg_headers_clear(struct msg_headers *h)
{
	for (size_t i = 0; i < h->count; i++)
		free(h->fields[i].raw);
	free(h->fields);
	msg_headers_init(h);
}

size_t
msg_field_name_len(const char *line, size_t len)
{
	size_t i = 0, name_len;

	/* ftext: printable US-ASCII except ':' (RFC 5322 3.6.8). */
	while (i < len && line[i] >= 33 && line[i] <= 126 && line[i] != ':')
		i++;
	name_len = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (name_len == 0 || i >= len || line[i] != ':')
		return 0;
	return name_len;
}

bool
msg_headers_add(struct msg_headers *h, const char *raw, size_t len,
		struct mf_error *err)
{
	struct msg_field *f;
	size_t name_len = msg_field_name_len(raw, len);

	if (name_len == 0) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"not a header field");
		return false;
	}
	if (len > LIMIT_HEADER_BLOCK - h->total) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"header block larger than %u bytes",
			(unsigned)LIMIT_HEADER_BLOCK);
		return false;
	}
	if (h->count == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->fields = xreallocarray(h->fields, h->cap, sizeof(*f));
	}
	f = &h->fields[h->count++];
	f->raw = xmemdup0(raw, len);
	f->raw_len = len;
	f->name_len = name_len;
	f->value_off = name_len;
	while (f->raw[f->value_off] != ':')
		f->value_off++;
	f->value_off++;
	f->removed = false;
	h->total += len;
	return true;
}

bool
msg_headers_replace(struct msg_headers *h, size_t i, const char *raw,
		    size_t len, struct mf_error *err)
{
	struct msg_field *f = &h->fields[i];
	size_t name_len = msg_field_name_len(raw, len);

	if (name_len == 0) {
		err_set(err, EX_DATAERR, ERR_PERMANENT, "not a header field");
		return false;
	}
	if (len > f->raw_len && len - f->raw_len > LIMIT_HEADER_BLOCK - h->total) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"header block larger than %u bytes",
			(unsigned)LIMIT_HEADER_BLOCK);
		return false;
	}
	h->total = h->total - f->raw_len + len;
	free(f->raw);
	f->raw = xmemdup0(raw, len);
	f->raw_len = len;
	f->name_len = name_len;
	f->value_off = name_len;
	while (f->raw[f->value_off] != ':')
		f->value_off++;
	f->value_off++;
	return true;
}

bool
msg_field_is(const struct msg_field *f, const char *name)
{
	size_t n = strlen(name);

	return n == f->name_len && strncasecmp(f->raw, name, n) == 0;
}

const char *
msg_field_value(const struct msg_field *f, size_t *len)
{
	size_t end = f->raw_len;

	if (end >= f->value_off + 2 && f->raw[end - 2] == '\r' &&
	    f->raw[end - 1] == '\n')
		end -= 2;
	*len = end - f->value_off;
	return f->raw + f->value_off;
}

size_t
msg_headers_find(const struct msg_headers *h, const char *name, size_t from)
{
	for (size_t i = from; i < h->count; i++)
		if (!h->fields[i].removed && msg_field_is(&h->fields[i], name))
			return i;
	return h->count;
}

bool
msg_headers_write(const struct msg_headers *h, struct buf *out,
		  struct mf_error *err)
{
	for (size_t i = 0; i < h->count; i++) {
		if (h->fields[i].removed)
			continue;
		if (!buf_append(out, h->fields[i].raw, h->fields[i].raw_len))
			goto full;
	}
	if (!buf_append(out, "\r\n", 2))
		goto full;
	return true;
full:
	err_set(err, EX_DATAERR, ERR_PERMANENT, "header block too large");
	return false;
}
