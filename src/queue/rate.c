/* queue/rate.c: the rate limit ledger of each account, Q/rate/NAME
 * (format and rules in queue/rate.h and doc/internals/queue.md). This
 * file owns Q/rate/ and the ledger files in it.
 *
 * Ledger file: zero or more lines "SECONDS\n", decimal Unix times
 * without sign or leading zeros, in no particular order (appends come
 * last). A reader ignores a line that is not such a number and a last
 * line without LF; both are dropped the next time the file is rewritten.
 *
 * Locking and durability: every access takes flock() on the ledger
 * itself (LOCK_EX to change it, LOCK_SH to look). An append is one
 * pwrite() at the end, then fdatasync; a torn append is a last line
 * without LF, which the next writer sees and cleans by rewriting. A
 * rewrite goes to Q/tmp/ (O_EXCL, fsync) and is renamed over the ledger
 * while the old file is locked; a process that was waiting for the lock
 * of the old file then finds that its descriptor no longer names
 * rate/NAME and opens the file again. Losing the last append in a power
 * failure costs at most one send of the window: the ledger is a count,
 * not a record, so its directory is not fsynced. */
#include "config.h"

#include "queue/rate.h"

#include "queue/internal.h"
#include "queue/queue.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sysexits.h>
#include <unistd.h>

/* Ceiling of one ledger file: rewrites keep it under about twice the
 * live entries, and a limit is at most a million a period. */
#define RATE_FILE_MAX (64u * 1024 * 1024)
/* Longest encoded ledger name; longer ones end in a hash instead. */
#define RATE_NAME_MAX 200
/* Size of a ledger name buffer: the name, '~' and 16 hex digits. */
#define RATE_NAME_SIZE (RATE_NAME_MAX + 24)
/* Times the ledger is opened again after a rewrite replaced it. */
#define RATE_OPEN_TRIES 64
/* Longest line: 19 digits and LF. */
#define RATE_LINE_MAX 24

/* An open, locked ledger and what it holds. */
struct ledger {
	int dirfd;                  /* Q/rate, or -1 */
	int fd;                     /* rate/NAME, locked; -1: absent */
	char name[RATE_NAME_SIZE];  /* encoded file name */
	struct buf text;            /* the whole file */
	long long *times;           /* the entries that parse */
	size_t count, cap;
	bool dirty;                 /* junk or a torn line to drop */
};

/* The file name for an account name: bytes of [0-9A-Za-z_.-] kept (a
 * leading '.' is encoded, so never ".", ".." or a hidden file), others
 * as %XX; past RATE_NAME_MAX bytes it is cut and "~" and the FNV-1a
 * hash of the whole name are appended, so distinct names stay distinct
 * in practice. */
static void
ledger_name(const char *account, char out[RATE_NAME_SIZE])
{
	static const char hex[] = "0123456789ABCDEF";
	const char *name = account ? account : "default";
	uint64_t hash = 0xcbf29ce484222325ULL;
	size_t n = 0;
	bool cut = false;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		unsigned char c = *p;
		bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z') || c == '_' || c == '-' ||
			     (c == '.' && p != (const unsigned char *)name);

		hash = (hash ^ c) * 0x100000001b3ULL;
		if (cut)
			continue;
		if (n + (plain ? 1 : 3) > RATE_NAME_MAX) {
			cut = true;
			continue;
		}
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (cut) {
		int w = snprintf(out + n, RATE_NAME_SIZE - n, "~%016llx",
				 (unsigned long long)hash);
		if (w < 0 || (size_t)w >= RATE_NAME_SIZE - n)
			BUG("rate: ledger name does not fit");
		n += (size_t)w;
	}
	out[n] = '\0';
}

static void
ledger_init(struct ledger *l, const char *account)
{
	memset(l, 0, sizeof(*l));
	l->dirfd = -1;
	l->fd = -1;
	ledger_name(account, l->name);
	buf_init(&l->text, RATE_FILE_MAX);
}

/* Closing the descriptor releases the lock. */
static void
ledger_clear(struct ledger *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->dirfd >= 0)
		close(l->dirfd);
	buf_clear(&l->text);
	free(l->times);
	l->times = NULL;
	l->fd = l->dirfd = -1;
}

static int
errno_code(int e)
{
	return e == EACCES || e == EPERM || e == ELOOP ? EX_NOPERM : EX_IOERR;
}

