/* tests/fuzz/fuzz_queue.c: libFuzzer target for the queue envelope parser.
 * Every input must parse or be refused with EX_DATAERR; an accepted
 * envelope must format again, and that text must parse to an equal entry
 * and format to the same bytes (the format is canonical). */
#include "config.h"

#include "queue/queue.h"
#include "util/buf.h"
#include "util/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
entry_equal(const struct queue_entry *a, const struct queue_entry *b)
{
	if (strcmp(a->id, b->id) != 0 || !str_eq(a->account, b->account) ||
	    !str_eq(a->sender, b->sender) || a->created != b->created ||
	    a->next_attempt != b->next_attempt || a->attempts != b->attempts ||
	    !str_eq(a->last_error, b->last_error) || a->held != b->held ||
	    a->eight_bit != b->eight_bit || a->warned != b->warned ||
	    !str_eq(a->dsn_notify, b->dsn_notify) ||
	    !str_eq(a->dsn_ret, b->dsn_ret) ||
	    !str_eq(a->dsn_envid, b->dsn_envid) ||
	    a->rcpt_count != b->rcpt_count)
		return false;
	for (size_t i = 0; i < a->rcpt_count; i++)
		if (!str_eq(a->rcpts[i].addr, b->rcpts[i].addr) ||
		    a->rcpts[i].state != b->rcpts[i].state ||
		    !str_eq(a->rcpts[i].error, b->rcpts[i].error))
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_entry e, again;
	struct mf_error err;
	struct buf out, out2;

	queue_entry_init(&e);
	queue_entry_init(&again);
	buf_init(&out, 32u << 20);
	buf_init(&out2, 32u << 20);
	err_clear(&err);
	if (!queue_env_parse((const char *)data, size, &e, &err)) {
		if (err.exit_code != EX_DATAERR || e.rcpt_count != 0)
			abort();
		goto out;
	}
	if (e.sender == NULL || e.rcpt_count == 0 || e.id[0] == '\0' ||
	    e.size != 0)
		abort();
	if (!queue_env_format(&e, &out, &err))
		abort(); /* everything parse accepts must format */
	if (!queue_env_parse(out.data, out.len, &again, &err))
		abort();
	if (!entry_equal(&e, &again))
		abort();
	if (!queue_env_format(&again, &out2, &err))
		abort();
	if (out.len != out2.len || memcmp(out.data, out2.data, out.len) != 0)
		abort();
out:
	buf_clear(&out2);
	buf_clear(&out);
	queue_entry_clear(&again);
	queue_entry_clear(&e);
	return 0;
}
