/* queue/rate.h: the rate limit ledger. Providers cap how many messages an
 * account may send (Gmail and Naver: about 500 a day); mailferry counts
 * its own sends per account in the queue directory so that the excess
 * stays queued instead of being refused by the provider.
 *
 * Q/rate/NAME (NAME: the account name, "default" for the default
 * account; bytes outside [0-9A-Za-z_.-] and a leading '.' written as
 * %XX) holds one decimal Unix time per line, the time of one send.
 * Every access holds flock(LOCK_EX) on that file, so concurrent
 * processes count correctly. A send appends a line; the file is
 * rewritten (Q/tmp + fsync + rename, pruned of entries older than the
 * period) when it holds more stale than live lines, and for a release.
 * A last line without LF (a torn append) and any line that is not a
 * number are ignored and dropped at the next rewrite. A time in the
 * future (the clock was set back) counts as now.
 *
 * The period is a sliding window: a send at time t counts until
 * t + period. Module queue: knows nothing of the configuration. */
#ifndef MF_QUEUE_RATE_H
#define MF_QUEUE_RATE_H

#include <stdbool.h>

struct mf_error;
struct queue;

/* Reserve one send in the ledger of account name (NULL: the default
 * account) under a limit of count sends per period seconds, at time now
 * (Unix seconds). Returns true and:
 *   *granted true: the send is recorded at now (rate_release(now) gives
 *     it back when it did not happen); *retry_at is 0. count 0 (no
 *     limit) always grants and records nothing.
 *   *granted false: count sends already fall in the window; nothing is
 *     recorded and *retry_at is the first time a slot frees (> now).
 * Returns false when the ledger cannot be read or written; err:
 * EX_CANTCREAT, EX_IOERR, EX_NOPERM or EX_DATAERR (the file is over
 * its ceiling), all local. q is borrowed. */
bool rate_reserve(struct queue *q, const char *name, unsigned count,
		  unsigned period, long long now, bool *granted,
		  long long *retry_at, struct mf_error *err);

/* As rate_reserve, but records nothing (and creates nothing): whether a
 * send would be granted now, else *retry_at. Errors as rate_reserve. */
bool rate_check(struct queue *q, const char *name, unsigned count,
		unsigned period, long long now, bool *granted,
		long long *retry_at, struct mf_error *err);

/* Give back a reservation made at time when (the now given to
 * rate_reserve): one entry with exactly that time is removed, if there
 * still is one. Errors as rate_reserve. */
bool rate_release(struct queue *q, const char *name, long long when,
		  struct mf_error *err);

#endif
