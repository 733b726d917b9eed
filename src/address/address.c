/* address/address.c: RFC 5322 address lists into SMTP envelope addresses.
 *
 * This file owns the reading of address header fields (To, Cc, Bcc, From,
 * Resent-*) and of single envelope addresses given on the command line or
 * in the config. It implements the address syntax of RFC 5322 section 3.4
 * (address-list, mailbox, group, name-addr, angle-addr, addr-spec, with
 * the quoted strings, comments and folding white space of 3.2.2 - 3.2.5),
 * the obsolete forms of section 4.4 (CFWS around dots and "@", phrases
 * with unquoted dots, source routes in angle addresses, empty list
 * members) and the UTF-8 extension of RFC 6532 (any byte >= 0x80 is taken
 * as text and passed through unchanged; an addr-spec must be valid UTF-8,
 * RFC 3629, while display names and comments, which are dropped, are not
 * checked). What comes out is the addr-spec in RFC 5321 form (RFC 6531
 * when it holds UTF-8): the local
 * part as a dot-atom, or as a minimal quoted string when it is not one,
 * then "@" and the domain (a dot-atom or an address literal). Display
 * names, group names, comments and routes are dropped.
 *
 * The list parser is a tokenizer that skips CFWS (blanks, folds, nested
 * comments) and returns atoms, quoted strings, domain literals and the
 * special characters, plus a parser with one token of lookahead. The input
 * is counted and untrusted: every read is checked against its length, no
 * recursion depends on the input, and every address is bounded by
 * LIMIT_ADDRESS and every list by LIMIT_RECIPIENTS. Each address found
 * goes to a callback together with the byte span it was read from
 * (addr_list_scan), so that qualify.c can rewrite it in place without a
 * second grammar.
 *
 * Liberal where mail is sloppy but unambiguous: a group may lack its ";"
 * at the end of the input, a local part may have leading, trailing or
 * doubled dots (a..b@docomo.ne.jp, sent as "a..b"@docomo.ne.jp), and a
 * bare addr-spec used as a display name ("a@b <a@b>") is ignored in favour
 * of the angle address. Strict where a guess could send mail to the wrong
 * place: addresses must be separated by ",", and words that are neither a
 * display name before "<" nor a local part ("John Doe", "John Doe@x") are
 * an error.
 */
#include "config.h"

#include "address/address.h"

#include "util/alloc.h"
#include "util/bytes.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sysexits.h>

/* ---- byte classes (RFC 5322 3.2.3, RFC 6532 3.2) ---------------------- */

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Control characters we never accept as text: everything below 0x20 but
 * HTAB, and DEL. CR and LF are allowed only as part of a fold, which the
 * scanners check before asking this. */
static bool
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* atext, plus UTF8-non-ascii from RFC 6532. */
static bool
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '/': case '=': case '?':
	case '^': case '_': case '`': case '{': case '|': case '}':
	case '~':
		return true;
	default:
		return false;
	}
}

/* dtext: printable ASCII but "[", "]" and "\", plus UTF8-non-ascii. */
static bool
is_dtext(unsigned char c)
{
	return (c >= 33 && c <= 90) || (c >= 94 && c <= 126) || c >= 0x80;
}

/* True when s (len bytes) is a dot-atom: atoms joined by single dots. */
static bool
is_dot_atom(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (s[i - 1] == '.')
				return false;
		} else if (!is_atext(c)) {
			return false;
		}
	}
	return true;
}

/* Append the addr-spec for a local part (len unescaped bytes) and, when
 * domain is not NULL, "@" and the domain, in RFC 5321 form: the local part
 * bare when it is a dot-atom, else quoted with only '"' and '\' escaped.
 * False when out's ceiling (LIMIT_ADDRESS) is hit. */
static bool
format_address(const char *local, size_t local_len, const char *domain,
	       size_t domain_len, struct buf *out)
{
	if (is_dot_atom(local, local_len)) {
		if (!buf_append(out, local, local_len))
			return false;
	} else {
		if (!buf_append_byte(out, '"'))
			return false;
		for (size_t i = 0; i < local_len; i++) {
			if ((local[i] == '"' || local[i] == '\\') &&
			    !buf_append_byte(out, '\\'))
				return false;
			if (!buf_append_byte(out, local[i]))
				return false;
		}
		if (!buf_append_byte(out, '"'))
			return false;
	}
	if (domain != NULL) {
		if (!buf_append_byte(out, '@') ||
		    !buf_append(out, domain, domain_len))
			return false;
	}
	return true;
}

