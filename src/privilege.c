/* privilege.c: keep or drop the setgid group. */
#define _GNU_SOURCE
#include "config.h"

#include "privilege.h"

#include "cli/options.h"
#include "config/config.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

bool
priv_held(void)
{
	return getegid() != getgid();
}

bool
priv_drop(struct mf_error *err)
{
	gid_t g = getgid();

	if (setresgid(g, g, g) != 0 || getegid() != g) {
		err_set(err, EX_OSERR, ERR_LOCAL,
			"cannot give up the setgid group: %s",
			strerror(errno));
		return false;
	}
	return true;
}

/* Whether anything the caller controls would be read or written. */
static bool
caller_controls_something(const struct cli_options *opts)
{
	char path[4096];

	if (opts->config_file || opts->host || opts->setting_count > 0)
		return true;
	switch (opts->mode) {
	case CLI_MODE_PRETEND:
	case CLI_MODE_VERIFY:
	case CLI_MODE_NEWALIASES:
		/* They show the configuration: not the system's secrets'
		 * neighbours to just anyone. */
		return true;
	case CLI_MODE_QUEUE_REMOVE:
	case CLI_MODE_QUEUE_HOLD:
	case CLI_MODE_QUEUE_RELEASE:
		/* Managing the shared queue is root's business. */
		return getuid() != 0;
	default:
		break;
	}
	/* A user configuration file of the caller's (checked with the real
	 * ids: access() ignores the setgid group). */
	return cfg_user_file(NULL, path, sizeof(path)) != NULL &&
	       access(path, F_OK) == 0;
}

bool
priv_settle(const struct cli_options *opts, struct mf_error *err)
{
	if (!priv_held())
		return true;
	if (caller_controls_something(opts))
		return priv_drop(err);
	/* Kept: nothing of the caller's environment may steer what a
	 * privileged process reads, runs (passwordeval's PATH) or where it
	 * puts its temporary file (TMPDIR). */
	if (clearenv() != 0 ||
	    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) != 0) {
		err_set(err, EX_OSERR, ERR_LOCAL,
			"cannot reset the environment");
		return false;
	}
	umask(007);
	return true;
}

const char *
priv_system_spool(void)
{
	return LOCALSTATEDIR "/spool/mailferry";
}
