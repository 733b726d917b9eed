/* config/load.c: reading a configuration file from disk, with the
 * permission check for files that hold a password (as msmtp does: a
 * password readable by other users is a password given away). */
#include "config.h"

#include "config/config.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

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

bool
cfg_load(const char *path, bool system_file, struct cfg *cfg,
	 struct mf_error *err)
{
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
	if (!cfg_parse(text.data ? text.data : "", text.len, path, cfg, err))
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

/* The first configuration file that exists: -C, else the user's
 * ($XDG_CONFIG_HOME/mailferry/config, ~/.mailferryrc), else the system's. */
bool
cfg_load_default(const char *cli_file, struct cfg *cfg, bool *none,
		 struct mf_error *err)
{
	char path[4096];
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	struct stat st;

	if (cli_file)
		return cfg_load(cli_file, false, cfg, err);
	if (xdg && *xdg) {
		snprintf(path, sizeof(path), "%s/mailferry/config", xdg);
		if (stat(path, &st) == 0)
			return cfg_load(path, false, cfg, err);
	} else if (home && *home) {
		snprintf(path, sizeof(path), "%s/.config/mailferry/config",
			 home);
		if (stat(path, &st) == 0)
			return cfg_load(path, false, cfg, err);
	}
	if (home && *home) {
		snprintf(path, sizeof(path), "%s/.mailferryrc", home);
		if (stat(path, &st) == 0)
			return cfg_load(path, false, cfg, err);
	}
	if (!cfg_load(SYSCONFDIR "/mailferry.conf", true, cfg, err)) {
		if (err->exit_code == EX_NOINPUT && none)
			*none = true;
		if (err->exit_code == EX_NOINPUT)
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"no configuration: give -C FILE or create "
				"~/.mailferryrc or %s/mailferry.conf",
				SYSCONFDIR);
		return false;
	}
	return true;
}
