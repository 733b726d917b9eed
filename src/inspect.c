/* inspect.c: --pretend, -bv and --version. */
#include "config.h"

#include "inspect.h"
#include "privilege.h"

#include "account.h"
#include "address/address.h"
#include "address/aliases.h"
#include "cli/options.h"
#include "config/config.h"
#include "util/buf.h"
#include "util/error.h"

#include <gnutls/gnutls.h>
#include <gsasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

bool
inspect_pretend(const struct cli_options *opts, FILE *out,
		struct mf_error *err)
{
	struct account a;
	struct buf text;
	bool ok;

	buf_init(&text, 1u << 20);
	ok = account_setup(opts, opts->from, &a, err);
	if (ok) {
		cfg_account_describe(&a.acct, &text);
		fputs(buf_cstr(&text), out);
		if (a.sender)
			fprintf(out, "# envelope sender = %s\n", a.sender);
	}
	buf_clear(&text);
	account_clear(&a);
	return ok;
}

bool
inspect_verify(const struct cli_options *opts, FILE *out,
	       struct mf_error *err)
{
	struct account a;
	bool ok = false;

	if (opts->recipient_count == 0) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"-bv needs recipients on the command line");
		return false;
	}
	if (!account_setup(opts, opts->from, &a, err))
		goto out;
	ok = true;
	for (size_t i = 0; i < opts->recipient_count; i++) {
		struct addr_list list;
		struct mf_error aerr;
		const char *arg = opts->recipients[i];

		addr_list_init(&list);
		if (!addr_list_parse(arg, strlen(arg), &list, &aerr) ||
		    !account_recipients(&a, &list, &aerr)) {
			fprintf(out, "%s... %s\n", arg, aerr.msg);
			if (ok)
				*err = aerr;
			ok = false;
		} else {
			for (size_t k = 0; k < list.count; k++)
				fprintf(out, "%s... deliverable: account %s, "
					"server %s port %u\n", list.addrs[k],
					a.acct.name ? a.acct.name
						    : "(defaults)",
					a.acct.socket ? a.acct.socket
						      : a.acct.host,
					cfg_account_port(&a.acct));
		}
		addr_list_clear(&list);
	}
out:
	account_clear(&a);
	return ok;
}

bool
inspect_aliases(const struct cli_options *opts, FILE *out,
		struct mf_error *err)
{
	struct account a;
	struct cfg probe;
	bool ok, none = false;

	/* Package scripts run newaliases after installing: with no
	 * configuration at all there is simply nothing to check. */
	cfg_init(&probe);
	if (opts->host == NULL &&
	    !cfg_load_default(opts->config_file, &probe, &none, err) && none) {
		cfg_clear(&probe);
		err_clear(err);
		fprintf(out, "mailferry: no configuration; no aliases to "
			     "check\n");
		return true;
	}
	cfg_clear(&probe);
	ok = account_setup(opts, opts->from, &a, err);
	if (ok && a.aliases == NULL)
		fprintf(out, "mailferry: account %s has no aliases file; "
			     "nothing to check\n",
			a.acct.name ? a.acct.name : "(defaults)");
	else if (ok)
		fprintf(out, "%s: %zu aliases\n", a.acct.aliases,
			aliases_count(a.aliases));
	account_clear(&a);
	return ok;
}

void
inspect_version(FILE *out)
{
	fprintf(out, "mailferry %s\n", PACKAGE_VERSION);
	fprintf(out, "TLS library: GnuTLS %s\n", gnutls_check_version(NULL));
	fprintf(out, "SASL library: GNU SASL %s\n",
		gsasl_check_version(NULL));
	fprintf(out, "Authentication methods: scram-sha-256-plus "
		     "scram-sha-1-plus scram-sha-256 scram-sha-1 plain login "
		     "(auth on); oauthbearer xoauth2 cram-md5 digest-md5 "
		     "external (by name)\n");
	fprintf(out, "Features: STARTTLS, implicit TLS, PIPELINING, SIZE, "
		     "8BITMIME, durable queue, -bs, aliases, eval and "
		     "passwordeval\n");
	fprintf(out, "System configuration file: %s\n", cfg_system_file());
	fprintf(out, "User configuration file: $XDG_CONFIG_HOME/mailferry/"
		     "config, else ~/.mailferryrc (or -C FILE)\n");
	fprintf(out, "Queue: queue_dir, else $XDG_STATE_HOME/mailferry/"
		     "queue\n");
	fprintf(out, "System spool (setgid install): %s\n",
		priv_system_spool());
	fprintf(out, "Copyright (C) 2026 the mailferry developers.\n"
		     "License GPLv3+: GNU GPL version 3 or later "
		     "<https://gnu.org/licenses/gpl.html>.\n");
}
