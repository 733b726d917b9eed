/* smtp/client.c: the SMTP client engine (RFC 5321 3.1-3.3, 4.1; RFC 3207
 * STARTTLS; RFC 4954 AUTH; RFC 2920 PIPELINING; RFC 6152 8BITMIME; RFC
 * 6531 SMTPUTF8), and LMTP (RFC 2033: LHLO, one reply per recipient after
 * the data).
 *
 * Every reply line is checked by smtp/reply.c before anything acts on it.
 * Commands go through one output buffer so that a pipelined group leaves
 * in one write; the -v transcript shows each line, with AUTH payloads
 * replaced by a placeholder. */
#include "config.h"

#include "smtp/client.h"

#include "log/log.h"
#include "sasl/sasl.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/limits.h"
#include "util/secret.h"
#include "util/stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* Data is handed to the stream in writes of about this size. */
#define OUT_FLUSH 65536
/* Input is split for dot-stuffing so one piece at most doubles. */
#define DATA_PIECE 32768
/* BDAT: chunk size, and how many chunk replies may be outstanding
 * (pipelined, RFC 3030 4.2) before one is read. */
#define BDAT_CHUNK (256u * 1024)
#define BDAT_WINDOW 8

static const char *const state_names[SMTP_STATE_COUNT] = {
	[SMTP_STATE_CONNECTED] = "CONNECTED",
	[SMTP_STATE_GREETED] = "GREETED",
	[SMTP_STATE_EHLO] = "EHLO",
	[SMTP_STATE_STARTTLS] = "STARTTLS",
	[SMTP_STATE_AUTH] = "AUTH",
	[SMTP_STATE_MAIL] = "MAIL",
	[SMTP_STATE_DATA] = "DATA",
	[SMTP_STATE_DONE] = "DONE",
	[SMTP_STATE_QUIT] = "QUIT",
};

const char *
smtp_state_name(enum smtp_state state)
{
	if ((unsigned)state >= SMTP_STATE_COUNT)
		return "?";
	return state_names[state];
}

static void
set_state(struct smtp_session *s, enum smtp_state state)
{
	if (s->state != state)
		log_debug("smtp: %s -> %s", smtp_state_name(s->state),
			  smtp_state_name(state));
	s->state = state;
}

void
smtp_session_init(struct smtp_session *s, struct stream *stream,
		  bool encrypted)
{
	memset(s, 0, sizeof(*s));
	s->stream = stream;
	s->encrypted = encrypted;
	s->state = SMTP_STATE_CONNECTED;
	smtp_reply_init(&s->reply);
	buf_init(&s->in, LIMIT_REPLY_LINE + 4096);
	buf_init(&s->out, LIMIT_COMMAND_LINE + 4 * OUT_FLUSH);
	buf_init(&s->chunk, BDAT_CHUNK);
	dotstuff_init(&s->dot);
}

void
smtp_session_clear(struct smtp_session *s)
{
	smtp_reply_clear(&s->reply);
	buf_clear(&s->in);
	buf_clear_secret(&s->out);
	buf_clear(&s->chunk);
}

void
smtp_session_set_stream(struct smtp_session *s, struct stream *stream,
			bool encrypted)
{
	s->stream = stream;
	s->encrypted = encrypted;
	memset(&s->caps, 0, sizeof(s->caps));
	buf_reset(&s->in);
}

void
smtp_session_set_lmtp(struct smtp_session *s, bool lmtp)
{
	s->lmtp = lmtp;
}

bool
smtp_input_pending(const struct smtp_session *s)
{
	return s->in.len > 0;
}

static bool
flush_out(struct smtp_session *s, struct mf_error *err)
{
	bool ok = true;

	if (s->out.len)
		ok = s->stream->write(s->stream, s->out.data, s->out.len, err);
	if (!ok)
		err_prefix(err, "sending to server: ");
	/* AUTH payloads: wipe as well as forget (message data, the bulk of
	 * what passes here, is not secret and is not wiped). */
	if (s->out_secret) {
		secret_wipe(s->out.data, s->out.len);
		s->out_secret = false;
	}
	buf_reset(&s->out);
	return ok;
}

