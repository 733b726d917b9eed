/* address/aliases.c: the aliases file and the expansion of local
 * recipients through it.
 *
 * This file owns the format of the file named by the `aliases` config
 * keyword, which is msmtp's, itself a subset of sendmail's /etc/aliases
 * (aliases(5)):
 *
 *	# a comment
 *	root: admin@example.org, "Ops Team" <ops@example.org>
 *	staff: alice, bob,
 *	    carol@example.org          # a line starting with a blank
 *	                               # continues the entry above
 *	default: postmaster@example.org
 *
 * - Lines end with LF or CRLF; a line may hold at most LIMIT_CONFIG_LINE
 *   bytes. NUL and other control characters (but HTAB) are errors.
 * - "#" at the start of a line or after a blank, outside a quoted string
 *   or a parenthesised comment, starts a comment that runs to the end of
 *   the line ("a#b@x" is an address). Blank lines and comment lines are
 *   skipped; they do not end an entry.
 * - A line starting with anything but a blank defines a name: the name,
 *   optional blanks, ":", then targets. A name is written as an unquoted
 *   local part (a dot-atom: letters, digits, "!#$%&'*+-/=?^_`{|}~" and
 *   single dots) and is matched ignoring ASCII case. Defining a name
 *   twice is an error, and so is an entry that ends without a target.
 * - A line starting with a blank adds targets to the entry above it.
 * - The targets on each line are an address list as in a To header field
 *   (RFC 5322 3.4, read by addr_list_parse() of address.c, so display
 *   names, quoted local parts, comments and groups work), where a bare
 *   local name ("alice") is allowed too. Each line is read on its own: an
 *   address cannot continue on the next line, and a line end separates
 *   targets as a comma would.
 * - The name "default" matches every local name that is not defined.
 * - Program ("|cmd"), file ("/path") and ":include:" targets are
 *   deliveries a full MTA makes itself; a relay-only client cannot, so
 *   they are refused rather than sent to a smarthost as addresses. A
 *   target whose local part starts with "/" is refused only when it is
 *   local: "/C=US/@x400.example" is a (remote) address.
 *
 * Expansion follows sendmail: recursive, depth first, with a name that is
 * already being expanded on the current path kept as it is, so a loop
 * stops where it closes. The recursion is bounded by LIMIT_ALIAS_DEPTH
 * and the work by LIMIT_RECIPIENTS visited targets, whatever the file
 * holds. Names and results are found through small hash tables, so
 * expansion is linear in what it visits.
 */
#include "config.h"

#include "address/aliases.h"

#include "address/address.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/limits.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* ---- ASCII helpers ----------------------------------------------------- */

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The first len bytes of a and b are equal ignoring ASCII case. */
static bool
ascii_eq_n(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* ---- a string-keyed hash index ----------------------------------------- */

/* Open addressing with linear probing; keys are borrowed terminated
 * strings that must outlive the index. */
struct index_slot {
	const char *key; /* NULL: empty */
	size_t value;
};

struct index {
	struct index_slot *slots;
	size_t cap;   /* 0 or a power of two */
	size_t count;
	bool fold;    /* keys compare ignoring ASCII case */
};

static void
index_init(struct index *ix, bool fold)
{
	ix->slots = NULL;
	ix->cap = 0;
	ix->count = 0;
	ix->fold = fold;
}

static void
index_clear(struct index *ix)
{
	free(ix->slots);
	index_init(ix, ix->fold);
}

/* FNV-1a over the key (folded to lower case when the index folds). */
static uint64_t
index_hash(const struct index *ix, const char *key, size_t len)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		h ^= ix->fold ? ascii_lower(c) : c;
		h *= 1099511628211u;
	}
	return h;
}

/* The stored key equals the counted key (which holds no NUL). */
static bool
index_key_eq(const struct index *ix, const char *stored, const char *key,
	     size_t len)
{
	if (strnlen(stored, len + 1) != len)
		return false;
	return ix->fold ? ascii_eq_n(stored, key, len)
			: memcmp(stored, key, len) == 0;
}

/* The slot holding key, or the empty slot where it would go. cap > 0 and
 * the index is never full (at most half), so the probe ends. */
static struct index_slot *
index_slot(const struct index *ix, const char *key, size_t len)
{
	size_t i = (size_t)index_hash(ix, key, len) & (ix->cap - 1);

	while (ix->slots[i].key != NULL &&
	       !index_key_eq(ix, ix->slots[i].key, key, len))
		i = (i + 1) & (ix->cap - 1);
	return &ix->slots[i];
}

static const struct index_slot *
index_get(const struct index *ix, const char *key, size_t len)
{
	const struct index_slot *s;

	if (ix->cap == 0)
		return NULL;
	s = index_slot(ix, key, len);
	return s->key != NULL ? s : NULL;
}

