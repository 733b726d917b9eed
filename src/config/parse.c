/* config/parse.c: msmtprc syntax into struct cfg. Pure: no I/O.
 *
 * Lines are split on LF (a CR before it is dropped). A line is
 * "keyword [argument]"; the argument runs to the end of the line with
 * surrounding blanks trimmed, or is one double-quoted string in which \"
 * and \\ stand for " and \. A boolean argument is "on" or "off"; an empty
 * argument means "on", as in msmtp. Every keyword msmtp knows that this
 * version does not implement is refused with a clear message rather than
 * ignored, because ignoring tls_fingerprint or similar would be unsafe. */
#include "config.h"

#include "config/config.h"

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"
#include "util/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char *const key_names[CFG_KEY_COUNT] = {
	[CFG_HOST] = "host",
	[CFG_PORT] = "port",
	[CFG_TLS] = "tls",
	[CFG_TLS_STARTTLS] = "tls_starttls",
	[CFG_TLS_TRUST_FILE] = "tls_trust_file",
	[CFG_TLS_CERTCHECK] = "tls_certcheck",
	[CFG_AUTH] = "auth",
	[CFG_USER] = "user",
	[CFG_PASSWORD] = "password",
	[CFG_FROM] = "from",
	[CFG_DOMAIN] = "domain",
	[CFG_TIMEOUT] = "timeout",
};

/* msmtp keywords that a later version implements. */
static const char *const later_keys[] = {
	"source_ip", "proxy_host", "proxy_port", "socket", "protocol",
	"passwordeval", "eval", "tls_crl_file", "tls_fingerprint",
	"tls_key_file", "tls_cert_file", "tls_priorities",
	"tls_host_override", "tls_min_dh_prime_bits", "from_full_name",
	"allow_from_override", "dsn_notify", "dsn_return", "set_from_header",
	"set_date_header", "set_msgid_header", "set_to_header",
	"remove_bcc_headers", "undisclosed_recipients", "logfile",
	"logfile_time_format", "syslog", "aliases", "maildomain", "auto_from",
	"add_missing_from_header", "add_missing_date_header", "tls_nocertcheck",
	"tls_force_sslv3", "keepbcc", NULL,
};

static void
account_init(struct cfg_account *a)
{
	memset(a, 0, sizeof(*a));
	a->tls_starttls = true;
	a->tls_certcheck = true;
	a->timeout = 60;
}

static void
account_clear(struct cfg_account *a)
{
	free(a->name);
	free(a->host);
	free(a->tls_trust_file);
	free(a->auth);
	free(a->user);
	secret_free(a->password);
	free(a->from);
	free(a->domain);
	account_init(a);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Copy into dst every setting src made itself (src->set). */
static void
account_inherit(struct cfg_account *dst, const struct cfg_account *src)
{
	for (int k = 0; k < CFG_KEY_COUNT; k++) {
		if (!(src->set & (1UL << k)))
			continue;
		switch ((enum cfg_key)k) {
		case CFG_HOST:
			free(dst->host);
			dst->host = dup_or_null(src->host);
			break;
		case CFG_PORT:
			dst->port = src->port;
			break;
		case CFG_TLS:
			dst->tls = src->tls;
			break;
		case CFG_TLS_STARTTLS:
			dst->tls_starttls = src->tls_starttls;
			break;
		case CFG_TLS_TRUST_FILE:
			free(dst->tls_trust_file);
			dst->tls_trust_file = dup_or_null(src->tls_trust_file);
			break;
		case CFG_TLS_CERTCHECK:
			dst->tls_certcheck = src->tls_certcheck;
			break;
		case CFG_AUTH:
			free(dst->auth);
			dst->auth = dup_or_null(src->auth);
			break;
		case CFG_USER:
			free(dst->user);
			dst->user = dup_or_null(src->user);
			break;
		case CFG_PASSWORD:
			secret_free(dst->password);
			dst->password = dup_or_null(src->password);
			break;
		case CFG_FROM:
			free(dst->from);
			dst->from = dup_or_null(src->from);
			break;
		case CFG_DOMAIN:
			free(dst->domain);
			dst->domain = dup_or_null(src->domain);
			break;
		case CFG_TIMEOUT:
			dst->timeout = src->timeout;
			break;
		case CFG_KEY_COUNT:
			break;
		}
		dst->set |= 1UL << k;
	}
}

void
cfg_init(struct cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	account_init(&cfg->defaults);
}

void
cfg_clear(struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->count; i++)
		account_clear(&cfg->accounts[i]);
	free(cfg->accounts);
	account_clear(&cfg->defaults);
	free(cfg->file);
	cfg_init(cfg);
}

