/* tests/unit/rate_test.c: queue/rate — the rate limit ledger in a mkdtemp
 * queue: the limit reached and the time the next slot frees, the window
 * sliding, rate_check recording nothing, no limit touching nothing, a
 * torn last line and junk ignored and cleaned, times in the future taken
 * as now, stale entries pruned, a reservation given back, the ledger
 * names of accounts, and forked children reserving at once never
 * exceeding the limit. */
#include "config.h"

#include "check.h"

#include "queue/queue.h"
#include "queue/rate.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char base[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh queue under base/name. */
static bool
open_queue(const char *name, struct queue *q)
{
	char path[256];
	struct mf_error err;

	snprintf(path, sizeof(path), "%s/%s", base, name);
	if (!queue_open(path, true, q, &err)) {
		fprintf(stderr, "queue_open %s: %s\n", path, err.msg);
		return false;
	}
	return true;
}

/* The ledger file rate/file of q as text (at most size - 1 bytes). */
static bool
read_ledger(struct queue *q, const char *file, char *out, size_t size)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/rate/%s", q->path, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return false;
	out[n] = '\0';
	return true;
}

static bool
write_ledger(struct queue *q, const char *file, const char *text)
{
	char path[512];
	size_t len = strlen(text);
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/rate", q->path);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/rate/%s", q->path, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Reserve under count/period at now; returns granted, *retry_at. */
static bool
reserve(struct queue *q, const char *name, unsigned count, unsigned period,
	long long now, long long *retry_at)
{
	struct mf_error err;
	bool granted = false;

	err_clear(&err);
	if (!rate_reserve(q, name, count, period, now, &granted, retry_at,
			  &err)) {
		fprintf(stderr, "rate_reserve: %s\n", err.msg);
		CHECK(!"rate_reserve failed");
		return false;
	}
	return granted;
}

/* The limit, the retry time and the sliding window. */
static void
test_window(void)
{
	struct queue q;
	struct mf_error err;
	long long retry = -1;
	bool granted;
	char text[256];

	if (!open_queue("window", &q)) {
		CHECK(!"queue");
		return;
	}
	/* 3 per 100 seconds. */
	CHECK(reserve(&q, "acct", 3, 100, 1000, &retry));
	CHECK(retry == 0);
	CHECK(reserve(&q, "acct", 3, 100, 1010, &retry));
	CHECK(reserve(&q, "acct", 3, 100, 1020, &retry));
	CHECK(read_ledger(&q, "acct", text, sizeof(text)));
	CHECK_STR(text, "1000\n1010\n1020\n");
	/* Full: the slot of 1000 frees at 1100. */
	CHECK(!reserve(&q, "acct", 3, 100, 1030, &retry));
	CHECK(retry == 1100);
	CHECK(!reserve(&q, "acct", 3, 100, 1099, &retry));
	CHECK(retry == 1100);
	CHECK(read_ledger(&q, "acct", text, sizeof(text)));
	CHECK_STR(text, "1000\n1010\n1020\n"); /* refusals record nothing */
	/* The window slides: at 1100 the first send no longer counts. */
	CHECK(reserve(&q, "acct", 3, 100, 1100, &retry));
	CHECK(!reserve(&q, "acct", 3, 100, 1101, &retry));
	CHECK(retry == 1110);
	/* A lower limit with more live entries (1010, 1020, 1100): with
	 * one allowed, a slot frees only once all three have left, at
	 * 1100 + 100. */
	CHECK(!reserve(&q, "acct", 1, 100, 1105, &retry));
	CHECK(retry == 1200);
	/* Another account has its own ledger. */
	CHECK(reserve(&q, "other", 1, 100, 1105, &retry));
	CHECK(!reserve(&q, "other", 1, 100, 1106, &retry));
	CHECK(retry == 1205);

	/* rate_check records nothing and creates nothing. */
	granted = false;
	CHECK(rate_check(&q, "fresh", 1, 60, 5000, &granted, &retry, &err));
	CHECK(granted && retry == 0);
	CHECK(!read_ledger(&q, "fresh", text, sizeof(text)));
	CHECK(rate_check(&q, "acct", 3, 100, 1105, &granted, &retry, &err));
	CHECK(!granted && retry == 1110);
	CHECK(rate_check(&q, "acct", 3, 100, 1110, &granted, &retry, &err));
	CHECK(granted);
	CHECK(read_ledger(&q, "acct", text, sizeof(text)));
	CHECK_STR(text, "1000\n1010\n1020\n1100\n");

	/* No limit: granted, nothing written. */
	CHECK(reserve(&q, "nolimit", 0, 0, 1000, &retry));
	CHECK(retry == 0);
	CHECK(!read_ledger(&q, "nolimit", text, sizeof(text)));
	queue_close(&q);
}

/* Torn lines, junk, future times, pruning, release. */
static void
test_file(void)
{
	struct queue q;
	struct mf_error err;
	long long retry = -1;
	char text[4096];

	if (!open_queue("file", &q)) {
		CHECK(!"queue");
		return;
	}
	/* A torn append (no LF) is ignored, then cleaned by a rewrite. */
	CHECK(write_ledger(&q, "torn", "1000\n10"));
	CHECK(reserve(&q, "torn", 2, 100, 1001, &retry));
	CHECK(read_ledger(&q, "torn", text, sizeof(text)));
	CHECK_STR(text, "1000\n1001\n");
	CHECK(!reserve(&q, "torn", 2, 100, 1002, &retry));
	CHECK(retry == 1100);

	/* Junk lines: not numbers, signs, leading zeros, too long. */
	CHECK(write_ledger(&q, "junk", "abc\n\n-5\n0999\n"
				       "99999999999999999999999\n1000\n"));
	CHECK(reserve(&q, "junk", 2, 100, 1001, &retry));
	CHECK(read_ledger(&q, "junk", text, sizeof(text)));
	CHECK_STR(text, "1000\n1001\n");

	/* A time in the future (the clock went back) counts as now. */
	CHECK(write_ledger(&q, "future", "999999\n"));
	CHECK(!reserve(&q, "future", 1, 100, 1000, &retry));
	CHECK(retry == 1100);

	/* Appends while stale lines are few; a rewrite drops them once
	 * they outnumber the live ones. */
	CHECK(write_ledger(&q, "prune", "10\n20\n1000\n"));
	CHECK(reserve(&q, "prune", 5, 100, 1001, &retry));
	CHECK(read_ledger(&q, "prune", text, sizeof(text)));
	CHECK_STR(text, "10\n20\n1000\n1001\n"); /* 2 stale, 1 live */
	CHECK(write_ledger(&q, "prune", "10\n20\n30\n40\n1000\n"));
	CHECK(reserve(&q, "prune", 5, 100, 1001, &retry));
	CHECK(read_ledger(&q, "prune", text, sizeof(text)));
	CHECK_STR(text, "1000\n1001\n"); /* 4 stale > 1 live + 1 */

	/* Release: the slot is free again; an unknown time changes
	 * nothing. */
	CHECK(write_ledger(&q, "rel", ""));
	CHECK(reserve(&q, "rel", 2, 100, 2000, &retry));
	CHECK(reserve(&q, "rel", 2, 100, 2001, &retry));
	CHECK(!reserve(&q, "rel", 2, 100, 2002, &retry));
	CHECK(rate_release(&q, "rel", 2001, &err));
	CHECK(read_ledger(&q, "rel", text, sizeof(text)));
	CHECK_STR(text, "2000\n");
	CHECK(rate_release(&q, "rel", 1234, &err));
	CHECK(read_ledger(&q, "rel", text, sizeof(text)));
	CHECK_STR(text, "2000\n");
	CHECK(reserve(&q, "rel", 2, 100, 2002, &retry));
	/* Only one of two equal times goes. */
	CHECK(reserve(&q, "dup", 3, 100, 3000, &retry));
	CHECK(reserve(&q, "dup", 3, 100, 3000, &retry));
	CHECK(rate_release(&q, "dup", 3000, &err));
	CHECK(read_ledger(&q, "dup", text, sizeof(text)));
	CHECK_STR(text, "3000\n");

	/* A ledger that is not a regular file: an error, nothing granted. */
	{
		char path[512];
		bool granted = true;

		snprintf(path, sizeof(path), "%s/rate/dir", q.path);
		CHECK(mkdir(path, 0700) == 0);
		err_clear(&err);
		CHECK(!rate_reserve(&q, "dir", 1, 60, 1000, &granted, &retry,
				    &err));
		CHECK(!granted && err_isset(&err));
	}
	queue_close(&q);
}

/* Ledger file names: the default account, encoded bytes, long names. */
static void
test_names(void)
{
	static const char long_a[] =
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"/1";
	static const char long_b[] =
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"/2";
	struct queue q;
	long long retry;
	char text[256], path[512];
	size_t files = 0;
	struct stat st;

	if (!open_queue("names", &q)) {
		CHECK(!"queue");
		return;
	}
	CHECK(reserve(&q, NULL, 1, 60, 1000, &retry));
	CHECK(read_ledger(&q, "default", text, sizeof(text)));
	CHECK_STR(text, "1000\n");
	/* "default" by name is the same ledger as NULL. */
	CHECK(!reserve(&q, "default", 1, 60, 1001, &retry));
	CHECK(reserve(&q, "a/b c%", 1, 60, 1000, &retry));
	CHECK(read_ledger(&q, "a%2Fb%20c%25", text, sizeof(text)));
	CHECK(reserve(&q, "..", 1, 60, 1000, &retry));
	CHECK(read_ledger(&q, "%2E.", text, sizeof(text)));
	CHECK(reserve(&q, "caf\xc3\xa9.x", 1, 60, 1000, &retry));
	CHECK(read_ledger(&q, "caf%C3%A9.x", text, sizeof(text)));
	/* Two long names: cut, hashed, distinct. */
	CHECK(reserve(&q, long_a, 1, 60, 1000, &retry));
	CHECK(reserve(&q, long_b, 1, 60, 1000, &retry));
	CHECK(!reserve(&q, long_a, 1, 60, 1001, &retry));
	for (size_t i = 0; i < 2; i++) {
		/* each is a file with a name under NAME_MAX */
		CHECK(!reserve(&q, i ? long_b : long_a, 1, 60, 1001, &retry));
	}
	snprintf(path, sizeof(path), "%s/rate", q.path);
	{
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		FILE *ls;
		char cmd[600];
		char line[512];

		CHECK(dfd >= 0);
		if (dfd >= 0)
			close(dfd);
		snprintf(cmd, sizeof(cmd), "ls '%s'", path);
		ls = popen(cmd, "r");
		while (ls && fgets(line, sizeof(line), ls)) {
			line[strcspn(line, "\n")] = '\0';
			CHECK(strlen(line) <= 255);
			snprintf(path, sizeof(path), "%s/rate/%s", q.path,
				 line);
			CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			      (st.st_mode & 0777) == 0600);
			files++;
		}
		if (ls)
			pclose(ls);
	}
	CHECK(files == 6);
	snprintf(path, sizeof(path), "%s/rate", q.path);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
	queue_close(&q);
}

