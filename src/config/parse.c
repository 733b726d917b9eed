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
	KW_STRING,   /* any text; NULL when empty and empty_unsets */
	KW_PATH,     /* a file name: like KW_STRING, with "~/" expanded */
	KW_SECRET,   /* like KW_STRING, wiped on release */
	KW_BOOL,     /* on | off | empty (on) */
	KW_PORT,     /* 1..65535; empty: 0 (the default) when allowed */
	KW_UINT,     /* a number; empty: 0 */
	KW_TIMEOUT,  /* off | 1..86400 seconds */
	KW_CHOICE,   /* one word of a list; stores its value */
	KW_DURATION, /* seconds, or a number with s, m, h or d; off: 0 */
	KW_AUTH,     /* on | off | a mechanism name */
	KW_SYSLOG,   /* on | off | LOG_USER, LOG_MAIL, LOG_LOCAL0..7 */
	KW_DSN_NOTIFY, /* off | never | failure,delay,success */
	KW_RATE,     /* off | N/minute | N/hour | N/day */
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
static const struct choice protocol_choices[] = {
	{ "smtp", CFG_PROTOCOL_SMTP }, { "lmtp", CFG_PROTOCOL_LMTP },
	{ NULL, 0 },
};
static const struct choice dsn_return_choices[] = {
	{ "off", CFG_DSN_RETURN_OFF }, { "headers", CFG_DSN_RETURN_HEADERS },
	{ "full", CFG_DSN_RETURN_FULL }, { NULL, 0 },
};

/* Flags of a keyword. */
enum {
	KF_NONEMPTY = 1,   /* an empty argument is an error */
	KF_EMPTY_UNSETS = 2, /* string: "" means no value (NULL) */
};

struct keyword {
	const char *name;
	enum kw_type type;
	size_t offset;      /* of the field in struct cfg_account */
	unsigned flags;
	const struct choice *choices; /* KW_CHOICE: NULL-terminated */
};

#define F(field) offsetof(struct cfg_account, field)
#define NE KF_NONEMPTY
#define EU KF_EMPTY_UNSETS

/* Every keyword, with msmtp's meaning (doc/mailferry.conf.5). The index
 * is the account's `set` bit. */
