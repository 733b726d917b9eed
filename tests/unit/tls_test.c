/* tests/unit/tls_test.c: tls/ without a network — the fingerprint syntax
 * of tls_fingerprint (SHA-256, SHA-1 and MD5 lengths, either case,
 * malformed text refused with EX_CONFIG), its "AB:CD:..." printer, and
 * tls_options_check (client certificate and key set together, priority
 * strings checked with the position GnuTLS reports).
 *
 * Then real sessions over a socketpair: a GnuTLS server in a child
 * process with a certificate made here, and tls_stream_start as the
 * client pinning it. The server sends the channel binding of its end;
 * the client's (tls_stream_channel_binding) must be the same bytes:
 * tls-exporter on TLS 1.3 (RFC 9266), tls-unique on TLS 1.2 (RFC 5929),
 * and none on TLS 1.2 without the extended master secret (RFC 7627).
 * tls_stream_info must describe the certificate that was made.
 *
 * tls_resume_key (tls/resume.h): the key resumable sessions are kept
 * under changes with every verification option, and its length-prefixed
 * fields cannot run into each other. */
#include "config.h"

#include "check.h"

#include "tls/resume.h"
#include "tls/tls.h"
#include "util/error.h"
#include "util/stream.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

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

/* ------------------------------------------------------------------ */
/* sessions over a socketpair */

struct test_cert {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	char sha256[TLS_FINGERPRINT_TEXT_SIZE];
	char sha1[TLS_FINGERPRINT_TEXT_SIZE];
};

/* A self-signed ECDSA certificate for localhost, valid from an hour ago
 * for a day. */
