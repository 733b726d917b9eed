/* account.c: from configuration files and command line to the one
 * account a message is sent with. */
#include "config.h"

#include "account.h"

#include "cli/options.h"
#include "address/address.h"
#include "address/aliases.h"
#include "address/qualify.h"
#include "message/header.h"
#include "config/config.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/alloc.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
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
	for (const char *p = a->acct.fallback; p && *p;) {
		size_t n;
		char name[128];
		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(n < 127 ? n : 127),
			 p);
		p += n;
		if (cfg_select(&a->cfg, name, err) == NULL) {
			err_prefix(err, "fallback of account '%s': ",
				   a->acct.name ? a->acct.name : "(defaults)");
			return false;
		}
	}
	return account_load_aliases(a, err);
}

void
account_clear(struct account *a)
{
	cfg_account_clear(&a->acct);
	cfg_clear(&a->cfg);
	free(a->sender);
	aliases_free(a->aliases);
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

/* Whether domain is one of this host's own names. */
static bool
own_domain(const struct account *a, const char *domain)
{
	return strcasecmp(domain, "localhost") == 0 ||
	       strcasecmp(domain, a->facts.host) == 0 ||
	       (a->facts.canonical[0] &&
		strcasecmp(domain, a->facts.canonical) == 0);
}

char *
account_qualify(const struct account *a, const char *addr)
{
	const char *domain = account_local_domain(a);
	const char *at = strrchr(addr, '@');
	struct buf b;

	if (*addr == '\0' || domain == NULL)
		return xstrdup(addr);
	/* root@myhost (mailutils writes that) is as local as root: with a
	 * maildomain it goes out as root@maildomain. */
	if (at && !(a->acct.maildomain && *a->acct.maildomain &&
		    own_domain(a, at + 1)))
		return xstrdup(addr);
	buf_init(&b, LIMIT_ADDRESS * 2);
	buf_printf(&b, "%.*s@%s", (int)(at ? at - addr : (ptrdiff_t)strlen(addr)),
		   addr, domain);
	return buf_steal(&b, NULL);
}

bool
account_load_aliases(struct account *a, struct mf_error *err)
{
	const char *path = a->acct.aliases;
	const char *locals[] = { "localhost", a->facts.host,
				 a->facts.canonical[0] ? a->facts.canonical
						       : NULL,
				 NULL };
	struct buf text;
	char chunk[8192];
	struct stat st;
	bool ok = false;
	int fd = -1;

	if (path == NULL || a->aliases != NULL)
		return true;
	buf_init(&text, LIMIT_CONFIG_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err_set(err, EX_CONFIG, ERR_PERMANENT, "aliases file %s: %s",
			path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"aliases file %s: not a regular file", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"aliases file %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (!buf_append(&text, chunk, (size_t)n)) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"aliases file %s: too large", path);
			goto out;
		}
	}
	a->aliases = aliases_new(locals);
	if (!aliases_parse(a->aliases, text.data ? text.data : "", text.len,
			   path, err)) {
		aliases_free(a->aliases);
		a->aliases = NULL;
		goto out;
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	buf_clear(&text);
	return ok;
}

/* Header qualification: what a bare name becomes. */
struct qualify_ctx {
	const struct account *a;
	bool recipients; /* a recipient field: the aliases file applies */
	char *last;      /* the last replacement (owned) */
};

static const char *
qualify_name(void *ctx, const char *local)
{
	struct qualify_ctx *q = ctx;
	const char *domain = account_local_domain(q->a);

	free(q->last);
	q->last = NULL;
	if (strchr(local, '@') && !(q->recipients && q->a->aliases &&
				     aliases_is_local(q->a->aliases, local))) {
		/* An address with a domain: only this host's names change. */
		q->last = account_qualify(q->a, local);
		if (strcmp(q->last, local) == 0) {
			free(q->last);
			q->last = NULL;
		}
		return q->last;
	}
	if (q->recipients && q->a->aliases) {
		struct addr_list out;
		struct mf_error ignored;
		addr_list_init(&out);
		if (aliases_expand(q->a->aliases, local, &out, &ignored) &&
		    out.count == 1 && strchr(out.addrs[0], '@') &&
		    strcmp(out.addrs[0], local) != 0) {
			q->last = out.addrs[0];
			out.addrs[0] = NULL;
			out.count = 0;
		}
		addr_list_clear(&out);
		if (q->last)
			return q->last;
	}
	if (domain == NULL)
		return NULL;
	q->last = account_qualify(q->a, local);
	return q->last;
}

bool
account_qualify_headers(const struct account *a, struct msg_headers *h,
			struct mf_error *err)
{
	static const char *const fields[] = {
		"From", "Sender", "Reply-To", "To", "Cc", "Resent-From",
		"Resent-Sender", "Resent-To", "Resent-Cc", NULL,
	};
	struct qualify_ctx q = { a, false, NULL };
	bool ok = true;

	for (size_t i = 0; ok && i < h->count; i++) {
		struct msg_field *f = &h->fields[i];
		const char *v;
		char *out = NULL;
		size_t len, out_len, k;
		bool changed = false;
		struct buf line;

		if (f->removed)
			continue;
		for (k = 0; fields[k] && !msg_field_is(f, fields[k]); k++)
			;
		if (fields[k] == NULL)
			continue;
		/* Aliases name who reads the mail: they apply to To and Cc,
		 * not to the author fields. */
		q.recipients = k == 3 || k == 4 || k == 7 || k == 8;
		v = msg_field_value(f, &len);
		if (!addr_rewrite(v, len, qualify_name, &q, &out, &out_len,
				  &changed, err)) {
			err_prefix(err, "%s header: ", fields[k]);
			ok = false;
			break;
		}
		if (changed) {
			buf_init(&line, LIMIT_HEADER_FIELD + 256);
			ok = buf_append(&line, f->raw, f->value_off) &&
			     buf_append(&line, out, out_len) &&
			     buf_append_str(&line, "\r\n");
			if (!ok)
				err_set(err, EX_DATAERR, ERR_PERMANENT,
					"%s header: too long after "
					"qualification", fields[k]);
			ok = ok && msg_headers_replace(h, i, line.data,
						       line.len, err);
			buf_clear(&line);
		}
		free(out);
	}
	free(q.last);
	return ok;
}

bool
account_recipients(const struct account *a, struct addr_list *list,
		   struct mf_error *err)
{
	struct addr_list out;
	bool ok = false;

	addr_list_init(&out);
	for (size_t i = 0; i < list->count; i++) {
		if (a->aliases) {
			if (!aliases_expand(a->aliases, list->addrs[i], &out,
					    err))
				goto done;
		} else {
			addr_list_add(&out, list->addrs[i],
				      strlen(list->addrs[i]));
		}
	}
	for (size_t i = 0; i < out.count; i++) {
		char *q = account_qualify(a, out.addrs[i]);
		free(out.addrs[i]);
		out.addrs[i] = q;
	}
	/* Qualifying may make two names equal (root, root@host). */
	addr_list_dedupe(&out);
	addr_list_clear(list);
	*list = out;
	addr_list_init(&out);
	ok = true;
done:
	addr_list_clear(&out);
	return ok;
}
