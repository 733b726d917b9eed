/* message/dsn.h: RFC 3464 delivery status notifications ("bounces"). */
#ifndef MF_MESSAGE_DSN_H
#define MF_MESSAGE_DSN_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct mf_error;

struct msg_dsn_rcpt {
	const char *addr;      /* the failed recipient */
	const char *diagnostic; /* what the server or mailferry said */
	bool expired;          /* gave up after the queue lifetime */
};

struct msg_dsn {
	const char *reporting_host; /* our host name (Reporting-MTA) */
	const char *sender;         /* the original envelope sender: To */
	const char *date;           /* msg_format_date() text */
	const char *message_id;     /* for the notice itself */
	const char *boundary;       /* unique, [0-9A-Za-z.=-] */
	long long arrival;          /* when the message was queued */
	const struct msg_dsn_rcpt *rcpts;
	size_t rcpt_count;
	const char *original_headers; /* header block of the message */
	size_t original_headers_len;
};

/* The status code for a recipient: 4.4.7 when it expired; else the
 * RFC 3463 code found after a reply code in the diagnostic ("550 5.1.1
 * ..." -> "5.1.1"), else 5.0.0. out has room for 16 bytes. */
void msg_dsn_status(const struct msg_dsn_rcpt *r, char out[16]);

/* Append the whole notice (header block and multipart/report body, CRLF
 * lines, 7-bit) to out: a text part saying what failed and why, a
 * message/delivery-status part (RFC 3464 2.2, 2.3), and the original
 * header block as text/rfc822-headers. Errors: EX_DATAERR (out's
 * ceiling). Pure. */
bool msg_dsn_build(const struct msg_dsn *d, struct buf *out,
		   struct mf_error *err);

#endif
