/* queue/queue.h: the durable queue. A message waits here when it could
 * not be delivered at once; mailferry -q delivers it later.
 *
 * Layout of a queue directory Q (mode 0700, created on demand):
 *   Q/tmp/   files being written (never read as messages)
 *   Q/msg/ID the message as it will be sent (header block + body, CRLF)
 *   Q/env/ID the envelope (format: queue_env_format below); a message is
 *            queued exactly when env/ID exists
 *   Q/rate/NAME the rate limit ledger of an account (queue/rate.h)
 * Commit: write tmp files, fsync them, rename msg then env into place,
 * fsync the directories; only then is the message reported as queued.
 * Updates of env/ID are atomic (tmp + fsync + rename). A delivery holds an
 * exclusive flock() on msg/ID (never replaced, so the lock is stable),
 * and re-reads env/ID after taking it. */
#ifndef MF_QUEUE_QUEUE_H
#define MF_QUEUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct mf_error;

enum queue_rcpt_state {
	QUEUE_RCPT_PENDING = 0, /* still to deliver */
	QUEUE_RCPT_DONE,        /* the server accepted it: never resent */
	QUEUE_RCPT_FAILED,      /* refused permanently */
};

struct queue_rcpt {
	char *addr;                  /* addr-spec, no brackets */
	enum queue_rcpt_state state;
	char *error;                 /* last error for it, or NULL */
};

struct queue_entry {
	char id[64];             /* [0-9A-Za-z.-]+ */
	char *account;           /* account name, NULL: the default */
	char *sender;            /* envelope sender, "" for <> */
	struct queue_rcpt *rcpts;
	size_t rcpt_count;
	size_t rcpt_cap;         /* allocated entries of rcpts */
	long long created;       /* unix time */
	long long next_attempt;  /* unix time */
	unsigned attempts;
	char *last_error;        /* one line, or NULL */
	bool held;               /* --queue-hold: not delivered until released */
	bool eight_bit;          /* the message has 8-bit bytes */
	bool warned;             /* the sender got the delay notice */
	char *dsn_notify;        /* RFC 3461 NOTIFY=, ret and envid, as the
				    submission asked (NULL: none) */
	char *dsn_ret;
	char *dsn_envid;
	unsigned long long size; /* bytes of msg/ID (set by list/read) */
};

struct queue {
	char *path;
	int dirfd;               /* Q, opened O_DIRECTORY */
	bool shared;             /* Q is set-group-ID (the system spool of a
				    setgid install): what is created in it
				    is group-writable (2770, 0660) whatever
				    the umask */
};

/* The mode for a new file or directory in q, and making it so despite
 * the umask (fd or dirfd + name); both do nothing for a private queue. */
unsigned queue_file_mode(const struct queue *q);
unsigned queue_dir_mode(const struct queue *q);
void queue_share_fd(const struct queue *q, int fd);
void queue_share_dir(const struct queue *q, int dirfd, const char *name);

void queue_entry_init(struct queue_entry *e);
void queue_entry_clear(struct queue_entry *e);
/* Append a pending recipient (copied). */
void queue_entry_add_rcpt(struct queue_entry *e, const char *addr);

/* The envelope file format, one field per line, "end" last so that a
 * truncated file is never taken for a whole one:
 *   mailferry-queue 1
 *   id ID
 *   account NAME            (absent: the default account)
 *   sender <ADDR>
 *   created SECONDS
 *   next SECONDS
 *   attempts N
 *   held yes|no
 *   8bit yes|no
 *   warned yes              (absent: no; "warned no" is read too)
 *   dsn-notify NOTIFY       optional: RFC 3461 NOTIFY value
 *   dsn-ret FULL|HDRS       optional
 *   dsn-envid TEXT          optional
 *   error TEXT              (absent: none)
 *   rcpt pending|done|failed <ADDR> [TEXT]
 *   end
 * Values hold no CR, LF or NUL. "warned" is optional and written only
 * when set, so files from before it existed load unchanged and an entry
 * never warned is written as before. Pure. */
bool queue_env_format(const struct queue_entry *e, struct buf *out,
		      struct mf_error *err);
/* Parse an envelope file into e (initialised by the caller). Errors:
 * EX_DATAERR naming the line (unknown version, missing "end", bad
 * field). Pure; fuzzed. */
bool queue_env_parse(const char *text, size_t len, struct queue_entry *e,
		     struct mf_error *err);

/* Open (and with create, make) the queue directory path. Errors:
 * EX_CANTCREAT / EX_IOERR / EX_NOPERM, local. */
bool queue_open(const char *path, bool create, struct queue *q,
		struct mf_error *err);
void queue_close(struct queue *q);

/* Receives message bytes while they are written to the queue. */
typedef bool (*queue_sink_fn)(void *ctx, const char *p, size_t len,
			      struct mf_error *err);
/* Produces the message by calling sink, piece by piece. */
typedef bool (*queue_source_fn)(void *ctx, queue_sink_fn sink,
				void *sink_ctx, struct mf_error *err);

/* Commit a new message durably: e->id is filled in (unique: time, pid,
 * random), the message bytes come from source. Returns only after the
 * files and directories are fsynced. Errors: EX_CANTCREAT, EX_IOERR
 * (disk full...), local; nothing is left behind in msg/ or env/. */
bool queue_commit(struct queue *q, struct queue_entry *e,
		  queue_source_fn source, void *source_ctx,
		  struct mf_error *err);

/* Every queued message (env/ID files), oldest first, with size set. A
 * file that does not parse is skipped with a warning (never deleted).
 * *entries is owned by the caller (queue_entries_free). */
bool queue_list(struct queue *q, struct queue_entry **entries,
		size_t *count, struct mf_error *err);
void queue_entries_free(struct queue_entry *entries, size_t count);

/* Take the delivery lock of message id without waiting and re-read its
 * envelope into e. Returns false with err EX_TEMPFAIL "locked" when
 * another process holds it, EX_NOINPUT when the message is gone.
 * *lock_fd is the held lock (release with queue_unlock). */
bool queue_lock(struct queue *q, const char *id, struct queue_entry *e,
		int *lock_fd, struct mf_error *err);
void queue_unlock(int lock_fd);

/* Open msg/ID for reading (O_CLOEXEC); *fd owned by the caller. */
bool queue_open_message(struct queue *q, const char *id, int *fd,
			struct mf_error *err);

/* Replace env/ID atomically with e (fsynced). */
bool queue_update(struct queue *q, const struct queue_entry *e,
		  struct mf_error *err);

/* Remove a message: env/ID first (it is no longer queued), then msg/ID,
 * then fsync the directories. */
bool queue_remove(struct queue *q, const char *id, struct mf_error *err);

/* Remove what interrupted writes left behind: files in tmp/, and msg/ID
 * without env/ID that nobody holds locked, when older than age seconds
 * (a commit takes milliseconds; queue runs use an hour). Best effort;
 * each removal is logged. */
void queue_clean(struct queue *q, unsigned age);

#endif
