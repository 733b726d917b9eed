/* queue/queue.c: the durable queue (layout and envelope format in
 * queue/queue.h). This file owns the queue directory Q and everything in
 * it but the rate limit ledgers in rate/ (queue/rate.c): creating Q and
 * its tmp/, msg/ and env/ subdirectories, the atomic commit of a new
 * message, listing, the per-message delivery lock, the atomic rewrite of
 * an envelope and removal. It also owns the envelope
 * file format, which is produced and parsed here and nowhere else.
 *
 * Envelope file (env/ID), one field per line, each line "key value" and
 * terminated by LF, nothing after "end":
 *   mailferry-queue 1                   first line, exactly
 *   id ID                               [0-9A-Za-z.-], 1..63, not ".x"
 *   account NAME                        optional, once
 *   sender <ADDR>                       "<>" for the null sender
 *   created SECONDS / next SECONDS      decimal, 0..LLONG_MAX
 *   attempts N                          decimal, 0..UINT_MAX
 *   held yes|no / 8bit yes|no
 *   dsn-notify|dsn-ret|dsn-envid TEXT   optional, once each (RFC 3461
 *                                       parameters of the submission)
 *   warned yes|no                       optional, once; written only
 *                                       as "warned yes" (absent: no)
 *   error TEXT                          optional, once
 *   rcpt pending|done|failed <ADDR> [TEXT]   one or more, in order
 *   end                                 last line, exactly
 * Every field but rcpt appears at most once; id, sender, created, next,
 * attempts, held, 8bit and one rcpt are required; the order between the
 * version line and "end" is free (queue_env_format writes the order
 * above). Numbers have no sign and no leading zeros. An ADDR is at most
 * LIMIT_ADDRESS bytes with no control byte, '<' or '>', and only the
 * sender's may be empty. NAME and TEXT are non-empty and hold no CR, LF
 * or NUL (absent stands for NULL). The file is at most QUEUE_ENV_MAX
 * bytes and never holds NUL or CR. The parser refuses anything else, so
 * that parse(format(e)) == e exactly.
 *
 * Durability follows nullmailer's queue (fsync the directory) and
 * OpenSMTPD's queue_fs.c (O_EXCL, fsync, rename): a file is written under
 * tmp/, fsynced, renamed into place and the directory fsynced. msg/ID is
 * renamed (and msg/ fsynced) before env/ID, so an env/ID never names a
 * missing message, and a message counts as queued only once env/ID is
 * durable. Every file operation after queue_open is relative to the
 * directory descriptor (*at() calls), with O_NOFOLLOW. */
#include "config.h"

#include "queue/internal.h"
#include "queue/queue.h"

#include "log/log.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Ceiling of one envelope file. */
#define QUEUE_ENV_MAX (16u * 1024 * 1024)
/* Largest single write() handed to the kernel. */
#define QUEUE_WRITE_CHUNK (1024u * 1024)
/* New ids tried when tmp/ID.msg (or msg/ID, env/ID) already exists. */
#define QUEUE_ID_TRIES 16
/* Size of an id buffer, from the header. */
#define QUEUE_ID_SIZE sizeof(((struct queue_entry *)0)->id)

#define QUEUE_VERSION_LINE "mailferry-queue 1"

static const char *const rcpt_state_names[] = {
	[QUEUE_RCPT_PENDING] = "pending",
	[QUEUE_RCPT_DONE] = "done",
	[QUEUE_RCPT_FAILED] = "failed",
};
#define RCPT_STATE_COUNT (sizeof(rcpt_state_names) / sizeof(rcpt_state_names[0]))

/* ------------------------------------------------------------ entries */

void
queue_entry_init(struct queue_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id[0] = '\0';
	e->account = NULL;
	e->sender = NULL;
	e->rcpts = NULL;
	e->last_error = NULL;
}

void
queue_entry_clear(struct queue_entry *e)
{
	for (size_t i = 0; i < e->rcpt_count; i++) {
		free(e->rcpts[i].addr);
		free(e->rcpts[i].error);
	}
	free(e->rcpts);
	free(e->account);
	free(e->sender);
	free(e->last_error);
	free(e->dsn_notify);
	free(e->dsn_ret);
	free(e->dsn_envid);
	queue_entry_init(e);
}

/* Append a recipient taking addr and error (both owned already). */
static void
entry_push_rcpt(struct queue_entry *e, char *addr,
		enum queue_rcpt_state state, char *error)
{
	/* Grow by doubling: 100 000 recipients must not mean 100 000
	 * copies of the array. */
	if (e->rcpt_count == e->rcpt_cap) {
		e->rcpt_cap = e->rcpt_cap ? e->rcpt_cap * 2 : 8;
		e->rcpts = xreallocarray(e->rcpts, e->rcpt_cap,
					 sizeof(*e->rcpts));
	}
	e->rcpts[e->rcpt_count].addr = addr;
	e->rcpts[e->rcpt_count].state = state;
	e->rcpts[e->rcpt_count].error = error;
	e->rcpt_count++;
}

void
queue_entry_add_rcpt(struct queue_entry *e, const char *addr)
{
	entry_push_rcpt(e, xstrdup(addr), QUEUE_RCPT_PENDING, NULL);
}

