/* main.c: mode dispatch and the one place that picks an exit status.
 *
 * Lower layers return a struct mf_error; here it becomes one line on
 * stderr, "mailferry: <message>", and the sysexits.h code it carries. */
#include "config.h"

#include "bsmtp.h"
#include "cli/options.h"
#include "config/config.h"
#include "flush.h"
#include "inspect.h"
#include "mailq.h"
#include "queue/queue.h"
#include "log/log.h"
#include "privilege.h"
#include "serverinfo.h"
#include "submit.h"
#include "tls/tls.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* Passwords live in this process's memory: keep them out of core files. */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Callers may start us with standard input, output or error closed
 * (mailutils closes 1 and 2): put /dev/null there before anything else is
 * opened, so no file we open later becomes "standard error". */
static void
reopen_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (null >= 0 && null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
}

/* mailq, -q and the queue management options. The queue is the one of
 * the selected account (-a, else the default; without a configuration,
 * the per-user default). A queue that does not exist is empty. */
static bool
queue_command(const struct cli_options *opts, struct mf_error *err)
{
	struct cfg cfg;
	const struct cfg_account *acct = NULL;
	struct queue q;
	char path[4096];
	struct stat st;
	bool ok = false, have_cfg, no_cfg = false;

	cfg_init(&cfg);
	have_cfg = cfg_load_default(opts->config_file, &cfg, &no_cfg, err);
	/* Without any configuration, mailq and the queue commands use the
	 * per-user queue; a configuration that exists but cannot be read
	 * (syntax, permissions) is an error: its queue_dir may name another
	 * queue, and "empty" would be a lie. A queue run needs the accounts. */
	if (!have_cfg && (!no_cfg || opts->mode == CLI_MODE_QUEUE_RUN))
		goto out;
	if (have_cfg && (acct = cfg_select(&cfg, opts->account, err)) == NULL)
		goto out;
	err_clear(err);
	if (!flush_queue_path(acct, path, sizeof(path))) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"no queue directory: set queue_dir or HOME");
		goto out;
	}
	if (stat(path, &st) != 0 && errno == ENOENT) {
		/* No queue directory yet: nothing has ever been queued. */
		err_clear(err);
		if (opts->mode == CLI_MODE_MAILQ)
			printf("Mail queue is empty\n");
		else if (opts->mode != CLI_MODE_QUEUE_RUN)
			err_set(err, EX_NOINPUT, ERR_PERMANENT,
				"no queued message %s", opts->queue_id);
		ok = !err_isset(err);
		goto out;
	}
	if (!queue_open(path, false, &q, err))
		goto out;
	switch (opts->mode) {
	case CLI_MODE_MAILQ:
		ok = mailq_print(&q, stdout, err);
		break;
	case CLI_MODE_QUEUE_RUN: {
		struct flush_select sel = { opts->queue_id, opts->queue_rcpt,
					    opts->queue_sender };
		bool narrowed = opts->queue_id || opts->queue_rcpt ||
				opts->queue_sender;
		ok = flush_run(&cfg, &q, opts->queue_force,
			       narrowed ? &sel : NULL, err);
		break;
	}
	case CLI_MODE_QUEUE_REMOVE:
		ok = mailq_remove(&q, opts->queue_id, err);
		break;
	case CLI_MODE_QUEUE_HOLD:
	case CLI_MODE_QUEUE_RELEASE:
		ok = mailq_hold(&q, opts->queue_id,
				opts->mode == CLI_MODE_QUEUE_HOLD, err);
		break;
	default:
		BUG("not a queue command");
	}
	queue_close(&q);
out:
	cfg_clear(&cfg);
	return ok;
}

