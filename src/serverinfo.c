/* serverinfo.c: -S, --serverinfo. The account is set up as for sending,
 * deliver_probe() meets the server as a delivery would (RFC 5321 greeting
 * and EHLO, RFC 3207 STARTTLS or implicit TLS, the certificate checked as
 * configured) and stops before AUTH; this file only prints what it saw.
 * Server text reaches here checked by the reply parser (printable, TAB
 * allowed) and certificate text with control bytes replaced (tls/tls.h). */
#include "config.h"

#include "serverinfo.h"

#include "account.h"
#include "cli/options.h"
#include "config/config.h"
#include "deliver/deliver.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* "Label: first line", the next lines indented under it. */
static void
print_lines(FILE *out, const char *label, const char *text)
{
	size_t indent = strlen(label) + 2;

	fprintf(out, "%s: ", label);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (p != text)
			fprintf(out, "%*s", (int)indent, "");
		fprintf(out, "%.*s\n", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	if (*text == '\0')
		fputc('\n', out);
}

/* The server's name: the first word of the EHLO reply (RFC 5321 4.1.1.1:
 * "250-domain [greeting]"). */
static void
print_name(FILE *out, const char *ehlo)
{
	size_t n = strcspn(ehlo, " \t\n");

	fprintf(out, "Name: %.*s\n", (int)n, n ? ehlo : "(none given)");
}

static void
print_size(FILE *out, unsigned long long max)
{
	if (max == 0) {
		fprintf(out, "  SIZE (no limit given)\n");
		return;
	}
	fprintf(out, "  SIZE %llu (maximum message size ", max);
	if (max >= 1024 * 1024)
		fprintf(out, "%.1f MiB)\n", (double)max / (1024.0 * 1024.0));
	else
		fprintf(out, "%.1f KiB)\n", (double)max / 1024.0);
}

static void
print_caps(FILE *out, const struct deliver_server_info *info)
{
	const struct smtp_caps *c = &info->caps;

	if (!c->esmtp) {
		fprintf(out, "Capabilities: none (the server refused EHLO; "
			     "HELO was used)\n");
		return;
	}
	fprintf(out, "Capabilities:\n");
	if (c->size)
		print_size(out, c->size_max);
	if (c->pipelining)
		fprintf(out, "  PIPELINING\n");
	if (c->eightbitmime)
		fprintf(out, "  8BITMIME\n");
	if (c->smtputf8)
		fprintf(out, "  SMTPUTF8\n");
	if (c->dsn)
		fprintf(out, "  DSN\n");
	if (c->starttls)
		fprintf(out, "  STARTTLS\n");
	if (c->chunking)
		fprintf(out, "  CHUNKING\n");
	if (c->enhancedstatuscodes)
		fprintf(out, "  ENHANCEDSTATUSCODES\n");
	if (c->auth[0])
		fprintf(out, "  AUTH %s\n", c->auth);
}

static void
print_tls(FILE *out, const struct cfg_account *acct,
	  const struct deliver_server_info *info)
{
	const struct tls_session_info *t = &info->tls_info;

	if (!info->tls) {
		fprintf(out, "TLS: not used (tls off)%s\n",
			info->caps.starttls && !acct->tls
				? "; the server offers STARTTLS"
				: "");
		return;
	}
	fprintf(out, "TLS: %s, %s%s%s (%s)\n", t->protocol, t->cipher,
		t->kx[0] ? ", key exchange " : "", t->kx,
		info->starttls ? "STARTTLS" : "implicit TLS");
	if (t->desc[0])
		fprintf(out, "  Session: %s\n", t->desc);
	fprintf(out, "  Channel binding: %s\n",
		info->cb_type ? info->cb_type : "none");
	if (!t->have_cert) {
		fprintf(out, "Certificate: none sent\n");
		return;
	}
	fprintf(out, "Certificate: %s\n", t->checked);
	fprintf(out, "  Subject: %s\n", t->subject);
	fprintf(out, "  Issuer: %s\n", t->issuer);
	if (t->names[0])
		fprintf(out, "  Names: %s\n", t->names);
	fprintf(out, "  Valid from: %s\n", t->not_before);
	fprintf(out, "  Valid until: %s\n", t->not_after);
	fprintf(out, "  SHA-256 fingerprint: %s\n", t->sha256);
	fprintf(out, "  SHA-1 fingerprint: %s\n", t->sha1);
	if (t->chain_len > 1)
		fprintf(out, "  Chain: %u certificates sent\n", t->chain_len);
	/* What tls_fingerprint takes, for pinning this certificate. */
	fprintf(out, "  To pin it: tls_fingerprint %s\n", t->sha256);
}

static void
print_auth(FILE *out, const struct cfg_account *acct,
	   const struct deliver_server_info *info)
{
	if (!info->auth)
		fprintf(out, "Authentication: off for this account\n");
	else if (info->auth_mech[0])
		fprintf(out, "Authentication: auth %s would use %s\n",
			acct->auth, info->auth_mech);
	else
		fprintf(out, "Authentication: auth %s would fail: %s\n",
			acct->auth, info->auth_why);
}

bool
serverinfo_run(const struct cli_options *opts, FILE *out,
	       struct mf_error *err)
{
	struct account a;
	struct deliver_server_info info;
	const struct cfg_account *acct;
	bool ok = false;

	memset(&info, 0, sizeof(info));
	if (opts->recipient_count > 0) {
		err_set(err, EX_USAGE, ERR_PERMANENT,
			"--serverinfo sends nothing and takes no recipients");
		return false;
	}
	if (!account_setup(opts, opts->from, &a, err))
		goto out;
	acct = &a.acct;
	if (!deliver_probe(acct, &info, err))
		goto out;
	fprintf(out, "Account: %s\n", acct->name ? acct->name : "(defaults)");
	if (acct->socket)
		fprintf(out, "Server: UNIX socket %s\n", acct->socket);
	else
		fprintf(out, "Server: %s port %u\n", acct->host,
			cfg_account_port(acct));
	print_lines(out, "Greeting", info.greeting);
	print_name(out, info.ehlo);
	if (info.lmtp)
		fprintf(out, "Protocol: LMTP (LHLO)\n");
	print_tls(out, acct, &info);
	print_caps(out, &info);
	print_auth(out, acct, &info);
	ok = true;
out:
	deliver_server_info_clear(&info);
	account_clear(&a);
	return ok;
}
