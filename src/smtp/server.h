/* smtp/server.h: the SMTP server side of `sendmail -bs` (RFC 5321).
 *
 * The caller (Symfony Mailer, Laravel, ...) speaks SMTP to us over a
 * struct stream, usually standard input and output. This module is only
 * the protocol: it parses commands, keeps the transaction, answers, and
 * hands the envelope and the unstuffed message bytes to callbacks that
 * the top level supplies; those store and relay the message and decide
 * the final reply. Offered: PIPELINING (RFC 2920), 8BITMIME (RFC 6152),
 * ENHANCEDSTATUSCODES (RFC 2034, 3463), SIZE (RFC 1870) and, when
 * configured, DSN (RFC 3461). Not offered on a local pipe: STARTTLS,
 * AUTH, CHUNKING. */
#ifndef MF_SMTP_SERVER_H
#define MF_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct mf_error;
struct stream;

/* Longest path, "<" and ">" included (RFC 5321 4.5.3.1.3). */
#define SMTP_SERVER_PATH_MAX   256
/* Longest HELO/EHLO argument (a domain name has at most 255 octets). */
#define SMTP_SERVER_DOMAIN_MAX 255
/* Longest reply text we send; longer text is cut. */
#define SMTP_SERVER_TEXT_MAX   400

/* BODY= (RFC 6152); UNSET when the parameter was not given. */
enum smtp_server_body {
	SMTP_SERVER_BODY_UNSET,
	SMTP_SERVER_BODY_7BIT,
	SMTP_SERVER_BODY_8BITMIME,
};

/* RET= (RFC 3461 4.3); UNSET when not given. */
enum smtp_server_ret {
	SMTP_SERVER_RET_UNSET,
	SMTP_SERVER_RET_FULL,
	SMTP_SERVER_RET_HDRS,
};

/* NOTIFY= bits (RFC 3461 4.1); 0 when the parameter was not given. */
#define SMTP_SERVER_NOTIFY_NEVER   0x1u
#define SMTP_SERVER_NOTIFY_SUCCESS 0x2u
#define SMTP_SERVER_NOTIFY_FAILURE 0x4u
#define SMTP_SERVER_NOTIFY_DELAY   0x8u

/* One recipient. Strings are owned by the server. */
struct smtp_server_rcpt {
	/* The mailbox without angle brackets and without a source route,
	 * as the caller wrote it (a quoted local part stays quoted). It
	 * may be unqualified ("root", "postmaster"): qualifying or refusing
	 * it is the rcpt callback's job. Printable ASCII only. */
	char *path;
	unsigned notify; /* SMTP_SERVER_NOTIFY_* bits */
	char *orcpt;     /* ORCPT= "addr-type;xtext" as given, or NULL */
};

/* The transaction as far as it got. Everything is owned by the server
 * and borrowed by a callback for the duration of the call. */
struct smtp_server_txn {
	const char *helo;  /* the HELO/EHLO argument */
	bool esmtp;        /* the caller said EHLO, not HELO */
	char *from;        /* reverse-path mailbox as for rcpt path; "" for
			    * the null path <> */
	enum smtp_server_body body;
	unsigned long long size; /* SIZE=, 0 when not given */
	enum smtp_server_ret ret;
	bool smtputf8;     /* MAIL said SMTPUTF8 (RFC 6531) */
	char *envid;       /* ENVID= xtext as given (not decoded), or NULL */
	struct smtp_server_rcpt *rcpts; /* the accepted recipients */
	size_t rcpt_count;
};

/* A reply a callback gives. Sent as "code enhanced text" on one line;
 * text is cut at SMTP_SERVER_TEXT_MAX and sanitised (control bytes such
 * as CR and LF become spaces, non-ASCII bytes become '?'), so callback
 * text can never break the dialogue. An enhanced status that is empty,
 * malformed or of another class than code is replaced by "N.0.0". */
struct smtp_server_reply {
	int code;          /* 200..599 */
	char enhanced[16]; /* "2.0.0", or "" */
	char text[SMTP_SERVER_TEXT_MAX + 1];
};

