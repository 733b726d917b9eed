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
#include "message/longlines.h"
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
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
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

/* Read and drop what is left on fd, so a caller still writing never gets
 * SIGPIPE because we stopped early on an error. */
static void
drain(int fd)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
	}
}

/* Where the reader's body bytes go: the spool, and the long-line scan
 * (started at the first body byte, when the header block is complete). */
struct intake {
	struct spool *spool;
	struct msg_headers *headers;
	struct msg_longlines *ll;
};

static bool
intake_body(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct intake *in = ctx;

	if (in->ll == NULL)
		in->ll = msg_longlines_new(in->headers);
	msg_longlines_scan(in->ll, p, len);
	return spool_write(in->spool, p, len, err);
}

/* Read the whole message from fd into headers and the spool. */
static bool
read_message(int fd, bool ignore_dots, struct intake *in, bool *eight_bit,
	     struct mf_error *err)
{
	struct msg_reader reader;
	char chunk[65536];
	bool ok = false;

	msg_reader_init(&reader, in->headers, !ignore_dots, intake_body, in);
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
		if (!msg_reader_push(&reader, chunk, (size_t)n, err)) {
			drain(fd);
			goto out;
		}
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

static enum msg_add
repair_mode(unsigned cfg_value)
{
	switch (cfg_value) {
	case CFG_REPAIR_ON:
		return MSG_ADD_ALWAYS;
	case CFG_REPAIR_OFF:
		return MSG_ADD_NEVER;
	default:
		return MSG_ADD_AUTO;
	}
}

/* The Message-ID domain: the account's domain, else the host name. */
static void
local_domain(const struct cfg_account *acct, char *out, size_t size)
{
	if (acct->domain) {
		snprintf(out, size, "%s", acct->domain);
		return;
	}
	if (gethostname(out, size) != 0 || out[0] == '\0')
		snprintf(out, size, "localhost");
	out[size - 1] = '\0';
}

/* Repair the headers as the account says: needs the clock, the host name
 * and randomness, which message/ does not touch. */
static bool
repair_headers(const struct cli_options *opts,
	       const struct cfg_account *acct, const char *sender,
	       struct msg_headers *headers, struct mf_error *err)
{
	char date[64], msgid[512], domain[256];
	unsigned char rnd[8];
	time_t now = time(NULL);
	struct tm local, utc;
	struct msg_repair r = {
		.remove_bcc = acct->remove_bcc_headers,
		.date = repair_mode(acct->set_date_header),
		.message_id = repair_mode(acct->set_msgid_header),
		.from = repair_mode(acct->set_from_header),
		.undisclosed = acct->undisclosed_recipients,
		.encode = acct->encode_headers,
		.from_address = sender,
		.from_name = opts->full_name ? opts->full_name
					     : acct->from_full_name,
	};

	localtime_r(&now, &local);
	gmtime_r(&now, &utc);
	msg_format_date(&local, local.tm_gmtoff, date, sizeof(date));
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* Uniqueness still holds by time and process id. */
		memset(rnd, 0, sizeof(rnd));
	}
	local_domain(acct, domain, sizeof(domain));
	msg_format_message_id(&utc, (long)getpid(), rnd, domain, msgid,
			      sizeof(msgid));
	r.date_value = date;
	r.message_id_value = msgid;
	return msg_repair_apply(headers, &r, err);
}

/* The body for the DATA phase: the spool, through the long-line
 * rewriter when the scan found lines over 998 octets. */
struct body_source {
	struct spool *spool;
	struct msg_longlines *ll; /* NULL: send as read */
};

struct rewrite_pass {
	struct msg_longlines *ll;
	deliver_sink_fn sink;
	void *sink_ctx;
};

static bool
rewrite_chunk(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	struct rewrite_pass *rp = ctx;

	return msg_longlines_rewrite(rp->ll, p, len, rp->sink, rp->sink_ctx,
				     err);
}

static bool
body_produce(void *ctx, deliver_sink_fn sink, void *sink_ctx,
	     struct mf_error *err)
{
	struct body_source *src = ctx;
	struct rewrite_pass rp = { src->ll, sink, sink_ctx };

	if (src->ll == NULL)
		return spool_replay(src->spool, sink, sink_ctx, err);
	return spool_replay(src->spool, rewrite_chunk, &rp, err) &&
	       msg_longlines_rewrite_end(src->ll, sink, sink_ctx, err);
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
	struct intake in = { .spool = &spool, .headers = &headers };
	struct body_source body = { .spool = &spool };

	cfg_init(&cfg);
	msg_headers_init(&headers);
	addr_list_init(&rcpts);
	buf_init(&head, LIMIT_HEADER_BLOCK + 2);

	/* The message is read to the end first: the caller is answered only
	 * after its input is drained, whatever goes wrong later. */
	if (!spool_open(&spool, err)) {
		drain(in_fd);
		goto out;
	}
	if (!read_message(in_fd, opts->ignore_dots, &in, &eight_bit, err))
		goto out;
	/* Lines over 998 octets: re-encode the parts that have them (the
	 * top-level headers change first, for a non-MIME body). */
	if (in.ll && msg_longlines_scan_done(in.ll)) {
		if (!msg_longlines_fix_headers(in.ll, &headers, err))
			goto out;
		body.ll = in.ll;
	}
	if (!load_config(opts->config_file, &cfg, err))
		goto out;
	acct = cfg_select(&cfg, opts->account, err);
	if (acct == NULL)
		goto out;
	if (!msg_envelope_recipients(&headers, opts->recipients,
				     opts->recipient_count,
				     opts->read_recipients, &rcpts, err) ||
	    !msg_envelope_sender(&headers, opts->from, acct->from, &sender,
				 err))
		goto out;
	if (!repair_headers(opts, acct, sender, &headers, err) ||
	    !msg_headers_write(&headers, &head, err))
		goto out;

	struct deliver_job job = {
		.account = acct,
		.sender = sender,
		.rcpts = rcpts.addrs,
		.rcpt_count = rcpts.count,
		.head = buf_cstr(&head),
		.head_len = head.len,
		.body = body_produce,
		.body_ctx = &body,
		.size = (unsigned long long)head.len +
			(unsigned long long)spool.size,
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
	msg_longlines_free(in.ll);
	buf_clear(&head);
	addr_list_clear(&rcpts);
	spool_close(&spool);
	msg_headers_clear(&headers);
	cfg_clear(&cfg);
	return ok;
}
