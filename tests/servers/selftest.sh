#!/bin/bash
# selftest.sh - check the test-server infrastructure itself:
# smarthost (Postfix + Dovecot SASL + recording sink) and smtpd.py in
# scripted mode.  Prints "ok ..." lines; exits 0 on success.
#
#   tests/servers/selftest.sh [WORKDIR]
#
# WORKDIR (default: a fresh mktemp dir, removed afterwards when all passed)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=$(command -v python3) || { echo "selftest: no python3" >&2; exit 1; }
case $PYTHON in */shims/*) PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)') ;; esac

if [ $# -ge 1 ]; then
    W=$1
    mkdir -p "$W"
    KEEP=1
else
    W=$(mktemp -d "${TMPDIR:-/tmp}/mf-selftest.XXXXXX")
    KEEP=
fi
W=$(cd "$W" && pwd)
SH=$W/smarthost
T0=$(date +%s%N)

cleanup() {
    "$HERE/smarthost" stop "$SH" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "$HERE/smarthost" start "$SH"; then
    echo "FAIL: smarthost start" >&2
    exit 1
fi
echo "ok - smarthost started"

"$PYTHON" - "$SH/env" "$HERE" "$W" <<'PYEOF'
import base64, hashlib, hmac, os, shlex, smtplib, socket, ssl, subprocess
import sys, time

envfile, HERE, W = sys.argv[1:4]
env = {}
for line in open(envfile):
    line = line.strip()
    if line and not line.startswith("#"):
        k, _, v = line.partition("=")
        env[k] = shlex.split(v)[0] if v else ""
HOST = env["SMARTHOST_HOST"]
SUB = int(env["SMARTHOST_SUBMISSION_PORT"])
SMTPS = int(env["SMARTHOST_SMTPS_PORT"])
PLAIN = int(env["SMARTHOST_PLAIN_PORT"])
USER, PW = env["SMARTHOST_USER"], env["SMARTHOST_PASSWORD"]
USER2, PW2 = env["SMARTHOST_USER2"], env["SMARTHOST_PASSWORD2"]
CA, OTHER_CA = env["SMARTHOST_CA"], env["SMARTHOST_OTHER_CA"]
CERTS = env["TEST_CERT_DIR"]
SINK = env["SINK_DIR"]
SMTPD_PY = env["SMTPD_PY"]
WAIT_SINK = os.path.join(HERE, "wait-sink")
TIMEOUT = 10


class Fail(Exception):
    pass


T_LAST = time.monotonic()


def ok(msg):
    global T_LAST
    now = time.monotonic()
    print("ok - %s (%dms)" % (msg, (now - T_LAST) * 1000), flush=True)
    T_LAST = now


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def ctx_for(cafile):
    return ssl.create_default_context(cafile=cafile)


def wait_sink(d, n, timeout=10):
    r = subprocess.run([WAIT_SINK, d, str(n), str(timeout)])
    check(r.returncode == 0, "wait-sink %s %d failed" % (d, n))


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def rcpt_addrs(rcpt_bytes):
    out = []
    for line in rcpt_bytes.decode().splitlines():
        check(line.upper().startswith("RCPT TO:<"), "bad rcpt line %r" % line)
        out.append(line[9:line.index(">")])
    return out


def scram_auth(s, mech, user, pw):
    """SCRAM-SHA-1/-256 client (RFC 5802/7677) over smtplib."""
    hname = "sha256" if mech.upper().endswith("256") else "sha1"
    b64 = lambda b: base64.b64encode(b).decode()
    cnonce = b64(os.urandom(18))
    u = user.replace("=", "=3D").replace(",", "=2C")
    cfb = "n=%s,r=%s" % (u, cnonce)
    code, resp = s.docmd("AUTH", "%s %s" % (mech, b64(("n,," + cfb).encode())))
    check(code == 334, "%s: first reply %d %r" % (mech, code, resp))
    sfirst = base64.b64decode(resp).decode()
    attrs = dict(kv.split("=", 1) for kv in sfirst.split(","))
    nonce, salt, iters = attrs["r"], base64.b64decode(attrs["s"]), int(attrs["i"])
    check(nonce.startswith(cnonce), "%s: server nonce" % mech)
    salted = hashlib.pbkdf2_hmac(hname, pw.encode(), salt, iters)
    ckey = hmac.new(salted, b"Client Key", hname).digest()
    stored = hashlib.new(hname, ckey).digest()
    cfwp = "c=biws,r=" + nonce
    authmsg = ("%s,%s,%s" % (cfb, sfirst, cfwp)).encode()
    csig = hmac.new(stored, authmsg, hname).digest()
    proof = bytes(a ^ b for a, b in zip(ckey, csig))
    code, resp = s.docmd(b64((cfwp + ",p=" + b64(proof)).encode()))
    check(code == 334, "%s: final reply %d %r" % (mech, code, resp))
    sfinal = base64.b64decode(resp).decode()
    skey = hmac.new(salted, b"Server Key", hname).digest()
    want = "v=" + b64(hmac.new(skey, authmsg, hname).digest())
    check(sfinal == want, "%s: server signature mismatch" % mech)
    code, resp = s.docmd("")
    return code, resp


def submission(user=USER, pw=PW, cafile=CA):
    s = smtplib.SMTP(HOST, SUB, timeout=TIMEOUT)
    s.starttls(context=ctx_for(cafile))
    if user is not None:
        s.login(user, pw)
    return s


# ---------------------------------------------------------------- smarthost
msg = (b"From: Sender <sender@example.org>\r\n"
       b"To: To One <to@example.test>\r\n"
       b"Cc: cc@example.org\r\n"
       b"Subject: selftest\r\n"
       b"Message-ID: <selftest.1@example.org>\r\n"
       b"\r\n"
       b"line one\r\n"
       b".starts with a dot\r\n"
       b"..two dots\r\n"
       b"8bit: \xc3\xa9t\xc3\xa9\r\n")
s = submission()
s.ehlo()
mechs = s.esmtp_features.get("auth", "").upper().split()
ok("submission: STARTTLS verified against SMARTHOST_CA, AUTH PLAIN as %s" % USER)
refused = s.sendmail("sender@example.org", ["to@example.test", "cc@example.org"],
                     msg, mail_options=["BODY=8BITMIME"])
check(refused == {}, "refused: %r" % refused)
s.quit()
wait_sink(SINK, 1)
d = os.path.join(SINK, "0001")
mail = read(d, "mail").decode()
check(mail.startswith("MAIL FROM:<sender@example.org>"), "mail line %r" % mail)
check("BODY=8BITMIME" in mail, "BODY=8BITMIME missing: %r" % mail)
addrs = rcpt_addrs(read(d, "rcpt"))
check(sorted(addrs) == ["cc@example.org", "to@example.test"], "rcpt %r" % addrs)
m = read(d, "message")
check(m.startswith(b"Received: "), "message does not start with Received")
check(m.endswith(msg), "message body differs from what was sent")
check(b"(Authenticated sender: %s)" % USER.encode() in m, "no auth info in Received")
data = read(d, "data")
check(b"\r\n..starts with a dot\r\n...two dots\r\n" in data, "data not dot-stuffed")
ok("relayed to sink: mail=%r rcpt=%s, message byte-exact after Received" % (mail, sorted(addrs)))

ok("submission AUTH mechanisms: %s" % " ".join(mechs))
check("LOGIN" in mechs and "SCRAM-SHA-256" in mechs and "PLAIN" in mechs,
      "mechanisms %r" % mechs)

s = smtplib.SMTP(HOST, SUB, timeout=TIMEOUT)
s.starttls(context=ctx_for(CA))
s.ehlo()
code, resp = s.docmd("AUTH", "PLAIN " + base64.b64encode(
    b"\0" + USER.encode() + b"\0wrong-password").decode())
check(code == 535, "wrong password: %d %r" % (code, resp))
s.quit()
ok("wrong password refused with 535")

for mech in ("LOGIN", "PLAIN"):
    s = smtplib.SMTP(HOST, SUB, timeout=TIMEOUT)
    s.starttls(context=ctx_for(CA))
    s.ehlo()
    s.user, s.password = USER, PW
    code, _ = s.auth(mech, getattr(s, "auth_" + mech.lower()), initial_response_ok=(mech == "PLAIN"))
    check(code == 235, "%s failed" % mech)
    s.quit()
for mech in [m for m in ("SCRAM-SHA-1", "SCRAM-SHA-256") if m in mechs]:
    s = smtplib.SMTP(HOST, SUB, timeout=TIMEOUT)
    s.starttls(context=ctx_for(CA))
    s.ehlo()
    code, resp = scram_auth(s, mech, USER, PW)
    check(code == 235, "%s: %d %r" % (mech, code, resp))
    s.quit()
s = submission(USER2, PW2)
s.quit()
ok("AUTH LOGIN, PLAIN, %s work; second user with tricky password works"
   % ", ".join(m for m in mechs if m.startswith("SCRAM")))

s = smtplib.SMTP(HOST, SUB, timeout=TIMEOUT)
s.ehlo()
check(not s.has_extn("auth"), "AUTH offered before STARTTLS")
code, _ = s.mail("x@example.org")
check(code == 530, "MAIL before STARTTLS gave %d" % code)
s.close()
s = submission(user=None)
s.mail("x@example.org")
code, resp = s.rcpt("y@example.test")
check(code == 554 and b"5.7.1" in resp, "unauthenticated relay: %d %r" % (code, resp))
s.close()
ok("submission: no AUTH/MAIL before TLS (530), no relay without AUTH (554)")

s = smtplib.SMTP_SSL(HOST, SMTPS, timeout=TIMEOUT, context=ctx_for(CA))
s.login(USER, PW)
s.sendmail("smtps@example.org", ["r@example.test"], b"Subject: smtps\r\n\r\nvia 465\r\n")
s.quit()
wait_sink(SINK, 2)
check(rcpt_addrs(read(os.path.join(SINK, "0002"), "rcpt")) == ["r@example.test"], "smtps rcpt")
ok("SMTPS (implicit TLS) port: AUTH + relay to sink")

s = smtplib.SMTP(HOST, PLAIN, timeout=TIMEOUT)
s.sendmail("plain@example.org", ["p@example.test"], b"Subject: plain\r\n\r\nplain\r\n")
s.quit()
wait_sink(SINK, 3)
ok("plain port: relay without TLS/AUTH")

for port, implicit in ((SUB, False), (SMTPS, True)):
    try:
        if implicit:
            smtplib.SMTP_SSL(HOST, port, timeout=TIMEOUT, context=ctx_for(OTHER_CA))
        else:
            s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
            s.starttls(context=ctx_for(OTHER_CA))
        raise Fail("other-ca.pem trusted the server certificate")
    except ssl.SSLCertVerificationError as e:
        pass
ok("trusting other-ca.pem fails verification (submission and smtps)")

# ---------------------------------------------------------------- smtpd.py
servers = []


class Smtpd:
    def __init__(self, name, script=None, args=()):
        self.dir = os.path.join(W, name)
        os.makedirs(self.dir, exist_ok=True)
        self.rec = os.path.join(self.dir, "rec")
        portf = os.path.join(self.dir, "port")
        cmd = [sys.executable, SMTPD_PY, "--listen", "127.0.0.1", "--port", "0",
               "--port-file", portf, "--record", self.rec, "--lifetime", "120"]
        if script is not None:
            sp = os.path.join(self.dir, "script")
            with open(sp, "w") as f:
                f.write(script)
            cmd += ["--script", sp]
        cmd += list(args)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                  stdout=self.log, stderr=subprocess.STDOUT)
        servers.append(self)
        self.portf = portf

    def wait(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(self.portf):
                self.port = int(open(self.portf).read())
                return self
            check(self.p.poll() is None, "smtpd.py died: " +
                  open(os.path.join(self.dir, "log")).read())
            time.sleep(0.02)
        raise Fail("smtpd.py did not write its port file")

    def transcript(self):
        return read(self.rec, "transcript.log").decode("utf-8", "replace")

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.log.close()


def cert(name):
    return ["--tls-cert", os.path.join(CERTS, name + ".pem"),
            "--tls-key", os.path.join(CERTS, name + "-key.pem")]


try:
    rcpt4xx = Smtpd("rcpt4xx", "# 4xx for one address\n"
                    "on RCPT <later@example.test> reply 451 4.3.0 try again later\n")
    dropdata = Smtpd("dropdata", "on DATA drop\n")
    notls = Smtpd("notls", "ehlo-remove STARTTLS\n", cert("server"))
    inject = Smtpd("inject", "on STARTTLS reply 220 2.0.0 Ready to start TLS; "
                   "raw 250 injected\\r\\n\n", cert("server"))
    busy = Smtpd("busy", "on CONNECT session=1 reply 421 4.3.2 busy\n"
                 "on EHLO reply 250-localhost\\n250-PIPELINING\\n250 8BITMIME\n"
                 "on MAIL <stall@example.test> stall 3\n")
    expired = Smtpd("expired", None, cert("expired") + ["--implicit-tls"])
    wrong = Smtpd("wronghost", None, cert("wronghost"))
    auth = Smtpd("auth", "set auth-tls-only yes\n", cert("server") +
                 ["--auth-user", "u@example.test", "--auth-password", "pw"])
    for srv in servers:
        srv.wait()

    # 4xx on RCPT for one address only
    s = smtplib.SMTP(HOST, rcpt4xx.port, timeout=TIMEOUT)
    refused = s.sendmail("a@example.org", ["ok@example.test", "later@example.test"],
                         b"Subject: x\r\n\r\n.hidden\r\n")
    check(refused == {"later@example.test": (451, b"4.3.0 try again later")},
          "refused %r" % refused)
    s.quit()
    wait_sink(rcpt4xx.rec, 1, 5)
    d = os.path.join(rcpt4xx.rec, "0001")
    check(read(d, "rcpt") == b"rcpt TO:<ok@example.test>\n", "rcpt file %r" % read(d, "rcpt"))
    check(read(d, "data") == b"Subject: x\r\n\r\n..hidden\r\n", "data file")
    check(read(d, "message") == b"Subject: x\r\n\r\n.hidden\r\n", "message file")
    check(read(d, "tls") == b"no" and read(d, "helo").startswith(b"ehlo "), "tls/helo")
    check("S: 451 4.3.0 try again later" in rcpt4xx.transcript(), "transcript")
    ok("smtpd.py: 451 on RCPT for one address, record files right")

    # drop at DATA
    s = smtplib.SMTP(HOST, dropdata.port, timeout=TIMEOUT)
    try:
        s.sendmail("a@example.org", ["b@example.test"], b"x\r\n")
        raise Fail("no disconnect at DATA")
    except smtplib.SMTPServerDisconnected:
        pass
    check("S: <drop>" in dropdata.transcript(), "drop not in transcript")
    check(not os.path.exists(os.path.join(dropdata.rec, "0001")), "dropped DATA recorded")
    ok("smtpd.py: drop at DATA")

    # STARTTLS not advertised (and refused) although a certificate is loaded
    s = smtplib.SMTP(HOST, notls.port, timeout=TIMEOUT)
    s.ehlo()
    check(not s.has_extn("starttls"), "STARTTLS advertised")
    code, _ = s.docmd("STARTTLS")
    check(code == 502, "STARTTLS gave %d" % code)
    code, _ = s.docmd("NOOP " + "x" * 1100)
    check(code == 500, "long line gave %d" % code)
    s.quit()
    ok("smtpd.py: ehlo-remove STARTTLS (502 when tried), 500 for a too long line")

    # bytes injected after the STARTTLS reply; pipelined bytes discarded
    c = socket.create_connection((HOST, inject.port), timeout=TIMEOUT)
    buf = b""

    def until(token):
        global buf
        while token not in buf:
            chunk = c.recv(4096)
            check(chunk, "EOF waiting for %r" % token)
            buf += chunk
    until(b"220 localhost")
    c.sendall(b"EHLO selftest\r\n")
    until(b"250 STARTTLS\r\n")
    buf = b""
    c.sendall(b"STARTTLS\r\nNOOP\r\n")      # NOOP must be discarded
    until(b"250 injected\r\n")
    check(buf == b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n", "got %r" % buf)
    ctx = ctx_for(CA)
    t = ctx.wrap_socket(c, server_hostname="localhost")
    t.sendall(b"EHLO again\r\n")
    r = b""
    while b"\r\n250 " not in r:
        chunk = t.recv(4096)
        check(chunk, "EOF after TLS")
        r += chunk
    check(r.startswith(b"250-localhost") and b"STARTTLS" not in r, "EHLO after TLS %r" % r)
    t.sendall(b"QUIT\r\n")
    t.close()
    tr = inject.transcript()
    check("<raw 14 bytes: 250 injected\\r\\n>" in tr, "raw not in transcript")
    check("discarded 6 bytes pipelined after STARTTLS" in tr, "pipelined NOOP not discarded")
    check("<TLS established TLSv1.3" in tr and "sni=localhost" in tr, "TLS line")
    ok("smtpd.py: bytes injected after '220 Ready to start TLS', pipelined NOOP discarded")

    # session= rule, multi-line scripted EHLO, stall
    try:
        smtplib.SMTP(HOST, busy.port, timeout=TIMEOUT)
        raise Fail("no 421 for session 1")
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected) as e:
        pass
    s = smtplib.SMTP(HOST, busy.port, timeout=1)
    s.ehlo()
    check(s.esmtp_features == {"pipelining": "", "8bitmime": ""}, "%r" % s.esmtp_features)
    try:
        s.mail("stall@example.test")
        raise Fail("stall answered")
    except (socket.timeout, TimeoutError, smtplib.SMTPServerDisconnected) as e:
        check("timed out" in str(e), "stall: %r" % e)
    s.close()
    ok("smtpd.py: 421 greeting for session 1 only, scripted multi-line EHLO, stall")

    # certificates for client verification tests
    try:
        smtplib.SMTP_SSL(HOST, expired.port, timeout=TIMEOUT, context=ctx_for(CA))
        raise Fail("expired certificate accepted")
    except ssl.SSLCertVerificationError as e:
        check("expired" in str(e), str(e))
    s = smtplib.SMTP(HOST, wrong.port, timeout=TIMEOUT)
    try:
        s.starttls(context=ctx_for(CA))
        raise Fail("wrong-host certificate accepted")
    except ssl.SSLCertVerificationError as e:
        check("mismatch" in str(e).lower(), str(e))
    ok("smtpd.py: expired cert (implicit TLS) and wrong-host cert (STARTTLS) rejected by a verifying client")

    # smtpd.py AUTH, only after TLS
    s = smtplib.SMTP(HOST, auth.port, timeout=TIMEOUT)
    s.ehlo()
    check(not s.has_extn("auth"), "AUTH before TLS")
    s.starttls(context=ctx_for(CA))
    s.ehlo()
    check(s.esmtp_features.get("auth", "").strip() == "PLAIN LOGIN", "%r" % s.esmtp_features)
    try:
        s.login("u@example.test", "bad")
        raise Fail("bad password accepted")
    except smtplib.SMTPAuthenticationError as e:
        check(e.smtp_code == 535, "%r" % e)
    s.login("u@example.test", "pw")
    s.sendmail("a@example.org", ["b@example.test"], b"x\r\n")
    s.quit()
    wait_sink(auth.rec, 1, 5)
    d = os.path.join(auth.rec, "0001")
    check(read(d, "auth") == b"u@example.test" and read(d, "tls") == b"yes"
          and read(d, "sni") == b"", "auth/tls/sni files")  # no SNI for an IP
    ok("smtpd.py: AUTH after STARTTLS, 535 for a bad password, auth/tls/sni recorded")
finally:
    for srv in servers:
        srv.stop()
PYEOF
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: selftest (rc $rc); work dir $W" >&2
    "$HERE/smarthost" stop "$SH" >/dev/null 2>&1
    trap - EXIT
    exit 1
fi

pids=
for f in "$SH"/run/postfix-queue/pid/master.pid "$SH"/run/dovecot/master.pid \
         "$SH"/sink.pid; do
    [ -r "$f" ] && pids="$pids $(awk '{ print $1; exit }' "$f")"
done
t=$(date +%s%N)
if ! "$HERE/smarthost" stop "$SH"; then
    echo "FAIL: smarthost stop" >&2
    exit 1
fi
stop_ms=$((($(date +%s%N) - t) / 1000000))
trap - EXIT
for p in $pids; do
    # a zombie waiting for PID 1 to reap it counts as gone
    if [ -r "/proc/$p/stat" ] && ! grep -q ') Z ' "/proc/$p/stat"; then
        echo "FAIL: process $p still running after stop" >&2
        exit 1
    fi
done
[ "$(echo "$pids" | wc -w)" -eq 3 ] || { echo "FAIL: pid files missing" >&2; exit 1; }
echo "ok - smarthost stopped in ${stop_ms}ms, nothing left running"
[ -n "$KEEP" ] || rm -rf "$W"
echo "ok - selftest passed in $((($(date +%s%N) - T0) / 1000000))ms"