/* Queue one command line. shown is what -v prints (NULL: the line). */
static bool
queue_cmd(struct smtp_session *s, const char *line, const char *shown,
	  struct mf_error *err)
{
	size_t len = strlen(line);

	if (len > LIMIT_COMMAND_LINE || !buf_append(&s->out, line, len) ||
	    !buf_append(&s->out, "\r\n", 2)) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "command too long");
		return false;
	}
	if (shown)
		s->out_secret = true; /* only AUTH lines are redacted */
	shown = shown ? shown : line;
	log_transcript("-->", shown, strlen(shown));
	return true;
}

static bool
queue_cmdf(struct smtp_session *s, struct mf_error *err, const char *fmt,
	   ...) __attribute__((format(printf, 3, 4)));

static bool
queue_cmdf(struct smtp_session *s, struct mf_error *err, const char *fmt,
	   ...)
{
	char line[LIMIT_ADDRESS + 128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		err_set(err, EX_DATAERR, ERR_PERMANENT, "command too long");
		return false;
	}
	return queue_cmd(s, line, NULL, err);
}

/* Read one line (without its line ending) into s->in's front; returns its
 * length in *len. The caller consumes it. */
static bool
read_line(struct smtp_session *s, size_t *len, struct mf_error *err)
{
	char chunk[4096];

	for (;;) {
		const char *nl = s->in.len
					 ? memchr(s->in.data, '\n', s->in.len)
					 : NULL;
		if (nl) {
			size_t n = (size_t)(nl - s->in.data);
			if (n > 0 && s->in.data[n - 1] == '\r')
				n--;
			*len = n;
			return true;
		}
		if (s->in.len > LIMIT_REPLY_LINE) {
			err_set(err, EX_PROTOCOL, ERR_TEMPORARY,
				"invalid reply from server (line longer than "
				"%u bytes)", (unsigned)LIMIT_REPLY_LINE);
			return false;
		}
		ssize_t r = s->stream->read(s->stream, chunk, sizeof(chunk),
					    err);
		/* Name the reply that did not come: after the message data
		 * it matters (the server may or may not have it). */
		const char *what = smtp_stage_name((enum smtp_stage)s->waiting);
		bool greeting = s->waiting == SMTP_STAGE_GREETING;
		if (r < 0) {
			err_prefix(err, "no reply to %s%s: ",
				   greeting ? "the connection (greeting)" : what,
				   s->waiting == SMTP_STAGE_DATA_END
					   ? " (the server may have the "
					     "message)"
					   : "");
			return false;
		}
		if (r == 0) {
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"server closed the connection %s%s%s",
				greeting ? "before its greeting"
					 : "instead of answering ",
				greeting ? "" : what,
				s->waiting == SMTP_STAGE_DATA_END
					? " (it may have the message)"
					: "");
			return false;
		}
		if (!buf_append(&s->in, chunk, (size_t)r)) {
			err_set(err, EX_PROTOCOL, ERR_TEMPORARY,
				"invalid reply from server (line too long)");
			return false;
		}
	}
}

/* Read one complete (possibly multi-line) reply into s->reply. */
static bool
read_reply(struct smtp_session *s, struct mf_error *err)
{
	smtp_reply_reset(&s->reply);
	do {
		size_t len, used;
		bool ok;

		if (!read_line(s, &len, err))
			return false;
		log_transcript("<--", s->in.data, len);
		ok = smtp_reply_add_line(&s->reply, s->in.data, len, err);
		used = (size_t)((char *)memchr(s->in.data, '\n', s->in.len) -
				s->in.data) + 1;
		buf_consume(&s->in, used);
		if (!ok)
			return false;
	} while (!s->reply.complete);
	return true;
}

/* Flush, read a reply, and require the given class (2 or 3). */
static bool
expect(struct smtp_session *s, int klass, enum smtp_stage stage,
       const char *what, struct mf_error *err)
{
	s->waiting = stage;
	if (!flush_out(s, err) || !read_reply(s, err))
		return false;
	if (s->reply.code / 100 != klass) {
		smtp_status_error(&s->reply, stage, what, err);
		return false;
	}
	return true;
}

