/* tests/unit/tls_test.c: tls/ without a network — the fingerprint syntax
 * of tls_fingerprint (SHA-256, SHA-1 and MD5 lengths, either case,
 * malformed text refused with EX_CONFIG), its "AB:CD:..." printer, and
 * tls_options_check (client certificate and key set together, priority
 * strings checked with the position GnuTLS reports). */
#include "config.h"

#include "check.h"

#include "tls/tls.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#define SHA256_TEXT                                                          \
	"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"                   \
	"F0:E1:D2:C3:B4:A5:96:87:78:69:5A:4B:3C:2D:1E:0F"
#define SHA1_TEXT "de:ad:be:ef:00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f"
#define MD5_TEXT "0F:1e:2D:3c:4B:5a:69:78:87:96:A5:b4:C3:d2:E1:f0"

static void
report_case(const char *table, size_t i, int failures_before)
{
	if (check_failures != failures_before)
		fprintf(stderr, "  ^ in %s case %zu\n", table, i);
}

/* Text, the number of bytes it must give (0: refused), the first and last
 * byte, and a piece of the message when refused. */
static const struct {
	const char *text;
	size_t len;
	unsigned char first, last;
	const char *msg;
} fp_cases[] = {
	{ SHA256_TEXT, 32, 0x00, 0x0f, NULL },
	{ SHA1_TEXT, 20, 0xde, 0x0f, NULL },
	{ MD5_TEXT, 16, 0x0f, 0xf0, NULL },
	{ "", 0, 0, 0, "malformed" },
	{ "AB", 0, 0, 0, "has 1 byte;" },
	{ "AB:CD", 0, 0, 0, "has 2 bytes" },
	{ SHA256_TEXT ":00", 0, 0, 0, "malformed" },
	{ SHA1_TEXT ":", 0, 0, 0, "malformed" },
	{ ":" SHA1_TEXT, 0, 0, 0, "malformed" },
	{ "DE-AD-BE-EF-00-01-02-03-04-05-06-07-08-09-0A-0B-0C-0D-0E-0F", 0, 0,
	  0, "malformed" },
	{ "DEADBEEF000102030405060708090A0B0C0D0E0F", 0, 0, 0, "malformed" },
	{ "GE:AD:BE:EF:00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F", 0, 0,
	  0, "malformed" },
	{ "D:EAD:BE:EF:00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F", 0, 0,
	  0, "malformed" },
	{ "DE:AD:BE:EF:00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F ", 0,
	  0, 0, "malformed" },
	{ "DE::AD", 0, 0, 0, "malformed" },
};

static void
test_fingerprint_parse(void)
{
	for (size_t i = 0; i < sizeof(fp_cases) / sizeof(fp_cases[0]); i++) {
		int before = check_failures;
		struct tls_fingerprint fp;
		struct mf_error err;
		bool ok;

		err_clear(&err);
		ok = tls_fingerprint_parse(fp_cases[i].text, &fp, &err);
		CHECK(ok == (fp_cases[i].len != 0));
		if (ok) {
			CHECK(fp.len == fp_cases[i].len);
			CHECK(fp.md[0] == fp_cases[i].first);
			CHECK(fp.md[fp.len - 1] == fp_cases[i].last);
			CHECK(!err_isset(&err));
		} else {
			CHECK(err.exit_code == EX_CONFIG);
			CHECK(err.cls == ERR_PERMANENT);
			CHECK(strstr(err.msg, "tls_fingerprint") != NULL);
			CHECK(strstr(err.msg, fp_cases[i].msg) != NULL);
		}
		report_case("fp_cases", i, before);
	}
}

static void
test_fingerprint_format(void)
{
	struct tls_fingerprint fp;
	struct mf_error err;
	char text[TLS_FINGERPRINT_TEXT_SIZE];
	char small[6];

	err_clear(&err);
	CHECK(tls_fingerprint_parse(SHA256_TEXT, &fp, &err));
	tls_fingerprint_format(fp.md, fp.len, text, sizeof(text));
	CHECK_STR(text, SHA256_TEXT);
	CHECK(strlen(text) == TLS_FINGERPRINT_TEXT_SIZE - 1);

	/* Lower case in, upper case out. */
	CHECK(tls_fingerprint_parse(SHA1_TEXT, &fp, &err));
	tls_fingerprint_format(fp.md, fp.len, text, sizeof(text));
	CHECK_STR(text, "DE:AD:BE:EF:00:01:02:03:04:05:06:07:08:09:0A:0B:0C:"
			"0D:0E:0F");

	/* A short buffer gets whole bytes only, and is terminated. */
	tls_fingerprint_format(fp.md, fp.len, small, sizeof(small));
	CHECK_STR(small, "DE:AD");
	tls_fingerprint_format(fp.md, 0, small, sizeof(small));
	CHECK_STR(small, "");
}

static void
test_options_check(void)
{
	struct tls_options opts;
	struct mf_error err;

	memset(&opts, 0, sizeof(opts));
	opts.certcheck = true;
	opts.host = "mail.example.org";
	err_clear(&err);
	CHECK(tls_options_check(&opts, &err));

	opts.cert_file = "/nonexistent/cert.pem";
	CHECK(!tls_options_check(&opts, &err));
	CHECK(err.exit_code == EX_CONFIG);
	CHECK(strstr(err.msg, "tls_cert_file is set but tls_key_file is not") !=
	      NULL);

	opts.cert_file = NULL;
	opts.key_file = "/nonexistent/key.pem";
	err_clear(&err);
	CHECK(!tls_options_check(&opts, &err));
	CHECK(err.exit_code == EX_CONFIG);
	CHECK(strstr(err.msg, "tls_key_file is set but tls_cert_file is not") !=
	      NULL);

	/* Files are read by tls_stream_start, not here. */
	opts.cert_file = "/nonexistent/cert.pem";
	err_clear(&err);
	CHECK(tls_options_check(&opts, &err));
	opts.cert_file = opts.key_file = NULL;

	opts.priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	CHECK(tls_options_check(&opts, &err));
	opts.priorities = "NORMAL:+BOGUS";
	CHECK(!tls_options_check(&opts, &err));
	CHECK(err.exit_code == EX_CONFIG);
	CHECK(err.cls == ERR_PERMANENT);
	CHECK(strstr(err.msg, "tls_priorities") != NULL);
	CHECK(strstr(err.msg, "at character 8 ('+BOGUS')") != NULL);
	opts.priorities = NULL;

	opts.fingerprint = SHA256_TEXT;
	err_clear(&err);
	CHECK(tls_options_check(&opts, &err));
	opts.fingerprint = "AB:CD";
	CHECK(!tls_options_check(&opts, &err));
	CHECK(err.exit_code == EX_CONFIG);
}

int
main(void)
{
	test_fingerprint_parse();
	test_fingerprint_format();
	test_options_check();
	return check_done("tls_test");
}