static struct cfg_account *
find_account(struct cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->count; i++)
		if (strcmp(cfg->accounts[i].name, name) == 0)
			return &cfg->accounts[i];
	return NULL;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Split one line into keyword and argument (both owned by the caller;
 * argument is "" when absent). Returns false on a syntax error with msg
 * set to a static description. */
static bool
split_line(const char *line, size_t len, char **keyword, char **arg,
	   const char **msg)
{
	size_t i = 0, kstart, kend;
	struct buf value;

	while (i < len && is_blank(line[i]))
		i++;
	kstart = i;
	while (i < len && !is_blank(line[i]))
		i++;
	kend = i;
	while (i < len && is_blank(line[i]))
		i++;
	while (len > i && is_blank(line[len - 1]))
		len--;

	buf_init(&value, LIMIT_CONFIG_LINE);
	if (i < len && line[i] == '"') {
		i++;
		for (;;) {
			if (i >= len) {
				*msg = "unterminated quoted argument";
				buf_clear_secret(&value);
				return false;
			}
			if (line[i] == '"')
				break;
			if (line[i] == '\\' && i + 1 < len)
				i++;
			buf_append_byte(&value, line[i]);
			i++;
		}
		if (i + 1 != len) {
			*msg = "text after the closing quote";
			buf_clear_secret(&value);
			return false;
		}
	} else {
		buf_append(&value, line + i, len - i);
	}
	*keyword = xmemdup0(line + kstart, kend - kstart);
	*arg = buf_steal(&value, NULL);
	return true;
}

