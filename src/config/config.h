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

enum cfg_protocol {
	CFG_PROTOCOL_SMTP = 0,
	CFG_PROTOCOL_LMTP,
};

enum cfg_dsn_return {
	CFG_DSN_RETURN_OFF = 0, /* let the server decide */
	CFG_DSN_RETURN_HEADERS,
	CFG_DSN_RETURN_FULL,
};

/* rate_limit: at most count messages per period seconds; count 0: none. */
struct cfg_rate {
	unsigned count;
	unsigned period;
};

/* One account: every keyword's value. Which keywords an account set
 * itself is kept in `set`, one bit per entry of the keyword table in
 * parse.c, so that inheritance copies exactly those. File names have a
 * leading "~/" expanded when the parser was given a home directory. */
struct cfg_account {
	char *name;
	/* connection */
	char *host;
	unsigned port;          /* 0: the default (cfg_account_port) */
	char *source_ip;        /* bind address, or NULL */
	char *proxy_host;       /* SOCKS5 proxy, or NULL */
	unsigned proxy_port;    /* 0: 1080 */
	char *socket;           /* UNIX socket instead of host/port, or NULL */
	unsigned timeout;       /* seconds for every network wait; 0: none */
	unsigned protocol;      /* enum cfg_protocol */
	char *domain;           /* EHLO name, Message-ID domain (%H %C %M) */
	/* TLS */
	bool tls;
	bool tls_starttls;      /* default on */
	char *tls_trust_file;   /* NULL or "system": the system store */
	char *tls_crl_file;
	char *tls_fingerprint;  /* "AB:CD:..." SHA-256 (or SHA-1, MD5) */
	char *tls_key_file;
	char *tls_cert_file;
	bool tls_certcheck;     /* default on */
	char *tls_priorities;   /* GnuTLS priority string, or NULL */
	char *tls_host_override;
	unsigned tls_min_dh_prime_bits; /* 0: library default */
	/* authentication */
	char *auth;             /* "off" (default), "on", or a mechanism */
	char *user;
	char *password;         /* secret: wiped on release */
	char *passwordeval;     /* command printing the password, or NULL */
	bool auth_cleartext;    /* PLAIN, LOGIN and tokens may go without
				   TLS (default off: refused) */
	bool chunking;          /* BDAT (RFC 3030) when the server offers
				   CHUNKING; default off (measured: no
				   gain over DATA) */
	char *ntlmdomain;       /* accepted for msmtp files; unused */
	/* envelope and headers */
	char *from;             /* envelope sender; %U %H %C %M; a pattern */
	char *from_full_name;   /* display name for an added From */
	bool allow_from_override; /* -f wins over from (default on) */
	bool auto_from;         /* obsolete: from = %U@maildomain */
	char *maildomain;       /* domain for bare names and auto_from */
	char *aliases;          /* aliases file, or NULL */
	char *dsn_notify;       /* NULL (off), "NEVER" or "FAILURE,DELAY,.." */
	unsigned dsn_return;    /* enum cfg_dsn_return */
	unsigned set_from_header;  /* enum cfg_repair, default auto */
	unsigned set_date_header;  /* auto or off */
	unsigned set_msgid_header; /* auto or off */
	unsigned set_to_header;    /* auto or off (default): To for a
				      message with no To or Cc */
	bool remove_bcc_headers;   /* default on */
	bool undisclosed_recipients; /* To/Cc/Bcc -> To: undisclosed-... */
	bool encode_headers;       /* RFC 2047 for raw 8-bit text; on */
	bool from_reply_to;        /* set_from_header on keeps the old From
				      in Reply-To when there is none */
	/* logging */
	char *logfile;             /* NULL: none; "-": standard output */
	char *logfile_time_format; /* strftime; NULL: "%b %d %H:%M:%S" */
	char *syslog;              /* NULL: off; else "LOG_MAIL" etc. */
	/* queue (mailferry's own) */
	unsigned delivery;         /* enum cfg_delivery */
	char *queue_dir;           /* NULL: the per-user default */
	char *fallback;            /* accounts to try, in order, when this
				      one fails temporarily; or NULL */
	unsigned queue_lifetime;   /* seconds a message may wait; 5 days */
	unsigned delay_warning;    /* seconds before a delay notice; 0: off */
	struct cfg_rate rate_limit;
	unsigned long long set; /* own settings, one bit per keyword */
	unsigned line;          /* where it was defined, for messages */
	const char *file;       /* where it was defined (borrowed) */
};

struct cfg {
	char *file;                  /* name used in messages */
	char *system_file;           /* set when merged with a system file */
	struct cfg_account defaults; /* the "defaults" section */
	struct cfg_account *accounts;
	size_t count;
	bool has_password;           /* some line set a password */
};

void cfg_init(struct cfg *cfg);
/* An account with msmtp's defaults; cfg_account_clear releases it (and
 * wipes the password) and leaves it as cfg_account_init does. */
void cfg_account_init(struct cfg_account *a);
void cfg_account_clear(struct cfg_account *a);
void cfg_clear(struct cfg *cfg);

/* What the parser needs from outside: a home directory for "~/" in file
 * names, and a way to run the command of an "eval" line (its first output
 * line replaces the line). Either may be NULL/absent: then "~" stays as
 * written and "eval" is an error. */
struct cfg_parse_env {
	const char *home;
	/* Run cmd; *line (owned by the caller) is its first output line.
	 * Errors: EX_CONFIG with the reason. */
	bool (*eval)(void *ctx, const char *cmd, char **line,
		     struct mf_error *err);
	void *eval_ctx;
};