/* The entries of the file, each time above now taken as now. */
static void
ledger_parse(struct ledger *l, long long now)
{
	const char *p = l->text.data, *end;

	l->count = 0;
	l->dirty = false;
	if (p == NULL)
		return; /* an empty ledger */
	end = p + l->text.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		unsigned long long v = 0;
		size_t len;
		bool good;

		if (nl == NULL) {
			l->dirty = true; /* torn: ignored */
			break;
		}
		len = (size_t)(nl - p);
		good = len > 0 && len < RATE_LINE_MAX && (len == 1 || *p != '0');
		for (size_t i = 0; good && i < len; i++) {
			unsigned d = (unsigned)(p[i] - '0');
			if (p[i] < '0' || p[i] > '9' ||
			    v > ((unsigned long long)LLONG_MAX - d) / 10)
				good = false;
			else
				v = v * 10 + d;
		}
		p = nl + 1;
		if (!good) {
			l->dirty = true;
			continue;
		}
		if (l->count == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 64;
			l->times = xreallocarray(l->times, l->cap,
						 sizeof(*l->times));
		}
		l->times[l->count++] =
			(long long)v > now ? now : (long long)v;
	}
}

/* Read the whole locked file into l->text from offset 0. */
static int
ledger_read(struct ledger *l)
{
	char chunk[8192];
	off_t off = 0;

	l->text.len = 0;
	for (;;) {
		ssize_t r = pread(l->fd, chunk, sizeof(chunk), off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return 0;
		if (!buf_append(&l->text, chunk, (size_t)r))
			return EFBIG;
		off += r;
	}
}

/* Open Q/rate/NAME (creating both with create), lock it (exclusive
 * with create, else shared) and read it. Without create a missing
 * directory or file leaves l->fd at -1: an empty ledger. */
static bool
ledger_open(struct queue *q, struct ledger *l, bool create,
	    struct mf_error *err)
{
	int flags = (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC |
		    O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
	int rc;

	if (create && mkdirat(q->dirfd, "rate", queue_dir_mode(q)) == 0)
		queue_share_dir(q, q->dirfd, "rate");
	else if (create && errno != EEXIST) {
		err_set(err, errno == EACCES ? EX_NOPERM : EX_CANTCREAT,
			ERR_LOCAL, "queue %s: cannot create rate/: %s", q->path,
			strerror(errno));
		return false;
	}
	l->dirfd = openat(q->dirfd, "rate",
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (l->dirfd < 0) {
		if (errno == ENOENT && !create)
			return true;
		err_set(err, errno_code(errno), ERR_LOCAL, "queue %s/rate: %s",
			q->path, strerror(errno));
		return false;
	}
	for (int tries = 0;; tries++) {
		struct stat st, named;

		if (tries == RATE_OPEN_TRIES) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"queue %s: rate/%s keeps being replaced",
				q->path, l->name);
			return false;
		}
		l->fd = openat(l->dirfd, l->name, flags, queue_file_mode(q));
		if (l->fd >= 0 && create)
			queue_share_fd(q, l->fd);
		if (l->fd < 0) {
			if (errno == ENOENT && !create)
				return true;
			err_set(err, create ? EX_CANTCREAT : errno_code(errno),
				ERR_LOCAL, "queue %s: rate/%s: %s", q->path,
				l->name, strerror(errno));
			return false;
		}
		while ((rc = flock(l->fd, create ? LOCK_EX : LOCK_SH)) < 0 &&
		       errno == EINTR)
			;
		if (rc < 0 || fstat(l->fd, &st) < 0) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"queue %s: lock rate/%s: %s", q->path, l->name,
				strerror(errno));
			return false;
		}
		if (!S_ISREG(st.st_mode)) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"queue %s: rate/%s: not a regular file",
				q->path, l->name);
			return false;
		}
		/* Still the file named rate/NAME, not one a rewrite
		 * replaced while we waited for its lock? */
		if (fstatat(l->dirfd, l->name, &named, AT_SYMLINK_NOFOLLOW) ==
			    0 &&
		    named.st_dev == st.st_dev && named.st_ino == st.st_ino)
			break;
		close(l->fd);
		l->fd = -1;
	}
	rc = ledger_read(l);
	if (rc != 0) {
		err_set(err, rc == EFBIG ? EX_DATAERR : EX_IOERR, ERR_LOCAL,
			"queue %s: read rate/%s: %s", q->path, l->name,
			rc == EFBIG ? "larger than the ledger ceiling"
				    : strerror(rc));
		return false;
	}
	return true;
}

