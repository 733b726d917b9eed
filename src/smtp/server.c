/* smtp/server.c: the SMTP server side of `sendmail -bs`.
 *
 * Implements the receiving half of RFC 5321: commands (4.1.1) with their
 * order (4.1.4, 4.3.2), paths (4.1.2: angle brackets, source routes that
 * are dropped (4.1.1.3, C), quoted local parts), the limits of 4.5.3.1
 * (paths of 256 octets; command lines are allowed up to
 * LIMIT_COMMAND_LINE rather than 512 because of parameters), and the data
 * transparency of 4.5.2 in reverse (a leading "." removed, a lone "." ends
 * the data). Extensions: PIPELINING (RFC 2920: replies are buffered while
 * more complete commands wait), SIZE (RFC 1870), 8BITMIME (RFC 6152),
 * ENHANCEDSTATUSCODES (RFC 2034, 3463: on every reply but the greeting,
 * the HELO/EHLO answers and 354), DSN parameters (RFC 3461) and
 * SMTPUTF8 (RFC 6531: UTF-8 in local parts, quoted strings and domain
 * labels, well-formed, and only in a transaction whose MAIL said
 * SMTPUTF8) when configured.
 *
 * Input goes through one fixed buffer of LIMIT_COMMAND_LINE bytes that is
 * read into directly: a command line must fit in it; message data never
 * has to (it streams through in pieces to the data_write callback, and
 * lines of any length pass). Bare LF is accepted as a line end both in
 * commands and in the data. The server keeps no message bytes beyond one
 * chunk; storing them is the callbacks' business.
 *
 * The -v transcript shows the caller's commands as "-->" and our replies
 * as "<--" (the arrows of the client's transcript: client to server),
 * the message as one "<message data>" line, and AUTH without its
 * payload. */
#include "config.h"

#include "smtp/server.h"

#include "log/log.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/limits.h"
#include "util/stream.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* The input buffer: the longest command line, line end included. */
#define IN_MAX     LIMIT_COMMAND_LINE
/* Message data is handed on in pieces of at most this many bytes. */
#define DATA_CHUNK 65536
/* Buffered replies are written once they reach this size even when more
 * pipelined commands wait, so memory stays bounded. */
#define OUT_HIGH   16384
#define OUT_MAX    (OUT_HIGH + 4096)

enum srv_state {
	SRV_STATE_START, /* greeted, no HELO/EHLO yet */
	SRV_STATE_READY, /* HELO/EHLO done, no transaction */
	SRV_STATE_MAIL,  /* MAIL accepted, recipients being added */
	SRV_STATE_DATA,  /* 354 sent, reading the message */
	SRV_STATE_COUNT
};

static const char *const state_names[SRV_STATE_COUNT] = {
	[SRV_STATE_START] = "START",
	[SRV_STATE_READY] = "READY",
	[SRV_STATE_MAIL] = "MAIL",
	[SRV_STATE_DATA] = "DATA",
};

/* Where the data reader is within a line (RFC 5321 4.5.2). */
enum data_state {
	DATA_LINE_START, /* the next byte starts a line */
	DATA_DOT,        /* a line began with "." (removed) */
	DATA_DOT_CR,     /* ... followed by CR */
	DATA_MID,        /* inside a line */
};

struct server {
	struct stream *s;
	const struct smtp_server_config *cfg;
	const struct smtp_server_ops *ops;
	void *ctx;
	const char *host;
	enum srv_state state;
	bool esmtp;
	char helo[SMTP_SERVER_DOMAIN_MAX + 1];
	struct smtp_server_txn txn;
	size_t rcpt_cap;

	char *in;         /* IN_MAX bytes */
	size_t in_len;    /* bytes in the buffer */
	size_t in_pos;    /* bytes of it already used */
	bool discarding;  /* dropping the rest of an overlong line */
	unsigned long long skip; /* BDAT chunk bytes still to drop */

	struct buf out;   /* replies not yet written */

	enum data_state dstate;
	struct buf dout;  /* unstuffed data not yet handed on */
	unsigned long long data_bytes;
	bool data_failed; /* data_write failed or size_max exceeded */
	struct smtp_server_reply data_reply; /* the answer then */

	bool quit;        /* QUIT answered */
	bool closing;     /* a callback answered 421 */
	char closing_text[SMTP_SERVER_TEXT_MAX + 1];
};

/* ------------------------------------------------------ characters */