int
main(int argc, char **argv)
{
	struct cli_options opts;
	struct mf_error err;

	reopen_std_fds();
	umask(077);
	no_core_dumps();
	signal(SIGPIPE, SIG_IGN);
	/* Kept TLS sessions hold resumption secrets: wiped on the way out. */
	atexit(tls_resume_forget);
	err_clear(&err);

	if (!cli_parse(argc, argv, &opts, &err)) {
		/* One line, as every error (mailferry --help lists the
		 * options). */
		fprintf(stderr, "mailferry: %s\n", err.msg);
		return err.exit_code;
	}
	/* "--KEYWORD=VALUE" must name a configuration keyword whatever the
	 * mode; its value is checked when the account is set up. */
	for (size_t i = 0; i < opts.setting_count; i++) {
		if (!cfg_is_keyword(opts.settings[i].keyword)) {
			char *k = opts.settings[i].keyword;
			for (char *c = k; *c; c++)
				if (*c == '_')
					*c = '-';
			fprintf(stderr, "mailferry: unknown option --%s\n", k);
			return EX_USAGE;
		}
	}
	/* The setgid group, when installed with one: kept only while all
	 * that is read is root's (privilege.h). */
	if (!priv_settle(&opts, &err)) {
		fprintf(stderr, "mailferry: %s\n", err.msg);
		return err.exit_code;
	}
	switch (opts.mode) {
	case CLI_MODE_VERSION:
		inspect_version(stdout);
		return EX_OK;
	case CLI_MODE_PRETEND:
	case CLI_MODE_VERIFY:
		log_init(opts.verbose);
		if (!(opts.mode == CLI_MODE_PRETEND
			      ? inspect_pretend(&opts, stdout, &err)
			      : inspect_verify(&opts, stdout, &err))) {
			fflush(stdout);
			fprintf(stderr, "mailferry: %s\n", err.msg);
			return err.exit_code ? err.exit_code : EX_SOFTWARE;
		}
		return EX_OK;
	case CLI_MODE_SERVERINFO:
		log_init(opts.verbose);
		if (!serverinfo_run(&opts, stdout, &err)) {
			fflush(stdout);
			fprintf(stderr, "mailferry: %s\n", err.msg);
			return err.exit_code ? err.exit_code : EX_SOFTWARE;
		}
		return EX_OK;
	case CLI_MODE_SMTP:
		/* Nothing may reach stderr before the greeting (Symfony
		 * treats it as a failure); errors go into the dialogue. */
		log_init(opts.verbose);
		if (!bsmtp_run(&opts, STDIN_FILENO, STDOUT_FILENO, &err)) {
			fprintf(stderr, "mailferry: %s\n", err.msg);
			return err.exit_code ? err.exit_code : EX_SOFTWARE;
		}
		return EX_OK;
	case CLI_MODE_HELP:
		fputs(cli_usage(), stdout);
		return EX_OK;
	case CLI_MODE_MAILQ:
	case CLI_MODE_QUEUE_RUN:
	case CLI_MODE_QUEUE_REMOVE:
	case CLI_MODE_QUEUE_HOLD:
	case CLI_MODE_QUEUE_RELEASE:
		log_init(opts.verbose);
		if (!queue_command(&opts, &err)) {
			fprintf(stderr, "mailferry: %s\n", err.msg);
			return err.exit_code ? err.exit_code : EX_SOFTWARE;
		}
		return EX_OK;
	case CLI_MODE_NEWALIASES:
		log_init(opts.verbose);
		if (!inspect_aliases(&opts, stdout, &err)) {
			fflush(stdout);
			fprintf(stderr, "mailferry: %s\n", err.msg);
			return err.exit_code ? err.exit_code : EX_SOFTWARE;
		}
		return EX_OK;
	case CLI_MODE_SEND:
		break;
	}
	log_init(opts.verbose);
	if (!submit_run(&opts, STDIN_FILENO, &err)) {
		fprintf(stderr, "mailferry: %s\n", err.msg);
		return err.exit_code ? err.exit_code : EX_SOFTWARE;
	}
	return EX_OK;
}
