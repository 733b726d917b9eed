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

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* How a keyword's argument is read and stored. */
enum kw_type {
	KW_STRING,   /* any text; NULL when empty and !nonempty */
	KW_SECRET,   /* like KW_STRING, wiped on release */
	KW_BOOL,     /* on | off | empty (on) */
	KW_PORT,     /* 1..65535 */
	KW_TIMEOUT,  /* off | 1..86400 seconds */
	KW_CHOICE,   /* one word of a list; stores its value */
	KW_DURATION, /* seconds, or a number with s, m, h or d */
	KW_AUTH,     /* on | off | a mechanism name */
};

struct choice {
	const char *word;
	unsigned value;
};

static const struct choice from_choices[] = {
	{ "auto", CFG_REPAIR_AUTO }, { "on", CFG_REPAIR_ON },
	{ "off", CFG_REPAIR_OFF }, { NULL, 0 },
};
static const struct choice add_choices[] = {
	{ "auto", CFG_REPAIR_AUTO }, { "off", CFG_REPAIR_OFF }, { NULL, 0 },
};
static const struct choice delivery_choices[] = {
	{ "direct", CFG_DELIVERY_DIRECT }, { "queue", CFG_DELIVERY_QUEUE },
	{ NULL, 0 },
};

struct keyword {
	const char *name;
	enum kw_type type;
	size_t offset;      /* of the field in struct cfg_account */
	bool nonempty;      /* an empty argument is an error */
	const struct choice *choices; /* KW_CHOICE: NULL-terminated */
	bool empty_unsets;  /* KW_STRING: "" means no value (NULL) */
};

#define F(field) offsetof(struct cfg_account, field)

/* Every keyword this version implements, with msmtp's meaning (see
 * doc/mailferry.1). The index is the account's `set` bit. */
static const struct keyword keywords[] = {
	{ "host", KW_STRING, F(host), true, NULL, false },
	{ "port", KW_PORT, F(port), false, NULL, false },
	{ "tls", KW_BOOL, F(tls), false, NULL, false },
	{ "tls_starttls", KW_BOOL, F(tls_starttls), false, NULL, false },
	{ "tls_trust_file", KW_STRING, F(tls_trust_file), false, NULL, true },
	{ "tls_certcheck", KW_BOOL, F(tls_certcheck), false, NULL, false },
	{ "auth", KW_AUTH, F(auth), false, NULL, false },
	{ "user", KW_STRING, F(user), false, NULL, false },
	{ "password", KW_SECRET, F(password), false, NULL, false },
	{ "from", KW_STRING, F(from), false, NULL, false },
	{ "from_full_name", KW_STRING, F(from_full_name), false, NULL, false },
	{ "domain", KW_STRING, F(domain), true, NULL, false },
	{ "timeout", KW_TIMEOUT, F(timeout), false, NULL, false },
	{ "set_from_header", KW_CHOICE, F(set_from_header), true, from_choices,
	  false },
	{ "set_date_header", KW_CHOICE, F(set_date_header), true, add_choices,
	  false },
	{ "set_msgid_header", KW_CHOICE, F(set_msgid_header), true,
	  add_choices, false },
	{ "remove_bcc_headers", KW_BOOL, F(remove_bcc_headers), false,
	  NULL, false },
	{ "undisclosed_recipients", KW_BOOL, F(undisclosed_recipients), false,
	  NULL, false },
	/* mailferry's own */
	{ "encode_headers", KW_BOOL, F(encode_headers), false, NULL, false },
	{ "delivery", KW_CHOICE, F(delivery), true, delivery_choices, false },
	{ "queue_dir", KW_STRING, F(queue_dir), false, NULL, true },
	{ "queue_lifetime", KW_DURATION, F(queue_lifetime), true, NULL,
	  false },
};

#define KEYWORD_COUNT (sizeof(keywords) / sizeof(keywords[0]))
_Static_assert(sizeof(keywords) / sizeof(keywords[0]) <= 64,
	       "one bit per keyword in cfg_account.set");

/* msmtp keywords that a later version implements. */
static const char *const later_keys[] = {
	"source_ip", "proxy_host", "proxy_port", "socket", "protocol",
	"passwordeval", "eval", "tls_crl_file", "tls_fingerprint",
	"tls_key_file", "tls_cert_file", "tls_priorities",
	"tls_host_override", "tls_min_dh_prime_bits", "allow_from_override",
	"dsn_notify", "dsn_return", "set_to_header", "logfile",
	"logfile_time_format", "syslog", "aliases", "maildomain", "auto_from",
	"add_missing_from_header", "add_missing_date_header", "tls_nocertcheck",
	"tls_force_sslv3", "keepbcc", NULL,
};

static char **
field_str(struct cfg_account *a, const struct keyword *k)
{
	return (char **)((char *)a + k->offset);
}

static void
account_init(struct cfg_account *a)
{
	memset(a, 0, sizeof(*a));
	a->tls_starttls = true;
	a->tls_certcheck = true;
	a->timeout = 60;
	a->set_from_header = CFG_REPAIR_AUTO;
	a->set_date_header = CFG_REPAIR_AUTO;
	a->set_msgid_header = CFG_REPAIR_AUTO;
	a->remove_bcc_headers = true;
	a->encode_headers = true;
	a->delivery = CFG_DELIVERY_DIRECT;
	a->queue_lifetime = 5 * 86400;
}

