/* config/load.c: reading a configuration file from disk, with the
 * permission check for files that hold a password (as msmtp does: a
 * password readable by other users is a password given away). */
#include "config.h"

#include "config/config.h"

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"
#include "util/run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* Read the whole file into b (bounded by LIMIT_CONFIG_FILE). */
static bool
read_all(int fd, const char *path, struct buf *b, struct mf_error *err)
{
	char chunk[8192];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, EX_IOERR, ERR_LOCAL, "%s: %s", path,
				strerror(errno));
			return false;
		}
		if (n == 0)
			return true;
		if (!buf_append(b, chunk, (size_t)n)) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s: larger than %u bytes", path,
				(unsigned)LIMIT_CONFIG_FILE);
			return false;
		}
	}
}

/* "eval CMD" lines: the command's first output line, within a timeout. */
static bool
eval_line(void *ctx, const char *cmd, char **line, struct mf_error *err)
{
	(void)ctx;
	return run_capture(cmd, CFG_EVAL_TIMEOUT, LIMIT_CONFIG_LINE, true,
			   line, err);
}

bool
cfg_load(const char *path, bool system_file, struct cfg *cfg,
	 struct mf_error *err)
{
	const char *home = getenv("HOME");
	struct cfg_parse_env env = {
		.home = home && *home ? home : NULL,
		.eval = eval_line,
	};
	struct buf text;
	struct stat st;
	bool ok = false;
	int fd;

	buf_init(&text, LIMIT_CONFIG_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_set(err, errno == ENOENT ? EX_NOINPUT : EX_CONFIG,
			ERR_PERMANENT, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		err_set(err, EX_IOERR, ERR_LOCAL, "%s: %s", path,
			strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s: not a regular file", path);
		goto out;
	}
	if (!read_all(fd, path, &text, err))
		goto out;
	if (!cfg_parse_env(text.data ? text.data : "", text.len, path, &env,
			   cfg, err))
		goto out;
	if (cfg->has_password) {
		mode_t forbidden = system_file ? S_IRWXO : (S_IRWXG | S_IRWXO);
		if (!system_file && st.st_uid != geteuid()) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s: contains a password but is not owned by "
				"this user", path);
			goto out;
		}
		if (st.st_mode & forbidden) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s: contains a password but can be read by "
				"%s (chmod %s %s)", path,
				system_file ? "others" : "group or others",
				system_file ? "640" : "600", path);
			goto out;
		}
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	buf_clear_secret(&text);
	return ok;
}

/* Add to user every account of sys it does not define itself (msmtp:
 * the user file overrides the system file per account), and the system
 * defaults when the user's name no host. sys is left empty. */
static void
merge_system(struct cfg *user, struct cfg *sys)
{
	user->system_file = sys->file;
	sys->file = NULL;
	for (size_t i = 0; i < sys->count; i++) {
		struct cfg_account *a = &sys->accounts[i];
		bool shadowed = false;
		for (size_t j = 0; j < user->count && !shadowed; j++)
			shadowed = strcmp(user->accounts[j].name, a->name) == 0;
		if (shadowed)
			continue;
		user->accounts = xreallocarray(user->accounts, user->count + 1,
					       sizeof(*user->accounts));
		user->accounts[user->count] = *a;
		user->accounts[user->count].file = user->system_file;
		user->count++;
		memset(a, 0, sizeof(*a));
		a->name = NULL;
	}
	if (user->defaults.host == NULL && sys->defaults.host != NULL) {
		cfg_account_copy(&user->defaults, &sys->defaults);
		user->defaults.file = user->system_file;
	}
}

/* The user's file: -C, else $XDG_CONFIG_HOME/mailferry/config (or
 * ~/.config/mailferry/config), else ~/.mailferryrc; NULL when none
 * exists. */
const char *
cfg_user_file(const char *cli_file, char *path, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	struct stat st;

	if (cli_file)
		return cli_file;
	if (xdg && *xdg) {
		snprintf(path, size, "%s/mailferry/config", xdg);
		if (stat(path, &st) == 0)
			return path;
	} else if (home && *home) {
		snprintf(path, size, "%s/.config/mailferry/config", home);
		if (stat(path, &st) == 0)
			return path;
	}
	if (home && *home) {
		snprintf(path, size, "%s/.mailferryrc", home);
		if (stat(path, &st) == 0)
			return path;
	}
	return NULL;
}

bool
cfg_load_default(const char *cli_file, struct cfg *cfg, bool *none,
		 struct mf_error *err)
{
	return cfg_load_files(cli_file, cfg_system_file(), cfg, none, err);
}

const char *
cfg_system_file(void)
{
	const char *over = getenv("MAILFERRY_SYSTEM_CONFIG");

	/* Only the test suite moves the system file, and only in a build
	 * without the setgid privilege (a privileged program must not let
	 * the caller choose what it reads). */
	if (over && *over && getuid() == geteuid() && getgid() == getegid())
		return over;
	return SYSCONFDIR "/mailferry.conf";
}

bool
cfg_load_files(const char *cli_file, const char *system_path,
	       struct cfg *cfg, bool *none, struct mf_error *err)
{
	char path[4096];
	const char *user = cfg_user_file(cli_file, path, sizeof(path));
	struct cfg sys;
	struct mf_error serr;
	bool have_sys;

	cfg_init(&sys);
	err_clear(&serr);
	have_sys = cfg_load(system_path, true, &sys, &serr);
	if (!have_sys && serr.exit_code != EX_NOINPUT &&
	    !(user != NULL && serr.exit_code == EX_CONFIG &&
	      access(system_path, R_OK) != 0)) {
		/* A system file that is broken is an error; one this user
		 * may not read is skipped when the user has a file. */
		*err = serr;
		cfg_clear(&sys);
		return false;
	}
	if (user == NULL) {
		if (!have_sys) {
			cfg_clear(&sys);
			if (serr.exit_code == EX_NOINPUT) {
				if (none)
					*none = true;
				err_set(err, EX_CONFIG, ERR_PERMANENT,
					"no configuration: give -C FILE or "
					"create ~/.mailferryrc or %s",
					system_path);
			} else {
				*err = serr;
			}
			return false;
		}
		*cfg = sys;
		return true;
	}
	if (!cfg_load(user, false, cfg, err)) {
		cfg_clear(&sys);
		return false;
	}
	if (have_sys)
		merge_system(cfg, &sys);
	cfg_clear(&sys);
	return true;
}
