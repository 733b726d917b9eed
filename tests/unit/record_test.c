/* tests/unit/record_test.c: log/record — the exact line for delivered,
 * queued, failed and no-auth records (quoting, \xHH escapes of CR, LF, TAB
 * and UTF-8 so a server cannot forge a line), the time prefix (default,
 * custom and odd formats), the bound (recipient list cut with its marker,
 * long values cut), and writing: two records appended to a 0600 logfile,
 * standard output, a logfile that cannot be opened (fallback, one
 * warning on stderr, nothing written), and four processes appending to
 * one logfile at once (every line whole). */
#include "config.h"

#include "check.h"

#include "log/record.h"

#include "util/buf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

/* Recipient lists are char *const * (as deliver/ has them), so the
 * strings are arrays rather than literals. */
static char s_ab[] = "a@b", s_cd[] = "c@d", s_root[] = "root@example.org",
	    s_nobody[] = "nobody@example.org", s_comma[] = "\"x,y\"@c",
	    s_plain[] = "plain@d", s_quote[] = "o'hara@e";
static char *const two_rcpts[] = { s_ab, s_cd };
static char *const one_rcpt[] = { s_root };
static char *const nobody[] = { s_nobody };
static char *const odd_rcpts[] = { s_comma, s_plain, s_quote, NULL };

/* Name the table row when one of its checks failed. */
static void
report_case(const char *table, size_t i, int failures_before)
{
	if (check_failures != failures_before)
		fprintf(stderr, "  ^ in %s case %zu\n", table, i);
}

/* ------------------------------------------------------------ format */

static const struct {
	struct log_record r;
	const char *want;
} format_cases[] = {
	/* delivered, the example of the brief */
	{ { .account = "gmail", .host = "smtp.gmail.com", .port = 587,
	    .tls = true, .auth_mech = "PLAIN", .user = "joe",
	    .from = "joe@x.y", .rcpts = two_rcpts, .rcpt_count = 2,
	    .size = 1234, .outcome = "delivered", .smtp_code = 250,
	    .enhanced = "2.0.0", .smtp_text = "250 2.0.0 Ok: queued as X",
	    .exit_code = EX_OK },
	  "account=gmail host=smtp.gmail.com:587 tls=on auth=PLAIN user=joe "
	  "from=joe@x.y recipients=a@b,c@d size=1234 outcome=delivered "
	  "smtpstatus=250 enhanced=2.0.0 "
	  "smtpmsg='250 2.0.0 Ok: queued as X' exitcode=EX_OK" },
	/* queued without contacting a server: defaults section, null sender */
	{ { .from = "", .rcpts = one_rcpt, .rcpt_count = 1, .size = 42,
	    .outcome = "queued", .queue_id = "6b000000.1.0000000000000001",
	    .error = "connect to smtp.example.org port 587: connection "
		     "refused",
	    .exit_code = EX_OK },
	  "from=<> recipients=root@example.org size=42 outcome=queued "
	  "queueid=6b000000.1.0000000000000001 error='connect to "
	  "smtp.example.org port 587: connection refused' exitcode=EX_OK" },
	/* failed: a hostile reply with a quote, CR LF, a fake key, UTF-8, a
	 * backslash and a TAB stays on one line */
	{ { .account = "work", .host = "mail.example.com", .port = 465,
	    .tls = true, .auth_mech = "SCRAM-SHA-256",
	    .user = "joe@example.com", .from = "joe@example.com",
	    .rcpts = nobody, .rcpt_count = 1, .size = 99,
	    .outcome = "failed", .smtp_code = 550, .enhanced = "5.1.1",
	    .smtp_text = "550 5.1.1 <nobody@example.org>: 'nobody' here\r\n"
			 "Nov 23 19:51:02 outcome=delivered caf\xc3\xa9 \\ "
			 "a\tb",
	    .error = "recipient nobody@example.org: refused",
	    .exit_code = EX_NOUSER },
	  "account=work host=mail.example.com:465 tls=on auth=SCRAM-SHA-256 "
	  "user=joe@example.com from=joe@example.com "
	  "recipients=nobody@example.org size=99 outcome=failed "
	  "smtpstatus=550 enhanced=5.1.1 smtpmsg='550 5.1.1 "
	  "<nobody@example.org>: \\'nobody\\' here\\x0d\\x0aNov 23 19:51:02 "
	  "outcome=delivered caf\\xc3\\xa9 \\\\ a\\x09b' "
	  "error='recipient nobody@example.org: refused' "
	  "exitcode=EX_NOUSER" },
	/* no AUTH: auth=off, the user is not printed; an IPv6 literal gets
	 * brackets; recipients with a comma or quote are quoted one by one,
	 * a NULL one prints as '' */
	{ { .account = "local", .host = "::1", .port = 25, .tls = false,
	    .user = "not-printed", .from = "a@b", .rcpts = odd_rcpts,
	    .rcpt_count = 4, .size = 0, .outcome = "delivered",
	    .smtp_code = 250, .enhanced = "", .smtp_text = "250 ok",
	    .exit_code = EX_OK },
	  "account=local host=[::1]:25 tls=off auth=off from=a@b "
	  "recipients='\"x,y\"@c',plain@d,'o\\'hara@e','' size=0 "
	  "outcome=delivered smtpstatus=250 smtpmsg='250 ok' exitcode=EX_OK" },
	/* deferred from the queue; port 0 is not printed; an empty value */
	{ { .account = "", .host = "relay", .tls = false, .auth_mech = "LOGIN",
	    .from = "x@y", .rcpts = two_rcpts, .rcpt_count = 1, .size = 7,
	    .outcome = "deferred", .queue_id = "q1", .smtp_code = 451,
	    .enhanced = "4.3.0", .smtp_text = "451 4.3.0 try later",
	    .exit_code = EX_TEMPFAIL },
	  "account='' host=relay tls=off auth=LOGIN from=x@y recipients=a@b "
	  "size=7 outcome=deferred queueid=q1 smtpstatus=451 enhanced=4.3.0 "
	  "smtpmsg='451 4.3.0 try later' exitcode=EX_TEMPFAIL" },
	/* nothing but the exit code; an exit code with no name */
	{ { .exit_code = 3 }, "size=0 exitcode=3" },
	{ { .size = 18446744073709551615ULL, .outcome = "expired",
	    .exit_code = EX_UNAVAILABLE },
	  "size=18446744073709551615 outcome=expired exitcode=EX_UNAVAILABLE" },
};