void
queue_entries_free(struct queue_entry *entries, size_t count)
{
	if (entries == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		queue_entry_clear(&entries[i]);
	free(entries);
}

/* ------------------------------------------------------ field checks */

/* An id: 1..63 bytes of [0-9A-Za-z.-], not starting with '.' (so never
 * ".", ".." or a hidden file). */
static bool
id_valid(const char *p, size_t len)
{
	if (len == 0 || len >= QUEUE_ID_SIZE || p[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static bool
id_valid_str(const char *id)
{
	return id != NULL && id_valid(id, strnlen(id, QUEUE_ID_SIZE));
}

/* An address between the brackets: bounded, no control byte, no angle
 * bracket (which would make the rcpt line ambiguous). */
static bool
addr_valid(const char *p, size_t len, bool empty_ok)
{
	if (len == 0)
		return empty_ok;
	if (len > LIMIT_ADDRESS)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>')
			return false;
	}
	return true;
}

/* NAME or TEXT: non-empty, no CR, LF or NUL. */
static bool
text_valid(const char *p, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			return false;
	return true;
}

/* A C string for format(): bounded by the file ceiling. */
static bool
text_valid_str(const char *s)
{
	size_t len = strnlen(s, QUEUE_ENV_MAX + 1);

	return len <= QUEUE_ENV_MAX && text_valid(s, len);
}

static bool
addr_valid_str(const char *s, bool empty_ok)
{
	size_t len = strnlen(s, LIMIT_ADDRESS + 1);

	return addr_valid(s, len, empty_ok);
}

/* Decimal without sign or leading zeros, at most max. */
static bool
parse_number(const char *p, size_t len, unsigned long long max,
	     unsigned long long *out)
{
	unsigned long long v = 0;

	if (len == 0 || (len > 1 && p[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool
value_is(const char *p, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(p, word, len) == 0;
}

/* ------------------------------------------------------------ format */

bool
queue_env_format(const struct queue_entry *e, struct buf *out,
		 struct mf_error *err)
{
	size_t old_len = out->len;
	const char *bad = NULL;
	bool ok = true;

	if (!id_valid_str(e->id))
		bad = "invalid id";
	else if (e->account && !text_valid_str(e->account))
		bad = "empty account name or one with CR, LF or NUL";
	else if (e->sender == NULL || !addr_valid_str(e->sender, true))
		bad = "missing or invalid sender";
	else if (e->created < 0 || e->next_attempt < 0)
		bad = "negative time";
	else if (e->last_error && !text_valid_str(e->last_error))
		bad = "empty error text or one with CR, LF or NUL";
	else if ((e->dsn_notify && (!text_valid_str(e->dsn_notify) ||
				    strchr(e->dsn_notify, ' '))) ||
		 (e->dsn_ret && (!text_valid_str(e->dsn_ret) ||
				 strchr(e->dsn_ret, ' '))) ||
		 (e->dsn_envid && (!text_valid_str(e->dsn_envid) ||
				   strchr(e->dsn_envid, ' '))))
		bad = "invalid DSN parameter";
	else if (e->rcpt_count == 0 || e->rcpt_count > LIMIT_RECIPIENTS ||
		 e->rcpts == NULL)
		bad = "no recipient or too many";
	for (size_t i = 0; bad == NULL && i < e->rcpt_count; i++) {
		const struct queue_rcpt *r = &e->rcpts[i];
		if (r->addr == NULL || !addr_valid_str(r->addr, false))
			bad = "invalid recipient address";
		else if ((unsigned)r->state >= RCPT_STATE_COUNT)
			bad = "invalid recipient state";
		else if (r->error && !text_valid_str(r->error))
			bad = "empty recipient error or one with CR, LF or NUL";
	}
	if (bad) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL,
			"queue envelope %.63s: cannot write: %s", e->id, bad);
		return false;
	}

	ok = buf_printf(out, "%s\nid %s\n", QUEUE_VERSION_LINE, e->id);
	if (ok && e->account)
		ok = buf_printf(out, "account %s\n", e->account);
	ok = ok && buf_printf(out,
			      "sender <%s>\ncreated %lld\nnext %lld\n"
			      "attempts %u\nheld %s\n8bit %s\n",
			      e->sender, e->created, e->next_attempt,
			      e->attempts, e->held ? "yes" : "no",
			      e->eight_bit ? "yes" : "no");
	if (ok && e->warned)
		ok = buf_append_str(out, "warned yes\n");
	if (ok && e->dsn_notify)
		ok = buf_printf(out, "dsn-notify %s\n", e->dsn_notify);
	if (ok && e->dsn_ret)
		ok = buf_printf(out, "dsn-ret %s\n", e->dsn_ret);
	if (ok && e->dsn_envid)
		ok = buf_printf(out, "dsn-envid %s\n", e->dsn_envid);
	if (ok && e->last_error)
		ok = buf_printf(out, "error %s\n", e->last_error);
	for (size_t i = 0; ok && i < e->rcpt_count; i++) {
		const struct queue_rcpt *r = &e->rcpts[i];
		ok = buf_printf(out, "rcpt %s <%s>%s%s\n",
				rcpt_state_names[r->state], r->addr,
				r->error ? " " : "", r->error ? r->error : "");
	}
	ok = ok && buf_append_str(out, "end\n");
	if (ok && out->len - old_len > QUEUE_ENV_MAX)
		ok = false;
	if (!ok) {
		out->len = old_len;
		if (out->data)
			out->data[old_len] = '\0';
		err_set(err, EX_SOFTWARE, ERR_LOCAL,
			"queue envelope %s: cannot write: does not fit in "
			"the buffer (file limit %u bytes)", e->id,
			QUEUE_ENV_MAX);
	}
	return ok;
}

/* ------------------------------------------------------------- parse */

enum env_field {
	F_ID = 1u << 0,
	F_ACCOUNT = 1u << 1,
	F_SENDER = 1u << 2,
	F_CREATED = 1u << 3,
	F_NEXT = 1u << 4,
	F_ATTEMPTS = 1u << 5,
	F_HELD = 1u << 6,
	F_8BIT = 1u << 7,
	F_ERROR = 1u << 8,
	F_WARNED = 1u << 9,
	F_DSN_NOTIFY = 1u << 10,
	F_DSN_RET = 1u << 11,
	F_DSN_ENVID = 1u << 12,
};

static const struct {
	unsigned flag;
	const char *name;
} required_fields[] = {
	{ F_ID, "id" },         { F_SENDER, "sender" },
	{ F_CREATED, "created" }, { F_NEXT, "next" },
	{ F_ATTEMPTS, "attempts" }, { F_HELD, "held" },
	{ F_8BIT, "8bit" },
};

/* Parse "<ADDR>" filling *addr_len; the value must be exactly that when
 * whole, else *rest points after '>'. */
static bool
parse_bracketed(const char *v, size_t vlen, bool empty_ok, size_t *addr_len,
		size_t *used)
{
	const char *close;

	if (vlen < 2 || v[0] != '<')
		return false;
	close = memchr(v + 1, '>', vlen - 1);
	if (close == NULL)
		return false;
	*addr_len = (size_t)(close - (v + 1));
	*used = *addr_len + 2;
	return addr_valid(v + 1, *addr_len, empty_ok);
}

/* One "key value" line after the version line. Returns NULL when it was
 * taken, else why it was refused. */
static const char *
parse_field(const char *key, size_t klen, const char *v, size_t vlen,
	    unsigned *seen, struct queue_entry *t)
{
	unsigned long long n;
	size_t alen, used;
	unsigned flag = 0;

#define KEY(word) value_is(key, klen, (word))
	if (KEY("rcpt")) {
		const char *sp = memchr(v, ' ', vlen);
		size_t slen = sp ? (size_t)(sp - v) : vlen;
		size_t s;
		char *error = NULL;

		if (t->rcpt_count >= LIMIT_RECIPIENTS)
			return "too many recipients";
		for (s = 0; s < RCPT_STATE_COUNT; s++)
			if (value_is(v, slen, rcpt_state_names[s]))
				break;
		if (s == RCPT_STATE_COUNT || sp == NULL)
			return "bad recipient state";
		v += slen + 1;
		vlen -= slen + 1;
		if (!parse_bracketed(v, vlen, false, &alen, &used))
			return "bad recipient address";
		if (used < vlen) {
			if (v[used] != ' ' || !text_valid(v + used + 1,
							  vlen - used - 1))
				return "bad recipient error text";
			error = xmemdup0(v + used + 1, vlen - used - 1);
		}
		entry_push_rcpt(t, xmemdup0(v + 1, alen),
				(enum queue_rcpt_state)s, error);
		return NULL;
	}
	if (KEY("id"))
		flag = F_ID;
	else if (KEY("account"))
		flag = F_ACCOUNT;
	else if (KEY("sender"))
		flag = F_SENDER;
	else if (KEY("created"))
		flag = F_CREATED;
	else if (KEY("next"))
		flag = F_NEXT;
	else if (KEY("attempts"))
		flag = F_ATTEMPTS;
	else if (KEY("held"))
		flag = F_HELD;
	else if (KEY("8bit"))
		flag = F_8BIT;
	else if (KEY("error"))
		flag = F_ERROR;
	else if (KEY("warned"))
		flag = F_WARNED;
	else if (KEY("dsn-notify"))
		flag = F_DSN_NOTIFY;
	else if (KEY("dsn-ret"))
		flag = F_DSN_RET;
	else if (KEY("dsn-envid"))
		flag = F_DSN_ENVID;
	else if (KEY("mailferry-queue"))
		return "second version line";
	else
		return "unknown field";
#undef KEY
	if (*seen & flag)
		return "field repeated";
	*seen |= flag;

	switch (flag) {
	case F_ID:
		if (!id_valid(v, vlen))
			return "bad id";
		memcpy(t->id, v, vlen);
		t->id[vlen] = '\0';
		break;
	case F_ACCOUNT:
		if (!text_valid(v, vlen))
			return "bad account name";
		t->account = xmemdup0(v, vlen);
		break;
	case F_SENDER:
		if (!parse_bracketed(v, vlen, true, &alen, &used) ||
		    used != vlen)
			return "bad sender";
		t->sender = xmemdup0(v + 1, alen);
		break;
	case F_CREATED:
	case F_NEXT:
		if (!parse_number(v, vlen, LLONG_MAX, &n))
			return "bad number";
		if (flag == F_CREATED)
			t->created = (long long)n;
		else
			t->next_attempt = (long long)n;
		break;
	case F_ATTEMPTS:
		if (!parse_number(v, vlen, UINT_MAX, &n))
			return "bad number";
		t->attempts = (unsigned)n;
		break;
	case F_HELD:
	case F_8BIT:
	case F_WARNED: {
		bool yes = value_is(v, vlen, "yes");
		if (!yes && !value_is(v, vlen, "no"))
			return "expected yes or no";
		if (flag == F_HELD)
			t->held = yes;
		else if (flag == F_8BIT)
			t->eight_bit = yes;
		else
			t->warned = yes;
		break;
	}
	case F_ERROR:
		if (!text_valid(v, vlen))
			return "bad error text";
		t->last_error = xmemdup0(v, vlen);
		break;
	case F_DSN_NOTIFY:
	case F_DSN_RET:
	case F_DSN_ENVID: {
		char **slot = flag == F_DSN_NOTIFY ? &t->dsn_notify
			      : flag == F_DSN_RET  ? &t->dsn_ret
						   : &t->dsn_envid;
		if (!text_valid(v, vlen) || memchr(v, ' ', vlen) != NULL)
			return "bad DSN parameter";
		*slot = xmemdup0(v, vlen);
		break;
	}
	default:
		BUG("queue: unhandled envelope field");
	}
	return NULL;
}

bool
queue_env_parse(const char *text, size_t len, struct queue_entry *e,
		struct mf_error *err)
{
	struct queue_entry t;
	const char *p = text, *end = text + len;
	const char *why = NULL;
	const char *nul;
	unsigned seen = 0;
	size_t lineno = 0;
	bool ended = false;

	queue_entry_init(&t);
	if (len > QUEUE_ENV_MAX) {
		err_set(err, EX_DATAERR, ERR_LOCAL,
			"queue envelope: larger than %u bytes", QUEUE_ENV_MAX);
		goto out;
	}
	/* A NUL byte would be cut by every C string later: refuse the
	 * whole file, naming its line. */
	nul = len ? memchr(text, '\0', len) : NULL;
	while (p < end && why == NULL) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *sp;
		size_t llen;

		lineno++;
		if (ended)
			why = "data after the end line";
		else if (nl == NULL)
			why = "line not terminated (truncated file)";
		else if (nul && nul < nl)
			why = "NUL byte";
		else if (memchr(p, '\r', (size_t)(nl - p)))
			why = "CR byte";
		if (why)
			break;
		llen = (size_t)(nl - p);
		if (lineno == 1) {
			if (!value_is(p, llen, QUEUE_VERSION_LINE))
				why = "not a mailferry-queue 1 file";
		} else if (value_is(p, llen, "end")) {
			ended = true;
		} else if ((sp = memchr(p, ' ', llen)) == NULL || sp == p) {
			why = "expected \"key value\"";
		} else {
			why = parse_field(p, (size_t)(sp - p), sp + 1,
					  llen - (size_t)(sp - p) - 1, &seen,
					  &t);
		}
		p = nl + 1;
	}
	if (why == NULL && !ended) {
		lineno++;
		why = lineno == 1 ? "empty file" : "no end line (truncated file)";
	}
	if (why) {
		err_set(err, EX_DATAERR, ERR_LOCAL, "queue envelope line %zu: %s",
			lineno, why);
		goto out;
	}
	for (size_t i = 0; i < sizeof(required_fields) /
			       sizeof(required_fields[0]); i++) {
		if (!(seen & required_fields[i].flag)) {
			err_set(err, EX_DATAERR, ERR_LOCAL,
				"queue envelope: no %s line",
				required_fields[i].name);
			goto out;
		}
	}
	if (t.rcpt_count == 0) {
		err_set(err, EX_DATAERR, ERR_LOCAL,
			"queue envelope: no rcpt line");
		goto out;
	}
	queue_entry_clear(e);
	*e = t;
	queue_entry_init(&t);
	return true;
out:
	queue_entry_clear(&t);
	return false;
}

/* ----------------------------------------------------- file helpers */

/* Write all of p, in bounded pieces, through EINTR and short writes.
 * Returns 0 or an errno value. */
static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		size_t n = len < QUEUE_WRITE_CHUNK ? len : QUEUE_WRITE_CHUNK;
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read the regular file name (relative to dfd) into out, which must stay
 * within out->max. Returns 0 or an errno value (EFBIG: too large,
 * EINVAL: not a regular file). */
static int
read_file_at(int dfd, const char *name, struct buf *out)
{
	char chunk[8192];
	struct stat st;
	int fd, rc = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
				       O_NONBLOCK);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		rc = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = EINVAL;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = errno;
			break;
		}
		if (r == 0)
			break;
		if (!buf_append(out, chunk, (size_t)r)) {
			rc = EFBIG;
			break;
		}
	}
out:
	close(fd);
	return rc;
}

static int
open_subdir(const struct queue *q, const char *name)
{
	return openat(q->dirfd, name,
		      O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* fsync, retrying EINTR. Returns 0 or an errno value. */
static int
sync_fd(int fd)
{
	while (fsync(fd) < 0) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}

static bool
random_hex(char out[17], struct mf_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[8];
	size_t got = 0;

	while (got < sizeof(rnd)) {
		ssize_t r = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err_set(err, EX_OSERR, ERR_LOCAL,
				"queue: getrandom: %s",
				r < 0 ? strerror(errno) : "no data");
			return false;
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof(rnd); i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[16] = '\0';
	return true;
}

/* A fresh id: <unix time, 8 hex digits>.<its nanoseconds, 8 hex
 * digits>.<pid>.<16 hex random>. Fixed-width time first, so that ids of
 * one second sort in the order they were made (queue_list's order); the
 * pid alone would not do that (9999 sorts after 10000, and pids wrap). */
static bool
make_id(char id[QUEUE_ID_SIZE], struct mf_error *err)
{
	struct timespec ts;
	char rnd[17];
	int n;

	if (!random_hex(rnd, err))
		return false;
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(id, QUEUE_ID_SIZE, "%08llx.%08lx.%ld.%s",
		     (unsigned long long)ts.tv_sec, (unsigned long)ts.tv_nsec,
		     (long)getpid(), rnd);
	if (n < 0 || (size_t)n >= QUEUE_ID_SIZE || !id_valid_str(id))
		BUG("queue: id does not fit");
	return true;
}

/* "tmp/" names built from an id: the id is < 64 bytes, so these fit. */
static void
tmp_name(char *dst, size_t size, const char *id, const char *suffix)
{
	int n = snprintf(dst, size, "%s%s", id, suffix);

	if (n < 0 || (size_t)n >= size)
		BUG("queue: temporary name does not fit");
}

/* ------------------------------------------------------------- open */

unsigned
queue_file_mode(const struct queue *q)
{
	return q->shared ? 0660 : 0600;
}

unsigned
queue_dir_mode(const struct queue *q)
{
	return q->shared ? 02770 : 0700;
}

void
queue_share_fd(const struct queue *q, int fd)
{
	if (q->shared && fd >= 0)
		(void)fchmod(fd, 0660);
}

void
queue_share_dir(const struct queue *q, int dirfd, const char *name)
{
	if (q->shared)
		(void)fchmodat(dirfd, name, 02770, 0);
}

/* mkdir -p for the parents of path (mode 0700 for what is created). */
static bool
make_parents(const char *path, struct mf_error *err)
{
	char *copy = xstrdup(path);
	bool ok = true;

	for (char *s = copy + 1; *s && ok; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			err_set(err, errno == EACCES ? EX_NOPERM : EX_CANTCREAT,
				ERR_LOCAL, "queue %s: cannot create %s: %s",
				path, copy, strerror(errno));
			ok = false;
		}
		*s = '/';
	}
	free(copy);
	return ok;
}

/* fsync the directory that holds path, after path was created in it. */
static void
sync_parent(const char *path)
{
	char *copy = xstrdup(path);
	char *slash;
	int fd;

	/* Drop trailing slashes, then the last component. */
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = '\0';
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? copy : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)sync_fd(fd);
		close(fd);
	}
	free(copy);
}

static int
open_errno_code(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
	case ELOOP:
		return EX_NOPERM;
	default:
		return EX_IOERR;
	}
}

