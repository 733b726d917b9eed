/* smtp/client.h: the SMTP client engine (RFC 5321) over a struct stream.
 *
 * One function per protocol step; each sends its command(s), reads and
 * checks the reply, and moves the session's state, whose name -v prints
 * ("EHLO -> STARTTLS"). The engine never touches sockets or GnuTLS: when
 * STARTTLS is accepted it returns and the owner (deliver/) swaps the
 * stream with smtp_session_set_stream(). */
#ifndef MF_SMTP_CLIENT_H
#define MF_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/dotstuff.h"
#include "smtp/reply.h"
#include "smtp/status.h"
#include "util/buf.h"
#include "util/error.h"

struct sasl_session;
struct stream;

enum smtp_state {
	SMTP_STATE_CONNECTED,
	SMTP_STATE_GREETED,
	SMTP_STATE_EHLO,
	SMTP_STATE_STARTTLS,  /* STARTTLS accepted: the owner must start TLS */
	SMTP_STATE_AUTH,
	SMTP_STATE_MAIL,      /* in a transaction */
	SMTP_STATE_DATA,      /* sending message data */
	SMTP_STATE_DONE,      /* message accepted */
	SMTP_STATE_QUIT,
	SMTP_STATE_COUNT
};

const char *smtp_state_name(enum smtp_state state);

struct smtp_session {
	struct stream *stream;   /* borrowed */
	enum smtp_state state;
	bool encrypted;          /* the stream is TLS */
	struct smtp_caps caps;
	struct smtp_reply reply; /* the last reply read */
	struct buf in;           /* bytes read, not yet a whole line */
	struct buf out;          /* bytes to write */
	struct dotstuff dot;
};

/* One recipient's outcome after smtp_envelope(). */
struct smtp_rcpt_result {
	int code;          /* the RCPT reply code */
	bool accepted;
	struct mf_error error; /* set when not accepted */
};

void smtp_session_init(struct smtp_session *s, struct stream *stream,
		       bool encrypted);
void smtp_session_clear(struct smtp_session *s);

/* After the TLS handshake: talk through the new stream; capabilities are
 * forgotten until the next EHLO (RFC 3207 4.2). */
void smtp_session_set_stream(struct smtp_session *s, struct stream *stream,
			     bool encrypted);

/* Read the 220 greeting. Errors: the mapped reply (4xx temporary, 554
 * permanent), EX_PROTOCOL, I/O errors of the stream. */
bool smtp_greeting(struct smtp_session *s, struct mf_error *err);

/* EHLO domain, falling back to HELO when EHLO is refused with 500-504 or
 * 550 (servers that do not know ESMTP). Fills s->caps. */
bool smtp_ehlo(struct smtp_session *s, const char *domain,
	       struct mf_error *err);

/* STARTTLS (RFC 3207). On success the state is SMTP_STATE_STARTTLS and the
 * owner must start TLS. Bytes the server sent after its 220 reply and
 * before the handshake are refused (response injection, CVE-2011-0411
 * class): EX_PROTOCOL. */
bool smtp_starttls(struct smtp_session *s, struct mf_error *err);

/* True when bytes from the server wait in the input buffer. */
bool smtp_input_pending(const struct smtp_session *s);

/* AUTH (RFC 4954) with a started SASL session. The transcript shows the
 * mechanism, never a payload. Errors: 535 and friends as EX_NOPERM, and
 * EX_NOPERM when a SCRAM server accepts without proving itself. */
bool smtp_auth(struct smtp_session *s, struct sasl_session *sasl,
	       struct mf_error *err);

/* MAIL FROM, every RCPT TO, then DATA, pipelined when the server offers
 * PIPELINING (RFC 2920). body_8bit adds BODY=8BITMIME when offered; size
 * (an estimate, 0: unknown) is declared with SIZE= when offered (RFC
 * 1870), and a message larger than the server's limit is refused before
 * MAIL is sent (EX_DATAERR, permanent).
 * results (count entries) receive each recipient's outcome. Returns true
 * when at least one recipient was accepted and the server is ready for
 * data (354); *accepted counts them. When none was accepted, err is the
 * first recipient's error (or the MAIL/DATA error). */
bool smtp_envelope(struct smtp_session *s, const char *from,
		   char *const *rcpts, size_t count, bool body_8bit,
		   unsigned long long size, struct smtp_rcpt_result *results,
		   size_t *accepted, struct mf_error *err);

/* Message bytes (CRLF lines, any chunking): dot-stuffed and buffered. */
bool smtp_data_write(struct smtp_session *s, const char *p, size_t len,
		     struct mf_error *err);

/* End the data with "." and read the server's verdict on the message. */
bool smtp_data_end(struct smtp_session *s, struct mf_error *err);

/* RSET (RFC 5321 4.1.1.5): abandon any transaction, ready for the next
 * MAIL. Errors: the mapped reply, I/O. */
bool smtp_rset(struct smtp_session *s, struct mf_error *err);

/* QUIT and read the reply; failures are ignored (the message is already
 * accepted or refused by then). */
void smtp_quit(struct smtp_session *s);

#endif