static const struct keyword keywords[] = {
	{ "host", KW_STRING, F(host), NE, NULL },
	{ "port", KW_PORT, F(port), NE, NULL },
	{ "source_ip", KW_STRING, F(source_ip), EU, NULL },
	{ "proxy_host", KW_STRING, F(proxy_host), EU, NULL },
	{ "proxy_port", KW_PORT, F(proxy_port), 0, NULL },
	{ "socket", KW_PATH, F(socket), EU, NULL },
	{ "timeout", KW_TIMEOUT, F(timeout), 0, NULL },
	{ "protocol", KW_CHOICE, F(protocol), NE, protocol_choices },
	{ "domain", KW_STRING, F(domain), NE, NULL },
	{ "tls", KW_BOOL, F(tls), 0, NULL },
	{ "tls_starttls", KW_BOOL, F(tls_starttls), 0, NULL },
	{ "tls_trust_file", KW_PATH, F(tls_trust_file), EU, NULL },
	{ "tls_crl_file", KW_PATH, F(tls_crl_file), EU, NULL },
	{ "tls_fingerprint", KW_STRING, F(tls_fingerprint), EU, NULL },
	{ "tls_key_file", KW_PATH, F(tls_key_file), EU, NULL },
	{ "tls_cert_file", KW_PATH, F(tls_cert_file), EU, NULL },
	{ "tls_certcheck", KW_BOOL, F(tls_certcheck), 0, NULL },
	{ "tls_priorities", KW_STRING, F(tls_priorities), EU, NULL },
	{ "tls_host_override", KW_STRING, F(tls_host_override), EU, NULL },
	{ "tls_min_dh_prime_bits", KW_UINT, F(tls_min_dh_prime_bits), 0,
	  NULL },
	{ "auth", KW_AUTH, F(auth), 0, NULL },
	{ "user", KW_STRING, F(user), EU, NULL },
	{ "password", KW_SECRET, F(password), EU, NULL },
	{ "passwordeval", KW_STRING, F(passwordeval), EU, NULL },
	{ "ntlmdomain", KW_STRING, F(ntlmdomain), EU, NULL },
	{ "from", KW_STRING, F(from), EU, NULL },
	{ "from_full_name", KW_STRING, F(from_full_name), EU, NULL },
	{ "allow_from_override", KW_BOOL, F(allow_from_override), 0, NULL },
	{ "auto_from", KW_BOOL, F(auto_from), 0, NULL },
	{ "maildomain", KW_STRING, F(maildomain), EU, NULL },
	{ "aliases", KW_PATH, F(aliases), EU, NULL },
	{ "dsn_notify", KW_DSN_NOTIFY, F(dsn_notify), NE, NULL },
	{ "dsn_return", KW_CHOICE, F(dsn_return), NE, dsn_return_choices },
	{ "set_from_header", KW_CHOICE, F(set_from_header), NE, from_choices },
	{ "set_date_header", KW_CHOICE, F(set_date_header), NE, add_choices },
	{ "set_msgid_header", KW_CHOICE, F(set_msgid_header), NE,
	  add_choices },
	{ "set_to_header", KW_CHOICE, F(set_to_header), NE, add_choices },
	{ "remove_bcc_headers", KW_BOOL, F(remove_bcc_headers), 0, NULL },
	{ "undisclosed_recipients", KW_BOOL, F(undisclosed_recipients), 0,
	  NULL },
	{ "logfile", KW_PATH, F(logfile), EU, NULL },
	{ "logfile_time_format", KW_STRING, F(logfile_time_format), EU,
	  NULL },
	{ "syslog", KW_SYSLOG, F(syslog), 0, NULL },
	/* mailferry's own */
	{ "encode_headers", KW_BOOL, F(encode_headers), 0, NULL },
	{ "from_reply_to", KW_BOOL, F(from_reply_to), 0, NULL },
	{ "delivery", KW_CHOICE, F(delivery), NE, delivery_choices },
	{ "queue_dir", KW_PATH, F(queue_dir), EU, NULL },
	{ "fallback", KW_STRING, F(fallback), EU, NULL },
	{ "queue_lifetime", KW_DURATION, F(queue_lifetime), NE, NULL },
	{ "delay_warning", KW_DURATION, F(delay_warning), NE, NULL },
	{ "rate_limit", KW_RATE, F(rate_limit), NE, NULL },
	{ "auth_cleartext", KW_BOOL, F(auth_cleartext), 0, NULL },
	{ "chunking", KW_BOOL, F(chunking), 0, NULL },
};

#undef NE
#undef EU

#define KEYWORD_COUNT (sizeof(keywords) / sizeof(keywords[0]))
_Static_assert(sizeof(keywords) / sizeof(keywords[0]) <= 64,
	       "one bit per keyword in cfg_account.set");

/* Older spellings msmtp still reads, as the keyword and argument they
 * mean. NULL arg_on/arg_off: the argument is passed through. */
struct legacy {
	const char *name;
	const char *keyword;
	const char *arg_on;  /* the argument for "on" (or no argument) */
	const char *arg_off; /* for "off" */
};

static const struct legacy legacy_keys[] = {
	{ "add_missing_from_header", "set_from_header", "auto", "off" },
	{ "add_missing_date_header", "set_date_header", "auto", "off" },
	{ "tls_nocertcheck", "tls_certcheck", "off", "on" },
	{ "keepbcc", "remove_bcc_headers", "off", "on" },
	{ NULL, NULL, NULL, NULL },
};

/* Keywords of old msmtp versions that are refused with a reason. */
static const char *const refused_keys[] = {
	"tls_force_sslv3", NULL,
};

static bool
is_string_type(enum kw_type t)
{
	return t == KW_STRING || t == KW_PATH || t == KW_SECRET ||
	       t == KW_AUTH || t == KW_SYSLOG || t == KW_DSN_NOTIFY;
}