static bool
is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5322 atext, as RFC 5321's Atom uses it. */
static bool
is_atext(int c)
{
	return c > 0 && (is_alpha(c) || is_digit(c) ||
			 strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive: are the len bytes at p exactly the word w? */
static bool
word_is(const char *p, size_t len, const char *w)
{
	if (strlen(w) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (to_lower((unsigned char)p[i]) != to_lower((unsigned char)w[i]))
			return false;
	return true;
}

/* Case-insensitive: do the len bytes at p start with prefix? */
static bool
starts_with(const char *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && word_is(p, n, prefix);
}

/* ------------------------------------------------------ replies */

static bool
enhanced_ok(const char *e, int code)
{
	size_t i = 0;

	if (!(e[0] == '2' || e[0] == '4' || e[0] == '5') ||
	    e[0] - '0' != code / 100 || e[1] != '.')
		return false;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t start = i;
		while (is_digit((unsigned char)e[i]) && i - start < 3)
			i++;
		if (i == start)
			return false;
		if (part == 0 && e[i++] != '.')
			return false;
	}
	return e[i] == '\0';
}

void
smtp_server_reply_set(struct smtp_server_reply *r, int code,
		      const char *enhanced, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	snprintf(r->enhanced, sizeof(r->enhanced), "%s",
		 enhanced ? enhanced : "");
	va_start(ap, fmt);
	if (vsnprintf(r->text, sizeof(r->text), fmt, ap) < 0)
		r->text[0] = '\0';
	va_end(ap);
}

void
smtp_server_reply_error(struct smtp_server_reply *r,
			const struct mf_error *err, int perm_code,
			const char *perm_enhanced)
{
	const char *text = err->msg[0] ? err->msg : "local error";

	if (err->smtp_code >= 400 && err->smtp_code <= 599)
		smtp_server_reply_set(r, err->smtp_code, err->enhanced, "%s",
				      text);
	else if (err->cls == ERR_PERMANENT)
		smtp_server_reply_set(r, perm_code, perm_enhanced, "%s", text);
	else
		smtp_server_reply_set(r, 451, "4.3.0", "%s", text);
}

/* Append s to line (size bytes, n used), cut to fit; with clean, control
 * bytes become spaces and non-ASCII bytes '?'. */
static void
line_add(char *line, size_t *n, size_t size, const char *s, bool clean)
{
	for (; *s && *n + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (clean && (c < 0x20 || c == 0x7f))
			c = ' ';
		else if (clean && c >= 0x80)
			c = '?';
		line[(*n)++] = (char)c;
	}
	line[*n] = '\0';
}

/* Queue one reply line: "NNN" then '-' (more follow) or ' ' (last), then
 * the enhanced status (trusted, may be "") and the text (sanitised). */
static void
put_line(struct server *sv, int code, bool last, const char *enhanced,
	 const char *text)
{
	char line[8 + 16 + 1 + SMTP_SERVER_TEXT_MAX + 1];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%03d%c", code,
			     last ? ' ' : '-');
	line_add(line, &n, sizeof(line), enhanced, true);
	if (*enhanced && *text)
		line_add(line, &n, sizeof(line), " ", false);
	line_add(line, &n, sizeof(line), text, true);
	log_transcript("<--", line, n);
	if (!buf_append(&sv->out, line, n) ||
	    !buf_append(&sv->out, "\r\n", 2))
		BUG("server reply buffer ceiling");
}

/* Queue a reply of our own (one line). */
static void reply(struct server *sv, int code, const char *enhanced,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
reply(struct server *sv, int code, const char *enhanced, const char *fmt,
      ...)
{
	char text[SMTP_SERVER_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	put_line(sv, code, true, enhanced, text);
}

/* Make a callback's reply sendable: a code the callback may give (2xx,
 * or 354 for data_start, and 4xx/5xx), a matching enhanced status, a
 * terminated text. */
static void
reply_normalise(struct smtp_server_reply *r, bool data_start)
{
	bool ok = (r->code >= 400 && r->code <= 599) ||
		  (data_start ? r->code == 354
			      : r->code >= 200 && r->code <= 299);

	r->text[sizeof(r->text) - 1] = '\0';
	r->enhanced[sizeof(r->enhanced) - 1] = '\0';
	if (!ok) {
		log_warn("smtp server: callback gave reply code %d; "
			 "answering 451", r->code);
		r->code = 451;
		snprintf(r->enhanced, sizeof(r->enhanced), "4.3.0");
	}
	if (r->code / 100 == 3)
		r->enhanced[0] = '\0';
	else if (!enhanced_ok(r->enhanced, r->code))
		snprintf(r->enhanced, sizeof(r->enhanced), "%d.0.0",
			 r->code / 100);
}

/* Queue a callback's reply; a 421 ends the session after it. */
static void
put_reply(struct server *sv, struct smtp_server_reply *r, bool data_start)
{
	reply_normalise(r, data_start);
	put_line(sv, r->code, true, r->enhanced, r->text);
	if (r->code == 421) {
		sv->closing = true;
		memcpy(sv->closing_text, r->text, sizeof(sv->closing_text));
	}
}

static bool
flush_out(struct server *sv, struct mf_error *err)
{
	bool ok = true;

	if (sv->out.len)
		ok = sv->s->write(sv->s, sv->out.data, sv->out.len, err);
	buf_reset(&sv->out);
	if (!ok)
		err_prefix(err, "writing to the caller: ");
	return ok;
}

/* ------------------------------------------------------ transaction */

static void
set_state(struct server *sv, enum srv_state state)
{
	if (sv->state != state)
		log_debug("smtp server: %s -> %s", state_names[sv->state],
			  state_names[state]);
	sv->state = state;
}

static void
rcpt_free(struct smtp_server_rcpt *r)
{
	free(r->path);
	free(r->orcpt);
}

/* Forget the transaction (RSET, HELO/EHLO, after the data, refusals). */
static void
txn_reset(struct server *sv)
{
	struct smtp_server_txn *t = &sv->txn;

	free(t->from);
	free(t->envid);
	for (size_t i = 0; i < t->rcpt_count; i++)
		rcpt_free(&t->rcpts[i]);
	free(t->rcpts);
	memset(t, 0, sizeof(*t));
	t->helo = sv->helo;
	t->esmtp = sv->esmtp;
	sv->rcpt_cap = 0;
	if (sv->state == SRV_STATE_MAIL || sv->state == SRV_STATE_DATA)
		set_state(sv, SRV_STATE_READY);
}

/* ------------------------------------------------------ paths */

struct cursor {
	const char *p;
	size_t len; /* what may be scanned: at most SMTP_SERVER_PATH_MAX */
	size_t i;
	bool utf8;  /* SMTPUTF8 offered: bytes >= 0x80 may appear (RFC 6531
		       3.3: UTF8-non-ascii in atext, qtextSMTP, sub-domain);
		       parse_path checks they form UTF-8 */
};

/* A byte of a UTF-8 sequence where c allows one. */
static bool
utf8_byte(const struct cursor *c, int ch)
{
	return c->utf8 && ch >= 0x80;
}

static int
peek(const struct cursor *c)
{
	return c->i < c->len ? (unsigned char)c->p[c->i] : -1;
}

/* Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str].
 * Leniency: '_' is allowed in a label, as some internal hosts use it. */
static bool
scan_domain(struct cursor *c)
{
	for (;;) {
		size_t start = c->i;
		int ch, last = -1;

		while ((ch = peek(c)) >= 0 &&
		       (is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '_' ||
			utf8_byte(c, ch))) {
			if (c->i == start && ch == '-')
				return false;
			last = ch;
			c->i++;
		}
		if (c->i == start || last == '-')
			return false;
		if (peek(c) != '.')
			return true;
		c->i++;
	}
}

/* address-literal = "[" 1*dtext "]" (the IPv4/IPv6/general forms of
 * 4.1.3 are all dtext; their inner structure is not checked). */
static bool
scan_literal(struct cursor *c)
{
	size_t start;
	int ch;

	c->i++; /* '[' */
	start = c->i;
	while ((ch = peek(c)) >= 0 &&
	       ((ch >= 33 && ch <= 90) || (ch >= 94 && ch <= 126)))
		c->i++;
	if (c->i == start || peek(c) != ']')
		return false;
	c->i++;
	return true;
}

/* Dot-string = Atom *("." Atom) */
static bool
scan_dot_string(struct cursor *c)
{
	for (;;) {
		size_t start = c->i;

		while (is_atext(peek(c)) || utf8_byte(c, peek(c)))
			c->i++;
		if (c->i == start)
			return false;
		if (peek(c) != '.')
			return true;
		c->i++;
	}
}

/* Quoted-string = DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE */
static bool
scan_quoted(struct cursor *c)
{
	c->i++; /* '"' */
	for (;;) {
		int ch = peek(c);

		if (ch == '"') {
			c->i++;
			return true;
		}
		if (ch == '\\') {
			/* quoted-pairSMTP stays ASCII (RFC 6531 3.3). */
			c->i++;
			ch = peek(c);
			if (ch < 32 || ch > 126)
				return false;
		} else if ((ch < 32 || ch > 126) && !utf8_byte(c, ch)) {
			return false;
		}
		c->i++;
	}
}

/* Why scanning stopped at c->i; full is the length of the whole
 * argument, of which c->len was scanned. */
static const char *
path_why(const struct cursor *c, size_t full)
{
	int ch = peek(c);

	if (ch < 0)
		return full > c->len ? "address too long" : "missing \">\"";
	if (ch < 0x20 || ch == 0x7f)
		return "control character in address";
	if (ch >= 0x80)
		return c->utf8 ? "bad address syntax"
			       : "non-ASCII address (SMTPUTF8 is not offered)";
	return "bad address syntax";
}

/* Parse a path "<...>" at the start of the n bytes at p (RFC 5321
 * 4.1.2). On success returns NULL and sets *used (bytes through ">") and
 * the mailbox as *mbox (into p) and *mbox_len; a source route is dropped.
 * Otherwise returns why (static text). */
static const char *
parse_path(const char *p, size_t n, bool allow_null, bool utf8, size_t *used,
	   const char **mbox, size_t *mbox_len)
{
	struct cursor c = { p,
			    n < SMTP_SERVER_PATH_MAX ? n : SMTP_SERVER_PATH_MAX,
			    1, utf8 };
	size_t start;

	if (n == 0 || p[0] != '<')
		return "address must be in angle brackets";
	if (peek(&c) == '>') {
		if (!allow_null)
			return "empty address";
		*used = 2;
		*mbox = p + 1;
		*mbox_len = 0;
		return NULL;
	}
	if (peek(&c) == '@') {
		/* A-d-l ":" (obsolete source route, 4.1.1.3): dropped. */
		for (;;) {
			c.i++; /* '@' */
			if (!scan_domain(&c))
				return path_why(&c, n);
			if (peek(&c) == ':') {
				c.i++;
				break;
			}
			if (peek(&c) != ',')
				return path_why(&c, n);
			c.i++;
			if (peek(&c) != '@')
				return path_why(&c, n);
		}
	}
	start = c.i;
	if (!(peek(&c) == '"' ? scan_quoted(&c) : scan_dot_string(&c)))
		return path_why(&c, n);
	/* Leniency: an unqualified mailbox ("root", "Postmaster") passes;
	 * the rcpt callback qualifies or refuses it. */
	if (peek(&c) == '@') {
		c.i++;
		if (!(peek(&c) == '[' ? scan_literal(&c) : scan_domain(&c)))
			return path_why(&c, n);
	}
	if (peek(&c) != '>')
		return path_why(&c, n);
	if (utf8 && !bytes_utf8_valid(p + start, c.i - start))
		return "malformed UTF-8 in address";
	*mbox = p + start;
	*mbox_len = c.i - start;
	*used = c.i + 1;
	return NULL;
}

/* ------------------------------------------------------ parameters */

enum {
	PARAM_SIZE = 1u << 0,
	PARAM_BODY = 1u << 1,
	PARAM_RET = 1u << 2,
	PARAM_ENVID = 1u << 3,
	PARAM_NOTIFY = 1u << 4,
	PARAM_ORCPT = 1u << 5,
	PARAM_SMTPUTF8 = 1u << 6,
};

struct params {
	unsigned seen; /* PARAM_* */
	unsigned long long size;
	enum smtp_server_body body;
	enum smtp_server_ret ret;
	const char *envid; /* into the command line */
	size_t envid_len;
	unsigned notify;
	const char *orcpt;
	size_t orcpt_len;
};

/* xtext (RFC 3461 4): "+" and two upper-case hex digits, or any of
 * 33..126 but "+" and "=". */
static bool
xtext_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '+') {
			for (int k = 1; k <= 2; k++) {
				unsigned char h = i + (size_t)k < n
							  ? (unsigned char)v[i + (size_t)k]
							  : 0;
				if (!is_digit(h) && !(h >= 'A' && h <= 'F'))
					return false;
			}
			i += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return false;
		}
	}
	return true;
}

