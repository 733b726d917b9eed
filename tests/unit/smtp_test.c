/* tests/unit/smtp_test.c: the SMTP engine through scripted streams: exact
 * client bytes for whole dialogues, reply parsing, the status table,
 * dot-stuffing, STARTTLS injection, AUTH with redaction, and LMTP (LHLO,
 * one reply per recipient after the data, the default port). */
#include "config.h"

#include "check.h"
#include "script_stream.h"

#include "config/config.h"
#include "log/log.h"
#include "sasl/sasl.h"
#include "smtp/client.h"
#include "smtp/dotstuff.h"
#include "smtp/reply.h"
#include "smtp/status.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* ------------------------------------------------------ reply lines */

static const struct {
	const char *lines[4];
	bool ok;
	int code;
	const char *enhanced;
	const char *text;
} reply_cases[] = {
	{ { "250 ok" }, true, 250, "", "ok" },
	{ { "250" }, true, 250, "", "" },
	{ { "250-a", "250-b", "250 c" }, true, 250, "", "a\nb\nc" },
	{ { "550 5.1.1 no such user" }, true, 550, "5.1.1", "5.1.1 no such user" },
	{ { "451 4.3.0 later" }, true, 451, "4.3.0", "4.3.0 later" },
	/* an enhanced code of the wrong class is not taken */
	{ { "550 4.1.1 odd" }, true, 550, "", "4.1.1 odd" },
	{ { "250 2.0.0" }, true, 250, "2.0.0", "2.0.0" },
	{ { "220 \xea\xb0\x80 utf-8 text" }, true, 220, "", "\xea\xb0\x80 utf-8 text" },
	{ { "25" }, false, 0, "", "" },
	{ { "2x0 ok" }, false, 0, "", "" },
	{ { "650 ok" }, false, 0, "", "" },
	{ { "160 ok" }, false, 0, "", "" },
	{ { "260 ok" }, false, 0, "", "" },
	{ { "250_ok" }, false, 0, "", "" },
	{ { "250-a", "251 b" }, false, 0, "", "" },
	{ { "250 a\x01" }, false, 0, "", "" },
	{ { "250 a\x7f" }, false, 0, "", "" },
	{ { "" }, false, 0, "", "" },
};

static void
test_reply_lines(void)
{
	for (size_t i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]);
	     i++) {
		struct smtp_reply r;
		struct mf_error err;
		bool ok = true;

		err_clear(&err);
		smtp_reply_init(&r);
		for (size_t j = 0; reply_cases[i].lines[j] && ok; j++)
			ok = smtp_reply_add_line(&r, reply_cases[i].lines[j],
						 strlen(reply_cases[i].lines[j]),
						 &err);
		CHECK(ok == reply_cases[i].ok);
		if (ok) {
			CHECK(r.complete);
			CHECK(r.code == reply_cases[i].code);
			CHECK_STR(r.enhanced, reply_cases[i].enhanced);
			CHECK_STR(buf_cstr(&r.text), reply_cases[i].text);
		} else {
			CHECK(err.exit_code == EX_PROTOCOL);
			CHECK(err.cls == ERR_TEMPORARY);
		}
		smtp_reply_clear(&r);
	}
	/* a line over the limit */
	{
		struct smtp_reply r;
		struct mf_error err;
		char *line = malloc(5000);
		memset(line, 'a', 5000);
		memcpy(line, "250 ", 4);
		smtp_reply_init(&r);
		CHECK(!smtp_reply_add_line(&r, line, 5000, &err));
		smtp_reply_clear(&r);
		free(line);
	}
}

static void
test_caps(void)
{
	static const char *const lines[] = {
		"250-mail.example.org hello",  "250-PIPELINING",
		"250-SIZE 10240000",           "250-8BITMIME",
		"250-AUTH PLAIN login SCRAM-SHA-256", "250-STARTTLS",
		"250-ENHANCEDSTATUSCODES",     "250-SMTPUTF8",
		"250 DSN",
	};
	struct smtp_reply r;
	struct smtp_caps caps;
	struct mf_error err;

	smtp_reply_init(&r);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		CHECK(smtp_reply_add_line(&r, lines[i], strlen(lines[i]),
					  &err));
	smtp_caps_parse(&r, &caps);
	CHECK(caps.pipelining && caps.eightbitmime && caps.starttls);
	CHECK(caps.enhancedstatuscodes && caps.smtputf8 && caps.dsn);
	CHECK(!caps.chunking);
	CHECK(caps.size && caps.size_max == 10240000);
	CHECK_STR(caps.auth, "PLAIN LOGIN SCRAM-SHA-256");
	smtp_reply_clear(&r);
}

/* ------------------------------------------------------ status table */

