/* bsmtp.c: smtp/server.c's callbacks, feeding submit.c. */
#include "config.h"

#include "bsmtp.h"

#include "cli/options.h"
#include "log/log.h"
#include "smtp/server.h"
#include "submit.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/fdstream.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct bsmtp {
	const struct cli_options *opts;
	struct submission *sub; /* the message being received, or NULL */
};

static void
on_data_start(void *ctx, const struct smtp_server_txn *txn,
	      struct smtp_server_reply *reply)
{
	struct bsmtp *b = ctx;
	struct mf_error err;

	(void)txn;
	submission_free(b->sub);
	/* The server has removed the dot-stuffing already. */
	b->sub = submission_new(false, &err);
	if (b->sub == NULL)
		smtp_server_reply_error(reply, &err, 451, "4.3.0");
}

static bool
on_data_write(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct bsmtp *b = ctx;

	return submission_write(b->sub, p, len, err);
}

static void
on_data_end(void *ctx, const struct smtp_server_txn *txn,
	    struct smtp_server_reply *reply)
{
	struct bsmtp *b = ctx;
	char **rcpts = xcalloc(txn->rcpt_count + 1, sizeof(*rcpts));
	char *sender = xmalloc(strlen(txn->from) + 3);
	struct submit_outcome res;
	struct submit_envelope env;
	struct mf_error err;

	/* "<addr>": the null path "<>" stays the null sender. */
	sender[0] = '<';
	memcpy(sender + 1, txn->from, strlen(txn->from));
	memcpy(sender + 1 + strlen(txn->from), ">", 2);
	for (size_t i = 0; i < txn->rcpt_count; i++)
		rcpts[i] = txn->rcpts[i].path;
	env = (struct submit_envelope){
		.sender = sender,
		.rcpts = rcpts,
		.rcpt_count = txn->rcpt_count,
		.read_recipients = false,
	};
	err_clear(&err);
	if (!submission_send(b->sub, b->opts, &env, &res, &err))
		smtp_server_reply_error(reply, &err, 554, "5.0.0");
	else if (res.queued && res.delivered == 0)
		smtp_server_reply_set(reply, 250, "2.0.0",
				      "Ok: queued as %s", res.queue_id);
	else if (res.queued)
		smtp_server_reply_set(reply, 250, "2.0.0",
				      "Ok: delivered, %zu recipient%s queued "
				      "as %s", res.deferred,
				      res.deferred == 1 ? "" : "s",
				      res.queue_id);
	else
		smtp_server_reply_set(reply, 250, "2.0.0",
				      "Ok: delivered to %zu recipient%s",
				      res.delivered,
				      res.delivered == 1 ? "" : "s");
	submission_free(b->sub);
	b->sub = NULL;
	free(sender);
	free(rcpts);
}

static void
on_data_abort(void *ctx, const struct smtp_server_txn *txn)
{
	struct bsmtp *b = ctx;

	(void)txn;
	submission_free(b->sub);
	b->sub = NULL;
}

bool
bsmtp_run(const struct cli_options *opts, int in_fd, int out_fd,
	  struct mf_error *err)
{
	static const struct smtp_server_ops ops = {
		.data_start = on_data_start,
		.data_write = on_data_write,
		.data_end = on_data_end,
		.data_abort = on_data_abort,
	};
	struct bsmtp b = { .opts = opts };
	struct fdstream fs;
	char host[256];
	/* SMTPUTF8: the submission path takes UTF-8 addresses (deliver
	 * sends them as they are, or with A-label domains, or refuses). */
	struct smtp_server_config cfg = { .host = host, .smtputf8 = true };
	bool ok;

	bytes_host_name(NULL, host, sizeof(host));
	fdstream_init(&fs, in_fd, out_fd);
	ok = smtp_server_run(&fs.base, &cfg, &ops, &b, err);
	submission_free(b.sub);
	fs.base.close(&fs.base);
	return ok;
}