/* NOTIFY=NEVER or a comma list of SUCCESS, FAILURE, DELAY (RFC 3461
 * 4.1). */
static bool
notify_parse(const char *v, size_t n, unsigned *bits)
{
	size_t i = 0;

	*bits = 0;
	while (i <= n) {
		const char *comma = memchr(v + i, ',', n - i);
		size_t k = comma ? (size_t)(comma - (v + i)) : n - i;

		if (word_is(v + i, k, "NEVER"))
			*bits |= SMTP_SERVER_NOTIFY_NEVER;
		else if (word_is(v + i, k, "SUCCESS"))
			*bits |= SMTP_SERVER_NOTIFY_SUCCESS;
		else if (word_is(v + i, k, "FAILURE"))
			*bits |= SMTP_SERVER_NOTIFY_FAILURE;
		else if (word_is(v + i, k, "DELAY"))
			*bits |= SMTP_SERVER_NOTIFY_DELAY;
		else
			return false;
		i += k + 1;
	}
	return !((*bits & SMTP_SERVER_NOTIFY_NEVER) &&
		 *bits != SMTP_SERVER_NOTIFY_NEVER);
}

/* ORCPT=addr-type ";" xtext (RFC 3461 4.2), at most 500 characters. */
static bool
orcpt_ok(const char *v, size_t n)
{
	const char *semi = memchr(v, ';', n);
	size_t t;

	if (n > 500 || semi == NULL || semi == v || semi == v + n - 1)
		return false;
	t = (size_t)(semi - v);
	for (size_t i = 0; i < t; i++)
		if (!is_atext((unsigned char)v[i]))
			return false;
	return xtext_ok(semi + 1, n - t - 1);
}

