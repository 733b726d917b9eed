/* config/select.c: which account a message uses, and the account's
 * envelope sender with msmtp's substitutions. Pure: the facts about the
 * user and the host come in a struct (gathered by config/facts.c). */
#include "config.h"

#include "config/config.h"

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

char *
cfg_expand(const char *text, const struct cfg_facts *f)
{
	struct buf b;

	buf_init(&b, LIMIT_CONFIG_LINE * 2);
	for (const char *p = text; *p; p++) {
		const char *v = NULL;
		if (p[0] == '%' && p[1] != '\0') {
			switch (p[1]) {
			case 'U': v = f->user; break;
			case 'H': v = f->host; break;
			case 'C': v = f->canonical[0] ? f->canonical : f->host;
				  break;
			case 'M': v = f->mailname[0] ? f->mailname : f->host;
				  break;
			case '%': v = "%"; break;
			default: break;
			}
		}
		if (v != NULL) {
			buf_append_str(&b, v);
			p++;
		} else {
			buf_append_byte(&b, *p);
		}
	}
	return buf_steal(&b, NULL);
}

bool
cfg_from_is_pattern(const char *from)
{
	return from != NULL && strpbrk(from, "?*[") != NULL;
}

/* Whether the account's from (expanded; a shell pattern or a plain
 * address) matches sender. Addresses compare without regard to case. */
static bool
from_matches(const struct cfg_account *a, const char *sender,
	     const struct cfg_facts *f)
{
	char *want;
	bool match;

	if (a->from == NULL)
		return false;
	want = cfg_expand(a->from, f);
	if (cfg_from_is_pattern(want))
		match = fnmatch(want, sender, FNM_CASEFOLD) == 0;
	else
		match = strcasecmp(want, sender) == 0;
	free(want);
	return match;
}

const struct cfg_account *
cfg_select_for(const struct cfg *cfg, const char *name, const char *sender,
	       const struct cfg_facts *f, struct mf_error *err)
{
	if (name == NULL && sender != NULL && *sender != '\0') {
		for (size_t i = 0; i < cfg->count; i++)
			if (from_matches(&cfg->accounts[i], sender, f))
				return &cfg->accounts[i];
	}
	return cfg_select(cfg, name, err);
}

char *
cfg_account_sender(const struct cfg_account *a, const struct cfg_facts *f)
{
	if (a->auto_from) {
		struct buf b;
		buf_init(&b, LIMIT_ADDRESS * 2);
		buf_append_str(&b, f->user);
		if (a->maildomain && *a->maildomain)
			buf_printf(&b, "@%s", a->maildomain);
		return buf_steal(&b, NULL);
	}
	if (a->from == NULL || cfg_from_is_pattern(a->from))
		return NULL;
	return cfg_expand(a->from, f);
}
