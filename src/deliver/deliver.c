/* deliver/deliver.c: one delivery attempt. Wires net (connect), tls (the
 * handshake when the session asks for it), sasl (the mechanism) and smtp
 * (the dialogue) together; owns the streams and closes them in reverse
 * order. */
#include "config.h"

#include "deliver/deliver.h"

#include "config/config.h"
#include "log/log.h"
#include "net/net.h"
#include "sasl/sasl.h"
#include "smtp/client.h"
#include "tls/tls.h"
#include "util/error.h"
#include "util/stream.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* The name we greet with: the configured domain, else the host name. */
static void
helo_name(const struct cfg_account *acct, char *out, size_t size)
{
	if (acct->domain) {
		snprintf(out, size, "%s", acct->domain);
		return;
	}
	if (gethostname(out, size) != 0 || out[0] == '\0')
		snprintf(out, size, "localhost");
	out[size - 1] = '\0';
}

static bool
start_tls(int fd, const struct cfg_account *acct, struct stream **tls,
	  struct mf_error *err)
{
	struct tls_options opts = {
		.trust_file = acct->tls_trust_file,
		.certcheck = acct->tls_certcheck,
		.host = acct->host,
		.timeout = acct->timeout,
	};

	return tls_stream_start(fd, &opts, tls, err);
}

static bool
data_sink(void *ctx, const char *p, size_t len, struct mf_error *err)
{
	return smtp_data_write(ctx, p, len, err);
}

static bool
send_body(struct smtp_session *s, const struct deliver_job *job,
	  struct mf_error *err)
{
	return smtp_data_write(s, job->head, job->head_len, err) &&
	       job->body(job->body_ctx, data_sink, s, err) &&
	       smtp_data_end(s, err);
}

bool
deliver_message(const struct deliver_job *job,
		struct smtp_rcpt_result *results, size_t *accepted,
		struct mf_error *err)
{
	const struct cfg_account *acct = job->account;
	struct stream *tcp = NULL, *tls = NULL;
	struct sasl_session *sasl = NULL;
	struct smtp_session smtp;
	char helo[256];
	unsigned port = cfg_account_port(acct);
	bool implicit_tls = acct->tls && !acct->tls_starttls;
	bool session_started = false, ok = false;

	*accepted = 0;
	if (acct->host == NULL) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"account '%s' has no host", acct->name ? acct->name
							       : "defaults");
		return false;
	}
	helo_name(acct, helo, sizeof(helo));
	if (!net_connect(acct->host, port, acct->timeout, &tcp, err))
		goto out;
	if (implicit_tls && !start_tls(net_stream_fd(tcp), acct, &tls, err))
		goto out;
	smtp_session_init(&smtp, tls ? tls : tcp, tls != NULL);
	session_started = true;
	if (!smtp_greeting(&smtp, err) || !smtp_ehlo(&smtp, helo, err))
		goto out;
	if (acct->tls && acct->tls_starttls) {
		if (!smtp.caps.starttls) {
			err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
				"server %s does not offer STARTTLS and the "
				"account requires TLS; nothing was sent",
				acct->host);
			goto out;
		}
		if (!smtp_starttls(&smtp, err) ||
		    !start_tls(net_stream_fd(tcp), acct, &tls, err))
			goto out;
		smtp_session_set_stream(&smtp, tls, true);
		if (!smtp_ehlo(&smtp, helo, err))
			goto out;
	}
	if (acct->auth && strcmp(acct->auth, "off") != 0) {
		if (!sasl_session_new(smtp.caps.auth, acct->auth,
				      smtp.encrypted, acct->user,
				      acct->password, &sasl, err) ||
		    !smtp_auth(&smtp, sasl, err))
			goto out;
		log_debug("authenticated as %s with %s", acct->user,
			  sasl_session_mechanism(sasl));
	}
	if (!smtp_envelope(&smtp, job->sender, job->rcpts, job->rcpt_count,
			   job->eight_bit, job->size, results, accepted, err) ||
	    !send_body(&smtp, job, err))
		goto out;
	smtp_quit(&smtp);
	ok = true;
out:
	/* A refusal leaves the dialogue in step: say goodbye politely. */
	if (!ok && session_started && err->smtp_code != 0)
		smtp_quit(&smtp);
	sasl_session_free(sasl);
	if (session_started)
		smtp_session_clear(&smtp);
	if (tls)
		tls->close(tls);
	if (tcp)
		tcp->close(tcp);
	return ok;
}
