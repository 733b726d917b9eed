/* submit.h: the sendmail mode: read a message, work out its envelope,
 * repair its headers, relay it. */
#ifndef MF_SUBMIT_H
#define MF_SUBMIT_H

#include <stdbool.h>

struct cli_options;
struct mf_error;

/* Run the whole submission with stdin as the message. Returns true when
 * the smarthost accepted the message for every recipient. On false, err
 * says why (the first failure; the others are warned about on stderr). */
bool submit_run(const struct cli_options *opts, int in_fd,
		struct mf_error *err);

#endif
