/* address/idna.c: internationalized envelope addresses (RFC 6530-6531)
 * for servers with and without SMTPUTF8.
 *
 * This file owns the decision, for one envelope address and one server,
 * between sending it as written and sending its domain in A-label form.
 * An ASCII address goes as it is. A non-ASCII one goes as it is when the
 * server offers SMTPUTF8 (RFC 6531 3.2, 3.3), and the caller then declares
 * SMTPUTF8 on MAIL (3.4). Without SMTPUTF8 only the domain can be made
 * ASCII (a local part has no ASCII form, RFC 6530): every U-label becomes
 * an A-label through libidn2 (IDNA2008, RFC 5890-5891, with the UTS #46
 * mapping, which folds case and width and normalises to NFC, so
 * "B\u00DCCHER.example" and "b\u00FCcher.example" both become
 * "xn--bcher-kva.example"). Processing is non-transitional
 * ("fa\u00DF.de" stays distinct from "fass.de"); only when that finds a
 * disallowed character is transitional processing tried, as UTS #46 allows
 * for names registered under IDNA2003. A non-ASCII local part, or a
 * domain libidn2 refuses, is a permanent error for that address; the
 * caller decides what it means for the message.
 *
 * The tables (which code points are valid, mapped or disallowed, the
 * Bidi and CONTEXTJ rules, Punycode) are libidn2's, so they follow Unicode
 * releases without changes here.
 */
#include "config.h"

#include "address/idna.h"


#include "util/alloc.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/limits.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

bool
addr_is_ascii(const char *s)
{
	return !bytes_any_high(s, strlen(s));
}

/* Addresses are named in messages with at most this many bytes, so that
 * the reason still fits once the bytes are escaped (4 per non-ASCII). */
#define SHOWN_MAX 80

/* How much of addr a message shows (with "..." when cut). */
static int
shown_len(const char *addr)
{
	size_t n = strlen(addr);

	return (int)(n > SHOWN_MAX ? SHOWN_MAX : n);
}

static const char *
shown_more(const char *addr)
{
	return strlen(addr) > SHOWN_MAX ? "..." : "";
}

/* The length of the local part at the start of addr: a quoted string
 * (with quoted pairs) or a dot-atom up to the "@" (which a dot-atom never
 * holds). */
static size_t
local_part_len(const char *addr)
{
	size_t i = 0;

	if (addr[0] != '"')
		return strcspn(addr, "@");
	for (i = 1; addr[i] != '\0' && addr[i] != '"'; i++)
		if (addr[i] == '\\' && addr[i + 1] != '\0')
			i++;
	return addr[i] == '"' ? i + 1 : i;
}

/* libidn2's ToASCII for a whole domain name (several labels): *ace is
 * owned by the caller (idn2_free). Returns libidn2's code. */
static int
domain_to_ascii(const char *domain, char **ace)
{
	int rc;

	*ace = NULL;
	rc = idn2_to_ascii_8z(domain, ace, IDN2_NFC_INPUT |
					       IDN2_NONTRANSITIONAL);
	if (rc == IDN2_DISALLOWED) {
		char *alt = NULL;
		if (idn2_to_ascii_8z(domain, &alt, IDN2_NFC_INPUT |
						       IDN2_TRANSITIONAL) ==
		    IDN2_OK) {
			*ace = alt;
			return IDN2_OK;
		}
		idn2_free(alt);
	}
	return rc;
}

bool
addr_idna_envelope(const char *addr, bool smtputf8, char **out,
		   enum addr_idna_form *form, struct mf_error *err)
{
	const char *domain;
	size_t local_len;
	char *ace = NULL;
	struct buf res;
	bool ok = false;
	int rc;

	*out = NULL;
	if (!bytes_utf8_valid(addr, strlen(addr))) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"address <%.*s%s>: not valid UTF-8", shown_len(addr),
			addr, shown_more(addr));
		return false;
	}
	if (addr_is_ascii(addr) || smtputf8) {
		*form = addr_is_ascii(addr) ? ADDR_IDNA_ASCII : ADDR_IDNA_UTF8;
		*out = xstrdup(addr);
		return true;
	}
	local_len = local_part_len(addr);
	/* No domain (an unqualified name): the non-ASCII bytes are local. */
	if (bytes_any_high(addr, local_len) || addr[local_len] != '@') {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"address <%.*s%s>: non-ASCII local part and the "
			"server does not offer SMTPUTF8", shown_len(addr), addr,
			shown_more(addr));
		return false;
	}
	/* Only the domain is left to hold the non-ASCII bytes. */
	domain = addr + local_len + 1;
	if (domain[0] == '[') {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"domain of <%.*s%s> is not a valid internationalized "
			"domain name: non-ASCII address literal",
			shown_len(addr), addr, shown_more(addr));
		return false;
	}
	buf_init(&res, LIMIT_ADDRESS);
	rc = domain_to_ascii(domain, &ace);
	if (rc == IDN2_MALLOC) {
		err_set(err, EX_OSERR, ERR_LOCAL, "out of memory");
		goto out;
	}
	if (rc != IDN2_OK) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"domain of <%.*s%s> is not a valid internationalized "
			"domain name: %s", shown_len(addr), addr,
			shown_more(addr), idn2_strerror(rc));
		goto out;
	}
	if (!buf_append(&res, addr, local_len + 1) ||
	    !buf_append_str(&res, ace)) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"address <%.*s%s>: longer than %u bytes in ASCII form",
			shown_len(addr), addr, shown_more(addr),
			(unsigned)LIMIT_ADDRESS);
		goto out;
	}
	*out = xmemdup0(res.data, res.len);
	*form = ADDR_IDNA_ALABEL;
	ok = true;
out:
	idn2_free(ace);
	buf_clear(&res);
	return ok;
}
