/* message/envelope.h: who the message goes to and who it is from, as
 * SMTP needs it (RFC 5321 MAIL FROM / RCPT TO). Pure: no I/O. */
#ifndef MF_MESSAGE_ENVELOPE_H
#define MF_MESSAGE_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "address/address.h"

struct mf_error;
struct msg_headers;

/* Build the recipient list: every command-line argument (each may be an
 * address list: "a@x, Name <b@y>"), then with read_headers (-t) every
 * address of every To, Cc and Bcc field. Duplicates are dropped: local
 * parts compare exactly, domains case-insensitively. out must be
 * initialised. When the message has been resent (Resent-To, Resent-Cc or
 * Resent-Bcc present), -t reads the most recent Resent block's fields
 * instead of To, Cc and Bcc (RFC 5322 3.6.6, as sendmail does).
 * Errors: EX_DATAERR (a bad address, naming the field),
 * EX_USAGE ("no recipients"). */
bool msg_envelope_recipients(const struct msg_headers *h, char *const *args,
			     size_t nargs, bool read_headers,
			     struct addr_list *out, struct mf_error *err);

/* The envelope sender: cli_from (-f) when given, else cfg_from, else the
 * first address of the From field. *out is owned by the caller ("" is
 * the null sender). Errors: EX_DATAERR (bad address), EX_USAGE (none). */
bool msg_envelope_sender(const struct msg_headers *h, const char *cli_from,
			 const char *cfg_from, char **out,
			 struct mf_error *err);

#endif
