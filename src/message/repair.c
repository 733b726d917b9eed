/* message/repair.c: header repair (RFC 5322 3.6.3: Bcc is removed from
 * the copy sent to To and Cc recipients; sendmail and Postfix remove it
 * from every copy, and so do we). */
#include "config.h"

#include "message/repair.h"

#include "message/header.h"

size_t
msg_repair_remove_bcc(struct msg_headers *h)
{
	size_t removed = 0;

	for (size_t i = msg_headers_find(h, "Bcc", 0); i < h->count;
	     i = msg_headers_find(h, "Bcc", i + 1)) {
		h->fields[i].removed = true;
		removed++;
	}
	return removed;
}
