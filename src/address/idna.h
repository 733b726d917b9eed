/* address/idna.h: one envelope address in the form a given server can
 * take: as it is (ASCII, or UTF-8 for a server that offers SMTPUTF8, RFC
 * 6531), or with its domain converted to A-labels (IDNA2008, RFC 5891,
 * with the UTS #46 mapping) for a server that does not.
 *
 * Pure apart from libidn2: strings in, strings out, no I/O. */
#ifndef MF_ADDRESS_IDNA_H
#define MF_ADDRESS_IDNA_H

#include <stdbool.h>

struct mf_error;

/* What addr_idna_envelope() made of an address. */
enum addr_idna_form {
	ADDR_IDNA_ASCII,  /* ASCII: sent as given */
	ADDR_IDNA_UTF8,   /* non-ASCII, sent as given: needs SMTPUTF8 */
	ADDR_IDNA_ALABEL, /* the domain became A-labels ("xn--..."): ASCII */
};

/* True when the terminated string s has no byte >= 0x80. */
bool addr_is_ascii(const char *s);

/* Prepare the envelope address addr (an addr-spec as addr_list_parse()
 * gives it, or "" for the null sender) for a server; smtputf8 says whether
 * the server offers SMTPUTF8. An ASCII address, and a non-ASCII one when
 * smtputf8 is true, come back unchanged. Otherwise the domain is converted
 * to its A-label form (UTS #46 non-transitional processing with NFC input,
 * and transitional processing when that finds a disallowed character, as
 * UTS #46 allows during the transition from IDNA2003); the local part
 * cannot be converted, so a non-ASCII one is refused.
 * On success *out (owned by the caller) is the address to send and *form
 * says which case it was.
 * Errors: EX_DATAERR, permanent, naming the address: invalid UTF-8; a
 * non-ASCII local part without SMTPUTF8 ("address <x>: non-ASCII local part
 * and the server does not offer SMTPUTF8"); a domain libidn2 refuses
 * ("domain of <x> is not a valid internationalized domain name: why"); an
 * address longer than LIMIT_ADDRESS once converted. EX_OSERR, local, when
 * libidn2 runs out of memory. */
bool addr_idna_envelope(const char *addr, bool smtputf8, char **out,
			enum addr_idna_form *form, struct mf_error *err);

#endif