/* One keyword=value; mail: a MAIL parameter, else RCPT. False with *bad
 * filled when it is unknown or its value is wrong. */
static bool
param_one(struct server *sv, bool mail, const char *k, size_t klen,
	  const char *v, size_t vlen, bool has_value, struct params *pr,
	  struct smtp_server_reply *bad)
{
	bool dsn = sv->cfg->dsn;
	unsigned bit;

	if (mail && word_is(k, klen, "SIZE"))
		bit = PARAM_SIZE;
	else if (mail && word_is(k, klen, "BODY"))
		bit = PARAM_BODY;
	else if (mail && dsn && word_is(k, klen, "RET"))
		bit = PARAM_RET;
	else if (mail && dsn && word_is(k, klen, "ENVID"))
		bit = PARAM_ENVID;
	else if (!mail && dsn && word_is(k, klen, "NOTIFY"))
		bit = PARAM_NOTIFY;
	else if (!mail && dsn && word_is(k, klen, "ORCPT"))
		bit = PARAM_ORCPT;
	else if (mail && sv->cfg->smtputf8 && word_is(k, klen, "SMTPUTF8"))
		bit = PARAM_SMTPUTF8;
	else {
		smtp_server_reply_set(bad, 555, "5.5.4", "unknown parameter %.*s",
				      (int)(klen > 64 ? 64 : klen), k);
		return false;
	}
	if (pr->seen & bit) {
		smtp_server_reply_set(bad, 501, "5.5.4",
				      "duplicate parameter %.*s", (int)klen, k);
		return false;
	}
	pr->seen |= bit;
	if (bit == PARAM_SMTPUTF8) {
		/* A keyword without a value (RFC 6531 3.4). */
		if (!has_value)
			return true;
		smtp_server_reply_set(bad, 501, "5.5.4",
				      "SMTPUTF8 takes no value");
		return false;
	}
	if (!has_value) {
		smtp_server_reply_set(bad, 501, "5.5.4",
				      "parameter %.*s needs a value", (int)klen,
				      k);
		return false;
	}
	switch (bit) {
	case PARAM_SIZE:
		pr->size = 0;
		for (size_t i = 0; i < vlen; i++) {
			unsigned d = (unsigned)(v[i] - '0');
			if (!is_digit((unsigned char)v[i]))
				goto bad_value;
			/* Saturate: any huge size is over any limit. */
			if (pr->size > (ULLONG_MAX - d) / 10)
				pr->size = ULLONG_MAX;
			else
				pr->size = pr->size * 10 + d;
		}
		return true;
	case PARAM_BODY:
		if (word_is(v, vlen, "7BIT"))
			pr->body = SMTP_SERVER_BODY_7BIT;
		else if (word_is(v, vlen, "8BITMIME"))
			pr->body = SMTP_SERVER_BODY_8BITMIME;
		else
			goto bad_value;
		return true;
	case PARAM_RET:
		if (word_is(v, vlen, "FULL"))
			pr->ret = SMTP_SERVER_RET_FULL;
		else if (word_is(v, vlen, "HDRS"))
			pr->ret = SMTP_SERVER_RET_HDRS;
		else
			goto bad_value;
		return true;
	case PARAM_ENVID:
		/* RFC 3461 4.4: at most 100 characters. */
		if (vlen > 100 || !xtext_ok(v, vlen))
			goto bad_value;
		pr->envid = v;
		pr->envid_len = vlen;
		return true;
	case PARAM_NOTIFY:
		if (!notify_parse(v, vlen, &pr->notify))
			goto bad_value;
		return true;
	case PARAM_ORCPT:
		if (!orcpt_ok(v, vlen))
			goto bad_value;
		pr->orcpt = v;
		pr->orcpt_len = vlen;
		return true;
	default:
		BUG("unhandled parameter");
	}
bad_value:
	smtp_server_reply_set(bad, 501, "5.5.4", "bad %.*s value", (int)klen,
			      k);
	return false;
}