static void
test_format_table(void)
{
	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]);
	     i++) {
		int before = check_failures;
		struct buf b;

		buf_init(&b, LOG_RECORD_MAX);
		CHECK(log_record_format(&format_cases[i].r, NULL, NULL, &b));
		CHECK_STR(buf_cstr(&b), format_cases[i].want);
		CHECK(memchr(b.data, '\n', b.len) == NULL);
		buf_clear(&b);
		report_case("format_cases", i, before);
	}
}

/* Every sysexits name. */
static void
test_exit_names(void)
{
	static const struct {
		int code;
		const char *want;
	} names[] = {
		{ EX_OK, "size=0 exitcode=EX_OK" },
		{ EX_USAGE, "size=0 exitcode=EX_USAGE" },
		{ EX_DATAERR, "size=0 exitcode=EX_DATAERR" },
		{ EX_NOINPUT, "size=0 exitcode=EX_NOINPUT" },
		{ EX_NOUSER, "size=0 exitcode=EX_NOUSER" },
		{ EX_NOHOST, "size=0 exitcode=EX_NOHOST" },
		{ EX_UNAVAILABLE, "size=0 exitcode=EX_UNAVAILABLE" },
		{ EX_SOFTWARE, "size=0 exitcode=EX_SOFTWARE" },
		{ EX_OSERR, "size=0 exitcode=EX_OSERR" },
		{ EX_OSFILE, "size=0 exitcode=EX_OSFILE" },
		{ EX_CANTCREAT, "size=0 exitcode=EX_CANTCREAT" },
		{ EX_IOERR, "size=0 exitcode=EX_IOERR" },
		{ EX_TEMPFAIL, "size=0 exitcode=EX_TEMPFAIL" },
		{ EX_PROTOCOL, "size=0 exitcode=EX_PROTOCOL" },
		{ EX_NOPERM, "size=0 exitcode=EX_NOPERM" },
		{ EX_CONFIG, "size=0 exitcode=EX_CONFIG" },
		{ 1, "size=0 exitcode=1" },
		{ -1, "size=0 exitcode=-1" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct log_record r = { .exit_code = names[i].code };
		struct buf b;

		buf_init(&b, LOG_RECORD_MAX);
		CHECK(log_record_format(&r, NULL, NULL, &b));
		CHECK_STR(buf_cstr(&b), names[i].want);
		buf_clear(&b);
	}
}

/* ------------------------------------------------------------- time */

static void
test_time_prefix(void)
{
	static const struct {
		const char *format;
		const char *want;
	} cases[] = {
		{ NULL, "Nov 03 19:51:02 account=a size=5 exitcode=EX_OK" },
		{ "%Y-%m-%dT%H:%M:%S",
		  "2023-11-03T19:51:02 account=a size=5 exitcode=EX_OK" },
		{ "[%d/%b/%Y:%H:%M:%S]",
		  "[03/Nov/2023:19:51:02] account=a size=5 exitcode=EX_OK" },
		/* a newline or TAB from the format cannot break the line */
		{ "%H%n%M%t'x'", "19\\x0a51\\x09'x' account=a size=5 "
				 "exitcode=EX_OK" },
		/* a format that gives nothing: no prefix */
		{ "", "account=a size=5 exitcode=EX_OK" },
	};
	struct tm when = { .tm_year = 123, .tm_mon = 10, .tm_mday = 3,
			   .tm_hour = 19, .tm_min = 51, .tm_sec = 2,
			   .tm_wday = 5, .tm_yday = 306, .tm_isdst = 0 };
	struct log_record r = { .account = "a", .size = 5 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = check_failures;
		struct buf b;

		buf_init(&b, LOG_RECORD_MAX);
		CHECK(log_record_format(&r, &when, cases[i].format, &b));
		CHECK_STR(buf_cstr(&b), cases[i].want);
		buf_clear(&b);
		report_case("time cases", i, before);
	}

	/* a time format longer than the scratch buffer: left out */
	{
		char fmt[400];
		struct buf b;

		memset(fmt, 'x', sizeof(fmt) - 1);
		fmt[sizeof(fmt) - 1] = '\0';
		buf_init(&b, LOG_RECORD_MAX);
		CHECK(log_record_format(&r, &when, fmt, &b));
		CHECK_STR(buf_cstr(&b), "account=a size=5 exitcode=EX_OK");
		buf_clear(&b);
	}
}

/* ------------------------------------------------------------ bound */

#define NRCPT 10000

static void
test_recipient_cut(void)
{
	char **rcpts = calloc(NRCPT, sizeof(*rcpts));
	struct log_record r = { .account = "bulk", .host = "h", .port = 25,
				.from = "f@x", .size = 1, .outcome = "failed",
				.smtp_code = 552, .smtp_text = "552 too many",
				.exit_code = EX_UNAVAILABLE };
	const char *tail = " size=1 outcome=failed smtpstatus=552 "
			   "smtpmsg='552 too many' exitcode=EX_UNAVAILABLE";
	const char *head = "account=bulk host=h:25 tls=off auth=off from=f@x "
			   "recipients=";
	const char *line, *p, *marker;
	struct buf b;
	size_t fitted = 0;

	if (rcpts == NULL) {
		perror("calloc");
		exit(99);
	}
	for (size_t i = 0; i < NRCPT; i++) {
		rcpts[i] = malloc(32);
		if (rcpts[i] == NULL) {
			perror("malloc");
			exit(99);
		}
		snprintf(rcpts[i], 32, "user%05zu@example.com", i);
	}
	r.rcpts = rcpts;
	r.rcpt_count = NRCPT;

	buf_init(&b, LOG_RECORD_MAX);
	CHECK(log_record_format(&r, NULL, NULL, &b));
	line = buf_cstr(&b);
	CHECK(b.len <= LOG_RECORD_MAX);
	/* full enough: another recipient and the marker would not fit */
	CHECK(b.len + strlen(",user00000@example.com") + 40 > LOG_RECORD_MAX);
	CHECK(strncmp(line, head, strlen(head)) == 0);
	CHECK(b.len > strlen(tail) &&
	      strcmp(line + b.len - strlen(tail), tail) == 0);

	/* the fitted recipients are the first ones, in order, then the
	 * marker counts exactly the rest */
	p = line + strlen(head);
	marker = strstr(p, ",'...(+");
	CHECK(marker != NULL);
	while (marker != NULL && p < marker) {
		char want[32];

		snprintf(want, sizeof(want), "user%05zu@example.com", fitted);
		CHECK(strncmp(p, want, strlen(want)) == 0);
		p += strlen(want);
		if (*p == ',' && p < marker)
			p++;
		fitted++;
	}
	CHECK(fitted > 100);
	if (marker != NULL) {
		char want[64];

		snprintf(want, sizeof(want), ",'...(+%zu more)'", NRCPT - fitted);
		CHECK(strncmp(marker, want, strlen(want)) == 0);
		CHECK(strcmp(marker + strlen(want), tail) == 0);
	}
	buf_clear(&b);

	/* one giant recipient: the marker alone */
	{
		char *huge = malloc(LOG_RECORD_MAX * 2);
		char *one[2];

		if (huge == NULL) {
			perror("malloc");
			exit(99);
		}
		memset(huge, 'r', LOG_RECORD_MAX * 2 - 1);
		huge[LOG_RECORD_MAX * 2 - 1] = '\0';
		one[0] = huge;
		one[1] = rcpts[0];
		r.rcpts = one;
		r.rcpt_count = 2;
		buf_init(&b, LOG_RECORD_MAX);
		CHECK(log_record_format(&r, NULL, NULL, &b));
		/* each value is cut at its own cap, so the first fits cut */
		CHECK(strstr(buf_cstr(&b), "recipients=rrrr") != NULL);
		CHECK(strstr(buf_cstr(&b), "rrr...,user00000@example.com "
					   "size=1") != NULL);
		CHECK(b.len <= LOG_RECORD_MAX);
		buf_clear(&b);
		free(huge);
	}

	for (size_t i = 0; i < NRCPT; i++)
		free(rcpts[i]);
	free(rcpts);
}

/* Long values are cut with "...", never inside an escape, and every field
 * at once still fits the bound. */
static void
test_value_cut(void)
{
	size_t big = 100000;
	char *text = malloc(big + 1);
	char *nl = malloc(big + 1);
	char *rcpts[200];
	struct log_record r;
	struct buf b;
	const char *s, *q;

	if (text == NULL || nl == NULL) {
		perror("malloc");
		exit(99);
	}
	memset(text, 'a', big);
	text[big] = '\0';
	memset(nl, '\n', big);
	nl[big] = '\0';
	for (size_t i = 0; i < 200; i++)
		rcpts[i] = text;

	/* smtpmsg: 1024 bytes of escaped text, the last three "..." */
	memset(&r, 0, sizeof(r));
	r.smtp_text = nl;
	buf_init(&b, LOG_RECORD_MAX);
	CHECK(log_record_format(&r, NULL, NULL, &b));
	s = buf_cstr(&b);
	q = strstr(s, "smtpmsg='");
	CHECK(q != NULL);
	if (q != NULL) {
		const char *end = strstr(q, "...' exitcode=");

		q += strlen("smtpmsg='");
		CHECK(end != NULL);
		/* 255 whole "\x0a" units, then "..." */
		CHECK(end != NULL && end - q == 255 * 4);
		CHECK(end != NULL && end[-4] == '\\' && end[-1] == 'a');
	}
	buf_clear(&b);

	/* every string field huge, LF and plain, and many recipients */
	r.account = nl;
	r.host = text;
	r.port = 65535;
	r.tls = true;
	r.auth_mech = nl;
	r.user = text;
	r.from = nl;
	r.rcpts = rcpts;
	r.rcpt_count = 200;
	r.size = 12;
	r.outcome = text;
	r.queue_id = nl;
	r.smtp_code = 599;
	r.enhanced = text;
	r.smtp_text = nl;
	r.error = text;
	r.exit_code = EX_PROTOCOL;
	{
		struct tm when = { .tm_year = 123, .tm_mday = 1 };
		char fmt[100];

		memset(fmt, '\t', sizeof(fmt) - 1);
		fmt[sizeof(fmt) - 1] = '\0';
		buf_init(&b, LOG_RECORD_MAX);
		CHECK(log_record_format(&r, &when, fmt, &b));
	}
	CHECK(b.len <= LOG_RECORD_MAX);
	CHECK(memchr(b.data, '\n', b.len) == NULL);
	CHECK(strstr(buf_cstr(&b), "more)' size=12 ") != NULL);
	CHECK(b.len > strlen(" exitcode=EX_PROTOCOL") &&
	      strcmp(buf_cstr(&b) + b.len - strlen(" exitcode=EX_PROTOCOL"),
		     " exitcode=EX_PROTOCOL") == 0);
	buf_clear(&b);

	/* an output buffer too small refuses and keeps its contents */
	memset(&r, 0, sizeof(r));
	r.account = "abcdefghijklmnop";
	buf_init(&b, 30);
	CHECK(buf_append_str(&b, "kept"));
	CHECK(!log_record_format(&r, NULL, NULL, &b));
	CHECK_STR(buf_cstr(&b), "kept");
	CHECK(log_record_format(&(struct log_record){ .exit_code = 0 }, NULL,
				NULL, &b));
	CHECK_STR(buf_cstr(&b), "keptsize=0 exitcode=EX_OK");
	buf_clear(&b);

	free(text);
	free(nl);
}

/* ----------------------------------------------------------- writing */

static char base[200]; /* the mkdtemp directory */

/* The whole file into b (ceiling 4 MiB); false when it cannot be read. */
static bool
slurp(const char *path, struct buf *b)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf_init(b, 4 * 1024 * 1024);
	if (fd < 0)
		return false;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (!buf_append(b, chunk, (size_t)n))
			break;
	}
	close(fd);
	return n == 0;
}

