/* message/reader.c: the incremental message reader (see reader.h for the
 * rules). Bytes pass through two stages: a line-ending normaliser that
 * turns LF, CRLF, CR+LF and bare CR into one end-of-line event, then the
 * header or body stage. RFC 5322 2.1 (CRLF lines), 2.2 (fields), 3.5
 * (header/body separator). */
#include "config.h"

#include "message/reader.h"

#include "message/header.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/limits.h"

#include <limits.h>
#include <string.h>
#include <sysexits.h>

/* Body bytes are handed on in chunks of this size. */
#define BODY_CHUNK 65536

void
msg_reader_init(struct msg_reader *r, struct msg_headers *headers,
		bool dot_ends, msg_body_fn body_fn, void *body_ctx)
{
	memset(r, 0, sizeof(*r));
	r->state = MSG_READ_FIRST_LINE;
	r->dot_ends = dot_ends;
	r->line_start = true;
	buf_init(&r->line, LIMIT_HEADER_FIELD);
	buf_init(&r->field, LIMIT_HEADER_FIELD);
	buf_init(&r->out, BODY_CHUNK);
	r->headers = headers;
	r->body_fn = body_fn;
	r->body_ctx = body_ctx;
}

void
msg_reader_clear(struct msg_reader *r)
{
	buf_clear(&r->line);
	buf_clear(&r->field);
	buf_clear(&r->out);
}

bool
msg_reader_done(const struct msg_reader *r)
{
	return r->state == MSG_READ_DONE;
}

static bool
body_flush(struct msg_reader *r, struct mf_error *err)
{
	bool ok = true;

	if (r->out.len)
		ok = r->body_fn(r->body_ctx, r->out.data, r->out.len, err);
	buf_reset(&r->out);
	return ok;
}

static bool
body_emit(struct msg_reader *r, const char *p, size_t len,
	  struct mf_error *err)
{
	if (r->out.len + len > BODY_CHUNK && !body_flush(r, err))
		return false;
	if (len > BODY_CHUNK)
		return r->body_fn(r->body_ctx, p, len, err);
	buf_append(&r->out, p, len);
	return true;
}

/* Body stage: one byte (eol false) or an end of line (eol true). */
static bool
body_event(struct msg_reader *r, char c, bool eol, struct mf_error *err)
{
	if (r->dot_held) {
		r->dot_held = false;
		if (eol) {
			r->state = MSG_READ_DONE;
			return true;
		}
		/* ".." at the start of a line is one dot: the caller
		 * escaped it as sendmail 8 expects without -i. */
		if (!body_emit(r, ".", 1, err))
			return false;
		if (c == '.')
			return true;
	} else if (r->line_start && !eol && c == '.' && r->dot_ends) {
		r->dot_held = true;
		r->line_start = false;
		return true;
	}
	if (eol) {
		r->line_start = true;
		return body_emit(r, "\r\n", 2, err);
	}
	r->line_start = false;
	return body_emit(r, &c, 1, err);
}

/* Feed a whole line to the body stage (used when a header-phase line
 * turns out to be the first body line). */
static bool
body_line(struct msg_reader *r, const char *p, size_t len,
	  struct mf_error *err)
{
	for (size_t i = 0; i < len && r->state == MSG_READ_BODY; i++)
		if (!body_event(r, p[i], false, err))
			return false;
	if (r->state != MSG_READ_BODY)
		return true;
	return body_event(r, 0, true, err);
}

static bool
flush_field(struct msg_reader *r, struct mf_error *err)
{
	bool ok = true;

	if (r->field.len) {
		ok = msg_headers_add(r->headers, r->field.data, r->field.len,
				     err);
		if (!ok)
			err_prefix(err, "line %llu: ", r->line_no);
	}
	buf_reset(&r->field);
	return ok;
}

/* Header stage: a complete line (without its line ending). */
static bool
header_line(struct msg_reader *r, struct mf_error *err)
{
	const char *p = r->line.data ? r->line.data : "";
	size_t len = r->line.len;
	bool first = r->state == MSG_READ_FIRST_LINE;

	r->state = MSG_READ_HEADERS;
	/* mbox separator line; "From : x" (obsolete syntax, RFC 5322
	 * 4.5) is a header field and is kept. */
	if (first && len >= 5 && memcmp(p, "From ", 5) == 0 &&
	    msg_field_name_len(p, len) == 0)
		return true;
	if (len == 0) {
		r->state = MSG_READ_BODY;
		return flush_field(r, err);
	}
	if (r->dot_ends && len == 1 && p[0] == '.') {
		if (!flush_field(r, err))
			return false;
		r->state = MSG_READ_DONE;
		return true;
	}
	if ((p[0] == ' ' || p[0] == '\t') && r->field.len) {
		if (!buf_append(&r->field, p, len) ||
		    !buf_append(&r->field, "\r\n", 2))
			goto too_long;
		return true;
	}
	if (msg_field_name_len(p, len) > 0) {
		if (!flush_field(r, err))
			return false;
		if (!buf_append(&r->field, p, len) ||
		    !buf_append(&r->field, "\r\n", 2))
			goto too_long;
		return true;
	}
	/* Not a header: the body starts here, after an inserted blank line. */
	if (!flush_field(r, err))
		return false;
	r->state = MSG_READ_BODY;
	return body_line(r, p, len, err);

too_long:
	err_set(err, EX_DATAERR, ERR_PERMANENT,
		"line %llu: header field longer than %u bytes", r->line_no,
		(unsigned)LIMIT_HEADER_FIELD);
	return false;
}

