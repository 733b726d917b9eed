/* message/longlines.h: keep body lines within RFC 5321's 1000-octet line
 * limit (998 + CRLF) without changing the content a reader sees.
 *
 * Two passes over the normalised body (CRLF lines), both streaming with
 * bounded memory: during intake a scanner notes which MIME leaf parts
 * (or the whole body of a non-MIME message) have a line over 998 octets;
 * at send time, when any did, a rewriter re-encodes exactly those parts:
 * text (7bit/8bit/binary/absent transfer encoding) as quoted-printable
 * (RFC 2045 6.7) with the part's Content-Transfer-Encoding header
 * replaced or added, and base64 parts re-wrapped to 76 columns. Parts
 * without long lines are passed through byte for byte. Multipart
 * boundaries (RFC 2046 5.1, nested, up to a fixed depth) are followed.
 * Pure: no I/O. */
#ifndef MF_MESSAGE_LONGLINES_H
#define MF_MESSAGE_LONGLINES_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;
struct msg_headers;
struct msg_longlines; /* opaque */

/* Longest line allowed on the wire, without CRLF (RFC 5321 4.5.3.1.6). */
#define MSG_LINE_MAX 998

/* Start a scan for a message with these top-level headers (borrowed for
 * the scan's lifetime: Content-Type, Content-Transfer-Encoding and
 * MIME-Version are read from them). */
struct msg_longlines *msg_longlines_new(const struct msg_headers *h);
void msg_longlines_free(struct msg_longlines *ll);

/* Pass 1: feed the body (CRLF lines, any chunking). */
void msg_longlines_scan(struct msg_longlines *ll, const char *p, size_t len);
/* End of pass 1. True when some part must be rewritten. */
bool msg_longlines_scan_done(struct msg_longlines *ll);

/* Before pass 2, for a message whose top level is rewritten (non-MIME or
 * single-part): update h (the same headers, now writable): set
 * Content-Transfer-Encoding: quoted-printable (replacing the old field),
 * add MIME-Version: 1.0 and a Content-Type (text/plain; charset=UTF-8 or
 * unknown-8bit per the body's bytes) when missing. No change otherwise. */
bool msg_longlines_fix_headers(struct msg_longlines *ll,
			       struct msg_headers *h, struct mf_error *err);

/* Receives rewritten body bytes. */
typedef bool (*msg_longlines_out_fn)(void *ctx, const char *p, size_t len,
				     struct mf_error *err);

/* Pass 2: feed the same body again; the rewritten body goes to out.
 * Call msg_longlines_rewrite_end() after the last byte. Errors: whatever
 * out sets; EX_SOFTWARE when pass 2 sees a different body than pass 1. */
bool msg_longlines_rewrite(struct msg_longlines *ll, const char *p,
			   size_t len, msg_longlines_out_fn out, void *ctx,
			   struct mf_error *err);
bool msg_longlines_rewrite_end(struct msg_longlines *ll,
			       msg_longlines_out_fn out, void *ctx,
			       struct mf_error *err);

/* Make the next msg_longlines_rewrite() start pass 2 from the beginning,
 * whether the last pass 2 finished, failed half-way (a dropped
 * connection) or never started: the body can be produced again (for the
 * queue after a failed delivery). Only after msg_longlines_scan_done(). */
void msg_longlines_rewrite_restart(struct msg_longlines *ll);

#endif
