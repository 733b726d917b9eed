/* message/dsn.h: RFC 3464 delivery status notifications: failure notices
 * ("bounces") and delay warnings. */
#ifndef MF_MESSAGE_DSN_H
#define MF_MESSAGE_DSN_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct mf_error;

struct msg_dsn_rcpt {
	const char *addr;      /* the failed (or delayed) recipient */
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
	bool delayed;               /* a delay warning: every recipient is
				       delayed (Action: delayed), not failed */
	long long retry_until;      /* delay warning: when we give up */
	const struct msg_dsn_rcpt *rcpts;
	size_t rcpt_count;
	const char *original_headers; /* header block of the message */
	size_t original_headers_len;
};

/* The status code for a failed recipient: 4.4.7 when it expired; else
 * the RFC 3463 code found after a reply code in the diagnostic ("550
 * 5.1.1 ..." -> "5.1.1"), else 5.0.0. (In a delay warning a recipient
 * takes only a 4.x.x code from the diagnostic, "451 4.7.1 ..." ->
 * "4.7.1", else 4.0.0.) out has room for 16 bytes. */
void msg_dsn_status(const struct msg_dsn_rcpt *r, char out[16]);

/* Append the whole notice (header block and multipart/report body, CRLF
 * lines, 7-bit) to out: a text part saying what failed and why, a
 * message/delivery-status part (RFC 3464 2.2, 2.3), and the original
 * header block as text/rfc822-headers. With d->delayed it is a delay
 * warning instead: the text says the message is not delivered yet and
 * until when it is retried, and each recipient gets "Action: delayed",
 * a 4.x.x Status and "Will-Retry-Until" (RFC 3464 2.3.3, 2.3.8); the
 * recipients' expired flags are then ignored. Errors: EX_DATAERR (out's
 * ceiling). Pure. */
bool msg_dsn_build(const struct msg_dsn *d, struct buf *out,
		   struct mf_error *err);

#endif