bool
queue_open(const char *path, bool create, struct queue *q,
	   struct mf_error *err)
{
	static const char *const subdirs[] = { "tmp", "msg", "env" };
	bool ok = false, made = false;
	struct stat st;
	int fd = -1, rc;
	char *copy = NULL;

	q->path = NULL;
	q->dirfd = -1;
	q->shared = false;
	if (path == NULL || *path == '\0') {
		err_set(err, EX_CANTCREAT, ERR_LOCAL, "queue: empty path");
		return false;
	}
	/* Without trailing slashes, which would make open() follow a
	 * final symbolic link in spite of O_NOFOLLOW. */
	copy = xstrdup(path);
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = '\0';
	path = copy;
	if (create) {
		if (!make_parents(path, err))
			goto out;
		if (mkdir(path, 0700) == 0) {
			made = true;
			sync_parent(path);
		} else if (errno != EEXIST) {
			err_set(err, errno == EACCES ? EX_NOPERM : EX_CANTCREAT,
				ERR_LOCAL, "queue %s: cannot create: %s", path,
				strerror(errno));
			goto out;
		}
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		/* O_NOFOLLOW|O_DIRECTORY: ELOOP or ENOTDIR for a symlink. */
		if (e == ELOOP || (e == ENOTDIR && lstat(path, &st) == 0 &&
				   S_ISLNK(st.st_mode)))
			err_set(err, EX_NOPERM, ERR_LOCAL,
				"queue %s: is a symbolic link, refused", path);
		else if (e == ENOTDIR)
			err_set(err, EX_CANTCREAT, ERR_LOCAL,
				"queue %s: not a directory", path);
		else
			err_set(err, open_errno_code(e), ERR_LOCAL,
				"queue %s: %s", path, strerror(e));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: not a directory",
			path);
		goto out;
	}
	q->shared = (st.st_mode & S_ISGID) != 0;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (create) {
			if (mkdirat(fd, subdirs[i], queue_dir_mode(q)) == 0) {
				queue_share_dir(q, fd, subdirs[i]);
				made = true;
			} else if (errno != EEXIST) {
				err_set(err, errno == EACCES ? EX_NOPERM
							     : EX_CANTCREAT,
					ERR_LOCAL, "queue %s/%s: cannot create: %s",
					path, subdirs[i], strerror(errno));
				goto out;
			}
		}
		if (fstatat(fd, subdirs[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err_set(err, open_errno_code(errno), ERR_LOCAL,
				"queue %s/%s: %s", path, subdirs[i],
				strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"queue %s/%s: not a directory", path,
				subdirs[i]);
			goto out;
		}
	}
	if (made && (rc = sync_fd(fd)) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: fsync: %s", path,
			strerror(rc));
		goto out;
	}
	q->path = copy;
	copy = NULL;
	q->dirfd = fd;
	fd = -1;
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return ok;
}