static const struct {
	const char *line;
	enum smtp_stage stage;
	int exit_code;
	enum err_class cls;
} status_cases[] = {
	{ "421 4.3.2 shutting down", SMTP_STAGE_GREETING, EX_TEMPFAIL, ERR_TEMPORARY },
	{ "451 4.7.1 greylisted", SMTP_STAGE_RCPT, EX_TEMPFAIL, ERR_TEMPORARY },
	{ "452 4.2.2 mailbox full", SMTP_STAGE_DATA_END, EX_TEMPFAIL, ERR_TEMPORARY },
	{ "454 4.7.0 TLS not available", SMTP_STAGE_STARTTLS, EX_TEMPFAIL, ERR_TEMPORARY },
	{ "535 5.7.8 bad credentials", SMTP_STAGE_AUTH, EX_NOPERM, ERR_PERMANENT },
	{ "530 5.7.0 authentication required", SMTP_STAGE_MAIL, EX_NOPERM, ERR_PERMANENT },
	{ "550 5.1.1 no such user", SMTP_STAGE_RCPT, EX_NOUSER, ERR_PERMANENT },
	{ "553 5.1.3 bad address", SMTP_STAGE_RCPT, EX_NOUSER, ERR_PERMANENT },
	{ "550 5.7.1 sender refused", SMTP_STAGE_MAIL, EX_UNAVAILABLE, ERR_PERMANENT },
	{ "552 5.3.4 too big", SMTP_STAGE_DATA_END, EX_DATAERR, ERR_PERMANENT },
	{ "554 5.6.0 content refused", SMTP_STAGE_DATA_END, EX_DATAERR, ERR_PERMANENT },
	{ "554 5.3.0 no service", SMTP_STAGE_GREETING, EX_UNAVAILABLE, ERR_PERMANENT },
};

static void
test_status(void)
{
	for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]);
	     i++) {
		struct smtp_reply r;
		struct mf_error err;
		const char *line = status_cases[i].line;

		smtp_reply_init(&r);
		CHECK(smtp_reply_add_line(&r, line, strlen(line), &err));
		smtp_status_error(&r, status_cases[i].stage, NULL, &err);
		CHECK(err.exit_code == status_cases[i].exit_code);
		CHECK(err.cls == status_cases[i].cls);
		CHECK(err.smtp_code == r.code);
		CHECK(strstr(err.msg, line + 4) != NULL);
		smtp_reply_clear(&r);
	}
}

/* ------------------------------------------------------ dot-stuffing */

