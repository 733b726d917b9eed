/* mailq.h: listing and managing the queue from the command line. */
#ifndef MF_MAILQ_H
#define MF_MAILQ_H

#include <stdbool.h>
#include <stdio.h>

struct mf_error;
struct queue;

/* Print the queue like Postfix's mailq: id, size, arrival, sender, then
 * the pending recipients and the last error; "Mail queue is empty". */
bool mailq_print(struct queue *q, FILE *out, struct mf_error *err);

/* --queue-remove ID: delete a queued message (under its lock).
 * Errors: EX_NOINPUT (no such message), EX_TEMPFAIL (being delivered). */
bool mailq_remove(struct queue *q, const char *id, struct mf_error *err);

/* --queue-hold ID / --queue-release ID. */
bool mailq_hold(struct queue *q, const char *id, bool hold,
		struct mf_error *err);

#endif
