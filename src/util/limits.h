/* util/limits.h: every ceiling a parser or buffer enforces, in one place. */
#ifndef MF_UTIL_LIMITS_H
#define MF_UTIL_LIMITS_H

/* Config: one logical line (OAuth tokens can be several kilobytes). */
#define LIMIT_CONFIG_LINE     65536
/* Config: the whole file. */
#define LIMIT_CONFIG_FILE     (4u * 1024 * 1024)
/* Message: the whole header block held in memory. */
#define LIMIT_HEADER_BLOCK    (4u * 1024 * 1024)
/* Message: one header field, unfolded. */
#define LIMIT_HEADER_FIELD    (1024u * 1024)
/* Envelope: recipients per message. */
#define LIMIT_RECIPIENTS      100000
/* Address: one addr-spec (RFC 5321 4.5.3.1.3 path is 256; be generous). */
#define LIMIT_ADDRESS         1024
/* Aliases: names defined in one aliases file (lines: LIMIT_CONFIG_LINE). */
#define LIMIT_ALIASES         100000
/* Aliases: nested look-ups while expanding one address. */
#define LIMIT_ALIAS_DEPTH     10
/* SMTP: one reply line (RFC 5321 4.5.3.1.5 says 512; servers exceed it). */
#define LIMIT_REPLY_LINE      4096
/* SMTP: lines in one multi-line reply. */
#define LIMIT_REPLY_LINES     256
/* SMTP: one command line we send (AUTH responses can be long). */
#define LIMIT_COMMAND_LINE    (64u * 1024)
/* A password or token from passwordeval (OAuth tokens run to a few KiB). */
#define LIMIT_SECRET          (64u * 1024)

#endif
