/* tests/fuzz/fuzz_config.c: libFuzzer target for config/parse.c.
 *
 * cfg_parse() on the raw, counted bytes, then cfg_select() for the default
 * account, for every account by name and for a name that does not exist,
 * cfg_account_port() on each, and cfg_clear(). Checked on every run:
 *  - errors are EX_CONFIG, permanent, "fuzz.conf:LINE: ..." for parse
 *    errors and "fuzz.conf: ..." for a missing account;
 *  - every account has a name, names are unique and cfg_select finds each
 *    one by name; ports are 1..65535 or unset, the timeout 0..86400;
 *  - no value holds a control character other than a tab (so no CR, LF
 *    or NUL can reach a header or an SMTP command).
 * Any violation aborts.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc -I.
 *        tests/fuzz/fuzz_config.c src/config/parse.c src/util/alloc.c
 *        src/util/buf.c src/util/error.c src/util/secret.c
 * Seeds: tests/fuzz/corpus/config/ */
#include "config.h"

#include "config/config.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_value(const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 && c != '\t')
			abort();
	}
}

static void
check_account(const struct cfg_account *a)
{
	unsigned port = cfg_account_port(a);

	if (a->port > 65535 || port == 0 || port > 65535)
		abort();
	if (a->port != 0 && port != a->port)
		abort();
	if (a->timeout > 86400)
		abort();
	check_value(a->name);
	check_value(a->host);
	check_value(a->tls_trust_file);
	check_value(a->auth);
	check_value(a->user);
	check_value(a->password);
	check_value(a->from);
	check_value(a->domain);
	if (a->host != NULL && a->host[0] == '\0')
		abort();
	if (a->domain != NULL && a->domain[0] == '\0')
		abort();
}

static void
check_error(const struct mf_error *err, const char *prefix)
{
	if (err->exit_code != EX_CONFIG || err->cls != ERR_PERMANENT ||
	    strncmp(err->msg, prefix, strlen(prefix)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg cfg;
	struct mf_error err;
	const struct cfg_account *a;

	cfg_init(&cfg);
	err_clear(&err);
	if (!cfg_parse((const char *)data, size, "fuzz.conf", &cfg, &err)) {
		check_error(&err, "fuzz.conf:");
		/* "fuzz.conf:" then a line number then ": " */
		if (err.msg[10] < '1' || err.msg[10] > '9')
			abort();
		cfg_clear(&cfg);
		return 0;
	}
	if (err_isset(&err))
		abort();

	check_account(&cfg.defaults);
	for (size_t i = 0; i < cfg.count; i++) {
		const struct cfg_account *acct = &cfg.accounts[i];

		if (acct->name == NULL || acct->name[0] == '\0' ||
		    strpbrk(acct->name, " \t,:") != NULL)
			abort();
		check_account(acct);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg.accounts[j].name, acct->name) == 0)
				abort();
		a = cfg_select(&cfg, acct->name, &err);
		if (a != acct)
			abort();
	}

	err_clear(&err);
	a = cfg_select(&cfg, NULL, &err);
	if (a == NULL) {
		check_error(&err, "fuzz.conf: ");
		if (cfg.defaults.host != NULL)
			abort();
	} else if (a != &cfg.defaults &&
		   strcmp(a->name, "default") != 0) {
		abort();
	}

	err_clear(&err);
	a = cfg_select(&cfg, "no such account: has blanks", &err);
	if (a != NULL)
		abort();
	check_error(&err, "fuzz.conf: no account ");

	cfg_clear(&cfg);
	if (cfg.count != 0 || cfg.accounts != NULL || cfg.file != NULL)
		abort();
	return 0;
}
