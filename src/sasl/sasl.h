/* sasl/sasl.h: client SASL through GNU SASL (libgsasl), bytes in, bytes
 * out. Knows nothing of SMTP or sockets: smtp/ feeds it the server's
 * base64 challenges and sends what it returns. */
#ifndef MF_SASL_SASL_H
#define MF_SASL_SASL_H

#include <stdbool.h>

#include <stddef.h>

struct mf_error;
struct sasl_session;

/* A channel binding (RFC 5056) of the connection, for SCRAM-*-PLUS (RFC
 * 5802 section 6): the type as registered, "tls-exporter" (RFC 9266) or
 * "tls-unique" (RFC 5929), and its bytes. All borrowed; the caller (who
 * owns the TLS session) gets them, this module only passes them on. */
struct sasl_channel_binding {
	const char *type;
	const unsigned char *data;
	size_t len;
};

/* Choose a mechanism and start a client exchange.
 *  server_mechs: what EHLO's AUTH line offered (space separated).
 *  wanted: "on" (the strongest both sides share: SCRAM-SHA-256-PLUS,
 *          SCRAM-SHA-1-PLUS, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, LOGIN)
 *          or one mechanism name (any case).
 *  encrypted: the connection is under TLS. Without it, PLAIN and LOGIN
 *          are never used: the password would cross the network in clear.
 *  cb: the connection's channel binding, or NULL when it has none. The
 *          -PLUS mechanisms need one whose type the library can send;
 *          without it "on" takes the plain SCRAM variant.
 *  user, password: borrowed; copied into the library's session.
 * *out is owned by the caller (sasl_session_free).
 * Errors: EX_UNAVAILABLE, permanent (no mechanism in common, naming what
 * the server offers; a -PLUS mechanism named without a usable channel
 * binding), EX_CONFIG (no user or password; a mechanism that would send
 * the password in clear), EX_SOFTWARE (library failure). */
bool sasl_session_new_bound(const char *server_mechs, const char *wanted,
			    bool encrypted,
			    const struct sasl_channel_binding *cb,
			    const char *user, const char *password,
			    struct sasl_session **out, struct mf_error *err);

/* sasl_session_new_bound() without a channel binding. */
bool sasl_session_new(const char *server_mechs, const char *wanted,
		      bool encrypted, const char *user, const char *password,
		      struct sasl_session **out, struct mf_error *err);

/* The mechanism sasl_session_new_bound() would choose, without starting
 * an exchange (no user or password needed), upper case into mech (size
 * bytes). Errors: as sasl_session_new_bound's choice. */
bool sasl_mechanism_choose(const char *server_mechs, const char *wanted,
			   bool encrypted,
			   const struct sasl_channel_binding *cb, char *mech,
			   size_t size, struct mf_error *err);
void sasl_session_free(struct sasl_session *s);

/* The chosen mechanism, upper case (borrowed). */
const char *sasl_session_mechanism(const struct sasl_session *s);

/* Whether the mechanism sends an initial response with the AUTH command
 * (RFC 4954 4); LOGIN, CRAM-MD5 and DIGEST-MD5 wait for the server's
 * first challenge. */
bool sasl_session_client_first(const struct sasl_session *s);

enum sasl_step {
	SASL_STEP_ERROR = -1,
	SASL_STEP_MORE = 0, /* send *out, expect another challenge */
	SASL_STEP_DONE = 1, /* send *out (may be ""); we are satisfied */
};

/* One step: challenge is the server's base64 text ("" for none). *out is
 * the base64 response, owned by the caller, and must be released with
 * secret_free() because it may hold the password. Errors: EX_PROTOCOL
 * (malformed challenge), EX_NOPERM (the server failed to prove itself). */
enum sasl_step sasl_session_step(struct sasl_session *s,
				 const char *challenge, char **out,
				 struct mf_error *err);

#endif