/* ---- errors ------------------------------------------------------------ */

/* Every syntax error: EX_DATAERR, permanent, "what at byte N" (1-based). */
static bool
fail_at(struct mf_error *err, size_t pos, const char *what)
{
	err_set(err, EX_DATAERR, ERR_PERMANENT, "%s at byte %zu", what,
		pos + 1);
	return false;
}

static bool
fail_char(struct mf_error *err, size_t pos, char c, const char *context)
{
	err_set(err, EX_DATAERR, ERR_PERMANENT, "unexpected '%c'%s at byte %zu",
		c, context, pos + 1);
	return false;
}

/* A byte that is_ctl() refused, or a CR or LF that does not start a fold. */
static bool
fail_ctl(struct mf_error *err, size_t pos, unsigned char c)
{
	if (c == '\0')
		return fail_at(err, pos, "NUL character");
	if (c == '\r' || c == '\n')
		return fail_at(err, pos,
			       "line break not followed by white space");
	err_set(err, EX_DATAERR, ERR_PERMANENT,
		"control character 0x%02x at byte %zu", (unsigned)c, pos + 1);
	return false;
}

/* ---- tokenizer --------------------------------------------------------- */

enum tok_type {
	TOK_END,     /* end of input */
	TOK_ATOM,    /* 1*atext (dots are separate tokens) */
	TOK_QUOTED,  /* quoted-string */
	TOK_LITERAL, /* domain-literal "[...]" */
	TOK_SPECIAL, /* one of < > @ , : ; . */
};

struct token {
	enum tok_type type;
	char ch;       /* TOK_SPECIAL: the character */
	size_t pos;    /* offset of the token's first byte in the input */
	const char *p; /* ATOM: the atom; QUOTED, LITERAL: the text between
			* the delimiters, still escaped and folded */
	size_t len;
};

struct lexer {
	const char *text; /* borrowed, counted, not terminated */
	size_t len;
	size_t pos;       /* next byte to read */
	struct mf_error *err;
};

/* If a CR or LF at pos starts a fold (CRLF or a bare LF, followed by SP
 * or HTAB), the length of the line break; else 0. */
static size_t
fold_len(const struct lexer *lx, size_t pos)
{
	size_t n;

	if (lx->text[pos] == '\r') {
		if (pos + 1 >= lx->len || lx->text[pos + 1] != '\n')
			return 0;
		n = 2;
	} else if (lx->text[pos] == '\n') {
		n = 1;
	} else {
		return 0;
	}
	if (pos + n < lx->len && is_wsp((unsigned char)lx->text[pos + n]))
		return n;
	return 0;
}

/* Scan a quoted string, comment or domain literal whose opening delimiter
 * is at lx->pos, up to its matching close. Comments nest (a depth counter,
 * no recursion); a literal may not contain a second "[". Quoted pairs and
 * folds are checked here, so later passes over the text can trust it.
 * On success lx->pos is past the close and *end is the offset of it. */
static bool
lex_delimited(struct lexer *lx, char open, char close, const char *what,
	      size_t *end)
{
	size_t start = lx->pos;
	size_t depth = 1;
	size_t i = start + 1;

	while (i < lx->len) {
		unsigned char c = (unsigned char)lx->text[i];

		if (c == '\\') {
			if (i + 1 >= lx->len)
				break;
			if (is_ctl((unsigned char)lx->text[i + 1]))
				return fail_at(lx->err, i + 1,
					       "control character after '\\'");
			i += 2;
			continue;
		}
		if (c == '\r' || c == '\n') {
			size_t n = fold_len(lx, i);
			if (n == 0)
				return fail_ctl(lx->err, i, c);
			i += n;
			continue;
		}
		if (is_ctl(c))
			return fail_ctl(lx->err, i, c);
		if (c == (unsigned char)close) {
			if (--depth == 0) {
				*end = i;
				lx->pos = i + 1;
				return true;
			}
		} else if (c == (unsigned char)open) {
			if (close != ')')
				return fail_at(lx->err, i,
					       "'[' inside a domain literal");
			depth++;
		}
		i++;
	}
	err_set(lx->err, EX_DATAERR, ERR_PERMANENT,
		"unterminated %s starting at byte %zu", what, start + 1);
	return false;
}

