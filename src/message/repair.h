/* message/repair.h: header repair before relaying. Pure: no I/O. */
#ifndef MF_MESSAGE_REPAIR_H
#define MF_MESSAGE_REPAIR_H

#include <stddef.h>

struct msg_headers;

/* Mark every Bcc field removed (the envelope already holds its
 * addresses). Returns how many were removed. */
size_t msg_repair_remove_bcc(struct msg_headers *h);

#endif