/* Children reserve at once, some giving back: the ledger never holds
 * more than the limit, and it holds exactly what was granted and not
 * given back. Stale lines at the start make the first writer rewrite
 * (rename) the file while the others wait for its lock. */
static void
test_concurrent(void)
{
	enum { CHILDREN = 8, TRIES = 25, LIMIT = 60 };
	struct queue q;
	char text[8192];
	char stale[4096];
	size_t pos = 0;
	pid_t pids[CHILDREN];
	int fds[2];
	int granted = 0, released = 0;
	bool forked = true;

	if (!open_queue("concurrent", &q) || pipe(fds) != 0) {
		CHECK(!"queue or pipe");
		return;
	}
	for (int i = 0; i < 200; i++)
		pos += (size_t)snprintf(stale + pos, sizeof(stale) - pos,
					"%d\n", 100 + i);
	CHECK(write_ledger(&q, "busy", stale));
	for (int c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		if (pids[c] < 0) {
			forked = false;
			break;
		}
		if (pids[c] == 0) {
			/* Writes "granted released" to the pipe. Gives back
			 * only in the first half, so that every release is
			 * followed by its child's own next try. */
			int g = 0, r = 0, n;
			char line[32];

			close(fds[0]);
			for (int t = 0; t < TRIES; t++) {
				struct mf_error err;
				long long retry;
				bool ok = false;
				long long now = 100000 + t;

				if (!rate_reserve(&q, "busy", LIMIT, 3600, now,
						  &ok, &retry, &err))
					_exit(1);
				if (!ok)
					continue;
				g++;
				if (t < TRIES / 2 && (t + c) % 3 == 0) {
					if (!rate_release(&q, "busy", now,
							  &err))
						_exit(1);
					r++;
				}
			}
			n = snprintf(line, sizeof(line), "%d %d\n", g, r);
			_exit(write(fds[1], line, (size_t)n) == n ? 0 : 1);
		}
	}
	close(fds[1]);
	CHECK(forked);
	for (int c = 0; c < CHILDREN; c++) {
		int status = 0;

		if (pids[c] <= 0)
			continue;
		if (waitpid(pids[c], &status, 0) != pids[c] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			CHECK(!"child failed");
	}
	{
		/* Lines of "g r" (each under PIPE_BUF: written whole). */
		char all[1024], *p = all, *end;
		ssize_t n = read(fds[0], all, sizeof(all) - 1);

		all[n > 0 ? n : 0] = '\0';
		for (int c = 0; c < CHILDREN && *p; c++) {
			long g = strtol(p, &end, 10);
			long r = strtol(end, &end, 10);
			granted += (int)g;
			released += (int)r;
			p = end + (*end == '\n');
		}
	}
	close(fds[0]);
	CHECK(read_ledger(&q, "busy", text, sizeof(text)));
	fprintf(stderr, "concurrent: %d granted, %d given back, %zu lines\n",
		granted, released, count_lines(text));
	CHECK(count_lines(text) == (size_t)(granted - released));
	CHECK(count_lines(text) <= LIMIT);
	/* 200 tries for 60 slots, and each give-back is followed by a try
	 * of the same child: the ledger ends full. */
	CHECK(count_lines(text) == LIMIT);
	/* The stale lines were pruned. */
	CHECK(strstr(text, "\n100\n") == NULL && strncmp(text, "100\n", 4));
	queue_close(&q);
}

int
main(void)
{
	snprintf(base, sizeof(base), "/tmp/rate_test.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_window();
	test_file();
	test_names();
	test_concurrent();
	rm_rf(base);
	return check_done("rate_test");
}