/* Skip CFWS: blanks, folds and (nested) comments. */
static bool
lex_skip_cfws(struct lexer *lx)
{
	while (lx->pos < lx->len) {
		unsigned char c = (unsigned char)lx->text[lx->pos];

		if (is_wsp(c)) {
			lx->pos++;
		} else if (c == '\r' || c == '\n') {
			size_t n = fold_len(lx, lx->pos);
			if (n == 0)
				return fail_ctl(lx->err, lx->pos, c);
			lx->pos += n;
		} else if (c == '(') {
			size_t end;
			if (!lex_delimited(lx, '(', ')', "comment", &end))
				return false;
		} else {
			break;
		}
	}
	return true;
}

/* Read the next token into *tok, skipping CFWS before it. */
static bool
lex_next(struct lexer *lx, struct token *tok)
{
	size_t start, end;
	unsigned char c;

	if (!lex_skip_cfws(lx))
		return false;
	start = lx->pos;
	tok->pos = start;
	tok->ch = '\0';
	tok->p = NULL;
	tok->len = 0;
	if (start >= lx->len) {
		tok->type = TOK_END;
		return true;
	}
	c = (unsigned char)lx->text[start];
	if (is_atext(c)) {
		while (lx->pos < lx->len &&
		       is_atext((unsigned char)lx->text[lx->pos]))
			lx->pos++;
		tok->type = TOK_ATOM;
		tok->p = lx->text + start;
		tok->len = lx->pos - start;
		return true;
	}
	switch (c) {
	case '"':
	case '[':
		if (c == '"') {
			if (!lex_delimited(lx, '"', '"', "quoted string", &end))
				return false;
			tok->type = TOK_QUOTED;
		} else {
			if (!lex_delimited(lx, '[', ']', "domain literal",
					   &end))
				return false;
			tok->type = TOK_LITERAL;
		}
		tok->p = lx->text + start + 1;
		tok->len = end - start - 1;
		return true;
	case '<': case '>': case '@': case ',': case ':': case ';': case '.':
		tok->type = TOK_SPECIAL;
		tok->ch = (char)c;
		lx->pos++;
		return true;
	case ')':
		return fail_at(lx->err, start, "unmatched ')'");
	case ']':
		return fail_at(lx->err, start, "unmatched ']'");
	default:
		if (is_ctl(c))
			return fail_ctl(lx->err, start, c);
		/* Only '\' is left: printable ASCII is atext or special. */
		return fail_char(lx->err, start, (char)c, " outside quotes");
	}
}

/* ---- parser ------------------------------------------------------------ */

struct parser {
	struct lexer lx;
	struct token tok;        /* the current token (one lookahead) */
	size_t prev_end;         /* offset just past the token before tok */
	size_t count;            /* addresses so far, for LIMIT_RECIPIENTS */
	/* Where addresses go (see addr_list_scan); ctx is borrowed. */
	bool (*found)(void *ctx, const struct addr_span *span,
		      struct mf_error *err);
	void *ctx;
	struct buf local;        /* local part being read, unescaped */
	struct buf domain;       /* domain being read */
	struct mf_error *err;
};

/* What collect_words() saw: a phrase (display name) or a local part,
 * which one depends on the token that follows. */
struct words {
	size_t nwords;     /* atoms and quoted strings */
	size_t ndots;
	bool spaced;       /* two words without a "." between them */
	bool touching;     /* ... and without CFWS either ("a"b) */
	size_t spaced_pos; /* where the second of those starts */
	bool too_long;     /* the local part did not fit in LIMIT_ADDRESS */
	bool has_tab;      /* a quoted word holds a tab (SMTP cannot carry it) */
};

static bool
advance(struct parser *ps)
{
	ps->prev_end = ps->lx.pos;
	return lex_next(&ps->lx, &ps->tok);
}

static bool
is_special(const struct token *tok, char c)
{
	return tok->type == TOK_SPECIAL && tok->ch == c;
}

