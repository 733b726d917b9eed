/* smtp/reply.h: SMTP replies (RFC 5321 4.2) and EHLO capabilities
 * (4.1.1.1), parsed strictly. Pure: no I/O, fuzzable. */
#ifndef MF_SMTP_REPLY_H
#define MF_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct mf_error;

struct smtp_reply {
	int code;          /* 200..599 */
	char enhanced[16]; /* RFC 3463 "x.y.z" from the first line, or "" */
	struct buf text;   /* text of every line, joined with '\n' */
	size_t lines;
	bool complete;     /* the last line ("NNN ") was seen */
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_clear(struct smtp_reply *r);
/* Forget the contents to read the next reply. */
void smtp_reply_reset(struct smtp_reply *r);

/* Add one reply line (len bytes, without the line ending). Checks: three
 * digits (first 2-5, second 0-5), then end of line, ' ' (last line) or
 * '-' (more follow), the same code on every line, no control bytes other
 * than TAB, at most LIMIT_REPLY_LINE bytes and LIMIT_REPLY_LINES lines.
 * Sets r->complete on the last line. Errors: EX_PROTOCOL, temporary, with
 * the offending line quoted. */
bool smtp_reply_add_line(struct smtp_reply *r, const char *line, size_t len,
			 struct mf_error *err);

/* What the server offered in its EHLO reply. */
struct smtp_caps {
	bool esmtp;         /* EHLO worked (else HELO) */
	bool starttls;
	bool pipelining;
	bool eightbitmime;
	bool smtputf8;
	bool dsn;
	bool enhancedstatuscodes;
	bool chunking;
	bool size;
	unsigned long long size_max; /* 0: no limit given */
	char auth[512];     /* mechanisms, space separated, upper case */
};

/* Read the capabilities from a complete 250 EHLO reply (every line but
 * the first is "KEYWORD [params]"). Unknown keywords are ignored. */
void smtp_caps_parse(const struct smtp_reply *r, struct smtp_caps *caps);

#endif