/* Add key (absent, borrowed) with value. */
static void
index_put(struct index *ix, const char *key, size_t value)
{
	struct index_slot *s;

	if ((ix->count + 1) * 2 > ix->cap) {
		struct index old = *ix;
		size_t cap = old.cap ? old.cap * 2 : 16;

		ix->slots = xcalloc(cap, sizeof(*ix->slots));
		ix->cap = cap;
		for (size_t i = 0; i < old.cap; i++) {
			if (old.slots[i].key == NULL)
				continue;
			*index_slot(ix, old.slots[i].key,
				    strlen(old.slots[i].key)) = old.slots[i];
		}
		free(old.slots);
	}
	s = index_slot(ix, key, strlen(key));
	s->key = key;
	s->value = value;
	ix->count++;
}

/* ---- the table --------------------------------------------------------- */

struct alias_entry {
	char *name;               /* as written in the file */
	unsigned line;            /* where it was defined */
	struct addr_list targets; /* addr-specs, in file order */
};

struct aliases {
	struct alias_entry *entries;
	size_t count;
	size_t cap;
	struct index names;  /* entry name -> index in entries (folded) */
	char **domains;      /* local domains, NULL-terminated */
	bool parsed;         /* aliases_parse() was called */
};

struct aliases *
aliases_new(const char *const *local_domains)
{
	struct aliases *a = xcalloc(1, sizeof(*a));
	size_t n = 0;

	index_init(&a->names, true);
	while (local_domains != NULL && local_domains[n] != NULL)
		n++;
	a->domains = xcalloc(n + 1, sizeof(*a->domains));
	for (size_t i = 0; i < n; i++)
		a->domains[i] = xstrdup(local_domains[i]);
	return a;
}

void
aliases_free(struct aliases *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->count; i++) {
		free(a->entries[i].name);
		addr_list_clear(&a->entries[i].targets);
	}
	free(a->entries);
	index_clear(&a->names);
	for (size_t i = 0; a->domains[i] != NULL; i++)
		free(a->domains[i]);
	free(a->domains);
	free(a);
}

size_t
aliases_count(const struct aliases *a)
{
	return a->count;
}

/* The length of the local part of addr, an addr-spec in the form
 * addr_list_parse() gives (a dot-atom or a quoted string, then "@" and
 * the domain, or nothing); *domain is what follows the "@", or NULL. */
static size_t
split_address(const char *addr, const char **domain)
{
	size_t i = 0;

	if (addr[0] == '"') {
		for (i = 1; addr[i] != '\0' && addr[i] != '"'; i++)
			if (addr[i] == '\\' && addr[i + 1] != '\0')
				i++;
		if (addr[i] == '"')
			i++;
	} else {
		while (addr[i] != '\0' && addr[i] != '@')
			i++;
	}
	*domain = addr[i] == '@' ? addr + i + 1 : NULL;
	return i;
}

bool
aliases_is_local(const struct aliases *a, const char *addr)
{
	const char *domain;
	size_t dlen;

	if (split_address(addr, &domain) == 0)
		return false; /* "" (the null sender) or "@x" */
	if (domain == NULL)
		return true;
	dlen = strlen(domain);
	for (size_t i = 0; a->domains[i] != NULL; i++)
		if (strlen(a->domains[i]) == dlen &&
		    ascii_eq_n(a->domains[i], domain, dlen))
			return true;
	return false;
}

/* The entry for a local addr: its own name, else "default"; NULL when
 * addr is not local or nothing matches. */
static const struct alias_entry *
lookup(const struct aliases *a, const char *addr)
{
	const struct index_slot *s;
	const char *domain;
	size_t len;

	if (!aliases_is_local(a, addr))
		return NULL;
	len = split_address(addr, &domain);
	s = index_get(&a->names, addr, len);
	if (s == NULL)
		s = index_get(&a->names, "default", 7);
	return s != NULL ? &a->entries[s->value] : NULL;
}

/* ---- parsing ----------------------------------------------------------- */

/* One pass over a line (n bytes) that knows just enough of the address
 * syntax (quoted strings, nested comments, quoted pairs) to find where a
 * "#" comment starts (the result) and whether a list member starts with
 * ":include:" before it (*include). Members start at the beginning of
 * the line and after "," or ":" (a name's or a group's colon). */
static size_t
scan_line(const char *p, size_t n, bool *include)
{
	bool quoted = false, member_start = true;
	size_t depth = 0;

	*include = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (quoted || depth > 0) {
			if (c == '\\')
				i++;
			else if (quoted && c == '"')
				quoted = false;
			else if (!quoted && c == '(')
				depth++;
			else if (!quoted && c == ')')
				depth--;
			continue;
		}
		if (c == '#' && (i == 0 || is_wsp(p[i - 1])))
			return i;
		if (member_start && !is_wsp(c)) {
			if (n - i >= 9 && ascii_eq_n(p + i, ":include:", 9))
				*include = true;
			member_start = false;
		}
		if (c == '"')
			quoted = true;
		else if (c == '(')
			depth = 1;
		else if (c == ',' || c == ':')
			member_start = true;
	}
	return n;
}