/* Append a word's text to the local part: an atom as it is, a quoted
 * string without its quoted-pair backslashes and fold line breaks (the
 * blank after a fold stays, RFC 5322 3.2.4). lex_delimited() has checked
 * that every backslash has a byte after it. */
static void
words_append(struct parser *ps, struct words *w, const struct token *tok)
{
	bool quoted = tok->type == TOK_QUOTED;

	for (size_t i = 0; i < tok->len && !w->too_long; i++) {
		char c = tok->p[i];

		if (quoted && c == '\\')
			c = tok->p[++i];
		else if (quoted && (c == '\r' || c == '\n'))
			continue;
		if (c == '\t')
			w->has_tab = true;
		if (!buf_append_byte(&ps->local, c))
			w->too_long = true;
	}
}

/* Read words and dots (obs-phrase, or obs-local-part with the dots
 * checked later) into ps->local, up to the first other token. */
static bool
collect_words(struct parser *ps, struct words *w)
{
	bool after_word = false;
	size_t prev_end = 0; /* offset just past the previous token */

	memset(w, 0, sizeof(*w));
	buf_reset(&ps->local);
	for (;;) {
		const struct token *tok = &ps->tok;

		if (tok->type == TOK_ATOM || tok->type == TOK_QUOTED) {
			if (after_word && !w->spaced) {
				w->spaced = true;
				w->touching = tok->pos == prev_end;
				w->spaced_pos = tok->pos;
			}
			words_append(ps, w, tok);
			w->nwords++;
			after_word = true;
		} else if (is_special(tok, '.')) {
			if (!buf_append_byte(&ps->local, '.'))
				w->too_long = true;
			w->ndots++;
			after_word = false;
		} else {
			return true;
		}
		prev_end = ps->lx.pos;
		if (!advance(ps))
			return false;
	}
}

/* "address longer than ..." for the address starting at start. */
static bool
fail_too_long(struct mf_error *err, size_t start)
{
	err_set(err, EX_DATAERR, ERR_PERMANENT,
		"address longer than %u bytes at byte %zu",
		(unsigned)LIMIT_ADDRESS, start + 1);
	return false;
}

/* Check that the words read are usable as a local part. */
static bool
check_local(struct parser *ps, const struct words *w, size_t start)
{
	if (w->spaced && w->touching)
		return fail_at(ps->err, w->spaced_pos,
			       "quoted string and atom not joined by '.' in "
			       "local part");
	if (w->spaced)
		return fail_at(ps->err, w->spaced_pos,
			       "space in unquoted local part (missing '<' or "
			       "quotes?)");
	if (w->too_long)
		return fail_too_long(ps->err, start);
	if (ps->local.len == 0)
		return fail_at(ps->err, start, "empty local part");
	if (w->has_tab)
		return fail_at(ps->err, start, "tab in quoted local part");
	return true;
}

/* Normalise a domain literal into ps->domain: FWS inside it is dropped,
 * quoted pairs are resolved, and what is left must be dtext, so that the
 * result is a valid RFC 5321 address literal ("[192.0.2.1]",
 * "[IPv6:::1]"). The address itself is not checked. */
static bool
append_literal(struct parser *ps, const struct token *tok)
{
	size_t n = 0;

	if (!buf_append_byte(&ps->domain, '['))
		return fail_too_long(ps->err, tok->pos);
	for (size_t i = 0; i < tok->len; i++) {
		unsigned char c = (unsigned char)tok->p[i];

		if (c == '\\') {
			c = (unsigned char)tok->p[++i];
			if (!is_dtext(c))
				return fail_at(ps->err, tok->pos,
					       "invalid character in domain "
					       "literal");
		} else if (is_wsp(c) || c == '\r' || c == '\n') {
			continue;
		}
		if (!buf_append_byte(&ps->domain, (char)c))
			return fail_too_long(ps->err, tok->pos);
		n++;
	}
	if (n == 0)
		return fail_at(ps->err, tok->pos, "empty domain literal");
	if (!buf_append_byte(&ps->domain, ']'))
		return fail_too_long(ps->err, tok->pos);
	return true;
}

/* domain = dot-atom / domain-literal / obs-domain (CFWS around dots), read
 * into ps->domain. The current token is the first one after "@". */
