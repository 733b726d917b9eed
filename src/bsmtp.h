/* bsmtp.h: sendmail -bs: the caller speaks SMTP to us on standard input
 * and output (Symfony Mailer, Laravel); each transaction it completes is
 * submitted like a message read with sendmail -i, with MAIL FROM as the
 * sender and the RCPT TO addresses as the recipients. */
#ifndef MF_BSMTP_H
#define MF_BSMTP_H

#include <stdbool.h>

struct cli_options;
struct mf_error;

/* Run the dialogue on in_fd/out_fd until QUIT or end of input. Each
 * message is answered with the outcome of its submission (250 when
 * delivered or queued, 4xx/5xx with the reason otherwise), so the exit
 * status only reports a broken dialogue. Errors: EX_IOERR (the caller
 * went away in the middle of a message), EX_TEMPFAIL (we ended the
 * session with 421). */
bool bsmtp_run(const struct cli_options *opts, int in_fd, int out_fd,
	       struct mf_error *err);

#endif
