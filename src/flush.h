/* flush.h: queue runs (mailferry -q) and the queue's place on disk. */
#ifndef MF_FLUSH_H
#define MF_FLUSH_H

#include <stdbool.h>
#include <stddef.h>

struct cfg;
struct cfg_account;
struct deliver_session;
struct mf_error;
struct queue;

/* The queue directory for an account: its queue_dir, else
 * $XDG_STATE_HOME/mailferry/queue, else ~/.local/state/mailferry/queue.
 * False when none can be named (no HOME). */
bool flush_queue_path(const struct cfg_account *acct, char *out,
		      size_t size);

/* Seconds to wait before the next attempt after `attempts` failed ones:
 * 5 minutes, doubling, at most 4 hours, with +-10% jitter. */
long long flush_retry_delay(unsigned attempts);

/* Deliver what is due in q (everything not held when force), grouped by
 * account so that each account's messages share one connection (RSET
 * between them). Accepted recipients are never sent again; 4xx keep a
 * recipient queued with exponential back-off; 5xx and expiry end it
 * (the message is appended to ~/dead.letter with the reason). Messages
 * another process is delivering are skipped. Failures of single messages
 * are reported on stderr, not returned. Errors: only what stops the whole
 * run (the queue cannot be listed). */
bool flush_run(const struct cfg *cfg, struct queue *q, bool force,
	       struct mf_error *err);

/* After a direct delivery on ds succeeded: deliver the account's due
 * queued messages over the same connection. Best effort. */
void flush_account(const struct cfg *cfg, const struct cfg_account *acct,
		   struct queue *q, struct deliver_session *ds);

#endif