static bool
parse_domain(struct parser *ps)
{
	size_t start = ps->tok.pos;

	buf_reset(&ps->domain);
	if (ps->tok.type == TOK_LITERAL) {
		if (!append_literal(ps, &ps->tok))
			return false;
		return advance(ps);
	}
	if (ps->tok.type == TOK_QUOTED)
		return fail_at(ps->err, ps->tok.pos, "quoted string in domain");
	if (is_special(&ps->tok, '.'))
		return fail_at(ps->err, ps->tok.pos, "empty label in domain");
	if (ps->tok.type != TOK_ATOM)
		return fail_at(ps->err, ps->tok.pos, "empty domain after '@'");
	for (;;) {
		if (!buf_append(&ps->domain, ps->tok.p, ps->tok.len))
			return fail_too_long(ps->err, start);
		if (!advance(ps))
			return false;
		if (!is_special(&ps->tok, '.'))
			return true;
		if (!buf_append_byte(&ps->domain, '.'))
			return fail_too_long(ps->err, start);
		if (!advance(ps))
			return false;
		if (ps->tok.type != TOK_ATOM)
			return fail_at(ps->err, ps->tok.pos,
				       "empty label in domain");
	}
}

/* After a complete address the next token must end the member: ",", the
 * end of the input, or ";" inside a group. */
static bool
check_member_end(struct parser *ps, bool in_group)
{
	const struct token *tok = &ps->tok;

	if (tok->type == TOK_END || is_special(tok, ','))
		return true;
	if (is_special(tok, ';')) {
		if (in_group)
			return true;
		return fail_at(ps->err, tok->pos, "';' outside a group");
	}
	if (tok->type == TOK_SPECIAL)
		return fail_char(ps->err, tok->pos, tok->ch, " after address");
	return fail_at(ps->err, tok->pos,
		       "unexpected text after address (missing ',')");
}

/* Hand ps->local (and ps->domain when has_domain) to ps->found; the
 * addr-spec was read from the bytes [start, end) of the input. */
static bool
emit(struct parser *ps, bool has_domain, size_t start, size_t end)
{
	struct addr_span span;
	struct buf out;
	bool ok = false;

	buf_init(&out, LIMIT_ADDRESS);
	if (!format_address(ps->local.data, ps->local.len,
			    has_domain ? ps->domain.data : NULL,
			    ps->domain.len, &out)) {
		fail_too_long(ps->err, start);
		goto out;
	}
	if (!bytes_utf8_valid(out.data, out.len)) {
		fail_at(ps->err, start, "invalid UTF-8 in address");
		goto out;
	}
	if (ps->count >= LIMIT_RECIPIENTS) {
		err_set(ps->err, EX_DATAERR, ERR_PERMANENT,
			"more than %u recipients at byte %zu",
			(unsigned)LIMIT_RECIPIENTS, start + 1);
		goto out;
	}
	span.start = start;
	span.end = end;
	span.addr = buf_cstr(&out);
	span.addr_len = out.len;
	span.has_domain = has_domain;
	if (!ps->found(ps->ctx, &span, ps->err))
		goto out;
	ps->count++;
	ok = true;
out:
	buf_clear(&out);
	return ok;
}

/* obs-route = obs-domain-list ":", where obs-domain-list is
 * *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]). The current token
 * is the first "@". The route is read and dropped (RFC 5321 C). */
static bool
skip_route(struct parser *ps)
{
	for (;;) {
		if (!advance(ps) || !parse_domain(ps))
			return false;
		while (is_special(&ps->tok, ','))
			if (!advance(ps))
				return false;
		if (is_special(&ps->tok, '@'))
			continue;
		if (is_special(&ps->tok, ':'))
			return advance(ps);
		return fail_at(ps->err, ps->tok.pos,
			       "expected ':' after source route");
	}
}

/* angle-addr = "<" [obs-route] addr-spec ">"; the current token is "<".
 * An unqualified name is accepted inside (<root>); "<>" is not, since
 * the null address is no recipient. */