void
queue_close(struct queue *q)
{
	if (q->dirfd >= 0)
		close(q->dirfd);
	free(q->path);
	q->dirfd = -1;
	q->path = NULL;
}

/* ----------------------------------------------------------- commit */

struct write_sink {
	int fd;
	unsigned long long bytes;
	const char *what; /* for messages: "tmp/ID.msg" */
	const char *path; /* the queue */
};

static bool
write_sink(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct write_sink *s = ctx;
	int rc;

	if (len > ULLONG_MAX - s->bytes) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: %s: too large",
			s->path, s->what);
		return false;
	}
	rc = write_all(s->fd, p, len);
	if (rc != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: write %s: %s",
			s->path, s->what, strerror(rc));
		return false;
	}
	s->bytes += len;
	return true;
}

/* Does name exist in dfd (without following a link)? */
static bool
exists_at(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	       errno != ENOENT;
}

/* Rename without replacing (a colliding id must never overwrite a queued
 * message); filesystems without RENAME_NOREPLACE get a plain rename, the
 * id having been checked free just before. Returns 0 or errno. */
static int
rename_noreplace(int odfd, const char *oname, int ndfd, const char *nname)
{
	if (renameat2(odfd, oname, ndfd, nname, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return errno;
	if (renameat(odfd, oname, ndfd, nname) == 0)
		return 0;
	return errno;
}

bool
queue_commit(struct queue *q, struct queue_entry *e, queue_source_fn source,
	     void *source_ctx, struct mf_error *err)
{
	char old_id[QUEUE_ID_SIZE];
	unsigned long long old_size = e->size;
	char id[QUEUE_ID_SIZE];
	char tmsg[QUEUE_ID_SIZE + 8], tenv[QUEUE_ID_SIZE + 8];
	struct write_sink sink = { -1, 0, tmsg, q->path };
	struct buf env;
	bool ok = false, have_tmsg = false, have_tenv = false;
	bool placed_msg = false, placed_env = false;
	int tmpfd, msgfd = -1, envfd = -1, efd = -1, rc;

	memcpy(old_id, e->id, sizeof(old_id));
	buf_init(&env, QUEUE_ENV_MAX);
	tmpfd = open_subdir(q, "tmp");
	if (tmpfd < 0 || (msgfd = open_subdir(q, "msg")) < 0 ||
	    (envfd = open_subdir(q, "env")) < 0) {
		err_set(err, EX_CANTCREAT, ERR_LOCAL,
			"queue %s: cannot open a subdirectory: %s", q->path,
			strerror(errno));
		goto out;
	}

	/* Pick an id: tmp/ID.msg created exclusively, and neither msg/ID
	 * nor env/ID present. */
	for (int tries = 0; sink.fd < 0; tries++) {
		if (tries == QUEUE_ID_TRIES) {
			err_set(err, EX_CANTCREAT, ERR_LOCAL,
				"queue %s: no free message id", q->path);
			goto out;
		}
		if (!make_id(id, err))
			goto out;
		tmp_name(tmsg, sizeof(tmsg), id, ".msg");
		tmp_name(tenv, sizeof(tenv), id, ".env");
		sink.fd = openat(tmpfd, tmsg,
				 O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
					 O_NOFOLLOW | O_NOCTTY,
				 queue_file_mode(q));
		queue_share_fd(q, sink.fd);
		if (sink.fd < 0 && errno == EEXIST)
			continue;
		if (sink.fd < 0) {
			err_set(err, errno == EACCES ? EX_NOPERM : EX_CANTCREAT,
				ERR_LOCAL, "queue %s: create tmp/%s: %s",
				q->path, tmsg, strerror(errno));
			goto out;
		}
		have_tmsg = true;
		if (exists_at(msgfd, id) || exists_at(envfd, id)) {
			close(sink.fd);
			sink.fd = -1;
			unlinkat(tmpfd, tmsg, 0);
			have_tmsg = false;
		}
	}
	memcpy(e->id, id, sizeof(e->id));
	/* The envelope first: a refused entry must fail before the source
	 * (which may be a stream that cannot be replayed) is used up. */
	if (!queue_env_format(e, &env, err))
		goto out;

	err_clear(err);
	if (!source(source_ctx, write_sink, &sink, err)) {
		if (!err_isset(err))
			err_set(err, EX_IOERR, ERR_LOCAL,
				"queue %s: the message source failed",
				q->path);
		goto out;
	}
	rc = sync_fd(sink.fd);
	if (close(sink.fd) < 0 && rc == 0)
		rc = errno;
	sink.fd = -1;
	if (rc != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: fsync tmp/%s: %s",
			q->path, tmsg, strerror(rc));
		goto out;
	}
	e->size = sink.bytes;

	efd = openat(tmpfd, tenv,
		     O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW |
			     O_NOCTTY,
		     queue_file_mode(q));
	queue_share_fd(q, efd);
	if (efd < 0) {
		err_set(err, EX_CANTCREAT, ERR_LOCAL,
			"queue %s: create tmp/%s: %s", q->path, tenv,
			strerror(errno));
		goto out;
	}
	have_tenv = true;
	rc = write_all(efd, env.data, env.len);
	if (rc == 0)
		rc = sync_fd(efd);
	if (close(efd) < 0 && rc == 0)
		rc = errno;
	efd = -1;
	if (rc != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: write tmp/%s: %s",
			q->path, tenv, strerror(rc));
		goto out;
	}

	/* msg/ID first and durable, then env/ID: the message is queued. */
	if ((rc = rename_noreplace(tmpfd, tmsg, msgfd, id)) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: rename to msg/%s: %s",
			q->path, id, strerror(rc));
		goto out;
	}
	have_tmsg = false;
	placed_msg = true;
	if ((rc = sync_fd(msgfd)) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: fsync msg/: %s",
			q->path, strerror(rc));
		goto out;
	}
	if ((rc = rename_noreplace(tmpfd, tenv, envfd, id)) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: rename to env/%s: %s",
			q->path, id, strerror(rc));
		goto out;
	}
	have_tenv = false;
	placed_env = true;
	if ((rc = sync_fd(envfd)) != 0 || (rc = sync_fd(q->dirfd)) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: fsync: %s",
			q->path, strerror(rc));
		goto out;
	}
	ok = true;