/* The parameters after a path: *(SP esmtp-keyword ["=" esmtp-value])
 * (RFC 5321 4.1.2); extra spaces are tolerated. */
static bool
parse_params(struct server *sv, bool mail, const char *p, size_t n,
	     struct params *pr, struct smtp_server_reply *bad)
{
	size_t i = 0;

	memset(pr, 0, sizeof(*pr));
	if (n > 0 && p[0] != ' ') {
		smtp_server_reply_set(bad, 501, "5.5.4",
				      "garbage after the address");
		return false;
	}
	for (;;) {
		size_t kstart, klen, vstart = 0, vlen = 0;
		bool has_value = false;

		while (i < n && p[i] == ' ')
			i++;
		if (i == n)
			return true;
		kstart = i;
		while (i < n && (is_alpha((unsigned char)p[i]) ||
				 is_digit((unsigned char)p[i]) ||
				 (i > kstart && p[i] == '-')))
			i++;
		klen = i - kstart;
		if (i < n && p[i] == '=') {
			has_value = true;
			vstart = ++i;
			while (i < n && (unsigned char)p[i] > 32 &&
			       (unsigned char)p[i] < 127 && p[i] != '=')
				i++;
			vlen = i - vstart;
		}
		if (klen == 0 || (has_value && vlen == 0) ||
		    (i < n && p[i] != ' ')) {
			smtp_server_reply_set(bad, 501, "5.5.4",
					      "bad parameter syntax");
			return false;
		}
		if (!param_one(sv, mail, p + kstart, klen, p + vstart, vlen,
			       has_value, pr, bad))
			return false;
	}
}

/* ------------------------------------------------------ commands */

struct command;
typedef void command_fn(struct server *sv, const struct command *cmd,
			const char *args, size_t alen, bool has_args);

struct command {
	const char *verb;
	command_fn *run;
};

static void
cmd_helo(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	bool esmtp = cmd->verb[0] == 'E';
	const char *sp;
	size_t dlen;

	(void)has_args;
	while (alen > 0 && args[0] == ' ') {
		args++;
		alen--;
	}
	sp = memchr(args, ' ', alen);
	dlen = sp ? (size_t)(sp - args) : alen;
	if (dlen == 0) {
		reply(sv, 501, "5.5.4", "syntax: %s domain", cmd->verb);
		return;
	}
	if (dlen > SMTP_SERVER_DOMAIN_MAX) {
		reply(sv, 501, "5.5.4", "domain name too long");
		return;
	}
	for (size_t i = 0; i < dlen; i++) {
		unsigned char c = (unsigned char)args[i];
		if (c < 0x21 || c > 0x7e) {
			reply(sv, 501, "5.5.4", "bad domain name");
			return;
		}
	}
	/* Words after the domain are ignored (old clients send some). */
	memcpy(sv->helo, args, dlen);
	sv->helo[dlen] = '\0';
	sv->esmtp = esmtp;
	txn_reset(sv);
	set_state(sv, SRV_STATE_READY);
	if (!esmtp) {
		put_line(sv, 250, true, "", sv->host);
		return;
	}
	{
		char size[32];
		const char *lines[8];
		size_t n = 0;

		if (sv->cfg->size_max)
			snprintf(size, sizeof(size), "SIZE %llu",
				 sv->cfg->size_max);
		else
			snprintf(size, sizeof(size), "SIZE");
		lines[n++] = sv->host;
		lines[n++] = "PIPELINING";
		lines[n++] = "8BITMIME";
		lines[n++] = "ENHANCEDSTATUSCODES";
		lines[n++] = size;
		if (sv->cfg->dsn)
			lines[n++] = "DSN";
		if (sv->cfg->smtputf8)
			lines[n++] = "SMTPUTF8";
		for (size_t i = 0; i < n; i++)
			put_line(sv, 250, i + 1 == n, "", lines[i]);
	}
}

/* The "FROM:" or "TO:" and the path; tolerate spaces after the colon. */
static bool
path_start(const char *args, size_t alen, const char *word, size_t *off)
{
	size_t i = strlen(word);

	if (!starts_with(args, alen, word))
		return false;
	while (i < alen && args[i] == ' ')
		i++;
	*off = i;
	return true;
}