/* Parse the text of a configuration file (counted; NUL is an error) into
 * cfg, which must be freshly initialised. file names the source in
 * messages. Pure apart from env->eval. env may be NULL.
 * Errors: EX_CONFIG, permanent, "FILE:LINE: what is wrong". */
bool cfg_parse_env(const char *text, size_t len, const char *file,
		   const struct cfg_parse_env *env, struct cfg *cfg,
		   struct mf_error *err);
bool cfg_parse(const char *text, size_t len, const char *file,
	       struct cfg *cfg, struct mf_error *err);

/* Apply one setting from outside a file (msmtp's long options:
 * "--tls-trust-file=F" is cfg_set(cfg, a, "tls-trust-file", "F")); '-'
 * in keyword means '_'. Errors: EX_USAGE naming the option. */
bool cfg_set(struct cfg *cfg, struct cfg_account *a, const char *keyword,
	     const char *arg, struct mf_error *err);

/* Whether keyword (with '-' or '_') is a configuration keyword, so the
 * command line can accept "--KEYWORD[=VALUE]" for it. */
bool cfg_is_keyword(const char *keyword);

/* Copy every value of src into dst (freshly initialised or cleared). */
void cfg_account_copy(struct cfg_account *dst, const struct cfg_account *src);

/* Print the effective settings of acct, one "keyword = value" per line,
 * with the password masked (for --pretend). */
struct buf;
void cfg_account_describe(const struct cfg_account *acct, struct buf *out);

/* Read and parse a file. Refuses a file that sets a password and can be
 * read by group or others (system: by others), or is not owned by the
 * user. Errors: EX_CONFIG (syntax, permissions), EX_NOINPUT (missing). */
bool cfg_load(const char *path, bool system_file, struct cfg *cfg,
	      struct mf_error *err);

/* The configuration: the system file SYSCONFDIR/mailferry.conf and the
 * user's (cli_file (-C) when given, else $XDG_CONFIG_HOME/mailferry/config
 * (or ~/.config/mailferry/config), else ~/.mailferryrc), merged.
 * Errors: as cfg_load; EX_CONFIG naming the places when none exists, and
 * then *none (when not NULL) is set to true. */
bool cfg_load_default(const char *cli_file, struct cfg *cfg, bool *none,
		      struct mf_error *err);

/* As cfg_load_default with the system file at system_path: the system
 * file and the user's file (cli_file, else the first of the user files
 * that exists) are both read, and the user's accounts override the
 * system's of the same name, as msmtp does. A system file this user may
 * not read is skipped when the user has a file. */
bool cfg_load_files(const char *cli_file, const char *system_path,
		    struct cfg *cfg, bool *none, struct mf_error *err);

/* The user's file: cli_file when not NULL, else the first that exists of
 * $XDG_CONFIG_HOME/mailferry/config (or ~/.config/mailferry/config) and
 * ~/.mailferryrc, written into path; NULL when there is none. */
const char *cfg_user_file(const char *cli_file, char *path, size_t size);

/* SYSCONFDIR/mailferry.conf, or $MAILFERRY_SYSTEM_CONFIG in a program
 * without privileges (for the test suite). */
const char *cfg_system_file(void);

/* Seconds an "eval" or "passwordeval" command may run. */
#define CFG_EVAL_TIMEOUT 30

/* Pick the account: name when given (-a), else "default", else the
 * defaults section when it names a host. Result borrowed from cfg.
 * Errors: EX_CONFIG. */
const struct cfg_account *cfg_select(const struct cfg *cfg, const char *name,
				     struct mf_error *err);

/* What msmtp's substitutions stand for: %U the user, %H the host name,
 * %C its canonical name, %M /etc/mailname. Empty when unknown (then %C
 * and %M fall back to the host name). */
struct cfg_facts {
	char user[256];
	char host[256];
	char canonical[256];
	char mailname[256];
};

/* Fill f from the environment ($USER, $LOGNAME, else the password
 * database; $HOSTNAME, else gethostname(); /etc/mailname). The canonical
 * name needs a resolver query: only when want_canonical. */
void cfg_facts_gather(struct cfg_facts *f, bool want_canonical);

/* text with %U, %H, %C, %M and %% replaced. Owned by the caller. */
char *cfg_expand(const char *text, const struct cfg_facts *f);

/* Whether a from value is a shell pattern (has ?, * or [): then it is
 * only used to choose the account for a given sender. */
bool cfg_from_is_pattern(const char *from);

/* Pick the account: name (-a) when given; else the first account whose
 * from (expanded; a pattern or an address, case-insensitive) matches
 * sender, when sender is not NULL; else as cfg_select. Borrowed. */
const struct cfg_account *cfg_select_for(const struct cfg *cfg,
					 const char *name, const char *sender,
					 const struct cfg_facts *f,
					 struct mf_error *err);

/* The envelope sender the account itself gives (auto_from: user@
 * maildomain; else from expanded, unless it is a pattern), or NULL.
 * Owned by the caller. */
char *cfg_account_sender(const struct cfg_account *a,
			 const struct cfg_facts *f);

/* The port to connect to: the configured one, else 2003 for LMTP (msmtp
 * sets none; never 25, RFC 2033 5), 465 for implicit TLS, else 25. */
unsigned cfg_account_port(const struct cfg_account *acct);

#endif