out:
	if (!ok) {
		/* Reported as not queued: nothing may stay that looks
		 * queued. env/ID goes first. */
		if (placed_env) {
			unlinkat(envfd, id, 0);
			(void)sync_fd(envfd);
		}
		if (placed_msg) {
			unlinkat(msgfd, id, 0);
			(void)sync_fd(msgfd);
		}
		memcpy(e->id, old_id, sizeof(e->id));
		e->size = old_size;
	}
	if (sink.fd >= 0)
		close(sink.fd);
	if (have_tenv)
		unlinkat(tmpfd, tenv, 0);
	if (have_tmsg)
		unlinkat(tmpfd, tmsg, 0);
	if (envfd >= 0)
		close(envfd);
	if (msgfd >= 0)
		close(msgfd);
	if (tmpfd >= 0)
		close(tmpfd);
	buf_clear(&env);
	return ok;
}

/* ------------------------------------------------------------- list */

static int
entry_cmp(const void *a, const void *b)
{
	const struct queue_entry *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Read and parse env/name into e; check it names itself. Returns 0, an
 * errno value from reading (ENOENT: gone meanwhile), or -1 with err set
 * for a file that does not parse. */
static int
read_envelope(int envfd, const char *name, struct queue_entry *e,
	      struct mf_error *err)
{
	struct buf text;
	int rc;

	buf_init(&text, QUEUE_ENV_MAX);
	rc = read_file_at(envfd, name, &text);
	if (rc == 0 && !queue_env_parse(text.data ? text.data : "", text.len,
					e, err))
		rc = -1;
	if (rc == 0 && strcmp(e->id, name) != 0) {
		err_set(err, EX_DATAERR, ERR_LOCAL,
			"queue envelope: id line names %s", e->id);
		rc = -1;
	}
	buf_clear(&text);
	return rc;
}

bool
queue_list(struct queue *q, struct queue_entry **entries, size_t *count,
	   struct mf_error *err)
{
	struct queue_entry *list = NULL;
	size_t n = 0;
	struct dirent *d;
	DIR *dir = NULL;
	bool ok = false;
	int envfd, msgfd = -1;

	*entries = NULL;
	*count = 0;
	envfd = open_subdir(q, "env");
	if (envfd < 0 || (msgfd = open_subdir(q, "msg")) < 0) {
		err_set(err, open_errno_code(errno), ERR_LOCAL,
			"queue %s: cannot open a subdirectory: %s", q->path,
			strerror(errno));
		goto out;
	}
	dir = fdopendir(envfd);
	if (dir == NULL) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s/env: %s", q->path,
			strerror(errno));
		goto out;
	}
	envfd = -1; /* owned by dir now */
	for (;;) {
		struct mf_error perr;
		struct queue_entry e;
		struct stat st;
		int rc;

		errno = 0;
		d = readdir(dir);
		if (d == NULL) {
			if (errno != 0) {
				err_set(err, EX_IOERR, ERR_LOCAL,
					"queue %s/env: %s", q->path,
					strerror(errno));
				goto out;
			}
			break;
		}
		if (d->d_name[0] == '.')
			continue;
		if (!id_valid_str(d->d_name)) {
			log_warn("queue %s: env/%.80s: not a message id, "
				 "skipped", q->path, d->d_name);
			continue;
		}
		queue_entry_init(&e);
		err_clear(&perr);
		rc = read_envelope(dirfd(dir), d->d_name, &e, &perr);
		if (rc == ENOENT) {
			/* Finished by another process meanwhile. */
		} else if (rc == -1) {
			log_warn("queue %s: env/%s: %s, skipped", q->path,
				 d->d_name, perr.msg);
		} else if (rc != 0) {
			log_warn("queue %s: env/%s: %s, skipped", q->path,
				 d->d_name, rc == EFBIG ? "file too large"
				 : rc == EINVAL ? "not a regular file"
						: strerror(rc));
		} else if (fstatat(msgfd, d->d_name, &st,
				   AT_SYMLINK_NOFOLLOW) < 0) {
			log_warn("queue %s: msg/%s: %s, skipped", q->path,
				 d->d_name, errno == ENOENT ? "missing"
							    : strerror(errno));
		} else if (!S_ISREG(st.st_mode)) {
			log_warn("queue %s: msg/%s: not a regular file, "
				 "skipped", q->path, d->d_name);
		} else {
			e.size = (unsigned long long)st.st_size;
			list = xreallocarray(list, n + 1, sizeof(*list));
			list[n++] = e;
			continue;
		}
		queue_entry_clear(&e);
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), entry_cmp);
	*entries = list;
	*count = n;
	list = NULL;
	n = 0;
	ok = true;