static bool
parse_angle(struct parser *ps, bool in_group)
{
	size_t open = ps->tok.pos;
	size_t start, end;
	bool has_domain = false;
	struct words w;

	if (!advance(ps))
		return false;
	if (is_special(&ps->tok, '>'))
		return fail_at(ps->err, open, "empty address '<>' in a list");
	if (is_special(&ps->tok, '@') && !skip_route(ps))
		return false;
	start = ps->tok.pos;
	if (!collect_words(ps, &w))
		return false;
	if (w.nwords == 0) {
		if (ps->tok.type == TOK_END)
			goto unterminated;
		if (w.ndots > 0)
			return fail_at(ps->err, start, "empty local part");
		if (ps->tok.type == TOK_SPECIAL)
			return fail_char(ps->err, ps->tok.pos, ps->tok.ch,
					 " in angle address");
		return fail_at(ps->err, ps->tok.pos,
			       "expected an address after '<'");
	}
	if (!check_local(ps, &w, start))
		return false;
	if (is_special(&ps->tok, '@')) {
		if (!advance(ps) || !parse_domain(ps))
			return false;
		has_domain = true;
	}
	end = ps->prev_end;
	if (ps->tok.type == TOK_END)
		goto unterminated;
	if (!is_special(&ps->tok, '>'))
		return fail_at(ps->err, ps->tok.pos,
			       "expected '>' after address");
	if (!advance(ps) || !check_member_end(ps, in_group))
		return false;
	return emit(ps, has_domain, start, end);
unterminated:
	return fail_at(ps->err, open, "unterminated angle address");
}

/* One member of an address list or group: a mailbox (name-addr or
 * addr-spec, or an unqualified name) or, outside a group, the start of a
 * group ("display-name :"), which sets *opened. The current token is not
 * ",", ";" or the end. */
static bool
parse_member(struct parser *ps, bool in_group, bool *opened)
{
	size_t start = ps->tok.pos;
	size_t end;
	struct words w;

	*opened = false;
	if (!collect_words(ps, &w))
		return false;
	if (is_special(&ps->tok, '<'))
		return parse_angle(ps, in_group); /* words were a display name */
	if (is_special(&ps->tok, ':')) {
		if (w.nwords == 0)
			return fail_at(ps->err, ps->tok.pos,
				       "group without a name");
		if (in_group)
			return fail_at(ps->err, start,
				       "group inside a group (missing ';'?)");
		*opened = true;
		return advance(ps);
	}
	if (w.nwords == 0) {
		if (w.ndots > 0 && !is_special(&ps->tok, '@'))
			return fail_char(ps->err, start, '.', "");
		if (is_special(&ps->tok, '@'))
			return fail_at(ps->err, ps->tok.pos,
				       "empty local part before '@'");
		if (ps->tok.type == TOK_LITERAL)
			return fail_at(ps->err, ps->tok.pos,
				       "domain literal without a local part");
		if (ps->tok.type == TOK_SPECIAL)
			return fail_char(ps->err, ps->tok.pos, ps->tok.ch, "");
		return fail_at(ps->err, ps->tok.pos, "unexpected text");
	}
	if (is_special(&ps->tok, '@')) {
		if (!check_local(ps, &w, start))
			return false;
		if (!advance(ps) || !parse_domain(ps))
			return false;
		/* "a@b <a@b>": a bare address as the display name. */
		if (is_special(&ps->tok, '<'))
			return parse_angle(ps, in_group);
		end = ps->prev_end;
		if (!check_member_end(ps, in_group))
			return false;
		return emit(ps, true, start, end);
	}
	/* No "@": an unqualified name ("root"), or a lost display name. */
	if (w.spaced)
		return fail_at(ps->err, start, "display name without an address");
	end = ps->prev_end;
	if (!check_member_end(ps, in_group) || !check_local(ps, &w, start))
		return false;
	return emit(ps, false, start, end);
}

/* ---- public API -------------------------------------------------------- */

void
addr_list_init(struct addr_list *list)
{
	list->addrs = NULL;
	list->count = 0;
	list->cap = 0;
}

void
addr_list_clear(struct addr_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->addrs[i]);
	free(list->addrs);
	addr_list_init(list);
}

void
addr_list_add(struct addr_list *list, const char *addr, size_t len)
{
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		list->addrs = xreallocarray(list->addrs, cap,
					    sizeof(*list->addrs));
		list->cap = cap;
	}
	list->addrs[list->count++] = xmemdup0(addr, len);
}

/* Order of two mailboxes for addr_list_dedupe: local parts bytewise,
 * then domains ignoring ASCII case, then position (so the first of
 * equal mailboxes sorts first). */