/* Send fd (1 or 2) to the file base/name until capture_end(). */
struct capture {
	int fd;
	int saved;
	char path[300];
};

static void
capture_start(struct capture *c, int fd, const char *name)
{
	int tmp;

	c->fd = fd;
	snprintf(c->path, sizeof(c->path), "%s/%s", base, name);
	fflush(stdout);
	fflush(stderr);
	tmp = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	c->saved = dup(fd);
	if (tmp < 0 || c->saved < 0 || dup2(tmp, fd) < 0) {
		perror("capture");
		exit(99);
	}
	close(tmp);
}

static void
capture_end(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	if (dup2(c->saved, c->fd) < 0) {
		perror("capture");
		exit(99);
	}
	close(c->saved);
}

static size_t
count_lines(const struct buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

/* Two records appended to a new logfile: created 0600, exact content, no
 * warning. A third call appends to the existing file. */
static void
test_write_logfile(void)
{
	char path[300], want[2048];
	struct log_target t = { .time_format = "T" };
	struct capture err;
	struct stat st;
	struct buf got, warn;
	bool ok1, ok2, ok3;

	snprintf(path, sizeof(path), "%s/mail.log", base);
	t.logfile = path;
	capture_start(&err, 2, "stderr.1");
	ok1 = log_record_write(&t, &format_cases[0].r);
	ok2 = log_record_write(&t, &format_cases[1].r);
	capture_end(&err);
	CHECK(ok1 && ok2);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	snprintf(want, sizeof(want), "T %s\nT %s\n", format_cases[0].want,
		 format_cases[1].want);
	CHECK(slurp(path, &got));
	CHECK_STR(buf_cstr(&got), want);
	buf_clear(&got);
	CHECK(slurp(err.path, &warn));
	CHECK(warn.len == 0);
	buf_clear(&warn);

	/* appending keeps what is there; the default time format is used */
	t.time_format = NULL;
	ok3 = log_record_write(&t, &format_cases[2].r);
	CHECK(ok3);
	CHECK(slurp(path, &got));
	CHECK(count_lines(&got) == 3);
	CHECK(got.len > strlen(want) &&
	      memcmp(got.data, want, strlen(want)) == 0);
	/* "Mmm dd hh:mm:ss " then the record */
	CHECK(got.len == strlen(want) + 16 + strlen(format_cases[2].want) + 1);
	CHECK(got.len > 16 && got.data[strlen(want) + 15] == ' ');
	CHECK(memcmp(got.data + strlen(want) + 16, format_cases[2].want,
		     strlen(format_cases[2].want)) == 0);
	buf_clear(&got);
}

/* "-" is standard output, with the time prefix. */
static void
test_write_stdout(void)
{
	struct log_target t = { .logfile = "-", .time_format = "when:" };
	struct capture out;
	struct buf got;
	char want[1024];
	bool ok;

	capture_start(&out, 1, "stdout");
	ok = log_record_write(&t, &format_cases[3].r);
	capture_end(&out);
	CHECK(ok);
	snprintf(want, sizeof(want), "when: %s\n", format_cases[3].want);
	CHECK(slurp(out.path, &got));
	CHECK_STR(buf_cstr(&got), want);
	buf_clear(&got);
}

/* A logfile that cannot be opened: false, nothing created, and exactly
 * one warning line naming the file and the reason. (The line goes to
 * syslog, which the test cannot see.) */
static void
test_write_fallback(void)
{
	static const struct {
		const char *name;  /* under base; "" is base itself */
		const char *reason;
		const char *syslog;
	} cases[] = {
		{ "/missing/mail.log", "No such file or directory", NULL },
		{ "/missing/mail.log", "No such file or directory",
		  "LOG_LOCAL3" },
		{ "", "Is a directory", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = check_failures;
		char path[300], want[600];
		struct log_target t = { .syslog = cases[i].syslog };
		struct capture err;
		struct buf got;
		bool ok;

		snprintf(path, sizeof(path), "%s%s", base, cases[i].name);
		t.logfile = path;
		capture_start(&err, 2, "stderr.2");
		ok = log_record_write(&t, &format_cases[2].r);
		capture_end(&err);
		CHECK(!ok);
		if (cases[i].name[0] != '\0')
			CHECK(access(path, F_OK) != 0);
		CHECK(slurp(err.path, &got));
		CHECK(count_lines(&got) == 1);
		snprintf(want, sizeof(want),
			 "mailferry: warning: logfile %s: cannot open: %s "
			 "(logging to syslog instead)\n",
			 path, cases[i].reason);
		CHECK_STR(buf_cstr(&got), want);
		buf_clear(&got);
		report_case("fallback cases", i, before);
	}
}

/* Concurrent senders: 4 processes append 50 long lines each to one
 * logfile; every line arrives whole. */
#define WRITERS 4
#define WRITES  50

static void
test_write_concurrent(void)
{
	static char addr[] = "somebody.with.a.long.name@example.com";
	static char names[WRITERS][16];
	char *rcpts[150];
	char path[300];
	struct log_target t = { .time_format = "" };
	struct log_record r = { .host = "h", .from = "f@x", .size = 1,
				.outcome = "delivered", .exit_code = EX_OK };
	struct buf want[WRITERS], got;
	size_t seen[WRITERS] = { 0 }, start = 0;

	for (size_t i = 0; i < 150; i++)
		rcpts[i] = addr;
	r.rcpts = rcpts;
	r.rcpt_count = 150;
	snprintf(path, sizeof(path), "%s/busy.log", base);
	t.logfile = path;
	for (int w = 0; w < WRITERS; w++) {
		snprintf(names[w], sizeof(names[w]), "writer%d", w);
		r.account = names[w];
		buf_init(&want[w], LOG_RECORD_MAX + 1);
		CHECK(log_record_format(&r, NULL, NULL, &want[w]));
		CHECK(buf_append_byte(&want[w], '\n'));
	}
	fflush(stdout);
	fflush(stderr);
	for (int w = 0; w < WRITERS; w++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			exit(99);
		}
		if (pid == 0) {
			bool ok = true;

			r.account = names[w];
			for (int k = 0; k < WRITES; k++)
				ok = log_record_write(&t, &r) && ok;
			_exit(ok ? 0 : 1);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;

		CHECK(wait(&status) > 0 && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0);
	}
	CHECK(slurp(path, &got));
	CHECK(count_lines(&got) == WRITERS * WRITES);
	while (start < got.len) {
		const char *nl = memchr(got.data + start, '\n',
					got.len - start);
		size_t len = nl ? (size_t)(nl - got.data) - start + 1
				: got.len - start;
		bool matched = false;

		for (int w = 0; w < WRITERS && !matched; w++) {
			if (len == want[w].len &&
			    memcmp(got.data + start, want[w].data, len) == 0) {
				seen[w]++;
				matched = true;
			}
		}
		CHECK(matched);
		if (!matched)
			break;
		start += len;
	}
	for (int w = 0; w < WRITERS; w++) {
		CHECK(seen[w] == WRITES);
		buf_clear(&want[w]);
	}
	buf_clear(&got);
}

static void
remove_files(void)
{
	static const char *const names[] = {
		"mail.log", "busy.log", "stdout", "stderr.1", "stderr.2",
	};
	char path[300];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", base, names[i]);
		unlink(path);
	}
	rmdir(base);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	umask(022);
	test_format_table();
	test_exit_names();
	test_time_prefix();
	test_recipient_cut();
	test_value_cut();

	n = snprintf(base, sizeof(base), "%s/record_test.XXXXXX",
		     tmp && *tmp == '/' && strlen(tmp) < 100 ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(base) || mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_write_logfile();
	test_write_stdout();
	test_write_fallback();
	test_write_concurrent();
	remove_files();
	return check_done("record_test");
}