out:
	queue_entries_free(list, n);
	if (dir)
		closedir(dir);
	if (msgfd >= 0)
		close(msgfd);
	if (envfd >= 0)
		close(envfd);
	return ok;
}

/* ------------------------------------------------------------- lock */

bool
queue_lock(struct queue *q, const char *id, struct queue_entry *e,
	   int *lock_fd, struct mf_error *err)
{
	struct queue_entry t;
	struct mf_error perr;
	struct stat st;
	bool ok = false;
	int fd = -1, envfd = -1, rc;

	*lock_fd = -1;
	queue_entry_init(&t);
	if (!id_valid_str(id)) {
		err_set(err, EX_NOINPUT, ERR_LOCAL,
			"queue: invalid message id %.80s", id ? id : "");
		goto out;
	}
	if (!queue_open_message(q, id, &fd, err))
		goto out;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"message %s is being delivered by another "
				"process", id);
		else
			err_set(err, EX_IOERR, ERR_LOCAL,
				"queue %s: lock msg/%s: %s", q->path, id,
				strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, EX_IOERR, ERR_LOCAL,
			"queue %s: msg/%s: not a regular file", q->path, id);
		goto out;
	}
	/* Locked: now the envelope is current. */
	envfd = open_subdir(q, "env");
	if (envfd < 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s/env: %s", q->path,
			strerror(errno));
		goto out;
	}
	err_clear(&perr);
	rc = read_envelope(envfd, id, &t, &perr);
	if (rc == ENOENT) {
		err_set(err, EX_NOINPUT, ERR_LOCAL,
			"message %s has left the queue meanwhile", id);
		goto out;
	}
	if (rc == -1) {
		*err = perr;
		err_prefix(err, "queue %s: env/%s: ", q->path, id);
		goto out;
	}
	if (rc != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: env/%s: %s",
			q->path, id, rc == EFBIG ? "file too large"
				     : rc == EINVAL ? "not a regular file"
						    : strerror(rc));
		goto out;
	}
	t.size = (unsigned long long)st.st_size;
	queue_entry_clear(e);
	*e = t;
	queue_entry_init(&t);
	*lock_fd = fd;
	fd = -1;
	ok = true;
