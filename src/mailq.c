/* mailq.c: the queue as people see it: mailq / -bp and the
 * --queue-remove, --queue-hold and --queue-release commands. */
#include "config.h"

#include "mailq.h"

#include "queue/queue.h"
#include "util/error.h"

#include <time.h>

bool
mailq_print(struct queue *q, FILE *out, struct mf_error *err)
{
	struct queue_entry *entries = NULL;
	size_t count = 0;
	unsigned long long total = 0;

	if (!queue_list(q, &entries, &count, err))
		return false;
	if (count == 0) {
		fprintf(out, "Mail queue is empty\n");
		queue_entries_free(entries, count);
		return true;
	}
	fprintf(out, "%-43s %8s %-20s %s\n", "-Queue ID-", "--Size--",
		"----Arrival Time----", "-Sender/Recipient-------");
	for (size_t i = 0; i < count; i++) {
		const struct queue_entry *e = &entries[i];
		time_t created = (time_t)e->created;
		struct tm tm;
		char when[32];

		localtime_r(&created, &tm);
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm);
		fprintf(out, "%-42s%s %8llu %-20s %s\n", e->id,
			e->held ? "!" : " ", e->size, when,
			*e->sender ? e->sender : "MAILER-DAEMON");
		if (e->last_error)
			fprintf(out, "%54s(%s)\n", "", e->last_error);
		for (size_t r = 0; r < e->rcpt_count; r++)
			if (e->rcpts[r].state == QUEUE_RCPT_PENDING)
				fprintf(out, "%54s%s\n", "",
					e->rcpts[r].addr);
		fprintf(out, "\n");
		total += e->size;
	}
	fprintf(out, "-- %llu Kbytes in %zu Request%s.\n", (total + 1023) / 1024,
		count, count == 1 ? "" : "s");
	queue_entries_free(entries, count);
	return true;
}

bool
mailq_remove(struct queue *q, const char *id, struct mf_error *err)
{
	struct queue_entry e;
	int lock_fd = -1;
	bool ok;

	queue_entry_init(&e);
	ok = queue_lock(q, id, &e, &lock_fd, err);
	if (ok) {
		ok = queue_remove(q, id, err);
		queue_unlock(lock_fd);
	}
	queue_entry_clear(&e);
	return ok;
}

bool
mailq_hold(struct queue *q, const char *id, bool hold, struct mf_error *err)
{
	struct queue_entry e;
	int lock_fd = -1;
	bool ok;

	queue_entry_init(&e);
	ok = queue_lock(q, id, &e, &lock_fd, err);
	if (ok) {
		e.held = hold;
		ok = queue_update(q, &e, err);
		queue_unlock(lock_fd);
	}
	queue_entry_clear(&e);
	return ok;
}