static char **
field_str(struct cfg_account *a, const struct keyword *k)
{
	return (char **)((char *)a + k->offset);
}

void
cfg_account_init(struct cfg_account *a)
{
	memset(a, 0, sizeof(*a));
	a->tls_starttls = true;
	a->tls_certcheck = true;
	a->timeout = 60;
	a->set_from_header = CFG_REPAIR_AUTO;
	a->set_date_header = CFG_REPAIR_AUTO;
	a->set_msgid_header = CFG_REPAIR_AUTO;
	a->set_to_header = CFG_REPAIR_OFF;
	a->remove_bcc_headers = true;
	a->encode_headers = true;
	a->allow_from_override = true;
	a->delivery = CFG_DELIVERY_DIRECT;
	a->queue_lifetime = 5 * 86400;
	a->delay_warning = 4 * 3600;
}

void
cfg_account_clear(struct cfg_account *a)
{
	free(a->name);
	for (size_t i = 0; i < KEYWORD_COUNT; i++) {
		const struct keyword *k = &keywords[i];
		if (k->type == KW_SECRET)
			secret_free(*field_str(a, k));
		else if (is_string_type(k->type))
			free(*field_str(a, k));
	}
	cfg_account_init(a);
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
	case KW_PATH:
	case KW_SECRET:
	case KW_AUTH:
	case KW_SYSLOG:
	case KW_DSN_NOTIFY: {
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
	case KW_UINT:
	case KW_TIMEOUT:
	case KW_CHOICE:
	case KW_DURATION:
		memcpy(to, from, sizeof(unsigned));
		break;
	case KW_RATE:
		memcpy(to, from, sizeof(struct cfg_rate));
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
	cfg_account_init(&cfg->defaults);
}

void
cfg_clear(struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->count; i++)
		cfg_account_clear(&cfg->accounts[i]);
	free(cfg->accounts);
	cfg_account_clear(&cfg->defaults);
	free(cfg->file);
	free(cfg->system_file);
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

/* "3/hour", "500/day", "10/minute" or "off". */
static bool
parse_rate(const char *arg, struct cfg_rate *out)
{
	static const struct { const char *unit; unsigned seconds; } units[] = {
		{ "minute", 60 }, { "hour", 3600 }, { "day", 86400 },
	};
	char *end;
	unsigned long v;

	if (strcmp(arg, "off") == 0) {
		out->count = 0;
		out->period = 0;
		return true;
	}
	if (*arg < '1' || *arg > '9')
		return false;
	v = strtoul(arg, &end, 10);
	if (*end != '/' || v > 1000000)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end + 1, units[i].unit) == 0) {
			out->count = (unsigned)v;
			out->period = units[i].seconds;
			return true;
		}
	}
	return false;
}

/* syslog: "on" is LOG_USER as in msmtp; "off" or empty-off is NULL. */
static bool
parse_syslog(const char *arg, char **out)
{
	static const char *const facilities[] = {
		"LOG_USER", "LOG_MAIL", "LOG_LOCAL0", "LOG_LOCAL1",
		"LOG_LOCAL2", "LOG_LOCAL3", "LOG_LOCAL4", "LOG_LOCAL5",
		"LOG_LOCAL6", "LOG_LOCAL7", NULL,
	};

	if (strcmp(arg, "off") == 0) {
		*out = NULL;
		return true;
	}
	if (*arg == '\0' || strcmp(arg, "on") == 0)
		arg = "LOG_USER";
	for (size_t i = 0; facilities[i]; i++) {
		if (strcmp(arg, facilities[i]) == 0) {
			*out = xstrdup(arg);
			return true;
		}
	}
	return false;
}

/* dsn_notify: "off" (NULL), "never", or a comma list of failure, delay
 * and success without blanks; stored upper case as RFC 3461 writes it. */