bool
smtp_greeting(struct smtp_session *s, struct mf_error *err)
{
	if (!expect(s, 2, SMTP_STAGE_GREETING, NULL, err))
		return false;
	if (s->reply.code != 220) {
		smtp_status_error(&s->reply, SMTP_STAGE_GREETING, NULL, err);
		return false;
	}
	set_state(s, SMTP_STATE_GREETED);
	return true;
}

bool
smtp_ehlo(struct smtp_session *s, const char *domain, struct mf_error *err)
{
	s->waiting = SMTP_STAGE_EHLO;
	if (!queue_cmdf(s, err, "%s %s", s->lmtp ? "LHLO" : "EHLO",
			domain) ||
	    !flush_out(s, err) || !read_reply(s, err))
		return false;
	if (s->reply.code == 250) {
		smtp_caps_parse(&s->reply, &s->caps);
		set_state(s, SMTP_STATE_EHLO);
		return true;
	}
	/* LMTP has no HELO: a server that refuses LHLO is not one. HELO
	 * cannot offer STARTTLS or AUTH: when the account needs them, the
	 * refusal of EHLO is the answer. */
	if (s->lmtp || s->need_esmtp ||
	    !((s->reply.code >= 500 && s->reply.code <= 504) ||
	      s->reply.code == 550)) {
		smtp_status_error(&s->reply, SMTP_STAGE_EHLO,
				  s->lmtp ? "(LHLO)" : NULL, err);
		return false;
	}
	/* An SMTP server without the service extensions (RFC 5321 3.2). */
	if (!queue_cmdf(s, err, "HELO %s", domain) ||
	    !expect(s, 2, SMTP_STAGE_EHLO, NULL, err))
		return false;
	memset(&s->caps, 0, sizeof(s->caps));
	set_state(s, SMTP_STATE_EHLO);
	return true;
}

bool
smtp_starttls(struct smtp_session *s, struct mf_error *err)
{
	if (!queue_cmd(s, "STARTTLS", NULL, err) ||
	    !expect(s, 2, SMTP_STAGE_STARTTLS, NULL, err))
		return false;
	if (s->reply.code != 220) {
		smtp_status_error(&s->reply, SMTP_STAGE_STARTTLS, NULL, err);
		return false;
	}
	if (smtp_input_pending(s)) {
		err_set(err, EX_PROTOCOL, ERR_TEMPORARY,
			"server sent data after its STARTTLS reply and before"
			" the TLS handshake (possible injection); refusing");
		return false;
	}
	set_state(s, SMTP_STATE_STARTTLS);
	return true;
}

bool
smtp_auth(struct smtp_session *s, struct sasl_session *sasl,
	  struct mf_error *err)
{
	const char *mech = sasl_session_mechanism(sasl);
	char shown[64];
	char *resp = NULL;
	struct buf cmd;
	enum sasl_step st = SASL_STEP_MORE;
	bool ok = false;

	buf_init(&cmd, LIMIT_COMMAND_LINE);
	set_state(s, SMTP_STATE_AUTH);
	snprintf(shown, sizeof(shown), "AUTH %s", mech);
	if (sasl_session_client_first(sasl)) {
		st = sasl_session_step(sasl, "", &resp, err);
		if (st == SASL_STEP_ERROR)
			goto out;
		/* RFC 4954 4: an empty initial response is sent as "=". */
		if (!buf_printf(&cmd, "AUTH %s %s", mech,
				*resp ? resp : "=")) {
			err_set(err, EX_SOFTWARE, ERR_LOCAL,
				"AUTH response too long");
			goto out;
		}
		snprintf(shown, sizeof(shown), "AUTH %s <redacted>", mech);
		secret_free(resp);
		resp = NULL;
	} else if (!buf_printf(&cmd, "AUTH %s", mech)) {
		err_set(err, EX_SOFTWARE, ERR_LOCAL, "AUTH command too long");
		goto out;
	}
	if (!queue_cmd(s, buf_cstr(&cmd), shown, err))
		goto out;
	buf_clear_secret(&cmd);
	for (;;) {
		s->waiting = SMTP_STAGE_AUTH;
		if (!flush_out(s, err) || !read_reply(s, err))
			goto out;
		if (s->reply.code == 235)
			break;
		if (s->reply.code != 334) {
			smtp_status_error(&s->reply, SMTP_STAGE_AUTH, mech,
					  err);
			goto out;
		}
		if (s->reply.lines != 1) {
			err_set(err, EX_PROTOCOL, ERR_TEMPORARY,
				"invalid AUTH challenge from server");
			goto out;
		}
		st = sasl_session_step(sasl, buf_cstr(&s->reply.text), &resp,
				       err);
		if (st == SASL_STEP_ERROR) {
			/* Cancel the exchange (RFC 4954 4), then fail. */
			queue_cmd(s, "*", NULL, err);
			flush_out(s, err);
			goto out;
		}
		if (!queue_cmd(s, resp, "<redacted>", err))
			goto out;
		secret_free(resp);
		resp = NULL;
	}
	/* SCRAM proves the server knows the password in its last challenge;
	 * a server that says 235 before that has proven nothing. */
	if (st != SASL_STEP_DONE && strncmp(mech, "SCRAM-", 6) == 0) {
		err_set(err, EX_NOPERM, ERR_PERMANENT,
			"AUTH %s: server accepted without proving it knows "
			"the password; refusing to continue", mech);
		goto out;
	}
	ok = true;
out:
	secret_free(resp);
	buf_clear_secret(&cmd);
	return ok;
}