static void
cmd_mail(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	struct smtp_server_reply r;
	struct params pr;
	const char *why, *mbox;
	size_t off, used, mlen;

	(void)cmd;
	(void)has_args;
	if (sv->state == SRV_STATE_START) {
		reply(sv, 503, "5.5.1", "send HELO or EHLO first");
		return;
	}
	if (sv->state != SRV_STATE_READY) {
		reply(sv, 503, "5.5.1", "nested MAIL command");
		return;
	}
	if (!path_start(args, alen, "FROM:", &off)) {
		reply(sv, 501, "5.5.4", "syntax: MAIL FROM:<address>");
		return;
	}
	why = parse_path(args + off, alen - off, true, sv->cfg->smtputf8,
			 &used, &mbox, &mlen);
	if (why) {
		reply(sv, 501, "5.1.7", "bad sender address: %s", why);
		return;
	}
	off += used;
	if (!parse_params(sv, true, args + off, alen - off, &pr, &r)) {
		put_reply(sv, &r, false);
		return;
	}
	/* RFC 6531 3.4: a UTF-8 address only in an SMTPUTF8 transaction. */
	if (!(pr.seen & PARAM_SMTPUTF8) && bytes_any_high(mbox, mlen)) {
		reply(sv, 553, "5.6.7",
		      "non-ASCII sender address needs SMTPUTF8 on MAIL");
		return;
	}
	if (sv->cfg->size_max && pr.size > sv->cfg->size_max) {
		reply(sv, 552, "5.3.4",
		      "message size exceeds the limit of %llu bytes",
		      sv->cfg->size_max);
		return;
	}
	sv->txn.from = xmemdup0(mbox, mlen);
	sv->txn.body = pr.body;
	sv->txn.size = pr.size;
	sv->txn.ret = pr.ret;
	sv->txn.smtputf8 = (pr.seen & PARAM_SMTPUTF8) != 0;
	if (pr.envid)
		sv->txn.envid = xmemdup0(pr.envid, pr.envid_len);
	smtp_server_reply_set(&r, 250, "2.1.0", "sender ok");
	if (sv->ops->mail)
		sv->ops->mail(sv->ctx, &sv->txn, &r);
	put_reply(sv, &r, false);
	if (r.code / 100 == 2)
		set_state(sv, SRV_STATE_MAIL);
	else
		txn_reset(sv);
}

static void
cmd_rcpt(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	struct smtp_server_reply r;
	struct smtp_server_rcpt rc;
	struct params pr;
	const char *why, *mbox;
	size_t off, used, mlen;

	(void)cmd;
	(void)has_args;
	if (sv->state != SRV_STATE_MAIL) {
		reply(sv, 503, "5.5.1", "need MAIL before RCPT");
		return;
	}
	if (!path_start(args, alen, "TO:", &off)) {
		reply(sv, 501, "5.5.4", "syntax: RCPT TO:<address>");
		return;
	}
	why = parse_path(args + off, alen - off, false, sv->cfg->smtputf8,
			 &used, &mbox, &mlen);
	if (why) {
		reply(sv, 501, "5.1.3", "bad recipient address: %s", why);
		return;
	}
	off += used;
	if (!parse_params(sv, false, args + off, alen - off, &pr, &r)) {
		put_reply(sv, &r, false);
		return;
	}
	if (!sv->txn.smtputf8 && bytes_any_high(mbox, mlen)) {
		reply(sv, 553, "5.6.7",
		      "non-ASCII recipient address needs SMTPUTF8 on MAIL");
		return;
	}
	if (sv->txn.rcpt_count >= LIMIT_RECIPIENTS) {
		reply(sv, 452, "4.5.3", "too many recipients");
		return;
	}
	rc.path = xmemdup0(mbox, mlen);
	rc.notify = pr.notify;
	rc.orcpt = pr.orcpt ? xmemdup0(pr.orcpt, pr.orcpt_len) : NULL;
	smtp_server_reply_set(&r, 250, "2.1.5", "recipient ok");
	if (sv->ops->rcpt)
		sv->ops->rcpt(sv->ctx, &sv->txn, &rc, &r);
	put_reply(sv, &r, false);
	if (r.code / 100 != 2) {
		rcpt_free(&rc);
		return;
	}
	if (sv->txn.rcpt_count == sv->rcpt_cap) {
		sv->rcpt_cap = sv->rcpt_cap ? sv->rcpt_cap * 2 : 8;
		sv->txn.rcpts = xreallocarray(sv->txn.rcpts, sv->rcpt_cap,
					      sizeof(*sv->txn.rcpts));
	}
	sv->txn.rcpts[sv->txn.rcpt_count++] = rc;
}

static void
cmd_data(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	struct smtp_server_reply r;

	(void)cmd;
	(void)args;
	(void)alen;
	if (has_args) {
		reply(sv, 501, "5.5.4", "syntax: DATA takes no arguments");
		return;
	}
	if (sv->state != SRV_STATE_MAIL) {
		reply(sv, 503, "5.5.1", "need MAIL before DATA");
		return;
	}
	if (sv->txn.rcpt_count == 0) {
		reply(sv, 503, "5.5.1", "need RCPT before DATA");
		return;
	}
	smtp_server_reply_set(&r, 354, "", "end data with <CR><LF>.<CR><LF>");
	if (sv->ops->data_start)
		sv->ops->data_start(sv->ctx, &sv->txn, &r);
	put_reply(sv, &r, true);
	if (r.code != 354)
		return;
	set_state(sv, SRV_STATE_DATA);
	sv->dstate = DATA_LINE_START;
	sv->data_bytes = 0;
	sv->data_failed = false;
	buf_reset(&sv->dout);
	log_transcript("-->", "<message data>", 14);
}

static void
cmd_rset(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	(void)cmd;
	(void)args;
	(void)alen;
	if (has_args) {
		reply(sv, 501, "5.5.4", "syntax: RSET takes no arguments");
		return;
	}
	txn_reset(sv);
	reply(sv, 250, "2.0.0", "ok");
}

static void
cmd_noop(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	(void)cmd;
	(void)args;
	(void)alen;
	(void)has_args;
	reply(sv, 250, "2.0.0", "ok");
}

static void
cmd_quit(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	(void)cmd;
	(void)args;
	(void)alen;
	(void)has_args; /* leniency: "QUIT now" quits as well */
	reply(sv, 221, "2.0.0", "%s closing connection", sv->host);
	sv->quit = true;
}

