/* message/header.h: the header block of a message as a list of fields.
 *
 * Each field is kept byte-for-byte as it arrived (line endings made CRLF),
 * so headers that need no repair are sent unchanged. Pure: no I/O. */
#ifndef MF_MESSAGE_HEADER_H
#define MF_MESSAGE_HEADER_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct mf_error;

struct msg_field {
	char *raw;        /* "Name: value" with folds, every line ends CRLF */
	size_t raw_len;
	size_t name_len;  /* length of the name, without blanks and ':' */
	size_t value_off; /* offset of the first byte after the ':' */
	bool removed;     /* dropped by repair; not sent */
};

struct msg_headers {
	struct msg_field *fields;
	size_t count;
	size_t cap;
	size_t total; /* bytes of all fields, against LIMIT_HEADER_BLOCK */
};

void msg_headers_init(struct msg_headers *h);
void msg_headers_clear(struct msg_headers *h);

/* If line (len bytes, no line ending) starts a header field ("Name:" or
 * the obsolete "Name :"), return the length of the name; else 0. */
size_t msg_field_name_len(const char *line, size_t len);

/* Append a field: raw is the complete field with CRLF line endings
 * (copied). Errors: EX_DATAERR when the header block would exceed
 * LIMIT_HEADER_BLOCK or raw does not start with a field name. */
bool msg_headers_add(struct msg_headers *h, const char *raw, size_t len,
		     struct mf_error *err);

/* Replace field i with raw (a complete field, CRLF line endings; copied),
 * keeping its place. Errors as msg_headers_add. */
bool msg_headers_replace(struct msg_headers *h, size_t i, const char *raw,
			 size_t len, struct mf_error *err);

/* True when field f is named name (ASCII case-insensitive). */
bool msg_field_is(const struct msg_field *f, const char *name);

/* The value of f: the bytes after the colon up to (not including) the
 * final CRLF; folds stay in. Borrowed from f. */
const char *msg_field_value(const struct msg_field *f, size_t *len);

/* Index of the next not-removed field named name at or after index from,
 * or h->count when there is none. */
size_t msg_headers_find(const struct msg_headers *h, const char *name,
			size_t from);

/* Append every field that is not removed, then the empty line that ends
 * the header block, to out. Errors: EX_DATAERR when out's ceiling is hit. */
bool msg_headers_write(const struct msg_headers *h, struct buf *out,
		       struct mf_error *err);

#endif
