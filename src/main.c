/* main.c: mode dispatch and the one place that picks an exit status.
 *
 * Lower layers return a struct mf_error; here it becomes one line on
 * stderr, "mailferry: <message>", and the sysexits.h code it carries. */
#include "config.h"

#include "cli/options.h"
#include "log/log.h"
#include "submit.h"
#include "util/error.h"

#include <signal.h>
#include <stdio.h>
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

int
main(int argc, char **argv)
{
	struct cli_options opts;
	struct mf_error err;

	umask(077);
	no_core_dumps();
	signal(SIGPIPE, SIG_IGN);
	err_clear(&err);

	if (!cli_parse(argc, argv, &opts, &err)) {
		fprintf(stderr, "mailferry: %s\n", err.msg);
		fprintf(stderr, "Try 'mailferry --help' for more "
				"information.\n");
		return err.exit_code;
	}
	switch (opts.mode) {
	case CLI_MODE_VERSION:
		printf("mailferry %s\n", PACKAGE_VERSION);
		printf("Copyright (C) 2026 the mailferry developers.\n"
		       "License GPLv3+: GNU GPL version 3 or later "
		       "<https://gnu.org/licenses/gpl.html>.\n");
		return EX_OK;
	case CLI_MODE_HELP:
		fputs(cli_usage(), stdout);
		return EX_OK;
	case CLI_MODE_MAILQ:
	case CLI_MODE_QUEUE_RUN:
		/* This version never queues: a temporary failure is reported
		 * to the caller (exit 75), who keeps the message. */
		if (opts.mode == CLI_MODE_MAILQ)
			printf("Mail queue is empty\n");
		return EX_OK;
	case CLI_MODE_NEWALIASES:
		fprintf(stderr, "mailferry: newaliases: aliases are not "
				"supported by this version; nothing to do\n");
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
