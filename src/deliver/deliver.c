/* deliver/deliver.c: one delivery attempt. Wires net (connect), tls (the
 * handshake when the session asks for it), sasl (the mechanism) and smtp
 * (the dialogue, SMTP or LMTP as the account says) together; owns the
 * streams and closes them in reverse order. Once EHLO has said whether the
 * server offers SMTPUTF8, each transaction's addresses are put in the form
 * it takes (address/idna.h: UTF-8 as written, or A-label domains). */
#include "config.h"

#include "deliver/deliver.h"

#include "address/idna.h"
#include "config/config.h"
#include "log/log.h"
#include "net/net.h"
#include "sasl/sasl.h"
#include "smtp/client.h"
#include "tls/tls.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/limits.h"
#include "util/run.h"
#include "util/secret.h"
#include "util/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>


static bool
start_tls(int fd, const struct cfg_account *acct, struct stream **tls,
	  struct mf_error *err)
{
	char endpoint[1024];

	/* Where the connection went: a session is resumed only there. */
	if (acct->socket)
		snprintf(endpoint, sizeof(endpoint), "socket %s",
			 acct->socket);
	else
		snprintf(endpoint, sizeof(endpoint), "%s port %u via %s:%u",
			 acct->host ? acct->host : "", cfg_account_port(acct),
			 acct->proxy_host ? acct->proxy_host : "",
			 acct->proxy_port);
	struct tls_options opts = {
		.endpoint = endpoint,
		.trust_file = acct->tls_trust_file,
		.certcheck = acct->tls_certcheck,
		.host = acct->host,
		.timeout = acct->timeout,
		.fingerprint = acct->tls_fingerprint,
		.crl_file = acct->tls_crl_file,
		.cert_file = acct->tls_cert_file,
		.key_file = acct->tls_key_file,
		.priorities = acct->tls_priorities,
		.host_override = acct->tls_host_override,
		.min_dh_prime_bits = acct->tls_min_dh_prime_bits,
	};

	return tls_stream_start(fd, &opts, tls, err);
}

static bool
data_sink(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	return smtp_data_write(ctx, p, len, err);
}

/* The head and the body, without the end of the data. */
static bool
send_body(struct smtp_session *s, const struct deliver_job *job,
	  struct mf_error *err)
{
	return smtp_data_write(s, job->head, job->head_len, err) &&
	       job->body(job->body_ctx, data_sink, s, err);
}

struct deliver_session {
	const struct cfg_account *account; /* borrowed */
	struct stream *tcp;
	struct stream *tls;
	struct sasl_session *sasl;
	struct smtp_session smtp;
	bool smtp_started;
	bool usable;       /* the dialogue is in step: another message can go */
	unsigned messages; /* transactions started on this connection */
	bool reset;        /* RSET done since the last transaction */
	char *password;    /* from passwordeval; wiped on close */
	bool probe;        /* --serverinfo: stop before AUTH */
	char *greeting;    /* probe: the 220 reply's text */
};

void
deliver_close(struct deliver_session *ds)
{
	if (ds == NULL)
		return;
	if (ds->smtp_started && ds->usable)
		smtp_quit(&ds->smtp);
	sasl_session_free(ds->sasl);
	secret_free(ds->password);
	free(ds->greeting);
	if (ds->smtp_started)
		smtp_session_clear(&ds->smtp);
	if (ds->tls)
		ds->tls->close(ds->tls);
	if (ds->tcp)
		ds->tcp->close(ds->tcp);
	free(ds);
}

/* The TLS session's channel binding for SCRAM-*-PLUS (filled into tcb
 * and scb), or NULL when the connection has none to offer. */
static const struct sasl_channel_binding *
session_binding(const struct deliver_session *ds,
		struct tls_channel_binding *tcb,
		struct sasl_channel_binding *scb)
{
	struct mf_error why;

	if (ds->tls == NULL)
		return NULL;
	err_clear(&why);
	if (!tls_stream_channel_binding(ds->tls, tcb, &why)) {
		log_debug("%s", why.msg);
		return NULL;
	}
	scb->type = tcb->type;
	scb->data = tcb->data;
	scb->len = tcb->len;
	return scb;
}

/* Connect, greet, TLS and AUTH as the account says (a probe stops before
 * AUTH). */