static void
cmd_vrfy(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	(void)cmd;
	(void)args;
	if (!has_args || alen == 0) {
		reply(sv, 501, "5.5.4", "syntax: VRFY address");
		return;
	}
	/* RFC 5321 3.5.3: 252 when we will not verify. */
	reply(sv, 252, "2.0.0", "cannot verify; send RCPT to try delivery");
}

static void
cmd_help(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	(void)cmd;
	(void)args;
	(void)alen;
	(void)has_args;
	reply(sv, 214, "2.0.0",
	      "commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
}

static void
cmd_notimpl(struct server *sv, const struct command *cmd, const char *args,
	    size_t alen, bool has_args)
{
	(void)args;
	(void)alen;
	(void)has_args;
	reply(sv, 502, "5.5.1", "%s not implemented", cmd->verb);
}

/* BDAT size [LAST] (RFC 3030): refused, but its chunk follows the command
 * at once, so drop that many bytes lest message text be read as
 * commands. */
static void
cmd_bdat(struct server *sv, const struct command *cmd, const char *args,
	 size_t alen, bool has_args)
{
	unsigned long long n = 0;
	size_t i = 0;

	cmd_notimpl(sv, cmd, args, alen, has_args);
	while (i < alen && is_digit((unsigned char)args[i])) {
		unsigned d = (unsigned)(args[i] - '0');
		n = n > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : n * 10 + d;
		i++;
	}
	if (i > 0 && (i == alen || args[i] == ' '))
		sv->skip = n;
}

static const struct command commands[] = {
	{ "HELO", cmd_helo },	 { "EHLO", cmd_helo },
	{ "MAIL", cmd_mail },	 { "RCPT", cmd_rcpt },
	{ "DATA", cmd_data },	 { "RSET", cmd_rset },
	{ "NOOP", cmd_noop },	 { "QUIT", cmd_quit },
	{ "VRFY", cmd_vrfy },	 { "HELP", cmd_help },
	{ "EXPN", cmd_notimpl }, { "STARTTLS", cmd_notimpl },
	{ "AUTH", cmd_notimpl }, { "BDAT", cmd_bdat },
};

/* One command line, without its line end. */
static void
command(struct server *sv, const char *line, size_t len)
{
	const char *sp;
	size_t vlen;

	/* Trailing blanks are not part of any argument. */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	sp = memchr(line, ' ', len);
	vlen = sp ? (size_t)(sp - line) : len;
	/* AUTH is refused, but a caller may send credentials anyway. */
	if (word_is(line, vlen, "AUTH"))
		log_transcript("-->", "AUTH <redacted>", 15);
	else
		log_transcript("-->", line, len);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (word_is(line, vlen, commands[i].verb)) {
			const char *args = sp ? sp + 1 : line + len;
			commands[i].run(sv, &commands[i], args,
					(size_t)(line + len - args), sp != NULL);
			return;
		}
	}
	reply(sv, 500, "5.5.2", "command not recognized");
}

/* ------------------------------------------------------ data */

/* Hand the collected data on (or drop it once the message failed). */
static void
data_flush(struct server *sv)
{
	struct mf_error werr;
	size_t len = sv->dout.len;

	if (len == 0)
		return;
	if (!sv->data_failed) {
		unsigned long long max = sv->cfg->size_max;

		sv->data_bytes = sv->data_bytes > ULLONG_MAX - len
					 ? ULLONG_MAX
					 : sv->data_bytes + len;
		err_clear(&werr);
		if (max && sv->data_bytes > max) {
			sv->data_failed = true;
			smtp_server_reply_set(&sv->data_reply, 552, "5.3.4",
					      "message size exceeds the limit "
					      "of %llu bytes", max);
		} else if (!sv->ops->data_write(sv->ctx, sv->dout.data, len,
						&werr)) {
			sv->data_failed = true;
			smtp_server_reply_error(&sv->data_reply, &werr, 554,
						"5.6.0");
		}
	}
	buf_reset(&sv->dout);
}

static void
data_emit(struct server *sv, const char *p, size_t n)
{
	while (n > 0 && !sv->data_failed) {
		size_t room = DATA_CHUNK - sv->dout.len;
		size_t k = n < room ? n : room;

		if (room == 0) {
			data_flush(sv);
			continue;
		}
		if (!buf_append(&sv->dout, p, k))
			BUG("data chunk ceiling");
		p += k;
		n -= k;
	}
}

/* Unstuff the n bytes at p (RFC 5321 4.5.2, line ends CRLF or LF).
 * Returns how many were used; *end is set when the lone "." line was
 * read, whose bytes are used but not passed on. */
static size_t
data_feed(struct server *sv, const char *p, size_t n, bool *end)
{
	size_t i = 0;

	*end = false;
	while (i < n && !*end) {
		const char *lf;
		size_t k;

		switch (sv->dstate) {
		case DATA_LINE_START:
			if (p[i] == '.') {
				sv->dstate = DATA_DOT; /* drop the dot */
				i++;
			} else {
				sv->dstate = DATA_MID;
			}
			break;
		case DATA_DOT:
			if (p[i] == '\n') {
				*end = true;
				i++;
			} else if (p[i] == '\r') {
				sv->dstate = DATA_DOT_CR;
				i++;
			} else {
				sv->dstate = DATA_MID;
			}
			break;
		case DATA_DOT_CR:
			if (p[i] == '\n') {
				*end = true;
				i++;
			} else {
				/* ".\rX": the CR was text after all. */
				data_emit(sv, "\r", 1);
				sv->dstate = DATA_MID;
			}
			break;
		case DATA_MID:
			lf = memchr(p + i, '\n', n - i);
			k = lf ? (size_t)(lf - (p + i)) + 1 : n - i;
			data_emit(sv, p + i, k);
			i += k;
			if (lf)
				sv->dstate = DATA_LINE_START;
			break;
		}
	}
	return i;
}