/* The line holds neither NUL nor another control character but HTAB. */
static bool
check_bytes(const char *p, size_t n, const char *file, unsigned line,
	    struct mf_error *err)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\0') {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s:%u: NUL byte in line", file, line);
			return false;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s:%u: control character 0x%02x in line",
				file, line, (unsigned)c);
			return false;
		}
	}
	return true;
}

/* A name is a dot-atom: exactly what addr_parse_mailbox() reads back as
 * itself, without "@". */
static bool
valid_name(const char *name)
{
	struct mf_error ignored;
	char *canon = NULL;
	bool ok;

	err_clear(&ignored);
	ok = strchr(name, '@') == NULL &&
	     addr_parse_mailbox(name, &canon, &ignored) &&
	     strcmp(canon, name) == 0;
	free(canon);
	return ok;
}

/* Start an entry for the line in work (n bytes, not starting with a
 * blank): read "name:", check the name, add the entry, and blank the name
 * and the colon in work so that the rest keeps its byte positions. */
static bool
start_entry(struct aliases *a, char *work, size_t n, const char *file,
	    unsigned line, struct mf_error *err)
{
	const struct index_slot *dup;
	struct alias_entry *e;
	size_t name_len, i = 0;
	char *name = NULL;
	bool ok = false;

	while (i < n && work[i] != ':' && !is_wsp(work[i]))
		i++;
	name_len = i;
	while (i < n && is_wsp(work[i]))
		i++;
	if (i == n || work[i] != ':') {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s:%u: missing ':' after alias name", file, line);
		goto out;
	}
	if (name_len == 0) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s:%u: empty alias name", file, line);
		goto out;
	}
	name = xmemdup0(work, name_len);
	if (!valid_name(name)) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s:%u: invalid alias name '%s'", file, line, name);
		goto out;
	}
	dup = index_get(&a->names, name, name_len);
	if (dup != NULL) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s:%u: alias '%s' defined twice (first on line %u)",
			file, line, name, a->entries[dup->value].line);
		goto out;
	}
	if (a->count >= LIMIT_ALIASES) {
		err_set(err, EX_CONFIG, ERR_PERMANENT,
			"%s:%u: more than %u aliases", file, line,
			(unsigned)LIMIT_ALIASES);
		goto out;
	}
	if (a->count == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->entries = xreallocarray(a->entries, a->cap,
					   sizeof(*a->entries));
	}
	e = &a->entries[a->count];
	e->name = name;
	e->line = line;
	addr_list_init(&e->targets);
	index_put(&a->names, e->name, a->count);
	a->count++;
	name = NULL;
	memset(work, ' ', i + 1);
	ok = true;
out:
	free(name);
	return ok;
}

/* Read the targets in work (n bytes) into the last entry. */
static bool
add_targets(struct aliases *a, const char *work, size_t n, const char *file,
	    unsigned line, struct mf_error *err)
{
	struct alias_entry *e = &a->entries[a->count - 1];
	size_t before = e->targets.count;

	if (!addr_list_parse(work, n, &e->targets, err)) {
		err_prefix(err, "%s:%u: ", file, line);
		err->exit_code = EX_CONFIG;
		err->cls = ERR_PERMANENT;
		return false;
	}
	for (size_t i = before; i < e->targets.count; i++) {
		const char *t = e->targets.addrs[i];
		const char *p = t[0] == '"' ? t + 1 : t;
		const char *what = NULL;

		if (p[0] == '|')
			what = "program";
		else if (p[0] == '/' && aliases_is_local(a, t))
			what = "file";
		else if (strlen(p) >= 9 && ascii_eq_n(p, ":include:", 9))
			what = "include";
		if (what != NULL) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s:%u: %s target '%s' is not supported by "
				"a relay-only client", file, line, what, t);
			return false;
		}
	}
	return true;
}

/* The last entry got at least one target. */
static bool
check_has_target(const struct aliases *a, const char *file,
		 struct mf_error *err)
{
	const struct alias_entry *e = &a->entries[a->count - 1];

	if (e->targets.count > 0)
		return true;
	err_set(err, EX_CONFIG, ERR_PERMANENT, "%s:%u: alias '%s' has no target",
		file, e->line, e->name);
	return false;
}