static void
account_clear(struct cfg_account *a)
{
	free(a->name);
	for (size_t i = 0; i < KEYWORD_COUNT; i++) {
		const struct keyword *k = &keywords[i];
		if (k->type == KW_SECRET)
			secret_free(*field_str(a, k));
		else if (k->type == KW_STRING || k->type == KW_AUTH)
			free(*field_str(a, k));
	}
	account_init(a);
}

/* Copy the value of keyword k from src to dst. */
static void
copy_value(struct cfg_account *dst, const struct cfg_account *src,
	   const struct keyword *k)
{
	const char *from = (const char *)src + k->offset;
	char *to = (char *)dst + k->offset;

	switch (k->type) {
	case KW_STRING:
	case KW_SECRET:
	case KW_AUTH: {
		char *const *sp = (char *const *)(const void *)from;
		char **dp = (char **)(void *)to;
		if (k->type == KW_SECRET)
			secret_free(*dp);
		else
			free(*dp);
		*dp = *sp ? xstrdup(*sp) : NULL;
		break;
	}
	case KW_BOOL:
		memcpy(to, from, sizeof(bool));
		break;
	case KW_PORT:
	case KW_TIMEOUT:
	case KW_CHOICE:
	case KW_DURATION:
		memcpy(to, from, sizeof(unsigned));
		break;
	}
}

/* Copy into dst every setting src made itself (src->set). */
static void
account_inherit(struct cfg_account *dst, const struct cfg_account *src)
{
	for (size_t i = 0; i < KEYWORD_COUNT; i++) {
		if (!(src->set & (1ULL << i)))
			continue;
		copy_value(dst, src, &keywords[i]);
		dst->set |= 1ULL << i;
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

/* "90", "90s", "30m", "4h", "5d": seconds, at most 365 days. */
static bool
parse_duration(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v, unit = 1;

	if (*arg < '0' || *arg > '9')
		return false;
	v = strtoul(arg, &end, 10);
	if (*end == 's') {
		end++;
	} else if (*end == 'm') {
		unit = 60;
		end++;
	} else if (*end == 'h') {
		unit = 3600;
		end++;
	} else if (*end == 'd') {
		unit = 86400;
		end++;
	}
	if (*end != '\0' || v == 0 || v > 365UL * 86400 / unit)
		return false;
	*out = (unsigned)(v * unit);
	return true;
}

/* Apply "keyword arg" to an account. Returns false with msg set. */
static bool
apply_setting(struct cfg *cfg, struct cfg_account *a, const char *keyword,
	      const char *arg, char msg[], size_t msg_size)
{
	const struct keyword *k = NULL;
	size_t idx;
	char *target = NULL;

	for (idx = 0; idx < KEYWORD_COUNT; idx++) {
		if (strcmp(keyword, keywords[idx].name) == 0) {
			k = &keywords[idx];
			break;
		}
	}
	if (k == NULL) {
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
	if (k->nonempty && *arg == '\0') {
		snprintf(msg, msg_size, "%s needs a value", keyword);
		return false;
	}
	target = (char *)a + k->offset;
	switch (k->type) {
	case KW_STRING: {
		char **dp = (char **)(void *)target;
		free(*dp);
		*dp = *arg || !k->empty_unsets ? xstrdup(arg) : NULL;
		break;
	}
	case KW_SECRET: {
		char **dp = (char **)(void *)target;
		secret_free(*dp);
		*dp = xstrdup(arg);
		cfg->has_password = true;
		break;
	}
	case KW_BOOL: {
		bool v;
		if (!parse_bool(arg, &v)) {
			snprintf(msg, msg_size, "%s: '%s' is not 'on' or 'off'",
				 keyword, arg);
			return false;
		}
		memcpy(target, &v, sizeof(v));
		break;
	}
	case KW_PORT: {
		unsigned v;
		if (!parse_uint(arg, 1, 65535, &v)) {
			snprintf(msg, msg_size,
				 "port: '%s' is not a number from 1 to 65535",
				 arg);
			return false;
		}
		memcpy(target, &v, sizeof(v));
		break;
	}
	case KW_TIMEOUT: {
		unsigned v = 0;
		if (strcmp(arg, "off") != 0 && !parse_uint(arg, 1, 86400, &v)) {
			snprintf(msg, msg_size,
				 "timeout: '%s' is not 'off' or a number of "
				 "seconds from 1 to 86400", arg);
			return false;
		}
		memcpy(target, &v, sizeof(v));
		break;
	}
	case KW_CHOICE: {
		const struct choice *c = k->choices;
		struct buf words;
		while (c->word && strcmp(c->word, arg) != 0)
			c++;
		if (c->word) {
			memcpy(target, &c->value, sizeof(c->value));
			break;
		}
		buf_init(&words, 256);
		for (c = k->choices; c->word; c++)
			buf_printf(&words, "%s%s", c == k->choices ? "" : ", ",
				   c->word);
		snprintf(msg, msg_size, "%s: '%s' is not one of %s", keyword,
			 arg, buf_cstr(&words));
		buf_clear(&words);
		return false;
	}
	case KW_DURATION: {
		unsigned v;
		if (!parse_duration(arg, &v)) {
			snprintf(msg, msg_size,
				 "%s: '%s' is not a duration (a number of "
				 "seconds, or with s, m, h or d)", keyword, arg);
			return false;
		}
		memcpy(target, &v, sizeof(v));
		break;
	}
	case KW_AUTH: {
		char **dp = (char **)(void *)target;
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
		free(*dp);
		*dp = xstrdup(arg);
		break;
	}
	}
	a->set |= 1ULL << idx;
	return true;
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