/* "<addr>" for a message, with a long address cut in the middle so that
 * the server's reply, which follows it, still fits in the error line. */
static void
addr_for_message(const char *addr, char *out, size_t size)
{
	size_t n = strlen(addr);

	if (n <= 120)
		snprintf(out, size, "<%s>", addr);
	else
		snprintf(out, size, "<%.60s...%s>", addr, addr + n - 40);
}

/* Record the reply in s->reply as recipient i's outcome. */
static void
record_rcpt(struct smtp_session *s, bool mail_ok,
	    const struct mf_error *mail_err, const char *rcpt,
	    struct smtp_rcpt_result *r)
{
	char what[LIMIT_ADDRESS + 3];

	err_clear(&r->error);
	r->code = s->reply.code;
	r->accepted = mail_ok && s->reply.code / 100 == 2;
	if (r->accepted)
		return;
	if (!mail_ok) {
		r->error = *mail_err;
		return;
	}
	addr_for_message(rcpt, what, sizeof(what));
	smtp_status_error(&s->reply, SMTP_STAGE_RCPT, what, &r->error);
}

/* RFC 3461 4: xtext, "+HH" for '+', '=' and bytes outside 33..126. */
static void
xtext(struct buf *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p < 33 || *p > 126 || *p == '+' || *p == '=') {
			char e[3] = { '+', hex[*p >> 4], hex[*p & 15] };
			buf_append(out, e, 3);
		} else {
			buf_append_byte(out, (char)*p);
		}
	}
}

/* True when an address of the envelope has a byte >= 0x80. */
static bool
envelope_has_utf8(const char *from, char *const *rcpts, size_t count)
{
	if (bytes_any_high(from, strlen(from)))
		return true;
	for (size_t i = 0; i < count; i++)
		if (bytes_any_high(rcpts[i], strlen(rcpts[i])))
			return true;
	return false;
}

/* The connection broke while pipelined replies were read (err). When a
 * reply already read refused MAIL, or said 421 (the server is closing
 * the channel, RFC 5321 4.2.2) to a recipient, that reply is the reason
 * to report, with its code and text, rather than the silence after it. */
static void
closing_reply(struct mf_error *err, bool mail_refused,
	      const struct mf_error *mail_err, const struct mf_error *rcpt_err)
{
	if (mail_refused && mail_err->smtp_code != 0)
		*err = *mail_err;
	else if (rcpt_err && rcpt_err->smtp_code == 421)
		*err = *rcpt_err;
}

