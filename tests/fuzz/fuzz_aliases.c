/* tests/fuzz/fuzz_aliases.c: libFuzzer target for address/aliases.c and
 * address/qualify.c.
 *
 * 1. Parses the raw, counted bytes as an aliases file. An error must be
 *    EX_CONFIG, permanent, "fuzz:LINE: ...". On success it expands a few
 *    fixed names and the names of the first lines of the input into one
 *    list: errors must be EX_CONFIG (depth, size) or EX_DATAERR (too many
 *    recipients), and the list must hold no duplicate and only addresses
 *    of the shape the envelope needs (non-empty, no control byte, at most
 *    LIMIT_ADDRESS bytes).
 * 2. Runs addr_qualify() on the same bytes as the body of a header field.
 *    It must fail exactly when addr_list_parse() fails, with the same
 *    message; when it succeeds, the result read by addr_list_parse() must
 *    give the same addresses with "@example.org" after each bare name. A
 *    callback that never replaces must give the input back unchanged.
 * Any violation aborts.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc -I<config.h dir>
 *        tests/fuzz/fuzz_aliases.c src/address/aliases.c
 *        src/address/qualify.c src/address/address.c src/util/alloc.c
 *        src/util/buf.c src/util/error.c
 * Seeds: tests/fuzz/corpus/aliases/ */
#include "config.h"

#include "address/address.h"
#include "address/aliases.h"
#include "address/qualify.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const domains[] = { "localhost", "host.example", NULL };
static const char *const names[] = { "root", "postmaster", "ROOT@localhost",
				     "default", "x@elsewhere.example",
				     "\"a b\"", "nobody@Host.Example", NULL };

static void
check_shape(const char *addr)
{
	size_t len = strlen(addr);

	if (len == 0 || len > LIMIT_ADDRESS)
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c < 0x20 || c == 0x7f)
			abort();
	}
}

static void
expand_one(const struct aliases *a, const char *addr, struct addr_list *out)
{
	struct mf_error err;

	err_clear(&err);
	if (aliases_expand(a, addr, out, &err)) {
		if (err_isset(&err))
			abort();
		return;
	}
	if (err.cls != ERR_PERMANENT || err.msg[0] == '\0' ||
	    (err.exit_code != EX_CONFIG && err.exit_code != EX_DATAERR))
		abort();
}

/* Whether addr is one of the n names in fed. */
static bool
was_fed(char *const *fed, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fed[i], addr) == 0)
			return true;
	return false;
}

static void
fuzz_aliases(const char *text, size_t len)
{
	struct aliases *a = aliases_new(domains);
	struct addr_list out;
	struct mf_error err;
	char *fed[3];
	size_t nfed = 0, pos = 0;

	err_clear(&err);
	addr_list_init(&out);
	if (!aliases_parse(a, text, len, "fuzz", &err)) {
		if (err.exit_code != EX_CONFIG || err.cls != ERR_PERMANENT ||
		    strncmp(err.msg, "fuzz:", 5) != 0)
			abort();
		goto out;
	}
	for (size_t i = 0; names[i] != NULL; i++)
		expand_one(a, names[i], &out);
	/* The names of the first three lines, whatever they are. */
	for (int line = 0; line < 3 && pos < len; line++) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		const char *colon = memchr(start, ':', n);

		if (colon != NULL && colon > start &&
		    memchr(start, '\0', (size_t)(colon - start)) == NULL) {
			fed[nfed] = xmemdup0(start, (size_t)(colon - start));
			expand_one(a, fed[nfed], &out);
			nfed++;
		}
		pos += n + (nl ? 1 : 0);
	}
	/* No duplicates; what came from the file has the envelope's shape
	 * (a fed-in name that matches nothing comes back as it was). */
	for (size_t i = 0; i < out.count; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(out.addrs[i], out.addrs[j]) == 0)
				abort();
		if (!was_fed(fed, nfed, out.addrs[i]))
			check_shape(out.addrs[i]);
	}
out:
	for (size_t i = 0; i < nfed; i++)
		free(fed[i]);
	addr_list_clear(&out);
	aliases_free(a);
}

/* Qualify with "@example.org" when the result fits; ctx is a buffer. */
static const char *
qualify_example(void *ctx, const char *local)
{
	struct buf *b = ctx;

	buf_reset(b);
	if (strlen(local) + 12 > LIMIT_ADDRESS ||
	    !buf_append_str(b, local) || !buf_append_str(b, "@example.org"))
		return NULL;
	return buf_cstr(b);
}

static const char *
qualify_never(void *ctx, const char *local)
{
	(void)ctx;
	(void)local;
	return NULL;
}

/* Whether addr (addr_list_parse form) has a domain. */
static bool
has_domain(const char *addr)
{
	size_t i = 0;

	if (addr[0] == '"') {
		for (i = 1; addr[i] != '\0' && addr[i] != '"'; i++)
			if (addr[i] == '\\' && addr[i + 1] != '\0')
				i++;
		if (addr[i] == '"')
			i++;
		return addr[i] == '@';
	}
	return strchr(addr, '@') != NULL;
}

static void
fuzz_qualify(const char *text, size_t len)
{
	struct addr_list plain, again;
	struct mf_error perr, qerr;
	struct buf cb;
	char *out = NULL;
	size_t out_len = 0;
	bool pok, qok, changed = false;

	buf_init(&cb, 2 * LIMIT_ADDRESS);
	addr_list_init(&plain);
	addr_list_init(&again);
	err_clear(&perr);
	err_clear(&qerr);
	pok = addr_list_parse(text, len, &plain, &perr);
	qok = addr_qualify(text, len, qualify_example, &cb, &out, &out_len,
			   &changed, &qerr);
	if (pok != qok)
		abort();
	if (!qok) {
		if (out != NULL || strcmp(perr.msg, qerr.msg) != 0 ||
		    perr.exit_code != qerr.exit_code)
			abort();
		goto out;
	}
	if (out == NULL || strlen(out) != out_len)
		abort();
	if (!addr_list_parse(out, out_len, &again, &qerr) ||
	    again.count != plain.count)
		abort();
	for (size_t i = 0; i < plain.count; i++) {
		const char *p = plain.addrs[i];
		size_t plen = strlen(p);

		check_shape(again.addrs[i]);
		if (has_domain(p) || plen + 12 > LIMIT_ADDRESS) {
			if (strcmp(again.addrs[i], p) != 0)
				abort();
		} else if (strncmp(again.addrs[i], p, plen) != 0 ||
			   strcmp(again.addrs[i] + plen, "@example.org") != 0) {
			abort();
		}
	}
	if (!changed && (out_len != len || memcmp(out, text, len) != 0))
		abort();
	free(out);
	out = NULL;

	/* A callback that keeps everything gives the input back. */
	if (!addr_qualify(text, len, qualify_never, NULL, &out, &out_len,
			  &changed, &qerr) ||
	    changed || out_len != len || (len && memcmp(out, text, len) != 0))
		abort();
out:
	free(out);
	addr_list_clear(&again);
	addr_list_clear(&plain);
	buf_clear(&cb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_aliases((const char *)data, size);
	fuzz_qualify((const char *)data, size);
	return 0;
}