/* Fill r (the text is printf-formatted and cut to fit). */
void smtp_server_reply_set(struct smtp_server_reply *r, int code,
			   const char *enhanced, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fill r from a failure: err's SMTP code and enhanced status when it has
 * a 4xx or 5xx one; else 451 4.3.0 for temporary and local errors and
 * perm_code/perm_enhanced (e.g. 554 "5.6.0") for permanent ones. The text
 * is err's message. */
void smtp_server_reply_error(struct smtp_server_reply *r,
			     const struct mf_error *err, int perm_code,
			     const char *perm_enhanced);

struct smtp_server_config {
	/* Our name in the greeting and the HELO/EHLO replies (borrowed;
	 * sanitised like callback text). */
	const char *host;
	/* The largest message accepted, in bytes: advertised as "SIZE n",
	 * checked against MAIL's SIZE= (552 5.3.4) and against the data
	 * itself. 0: no limit, advertised as "SIZE" without a number. */
	unsigned long long size_max;
	/* Advertise DSN and accept RET, ENVID, NOTIFY and ORCPT. Without it
	 * those parameters are refused with 555 like any unknown one. */
	bool dsn;
	/* Advertise SMTPUTF8 (RFC 6531) and accept it on MAIL: then paths
	 * may hold well-formed UTF-8 (local part, quoted string, domain),
	 * in a transaction whose MAIL said SMTPUTF8 (else 553 5.6.7).
	 * Without it a non-ASCII path is refused with 501. */
	bool smtputf8;
};

/* The top level's part. ctx is passed back to every call. Pointers to
 * the transaction and recipients are borrowed for the call only.
 *
 * A reply callback gets *reply filled with the server's default answer
 * and may replace it: a 2xx code accepts (354 for data_start), a 4xx or
 * 5xx code refuses; any other code is sent as 451 4.3.0. A 421 reply is
 * sent and then ends the session (RFC 5321 3.8).
 *
 * Once a DATA has been accepted (354), exactly one of data_end and
 * data_abort is called for that transaction, even when sending the 354
 * fails. data_write and data_end must be set (else BUG()). */
struct smtp_server_ops {
	/* Optional. MAIL was parsed: txn has the sender and parameters and
	 * no recipients. Default reply 250 2.1.0. */
	void (*mail)(void *ctx, const struct smtp_server_txn *txn,
		     struct smtp_server_reply *reply);
	/* Optional. RCPT was parsed; rcpt is the candidate, added to the
	 * transaction only when accepted. Default reply 250 2.1.5. */
	void (*rcpt)(void *ctx, const struct smtp_server_txn *txn,
		     const struct smtp_server_rcpt *rcpt,
		     struct smtp_server_reply *reply);
	/* Optional. DATA is acceptable; called before 354 is sent, e.g. to
	 * open a spool file. Default reply 354. A refusal leaves the
	 * transaction as it was. */
	void (*data_start)(void *ctx, const struct smtp_server_txn *txn,
			   struct smtp_server_reply *reply);
	/* Required. The next len (> 0) bytes of the message: dot-unstuffed,
	 * line ends as the caller sent them (CRLF or bare LF), in chunks
	 * of at most 64 KiB; lines of any length pass. Returning false
	 * stops further calls for this message; the server reads on to the
	 * final "." and then answers smtp_server_reply_error(err, 554,
	 * "5.6.0") and calls data_abort. */
	bool (*data_write)(void *ctx, const char *p, size_t len,
			   struct mf_error *err);
	/* Required. The final "." arrived and every data_write succeeded:
	 * relay or queue the message and answer. Default reply 451 4.3.0,
	 * so a callback that forgets to answer never claims delivery. */
	void (*data_end)(void *ctx, const struct smtp_server_txn *txn,
			 struct smtp_server_reply *reply);
	/* Optional. The data phase ended without data_end: data_write
	 * failed, the message went over size_max, the input ended or a
	 * read or write failed. Discard whatever was kept. */
	void (*data_abort)(void *ctx, const struct smtp_server_txn *txn);
};

/* Run one SMTP session on s (borrowed; not closed): greet, then answer
 * commands until QUIT or the end of the input. Replies are buffered and
 * written when no further complete command is waiting (RFC 2920), and
 * always before the 354 and after the reply to the data.
 *
 * Returns true after QUIT (221 sent) and when the input ends outside the
 * data phase (a transaction without data is dropped; nothing is
 * delivered). Returns false with err set when:
 * - the input ends inside the data phase (the caller went away in the
 *   middle of a message; data_abort is called): EX_IOERR, temporary;
 * - reading or writing s fails: the stream's error, with context;
 * - a callback answered 421: EX_TEMPFAIL, temporary.
 * When writing the reply to the data fails, data_end has already run:
 * the message went on although the caller never saw the 250 (the
 * duplicate problem of RFC 1047 that no SMTP server avoids).
 * Protocol errors of the caller are answered and never end the
 * session. */
bool smtp_server_run(struct stream *s, const struct smtp_server_config *cfg,
		     const struct smtp_server_ops *ops, void *ctx,
		     struct mf_error *err);

#endif
