/* tests/fuzz/fuzz_reply.c: libFuzzer target for the SMTP reply parser and
 * the EHLO capability parser: the input is split into lines at LF and fed
 * as server lines; invariants on every accepted reply are checked. */
#include "config.h"

#include "smtp/reply.h"
#include "smtp/status.h"
#include "util/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *end = p + size;
	struct smtp_reply r;
	struct mf_error err;

	smtp_reply_init(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		err_clear(&err);
		if (!smtp_reply_add_line(&r, p, len, &err)) {
			if (err.exit_code == 0)
				abort(); /* a refusal must carry a code */
			smtp_reply_reset(&r);
		} else if (r.complete) {
			struct smtp_caps caps;
			if (r.code < 200 || r.code > 559)
				abort();
			if (strlen(r.enhanced) >= sizeof(r.enhanced))
				abort();
			smtp_caps_parse(&r, &caps);
			if (strlen(caps.auth) >= sizeof(caps.auth))
				abort();
			smtp_status_error(&r, SMTP_STAGE_RCPT, "<x@y>", &err);
			if (err.cls == ERR_NONE)
				abort();
		}
		p = nl ? nl + 1 : end;
	}
	smtp_reply_clear(&r);
	return 0;
}
