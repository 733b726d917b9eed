/* account.h: the account a message is sent with, as it finally applies:
 * configuration files read, the account chosen (-a, the sender matched
 * against each account's from, else the default), the command line's
 * settings applied on top, msmtp's %U %H %C %M substituted. */
#ifndef MF_ACCOUNT_H
#define MF_ACCOUNT_H

#include <stdbool.h>

#include "config/config.h"

struct addr_list;
struct aliases;
struct cli_options;
struct mf_error;

struct account {
	struct cfg cfg;           /* the files as read */
	struct cfg_account acct;  /* the effective account (a copy) */
	struct cfg_facts facts;
	char *sender;             /* the account's own envelope sender
				     (auto_from, or from when not a
				     pattern), or NULL */
	struct aliases *aliases;  /* the aliases file, or NULL */
};

/* Set up a: sender_hint is the envelope sender the caller named (-f,
 * MAIL FROM, or From with --read-envelope-from), used to pick the
 * account by its from; NULL when none. With --host no file is read and
 * the account is made from the command line alone (as msmtp does).
 * Errors: EX_CONFIG (files, no such account), EX_USAGE (a bad --option
 * value). */
bool account_setup(const struct cli_options *opts, const char *sender_hint,
		   struct account *a, struct mf_error *err);
void account_clear(struct account *a);

/* The domain for bare names ("root"): maildomain, else the host's
 * canonical or plain name when it has a dot; NULL when there is none. */
const char *account_local_domain(const struct account *a);

/* addr with "@" and the local domain added when it has no domain (and
 * there is a local domain); "" (the null sender) stays. Owned by the
 * caller. */
char *account_qualify(const struct account *a, const char *addr);

/* Read the account's aliases file (when it names one) into a->aliases.
 * Errors: EX_CONFIG ("FILE:LINE: ..." or the file cannot be read). */
bool account_load_aliases(struct account *a, struct mf_error *err);

/* Qualify the bare names in the address fields of the header (From,
 * Sender, Reply-To, To, Cc and their Resent- forms): in To and Cc a name
 * the aliases file maps to one address becomes that address; any other
 * bare name gets the local domain. Fields without bare names stay byte for byte.
 * Errors: EX_DATAERR (a field that does not parse). */
struct msg_headers;
bool account_qualify_headers(const struct account *a, struct msg_headers *h,
			     struct mf_error *err);

/* Replace the recipients in list by what the account's aliases file
 * makes of them, and qualify bare names. Errors: EX_CONFIG (the aliases
 * file), EX_DATAERR. */
bool account_recipients(const struct account *a, struct addr_list *list,
			struct mf_error *err);

#endif