static bool
session_start(struct deliver_session *ds, struct mf_error *err)
{
	const struct cfg_account *acct = ds->account;
	struct smtp_session *smtp = &ds->smtp;
	char helo[256];
	bool implicit_tls = acct->tls && !acct->tls_starttls;
	struct net_options net = {
		.host = acct->host,
		.port = cfg_account_port(acct),
		.timeout = acct->timeout,
		.source_ip = acct->source_ip,
		.socket = acct->socket,
		.proxy_host = acct->proxy_host,
		.proxy_port = acct->proxy_port,
	};
	struct tls_options check = {
		.trust_file = acct->tls_trust_file,
		.certcheck = acct->tls_certcheck,
		.host = acct->host,
		.fingerprint = acct->tls_fingerprint,
		.crl_file = acct->tls_crl_file,
		.cert_file = acct->tls_cert_file,
		.key_file = acct->tls_key_file,
		.priorities = acct->tls_priorities,
		.host_override = acct->tls_host_override,
	};

	/* The name we greet with: the configured domain, else the host. */
	bytes_host_name(acct->domain, helo, sizeof(helo));
	/* Settings that cannot work fail before anything is connected. */
	if (acct->tls && !tls_options_check(&check, err))
		return false;
	if (!net_connect(&net, &ds->tcp, err))
		return false;
	if (implicit_tls &&
	    !start_tls(net_stream_fd(ds->tcp), acct, &ds->tls, err))
		return false;
	smtp_session_init(smtp, ds->tls ? ds->tls : ds->tcp, ds->tls != NULL);
	smtp_session_set_lmtp(smtp, acct->protocol == CFG_PROTOCOL_LMTP);
	smtp->no_chunking = !acct->chunking;
	smtp->need_esmtp = (acct->tls && acct->tls_starttls) ||
			   (acct->auth && strcmp(acct->auth, "off") != 0);
	ds->smtp_started = true;
	if (!smtp_greeting(smtp, err))
		return false;
	if (ds->probe)
		ds->greeting = xstrdup(buf_cstr(&smtp->reply.text));
	if (!smtp_ehlo(smtp, helo, err))
		return false;
	if (acct->tls && acct->tls_starttls) {
		if (!smtp->caps.starttls) {
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"server %s does not offer STARTTLS and the "
				"account requires TLS; nothing was sent",
				acct->host ? acct->host : acct->socket);
			/* The dialogue is in step: end it politely. */
			smtp_quit(smtp);
			return false;
		}
		if (!smtp_starttls(smtp, err) ||
		    !start_tls(net_stream_fd(ds->tcp), acct, &ds->tls, err))
			return false;
		smtp_session_set_stream(smtp, ds->tls, true);
		if (!smtp_ehlo(smtp, helo, err))
			return false;
	}
	if (ds->probe)
		return true;
	if (acct->auth && strcmp(acct->auth, "off") != 0) {
		const char *password = acct->password;
		struct tls_channel_binding tcb;
		struct sasl_channel_binding scb;
		if (password == NULL && acct->passwordeval != NULL) {
			/* Only now, when the server wants it (msmtp). */
			if (!run_capture(acct->passwordeval, CFG_EVAL_TIMEOUT,
					 LIMIT_SECRET, false, &ds->password,
					 err)) {
				err_prefix(err, "passwordeval: ");
				return false;
			}
			password = ds->password;
		}
		/* Without TLS, a password in clear only when the account
		 * says so explicitly (auth_cleartext on). */
		if (!smtp->encrypted && acct->auth_cleartext)
			log_warn("AUTH without TLS: the password may cross the "
				 "network in clear (auth_cleartext on)");
		if (!sasl_session_new_bound(smtp->caps.auth, acct->auth,
					    smtp->encrypted ||
						    acct->auth_cleartext,
					    session_binding(ds, &tcb, &scb),
					    acct->user, password, &ds->sasl,
					    err) ||
		    !smtp_auth(smtp, ds->sasl, err))
			return false;
		if (strstr(sasl_session_mechanism(ds->sasl), "-PLUS"))
			log_debug("authenticated as %s with %s, channel "
				  "binding %s", acct->user,
				  sasl_session_mechanism(ds->sasl), scb.type);
		else
			log_debug("authenticated as %s with %s", acct->user,
				  sasl_session_mechanism(ds->sasl));
	}
	return true;
}

bool
deliver_open(const struct cfg_account *acct, struct deliver_session **out,
	     struct mf_error *err)
{
	struct deliver_session *ds;