static bool
parse_bool(const char *arg, bool *out)
{
	if (*arg == '\0' || strcmp(arg, "on") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(arg, "off") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static bool
parse_uint(const char *arg, unsigned long min, unsigned long max,
	   unsigned *out)
{
	char *end;
	unsigned long v;

	if (*arg < '0' || *arg > '9')
		return false;
	v = strtoul(arg, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static void
set_string(char **field, const char *arg)
{
	free(*field);
	*field = xstrdup(arg);
}

/* Apply "keyword arg" to an account. Returns false with msg set. */
static bool
apply_setting(struct cfg *cfg, struct cfg_account *a, const char *keyword,
	      const char *arg, char msg[], size_t msg_size)
{
	int key = -1;

	for (int k = 0; k < CFG_KEY_COUNT; k++) {
		if (strcmp(keyword, key_names[k]) == 0) {
			key = k;
			break;
		}
	}
	if (key < 0) {
		for (size_t i = 0; later_keys[i]; i++) {
			if (strcmp(keyword, later_keys[i]) == 0) {
				snprintf(msg, msg_size,
					 "keyword '%s' is not supported by "
					 "this version", keyword);
				return false;
			}
		}
		/* Echo only the word-like start: a typo such as
		 * password"secret" must not print the secret. */
		size_t shown = strspn(keyword, "abcdefghijklmnopqrstuvwxyz_");
		snprintf(msg, msg_size, "unknown keyword '%.*s%s'",
			 (int)(shown < 40 ? shown : 40), keyword,
			 keyword[shown] ? "..." : "");
		return false;
	}

	switch ((enum cfg_key)key) {
	case CFG_HOST:
		if (*arg == '\0')
			goto needs_value;
		set_string(&a->host, arg);
		break;
	case CFG_PORT:
		if (!parse_uint(arg, 1, 65535, &a->port)) {
			snprintf(msg, msg_size,
				 "port: '%s' is not a number from 1 to 65535",
				 arg);
			return false;
		}
		break;
	case CFG_TLS:
		if (!parse_bool(arg, &a->tls))
			goto bad_bool;
		break;
	case CFG_TLS_STARTTLS:
		if (!parse_bool(arg, &a->tls_starttls))
			goto bad_bool;
		break;
	case CFG_TLS_CERTCHECK:
		if (!parse_bool(arg, &a->tls_certcheck))
			goto bad_bool;
		break;
	case CFG_TLS_TRUST_FILE:
		free(a->tls_trust_file);
		a->tls_trust_file = *arg ? xstrdup(arg) : NULL;
		break;
	case CFG_AUTH:
		if (*arg == '\0')
			arg = "on";
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0 &&
		    strcmp(arg, "plain") != 0 && strcmp(arg, "login") != 0 &&
		    strcmp(arg, "scram-sha-1") != 0 &&
		    strcmp(arg, "scram-sha-256") != 0) {
			snprintf(msg, msg_size,
				 "auth: '%s' is not one of on, off, plain, "
				 "login, scram-sha-1, scram-sha-256", arg);
			return false;
		}
		set_string(&a->auth, arg);
		break;
	case CFG_USER:
		set_string(&a->user, arg);
		break;
	case CFG_PASSWORD:
		secret_free(a->password);
		a->password = xstrdup(arg);
		cfg->has_password = true;
		break;
	case CFG_FROM:
		set_string(&a->from, arg);
		break;
	case CFG_DOMAIN:
		if (*arg == '\0')
			goto needs_value;
		set_string(&a->domain, arg);
		break;
	case CFG_TIMEOUT:
		if (strcmp(arg, "off") == 0) {
			a->timeout = 0;
		} else if (!parse_uint(arg, 1, 86400, &a->timeout)) {
			snprintf(msg, msg_size,
				 "timeout: '%s' is not 'off' or a number of "
				 "seconds from 1 to 86400", arg);
			return false;
		}
		break;
	case CFG_KEY_COUNT:
		break;
	}
	a->set |= 1UL << key;
	return true;

needs_value:
	snprintf(msg, msg_size, "%s needs a value", keyword);
	return false;
bad_bool:
	snprintf(msg, msg_size, "%s: '%s' is not 'on' or 'off'", keyword,
		 arg);
	return false;
}

/* "account NAME [: PARENT[,PARENT...]]": add the account to cfg. */
static struct cfg_account *
start_account(struct cfg *cfg, const char *arg, unsigned line, char msg[],
	      size_t msg_size)
{
	const char *colon = strchr(arg, ':');
	size_t name_len = colon ? (size_t)(colon - arg) : strlen(arg);
	struct cfg_account acct;
	char *name;

	while (name_len > 0 && is_blank(arg[name_len - 1]))
		name_len--;
	if (name_len == 0) {
		snprintf(msg, msg_size, "account needs a name");
		return NULL;
	}
	name = xmemdup0(arg, name_len);
	if (strpbrk(name, " \t,:") != NULL) {
		snprintf(msg, msg_size, "account name '%s' contains a blank, "
			 "',' or ':'", name);
		free(name);
		return NULL;
	}
	if (find_account(cfg, name) != NULL) {
		snprintf(msg, msg_size, "account '%s' is defined twice", name);
		free(name);
		return NULL;
	}

	/* As msmtp: copy the defaults as they are now, but do not count
	 * them as the account's own settings (msmtp's "acc->mask = 0"), so
	 * a child of this account takes the defaults current at its own
	 * definition, not this account's older copy. */
	account_init(&acct);
	account_inherit(&acct, &cfg->defaults);
	acct.set = 0;
	if (colon) {
		const char *p = colon + 1;
		while (*p) {
			while (is_blank(*p) || *p == ',')
				p++;
			size_t n = strcspn(p, " \t,");
			if (n == 0)
				break;
			char *parent_name = xmemdup0(p, n);
			struct cfg_account *parent =
				find_account(cfg, parent_name);
			if (parent == NULL) {
				snprintf(msg, msg_size,
					 "account '%s' inherits from unknown "
					 "account '%s'", name, parent_name);
				free(parent_name);
				free(name);
				account_clear(&acct);
				return NULL;
			}
			free(parent_name);
			account_inherit(&acct, parent);
			p += n;
		}
	}
	/* Settings inherited from parents count as set, so children of
	 * this account inherit them too; its own lines then override. */
	acct.name = name;
	acct.line = line;
	cfg->accounts = xreallocarray(cfg->accounts, cfg->count + 1,
				      sizeof(*cfg->accounts));
	cfg->accounts[cfg->count] = acct;
	return &cfg->accounts[cfg->count++];
}

bool
cfg_parse(const char *text, size_t len, const char *file, struct cfg *cfg,
	  struct mf_error *err)
{
	struct cfg_account *current = NULL; /* NULL: the defaults section */
	size_t pos = 0;
	unsigned line = 0;
	char msg[ERR_MSG_MAX];

	free(cfg->file);
	cfg->file = xstrdup(file);
	{
		const char *nul = len ? memchr(text, '\0', len) : NULL;

		if (nul != NULL) {
			for (const char *q = text; q < nul; q++)
				line += *q == '\n';
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s:%u: NUL byte in line", file, line + 1);
			return false;
		}
	}
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		char *keyword = NULL, *arg = NULL;
		const char *smsg = NULL;
		size_t i = 0;
		bool ok = true;

		pos += n + (nl ? 1 : 0);
		line++;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > LIMIT_CONFIG_LINE) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s:%u: line longer than %u bytes", file, line,
				(unsigned)LIMIT_CONFIG_LINE);
			return false;
		}
		while (i < n && is_blank(start[i]))
			i++;
		if (i == n || start[i] == '#')
			continue;
		for (size_t j = 0; j < n; j++) {
			unsigned char c = (unsigned char)start[j];
			if (c < 0x20 && c != '\t') {
				err_set(err, EX_CONFIG, ERR_PERMANENT,
					"%s:%u: control character in line",
					file, line);
				return false;
			}
		}
		if (!split_line(start, n, &keyword, &arg, &smsg)) {
			err_set(err, EX_CONFIG, ERR_PERMANENT, "%s:%u: %s",
				file, line, smsg);
			return false;
		}
		msg[0] = '\0';
		if (strcmp(keyword, "defaults") == 0) {
			if (*arg != '\0') {
				snprintf(msg, sizeof(msg),
					 "defaults takes no argument");
				ok = false;
			}
			current = NULL;
		} else if (strcmp(keyword, "account") == 0) {
			current = start_account(cfg, arg, line, msg,
						sizeof(msg));
			ok = current != NULL;
		} else {
			ok = apply_setting(cfg,
					   current ? current : &cfg->defaults,
					   keyword, arg, msg, sizeof(msg));
		}
		free(keyword);
		secret_free(arg);
		if (!ok) {
			err_set(err, EX_CONFIG, ERR_PERMANENT, "%s:%u: %s",
				file, line, msg);
			return false;
		}
	}
	return true;
}

const struct cfg_account *
cfg_select(const struct cfg *cfg, const char *name, struct mf_error *err)
{
	const char *want = name ? name : "default";

	for (size_t i = 0; i < cfg->count; i++)
		if (strcmp(cfg->accounts[i].name, want) == 0)
			return &cfg->accounts[i];
	if (name == NULL && cfg->defaults.host != NULL)
		return &cfg->defaults;
	if (name != NULL)
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s: no account '%s'", cfg->file, name);
	else
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s: no account 'default' and no host in the defaults"
			" (use -a ACCOUNT)", cfg->file);
	return NULL;
}

unsigned
cfg_account_port(const struct cfg_account *acct)
{
	if (acct->port)
		return acct->port;
	if (acct->tls && !acct->tls_starttls)
		return 465;
	return 25;
}
