/* submit.h: the sendmail mode: read a message, work out its envelope,
 * repair its headers, relay it (or queue it). The message comes from
 * standard input (submit_run) or, for -bs, from the SMTP dialogue
 * (submission_new/write/send). */
#ifndef MF_SUBMIT_H
#define MF_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>

struct cli_options;
struct mf_error;

/* Run the whole submission with in_fd as the message. Returns true when
 * the smarthost accepted the message for every recipient or it is safely
 * queued. On false, err says why (the first failure; the others are
 * warned about on stderr). */
bool submit_run(const struct cli_options *opts, int in_fd,
		struct mf_error *err);

/* Where a message goes. */
struct submit_envelope {
	const char *sender;   /* -bs MAIL FROM; NULL: -f, config, From */
	char *const *rcpts;   /* command line or RCPT TO (address lists) */
	size_t rcpt_count;
	bool read_recipients; /* -t: To, Cc and Bcc too */
};

/* What became of it. */
struct submit_outcome {
	bool queued;          /* (some recipients of) it wait in the queue */
	char queue_id[64];    /* then its queue id */
	size_t delivered, deferred, failed; /* recipients */
};

struct submission;

/* A message to be read: dot_ends is sendmail's mode without -i (a lone
 * "." ends it, a leading ".." is one dot). Errors: the spool's. */
struct submission *submission_new(bool dot_ends, struct mf_error *err);
void submission_free(struct submission *s);

/* Feed message bytes. After an error the submission can only be freed. */
bool submission_write(struct submission *s, const char *p, size_t len,
		      struct mf_error *err);

/* True once a lone "." ended the message (dot_ends). */
bool submission_complete(const struct submission *s);

/* The message is complete: configuration, envelope, header repair,
 * delivery or queueing. Once per submission. res is always filled.
 * Returns as submit_run. */
bool submission_send(struct submission *s, const struct cli_options *opts,
		     const struct submit_envelope *env,
		     struct submit_outcome *res, struct mf_error *err);

#endif