static bool
parse_dsn_notify(const char *arg, char **out)
{
	char *up;

	if (strcmp(arg, "off") == 0) {
		*out = NULL;
		return true;
	}
	if (strcmp(arg, "never") != 0) {
		const char *p = arg;
		for (;;) {
			size_t n = strcspn(p, ",");
			if (!((n == 7 && strncmp(p, "failure", 7) == 0) ||
			      (n == 5 && strncmp(p, "delay", 5) == 0) ||
			      (n == 7 && strncmp(p, "success", 7) == 0)))
				return false;
			if (p[n] == '\0')
				break;
			p += n + 1;
		}
	}
	up = xstrdup(arg);
	for (char *c = up; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	*out = up;
	return true;
}

static const char *const auth_methods[] = {
	"on", "off", "plain", "login", "scram-sha-1", "scram-sha-256",
	"scram-sha-1-plus", "scram-sha-256-plus", "cram-md5", "digest-md5", "ntlm", "gssapi", "external",
	"oauthbearer", "xoauth2", NULL,
};

static const struct keyword *
find_keyword(const char *name, size_t *idx)
{
	for (size_t i = 0; i < KEYWORD_COUNT; i++) {
		if (strcmp(name, keywords[i].name) == 0) {
			if (idx)
				*idx = i;
			return &keywords[i];
		}
	}
	return NULL;
}

/* "~/x" and "~" with a home directory; anything else as it is. */
static char *
expand_path(const char *arg, const char *home)
{
	struct buf b;

	if (home == NULL || arg[0] != '~' || (arg[1] != '/' && arg[1] != '\0'))
		return xstrdup(arg);
	buf_init(&b, LIMIT_CONFIG_LINE + 4096);
	buf_printf(&b, "%s%s", home, arg + 1);
	return buf_steal(&b, NULL);
}

/* Apply "keyword arg" to an account. Returns false with msg set. */
static bool
apply_setting(struct cfg *cfg, struct cfg_account *a, const char *keyword,
	      const char *arg, const char *home, char msg[], size_t msg_size)
{
	const struct keyword *k;
	size_t idx = 0;
	char *target = NULL;

	for (size_t i = 0; legacy_keys[i].name; i++) {
		const struct legacy *l = &legacy_keys[i];
		bool on;
		if (strcmp(keyword, l->name) != 0)
			continue;
		if (!parse_bool(arg, &on)) {
			snprintf(msg, msg_size, "%s: '%s' is not 'on' or 'off'",
				 keyword, arg);
			return false;
		}
		keyword = l->keyword;
		arg = on ? l->arg_on : l->arg_off;
		break;
	}
	for (size_t i = 0; refused_keys[i]; i++) {
		if (strcmp(keyword, refused_keys[i]) == 0) {
			snprintf(msg, msg_size, "keyword '%s' is no longer "
				 "supported (an insecure protocol)", keyword);
			return false;
		}
	}
	k = find_keyword(keyword, &idx);
	if (k == NULL) {
		/* Echo only the word-like start: a typo such as
		 * password"secret" must not print the secret. */
		size_t shown = strspn(keyword, "abcdefghijklmnopqrstuvwxyz_");
		snprintf(msg, msg_size, "unknown keyword '%.*s%s'",
			 (int)(shown < 40 ? shown : 40), keyword,
			 keyword[shown] ? "..." : "");
		return false;
	}
	if ((k->flags & KF_NONEMPTY) && *arg == '\0') {
		snprintf(msg, msg_size, "%s needs a value", keyword);
		return false;
	}
	target = (char *)a + k->offset;
	switch (k->type) {
	case KW_STRING:
	case KW_PATH: {
		char **dp = (char **)(void *)target;
		free(*dp);
		if (*arg == '\0' && (k->flags & KF_EMPTY_UNSETS))
			*dp = NULL;
		else if (k->type == KW_PATH)
			*dp = expand_path(arg, home);
		else
			*dp = xstrdup(arg);
		break;
	}
	case KW_SECRET: {
		char **dp = (char **)(void *)target;
		secret_free(*dp);
		*dp = *arg ? xstrdup(arg) : NULL;
		if (*arg)
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
		unsigned v = 0;
		if (*arg != '\0' && !parse_uint(arg, 1, 65535, &v)) {
			snprintf(msg, msg_size,
				 "%s: '%s' is not a number from 1 to 65535",
				 keyword, arg);
			return false;
		}
		memcpy(target, &v, sizeof(v));
		break;
	}
	case KW_UINT: {
		unsigned v = 0;
		if (*arg != '\0' && !parse_uint(arg, 0, 1000000, &v)) {
			snprintf(msg, msg_size, "%s: '%s' is not a number",
				 keyword, arg);
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
		unsigned v = 0;
		bool off_ok = k->offset == F(delay_warning);
		if (!(off_ok && strcmp(arg, "off") == 0) &&
		    !parse_duration(arg, &v)) {
			snprintf(msg, msg_size,
				 "%s: '%s' is not %sa duration (a number of "
				 "seconds, or with s, m, h or d)", keyword, arg,
				 off_ok ? "'off' or " : "");
			return false;
		}
		memcpy(target, &v, sizeof(v));
		break;
	}
	case KW_AUTH: {
		char **dp = (char **)(void *)target;
		size_t i;
		if (*arg == '\0')
			arg = "on";
		for (i = 0; auth_methods[i]; i++)
			if (strcmp(arg, auth_methods[i]) == 0)
				break;
		if (auth_methods[i] == NULL) {
			snprintf(msg, msg_size,
				 "auth: '%s' is not 'on', 'off' or a "
				 "method (plain, login, scram-sha-1, "
				 "scram-sha-256, oauthbearer, xoauth2, ...)",
				 arg);
			return false;
		}
		free(*dp);
		*dp = xstrdup(arg);
		break;
	}
	case KW_SYSLOG: {
		char **dp = (char **)(void *)target;
		char *v;
		if (!parse_syslog(arg, &v)) {
			snprintf(msg, msg_size,
				 "syslog: '%s' is not on, off, LOG_USER, "
				 "LOG_MAIL or LOG_LOCAL0 to LOG_LOCAL7", arg);
			return false;
		}
		free(*dp);
		*dp = v;
		break;
	}
	case KW_DSN_NOTIFY: {
		char **dp = (char **)(void *)target;
		char *v;
		if (!parse_dsn_notify(arg, &v)) {
			snprintf(msg, msg_size,
				 "dsn_notify: '%s' is not off, never or a "
				 "list of failure, delay and success "
				 "separated by commas", arg);
			return false;
		}
		free(*dp);
		*dp = v;
		break;
	}
	case KW_RATE: {
		struct cfg_rate v;
		if (!parse_rate(arg, &v)) {
			snprintf(msg, msg_size,
				 "rate_limit: '%s' is not 'off' or N/minute, "
				 "N/hour or N/day", arg);
			return false;
		}
		memcpy(target, &v, sizeof(v));
		break;
	}
	}
	a->set |= 1ULL << idx;
	return true;
}

bool
cfg_is_keyword(const char *keyword)
{
	char name[64];
	size_t n = strlen(keyword);

	if (n >= sizeof(name))
		return false;
	for (size_t i = 0; i <= n; i++)
		name[i] = keyword[i] == '-' ? '_' : keyword[i];
	if (find_keyword(name, NULL) != NULL)
		return true;
	for (size_t i = 0; legacy_keys[i].name; i++)
		if (strcmp(name, legacy_keys[i].name) == 0)
			return true;
	return false;
}

bool
cfg_set(struct cfg *cfg, struct cfg_account *a, const char *keyword,
	const char *arg, struct mf_error *err)
{
	char name[64], msg[ERR_MSG_MAX];
	size_t n = strlen(keyword);

	if (n >= sizeof(name) || !cfg_is_keyword(keyword)) {
		err_set(err, EX_USAGE, ERR_PERMANENT, "unknown option --%s",
			keyword);
		return false;
	}
	for (size_t i = 0; i <= n; i++)
		name[i] = keyword[i] == '-' ? '_' : keyword[i];
	const char *home = getenv("HOME");
	if (!apply_setting(cfg, a, name, arg, home && *home ? home : NULL,
			   msg, sizeof(msg))) {
		/* "tls_starttls: 'x' is not..." reads better as
		 * "option --tls-starttls: 'x' is not..." */
		const char *why = msg;
		char shown[64];
		if (strncmp(why, name, n) == 0 && why[n] == ':')
			why += n + 1 + (why[n + 1] == ' ');
		for (size_t i = 0; i <= n; i++)
			shown[i] = name[i] == '_' ? '-' : name[i];
		err_set(err, EX_USAGE, ERR_PERMANENT, "option --%s: %s",
			shown, why);
		return false;
	}
	return true;
}

void
cfg_account_copy(struct cfg_account *dst, const struct cfg_account *src)
{
	for (size_t i = 0; i < KEYWORD_COUNT; i++)
		copy_value(dst, src, &keywords[i]);
	free(dst->name);
	dst->name = src->name ? xstrdup(src->name) : NULL;
	dst->set = src->set;
	dst->line = src->line;
	dst->file = src->file;
}

void
cfg_account_describe(const struct cfg_account *a, struct buf *out)
{
	buf_printf(out, "account = %s\n", a->name ? a->name : "(defaults)");
	if (a->file)
		buf_printf(out, "# defined in %s line %u\n", a->file,
			   a->line);
	for (size_t i = 0; i < KEYWORD_COUNT; i++) {
		const struct keyword *k = &keywords[i];
		const char *p = (const char *)a + k->offset;

		buf_printf(out, "%s = ", k->name);
		switch (k->type) {
		case KW_SECRET: {
			const char *v = *(char *const *)(const void *)p;
			buf_printf(out, "%s\n", v ? "*" : "(not set)");
			break;
		}
		case KW_STRING:
		case KW_PATH:
		case KW_AUTH:
		case KW_SYSLOG:
		case KW_DSN_NOTIFY: {
			const char *v = *(char *const *)(const void *)p;
			buf_printf(out, "%s\n", v ? v : "(not set)");
			break;
		}
		case KW_BOOL: {
			bool v;
			memcpy(&v, p, sizeof(v));
			buf_printf(out, "%s\n", v ? "on" : "off");
			break;
		}
		case KW_PORT:
		case KW_UINT:
		case KW_TIMEOUT:
		case KW_DURATION: {
			unsigned v;
			memcpy(&v, p, sizeof(v));
			if (k->offset == F(port) && v == 0)
				v = cfg_account_port(a);
			if (v == 0)
				buf_printf(out, "%s\n", k->type == KW_TIMEOUT ||
					   k->type == KW_DURATION ? "off" :
					   "(default)");
			else
				buf_printf(out, "%u\n", v);
			break;
		}
		case KW_CHOICE: {
			unsigned v;
			const struct choice *c = k->choices;
			memcpy(&v, p, sizeof(v));
			while (c->word && c->value != v)
				c++;
			buf_printf(out, "%s\n", c->word ? c->word : "?");
			break;
		}
		case KW_RATE: {
			struct cfg_rate v;
			memcpy(&v, p, sizeof(v));
			if (v.count == 0)
				buf_printf(out, "off\n");
			else
				buf_printf(out, "%u/%s\n", v.count,
					   v.period == 60 ? "minute" :
					   v.period == 3600 ? "hour" : "day");
			break;
		}
		}
	}
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
	cfg_account_init(&acct);
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
				cfg_account_clear(&acct);
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
	acct.file = cfg->file;
	cfg->accounts = xreallocarray(cfg->accounts, cfg->count + 1,
				      sizeof(*cfg->accounts));
	cfg->accounts[cfg->count] = acct;
	return &cfg->accounts[cfg->count++];
}

/* One line (without its line end; not a comment or blank) into cfg.
 * *current is the account being defined (NULL: the defaults). An "eval"
 * line runs its command through env and parses the first output line in
 * its place (once: an eval may not produce another eval). */
static bool
parse_line(struct cfg *cfg, struct cfg_account **current, const char *start,
	   size_t n, unsigned line, const struct cfg_parse_env *env,
	   bool evaluated, struct mf_error *err)
{
	const char *file = cfg->file;
	char *keyword = NULL, *arg = NULL;
	const char *smsg = NULL;
	char msg[ERR_MSG_MAX];
	bool ok = true;

	for (size_t j = 0; j < n; j++) {
		unsigned char c = (unsigned char)start[j];
		if (c < 0x20 && c != '\t') {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s:%u: control character in line%s", file,
				line, evaluated ? " (from eval)" : "");
			return false;
		}
	}
	if (!split_line(start, n, &keyword, &arg, &smsg)) {
		err_set(err, EX_CONFIG, ERR_PERMANENT, "%s:%u: %s%s", file,
			line, smsg, evaluated ? " (from eval)" : "");
		return false;
	}
	msg[0] = '\0';
	if (strcmp(keyword, "eval") == 0) {
		char *out = NULL;
		struct mf_error eerr;
		if (evaluated) {
			snprintf(msg, sizeof(msg),
				 "eval produced another eval line");
			ok = false;
		} else if (*arg == '\0') {
			snprintf(msg, sizeof(msg), "eval needs a command");
			ok = false;
		} else if (env == NULL || env->eval == NULL) {
			snprintf(msg, sizeof(msg),
				 "eval is not allowed here");
			ok = false;
		} else if (!env->eval(env->eval_ctx, arg, &out, &eerr)) {
			snprintf(msg, sizeof(msg), "eval: %.400s", eerr.msg);
			ok = false;
		} else {
			size_t i = 0, m = strlen(out);
			if (m > LIMIT_CONFIG_LINE) {
				err_set(err, EX_CONFIG, ERR_PERMANENT,
					"%s:%u: eval: line longer than %u "
					"bytes", file, line,
					(unsigned)LIMIT_CONFIG_LINE);
				secret_free(out);
				free(keyword);
				secret_free(arg);
				return false;
			}
			while (i < m && is_blank(out[i]))
				i++;
			/* An empty output line is an empty line. */
			if (i < m && out[i] != '#')
				ok = parse_line(cfg, current, out, m, line,
						env, true, err);
			secret_free(out);
			free(keyword);
			secret_free(arg);
			return ok;
		}
	} else if (strcmp(keyword, "defaults") == 0) {
		if (*arg != '\0') {
			snprintf(msg, sizeof(msg),
				 "defaults takes no argument");
			ok = false;
		}
		*current = NULL;
	} else if (strcmp(keyword, "account") == 0) {
		*current = start_account(cfg, arg, line, msg, sizeof(msg));
		ok = *current != NULL;
	} else {
		ok = apply_setting(cfg, *current ? *current : &cfg->defaults,
				   keyword, arg, env ? env->home : NULL, msg,
				   sizeof(msg));
	}
	free(keyword);
	secret_free(arg);
	if (!ok)
		err_set(err, EX_CONFIG, ERR_PERMANENT, "%s:%u: %s%s", file,
			line, msg, evaluated ? " (from eval)" : "");
	return ok;
}

bool
cfg_parse_env(const char *text, size_t len, const char *file,
	      const struct cfg_parse_env *env, struct cfg *cfg,
	      struct mf_error *err)
{
	struct cfg_account *current = NULL; /* NULL: the defaults section */
	size_t pos = 0;
	unsigned line = 0;

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
		size_t i = 0;

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
		if (!parse_line(cfg, &current, start, n, line, env, false,
				err))
			return false;
	}
	return true;
}

bool
cfg_parse(const char *text, size_t len, const char *file, struct cfg *cfg,
	  struct mf_error *err)
{
	return cfg_parse_env(text, len, file, NULL, cfg, err);
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

/* LMTP has no IANA port, and msmtp sets no default for it (old versions
 * looked "lmtp" up in the services database; current ones stop with
 * "port not set"). 2003 is the port commonly listed there for lmtp; never
 * 25, where LMTP must not be used (RFC 2033 5). */
unsigned
cfg_account_port(const struct cfg_account *acct)
{
	if (acct->port)
		return acct->port;
	if (acct->protocol == CFG_PROTOCOL_LMTP)
		return 2003;
	if (acct->tls && !acct->tls_starttls)
		return 465;
	return 25;
}
