/* deliver/deliver.h: one delivery attempt to the account's smarthost. */
#ifndef MF_DELIVER_DELIVER_H
#define MF_DELIVER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/reply.h"
#include "tls/tls.h"

struct cfg_account;
struct mf_error;
struct smtp_rcpt_result;

/* Receives message bytes (CRLF lines, any chunking) for the DATA phase. */
typedef bool (*deliver_sink_fn)(void *sink_ctx, const char *p, size_t len,
				struct mf_error *err);

/* Produces the message body by calling sink with it, piece by piece, as
 * often as needed; returns false with err set on failure. */
typedef bool (*deliver_body_fn)(void *body_ctx, deliver_sink_fn sink,
				void *sink_ctx, struct mf_error *err);

struct deliver_job {
	const struct cfg_account *account; /* borrowed */
	const char *sender;        /* envelope sender; "" is <> */
	char *const *rcpts;        /* envelope recipients */
	size_t rcpt_count;
	const char *head;          /* header block incl. the empty line */
	size_t head_len;
	deliver_body_fn body;      /* writes the body (after the head) */
	void *body_ctx;
	unsigned long long size;   /* estimated message size, for SIZE= */
	bool eight_bit;            /* the message has bytes >= 0x80 */
	const char *dsn_notify;    /* RFC 3461 requests, or NULL */
	const char *dsn_ret;
	const char *dsn_envid;
};

struct deliver_session;

/* Open a connection to the account's smarthost ready for transactions:
 * connect, EHLO (LHLO with protocol lmtp), TLS as configured (never
 * downgraded), AUTH as configured. *out is owned by the caller
 * (deliver_close). Errors: as deliver_message. */
bool deliver_open(const struct cfg_account *acct, struct deliver_session **out,
		  struct mf_error *err);

/* One transaction on an open session (RSET first when it is not the
 * first). Results as deliver_message. After a failure, the session may
 * still be usable (the server refused: the dialogue is in step) or not
 * (I/O or protocol error): ask deliver_session_usable(). With LMTP that
 * can also be so after a success: the connection may fail after some
 * recipients got the message. */
bool deliver_send(struct deliver_session *ds, const struct deliver_job *job,
		  struct smtp_rcpt_result *results, size_t *accepted,
		  struct mf_error *err);

/* Make ds ready for a transaction without starting one: RSET after an
 * earlier transaction (deliver_send does this itself). False, with err
 * set and the session no longer usable, when the server refused or the
 * connection broke: then no message was touched, and a caller with
 * several to send can open another connection for them (a server that
 * answers 421 after so many messages per connection). */
bool deliver_ready(struct deliver_session *ds, struct mf_error *err);
bool deliver_session_usable(const struct deliver_session *ds);

/* What a session negotiated and the server's last reply (after a
 * successful deliver_send: the reply to the end of DATA; with LMTP the
 * last recipient's reply to it, which may be a refusal), for the log
 * line. Pointers are borrowed from ds (or acct) until the next call on
 * it. ds may be NULL (nothing was connected): then only the account's
 * host and port are set. */
struct deliver_info {
	const char *host;
	unsigned port;
	bool tls;
	const char *auth_mech; /* NULL: no AUTH */
	int code;              /* 0: no reply */
	const char *enhanced;
	const char *text;
};
void deliver_session_info(struct deliver_session *ds,
			  const struct cfg_account *acct,
			  struct deliver_info *out);

/* QUIT when the dialogue is in step, then close; NULL does nothing. */
void deliver_close(struct deliver_session *ds);

/* What --serverinfo shows: the smarthost as a delivery meets it. */
struct deliver_server_info {
	char *greeting;        /* the 220 reply's text, lines joined with '\n'
				  (owned) */
	char *ehlo;            /* the text of the last EHLO (LHLO) reply;
				  its first word is the server's name (owned) */
	struct smtp_caps caps; /* from the last EHLO: after TLS with TLS */
	bool lmtp;             /* spoken with LHLO (protocol lmtp) */
	bool starttls;         /* TLS was started with STARTTLS */
	bool tls;              /* the session is TLS: tls_info is set */
	struct tls_session_info tls_info;
	const char *cb_type;   /* the session's channel binding type
				  ("tls-exporter", "tls-unique"), or NULL */
	bool auth;             /* the account authenticates (auth not off) */
	char auth_mech[32];    /* what AUTH would use, or "" (auth_why says
				  why not) */
	char auth_why[512];
};

/* Connect to the account's smarthost exactly as deliver_open() does (TLS
 * as configured and never downgraded, the certificate checked as
 * configured), greet, and stop before AUTH: describe the server, then
 * QUIT. No password is needed (passwordeval is not run) and no AUTH is
 * sent. *out is owned by the caller (deliver_server_info_clear) and is
 * set only on success. Errors: as deliver_open's up to AUTH (a refused
 * certificate is EX_TEMPFAIL, temporary, saying why). */
bool deliver_probe(const struct cfg_account *acct,
		   struct deliver_server_info *out, struct mf_error *err);
void deliver_server_info_clear(struct deliver_server_info *info);

/* Connect, EHLO, TLS as configured (never downgraded: with tls on and
 * STARTTLS not offered nothing is sent), AUTH as configured, then the
 * transaction. results (rcpt_count entries) receive each recipient's
 * outcome; *accepted counts the accepted ones. Returns true when the
 * server accepted the message for at least one recipient; the others are
 * in results. Errors: see smtp/status.h, net/net.h, tls/tls.h, sasl.h.
 *
 * SMTP: a recipient is accepted at RCPT, and one reply to the data
 * decides for all of them. On false, results may still show recipients
 * accepted at RCPT, counted in *accepted, though none has the message:
 * err says why, for all of them.
 * LMTP (protocol lmtp, RFC 2033): the same until the data has been
 * sent. Then each recipient accepted at RCPT gets its own reply, and
 * results holds it: accepted only when it was 2xx, else error is the
 * recipient's own (4xx temporary, 5xx permanent, enhanced status kept;
 * the connection's failure, temporary, for those whose reply never
 * came). *accepted then counts the recipients that have the message,
 * and true is returned (err clear) when there is at least one.
 *
 * Addresses with UTF-8 go as written, with SMTPUTF8 on MAIL, when the
 * server offers SMTPUTF8; otherwise their domains go as A-labels
 * (address/idna.h). A recipient that cannot go that way (a non-ASCII
 * local part, an invalid internationalized domain) is refused before
 * MAIL: its result holds the permanent EX_DATAERR failure (code 0) and
 * the others still go; when none is left, or the sender cannot go, false
 * with that failure and nothing sent (the session stays usable). */
bool deliver_message(const struct deliver_job *job,
		     struct smtp_rcpt_result *results, size_t *accepted,
		     struct mf_error *err);

#endif