struct dedupe_key {
	const char *addr;
	size_t local_len;
	size_t pos;
};

static int
dedupe_cmp(const void *pa, const void *pb)
{
	const struct dedupe_key *a = pa, *b = pb;
	size_t n = a->local_len < b->local_len ? a->local_len : b->local_len;
	int c = memcmp(a->addr, b->addr, n);

	if (c == 0 && a->local_len != b->local_len)
		c = a->local_len < b->local_len ? -1 : 1;
	if (c == 0)
		c = strcasecmp(a->addr + a->local_len, b->addr + b->local_len);
	if (c == 0)
		c = a->pos < b->pos ? -1 : a->pos > b->pos;
	return c;
}

void
addr_list_dedupe(struct addr_list *list)
{
	struct dedupe_key *keys;
	bool *drop;
	size_t kept = 0;

	if (list->count < 2)
		return;
	keys = xcalloc(list->count, sizeof(*keys));
	drop = xcalloc(list->count, sizeof(*drop));
	for (size_t i = 0; i < list->count; i++) {
		const char *at = strrchr(list->addrs[i], '@');
		keys[i].addr = list->addrs[i];
		keys[i].local_len = at ? (size_t)(at - list->addrs[i])
				       : strlen(list->addrs[i]);
		keys[i].pos = i;
	}
	qsort(keys, list->count, sizeof(*keys), dedupe_cmp);
	for (size_t i = 1; i < list->count; i++) {
		struct dedupe_key a = keys[i - 1], b = keys[i];
		a.pos = b.pos = 0;
		if (dedupe_cmp(&a, &b) == 0)
			drop[keys[i].pos] = true;
	}
	for (size_t i = 0; i < list->count; i++) {
		if (drop[i])
			free(list->addrs[i]);
		else
			list->addrs[kept++] = list->addrs[i];
	}
	list->count = kept;
	free(keys);
	free(drop);
}

/* address-list = (address *("," address)) / obs-addr-list, where an
 * address is a mailbox or a group; empty members are skipped. count is
 * the number of addresses the caller already holds (LIMIT_RECIPIENTS
 * counts them too). */
static bool
parse_list(const char *text, size_t len, size_t count,
	   bool (*found)(void *ctx, const struct addr_span *span,
			 struct mf_error *err),
	   void *ctx, struct mf_error *err)
{
	struct parser ps;
	bool in_group = false;
	bool ok = false;

	ps.lx.text = text;
	ps.lx.len = len;
	ps.lx.pos = 0;
	ps.lx.err = err;
	ps.prev_end = 0;
	ps.count = count;
	ps.found = found;
	ps.ctx = ctx;
	ps.err = err;
	buf_init(&ps.local, LIMIT_ADDRESS);
	buf_init(&ps.domain, LIMIT_ADDRESS);

	if (!advance(&ps))
		goto out;
	while (ps.tok.type != TOK_END) {
		bool opened;

		if (is_special(&ps.tok, ',')) {
			if (!advance(&ps))
				goto out;
			continue;
		}
		if (is_special(&ps.tok, ';')) {
			if (!in_group) {
				fail_at(err, ps.tok.pos, "';' outside a group");
				goto out;
			}
			in_group = false;
			if (!advance(&ps) || !check_member_end(&ps, false))
				goto out;
			continue;
		}
		if (!parse_member(&ps, in_group, &opened))
			goto out;
		if (opened)
			in_group = true;
	}
	/* A group still open here lacks its ";": accepted. */
	ok = true;
out:
	buf_clear(&ps.domain);
	buf_clear(&ps.local);
	return ok;
}

/* addr_list_parse's sink: append to the list (ctx). */
static bool
append_found(void *ctx, const struct addr_span *span, struct mf_error *err)
{
	(void)err;
	addr_list_add(ctx, span->addr, span->addr_len);
	return true;
}

bool
addr_list_parse(const char *text, size_t len, struct addr_list *list,
		struct mf_error *err)
{
	return parse_list(text, len, list->count, append_found, list, err);
}

bool
addr_list_scan(const char *text, size_t len,
	       bool (*found)(void *ctx, const struct addr_span *span,
			     struct mf_error *err),
	       void *ctx, struct mf_error *err)
{
	return parse_list(text, len, 0, found, ctx, err);
}

