/* tests/fuzz/fuzz_address.c: libFuzzer target for address/address.c.
 *
 * Runs addr_list_parse() on the raw, counted bytes and addr_parse_mailbox()
 * on a terminated copy, then checks what the envelope relies on: every
 * address is non-empty (only the mailbox parser may return "" for "<>"),
 * holds no control byte (so no CR, LF or NUL), and fits LIMIT_ADDRESS;
 * errors are EX_DATAERR and permanent with a message. Each result must
 * also be a fixed point: read again by either parser, an address comes
 * back unchanged. Any violation aborts.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc -I<config.h dir>
 *        tests/fuzz/fuzz_address.c src/address/address.c src/util/alloc.c
 *        src/util/buf.c src/util/error.c
 * Seeds: tests/fuzz/corpus/address/ */
#include "config.h"

#include "address/address.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_error(const struct mf_error *err)
{
	if (err->exit_code != EX_DATAERR || err->cls != ERR_PERMANENT ||
	    err->msg[0] == '\0')
		abort();
}

/* The shape every envelope address must have. */
static void
check_shape(const char *addr, bool may_be_empty)
{
	size_t len = strlen(addr);

	if (len == 0 && !may_be_empty)
		abort();
	if (len > LIMIT_ADDRESS)
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c < 0x20 || c == 0x7f)
			abort();
	}
}

/* An output address read again by both parsers yields itself. */
static void
check_fixed_point(const char *addr)
{
	struct addr_list again;
	struct mf_error err;
	char *out = NULL;

	if (addr[0] == '\0')
		return;
	err_clear(&err);
	if (!addr_parse_mailbox(addr, &out, &err) || strcmp(out, addr) != 0)
		abort();
	free(out);
	addr_list_init(&again);
	if (!addr_list_parse(addr, strlen(addr), &again, &err) ||
	    again.count != 1 || strcmp(again.addrs[0], addr) != 0)
		abort();
	addr_list_clear(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list list;
	struct mf_error err;
	char *copy;
	char *mailbox = NULL;

	/* Counted input, exactly as the fuzzer hands it over. */
	addr_list_init(&list);
	err_clear(&err);
	if (addr_list_parse((const char *)data, size, &list, &err)) {
		if (err_isset(&err))
			abort();
	} else {
		check_error(&err);
	}
	if (list.count > LIMIT_RECIPIENTS)
		abort();
	for (size_t i = 0; i < list.count; i++) {
		check_shape(list.addrs[i], false);
		check_fixed_point(list.addrs[i]);
	}
	addr_list_clear(&list);

	/* The command-line reader sees a C string. */
	copy = xmemdup0(data, size);
	err_clear(&err);
	if (addr_parse_mailbox(copy, &mailbox, &err)) {
		check_shape(mailbox, true);
		check_fixed_point(mailbox);
		free(mailbox);
	} else {
		check_error(&err);
		if (mailbox != NULL)
			abort();
	}
	free(copy);
	return 0;
}
