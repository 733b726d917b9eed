/* account.c: from configuration files and command line to the one
 * account a message is sent with. */
#include "config.h"

#include "account.h"

#include "cli/options.h"
#include "address/address.h"
#include "config/config.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/alloc.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

/* -N and -R in sendmail's spelling into msmtp's keywords. */
static bool
apply_dsn_flags(const struct cli_options *opts, struct account *a,
		struct mf_error *err)
{
	if (opts->dsn_notify) {
		char v[64];
		size_t n = strlen(opts->dsn_notify);
		if (n >= sizeof(v)) {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"option -N: '%.40s' is too long",
				opts->dsn_notify);
			return false;
		}
		for (size_t i = 0; i <= n; i++) {
			char c = opts->dsn_notify[i];
			v[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		if (!cfg_set(&a->cfg, &a->acct, "dsn_notify", v, err)) {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"option -N: '%.40s' is not never or a list "
				"of success, delay and failure",
				opts->dsn_notify);
			return false;
		}
	}
	if (opts->dsn_return) {
		const char *r = opts->dsn_return;
		const char *v = strcasecmp(r, "hdrs") == 0 ||
					strcasecmp(r, "headers") == 0
				? "headers"
				: strcasecmp(r, "full") == 0 ? "full" : NULL;
		if (v == NULL) {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"option -R: '%.40s' is not hdrs or full", r);
			return false;
		}
		if (!cfg_set(&a->cfg, &a->acct, "dsn_return", v, err))
			return false;
	}
	return true;
}

/* from and domain may use %U %H %C %M. */
static void
substitute(struct account *a)
{
	const char *domain = a->acct.domain;

	if ((domain && strstr(domain, "%C")) ||
	    (a->acct.from && strstr(a->acct.from, "%C")))
		cfg_facts_gather(&a->facts, true);
	if (domain && strchr(domain, '%')) {
		char *d = cfg_expand(domain, &a->facts);
		free(a->acct.domain);
		a->acct.domain = d;
	}
	a->sender = cfg_account_sender(&a->acct, &a->facts);
}

bool
account_setup(const struct cli_options *opts, const char *sender_hint,
	      struct account *a, struct mf_error *err)
{
	const struct cfg_account *chosen;

	memset(a, 0, sizeof(*a));
	cfg_init(&a->cfg);
	cfg_account_init(&a->acct);
	cfg_facts_gather(&a->facts, false);
	if (opts->host) {
		a->cfg.file = xstrdup("(command line)");
		if (opts->account) {
			err_set(err, EX_USAGE, ERR_PERMANENT,
				"options --host and -a cannot be used "
				"together");
			return false;
		}
		if (!cfg_set(&a->cfg, &a->cfg.defaults, "host", opts->host,
			     err))
			return false;
		chosen = &a->cfg.defaults;
	} else {
		if (!cfg_load_default(opts->config_file, &a->cfg, NULL, err))
			return false;
		chosen = cfg_select_for(&a->cfg, opts->account, sender_hint,
					&a->facts, err);
		if (chosen == NULL)
			return false;
	}
	cfg_account_copy(&a->acct, chosen);
	for (size_t i = 0; i < opts->setting_count; i++)
		if (!cfg_set(&a->cfg, &a->acct, opts->settings[i].keyword,
			     opts->settings[i].value, err))
			return false;
	if (!apply_dsn_flags(opts, a, err))
		return false;
	if (a->acct.host == NULL && a->acct.socket == NULL) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s: account '%s' has no host", a->cfg.file,
			a->acct.name ? a->acct.name : "(defaults)");
		return false;
	}
	substitute(a);
	return true;
}

void
account_clear(struct account *a)
{
	cfg_account_clear(&a->acct);
	cfg_clear(&a->cfg);
	free(a->sender);
	memset(a, 0, sizeof(*a));
}

const char *
account_local_domain(const struct account *a)
{
	if (a->acct.maildomain && *a->acct.maildomain)
		return a->acct.maildomain;
	if (strchr(a->facts.canonical, '.'))
		return a->facts.canonical;
	if (strchr(a->facts.host, '.'))
		return a->facts.host;
	if (a->facts.mailname[0])
		return a->facts.mailname;
	return NULL;
}

char *
account_qualify(const struct account *a, const char *addr)
{
	const char *domain = account_local_domain(a);
	struct buf b;

	if (*addr == '\0' || strchr(addr, '@') || domain == NULL)
		return xstrdup(addr);
	buf_init(&b, LIMIT_ADDRESS * 2);
	buf_printf(&b, "%s@%s", addr, domain);
	return buf_steal(&b, NULL);
}

bool
account_recipients(const struct account *a, struct addr_list *list,
		   struct mf_error *err)
{
	for (size_t i = 0; i < list->count; i++) {
		char *q = account_qualify(a, list->addrs[i]);
		free(list->addrs[i]);
		list->addrs[i] = q;
	}
	(void)err;
	return true;
}
