/* tls/resume.h: TLS session resumption between the connections one
 * process makes (a queue run, -bs, fallback accounts): the session a
 * server handed out (a TLS 1.3 ticket, RFC 8446 4.6.1; a TLS 1.2 ticket or
 * session ID, RFC 5077) is kept in memory, never on disk, and offered once
 * by the next connection made under the same verification policy.
 * Internal to tls/. */
#ifndef MF_TLS_RESUME_H
#define MF_TLS_RESUME_H

#include <gnutls/gnutls.h>
#include <stdbool.h>

struct tls_options;

/* The key sessions are kept under (owned): the endpoint, and every
 * option that decides whom the client trusts and how it presents itself,
 * so that a session is never resumed under a policy other than the one
 * that verified the server (another trust file, a pin, certcheck off,
 * another client certificate, other priorities, another name), nor
 * offered to another server. */
char *tls_resume_key(const struct tls_options *opts);

/* Offer the session kept under key, if any, to session (a client session
 * before its handshake) and forget it: a ticket is used once (RFC 8446
 * appendix C.4). Returns whether one was offered. */
bool tls_resume_offer(const char *key, gnutls_session_t session);

/* Keep what session (handshake done) needs to be resumed under key,
 * replacing what was kept there. A TLS 1.3 session is kept only when the
 * server sent a ticket (nothing is waited for). The oldest entry goes when
 * the cache is full. */
void tls_resume_keep(const char *key, gnutls_session_t session);

#endif