bool
aliases_parse(struct aliases *a, const char *text, size_t len,
	      const char *file, struct mf_error *err)
{
	struct buf work;
	size_t pos = 0;
	unsigned line = 0;
	bool have_entry = false; /* the last entry may get more targets */
	bool ok = false;

	if (a->parsed)
		BUG("aliases_parse() on a table that was parsed before");
	a->parsed = true;
	buf_init(&work, LIMIT_CONFIG_LINE);
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;
		bool include;
		size_t i;

		pos += n + (nl != NULL ? 1 : 0);
		line++;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > LIMIT_CONFIG_LINE) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s:%u: line longer than %u bytes", file, line,
				(unsigned)LIMIT_CONFIG_LINE);
			goto out;
		}
		if (!check_bytes(start, n, file, line, err))
			goto out;
		n = scan_line(start, n, &include);
		for (i = 0; i < n && is_wsp(start[i]); i++)
			;
		if (i == n)
			continue; /* blank or comment only */
		if (include) {
			err_set(err, EX_CONFIG, ERR_PERMANENT,
				"%s:%u: include target ':include:' is not "
				"supported by a relay-only client", file, line);
			goto out;
		}
		buf_reset(&work);
		if (!buf_append(&work, start, n))
			BUG("aliases line over its checked limit");
		if (i > 0) {
			if (!have_entry) {
				err_set(err, EX_CONFIG, ERR_PERMANENT,
					"%s:%u: continued line without an "
					"alias name above it", file, line);
				goto out;
			}
		} else {
			if (have_entry && !check_has_target(a, file, err))
				goto out;
			if (!start_entry(a, work.data, n, file, line, err))
				goto out;
			have_entry = true;
		}
		if (!add_targets(a, work.data, n, file, line, err))
			goto out;
	}
	if (have_entry && !check_has_target(a, file, err))
		goto out;
	ok = true;
out:
	buf_clear(&work);
	return ok;
}

/* ---- expansion --------------------------------------------------------- */

struct expansion {
	const struct aliases *a;
	const char *addr;  /* what was asked for, for messages */
	const struct alias_entry *path[LIMIT_ALIAS_DEPTH];
	size_t depth;      /* entries on path */
	size_t visited;    /* addresses looked at, for LIMIT_RECIPIENTS */
	struct addr_list *out;
	struct index seen; /* the addresses in out (keys borrowed from it) */
	struct mf_error *err;
};

static bool
on_path(const struct expansion *x, const struct alias_entry *e)
{
	for (size_t i = 0; i < x->depth; i++)
		if (x->path[i] == e)
			return true;
	return false;
}

/* Append addr to out unless it is there already. */
static bool
expand_emit(struct expansion *x, const char *addr)
{
	size_t len = strlen(addr);

	if (index_get(&x->seen, addr, len) != NULL)
		return true;
	if (x->out->count >= LIMIT_RECIPIENTS) {
		err_set(x->err, EX_DATAERR, ERR_PERMANENT,
			"more than %u recipients", (unsigned)LIMIT_RECIPIENTS);
		return false;
	}
	addr_list_add(x->out, addr, len);
	index_put(&x->seen, x->out->addrs[x->out->count - 1], 0);
	return true;
}

/* Expand addr under the entries on x->path. The recursion is at most
 * LIMIT_ALIAS_DEPTH deep, whatever the file says. */
static bool
expand(struct expansion *x, const char *addr)
{
	const struct alias_entry *e;

	if (++x->visited > LIMIT_RECIPIENTS) {
		err_set(x->err, EX_CONFIG, ERR_PERMANENT,
			"aliases: '%s' expands to more than %u addresses",
			x->addr, (unsigned)LIMIT_RECIPIENTS);
		return false;
	}
	e = lookup(x->a, addr);
	if (e == NULL || on_path(x, e))
		return expand_emit(x, addr);
	if (x->depth == LIMIT_ALIAS_DEPTH) {
		err_set(x->err, EX_CONFIG, ERR_PERMANENT,
			"aliases: '%s' expands deeper than %u levels", x->addr,
			(unsigned)LIMIT_ALIAS_DEPTH);
		return false;
	}
	x->path[x->depth++] = e;
	for (size_t i = 0; i < e->targets.count; i++)
		if (!expand(x, e->targets.addrs[i]))
			return false;
	x->depth--;
	return true;
}

bool
aliases_expand(const struct aliases *a, const char *addr,
	       struct addr_list *out, struct mf_error *err)
{
	struct expansion x;
	bool ok;

	x.a = a;
	x.addr = addr;
	x.depth = 0;
	x.visited = 0;
	x.out = out;
	x.err = err;
	index_init(&x.seen, false);
	for (size_t i = 0; i < out->count; i++)
		if (index_get(&x.seen, out->addrs[i],
			      strlen(out->addrs[i])) == NULL)
			index_put(&x.seen, out->addrs[i], 0);
	ok = expand(&x, addr);
	index_clear(&x.seen);
	return ok;
}
