/* smtp/status.c: SMTP reply to sysexits.h, in one place (RFC 5321 4.2.1
 * reply classes, RFC 3463 enhanced codes). The class survives: a 4xx is
 * temporary at every layer above. */
#include "config.h"

#include "smtp/status.h"

#include "smtp/reply.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static const char *const stage_names[SMTP_STAGE_COUNT] = {
	[SMTP_STAGE_GREETING] = "greeting",
	[SMTP_STAGE_EHLO] = "EHLO",
	[SMTP_STAGE_STARTTLS] = "STARTTLS",
	[SMTP_STAGE_AUTH] = "AUTH",
	[SMTP_STAGE_MAIL] = "MAIL FROM",
	[SMTP_STAGE_RCPT] = "RCPT TO",
	[SMTP_STAGE_DATA] = "DATA",
	[SMTP_STAGE_DATA_END] = "message data",
	[SMTP_STAGE_QUIT] = "QUIT",
	[SMTP_STAGE_RSET] = "RSET",
};

const char *
smtp_stage_name(enum smtp_stage stage)
{
	if ((unsigned)stage >= SMTP_STAGE_COUNT)
		return "?";
	return stage_names[stage];
}

static int
permanent_exit_code(int code, const char *enhanced, enum smtp_stage stage)
{
	if (strcmp(enhanced, "5.3.4") == 0 || code == 552)
		return EX_DATAERR;
	if (stage == SMTP_STAGE_AUTH || code == 530 || code == 535 ||
	    code == 534 || code == 538)
		return EX_NOPERM;
	if (stage == SMTP_STAGE_RCPT &&
	    (code == 550 || code == 551 || code == 553))
		return EX_NOUSER;
	if (stage == SMTP_STAGE_DATA_END && code == 554)
		return EX_DATAERR;
	return EX_UNAVAILABLE;
}

void
smtp_status_error(const struct smtp_reply *reply, enum smtp_stage stage,
		  const char *what, struct mf_error *err)
{
	const char *text = reply->text.data ? reply->text.data : "";
	size_t text_len = reply->text.len;
	char first[300];
	bool temporary = reply->code >= 400 && reply->code < 500;
	int exit_code = temporary ? EX_TEMPFAIL
				  : permanent_exit_code(reply->code,
							reply->enhanced, stage);
	const char *nl = memchr(text, '\n', text_len);

	/* The first line is enough for one line of error. */
	if (nl)
		text_len = (size_t)(nl - text);
	if (text_len > sizeof(first) - 1)
		text_len = sizeof(first) - 1;
	memcpy(first, text, text_len);
	first[text_len] = '\0';
	err_set(err, exit_code, temporary ? ERR_TEMPORARY : ERR_PERMANENT,
		"server refused %s%s%s: %d %s", smtp_stage_name(stage),
		what ? " " : "", what ? what : "", reply->code, first);
	err->smtp_code = reply->code;
	snprintf(err->enhanced, sizeof(err->enhanced), "%s", reply->enhanced);
}