bool
smtp_envelope(struct smtp_session *s, const char *from, char *const *rcpts,
	      size_t count, bool body_8bit, unsigned long long size,
	      const struct smtp_dsn *dsn, struct smtp_rcpt_result *results,
	      size_t *accepted, struct mf_error *err)
{
	char size_param[32] = "";
	struct buf dsn_mail;
	bool use_dsn, utf8, ok;

	/* With PIPELINING, recipients go in groups of this many before the
	 * replies are read, so neither side blocks on a full socket buffer
	 * (RFC 2920 3.2). Without it, one at a time. */
	size_t window = s->caps.pipelining ? 100 : 1;
	/* CHUNKING: the data goes in BDAT chunks, no DATA command (LMTP
	 * keeps DATA: one reply per recipient after the "."). */
	bool chunk = s->caps.chunking && !s->lmtp && !s->no_chunking;
	bool mail_read = false, mail_ok = false, data_ok;
	size_t sent = 0, done = 0;
	struct mf_error mail_err;
	const struct mf_error *first_rcpt_err = NULL;

	*accepted = 0;
	err_clear(&mail_err);
	if (count == 0)
		BUG("envelope without recipients");
	/* Refusals of our own come before anything is sent: the dialogue
	 * stays in step (the owner may still say QUIT, or go on). */
	s->refused_locally = true;
	if (s->caps.size && s->caps.size_max && size > s->caps.size_max) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"message of %llu bytes is larger than the server's "
			"limit of %llu bytes", size, s->caps.size_max);
		return false;
	}
	/* RFC 6531 3.4: UTF-8 in the envelope needs SMTPUTF8 on MAIL, and a
	 * server without it must not see such an address at all. */
	utf8 = envelope_has_utf8(from, rcpts, count);
	if (utf8 && !s->caps.smtputf8) {
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"non-ASCII address and the server does not offer "
			"SMTPUTF8; nothing was sent");
		return false;
	}
	s->refused_locally = false;
	set_state(s, SMTP_STATE_MAIL);
	if (s->caps.size && size)
		snprintf(size_param, sizeof(size_param), " SIZE=%llu", size);
	use_dsn = dsn && (dsn->notify || dsn->ret || dsn->envid);
	if (use_dsn && !s->caps.dsn) {
		log_warn("the server does not offer DSN: the message goes "
			 "without the delivery status requests");
		use_dsn = false;
	}
	buf_init(&dsn_mail, LIMIT_COMMAND_LINE);
	if (use_dsn && dsn->ret)
		buf_printf(&dsn_mail, " RET=%s", dsn->ret);
	if (use_dsn && dsn->envid) {
		buf_append_str(&dsn_mail, " ENVID=");
		xtext(&dsn_mail, dsn->envid);
	}
	ok = queue_cmdf(s, err, "MAIL FROM:<%s>%s%s%s%s", from, size_param,
			body_8bit && s->caps.eightbitmime ? " BODY=8BITMIME"
							  : "",
			utf8 ? " SMTPUTF8" : "", buf_cstr(&dsn_mail));
	buf_clear(&dsn_mail);
	if (!ok)
		return false;
	if (!s->caps.pipelining) {
		if (!expect(s, 2, SMTP_STAGE_MAIL, NULL, err))
			return false;
		mail_read = mail_ok = true;
	}
	while (done < count) {
		while (sent < count && sent - done < window) {
			struct buf rp;
			buf_init(&rp, LIMIT_COMMAND_LINE);
			if (use_dsn && dsn->notify)
				buf_printf(&rp, " NOTIFY=%s", dsn->notify);
			if (use_dsn) {
				/* The address as given, for the report
				 * (RFC 3461 4.2). */
				buf_append_str(&rp, " ORCPT=rfc822;");
				xtext(&rp, rcpts[sent]);
			}
			ok = queue_cmdf(s, err, "RCPT TO:<%s>%s", rcpts[sent],
					buf_cstr(&rp));
			buf_clear(&rp);
			if (!ok)
				return false;
			sent++;
		}
		if (s->caps.pipelining && sent == count && !chunk &&
		    !queue_cmd(s, "DATA", NULL, err))
			return false;
		if (!flush_out(s, err))
			return false;
		if (!mail_read) {
			s->waiting = SMTP_STAGE_MAIL;
			if (!read_reply(s, err))
				return false;
			mail_read = true;
			mail_ok = s->reply.code / 100 == 2;
			if (!mail_ok)
				smtp_status_error(&s->reply, SMTP_STAGE_MAIL,
						  NULL, &mail_err);
		}
		for (; done < sent; done++) {
			s->waiting = SMTP_STAGE_RCPT;
			if (!read_reply(s, err)) {
				closing_reply(err, mail_read && !mail_ok,
					      &mail_err, first_rcpt_err);
				return false;
			}
			record_rcpt(s, mail_ok, &mail_err, rcpts[done],
				    &results[done]);
			if (results[done].accepted)
				(*accepted)++;
			else if (first_rcpt_err == NULL)
				first_rcpt_err = &results[done].error;
		}
	}
	if (!s->caps.pipelining) {
		if (*accepted == 0) {
			*err = *first_rcpt_err;
			return false;
		}
		if (!chunk &&
		    (!queue_cmd(s, "DATA", NULL, err) || !flush_out(s, err)))
			return false;
	}
	if (chunk) {
		if (!mail_ok) {
			*err = mail_err;
			return false;
		}
		if (*accepted == 0) {
			*err = *first_rcpt_err;
			return false;
		}
		s->bdat = true;
		s->bdat_pending = 0;
		s->bdat_failed = false;
		err_clear(&s->bdat_err);
		buf_reset(&s->chunk);
		set_state(s, SMTP_STATE_DATA);
		log_transcript("-->", "<message data in BDAT chunks>", 29);
		return true;
	}
	s->waiting = SMTP_STAGE_DATA;
	if (!read_reply(s, err)) {
		closing_reply(err, !mail_ok, &mail_err, first_rcpt_err);
		return false;
	}
	data_ok = s->reply.code == 354;
	if (data_ok && *accepted == 0) {
		/* A server that accepts DATA without a valid recipient
		 * (RFC 2920 3.1): end the empty data at once. An LMTP
		 * server owes one reply per accepted recipient: none. */
		struct mf_error ignored;
		err_clear(&ignored);
		if (queue_cmd(s, ".", NULL, &ignored) &&
		    flush_out(s, &ignored) && !s->lmtp)
			read_reply(s, &ignored);
		data_ok = false;
	}
	if (!mail_ok) {
		*err = mail_err;
		return false;
	}
	if (*accepted == 0) {
		*err = *first_rcpt_err;
		return false;
	}
	if (!data_ok) {
		smtp_status_error(&s->reply, SMTP_STAGE_DATA, NULL, err);
		return false;
	}
	set_state(s, SMTP_STATE_DATA);
	dotstuff_init(&s->dot);
	log_transcript("-->", "<message data>", 14);
	return true;
}

