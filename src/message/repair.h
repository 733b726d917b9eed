/* message/repair.h: header repair before relaying (DESIGN.md step 5).
 * Pure: the caller supplies the clock, the random Message-ID and the
 * addresses; nothing here reads the environment. */
#ifndef MF_MESSAGE_REPAIR_H
#define MF_MESSAGE_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct mf_error;
struct msg_headers;

enum msg_add {
	MSG_ADD_AUTO = 0, /* add when missing */
	MSG_ADD_ALWAYS,   /* replace an existing field (From only) */
	MSG_ADD_NEVER,
};

struct msg_repair {
	bool remove_bcc;         /* Bcc and Resent-Bcc fields */
	enum msg_add date;       /* AUTO or NEVER */
	enum msg_add message_id; /* AUTO or NEVER */
	enum msg_add from;
	bool undisclosed;        /* To/Cc/Bcc -> To: undisclosed-recipients:; */
	bool add_to;             /* "To: undisclosed-recipients:;" when no
				    To or Cc is left (set_to_header auto) */
	bool encode;             /* RFC 2047 for raw 8-bit text */
	const char *date_value;  /* msg_format_date() text */
	const char *message_id_value; /* "<...@...>" */
	const char *from_address;     /* for an added From; NULL/"": none */
	const char *from_name;        /* display name for it, or NULL */
	bool from_to_reply_to;   /* replacing a From: keep it as Reply-To
				    when there is no Reply-To */
};

/* Mark every Bcc and Resent-Bcc field removed (the envelope already
 * holds their addresses). Returns how many were removed. */
size_t msg_repair_remove_bcc(struct msg_headers *h);

/* Apply every repair r asks for, in this order: Bcc removal,
 * undisclosed-recipients, From, Date, Message-ID (added fields go at the
 * end of the header block), RFC 2047 encoding of fields with raw 8-bit
 * text (unless a DKIM-Signature is present: changing signed fields would
 * break it), then folding of any field line over 998 octets at
 * whitespace. Fields that need none of this are left byte for byte.
 * Errors: EX_DATAERR (a header line over 998 octets with no whitespace to
 * fold at; the header block limit). */
bool msg_repair_apply(struct msg_headers *h, const struct msg_repair *r,
		      struct mf_error *err);

/* RFC 5322 3.3 date-time in the local time given: "Mon, 23 Nov 2026
 * 20:52:27 +0900". gmtoff is the zone's offset from UTC in seconds
 * (tm_gmtoff). out gets at most size bytes, terminated. */
void msg_format_date(const struct tm *local, long gmtoff, char *out,
		     size_t size);

/* "<YYYYMMDDhhmmss.PID.HEX@domain>" from the UTC time, the process id and
 * 8 random bytes: unique across processes and hosts. */
void msg_format_message_id(const struct tm *utc, long pid,
			   const unsigned char random[8], const char *domain,
			   char *out, size_t size);

#endif