/* One normalised event to whichever stage is current. */
static bool
dispatch(struct msg_reader *r, char c, bool eol, struct mf_error *err)
{
	if (eol)
		r->line_no++;
	switch (r->state) {
	case MSG_READ_FIRST_LINE:
	case MSG_READ_HEADERS:
		if (!eol) {
			if (!buf_append_byte(&r->line, c)) {
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"line %llu: header line longer than "
					"%u bytes", r->line_no + 1,
					(unsigned)LIMIT_HEADER_FIELD);
				return false;
			}
			return true;
		} else {
			bool ok = header_line(r, err);
			buf_reset(&r->line);
			return ok;
		}
	case MSG_READ_BODY:
		return body_event(r, c, eol, err);
	case MSG_READ_DONE:
		return true;
	}
	return true;
}

/* Length of the prefix of p with no CR, LF or NUL; sets *high when it
 * holds a byte >= 0x80. The body's hot loop: lines are plain text far
 * more often than not. */
static size_t
plain_span(const char *p, size_t len, bool *high)
{
	const char *lf = memchr(p, '\n', len);
	size_t n = lf ? (size_t)(lf - p) : len;
	const char *cr = memchr(p, '\r', n);
	const char *nul;

	if (cr)
		n = (size_t)(cr - p);
	nul = memchr(p, '\0', n);
	if (nul)
		n = (size_t)(nul - p);
	if (!*high && bytes_any_high(p, n))
		*high = true;
	return n;
}

bool
msg_reader_push(struct msg_reader *r, const char *p, size_t len,
		struct mf_error *err)
{
	for (size_t i = 0; i < len && r->state != MSG_READ_DONE; i++) {
		char c = p[i];

		/* Fast path: a run of plain body bytes, then its LF, in a few
		 * calls instead of one event per byte. A "." at a line start
		 * and every CR take the slow path below. */
		if (r->state == MSG_READ_BODY && !r->pending_cr &&
		    !r->dot_held && !(r->line_start && r->dot_ends && c == '.')) {
			size_t n = plain_span(p + i, len - i, &r->eight_bit);
			if (n > 0) {
				if (!body_emit(r, p + i, n, err))
					return false;
				r->line_start = false;
				i += n;
				if (i == len)
					break;
				c = p[i];
			}
			if (c == '\n') {
				r->line_no++;
				r->line_start = true;
				if (!body_emit(r, "\r\n", 2, err))
					return false;
				continue;
			}
		}

		if (r->pending_cr) {
			if (c == '\r') {
				/* CR CR ... LF is one line end; CRs followed
				 * by anything else are one line break each. */
				if (r->pending_cr < UINT_MAX)
					r->pending_cr++;
				continue;
			}
			unsigned breaks = c == '\n' ? 1 : r->pending_cr;
			r->pending_cr = 0;
			for (unsigned k = 0; k < breaks; k++) {
				if (!dispatch(r, 0, true, err))
					return false;
				if (r->state == MSG_READ_DONE)
					break;
			}
			if (c == '\n')
				continue;
			if (r->state == MSG_READ_DONE)
				break;
		}
		if (c == '\r') {
			r->pending_cr = 1;
		} else if (c == '\n') {
			if (!dispatch(r, 0, true, err))
				return false;
		} else if (c == '\0') {
			err_set(err, EX_DATAERR, ERR_PERMANENT,
				"line %llu: message contains a NUL byte",
				r->line_no + 1);
			return false;
		} else {
			if ((unsigned char)c >= 0x80)
				r->eight_bit = true;
			if (!dispatch(r, c, false, err))
				return false;
		}
	}
	return true;
}

bool
msg_reader_finish(struct msg_reader *r, struct mf_error *err)
{
	while (r->pending_cr > 0 && r->state != MSG_READ_DONE) {
		r->pending_cr--;
		if (!dispatch(r, 0, true, err))
			return false;
	}
	r->pending_cr = 0;
	switch (r->state) {
	case MSG_READ_FIRST_LINE:
	case MSG_READ_HEADERS:
		if (r->line.len) {
			if (!dispatch(r, 0, true, err))
				return false;
		}
		if (r->state != MSG_READ_DONE && !flush_field(r, err))
			return false;
		break;
	case MSG_READ_BODY:
		/* A held "." followed by the end of input is a lone "." on
		 * the last line, as in the header phase (and Postfix). */
		if (r->dot_held) {
			r->dot_held = false;
			r->state = MSG_READ_DONE;
			break;
		}
		if (!r->line_start && !body_event(r, 0, true, err))
			return false;
		break;
	case MSG_READ_DONE:
		break;
	}
	return body_flush(r, err);
}
