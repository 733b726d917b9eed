/* message/reader.h: incremental reader for a message as a program writes
 * it to sendmail. Push bytes in as they arrive; header fields are
 * collected (bounded), body bytes are normalised and handed to a callback
 * as they come, so memory does not grow with the body.
 *
 * Rules (doc/mailferry.1, "Input"):
 *  - Line endings: LF, CRLF and CR+LF all become CRLF (a run of CRs
 *    before LF is one line end, so "CR CR LF" is never sent). A CR not
 *    followed by LF is a line break of its own, each one: old Mac
 *    CR-only text keeps its lines and its empty lines.
 *  - A NUL byte anywhere is refused (EX_DATAERR): it cannot be sent
 *    intact over SMTP and dropping it would change the message silently.
 *  - A leading mbox "From " line is dropped.
 *  - The header block ends at the first empty line. If a line is neither
 *    a header field nor a continuation, the header block ends there and
 *    that line starts the body (an empty line is inserted, as Postfix
 *    does); input with no header at all is all body.
 *  - Without -i, a line holding a single "." ends the input (sendmail).
 *  - A body that does not end with a line break gets one.
 * Pure: no I/O. */
#ifndef MF_MESSAGE_READER_H
#define MF_MESSAGE_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct mf_error;
struct msg_headers;

/* Receives normalised body bytes. Returns false with err set to stop. */
typedef bool (*msg_body_fn)(void *ctx, const char *p, size_t len,
			    struct mf_error *err);

enum msg_reader_state {
	MSG_READ_FIRST_LINE, /* nothing seen yet: mbox "From " possible */
	MSG_READ_HEADERS,
	MSG_READ_BODY,
	MSG_READ_DONE,       /* a lone "." ended the input */
};

struct msg_reader {
	enum msg_reader_state state;
	bool dot_ends;          /* no -i: a lone "." ends the input and
				 * a leading ".." in the body becomes "." */
	unsigned pending_cr;    /* CRs waiting to see if LF follows */
	bool line_start;        /* body: at the start of a line */
	bool dot_held;          /* body: a "." at line start is held */
	bool eight_bit;         /* a byte >= 0x80 was seen */
	unsigned long long line_no;
	struct buf line;        /* header phase: the current line */
	struct buf field;       /* header phase: the current (folded) field */
	struct buf out;         /* body: bytes waiting for the callback */
	struct msg_headers *headers; /* borrowed: where fields go */
	msg_body_fn body_fn;
	void *body_ctx;
};

/* headers (borrowed, initialised by the caller) receives the fields. */
void msg_reader_init(struct msg_reader *r, struct msg_headers *headers,
		     bool dot_ends, msg_body_fn body_fn, void *body_ctx);
void msg_reader_clear(struct msg_reader *r);

/* Feed len bytes. After a lone "." (state MSG_READ_DONE) the rest is
 * ignored. Errors: EX_DATAERR (NUL, header limits), or whatever the body
 * callback sets. */
bool msg_reader_push(struct msg_reader *r, const char *p, size_t len,
		     struct mf_error *err);

/* End of input: flush what is pending. Same errors as msg_reader_push. */
bool msg_reader_finish(struct msg_reader *r, struct mf_error *err);

/* True once a lone "." has ended the input. */
bool msg_reader_done(const struct msg_reader *r);

#endif