static int
write_all(int fd, const char *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return EIO;
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

static int
sync_fd(int fd)
{
	while (fsync(fd) < 0)
		if (errno != EINTR)
			return errno;
	return 0;
}

/* Append one time to the locked ledger (which ends in LF or is empty). */
static bool
ledger_append(struct queue *q, struct ledger *l, long long t,
	      struct mf_error *err)
{
	char line[RATE_LINE_MAX + 8];
	int n = snprintf(line, sizeof(line), "%lld\n", t);
	int rc;

	if (n < 0 || (size_t)n >= sizeof(line))
		BUG("rate: ledger line does not fit");
	rc = write_all(l->fd, line, (size_t)n, (off_t)l->text.len);
	if (rc == 0)
		rc = sync_fd(l->fd);
	if (rc != 0) {
		/* A partial line is a torn line: ignored, then cleaned. */
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: write rate/%s: %s",
			q->path, l->name, strerror(rc));
		return false;
	}
	return true;
}

/* Replace the ledger with the entries of l->times from `from` on, plus
 * extra when it is >= 0: written to Q/tmp, fsynced and renamed over
 * rate/NAME (queue_replace_file; the lock of the old file is still
 * held). */
static bool
ledger_rewrite(struct queue *q, struct ledger *l, long long from,
	       long long extra, struct mf_error *err)
{
	char shown[RATE_NAME_SIZE + 8];
	struct buf out;
	bool ok = false, full = false;

	buf_init(&out, RATE_FILE_MAX);
	for (size_t i = 0; i < l->count; i++)
		if (l->times[i] >= from &&
		    !buf_printf(&out, "%lld\n", l->times[i]))
			full = true;
	if (extra >= 0 && !buf_printf(&out, "%lld\n", extra))
		full = true;
	if (full) {
		err_set(err, EX_DATAERR, ERR_LOCAL,
			"queue %s: rate/%s: larger than the ledger ceiling",
			q->path, l->name);
		goto out;
	}
	snprintf(shown, sizeof(shown), "rate/%s", l->name);
	ok = queue_replace_file(q, "rate", out.data ? out.data : "", out.len,
				l->dirfd, l->name, shown, err);
out:
	buf_clear(&out);
	return ok;
}

static int
time_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Check, and with record reserve, one send at now. */
static bool
rate_take(struct queue *q, const char *name, unsigned count,
	  unsigned period, long long now, bool record, bool *granted,
	  long long *retry_at, struct mf_error *err)
{
	struct ledger l;
	long long from = now - (long long)period + 1; /* live: t >= from */
	size_t live = 0;
	bool ok = false;

	*granted = true;
	*retry_at = 0;
	if (count == 0)
		return true;
	ledger_init(&l, name);
	if (!ledger_open(q, &l, record, err))
		goto out;
	ledger_parse(&l, now);
	/* Live entries to the front. */
	for (size_t i = 0; i < l.count; i++)
		if (l.times[i] >= from)
			l.times[live++] = l.times[i];
	if (live >= count) {
		/* The slot frees when the (live - count + 1)th oldest live
		 * entry leaves the window. */
		qsort(l.times, live, sizeof(*l.times), time_cmp);
		*granted = false;
		*retry_at = l.times[live - count] + (long long)period;
		ok = true;
		goto out;
	}
	if (!record) {
		ok = true;
		goto out;
	}
	/* Rewrite when there is garbage, or more stale than live lines
	 * (so the file stays about twice the live size); else append. */
	if (l.dirty || l.count - live > live + 1) {
		l.count = live;
		ok = ledger_rewrite(q, &l, from, now, err);
	} else {
		ok = ledger_append(q, &l, now, err);
	}
out:
	if (!ok) {
		*granted = false;
		*retry_at = 0;
	}
	ledger_clear(&l);
	return ok;
}

bool
rate_reserve(struct queue *q, const char *name, unsigned count,
	     unsigned period, long long now, bool *granted,
	     long long *retry_at, struct mf_error *err)
{
	return rate_take(q, name, count, period, now, true, granted, retry_at,
			 err);
}

bool
rate_check(struct queue *q, const char *name, unsigned count,
	   unsigned period, long long now, bool *granted, long long *retry_at,
	   struct mf_error *err)
{
	return rate_take(q, name, count, period, now, false, granted,
			 retry_at, err);
}

bool
rate_release(struct queue *q, const char *name, long long when,
	     struct mf_error *err)
{
	struct ledger l;
	bool ok = false;
	size_t i;

	ledger_init(&l, name);
	if (!ledger_open(q, &l, true, err))
		goto out;
	/* As written: no time is clamped, so `when` is found as it was. */
	ledger_parse(&l, LLONG_MAX);
	for (i = l.count; i > 0; i--)
		if (l.times[i - 1] == when)
			break;
	if (i == 0) {
		ok = true; /* already gone (pruned) */
		goto out;
	}
	memmove(&l.times[i - 1], &l.times[i],
		(l.count - i) * sizeof(*l.times));
	l.count--;
	ok = ledger_rewrite(q, &l, LLONG_MIN, -1, err);
out:
	ledger_clear(&l);
	return ok;
}
