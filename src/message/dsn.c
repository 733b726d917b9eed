/* message/dsn.c: RFC 3464 delivery status notifications in an RFC 6522
 * multipart/report, with RFC 3463 status codes: failure notices (Action:
 * failed) and delay warnings (Action: delayed with Will-Retry-Until, RFC
 * 3464 2.3.3 and 2.3.8, as Postfix's delay_warning_time sends them).
 * Sent from the null sender so that a notice is never answered by another
 * one (RFC 5321 4.5.5). Pure: the caller gives the clock, host name and
 * boundary. */
#include "config.h"

#include "message/dsn.h"

#include "util/buf.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* As msg_dsn_status; with delayed (a delay warning) only a 4.x.x code
 * of the last error counts, else 4.0.0: a delay is never permanent. */
static void
status_of(const struct msg_dsn_rcpt *r, bool delayed, char out[16])
{
	const char *p = r->diagnostic ? r->diagnostic : "";

	/* Expired: the time ran out, whatever the last reply said. */
	snprintf(out, 16, "%s", delayed ? "4.0.0"
				: r->expired ? "4.4.7" : "5.0.0");
	if (r->expired && !delayed)
		return;
	for (; *p; p++) {
		/* "NNN x.y.z": a reply code, a blank, an enhanced code of
		 * the same class (only 4 for a delayed recipient: a delay
		 * is never permanent). */
		size_t i = 4, parts = 0, digits = 0;
		if (!is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) ||
		    p[3] != ' ' || (p[0] != '4' && p[0] != '5') ||
		    (delayed && p[0] != '4') || p[4] != p[0])
			continue;
		while (p[i] && (is_digit(p[i]) || p[i] == '.') && i < 4 + 9) {
			if (p[i] == '.') {
				if (digits == 0)
					break;
				parts++;
				digits = 0;
			} else {
				digits++;
			}
			i++;
		}
		if (parts == 2 && digits > 0 && digits <= 3 &&
		    (p[i] == ' ' || p[i] == '\0')) {
			snprintf(out, 16, "%.*s", (int)(i - 4), p + 4);
			return;
		}
	}
}

void
msg_dsn_status(const struct msg_dsn_rcpt *r, char out[16])
{
	status_of(r, false, out);
}

/* Only printable ASCII goes into the notice; anything else becomes '?'. */
static bool
append_clean(struct buf *out, const char *s)
{
	bool ok = true;

	for (; s && *s && ok; s++) {
		unsigned char c = (unsigned char)*s;
		ok = buf_append_byte(out, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	return ok;
}

/* An RFC 5322 date-time in UTC for a Unix time. */
static void
format_utc(long long t, char out[64])
{
	time_t at = (time_t)t;
	struct tm tm;

	gmtime_r(&at, &tm);
	strftime(out, 64, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

bool
msg_dsn_build(const struct msg_dsn *d, struct buf *out, struct mf_error *err)
{
	char arrival[64], until[64], status[16];
	bool ok = true;

	format_utc(d->arrival, arrival);
	format_utc(d->retry_until, until);
	ok = buf_printf(out,
			"From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
			"To: <%s>\r\n"
			"Subject: %s\r\n"
			"Date: %s\r\n"
			"Message-ID: %s\r\n"
			"Auto-Submitted: auto-replied\r\n"
			"MIME-Version: 1.0\r\n"
			"Content-Type: multipart/report; "
			"report-type=delivery-status;\r\n"
			"\tboundary=\"%s\"\r\n"
			"\r\n"
			"This is a MIME-encapsulated delivery status "
			"notification.\r\n"
			"\r\n--%s\r\n"
			"Content-Type: text/plain; charset=us-ascii\r\n"
			"\r\n"
			"mailferry on %s %s your message to these "
			"recipients:\r\n\r\n",
			d->reporting_host, d->sender,
			d->delayed ? "Delayed Mail (still being retried)"
				   : "Undelivered Mail Returned to Sender",
			d->date, d->message_id, d->boundary, d->boundary,
			d->reporting_host,
			d->delayed ? "has not yet delivered"
				   : "could not deliver");
	for (size_t i = 0; i < d->rcpt_count && ok; i++) {
		const struct msg_dsn_rcpt *r = &d->rcpts[i];
		const char *why;

		if (d->delayed)
			why = r->diagnostic ? "still trying; last error: "
					    : "still trying";
		else if (r->expired)
			why = "gave up: the message could not be delivered "
			      "in time; last error: ";
		else
			why = "";
		ok = buf_append_str(out, "<") && append_clean(out, r->addr) &&
		     buf_append_str(out, ">:\r\n    ") &&
		     append_clean(out, why) &&
		     append_clean(out, r->diagnostic ? r->diagnostic
				       : d->delayed ? "" : "refused") &&
		     buf_append_str(out, "\r\n\r\n");
	}
	if (ok && d->delayed)
		ok = buf_printf(out,
				"It will keep trying until %s.\r\n"
				"You do not need to send the message again; "
				"if it cannot be\r\n"
				"delivered by then, you will get a failure "
				"notice.\r\n\r\n",
				until);
	ok = ok && buf_printf(out,
			      "--%s\r\n"
			      "Content-Type: message/delivery-status\r\n"
			      "\r\n"
			      "Reporting-MTA: dns; %s\r\n"
			      "Arrival-Date: %s\r\n",
			      d->boundary, d->reporting_host, arrival);
	for (size_t i = 0; i < d->rcpt_count && ok; i++) {
		const struct msg_dsn_rcpt *r = &d->rcpts[i];

		status_of(r, d->delayed, status);
		ok = buf_append_str(out, "\r\nFinal-Recipient: rfc822; ") &&
		     append_clean(out, r->addr) &&
		     buf_printf(out, "\r\nAction: %s\r\nStatus: %s\r\n",
				d->delayed ? "delayed" : "failed", status);
		if (ok && r->diagnostic)
			ok = buf_append_str(out, "Diagnostic-Code: smtp; ") &&
			     append_clean(out, r->diagnostic) &&
			     buf_append_str(out, "\r\n");
		if (ok && d->delayed)
			ok = buf_printf(out, "Will-Retry-Until: %s\r\n", until);
	}
	ok = ok && buf_printf(out,
			      "\r\n--%s\r\n"
			      "Content-Type: text/rfc822-headers\r\n"
			      "\r\n",
			      d->boundary);
	/* The original header block, with any 8-bit byte made safe. */
	for (size_t i = 0; i < d->original_headers_len && ok; i++) {
		unsigned char c = (unsigned char)d->original_headers[i];
		ok = buf_append_byte(out, c < 0x80 ? (char)c : '?');
	}
	ok = ok && buf_printf(out, "\r\n--%s--\r\n", d->boundary);
	if (!ok)
		err_set(err, EX_DATAERR, ERR_PERMANENT,
			"delivery status notification too large");
	return ok;
}