	*out = NULL;
	if (acct->host == NULL && acct->socket == NULL) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"account '%s' has no host", acct->name ? acct->name
							       : "defaults");
		return false;
	}
	ds = xcalloc(1, sizeof(*ds));
	ds->account = acct;
	if (!session_start(ds, err)) {
		/* A refusal leaves the dialogue in step: say goodbye. */
		ds->usable = err->smtp_code != 0;
		deliver_close(ds);
		return false;
	}
	ds->usable = true;
	*out = ds;
	return true;
}

/* What AUTH would use on this session, for --serverinfo. */
static void
probe_auth(const struct deliver_session *ds, struct deliver_server_info *out)
{
	const struct cfg_account *acct = ds->account;
	struct tls_channel_binding tcb;
	struct sasl_channel_binding scb;
	const struct sasl_channel_binding *cb;
	struct mf_error why;

	cb = session_binding(ds, &tcb, &scb);
	out->cb_type = cb ? tcb.type : NULL;
	out->auth = acct->auth && strcmp(acct->auth, "off") != 0;
	if (!out->auth)
		return;
	err_clear(&why);
	if (!sasl_mechanism_choose(ds->smtp.caps.auth, acct->auth,
				   ds->smtp.encrypted, cb, out->auth_mech,
				   sizeof(out->auth_mech), &why)) {
		out->auth_mech[0] = '\0';
		snprintf(out->auth_why, sizeof(out->auth_why), "%s", why.msg);
	}
}

bool
deliver_probe(const struct cfg_account *acct, struct deliver_server_info *out,
	      struct mf_error *err)
{
	struct deliver_session *ds;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (acct->host == NULL && acct->socket == NULL) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"account '%s' has no host", acct->name ? acct->name
							       : "defaults");
		return false;
	}
	ds = xcalloc(1, sizeof(*ds));
	ds->account = acct;
	ds->probe = true;
	if (!session_start(ds, err)) {
		ds->usable = err->smtp_code != 0;
		goto out;
	}
	ds->usable = true;
	out->greeting = ds->greeting;
	ds->greeting = NULL;
	out->ehlo = xstrdup(buf_cstr(&ds->smtp.reply.text));
	out->caps = ds->smtp.caps;
	out->lmtp = ds->smtp.lmtp;
	out->starttls = ds->tls != NULL && acct->tls_starttls;
	if (ds->tls) {
		if (!tls_stream_info(ds->tls, &out->tls_info, err))
			goto out;
		out->tls = true;
	}
	probe_auth(ds, out);
	ok = true;
out:
	deliver_close(ds);
	if (!ok)
		deliver_server_info_clear(out);
	return ok;
}

void
deliver_server_info_clear(struct deliver_server_info *info)
{
	free(info->greeting);
	free(info->ehlo);
	memset(info, 0, sizeof(*info));
}

void
deliver_session_info(struct deliver_session *ds,
		      const struct cfg_account *acct, struct deliver_info *out)
{
	memset(out, 0, sizeof(*out));
	out->host = acct->socket ? acct->socket : acct->host;
	out->port = acct->socket ? 0 : cfg_account_port(acct);
	if (ds == NULL)
		return;
	out->tls = ds->tls != NULL;
	out->auth_mech = ds->sasl ? sasl_session_mechanism(ds->sasl) : NULL;
	if (ds->smtp_started && ds->smtp.reply.code) {
		out->code = ds->smtp.reply.code;
		out->enhanced = ds->smtp.reply.enhanced;
		out->text = buf_cstr(&ds->smtp.reply.text);
	}
}

bool
deliver_session_usable(const struct deliver_session *ds)
{
	return ds != NULL && ds->usable;
}

/* A job's envelope in the form this server takes: the sender and the
 * recipients that can go, each converted when needed (address/idna.h). */
struct wire_envelope {
	char *sender;
	char **rcpts;                     /* count entries, owned */
	size_t *index;                    /* rcpts[k] is job->rcpts[index[k]] */
	struct smtp_rcpt_result *results; /* count entries */
	size_t count;
};

static void
wire_envelope_clear(struct wire_envelope *w)
{
	for (size_t k = 0; k < w->count; k++)
		free(w->rcpts[k]);
	free(w->rcpts);
	free(w->index);
	free(w->results);
	free(w->sender);
}

/* For -v: what an address became on the way to this server. */
static void
log_form(const char *given, const char *sent, enum addr_idna_form form)
{
	if (form == ADDR_IDNA_ALABEL)
		log_debug("the server does not offer SMTPUTF8: <%s> goes as "
			  "<%s>", given, sent);
}

