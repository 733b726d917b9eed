/* config/config.h: the msmtprc-compatible configuration.
 *
 * File format (msmtp's, see doc/mailferry.1): one "keyword argument" per
 * line; lines whose first non-blank is "#" are comments; an argument may be
 * double-quoted with \" and \\ escapes; "defaults" starts settings that every
 * later account inherits; "account NAME [: PARENT[,PARENT...]]" starts an
 * account that first copies the defaults, then each parent in order, then
 * its own lines. "account default : NAME" names the default account. */
#ifndef MF_CONFIG_CONFIG_H
#define MF_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;

/* Header repair switches with msmtp's values. */
enum cfg_repair {
	CFG_REPAIR_AUTO = 0, /* add the field when it is missing (default) */
	CFG_REPAIR_ON,       /* always set it (From: replace an existing one) */
	CFG_REPAIR_OFF,      /* leave the header alone */
};

enum cfg_delivery {
	CFG_DELIVERY_DIRECT = 0, /* try now; queue on a temporary failure */
	CFG_DELIVERY_QUEUE,      /* queue at once, deliver in the background */
};

/* One account: every keyword's value. Which keywords an account set
 * itself is kept in `set`, one bit per entry of the keyword table in
 * parse.c, so that inheritance copies exactly those. */
struct cfg_account {
	char *name;
	char *host;
	unsigned port;          /* 0: 465 with implicit TLS, else 25 */
	bool tls;
	bool tls_starttls;      /* default on */
	char *tls_trust_file;   /* NULL or "system": the system store */
	bool tls_certcheck;     /* default on */
	char *auth;             /* "off" (default), "on", or a mechanism */
	char *user;
	char *password;         /* secret: wiped on release */
	char *from;
	char *from_full_name;   /* display name for an added From */
	char *domain;           /* EHLO name, Message-ID domain */
	unsigned timeout;       /* seconds for every network wait; 0: none */
	unsigned set_from_header;  /* enum cfg_repair, default auto */
	unsigned set_date_header;  /* auto or off */
	unsigned set_msgid_header; /* auto or off */
	bool remove_bcc_headers;   /* default on */
	bool undisclosed_recipients; /* To/Cc/Bcc -> To: undisclosed-... */
	bool encode_headers;       /* RFC 2047 for raw 8-bit text; on */
	unsigned delivery;         /* enum cfg_delivery */
	char *queue_dir;           /* NULL: the per-user default */
	unsigned queue_lifetime;   /* seconds a message may wait; 5 days */
	unsigned long long set; /* own settings, one bit per keyword */
	unsigned line;          /* where it was defined, for messages */
};

struct cfg {
	char *file;                  /* name used in messages */
	struct cfg_account defaults; /* the "defaults" section */
	struct cfg_account *accounts;
	size_t count;
	bool has_password;           /* some line set a password */
};

void cfg_init(struct cfg *cfg);
void cfg_clear(struct cfg *cfg);

/* Parse the text of a configuration file (counted; NUL is an error) into
 * cfg, which must be freshly initialised. file names the source in
 * messages. Pure: no I/O.
 * Errors: EX_CONFIG, permanent, "FILE:LINE: what is wrong". */
bool cfg_parse(const char *text, size_t len, const char *file,
	       struct cfg *cfg, struct mf_error *err);

/* Read and parse a file. Refuses a file that sets a password and can be
 * read by group or others (system: by others), or is not owned by the
 * user. Errors: EX_CONFIG (syntax, permissions), EX_NOINPUT (missing). */
bool cfg_load(const char *path, bool system_file, struct cfg *cfg,
	      struct mf_error *err);

/* The first configuration that exists: cli_file (-C) when given, else
 * $XDG_CONFIG_HOME/mailferry/config (or ~/.config/mailferry/config),
 * ~/.mailferryrc, then the system file SYSCONFDIR/mailferry.conf.
 * Errors: as cfg_load; EX_CONFIG naming the places when none exists, and
 * then *none (when not NULL) is set to true. */
bool cfg_load_default(const char *cli_file, struct cfg *cfg, bool *none,
		      struct mf_error *err);

/* Pick the account: name when given (-a), else "default", else the
 * defaults section when it names a host. Result borrowed from cfg.
 * Errors: EX_CONFIG. */
const struct cfg_account *cfg_select(const struct cfg *cfg, const char *name,
				     struct mf_error *err);

/* The port to connect to: the configured one, else 465 for implicit TLS,
 * else 25 (msmtp's defaults). */
unsigned cfg_account_port(const struct cfg_account *acct);

#endif