/* Read one outstanding BDAT reply; the first refusal is kept. */
static bool
bdat_read_one(struct smtp_session *s, struct mf_error *err)
{
	s->waiting = SMTP_STAGE_DATA_END;
	if (!read_reply(s, err))
		return false;
	s->bdat_pending--;
	if (s->reply.code / 100 != 2 && !s->bdat_failed) {
		s->bdat_failed = true;
		smtp_status_error(&s->reply, SMTP_STAGE_DATA_END, NULL,
				  &s->bdat_err);
	}
	return true;
}

/* Send the chunk as "BDAT n" (or "BDAT n LAST") and its bytes, as they
 * are: no dot-stuffing (RFC 3030 2). At most BDAT_WINDOW replies stay
 * outstanding; the last chunk reads them all. */
static bool
bdat_send(struct smtp_session *s, bool last, struct mf_error *err)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "BDAT %zu%s", s->chunk.len,
		 last ? " LAST" : "");
	if (!queue_cmd(s, cmd, NULL, err) || !flush_out(s, err))
		return false;
	if (s->chunk.len &&
	    !s->stream->write(s->stream, s->chunk.data, s->chunk.len, err)) {
		err_prefix(err, "sending to server: ");
		return false;
	}
	buf_reset(&s->chunk);
	s->bdat_pending++;
	while (s->bdat_pending >= (last ? 1 : BDAT_WINDOW))
		if (!bdat_read_one(s, err))
			return false;
	return true;
}

/* A BDAT was refused: send nothing more (RFC 3030 4.1), read what is
 * outstanding so the dialogue stays in step, report the refusal. */
static bool
bdat_give_up(struct smtp_session *s, struct mf_error *err)
{
	while (s->bdat_pending > 0)
		if (!bdat_read_one(s, err))
			return false;
	s->bdat = false;
	*err = s->bdat_err;
	return false;
}