/* The strict single-address reader: no CFWS, no comments, no display
 * name, nothing around the address but optional angle brackets. */
bool
addr_parse_mailbox(const char *text, char **out, struct mf_error *err)
{
	struct buf local, res;
	const char *domain = NULL;
	size_t len, p, end, start, dlen = 0;
	bool ok = false;

	buf_init(&local, LIMIT_ADDRESS);
	buf_init(&res, LIMIT_ADDRESS);
	if (text == NULL) {
		err_set(err, EX_DATAERR, ERR_PERMANENT, "missing address");
		goto out;
	}
	len = strlen(text);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\r' || c == '\n') {
			fail_at(err, i, "line break in address");
			goto out;
		}
		if (is_ctl(c) || c == '\t') {
			fail_ctl(err, i, c);
			goto out;
		}
	}
	p = 0;
	end = len;
	if (len > 0 && text[0] == '<') {
		if (len < 2 || text[len - 1] != '>') {
			fail_at(err, 0, "missing '>' for this '<'");
			goto out;
		}
		p = 1;
		end = len - 1;
		if (p == end) {
			*out = xstrdup("");
			ok = true;
			goto out;
		}
	}
	if (p == end) {
		err_set(err, EX_DATAERR, ERR_PERMANENT, "empty address");
		goto out;
	}

	/* local-part = dot-atom / quoted-string */
	start = p;
	if (text[p] == '"') {
		for (p++;; p++) {
			char c;
			if (p >= end) {
				fail_at(err, start, "unterminated quoted string");
				goto out;
			}
			c = text[p];
			if (c == '"')
				break;
			if (c == '\\') {
				if (p + 1 >= end) {
					fail_at(err, start,
						"unterminated quoted string");
					goto out;
				}
				c = text[++p];
			}
			if (!buf_append_byte(&local, c)) {
				fail_too_long(err, 0);
				goto out;
			}
		}
		p++;
		if (local.len == 0) {
			fail_at(err, start, "empty local part");
			goto out;
		}
	} else {
		while (p < end && (is_atext((unsigned char)text[p]) ||
				   text[p] == '.'))
			p++;
		if (p == start) {
			if (text[p] == '@')
				fail_at(err, p, "empty local part");
			else if (text[p] == ' ')
				fail_at(err, p, "space in address");
			else
				fail_char(err, p, text[p], "");
			goto out;
		}
		if (!is_dot_atom(text + start, p - start)) {
			fail_at(err, start, "empty label in local part "
					    "(leading, trailing or double "
					    "'.')");
			goto out;
		}
		if (!buf_append(&local, text + start, p - start)) {
			fail_too_long(err, 0);
			goto out;
		}
	}

	/* ["@" domain], domain = dot-atom / domain-literal */
	if (p < end && text[p] == '@') {
		start = ++p;
		if (p < end && text[p] == '[') {
			for (p++; p < end && is_dtext((unsigned char)text[p]);
			     p++)
				;
			if (p >= end || text[p] != ']') {
				fail_at(err, p, "invalid or unterminated "
						"domain literal");
				goto out;
			}
			if (p == start + 1) {
				fail_at(err, start, "empty domain literal");
				goto out;
			}
			p++;
		} else {
			while (p < end && (is_atext((unsigned char)text[p]) ||
					   text[p] == '.'))
				p++;
			if (p == start) {
				fail_at(err, start, "empty domain after '@'");
				goto out;
			}
			if (!is_dot_atom(text + start, p - start)) {
				fail_at(err, start, "empty label in domain");
				goto out;
			}
		}
		domain = text + start;
		dlen = p - start;
	}
	if (p != end) {
		if (text[p] == ' ')
			fail_at(err, p, "space in address");
		else
			fail_char(err, p, text[p], " in address");
		goto out;
	}
	if (!format_address(local.data, local.len, domain, dlen, &res)) {
		fail_too_long(err, 0);
		goto out;
	}
	if (!bytes_utf8_valid(res.data, res.len)) {
		fail_at(err, 0, "invalid UTF-8 in address");
		goto out;
	}
	*out = xmemdup0(res.data, res.len);
	ok = true;
out:
	buf_clear(&res);
	buf_clear(&local);
	return ok;
}
