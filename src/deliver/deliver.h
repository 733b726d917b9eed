/* deliver/deliver.h: one delivery attempt to the account's smarthost. */
#ifndef MF_DELIVER_DELIVER_H
#define MF_DELIVER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

struct cfg_account;
struct mf_error;
struct smtp_rcpt_result;

struct deliver_job {
	const struct cfg_account *account; /* borrowed */
	const char *sender;        /* envelope sender; "" is <> */
	char *const *rcpts;        /* envelope recipients */
	size_t rcpt_count;
	const char *head;          /* header block incl. the empty line */
	size_t head_len;
	int body_fd;               /* body, CRLF lines, read from offset 0 */
	bool eight_bit;            /* the message has bytes >= 0x80 */
};

/* Connect, EHLO, TLS as configured (never downgraded: with tls on and
 * STARTTLS not offered nothing is sent), AUTH as configured, then the
 * transaction. results (rcpt_count entries) receive each recipient's
 * outcome; *accepted counts the accepted ones. Returns true when the
 * server accepted the message for at least one recipient; the others are
 * in results. Errors: see smtp/status.h, net/net.h, tls/tls.h, sasl.h. */
bool deliver_message(const struct deliver_job *job,
		     struct smtp_rcpt_result *results, size_t *accepted,
		     struct mf_error *err);

#endif
