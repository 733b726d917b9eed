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
 * (a failure notice to the sender, else ~/dead.letter with the reason).
 * An account with a rate_limit sends only while its ledger has room;
 * the rest waits, next attempt at the time a slot frees (not counted as
 * an attempt). A message waiting longer than its account's delay_warning
 * (due or not, not expired, not from <>) gets one delay notice to the
 * sender. Notices go out in the same run, over the account's connection
 * when one is open. Messages another process is delivering are skipped.
 * Failures of single messages are reported on stderr, not returned.
 * Errors: only what stops the whole run (the queue cannot be listed). */
struct flush_select {
	const char *id;     /* -qI: only this message */
	const char *rcpt;   /* -qR: a pending recipient contains this */
	const char *sender; /* -qS: the sender contains this */
};
/* sel (NULL: every message) narrows the run; the texts match without
 * regard to case, as sendmail's -qR and -qS do. */
bool flush_run(const struct cfg *cfg, struct queue *q, bool force,
	       const struct flush_select *sel, struct mf_error *err);

/* After a direct delivery on ds succeeded: deliver the account's due
 * queued messages over the same connection (within the rate limit), and
 * the failure notices that makes. Best effort. */
void flush_account(const struct cfg *cfg, const struct cfg_account *acct,
		   struct queue *q, struct deliver_session *ds);

/* Direct delivery: may acct send one more message now under its
 * rate_limit? The ledger is the one in acct's queue directory
 * (flush_queue_path; created when missing, only for an account with a
 * limit). True: yes, and the send is counted; *stamp is the reservation
 * (0: the account has no limit, nothing counted). When the attempt then
 * gets no recipient accepted and no permanent refusal, give it back with
 * flush_rate_return(acct, *stamp). False: not now; queue the message with
 * next attempt *retry_at (always > 0 then). err says why: "rate limit
 * 2/hour reached" (EX_TEMPFAIL, temporary), or "rate limit: ..." when
 * the ledger could not be used (the queue's errors; *retry_at is then 5
 * minutes on: nothing goes out uncounted). */
bool flush_rate_admit(const struct cfg_account *acct, long long *stamp,
		      long long *retry_at, struct mf_error *err);

/* Give back a reservation of flush_rate_admit (stamp 0: nothing).
 * Best effort: a failure is logged. */
void flush_rate_return(const struct cfg_account *acct, long long stamp);

#endif
