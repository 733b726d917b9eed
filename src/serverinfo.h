/* serverinfo.h: -S, --serverinfo (msmtp's server information mode): what
 * the smarthost of the selected account says about itself, met exactly
 * as a delivery would meet it, without authenticating or sending. */
#ifndef MF_SERVERINFO_H
#define MF_SERVERINFO_H

#include <stdbool.h>
#include <stdio.h>

struct cli_options;
struct mf_error;

/* Select the account as a delivery does (-a, -f against each account's
 * from, the default; --KEYWORD overrides), connect with its TLS settings
 * (never downgraded: a refused certificate stops here), EHLO, and print
 * to out: the greeting and the server's name, the TLS session and the
 * server's certificate (subject, issuer, names, validity, SHA-256 and
 * SHA-1 fingerprints), the capabilities, and the mechanism AUTH would
 * use; then QUIT. No AUTH is sent and no password is read. With
 * tls_certcheck off the certificate is printed unchecked, so that it can
 * be pinned with tls_fingerprint.
 * Errors: EX_USAGE (recipients given), as account_setup, as
 * deliver_probe (EX_TEMPFAIL, temporary, for a refused certificate or an
 * unreachable server). */
bool serverinfo_run(const struct cli_options *opts, FILE *out,
		    struct mf_error *err);

#endif
