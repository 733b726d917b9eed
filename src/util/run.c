/* util/run.c: fork, exec /bin/sh -c, read the output with a deadline. */
#define _GNU_SOURCE
#include "config.h"

#include "util/run.h"

#include "util/alloc.h"
#include "util/error.h"
#include "util/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child: stdin from /dev/null, stdout to the pipe, nothing else open
 * but stderr; then the shell. Only async-signal-safe calls. */
static void
child(const char *cmd, int out_fd)
{
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(126);
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

bool
run_capture(const char *cmd, unsigned timeout, size_t max, bool first_line,
	    char **out, struct mf_error *err)
{
	char *data = xmalloc(max + 1);
	size_t len = 0;
	int fds[2] = { -1, -1 }, status = 0;
	long long deadline = timeout ? now_ms() + (long long)timeout * 1000 : 0;
	bool ok = false, too_long = false, timed_out = false;
	pid_t pid = -1;

	*out = NULL;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		err_set(err, EX_OSERR, ERR_LOCAL, "cannot make a pipe: %s",
			strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err_set(err, EX_OSERR, ERR_LOCAL, "cannot fork: %s",
			strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(cmd, fds[1]);
	close(fds[1]);
	fds[1] = -1;
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int wait_ms = -1, r;
		ssize_t n;

		if (deadline) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				timed_out = true;
				break;
			}
			wait_ms = left > 60000 ? 60000 : (int)left;
		}
		r = poll(&p, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(err, EX_OSERR, ERR_LOCAL, "poll: %s",
				strerror(errno));
			goto out;
		}
		if (r == 0)
			continue;
		n = read(fds[0], data + len, max - len + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"reading the command's output: %s",
				strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			too_long = true;
			break;
		}
	}
	if (timed_out || too_long)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (timed_out) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"command '%.200s' did not finish within %u seconds",
			cmd, timeout);
		goto out;
	}
	if (too_long) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"command '%.200s' printed more than %zu bytes", cmd,
			max);
		goto out;
	}
	if (WIFSIGNALED(status)) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"command '%.200s' was killed by signal %d", cmd,
			WTERMSIG(status));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"command '%.200s' failed with exit status %d", cmd,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	if (first_line) {
		char *nl = memchr(data, '\n', len);
		if (nl)
			len = (size_t)(nl - data);
	} else if (len > 0 && data[len - 1] == '\n') {
		len--;
	}
	if (len > 0 && data[len - 1] == '\r')
		len--;
	if (memchr(data, '\0', len) != NULL) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"command '%.200s' printed a NUL byte", cmd);
		goto out;
	}
	data[len] = '\0';
	*out = data;
	data = NULL;
	ok = true;
out:
	if (pid > 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (data) {
		secret_wipe(data, max + 1);
		free(data);
	}
	return ok;
}