out:
	if (envfd >= 0)
		close(envfd);
	if (fd >= 0)
		close(fd); /* releases the lock */
	queue_entry_clear(&t);
	return ok;
}

void
queue_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);
}

bool
queue_open_message(struct queue *q, const char *id, int *fd,
		   struct mf_error *err)
{
	bool ok = false;
	int msgfd;

	*fd = -1;
	if (!id_valid_str(id)) {
		err_set(err, EX_NOINPUT, ERR_LOCAL,
			"queue: invalid message id %.80s", id ? id : "");
		return false;
	}
	msgfd = open_subdir(q, "msg");
	if (msgfd < 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s/msg: %s", q->path,
			strerror(errno));
		goto out;
	}
	*fd = openat(msgfd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
					O_NONBLOCK);
	if (*fd < 0 && errno == ENOENT) {
		err_set(err, EX_NOINPUT, ERR_LOCAL,
			"message %s is not in the queue", id);
		goto out;
	}
	if (*fd < 0) {
		err_set(err, open_errno_code(errno), ERR_LOCAL,
			"queue %s: msg/%s: %s", q->path, id, strerror(errno));
		goto out;
	}
	ok = true;
out:
	if (msgfd >= 0)
		close(msgfd);
	return ok;
}

/* ----------------------------------------------------- update/remove */