/* The final "." was read: answer, end the transaction, write. */
static bool
data_finish(struct server *sv, struct mf_error *err)
{
	struct smtp_server_reply r;

	data_flush(sv);
	if (sv->data_failed) {
		r = sv->data_reply;
		if (sv->ops->data_abort)
			sv->ops->data_abort(sv->ctx, &sv->txn);
	} else {
		smtp_server_reply_set(&r, 451, "4.3.0",
				      "local error: no verdict on the message");
		sv->ops->data_end(sv->ctx, &sv->txn, &r);
	}
	log_transcript("-->", ".", 1);
	put_reply(sv, &r, false);
	txn_reset(sv); /* state READY: the data phase is over */
	return flush_out(sv, err);
}

/* ------------------------------------------------------ the loop */

/* Use the buffered input: commands, data, bytes to drop. False only when
 * writing to the caller failed. */
static bool
process_input(struct server *sv, struct mf_error *err)
{
	while (sv->in_pos < sv->in_len && !sv->quit && !sv->closing) {
		const char *p = sv->in + sv->in_pos;
		size_t n = sv->in_len - sv->in_pos;
		const char *lf;
		size_t len;

		if (sv->skip) {
			size_t k = sv->skip < n ? (size_t)sv->skip : n;
			sv->in_pos += k;
			sv->skip -= k;
			continue;
		}
		if (sv->state == SRV_STATE_DATA) {
			bool end;
			sv->in_pos += data_feed(sv, p, n, &end);
			if (end && !data_finish(sv, err))
				return false;
			continue;
		}
		lf = memchr(p, '\n', n);
		if (lf == NULL) {
			/* A line that cannot fit the buffer is too long:
			 * drop it up to its end, then answer. */
			if (sv->discarding || n >= IN_MAX) {
				sv->discarding = true;
				sv->in_pos = sv->in_len;
			}
			break;
		}
		len = (size_t)(lf - p);
		sv->in_pos += len + 1;
		if (sv->discarding) {
			sv->discarding = false;
			reply(sv, 500, "5.5.2", "line too long");
		} else {
			if (len > 0 && p[len - 1] == '\r')
				len--;
			command(sv, p, len);
		}
		/* 354 goes out at once; other replies wait while more
		 * pipelined commands do, up to a bound. */
		if ((sv->state == SRV_STATE_DATA ||
		     sv->out.len >= OUT_HIGH) &&
		    !flush_out(sv, err))
			return false;
	}
	return true;
}

bool
smtp_server_run(struct stream *s, const struct smtp_server_config *cfg,
		const struct smtp_server_ops *ops, void *ctx,
		struct mf_error *err)
{
	struct server sv;
	bool ok = false;

	if (ops->data_write == NULL || ops->data_end == NULL)
		BUG("smtp server without data callbacks");
	memset(&sv, 0, sizeof(sv));
	sv.s = s;
	sv.cfg = cfg;
	sv.ops = ops;
	sv.ctx = ctx;
	sv.host = cfg->host && *cfg->host ? cfg->host : "localhost";
	sv.state = SRV_STATE_START;
	sv.txn.helo = sv.helo;
	sv.in = xmalloc(IN_MAX);
	buf_init(&sv.out, OUT_MAX);
	buf_init(&sv.dout, DATA_CHUNK);

	{
		char greeting[SMTP_SERVER_TEXT_MAX + 1];
		snprintf(greeting, sizeof(greeting), "%s ESMTP mailferry",
			 sv.host);
		put_line(&sv, 220, true, "", greeting);
	}
	for (;;) {
		ssize_t r;

		if (!process_input(&sv, err))
			goto out;
		if (sv.quit) {
			ok = flush_out(&sv, err);
			goto out;
		}
		if (sv.closing) {
			if (flush_out(&sv, err))
				err_set(err, EX_TEMPFAIL, ERR_TEMPORARY,
					"closed the SMTP session: 421 %s",
					sv.closing_text);
			goto out;
		}
		/* Nothing complete waits: answer before blocking. */
		if (!flush_out(&sv, err))
			goto out;
		if (sv.in_pos > 0) {
			memmove(sv.in, sv.in + sv.in_pos,
				sv.in_len - sv.in_pos);
			sv.in_len -= sv.in_pos;
			sv.in_pos = 0;
		}
		if (sv.in_len >= IN_MAX)
			BUG("server input buffer full");
		r = s->read(s, sv.in + sv.in_len, IN_MAX - sv.in_len, err);
		if (r < 0) {
			err_prefix(err, "reading from the caller: ");
			goto out;
		}
		if (r == 0) {
			if (sv.state != SRV_STATE_DATA) {
				ok = true; /* any open transaction is dropped */
				goto out;
			}
			err_set(err, EX_IOERR, ERR_TEMPORARY,
				"the caller's input ended in the middle of a "
				"message");
			goto out;
		}
		sv.in_len += (size_t)r;
	}
out:
	/* Leaving inside the data phase: the message is abandoned. */
	if (sv.state == SRV_STATE_DATA && ops->data_abort)
		ops->data_abort(ctx, &sv.txn);
	txn_reset(&sv);
	buf_clear(&sv.dout);
	buf_clear(&sv.out);
	free(sv.in);
	return ok;
}
