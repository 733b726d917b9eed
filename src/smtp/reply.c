/* smtp/reply.c: strict reply parsing (RFC 5321 4.2, 4.5.3.1.5), enhanced
 * status codes (RFC 3463 2, RFC 2034), EHLO keywords (RFC 5321 4.1.1.1,
 * RFC 4954 AUTH, RFC 3207 STARTTLS, RFC 2920 PIPELINING, RFC 1870 SIZE,
 * RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 3461 DSN, RFC 3030 CHUNKING). */
#include "config.h"

#include "smtp/reply.h"

#include "util/error.h"
#include "util/limits.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	buf_init(&r->text, LIMIT_REPLY_LINE * LIMIT_REPLY_LINES);
	r->lines = 0;
	r->complete = false;
}

void
smtp_reply_clear(struct smtp_reply *r)
{
	buf_clear(&r->text);
	smtp_reply_init(r);
}

void
smtp_reply_reset(struct smtp_reply *r)
{
	buf_reset(&r->text);
	r->code = 0;
	r->enhanced[0] = '\0';
	r->lines = 0;
	r->complete = false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3463: class "." subject "." detail, class 2, 4 or 5, subject and
 * detail 1 to 3 digits, followed by a blank or the end. Returns the
 * length of the code or 0. */
static size_t
enhanced_len(const char *p, size_t len)
{
	size_t i = 0;

	if (len < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t start = i;
		while (i < len && is_digit(p[i]) && i - start < 4)
			i++;
		if (i == start || i - start > 3)
			return 0;
		if (part == 0) {
			if (i >= len || p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && p[i] != ' ')
		return 0;
	return i;
}

static bool
protocol_error(struct mf_error *err, const char *what, const char *line,
	       size_t len)
{
	char quoted[128];

	err_escape(line, len < 80 ? len : 80, quoted, sizeof(quoted));
	err_set(err, EX_PROTOCOL, ERR_TEMPORARY,
		"invalid reply from server (%s): \"%s\"", what, quoted);
	return false;
}

bool
smtp_reply_add_line(struct smtp_reply *r, const char *line, size_t len,
		    struct mf_error *err)
{
	int code;
	bool last;
	size_t text_off;

	if (r->complete)
		smtp_reply_reset(r);
	if (len > LIMIT_REPLY_LINE)
		return protocol_error(err, "line too long", line, len);
	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) ||
	    !is_digit(line[2]) || line[0] < '2' || line[0] > '5' ||
	    line[1] > '5')
		return protocol_error(err, "no reply code", line, len);
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return protocol_error(err, "bad separator", line, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return protocol_error(err, "control character", line,
					      len);
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->lines > 0 && code != r->code)
		return protocol_error(err, "code changed within a reply",
				      line, len);
	if (r->lines >= LIMIT_REPLY_LINES)
		return protocol_error(err, "too many lines", line, len);
	last = len == 3 || line[3] == ' ';
	text_off = len > 4 ? 4 : len;

	if (r->lines == 0) {
		size_t e = enhanced_len(line + text_off, len - text_off);
		r->code = code;
		if (e > 0 && e < sizeof(r->enhanced) &&
		    line[text_off] == line[0]) {
			memcpy(r->enhanced, line + text_off, e);
			r->enhanced[e] = '\0';
		}
	} else {
		buf_append_byte(&r->text, '\n');
	}
	buf_append(&r->text, line + text_off, len - text_off);
	r->lines++;
	r->complete = last;
	return true;
}

/* Upper-case copy of a keyword for comparison. */
static bool
keyword_is(const char *p, size_t len, const char *kw)
{
	return strlen(kw) == len && strncasecmp(p, kw, len) == 0;
}

static void
add_auth_mechs(struct smtp_caps *caps, const char *p, size_t len)
{
	size_t o = strlen(caps->auth);

	for (size_t i = 0; i < len; i++) {
		char c = (char)toupper((unsigned char)p[i]);
		if (c == '\t')
			c = ' ';
		if (o + 2 >= sizeof(caps->auth))
			break;
		if (i == 0 && o > 0)
			caps->auth[o++] = ' ';
		caps->auth[o++] = c;
	}
	caps->auth[o] = '\0';
}

void
smtp_caps_parse(const struct smtp_reply *r, struct smtp_caps *caps)
{
	const char *p = r->text.data ? r->text.data : "";
	const char *end = p + r->text.len;
	bool first = true;

	memset(caps, 0, sizeof(*caps));
	caps->esmtp = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		size_t n = (size_t)(line_end - p);
		size_t kw = 0;

		if (first) {
			first = false; /* the greeting text of the reply */
			p = nl ? nl + 1 : end;
			continue;
		}
		while (kw < n && p[kw] != ' ' && p[kw] != '=')
			kw++;
		const char *arg = p + kw + (kw < n ? 1 : 0);
		size_t arg_len = kw < n ? n - kw - 1 : 0;

		if (keyword_is(p, kw, "STARTTLS"))
			caps->starttls = true;
		else if (keyword_is(p, kw, "PIPELINING"))
			caps->pipelining = true;
		else if (keyword_is(p, kw, "8BITMIME"))
			caps->eightbitmime = true;
		else if (keyword_is(p, kw, "SMTPUTF8"))
			caps->smtputf8 = true;
		else if (keyword_is(p, kw, "DSN"))
			caps->dsn = true;
		else if (keyword_is(p, kw, "ENHANCEDSTATUSCODES"))
			caps->enhancedstatuscodes = true;
		else if (keyword_is(p, kw, "CHUNKING"))
			caps->chunking = true;
		else if (keyword_is(p, kw, "AUTH"))
			add_auth_mechs(caps, arg, arg_len);
		else if (keyword_is(p, kw, "SIZE")) {
			caps->size = true;
			caps->size_max = 0;
			for (size_t i = 0; i < arg_len && is_digit(arg[i]);
			     i++) {
				if (caps->size_max > (~0ULL) / 10 - 10) {
					caps->size_max = 0;
					break;
				}
				caps->size_max = caps->size_max * 10 +
						 (unsigned)(arg[i] - '0');
			}
		}
		p = nl ? nl + 1 : end;
	}
}
