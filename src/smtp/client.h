/* smtp/client.h: the SMTP client engine (RFC 5321) over a struct stream,
 * and its LMTP variant (RFC 2033).
 *
 * One function per protocol step; each sends its command(s), reads and
 * checks the reply, and moves the session's state, whose name -v prints
 * ("EHLO -> STARTTLS"). The engine never touches sockets or GnuTLS: when
 * STARTTLS is accepted it returns and the owner (deliver/) swaps the
 * stream with smtp_session_set_stream().
 *
 * An LMTP session (smtp_session_set_lmtp()) differs in two steps only:
 * smtp_ehlo() sends LHLO, and smtp_data_end() reads one reply per
 * recipient. Everything else (STARTTLS, AUTH, PIPELINING, RSET) is the
 * same dialogue. */
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
	bool lmtp;               /* speak LMTP (RFC 2033): see set_lmtp */
	struct smtp_caps caps;
	struct smtp_reply reply; /* the last reply read */
	struct buf in;           /* bytes read, not yet a whole line */
	struct buf out;          /* bytes to write */
	bool out_secret;         /* out holds an AUTH payload: wipe it */
	bool need_esmtp;         /* STARTTLS or AUTH will be needed: no HELO
				    fallback when EHLO is refused */
	bool refused_locally;    /* smtp_envelope refused before sending
				    anything (SIZE, SMTPUTF8): in step */
	/* CHUNKING (RFC 3030): this transaction's data goes in BDAT chunks
	 * of the raw bytes (no dot-stuffing) instead of DATA. */
	bool no_chunking;        /* never use BDAT (set by the owner) */
	bool bdat;               /* the current transaction uses BDAT */
	struct buf chunk;        /* the chunk being filled */
	unsigned bdat_pending;   /* BDAT replies not read yet */
	bool bdat_failed;        /* a BDAT was refused: send no more */
	struct mf_error bdat_err; /* the first refusal */
	int waiting;             /* enum smtp_stage whose reply is read next,
				    for the message when none comes */
	struct dotstuff dot;
};

/* One recipient's outcome after smtp_envelope() and, for LMTP, after
 * smtp_data_end(). */
struct smtp_rcpt_result {
	int code;          /* the RCPT reply code; LMTP, once the data has
			      ended: the recipient's reply to it (0: none
			      came, the connection failed) */
	bool accepted;     /* LMTP, once the data has ended: the recipient
			      has the message */
	struct mf_error error; /* set when not accepted */
};

void smtp_session_init(struct smtp_session *s, struct stream *stream,
		       bool encrypted);
void smtp_session_clear(struct smtp_session *s);

/* After the TLS handshake: talk through the new stream; capabilities are
 * forgotten until the next EHLO (RFC 3207 4.2). */
void smtp_session_set_stream(struct smtp_session *s, struct stream *stream,
			     bool encrypted);

/* Speak LMTP (RFC 2033) on this session instead of SMTP: LHLO for EHLO,
 * and one reply per recipient after the data. Call before smtp_ehlo(). */
void smtp_session_set_lmtp(struct smtp_session *s, bool lmtp);

/* Read the 220 greeting. Errors: the mapped reply (4xx temporary, 554
 * permanent), EX_PROTOCOL, I/O errors of the stream. */
bool smtp_greeting(struct smtp_session *s, struct mf_error *err);

/* EHLO domain, falling back to HELO when EHLO is refused with 500-504 or
 * 550 (servers that do not know ESMTP). Fills s->caps. An LMTP session
 * sends LHLO instead and has no fallback: an LMTP server must know LHLO
 * (RFC 2033 4.1), so any reply but 250 is an error. Errors: the mapped
 * reply, I/O. */
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

/* The RFC 3461 requests of one message; a NULL field is not sent. */
struct smtp_dsn {
	const char *notify; /* "NEVER", or a list of SUCCESS, DELAY, FAILURE */
	const char *ret;    /* "FULL" or "HDRS" */
	const char *envid;  /* the envelope id as given (sent as xtext) */
};

/* MAIL FROM, every RCPT TO, then DATA, pipelined when the server offers
 * PIPELINING (RFC 2920). body_8bit adds BODY=8BITMIME when offered; size
 * (an estimate, 0: unknown) is declared with SIZE= when offered (RFC
 * 1870), and a message larger than the server's limit is refused before
 * MAIL is sent (EX_DATAERR, permanent). dsn (NULL: none) adds RET= and
 * ENVID= to MAIL and NOTIFY= with ORCPT= to each RCPT when the server
 * offers DSN (RFC 3461); a server without it gets the message without
 * them, and a warning says so. An address with UTF-8 in it adds SMTPUTF8
 * to MAIL (RFC 6531 3.4); the server must offer SMTPUTF8, else nothing is
 * sent (EX_DATAERR, permanent: the caller converts such addresses first,
 * see address/idna.h).
 * results (count entries) receive each recipient's outcome. Returns true
 * when at least one recipient was accepted and the server is ready for
 * data (354); *accepted counts them. When none was accepted, err is the
 * first recipient's error (or the MAIL/DATA error). */
bool smtp_envelope(struct smtp_session *s, const char *from,
		   char *const *rcpts, size_t count, bool body_8bit,
		   unsigned long long size, const struct smtp_dsn *dsn,
		   struct smtp_rcpt_result *results, size_t *accepted,
		   struct mf_error *err);

/* Message bytes (CRLF lines, any chunking): dot-stuffed and buffered. */
bool smtp_data_write(struct smtp_session *s, const char *p, size_t len,
		     struct mf_error *err);

/* End the data with "." and read the server's verdict on the message.
 *
 * rcpts, results and count are the ones smtp_envelope() was given (all
 * borrowed; results is updated in place for LMTP).
 *
 * SMTP: one reply decides for the whole message. results and *accepted
 * are left as smtp_envelope() set them; true when the server accepted
 * the message. Errors: the mapped reply (4xx temporary, 5xx permanent),
 * I/O.
 *
 * LMTP (RFC 2033 4.2): the server answers once for every recipient that
 * was accepted at RCPT, in RCPT order. All those replies are read, even
 * after a refusal, so the dialogue stays in step. Each recipient that
 * was accepted at RCPT gets its own reply in its result: code, and on a
 * 2xx accepted stays true; otherwise accepted becomes false and error
 * holds the mapped reply with its enhanced status (4xx temporary, 5xx
 * permanent). When the connection fails before every reply has come,
 * the recipients still waiting get that failure (code 0, temporary).
 * *accepted becomes the number of recipients that have the message.
 * Returns true only when every recipient accepted at RCPT has it. On
 * false err is the connection's failure when the dialogue broke (I/O or
 * protocol error, no reply code: the session cannot go on), else the
 * first recipient's refusal; *accepted may still be non-zero, and those
 * recipients must not be sent the message again. */
bool smtp_data_end(struct smtp_session *s, char *const *rcpts,
		   struct smtp_rcpt_result *results, size_t count,
		   size_t *accepted, struct mf_error *err);

/* RSET (RFC 5321 4.1.1.5): abandon any transaction, ready for the next
 * MAIL. Errors: the mapped reply, I/O. */
bool smtp_rset(struct smtp_session *s, struct mf_error *err);

/* QUIT and read the reply; failures are ignored (the message is already
 * accepted or refused by then). */
void smtp_quit(struct smtp_session *s);

#endif