static bool
make_cert(struct test_cert *c)
{
	static const char name[] = "localhost";
	static const unsigned char ip[4] = { 127, 0, 0, 1 };
	unsigned char md[TLS_FINGERPRINT_MAX];
	size_t md_len;
	time_t now = time(NULL);

	if (gnutls_x509_privkey_init(&c->key) < 0 ||
	    gnutls_x509_privkey_generate(
		    c->key, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_init(&c->crt) < 0 ||
	    gnutls_x509_crt_set_version(c->crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(c->crt, "\x01", 1) < 0 ||
	    gnutls_x509_crt_set_activation_time(c->crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(c->crt, now + 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(c->crt, GNUTLS_OID_X520_COMMON_NAME,
					  0, name, strlen(name)) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(c->crt, GNUTLS_SAN_DNSNAME,
						 name, strlen(name),
						 GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(c->crt, GNUTLS_SAN_IPADDRESS,
						 ip, sizeof(ip),
						 GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_key(c->crt, c->key) < 0 ||
	    gnutls_x509_crt_sign2(c->crt, c->crt, c->key, GNUTLS_DIG_SHA256,
				  0) < 0)
		return false;
	md_len = sizeof(md);
	if (gnutls_x509_crt_get_fingerprint(c->crt, GNUTLS_DIG_SHA256, md,
					    &md_len) < 0)
		return false;
	tls_fingerprint_format(md, md_len, c->sha256, sizeof(c->sha256));
	md_len = sizeof(md);
	if (gnutls_x509_crt_get_fingerprint(c->crt, GNUTLS_DIG_SHA1, md,
					    &md_len) < 0)
		return false;
	tls_fingerprint_format(md, md_len, c->sha1, sizeof(c->sha1));
	return true;
}

/* The child: one TLS session on fd, then its end's channel binding sent
 * as a record: the type ('e' tls-exporter, 'u' tls-unique, 'n' none),
 * the length, the bytes. Exits 0 when all that went out. */
static void
serve(int fd, const struct test_cert *c)
{
	gnutls_x509_crt_t crt = c->crt;
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	gnutls_datum_t cb = { NULL, 0 };
	unsigned char msg[2 + 255];
	int rc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_certificate_set_x509_key(cred, &crt, 1, c->key) < 0 ||
	    gnutls_init(&s, GNUTLS_SERVER) < 0 ||
	    gnutls_set_default_priority(s) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		_exit(2);
	gnutls_transport_set_int(s, fd);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		_exit(3);
	if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3)
		msg[0] = 'e';
	else if (gnutls_session_ext_master_secret_status(s))
		msg[0] = 'u';
	else
		msg[0] = 'n';
	msg[1] = 0;
	if (msg[0] != 'n') {
		if (gnutls_session_channel_binding(
			    s,
			    msg[0] == 'e' ? GNUTLS_CB_TLS_EXPORTER
					  : GNUTLS_CB_TLS_UNIQUE,
			    &cb) < 0 ||
		    cb.size > 255)
			_exit(4);
		msg[1] = (unsigned char)cb.size;
		memcpy(msg + 2, cb.data, cb.size);
		gnutls_free(cb.data);
	}
	if (gnutls_record_send(s, msg, 2u + msg[1]) < 0)
		_exit(5);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	_exit(0);
}

/* Read exactly len bytes from the client stream. */
static bool
read_all(struct stream *st, unsigned char *buf, size_t len)
{
	struct mf_error err;

	while (len > 0) {
		ssize_t n = st->read(st, buf, len, &err);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* One session: priorities for the client (NULL: the defaults); the
 * binding the client must report ("tls-exporter", "tls-unique", or NULL
 * for none), and the protocol. */
static void
session_case(const struct test_cert *c, const char *priorities,
	     const char *want_type, const char *want_protocol)
{
	int sv[2];
	pid_t pid;
	int status = 0;
	struct tls_options opts;
	struct stream *st = NULL;
	struct mf_error err;
	unsigned char msg[2 + 255];
	struct tls_channel_binding cb;
	struct tls_session_info info;
	bool have_cb;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		perror("socketpair");
		exit(99);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(99);
	}
	if (pid == 0) {
		close(sv[0]);
		serve(sv[1], c);
	}
	close(sv[1]);
	memset(&opts, 0, sizeof(opts));
	opts.host = "localhost";
	opts.certcheck = true;
	opts.timeout = 10;
	opts.fingerprint = c->sha256;
	opts.priorities = priorities;
	err_clear(&err);
	CHECK(tls_stream_start(sv[0], &opts, &st, &err));
	if (st == NULL) {
		fprintf(stderr, "  handshake: %s\n", err.msg);
		goto out;
	}
	CHECK(read_all(st, msg, 2) && read_all(st, msg + 2, msg[1]));

	err_clear(&err);
	have_cb = tls_stream_channel_binding(st, &cb, &err);
	CHECK(have_cb == (want_type != NULL));
	if (want_type && have_cb) {
		CHECK_STR(cb.type, want_type);
		CHECK(msg[0] == (strcmp(want_type, "tls-exporter") == 0
					 ? 'e'
					 : 'u'));
		/* The two ends of one session: the same bytes. */
		CHECK_MEM(cb.data, cb.len, msg + 2, (size_t)msg[1]);
		if (strcmp(want_type, "tls-exporter") == 0)
			CHECK(cb.len == 32); /* RFC 9266 2 */
	} else if (!have_cb) {
		CHECK(msg[0] == 'n');
		CHECK(err.exit_code == EX_UNAVAILABLE);
		CHECK(strstr(err.msg, "extended master secret") != NULL);
	}

	err_clear(&err);
	CHECK(tls_stream_info(st, &info, &err));
	CHECK_STR(info.protocol, want_protocol);
	CHECK(info.cipher[0] != '\0');
	CHECK(info.have_cert);
	CHECK_STR(info.subject, "CN=localhost");
	CHECK_STR(info.issuer, "CN=localhost");
	CHECK_STR(info.names, "localhost, 127.0.0.1");
	CHECK_STR(info.sha256, c->sha256);
	CHECK_STR(info.sha1, c->sha1);
	CHECK(strstr(info.not_before, " UTC") != NULL);
	CHECK(strcmp(info.not_before, info.not_after) < 0);
	CHECK(info.chain_len == 1);
	CHECK_STR(info.checked, "pinned (tls_fingerprint)");
out:
	if (st)
		st->close(st);
	close(sv[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "  server: status %d\n", status);
}

static void
test_sessions(void)
{
	struct test_cert c;

	/* As main() does: a peer that is gone is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	if (!make_cert(&c)) {
		fprintf(stderr, "tls_test: cannot make a certificate\n");
		exit(99);
	}
	session_case(&c, NULL, "tls-exporter", "TLS1.3");
	session_case(&c, "NORMAL:-VERS-ALL:+VERS-TLS1.3", "tls-exporter",
		     "TLS1.3");
	session_case(&c, "NORMAL:-VERS-ALL:+VERS-TLS1.2", "tls-unique",
		     "TLS1.2");
	session_case(&c, "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH",
		     NULL, "TLS1.2");
	gnutls_x509_crt_deinit(c.crt);
	gnutls_x509_privkey_deinit(c.key);
}

/* Options with every field of the resumption key set. */
static struct tls_options
resume_base(void)
{
	struct tls_options o;

	memset(&o, 0, sizeof(o));
	o.trust_file = "/etc/ca.pem";
	o.certcheck = true;
	o.host = "mail.example.test";
	o.timeout = 30;
	o.fingerprint = SHA256_TEXT;
	o.crl_file = "/etc/crl.pem";
	o.cert_file = "/etc/client.pem";
	o.key_file = "/etc/client-key.pem";
	o.priorities = "NORMAL";
	o.host_override = "smtp.example.test";
	o.min_dh_prime_bits = 2048;
	o.endpoint = "mail.example.test port 587 via :0";
	return o;
}

/* Whether a and b give the same key. */
static bool
same_key(const struct tls_options *a, const struct tls_options *b)
{
	char *ka = tls_resume_key(a), *kb = tls_resume_key(b);
	bool same;

	CHECK(ka != NULL && kb != NULL);
	same = ka && kb && strcmp(ka, kb) == 0;
	free(ka);
	free(kb);
	return same;
}

static void
test_resume_key(void)
{
	struct tls_options base = resume_base(), o;
	/* The same text at other addresses: the key is about values. */
	char *host = strdup(base.host), *prio = strdup(base.priorities);
	static const struct {
		const char *host, *host_override;
	} runs[][2] = {
		{ { "a", "b:c" }, { "a:b", "c" } },
		{ { "ab", "c" }, { "a", "bc" } },
		{ { "1:a", NULL }, { NULL, "1:a" } },
		{ { "", "3:abc" }, { "3:abc", "" } },
		{ { "a1", ":b" }, { "a", "1:b" } },
	};

	/* identical options, identical keys */
	o = resume_base();
	CHECK(same_key(&base, &o));
	o.host = host;
	o.priorities = prio;
	CHECK(same_key(&base, &o));
	/* the timeout is no verification option */
	o = resume_base();
	o.timeout = 5;
	CHECK(same_key(&base, &o));

	/* any one verification option changed: another key */
	o = resume_base();
	o.host = "mail2.example.test";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.host_override = "other.example.test";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.host_override = NULL;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.trust_file = "/etc/ca2.pem";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.trust_file = NULL;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.fingerprint = SHA1_TEXT;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.fingerprint = NULL;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.crl_file = "/etc/crl2.pem";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.crl_file = NULL;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.cert_file = "/etc/client2.pem";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.key_file = "/etc/client2-key.pem";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.cert_file = NULL;
	o.key_file = NULL;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.priorities = NULL;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.certcheck = false;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.min_dh_prime_bits = 1024;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.min_dh_prime_bits = 0;
	CHECK(!same_key(&base, &o));
	/* another endpoint: another port, a proxy, a socket */
	o = resume_base();
	o.endpoint = "mail.example.test port 465 via :0";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.endpoint = "mail.example.test port 587 via 127.0.0.1:1080";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.endpoint = "socket /run/smtp.sock";
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.endpoint = NULL;
	CHECK(!same_key(&base, &o));
	/* a value moved to another field is another key */
	o = resume_base();
	o.cert_file = base.key_file;
	o.key_file = base.cert_file;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.host = base.host_override;
	o.host_override = base.host;
	CHECK(!same_key(&base, &o));
	o = resume_base();
	o.crl_file = base.trust_file;
	o.trust_file = base.crl_file;
	CHECK(!same_key(&base, &o));

	/* NULL and "system" both mean the system store */
	o = resume_base();
	o.trust_file = NULL;
	base.trust_file = "system";
	CHECK(same_key(&base, &o));
	base = resume_base();

	/* fields cannot run into each other */
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		int before = check_failures;
		struct tls_options a = resume_base(), b = resume_base();

		a.host = runs[i][0].host;
		a.host_override = runs[i][0].host_override;
		b.host = runs[i][1].host;
		b.host_override = runs[i][1].host_override;
		CHECK(!same_key(&a, &b));
		report_case("runs", i, before);
	}
	free(host);
	free(prio);
}

int
main(void)
{
	test_fingerprint_parse();
	test_fingerprint_format();
	test_options_check();
	test_resume_key();
	test_sessions();
	return check_done("tls_test");
}
