/* tls/resume.c: the in-memory cache of resumable TLS sessions (see
 * resume.h). A handful of entries: one process talks to one smarthost per
 * account, and a queue run to a few accounts at most. The data holds the
 * session's resumption secret, so it is wiped before it is freed; the
 * process has core dumps off (main.c), and nothing is written to disk. */
#include "config.h"

#include "tls/resume.h"

#include "tls/tls.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESUME_SLOTS 8

struct resume_slot {
	char *key; /* NULL: free */
	gnutls_datum_t data;
	unsigned long age; /* larger: newer */
};

static struct resume_slot slots[RESUME_SLOTS];
static unsigned long clock_tick;

/* One field of the key: its length, then its bytes, so that no value can
 * run into the next ("a" + "b:c" differs from "a:b" + "c"). */
static void
key_field(struct buf *b, const char *value)
{
	if (value == NULL)
		value = "";
	buf_printf(b, "%zu:%s", strlen(value), value);
}

char *
tls_resume_key(const struct tls_options *opts)
{
	struct buf b;
	char flags[48];

	buf_init(&b, (size_t)-1);
	key_field(&b, opts->endpoint);
	key_field(&b, opts->host);
	key_field(&b, opts->host_override);
	key_field(&b, opts->trust_file ? opts->trust_file : "system");
	key_field(&b, opts->fingerprint);
	key_field(&b, opts->crl_file);
	key_field(&b, opts->cert_file);
	key_field(&b, opts->key_file);
	key_field(&b, opts->priorities);
	snprintf(flags, sizeof(flags), "%d:%u", opts->certcheck ? 1 : 0,
		 opts->min_dh_prime_bits);
	key_field(&b, flags);
	return buf_steal(&b, NULL);
}

static void
slot_clear(struct resume_slot *s)
{
	if (s->data.data) {
		gnutls_memset(s->data.data, 0, s->data.size);
		gnutls_free(s->data.data);
	}
	free(s->key);
	*s = (struct resume_slot){ 0 };
}

static struct resume_slot *
slot_find(const char *key)
{
	for (size_t i = 0; i < RESUME_SLOTS; i++)
		if (slots[i].key && strcmp(slots[i].key, key) == 0)
			return &slots[i];
	return NULL;
}

bool
tls_resume_offer(const char *key, gnutls_session_t session)
{
	struct resume_slot *s = slot_find(key);
	bool offered;

	if (s == NULL)
		return false;
	offered = gnutls_session_set_data(session, s->data.data,
					  s->data.size) == 0;
	slot_clear(s);
	return offered;
}

void
tls_resume_keep(const char *key, gnutls_session_t session)
{
	struct resume_slot *s = slot_find(key);
	gnutls_datum_t data = { NULL, 0 };

	if (s)
		slot_clear(s);
	/* Under TLS 1.3 the session can be resumed only with a ticket; ask
	 * only when one came, or gnutls_session_get_data2 would wait for
	 * one. */
	if (gnutls_protocol_get_version(session) == GNUTLS_TLS1_3 &&
	    !(gnutls_session_get_flags(session) & GNUTLS_SFLAGS_SESSION_TICKET))
		return;
	if (gnutls_session_get_data2(session, &data) != 0 || data.size == 0) {
		gnutls_free(data.data);
		return;
	}
	s = &slots[0];
	for (size_t i = 0; i < RESUME_SLOTS; i++) {
		if (slots[i].key == NULL) {
			s = &slots[i];
			break;
		}
		if (slots[i].age < s->age)
			s = &slots[i];
	}
	slot_clear(s);
	s->key = xstrdup(key);
	s->data = data;
	s->age = ++clock_tick;
}

void
tls_resume_forget(void)
{
	for (size_t i = 0; i < RESUME_SLOTS; i++)
		slot_clear(&slots[i]);
}
