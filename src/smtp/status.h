/* smtp/status.h: the one table from SMTP replies to sysexits codes. */
#ifndef MF_SMTP_STATUS_H
#define MF_SMTP_STATUS_H

struct mf_error;
struct smtp_reply;

/* The command a reply answered, for the mapping and the message. */
enum smtp_stage {
	SMTP_STAGE_GREETING,
	SMTP_STAGE_EHLO,
	SMTP_STAGE_STARTTLS,
	SMTP_STAGE_AUTH,
	SMTP_STAGE_MAIL,
	SMTP_STAGE_RCPT,
	SMTP_STAGE_DATA,
	SMTP_STAGE_DATA_END,
	SMTP_STAGE_QUIT,
	SMTP_STAGE_RSET,
	SMTP_STAGE_COUNT
};

/* Name of a stage for messages and -v ("RCPT TO"). */
const char *smtp_stage_name(enum smtp_stage stage);

/* Set err from a refusing reply: 4xx is EX_TEMPFAIL and temporary, at any
 * stage (a 4xx never becomes permanent on the way up); 5xx is permanent:
 * EX_NOPERM for AUTH (535, 534, 538) and 530 (authentication required),
 * EX_NOUSER for 550/551/553 on RCPT, EX_DATAERR for 552 and 554 after the
 * data and for 5.3.4 (message too big), EX_UNAVAILABLE otherwise. The
 * message is "server refused STAGE [what]: CODE TEXT" with the server
 * text escaped; code and enhanced status are kept in err. what may be
 * NULL. */
void smtp_status_error(const struct smtp_reply *reply, enum smtp_stage stage,
		       const char *what, struct mf_error *err);

#endif