bool
smtp_data_write(struct smtp_session *s, const char *p, size_t len,
		struct mf_error *err)
{
	while (s->bdat && len > 0) {
		size_t n = BDAT_CHUNK - s->chunk.len;
		if (n > len)
			n = len;
		if (!buf_append(&s->chunk, p, n))
			BUG("chunk buffer ceiling");
		p += n;
		len -= n;
		if (s->chunk.len == BDAT_CHUNK) {
			if (!bdat_send(s, false, err))
				return false;
			if (s->bdat_failed)
				return bdat_give_up(s, err);
		}
	}
	while (len > 0) {
		size_t n = len < DATA_PIECE ? len : DATA_PIECE;

		if (s->out.len >= OUT_FLUSH && !flush_out(s, err))
			return false;
		if (!dotstuff_append(&s->dot, p, n, &s->out))
			BUG("data buffer ceiling");
		p += n;
		len -= n;
	}
	return true;
}

/* LMTP after the final ".": one reply per recipient accepted at RCPT
 * (RFC 2033 4.2), each deciding for its recipient alone. */
static bool
lmtp_data_end(struct smtp_session *s, char *const *rcpts,
	      struct smtp_rcpt_result *results, size_t count,
	      size_t *accepted, struct mf_error *err)
{
	struct mf_error broken;
	const struct mf_error *first = NULL;
	bool in_step;

	err_clear(&broken);
	*accepted = 0;
	in_step = flush_out(s, &broken);
	for (size_t i = 0; i < count; i++) {
		struct smtp_rcpt_result *r = &results[i];
		char what[LIMIT_ADDRESS + 8];

		if (!r->accepted)
			continue; /* refused at RCPT: no reply is owed */
		s->waiting = SMTP_STAGE_DATA_END;
		if (in_step)
			in_step = read_reply(s, &broken);
		if (!in_step) {
			/* Whether this one got it is unknown: try again. */
			r->accepted = false;
			r->code = 0;
			r->error = broken;
			continue;
		}
		r->code = s->reply.code;
		if (s->reply.code / 100 == 2) {
			(*accepted)++;
			continue;
		}
		r->accepted = false;
		memcpy(what, "for ", 4);
		addr_for_message(rcpts[i], what + 4, sizeof(what) - 4);
		smtp_status_error(&s->reply, SMTP_STAGE_DATA_END, what,
				  &r->error);
		if (first == NULL)
			first = &r->error;
	}
	if (*accepted > 0)
		set_state(s, SMTP_STATE_DONE);
	if (!in_step) {
		*err = broken;
		return false;
	}
	if (first != NULL) {
		*err = *first;
		return false;
	}
	return true;
}

bool
smtp_data_end(struct smtp_session *s, char *const *rcpts,
	      struct smtp_rcpt_result *results, size_t count,
	      size_t *accepted, struct mf_error *err)
{
	const char *end;

	if (s->bdat) {
		if (!bdat_send(s, true, err))
			return false;
		if (s->bdat_failed)
			return bdat_give_up(s, err);
		s->bdat = false;
		set_state(s, SMTP_STATE_DONE);
		return true;
	}
	end = dotstuff_end(&s->dot);
	if (!buf_append_str(&s->out, end))
		BUG("data buffer ceiling");
	log_transcript("-->", ".", 1);
	if (s->lmtp)
		return lmtp_data_end(s, rcpts, results, count, accepted, err);
	if (!expect(s, 2, SMTP_STAGE_DATA_END, NULL, err))
		return false;
	set_state(s, SMTP_STATE_DONE);
	return true;
}

bool
smtp_rset(struct smtp_session *s, struct mf_error *err)
{
	s->bdat = false;
	if (!queue_cmd(s, "RSET", NULL, err) ||
	    !expect(s, 2, SMTP_STAGE_RSET, NULL, err))
		return false;
	set_state(s, SMTP_STATE_EHLO);
	return true;
}

void
smtp_quit(struct smtp_session *s)
{
	struct mf_error ignored;

	err_clear(&ignored);
	if (queue_cmd(s, "QUIT", NULL, &ignored) && flush_out(s, &ignored))
		read_reply(s, &ignored);
	set_state(s, SMTP_STATE_QUIT);
}