bool
queue_replace_file(struct queue *q, const char *prefix, const char *data,
		   size_t len, int dest_dirfd, const char *dest_name,
		   const char *shown, struct mf_error *err)
{
	char name[QUEUE_ID_SIZE + 64];
	char rnd[17];
	bool ok = false, have_tmp = false;
	int tmpfd, fd = -1, rc;

	tmpfd = open_subdir(q, "tmp");
	if (tmpfd < 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s/tmp: %s", q->path,
			strerror(errno));
		goto out;
	}
	for (int tries = 0; fd < 0; tries++) {
		if (tries == QUEUE_ID_TRIES) {
			err_set(err, EX_CANTCREAT, ERR_LOCAL,
				"queue %s: no free temporary name", q->path);
			goto out;
		}
		if (!random_hex(rnd, err))
			goto out;
		rc = snprintf(name, sizeof(name), "%s.%s", prefix, rnd);
		if (rc < 0 || (size_t)rc >= sizeof(name))
			BUG("queue: temporary name does not fit");
		fd = openat(tmpfd, name,
			    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
				    O_NOFOLLOW | O_NOCTTY,
			    queue_file_mode(q));
		queue_share_fd(q, fd);
		if (fd < 0 && errno != EEXIST) {
			err_set(err, EX_CANTCREAT, ERR_LOCAL,
				"queue %s: create tmp/%s: %s", q->path, name,
				strerror(errno));
			goto out;
		}
	}
	have_tmp = true;
	rc = write_all(fd, data, len);
	if (rc == 0)
		rc = sync_fd(fd);
	if (close(fd) < 0 && rc == 0)
		rc = errno;
	fd = -1;
	if (rc != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: write tmp/%s: %s",
			q->path, name, strerror(rc));
		goto out;
	}
	if (renameat(tmpfd, name, dest_dirfd, dest_name) < 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: rename to %s: %s",
			q->path, shown, strerror(errno));
		goto out;
	}
	have_tmp = false;
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlinkat(tmpfd, name, 0);
	if (tmpfd >= 0)
		close(tmpfd);
	return ok;
}

bool
queue_update(struct queue *q, const struct queue_entry *e,
	     struct mf_error *err)
{
	char prefix[QUEUE_ID_SIZE + 8], shown[QUEUE_ID_SIZE + 8];
	struct buf env;
	bool ok = false;
	int envfd, rc;

	buf_init(&env, QUEUE_ENV_MAX);
	envfd = open_subdir(q, "env");
	if (envfd < 0) {
		err_set(err, EX_IOERR, ERR_LOCAL,
			"queue %s: cannot open a subdirectory: %s", q->path,
			strerror(errno));
		goto out;
	}
	if (!queue_env_format(e, &env, err))
		goto out;
	/* Never bring back a message that was removed. */
	if (!exists_at(envfd, e->id)) {
		err_set(err, EX_NOINPUT, ERR_LOCAL,
			"message %s is not in the queue", e->id);
		goto out;
	}
	snprintf(prefix, sizeof(prefix), "%s.env", e->id);
	snprintf(shown, sizeof(shown), "env/%s", e->id);
	if (!queue_replace_file(q, prefix, env.data ? env.data : "", env.len,
				envfd, e->id, shown, err))
		goto out;
	if ((rc = sync_fd(envfd)) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: fsync env/: %s",
			q->path, strerror(rc));
		goto out;
	}
	ok = true;
out:
	if (envfd >= 0)
		close(envfd);
	buf_clear(&env);
	return ok;
}

bool
queue_remove(struct queue *q, const char *id, struct mf_error *err)
{
	bool ok = false;
	int envfd, msgfd = -1, rc;

	if (!id_valid_str(id)) {
		err_set(err, EX_NOINPUT, ERR_LOCAL,
			"queue: invalid message id %.80s", id ? id : "");
		return false;
	}
	envfd = open_subdir(q, "env");
	if (envfd < 0 || (msgfd = open_subdir(q, "msg")) < 0) {
		err_set(err, EX_IOERR, ERR_LOCAL,
			"queue %s: cannot open a subdirectory: %s", q->path,
			strerror(errno));
		goto out;
	}
	if (unlinkat(envfd, id, 0) < 0 && errno != ENOENT) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: remove env/%s: %s",
			q->path, id, strerror(errno));
		goto out;
	}
	/* No longer queued once that is durable. */
	if ((rc = sync_fd(envfd)) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: fsync env/: %s",
			q->path, strerror(rc));
		goto out;
	}
	if (unlinkat(msgfd, id, 0) < 0 && errno != ENOENT) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: remove msg/%s: %s",
			q->path, id, strerror(errno));
		goto out;
	}
	if ((rc = sync_fd(msgfd)) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "queue %s: fsync msg/: %s",
			q->path, strerror(rc));
		goto out;
	}
	ok = true;
out:
	if (msgfd >= 0)
		close(msgfd);
	if (envfd >= 0)
		close(envfd);
	return ok;
}

/* Remove, in the subdirectory sub, every entry older than cutoff for
 * which keep() says no. */
static void
clean_dir(struct queue *q, const char *sub, time_t cutoff,
	  bool (*keep)(struct queue *q, const char *name))
{
	int fd = openat(q->dirfd, sub,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime >= cutoff)
			continue;
		if (keep && keep(q, de->d_name))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_warn("queue %s: removed the leftover %s/%s of an "
				 "interrupted write", q->path, sub,
				 de->d_name);
	}
	(void)sync_fd(dirfd(d));
	closedir(d);
}

/* A msg/ID is kept while its envelope exists or someone holds its lock
 * (a commit in progress). */
static bool
msg_in_use(struct queue *q, const char *name)
{
	char env[QUEUE_ID_SIZE + 8];
	struct stat st;
	int fd;
	bool busy;

	if (snprintf(env, sizeof(env), "env/%s", name) >= (int)sizeof(env))
		return true;
	if (fstatat(q->dirfd, env, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT)
		return true;
	fd = openat(q->dirfd, "msg", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return true;
	{
		int mfd = openat(fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		close(fd);
		if (mfd < 0)
			return true;
		busy = flock(mfd, LOCK_EX | LOCK_NB) != 0;
		close(mfd);
	}
	return busy;
}

void
queue_clean(struct queue *q, unsigned age)
{
	time_t cutoff = time(NULL) - (time_t)age;

	clean_dir(q, "tmp", cutoff, NULL);
	clean_dir(q, "msg", cutoff, msg_in_use);
}