/* Fill *w from job for a server with the capabilities caps. A recipient
 * that cannot go (a non-ASCII local part and no SMTPUTF8, an invalid
 * internationalized domain) gets that permanent failure in results and is
 * left out; false when none is left (err: the first one's failure) or
 * when the sender cannot go (err). *w must be cleared in every case. */
static bool
wire_envelope_build(const struct smtp_caps *caps,
		    const struct deliver_job *job,
		    struct smtp_rcpt_result *results, struct wire_envelope *w,
		    struct mf_error *err)
{
	const struct mf_error *first = NULL;
	enum addr_idna_form form;

	memset(w, 0, sizeof(*w));
	w->rcpts = xcalloc(job->rcpt_count + 1, sizeof(*w->rcpts));
	w->index = xcalloc(job->rcpt_count + 1, sizeof(*w->index));
	w->results = xcalloc(job->rcpt_count + 1, sizeof(*w->results));
	if (!addr_idna_envelope(job->sender, caps->smtputf8, &w->sender,
				&form, err)) {
		err_prefix(err, "envelope sender: ");
		return false;
	}
	log_form(job->sender, w->sender, form);
	for (size_t i = 0; i < job->rcpt_count; i++) {
		struct smtp_rcpt_result *r = &results[i];
		char *out;

		if (!addr_idna_envelope(job->rcpts[i], caps->smtputf8, &out,
					&form, &r->error)) {
			r->code = 0;
			r->accepted = false;
			if (first == NULL)
				first = &r->error;
			continue;
		}
		log_form(job->rcpts[i], out, form);
		w->index[w->count] = i;
		w->rcpts[w->count++] = out;
	}
	if (w->count == 0) {
		*err = *first;
		return false;
	}
	return true;
}

bool
deliver_ready(struct deliver_session *ds, struct mf_error *err)
{
	if (!ds->usable)
		BUG("deliver_ready on a broken session");
	/* RSET between messages (RFC 5321 4.1.1.5): a clean slate whatever
	 * the last transaction left. */
	if (ds->messages > 0 && !ds->reset) {
		if (!smtp_rset(&ds->smtp, err)) {
			ds->usable = false; /* refused RSET: give up */
			return false;
		}
		ds->reset = true;
	}
	return true;
}

bool
deliver_send(struct deliver_session *ds, const struct deliver_job *job,
	     struct smtp_rcpt_result *results, size_t *accepted,
	     struct mf_error *err)
{
	struct wire_envelope w;
	bool ok, ended = false;

	*accepted = 0;
	if (!deliver_ready(ds, err))
		return false;
	ds->messages++;
	ds->reset = false;
	/* Addresses this server cannot take are refused before MAIL, so the
	 * dialogue stays in step. */
	if (!wire_envelope_build(&ds->smtp.caps, job, results, &w, err)) {
		wire_envelope_clear(&w);
		return false;
	}
	struct smtp_dsn dsn = { job->dsn_notify, job->dsn_ret,
				job->dsn_envid };
	ok = smtp_envelope(&ds->smtp, w.sender, w.rcpts, w.count,
			   job->eight_bit, job->size, &dsn, w.results,
			   accepted, err) &&
	     send_body(&ds->smtp, job, err);
	if (ok) {
		ended = true;
		ok = smtp_data_end(&ds->smtp, w.rcpts, w.results, w.count,
				   accepted, err);
	}
	for (size_t k = 0; k < w.count; k++)
		results[w.index[k]] = w.results[k];
	wire_envelope_clear(&w);
	/* After a refusal the dialogue is still in step; after an I/O or
	 * protocol error (no reply code), or a 421 (the server closes the
	 * channel, RFC 5321 4.2.2), it is not. */
	if (!ok && (err->smtp_code == 0 || err->smtp_code == 421) &&
	    !ds->smtp.refused_locally)
		ds->usable = false;
	/* LMTP: the recipients that got the message have it, whatever the
	 * others got; results says who is who. */
	if (!ok && ended && ds->smtp.lmtp && *accepted > 0) {
		err_clear(err);
		ok = true;
	}
	return ok;
}

bool
deliver_message(const struct deliver_job *job,
		struct smtp_rcpt_result *results, size_t *accepted,
		struct mf_error *err)
{
	struct deliver_session *ds;
	bool ok;

	*accepted = 0;
	if (!deliver_open(job->account, &ds, err))
		return false;
	ok = deliver_send(ds, job, results, accepted, err);
	deliver_close(ds);
	return ok;
}
