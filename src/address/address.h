/* address/address.h: RFC 5322 address lists (section 3.4, with the
 * obsolete forms of 4.4) into the addr-specs the envelope needs.
 *
 * Pure: bytes in, structs out; no I/O, no config. */
#ifndef MF_ADDRESS_ADDRESS_H
#define MF_ADDRESS_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;

/* A list of addr-specs, each a terminated string in SMTP form:
 * local-part "@" domain, where the local part is a dot-atom or, when it
 * needs it, a quoted string ("john doe"@example.org); an unqualified
 * address ("root") has no "@". UTF-8 (RFC 6532) is kept as written, so an
 * address may need SMTPUTF8 or IDNA on the wire (address/idna.h).
 * Comments, display names, group names and routes are dropped. Order is
 * the order in the header. */
struct addr_list {
	char **addrs;
	size_t count;
	size_t cap;
};

void addr_list_init(struct addr_list *list);
void addr_list_clear(struct addr_list *list);
/* Remove every mailbox that equals an earlier one (local parts exactly,
 * domains ignoring ASCII case), keeping the order. O(n log n). */
void addr_list_dedupe(struct addr_list *list);
/* Append a copy of addr (len bytes) to the list. */
void addr_list_add(struct addr_list *list, const char *addr, size_t len);

/* Parse the body of an address header field (To, Cc, Bcc, From, Resent-*:
 * the text after the colon, possibly folded with CRLF or LF + WSP) and
 * append every addr-spec found to list. Empty members, trailing commas and
 * empty groups ("undisclosed-recipients:;") add nothing. The input is
 * counted and may contain NUL (which is an error).
 * Errors: EX_DATAERR, permanent, with a message saying what is wrong and
 * where ("unterminated quoted string", "missing '>'", "invalid UTF-8 in
 * address" ...); on error the addresses found before the bad one stay in
 * list. */
bool addr_list_parse(const char *text, size_t len, struct addr_list *list,
		     struct mf_error *err);

/* One addr-spec found by addr_list_scan(). */
struct addr_span {
	size_t start;     /* offset of its first byte in the text */
	size_t end;       /* offset just past its last byte */
	const char *addr; /* as addr_list_parse() gives it, terminated;
			   * borrowed for the duration of the call */
	size_t addr_len;
	bool has_domain;  /* false for an unqualified name ("root") */
};

/* The parser of addr_list_parse(), for callers that need to know where
 * each addr-spec is in the text (address/qualify.c rewrites bare names in
 * place). found is called once per addr-spec, in order, with the same
 * addresses addr_list_parse() would append; [start, end) covers the
 * addr-spec from its first word to the end of its domain (or local part),
 * including CFWS inside it in the obsolete forms ("john . doe"), but never
 * the CFWS, display name, angle brackets or route around it. found may
 * stop the parse by returning false with err set. ctx is borrowed.
 * Errors: those of addr_list_parse() (LIMIT_RECIPIENTS counts from 0), or
 * what found set. */
bool addr_list_scan(const char *text, size_t len,
		    bool (*found)(void *ctx, const struct addr_span *span,
				  struct mf_error *err),
		    void *ctx, struct mf_error *err);

/* Check one envelope address given on the command line or in the config
 * (-f, recipients): an addr-spec, optionally in <angle brackets>, with
 * no CR, LF, NUL or other control character, and valid UTF-8. On
 * success *out is the bare addr-spec, owned by the caller. Errors:
 * EX_DATAERR, permanent. "<>" (the null sender) yields "". */
bool addr_parse_mailbox(const char *text, char **out, struct mf_error *err);

#endif
