/* submit.c: the sendmail mode, step by step (DESIGN.md "What the program
 * does, in order"): configuration, message intake into headers and a
 * spool file, envelope, header repair, delivery, per-recipient report. */
#include "config.h"

#include "submit.h"

#include "address/address.h"
#include "cli/options.h"
#include "config/config.h"
#include "deliver/deliver.h"
#include "log/log.h"
#include "message/envelope.h"
#include "message/header.h"
#include "message/reader.h"
#include "message/repair.h"
#include "queue/spool.h"
#include "smtp/client.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* The first configuration file that exists: -C, else the user's
 * ($XDG_CONFIG_HOME/mailferry/config, ~/.mailferryrc), else the system's. */
static bool
load_config(const char *cli_file, struct cfg *cfg, struct mf_error *err)
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
		if (err->exit_code == EX_NOINPUT)
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"no configuration: give -C FILE or create "
				"~/.mailferryrc or %s/mailferry.conf",
				SYSCONFDIR);
		return false;
	}
	return true;
}

/* Read the whole message from fd into headers and the spool. */
static bool
read_message(int fd, bool ignore_dots, struct msg_headers *headers,
	     struct spool *spool, bool *eight_bit, struct mf_error *err)
{
	struct msg_reader reader;
	char chunk[65536];
	bool ok = false;

	msg_reader_init(&reader, headers, !ignore_dots, spool_write, spool);
	while (!msg_reader_done(&reader)) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, EX_IOERR, ERR_LOCAL,
				"reading the message: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (!msg_reader_push(&reader, chunk, (size_t)n, err))
			goto out;
	}
	if (!msg_reader_finish(&reader, err))
		goto out;
	*eight_bit = reader.eight_bit;
	ok = true;
out:
	if (!ok)
		err_prefix(err, "message: ");
	msg_reader_clear(&reader);
	return ok;
}

bool
submit_run(const struct cli_options *opts, int in_fd, struct mf_error *err)
{
	struct cfg cfg;
	const struct cfg_account *acct;
	struct msg_headers headers;
	struct spool spool = { .fd = -1 };
	struct addr_list rcpts;
	struct smtp_rcpt_result *results = NULL;
	struct buf head;
	char *sender = NULL;
	size_t accepted = 0;
	bool eight_bit = false, ok = false;

	cfg_init(&cfg);
	msg_headers_init(&headers);
	addr_list_init(&rcpts);
	buf_init(&head, LIMIT_HEADER_BLOCK + 2);

	if (!load_config(opts->config_file, &cfg, err))
		goto out;
	acct = cfg_select(&cfg, opts->account, err);
	if (acct == NULL)
		goto out;
	if (!spool_open(&spool, err) ||
	    !read_message(in_fd, opts->ignore_dots, &headers, &spool,
			  &eight_bit, err))
		goto out;
	if (!msg_envelope_recipients(&headers, opts->recipients,
				     opts->recipient_count,
				     opts->read_recipients, &rcpts, err) ||
	    !msg_envelope_sender(&headers, opts->from, acct->from, &sender,
				 err))
		goto out;
	msg_repair_remove_bcc(&headers);
	if (!msg_headers_write(&headers, &head, err))
		goto out;

	struct deliver_job job = {
		.account = acct,
		.sender = sender,
		.rcpts = rcpts.addrs,
		.rcpt_count = rcpts.count,
		.head = buf_cstr(&head),
		.head_len = head.len,
		.body_fd = spool.fd,
		.eight_bit = eight_bit,
	};
	results = xcalloc(rcpts.count, sizeof(*results));
	if (!deliver_message(&job, results, &accepted, err))
		goto out;
	/* Accepted for some: report every refused recipient, fail with the
	 * first refusal. */
	for (size_t i = 0; i < rcpts.count; i++) {
		if (results[i].accepted)
			continue;
		if (!err_isset(err))
			*err = results[i].error;
		else
			log_warn("%s", results[i].error.msg);
	}
	ok = !err_isset(err);
	if (!ok)
		err_prefix(err, "delivered to %zu of %zu recipients; ",
			   accepted, rcpts.count);
out:
	free(results);
	free(sender);
	buf_clear(&head);
	addr_list_clear(&rcpts);
	spool_close(&spool);
	msg_headers_clear(&headers);
	cfg_clear(&cfg);
	return ok;
}