static void
test_dotstuff(void)
{
	static const struct {
		const char *chunks[4];
		const char *want;
		const char *end;
	} cases[] = {
		{ { "a\r\n.b\r\n" }, "a\r\n..b\r\n", ".\r\n" },
		{ { ".\r\n" }, "..\r\n", ".\r\n" },
		{ { "a\r\n", ".", "\r\n" }, "a\r\n..\r\n", ".\r\n" },
		{ { "x.y\r\n..\r\n" }, "x.y\r\n...\r\n", ".\r\n" },
		{ { "no newline" }, "no newline", "\r\n.\r\n" },
		{ { "a\r", "\n.", "b" }, "a\r\n..b", "\r\n.\r\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dotstuff d;
		struct buf out;

		buf_init(&out, 1024);
		dotstuff_init(&d);
		for (size_t j = 0; cases[i].chunks[j]; j++)
			CHECK(dotstuff_append(&d, cases[i].chunks[j],
					      strlen(cases[i].chunks[j]),
					      &out));
		CHECK_STR(buf_cstr(&out), cases[i].want);
		CHECK_STR(dotstuff_end(&d), cases[i].end);
		buf_clear(&out);
	}
}

/* ------------------------------------------------------ dialogues */

static char rcpt_to[] = "to@example.org";
static char rcpt_bad[] = "bad@example.org";
static char *const two_rcpts[] = { rcpt_to, rcpt_bad };

/* A whole pipelined transaction; the server refuses one recipient. */
static void
test_pipelined_dialogue(void)
{
	static const char *const server[] = {
		"220 mx.example.org ESMTP\r\n",
		/* EHLO reply split mid-line and mid-CRLF */
		"250-mx.example.org\r\n250-PIPELI",
		"NING\r\n250-8BITMIME\r",
		"\n250 SIZE 1000\r\n",
		/* all pipelined replies in one read */
		"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown\r\n"
		"354 go ahead\r\n",
		"250 2.0.0 queued as X\r\n",
		"221 bye\r\n",
		NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct smtp_rcpt_result res[2];
	struct mf_error err;
	size_t accepted = 0;
	static const char want[] =
		"|EHLO client.example\r\n"
		"|||MAIL FROM:<from@example.org> SIZE=999 BODY=8BITMIME\r\n"
		"RCPT TO:<to@example.org>\r\n"
		"RCPT TO:<bad@example.org>\r\n"
		"DATA\r\n"
		"|Subject: x\r\n\r\n..leading dot\r\n.\r\n"
		"|QUIT\r\n|";

	err_clear(&err);
	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	CHECK(smtp_greeting(&s, &err));
	CHECK(smtp_ehlo(&s, "client.example", &err));
	CHECK(s.caps.pipelining && s.caps.eightbitmime);
	CHECK(smtp_envelope(&s, "from@example.org", two_rcpts, 2, true, 999, NULL,
			    res, &accepted, &err));
	CHECK(accepted == 1);
	CHECK(res[0].accepted && !res[1].accepted);
	CHECK(res[1].error.exit_code == EX_NOUSER);
	CHECK(strstr(res[1].error.msg, "<bad@example.org>") != NULL);
	CHECK(smtp_data_write(&s, "Subject: x\r\n\r\n.leading dot\r\n", 28,
			      &err));
	CHECK(smtp_data_end(&s, two_rcpts, res, 2, &accepted, &err));
	/* SMTP: the results stay as RCPT left them */
	CHECK(accepted == 1 && res[0].accepted && res[0].code == 250);
	smtp_quit(&s);
	CHECK_MEM(ss.written.data, ss.written.len, want, sizeof(want) - 1);
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* CHUNKING (RFC 3030): no DATA, "BDAT n LAST" and the raw bytes (a
 * leading dot stays single); a refused BDAT is the message's failure
 * with the dialogue still in step; without no_chunking cleared, DATA. */
static void
test_bdat(void)
{
	static const char *const ok_server[] = {
		"220 mx ESMTP\r\n",
		"250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n",
		"250 ok\r\n250 ok\r\n250 ok\r\n",
		"250 2.0.0 queued\r\n",
		NULL,
	};
	static const char *const refusing[] = {
		"220 mx ESMTP\r\n",
		"250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n",
		"250 ok\r\n250 ok\r\n250 ok\r\n",
		"554 5.6.0 message refused\r\n",
		NULL,
	};
	static const char want[] =
		"|EHLO c\r\n"
		"|MAIL FROM:<f@example.org>\r\n"
		"RCPT TO:<to@example.org>\r\n"
		"RCPT TO:<bad@example.org>\r\n"
		"|BDAT 21 LAST\r\n"
		"S: x\r\n\r\n.dot\r\n..two\r\n|";
	const char *const *servers[] = { ok_server, refusing };

	for (int k = 0; k < 2; k++) {
		struct script_stream ss;
		struct smtp_session s;
		struct smtp_rcpt_result res[2];
		struct mf_error err;
		size_t accepted = 0;
		bool ok;

		err_clear(&err);
		script_stream_init(&ss, servers[k]);
		smtp_session_init(&s, &ss.base, false);
		CHECK(smtp_greeting(&s, &err));
		CHECK(smtp_ehlo(&s, "c", &err));
		CHECK(s.caps.chunking);
		CHECK(smtp_envelope(&s, "f@example.org", two_rcpts, 2, false, 0,
				    NULL, res, &accepted, &err));
		CHECK(s.bdat);
		CHECK(smtp_data_write(&s, "S: x\r\n\r\n.dot\r\n..two\r\n", 21,
				      &err));
		ok = smtp_data_end(&s, two_rcpts, res, 2, &accepted, &err);
		CHECK(ok == (k == 0));
		if (k == 1) {
			CHECK(err.smtp_code == 554);
			CHECK(strstr(err.msg, "message refused") != NULL);
			CHECK(!s.bdat);
		}
		CHECK_MEM(ss.written.data, ss.written.len, want,
			  sizeof(want) - 1);
		smtp_session_clear(&s);
		script_stream_clear(&ss);
	}
}

/* DSN (RFC 3461): RET and ENVID on MAIL (ENVID as xtext), NOTIFY and
 * ORCPT on each RCPT when the server offers DSN; nothing of it when it
 * does not. */
static void
test_dsn_parameters(void)
{
	static char plus[] = "a+b@example.org";
	static char *const rcpts[] = { rcpt_to, plus };
	static const char *const with[] = {
		"220 mx ESMTP\r\n",
		"250-mx\r\n250-PIPELINING\r\n250 DSN\r\n",
		"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
		NULL,
	};
	static const char *const without[] = {
		"220 mx ESMTP\r\n",
		"250-mx\r\n250 PIPELINING\r\n",
		"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
		NULL,
	};
	static const char want_with[] =
		"|EHLO c\r\n"
		"|MAIL FROM:<f@example.org> RET=HDRS ENVID=id+20one+3D1\r\n"
		"RCPT TO:<to@example.org> NOTIFY=FAILURE,DELAY "
		"ORCPT=rfc822;to@example.org\r\n"
		"RCPT TO:<a+b@example.org> NOTIFY=FAILURE,DELAY "
		"ORCPT=rfc822;a+2Bb@example.org\r\n"
		"DATA\r\n|";
	static const char want_without[] =
		"|EHLO c\r\n"
		"|MAIL FROM:<f@example.org>\r\n"
		"RCPT TO:<to@example.org>\r\n"
		"RCPT TO:<a+b@example.org>\r\n"
		"DATA\r\n|";
	const struct smtp_dsn dsn = { "FAILURE,DELAY", "HDRS", "id one=1" };
	const char *const *servers[] = { with, without };
	const char *wants[] = { want_with, want_without };
	size_t lens[] = { sizeof(want_with) - 1, sizeof(want_without) - 1 };

	for (int k = 0; k < 2; k++) {
		struct script_stream ss;
		struct smtp_session s;
		struct smtp_rcpt_result res[2];
		struct mf_error err;
		size_t accepted = 0;

		err_clear(&err);
		script_stream_init(&ss, servers[k]);
		smtp_session_init(&s, &ss.base, false);
		CHECK(smtp_greeting(&s, &err));
		CHECK(smtp_ehlo(&s, "c", &err));
		CHECK(smtp_envelope(&s, "f@example.org", rcpts, 2, false, 0,
				    &dsn, res, &accepted, &err));
		CHECK(accepted == 2);
		CHECK_MEM(ss.written.data, ss.written.len, wants[k], lens[k]);
		smtp_session_clear(&s);
		script_stream_clear(&ss);
	}
}

/* SMTPUTF8 (RFC 6531 3.4): an envelope with UTF-8 in an address declares
 * it on MAIL (next to BODY=8BITMIME as usual) and sends the addresses as
 * written; an all-ASCII envelope does not; a server without SMTPUTF8 gets
 * nothing at all, not even MAIL. */
static void
test_smtputf8_parameter(void)
{
	static char korean[] = "사용자@한국.kr";
	static char *const rcpts[] = { korean, rcpt_to };
	static char *const ascii[] = { rcpt_to, rcpt_bad };
	static const char *const offers[] = {
		"220 mx ESMTP\r\n",
		"250-mx\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
		"250-SIZE 10000\r\n250 SMTPUTF8\r\n",
		"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
		NULL,
	};
	static const char *const lacks[] = {
		"220 mx ESMTP\r\n",
		"250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
		NULL,
	};
	static const char want_utf8[] =
		"|EHLO c\r\n"
		"|MAIL FROM:<보낸이@한국.kr> SIZE=500 BODY=8BITMIME SMTPUTF8\r\n"
		"RCPT TO:<사용자@한국.kr>\r\n"
		"RCPT TO:<to@example.org>\r\n"
		"DATA\r\n|";
	static const char want_rcpt_only[] =
		"|EHLO c\r\n"
		"|MAIL FROM:<f@example.org> SMTPUTF8\r\n"
		"RCPT TO:<사용자@한국.kr>\r\n"
		"RCPT TO:<to@example.org>\r\n"
		"DATA\r\n|";
	static const char want_ascii[] =
		"|EHLO c\r\n"
		"|MAIL FROM:<f@example.org> BODY=8BITMIME\r\n"
		"RCPT TO:<to@example.org>\r\n"
		"RCPT TO:<bad@example.org>\r\n"
		"DATA\r\n|";
	const struct {
		const char *const *server;
		const char *from;
		char *const *rcpts;
		bool body_8bit;
		unsigned long long size;
		bool ok;
		const char *want;
		size_t want_len;
	} cases[] = {
		{ offers, "보낸이@한국.kr", rcpts, true, 500, true, want_utf8,
		  sizeof(want_utf8) - 1 },
		{ offers, "f@example.org", rcpts, false, 0, true,
		  want_rcpt_only, sizeof(want_rcpt_only) - 1 },
		{ offers, "f@example.org", ascii, true, 0, true, want_ascii,
		  sizeof(want_ascii) - 1 },
		{ lacks, "f@example.org", rcpts, false, 0, false,
		  "|EHLO c\r\n|", 10 },
		{ lacks, "보낸이@한국.kr", ascii, false, 0, false,
		  "|EHLO c\r\n|", 10 },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct script_stream ss;
		struct smtp_session s;
		struct smtp_rcpt_result res[2];
		struct mf_error err;
		size_t accepted = 0;
		bool ok;

		err_clear(&err);
		script_stream_init(&ss, cases[k].server);
		smtp_session_init(&s, &ss.base, false);
		CHECK(smtp_greeting(&s, &err));
		CHECK(smtp_ehlo(&s, "c", &err));
		ok = smtp_envelope(&s, cases[k].from, cases[k].rcpts, 2,
				   cases[k].body_8bit, cases[k].size, NULL, res,
				   &accepted, &err);
		CHECK(ok == cases[k].ok);
		if (ok) {
			CHECK(accepted == 2);
		} else {
			CHECK(err.exit_code == EX_DATAERR);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK(strstr(err.msg, "SMTPUTF8") != NULL);
		}
		CHECK_MEM(ss.written.data, ss.written.len, cases[k].want,
			  cases[k].want_len);
		smtp_session_clear(&s);
		script_stream_clear(&ss);
	}
}

/* Without PIPELINING every command waits for its reply; HELO fallback. */
static void
test_lockstep_dialogue(void)
{
	static const char *const server[] = {
		"220 old.example.org\r\n",
		"502 5.5.1 EHLO not implemented\r\n",
		"250 old.example.org\r\n",
		"250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
		"250 ok\r\n", NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct smtp_rcpt_result res[2];
	struct mf_error err;
	size_t accepted = 0;
	static const char want[] =
		"|EHLO c\r\n|HELO c\r\n|"
		"MAIL FROM:<>\r\n|RCPT TO:<to@example.org>\r\n|"
		"RCPT TO:<bad@example.org>\r\n|DATA\r\n|"
		"x\r\n.\r\n|";

	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	CHECK(smtp_greeting(&s, &err));
	CHECK(smtp_ehlo(&s, "c", &err));
	CHECK(!s.caps.esmtp && !s.caps.pipelining);
	/* 8-bit body but no 8BITMIME offered: no BODY parameter */
	CHECK(smtp_envelope(&s, "", two_rcpts, 2, true, 999, NULL, res, &accepted,
			    &err));
	CHECK(accepted == 2);
	CHECK(smtp_data_write(&s, "x\r\n", 3, &err));
	CHECK(smtp_data_end(&s, two_rcpts, res, 2, &accepted, &err));
	CHECK_MEM(ss.written.data, ss.written.len, want, sizeof(want) - 1);
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* Every recipient refused: nothing is sent after DATA is refused. */
static void
test_all_refused(void)
{
	static const char *const server[] = {
		"220 x\r\n", "250-x\r\n250 PIPELINING\r\n",
		"250 ok\r\n550 5.1.1 no\r\n451 4.2.0 later\r\n"
		"554 5.5.1 no valid recipients\r\n",
		NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct smtp_rcpt_result res[2];
	struct mf_error err;
	size_t accepted = 9;

	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	CHECK(smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err));
	CHECK(!smtp_envelope(&s, "a@b", two_rcpts, 2, false, 0, NULL, res,
			     &accepted, &err));
	CHECK(accepted == 0);
	CHECK(err.exit_code == EX_NOUSER); /* the first refusal */
	CHECK(res[1].error.cls == ERR_TEMPORARY);
	CHECK(res[1].error.exit_code == EX_TEMPFAIL);
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* MAIL refused under PIPELINING: the error is MAIL's, all replies read. */
static void
test_mail_refused(void)
{
	static const char *const server[] = {
		"220 x\r\n", "250-x\r\n250 PIPELINING\r\n",
		"451 4.3.0 try later\r\n503 5.5.1 no MAIL\r\n"
		"503 5.5.1 no MAIL\r\n503 5.5.1 no valid recipients\r\n",
		NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct smtp_rcpt_result res[2];
	struct mf_error err;
	size_t accepted;

	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	CHECK(smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err));
	CHECK(!smtp_envelope(&s, "a@b", two_rcpts, 2, false, 0, NULL, res,
			     &accepted, &err));
	CHECK(err.exit_code == EX_TEMPFAIL && err.cls == ERR_TEMPORARY);
	CHECK(strstr(err.msg, "MAIL FROM") != NULL);
	CHECK(ss.next == 3); /* every pipelined reply consumed */
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* A message over the server's SIZE limit is refused before MAIL. */
static void
test_size_limit(void)
{
	static const char *const server[] = {
		"220 x\r\n", "250-x\r\n250 SIZE 1000\r\n", NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct smtp_rcpt_result res[2];
	struct mf_error err;
	size_t accepted;

	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	CHECK(smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err));
	CHECK(!smtp_envelope(&s, "a@b", two_rcpts, 2, false, 1001, NULL, res,
			     &accepted, &err));
	CHECK(err.exit_code == EX_DATAERR && err.cls == ERR_PERMANENT);
	CHECK_STR(ss.written.data, "|EHLO c\r\n|");
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* Bytes after the STARTTLS reply are an injection attempt. */
static void
test_starttls_injection(void)
{
	static const char *const server[] = {
		"220 x\r\n", "250-x\r\n250 STARTTLS\r\n",
		"220 2.0.0 go ahead\r\n250 injected\r\n", NULL,
	};
	static const char *const server_ok[] = {
		"220 x\r\n", "250-x\r\n250 STARTTLS\r\n",
		"220 2.0.0 go ahead\r\n", NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct mf_error err;

	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	CHECK(smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err));
	CHECK(s.caps.starttls);
	CHECK(!smtp_starttls(&s, &err));
	CHECK(err.exit_code == EX_PROTOCOL);
	smtp_session_clear(&s);
	script_stream_clear(&ss);

	script_stream_init(&ss, server_ok);
	smtp_session_init(&s, &ss.base, false);
	CHECK(smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err));
	CHECK(smtp_starttls(&s, &err));
	CHECK(s.state == SMTP_STATE_STARTTLS);
	/* after the handshake, capabilities are forgotten */
	smtp_session_set_stream(&s, &ss.base, true);
	CHECK(!s.caps.starttls && s.encrypted);
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* The server closes the connection in the middle of a reply. */
static void
test_disconnect(void)
{
	static const char *const server[] = { "220-x\r\n", NULL };
	struct script_stream ss;
	struct smtp_session s;
	struct mf_error err;

	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	CHECK(!smtp_greeting(&s, &err));
	CHECK(err.exit_code == EX_TEMPFAIL && err.cls == ERR_TEMPORARY);
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* ------------------------------------------------------ LMTP */

static char rcpt_one[] = "one@example.org";
static char rcpt_two[] = "two@example.org";
static char rcpt_three[] = "three@example.org";
static char *const three_rcpts[] = { rcpt_one, rcpt_two, rcpt_three };

/* LHLO, then one reply per recipient after the data, each deciding for
 * its recipient (RFC 2033 4.2); the dialogue stays in step for RSET. */
static void
test_lmtp_dialogue(void)
{
	static const char *const server[] = {
		"220 lda.example.org LMTP\r\n",
		"250-lda.example.org\r\n250-8BITMIME\r\n"
		"250 ENHANCEDSTATUSCODES\r\n",
		"250 2.1.0 ok\r\n", "250 2.1.5 ok\r\n", "250 2.1.5 ok\r\n",
		"250 2.1.5 ok\r\n", "354 go ahead\r\n",
		/* one reply per recipient, one per read */
		"250 2.0.0 <one@example.org> delivered\r\n",
		"452 4.2.2 <two@example.org> mailbox full\r\n",
		"550 5.1.1 <three@example.org> no such user\r\n",
		"250 2.0.0 ok\r\n", /* RSET */
		"221 bye\r\n", NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct smtp_rcpt_result res[3];
	struct mf_error err;
	size_t accepted = 0;
	static const char want[] =
		"|LHLO c\r\n|MAIL FROM:<f@example.org>\r\n|"
		"RCPT TO:<one@example.org>\r\n|"
		"RCPT TO:<two@example.org>\r\n|"
		"RCPT TO:<three@example.org>\r\n|DATA\r\n|"
		"x\r\n.\r\n|||RSET\r\n|QUIT\r\n|";

	err_clear(&err);
	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	smtp_session_set_lmtp(&s, true);
	CHECK(smtp_greeting(&s, &err));
	CHECK(smtp_ehlo(&s, "c", &err));
	CHECK(s.caps.esmtp && s.caps.eightbitmime && !s.caps.pipelining);
	CHECK(smtp_envelope(&s, "f@example.org", three_rcpts, 3, false, 0, NULL,
			    res, &accepted, &err));
	CHECK(accepted == 3);
	CHECK(smtp_data_write(&s, "x\r\n", 3, &err));
	CHECK(!smtp_data_end(&s, three_rcpts, res, 3, &accepted, &err));
	CHECK(accepted == 1);
	/* err is the first refusal: a reply, so the session is in step */
	CHECK(err.smtp_code == 452 && err.cls == ERR_TEMPORARY);
	CHECK(res[0].accepted && res[0].code == 250);
	CHECK(!err_isset(&res[0].error));
	CHECK(!res[1].accepted && res[1].code == 452);
	CHECK(res[1].error.cls == ERR_TEMPORARY);
	CHECK(res[1].error.exit_code == EX_TEMPFAIL);
	CHECK(res[1].error.smtp_code == 452);
	CHECK_STR(res[1].error.enhanced, "4.2.2");
	CHECK(strstr(res[1].error.msg, "<two@example.org>") != NULL);
	CHECK(strstr(res[1].error.msg, "mailbox full") != NULL);
	CHECK(!res[2].accepted && res[2].code == 550);
	CHECK(res[2].error.cls == ERR_PERMANENT);
	CHECK(res[2].error.smtp_code == 550);
	CHECK_STR(res[2].error.enhanced, "5.1.1");
	CHECK(strstr(res[2].error.msg, "<three@example.org>") != NULL);
	/* the next message on this connection */
	CHECK(smtp_rset(&s, &err));
	smtp_quit(&s);
	CHECK(ss.next == 12); /* every reply read, none left over */
	CHECK_MEM(ss.written.data, ss.written.len, want, sizeof(want) - 1);
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* Pipelined: a recipient refused at RCPT is owed no reply after the
 * data; the replies for the others may come together. */
static void
test_lmtp_pipelined(void)
{
	static const char *const server[] = {
		"220 lda LMTP\r\n",
		"250-lda\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n",
		"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown\r\n"
		"250 2.1.5 ok\r\n354 go ahead\r\n",
		"250-2.0.0 <one@example.org>\r\n250 2.0.0 delivered\r\n"
		"250 2.0.0 <three@example.org> delivered\r\n",
		"221 bye\r\n", NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct smtp_rcpt_result res[3];
	struct mf_error err;
	size_t accepted = 0;
	static const char want[] =
		"|LHLO c\r\n"
		"|MAIL FROM:<f@example.org>\r\n"
		"RCPT TO:<one@example.org>\r\n"
		"RCPT TO:<two@example.org>\r\n"
		"RCPT TO:<three@example.org>\r\n"
		"DATA\r\n"
		"|x\r\n.\r\n|QUIT\r\n|";

	err_clear(&err);
	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	smtp_session_set_lmtp(&s, true);
	CHECK(smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err));
	CHECK(s.caps.pipelining);
	CHECK(smtp_envelope(&s, "f@example.org", three_rcpts, 3, false, 0, NULL,
			    res, &accepted, &err));
	CHECK(accepted == 2);
	CHECK(smtp_data_write(&s, "x\r\n", 3, &err));
	CHECK(smtp_data_end(&s, three_rcpts, res, 3, &accepted, &err));
	CHECK(accepted == 2);
	CHECK(res[0].accepted && res[2].accepted);
	CHECK(s.state == SMTP_STATE_DONE);
	/* the RCPT refusal is kept as it was */
	CHECK(!res[1].accepted && res[1].code == 550);
	CHECK(res[1].error.exit_code == EX_NOUSER);
	smtp_quit(&s);
	CHECK_MEM(ss.written.data, ss.written.len, want, sizeof(want) - 1);
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* The server closes after the first recipient's reply: that one has the
 * message, the others get the I/O error (temporary), and the session is
 * out of step (no reply code in err). */
static void
test_lmtp_disconnect(void)
{
	static const char *const server[] = {
		"220 lda LMTP\r\n", "250-lda\r\n250 PIPELINING\r\n",
		"250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n"
		"250 2.1.5 ok\r\n354 go ahead\r\n",
		"250 2.0.0 <one@example.org> delivered\r\n",
		NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct smtp_rcpt_result res[3];
	struct mf_error err;
	size_t accepted = 0;

	err_clear(&err);
	script_stream_init(&ss, server);
	smtp_session_init(&s, &ss.base, false);
	smtp_session_set_lmtp(&s, true);
	CHECK(smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err));
	CHECK(smtp_envelope(&s, "f@example.org", three_rcpts, 3, false, 0, NULL,
			    res, &accepted, &err));
	CHECK(smtp_data_write(&s, "x\r\n", 3, &err));
	CHECK(!smtp_data_end(&s, three_rcpts, res, 3, &accepted, &err));
	CHECK(accepted == 1);
	CHECK(err.smtp_code == 0 && err.cls == ERR_TEMPORARY);
	CHECK(strstr(err.msg, "closed the connection") != NULL);
	CHECK(res[0].accepted && res[0].code == 250);
	for (size_t i = 1; i < 3; i++) {
		CHECK(!res[i].accepted && res[i].code == 0);
		CHECK(res[i].error.cls == ERR_TEMPORARY);
		CHECK(res[i].error.smtp_code == 0);
	}
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* No HELO fallback: a server that refuses LHLO is not an LMTP server.
 * After STARTTLS, LHLO again. */
static void
test_lmtp_lhlo(void)
{
	static const char *const refused[] = {
		"220 mx ESMTP\r\n", "500 5.5.1 unknown command\r\n",
		"250 should not be read\r\n", NULL,
	};
	static const char *const tls[] = {
		"220 lda LMTP\r\n", "250-lda\r\n250 STARTTLS\r\n",
		"220 2.0.0 go ahead\r\n",
		"250-lda\r\n250 PIPELINING\r\n", NULL,
	};
	struct script_stream ss;
	struct smtp_session s;
	struct mf_error err;

	err_clear(&err);
	script_stream_init(&ss, refused);
	smtp_session_init(&s, &ss.base, false);
	smtp_session_set_lmtp(&s, true);
	CHECK(smtp_greeting(&s, &err));
	CHECK(!smtp_ehlo(&s, "c", &err));
	CHECK(err.smtp_code == 500 && err.cls == ERR_PERMANENT);
	CHECK(strstr(err.msg, "LHLO") != NULL);
	CHECK_STR(ss.written.data, "|LHLO c\r\n|");
	smtp_session_clear(&s);
	script_stream_clear(&ss);

	script_stream_init(&ss, tls);
	smtp_session_init(&s, &ss.base, false);
	smtp_session_set_lmtp(&s, true);
	CHECK(smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err));
	CHECK(smtp_starttls(&s, &err));
	smtp_session_set_stream(&s, &ss.base, true);
	CHECK(smtp_ehlo(&s, "c", &err));
	CHECK(s.caps.pipelining && s.lmtp);
	CHECK_STR(ss.written.data,
		  "|LHLO c\r\n|STARTTLS\r\n|LHLO c\r\n|");
	smtp_session_clear(&s);
	script_stream_clear(&ss);
}

/* The port when the account names none: never 25 for LMTP. (config's
 * own table is in config_test.c; this keeps the LMTP cases with LMTP.) */
static void
test_lmtp_port(void)
{
	static const struct {
		const char *text;
		unsigned port;
	} cases[] = {
		{ "protocol lmtp\n", 2003 },
		{ "protocol lmtp\ntls on\ntls_starttls off\n", 2003 },
		{ "protocol lmtp\ntls on\n", 2003 },
		{ "protocol lmtp\nport 24\n", 24 },
		{ "protocol smtp\n", 25 },
		{ "protocol smtp\ntls on\ntls_starttls off\n", 465 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg cfg;
		struct mf_error err;

		cfg_init(&cfg);
		CHECK(cfg_parse(cases[i].text, strlen(cases[i].text), "f",
				&cfg, &err));
		CHECK(cfg_account_port(&cfg.defaults) == cases[i].port);
		cfg_clear(&cfg);
	}
}

/* Run fn with stderr going to a file; return what it printed. */
static char *
capture_stderr(void (*fn)(void *), void *arg)
{
	char path[] = "/tmp/smtp_test.XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	char *out = calloc(1, 65536);
	ssize_t n;

	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, 65535);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	close(fd);
	return out;
}

struct auth_case {
	const char *const *server;
	const char *wanted;
	bool encrypted;
	bool ok;
	int exit_code;
	const char *want_written;
	struct script_stream ss;
};

static void
run_auth(void *arg)
{
	struct auth_case *c = arg;
	struct smtp_session s;
	struct sasl_session *sasl = NULL;
	struct mf_error err;
	bool ok;

	err_clear(&err);
	script_stream_init(&c->ss, c->server);
	smtp_session_init(&s, &c->ss.base, c->encrypted);
	ok = smtp_greeting(&s, &err) && smtp_ehlo(&s, "c", &err) &&
	     sasl_session_new(s.caps.auth, c->wanted, s.encrypted, "user",
			      "pass", &sasl, &err) &&
	     smtp_auth(&s, sasl, &err);
	CHECK(ok == c->ok);
	if (!ok)
		CHECK(err.exit_code == c->exit_code);
	CHECK_MEM(c->ss.written.data, c->ss.written.len, c->want_written,
		  strlen(c->want_written));
	sasl_session_free(sasl);
	smtp_session_clear(&s);
}

static void
test_auth(void)
{
	static const char *const plain_ok[] = {
		"220 x\r\n", "250-x\r\n250 AUTH LOGIN PLAIN\r\n",
		"235 2.7.0 ok\r\n", NULL,
	};
	static const char *const plain_bad[] = {
		"220 x\r\n", "250-x\r\n250 AUTH PLAIN\r\n",
		"535 5.7.8 authentication failed\r\n", NULL,
	};
	static const char *const login_ok[] = {
		"220 x\r\n", "250-x\r\n250 AUTH LOGIN\r\n",
		"334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 ok\r\n",
		NULL,
	};
	struct auth_case cases[] = {
		/* "\0user\0pass" */
		{ .server = plain_ok, .wanted = "on", .encrypted = true,
		  .ok = true,
		  .want_written = "|EHLO c\r\n|AUTH PLAIN AHVzZXIAcGFzcw==\r\n|" },
		{ .server = plain_bad, .wanted = "plain", .encrypted = true,
		  .exit_code = EX_NOPERM,
		  .want_written = "|EHLO c\r\n|AUTH PLAIN AHVzZXIAcGFzcw==\r\n|" },
		{ .server = login_ok, .wanted = "login", .encrypted = true,
		  .ok = true,
		  .want_written = "|EHLO c\r\n|AUTH LOGIN\r\n|dXNlcg==\r\n"
				  "|cGFzcw==\r\n|" },
		/* never PLAIN or LOGIN without TLS: nothing is sent */
		{ .server = plain_ok, .wanted = "on",
		  .exit_code = EX_UNAVAILABLE, .want_written = "|EHLO c\r\n|" },
		{ .server = plain_ok, .wanted = "plain",
		  .exit_code = EX_CONFIG, .want_written = "|EHLO c\r\n|" },
	};

	log_init(1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *printed = capture_stderr(run_auth, &cases[i]);
		/* the transcript never shows a payload */
		CHECK(strstr(printed, "AHVzZXIAcGFzcw") == NULL);
		CHECK(strstr(printed, "cGFzcw") == NULL);
		if (cases[i].ok)
			CHECK(strstr(printed, "<redacted>") != NULL);
		free(printed);
		script_stream_clear(&cases[i].ss);
	}
	log_init(0);
}

int
main(void)
{
	test_reply_lines();
	test_caps();
	test_status();
	test_dotstuff();
	test_pipelined_dialogue();
	test_dsn_parameters();
	test_bdat();
	test_smtputf8_parameter();
	test_lockstep_dialogue();
	test_all_refused();
	test_mail_refused();
	test_size_limit();
	test_starttls_injection();
	test_disconnect();
	test_lmtp_dialogue();
	test_lmtp_pipelined();
	test_lmtp_disconnect();
	test_lmtp_lhlo();
	test_lmtp_port();
	test_auth();
	return check_done("smtp_test");
}
