/* message/rfc2047.h: RFC 2047 encoded words for header fields that carry
 * raw 8-bit text, and RFC 5322 2.2.3 folding of the result. Pure: no I/O.
 *
 * Charset: text that is valid UTF-8 is labelled UTF-8. Text that is not
 * is labelled UNKNOWN-8BIT (RFC 1428) and its bytes are kept exactly, so
 * nothing is changed or lost; see doc/mailferry.1 "Header repair". */
#ifndef MF_MESSAGE_RFC2047_H
#define MF_MESSAGE_RFC2047_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct mf_error;

/* True when the counted bytes hold a byte >= 0x80. */
bool msg_has_8bit(const char *p, size_t len);

/* Append to out a complete header field "Name: encoded-value\r\n" for an
 * unstructured field (Subject, Comments, Keywords, X-...). value is the
 * raw field body after the colon (it may be folded; folds are unfolded
 * first; the leading blank after the colon is not part of the text).
 * Runs of words holding 8-bit bytes become encoded words (B or Q,
 * whichever is shorter), each at most 75 octets, never splitting a UTF-8
 * character; ASCII words stay as they are; whitespace between two encoded
 * words is carried inside them so decoding gives back the exact text.
 * Lines are folded at whitespace to at most 78 octets, the leading blank
 * of a continuation line included. Text already in encoded-word
 * form is left alone. Errors: EX_DATAERR (out's ceiling). */
bool msg_rfc2047_encode_unstructured(const char *name, const char *value,
				     size_t len, struct buf *out,
				     struct mf_error *err);

/* The same for an address field (From, To, Cc, Reply-To, Sender, ...):
 * only display names (phrases) and comments are encoded; addr-specs,
 * angle brackets, group syntax, commas and quoted strings' structure are
 * kept; a quoted display name with 8-bit text becomes encoded words (its
 * quotes removed, its escapes undone). Folds only between list members or
 * at whitespace. Errors: EX_DATAERR (unparseable field or out's ceiling;
 * the caller then keeps the field as it was). */
bool msg_rfc2047_encode_address(const char *name, const char *value,
				size_t len, struct buf *out,
				struct mf_error *err);

/* Decode a field body: encoded words become their bytes (charset label
 * ignored), whitespace between adjacent encoded words is dropped, folds
 * are unfolded. For tests, the fuzzer and -v. Errors: EX_DATAERR. */
bool msg_rfc2047_decode(const char *value, size_t len, struct buf *out,
			struct mf_error *err);

#endif
