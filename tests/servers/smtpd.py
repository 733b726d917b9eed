#!/usr/bin/env python3
"""smtpd.py - scriptable SMTP test server and recording sink for mailferry tests.

Python 3 standard library only.  Runs in the foreground (the caller puts it in
the background), one thread per session, and exits cleanly on SIGTERM/SIGINT.

Usage
-----
  smtpd.py --listen 127.0.0.1 --port 0 --port-file FILE --record DIR
           [--script FILE] [--tls-cert CERT --tls-key KEY] [--implicit-tls]
           [--auth-user U --auth-password P [--auth-mechs "PLAIN LOGIN"]]
           [--pid-file FILE] [--max-sessions N] [--lifetime SECONDS]
           [--hostname NAME] [--idle-timeout SECONDS]
           [--unix-socket PATH]
           [--tls-client-ca CA [--tls-require-client-cert]]
           [--tls-curve NAME] [--lmtp]

Only loopback listen addresses are accepted.  --port 0 picks a free port; the
port is written to --port-file (temp file + rename) once the server listens.
--max-sessions N: stop accepting after N sessions, exit once they are over.
--lifetime S: exit after S seconds whatever happens (0 = no limit).
--unix-socket PATH: listen on this UNIX-domain socket instead of TCP
(--listen/--port are then ignored; a stale socket file is replaced, and
removed at exit); the port file then holds the path.
--tls-client-ca CA: ask TLS clients for a certificate and verify it against
the PEM file CA; --tls-require-client-cert refuses the handshake without
one.  The certificate's subject is recorded (client_cert) and logged as
"S: <TLS client certificate SUBJECT>" or "S: <TLS no client certificate>".
--tls-curve NAME: offer only this key exchange group (an OpenSSL curve
name such as prime256v1 or secp384r1; SSLContext.set_ecdh_curve, which on
OpenSSL 3 restricts the TLS 1.3 groups too), so a client whose only key
share is for another group (X25519) gets a HelloRetryRequest, and one
that does not offer the group at all fails the handshake.  A handshake in
which the server sent a HelloRetryRequest (the client's key shares did not
fit; the client sent a second ClientHello) logs "S: <TLS HelloRetryRequest>"
just before its "<TLS established ...>" line (on Pythons whose ssl module
has the SSLContext._msg_callback hook; CPython 3.8 and later).
TLS sessions can be resumed (OpenSSL's default TLS 1.3 tickets; one
context for the whole server run, so a ticket from one session is good
for the next).

Recording (--record DIR)
------------------------
Every accepted transaction (2xx reply to the final ".") becomes DIR/NNNN/
(0001, 0002, ...; built in DIR/.tmp-NNNN and renamed, and written BEFORE the
2xx reply is sent, so a client that saw the 250 can read it at once):
  mail     MAIL FROM command line as received (no CRLF)
  rcpt     each RCPT TO line that got a 2xx reply, LF-terminated
  data     raw DATA bytes as on the wire (dot-stuffed, CRLF kept), without
           the terminating ".\r\n"
  message  same with dot-stuffing undone (RFC 5321 4.5.2: the leading "." of
           every line that starts with "." is removed)
  helo     last EHLO/HELO (LMTP: LHLO) command line
  tls      "yes" or "no"
  resumed  "yes" (the TLS session was resumed) or "no" (full handshake,
           or no TLS)
  auth     authenticated user name, or empty
  sni      TLS server name sent by the client (empty if none / no TLS)
  client_cert  subject of the client's TLS certificate, "CN=...,O=..."
           (empty if none / no TLS / no --tls-client-ca)
  session  session number (matches "--- session N" in the transcript)
DIR/transcript.log gets "C: <line>" / "S: <line>" for every line of every
session, written before the reply is sent.  DATA content is logged as
"C: <DATA n bytes>".  Pseudo lines in angle brackets report events:
"C: <EOF>", "S: <close>", "S: <drop>", "S: <reset>", "S: <stall Ns>",
"S: <raw N bytes: ...>", "S: <TLS established TLSv1.3 CIPHER sni=NAME>"
(with " resumed" before the ">" when the client resumed an earlier session,
e.g. "S: <TLS established TLSv1.3 TLS_AES_256_GCM_SHA384 sni=localhost
resumed>" on one line),
"S: <TLS HelloRetryRequest>" (see --tls-curve),
"S: <TLS handshake failed: ...>", "S: <timeout>".  A "--- session N" line
starts each session and is repeated whenever lines of another session were
written in between (concurrent sessions).

Default behaviour
-----------------
Greeting "220 localhost ESMTP test"; EHLO advertises PIPELINING, SIZE 10240000,
8BITMIME, ENHANCEDSTATUSCODES, STARTTLS (cert given and not yet TLS), AUTH
(only with --auth-user/--auth-password).  HELO, MAIL, RCPT, DATA, RSET, NOOP,
VRFY, HELP, QUIT, STARTTLS, AUTH PLAIN/LOGIN/CRAM-MD5/XOAUTH2/OAUTHBEARER,
and SCRAM-SHA-1/SCRAM-SHA-256 (RFC 5802, 7677) with their -PLUS variants:
the channel binding is tls-unique (Python's ssl has no tls-exporter), so
-PLUS mechanisms in --auth-mechs are only advertised on TLS 1.2 sessions,
and the transcript says "S: <SCRAM channel binding tls-unique verified>"
when the client's matched.  MAIL needs EHLO/HELO
first; after STARTTLS the EHLO/AUTH/transaction state is discarded, and so are
bytes the client pipelined after STARTTLS.  Command lines longer than 1000
octets (CRLF included; 12288 for AUTH lines) get "500 5.5.2 Line too long".
Any 421 reply (default or scripted) closes the connection after it is sent.

LMTP mode (--lmtp)
------------------
An LMTP server (RFC 2033): greeting "220 localhost LMTP test"; LHLO is
answered as EHLO is (stage LHLO, same keywords); EHLO and HELO get
"500 5.5.1 Error: this is an LMTP server, use LHLO" (stages EHLO, HELO).
After the final "." of DATA the server answers once per recipient that got
a 2xx to RCPT, in RCPT order, each through the stage DATA-RCPT (DATA_RCPT
is the same) with the recipient's address as <GLOB>; the default is
"250 2.0.0 <ADDR> Ok: queued as NNNN" (552 5.3.4 over the size limit).
DATA-END is not used.  Every recipient's 2xx records its own transaction
(DIR/NNNN/ with rcpt holding that one RCPT line), written before that
reply is sent; a recipient that gets no 2xx records nothing.  Without
--lmtp, LHLO is an unknown command (502).

Script (--script FILE)
----------------------
Line based; blank lines and lines starting with "#" are ignored.  The file is
re-read at the start of each session when it changed, so a running server can
be re-scripted.  Directives:

  ehlo-remove KEYWORD          do not advertise KEYWORD (STARTTLS, AUTH,
                               PIPELINING, SIZE, ...); a removed STARTTLS or
                               AUTH is also refused (502) when used anyway
  ehlo-add KEYWORD [PARAMS]    advertise KEYWORD (replaces one of that name)
  set NAME VALUE               settings:
      size N                  SIZE limit (0: not advertised, not enforced)
      max-rcpt N              452 4.5.3 after N recipients (0 = unlimited)
      max-stall SECONDS       upper bound for stall/sleep (default 120)
      auth-tls-only yes|no    AUTH only after TLS (538 5.7.11 before)
      require-tls yes|no      MAIL before TLS -> 530 5.7.0
      require-auth yes|no     MAIL before AUTH -> 530 5.7.0
      smtputf8-strict yes|no  RFC 6531 checks: a non-ASCII MAIL/RCPT
                              address without SMTPUTF8 on MAIL -> 553
                              5.6.7; SMTPUTF8 on MAIL when not advertised
                              -> 555 5.5.4
      hostname NAME           name in greeting and EHLO reply
  on STAGE [<GLOB>] [session=N] [times=N] ACTION [; ACTION ...]

STAGE is CONNECT (greeting), EHLO, HELO, STARTTLS, AUTH (the AUTH command),
AUTH-END (after the credentials were read), MAIL, RCPT, DATA (the command),
DATA-END (after the final "."), DATA-RCPT (LMTP: one recipient's reply after
the final "."), RSET, NOOP, QUIT, or any other command verb (e.g. BDAT, VRFY,
LHLO); "_" in a stage name stands for "-".  <GLOB> (fnmatch,
case-insensitive) restricts the rule to MAIL/RCPT/DATA-RCPT addresses, the
EHLO/HELO/LHLO name, the AUTH mechanism or the AUTH-END user name, e.g.
<bad@example.test> or <*@bad.test>.  session=N restricts it to
the N-th session since server start, times=N lets it fire at most N times.
The first matching rule wins.  Actions, run in order:

  reply TEXT     send TEXT + CRLF instead of the default reply; "\\n" in TEXT
                 separates lines of a multi-line reply (each gets CRLF)
  raw TEXT       send exactly these bytes (no CRLF added)
  default        send the default reply (and do its side effects)
  sleep SECONDS  wait, then go on
  drop           close the connection without (further) reply
  reset          close with a TCP RST
  stall [SECS]   read and discard input, never answer; close after SECS
                 (default and upper bound: max-stall)

Escapes in TEXT: \\r \\n \\t \\\\ \\; \\xHH.  Actions are separated by ";".
If a rule has none of reply/raw/default/drop/reset/stall, "default" is
appended.  What happens next follows the code of the last reply/default (or
the first three digits of a raw): 2xx to MAIL/RCPT/EHLO/HELO/AUTH makes the
command succeed, 354 to DATA starts the data phase, 2xx to STARTTLS starts
the TLS handshake after all actions ran, 2xx to DATA-END records the
transaction, 421 closes the connection.

Examples:
  ehlo-remove STARTTLS
  on RCPT <bad@example.test> reply 550 5.1.1 no such user
  on RCPT <slow@example.test> reply 451 4.3.0 try again later
  on DATA-END reply 451 4.3.0 try later
  on MAIL drop
  on CONNECT session=1 reply 421 4.3.2 busy, come back later
  on EHLO reply 250-localhost\\n250-PIPELINING\\n250 8BITMIME
  on STARTTLS reply 220 2.0.0 Ready to start TLS; raw 250 injected\\r\\n
  on QUIT stall 5
  on DATA-RCPT <full@example.test> times=1 reply 452 4.2.2 mailbox full
"""

import argparse
import base64
import fnmatch
import hashlib
import hmac
import ipaddress
import os
import re
import signal
import socket
import ssl
import stat
import sys
import threading
import time

CMD_LIMIT = 1000          # octets including CRLF
AUTH_LIMIT = 12288        # RFC 4954
DATA_TOTAL_LIMIT = 64 * 1024 * 1024
HANDLING = {"reply", "raw", "default", "drop", "reset", "stall"}


class ScriptError(Exception):
    pass


class Closed(Exception):
    """The session is over (client gone, dropped, 421, ...)."""


class Replied(Exception):
    """Raised by a default handler that already sent its reply itself."""

    def __init__(self, code):
        Exception.__init__(self)
        self.code = code


def unescape(text):
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            d = text[i + 1]
            simple = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\",
                      ";": b";", "s": b" ", "0": b"\0"}
            if d in simple:
                out += simple[d]
                i += 2
                continue
            if d == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 2:i + 4]):
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
            raise ScriptError("bad escape \\%s" % d)
        out += c.encode("utf-8")
        i += 1
    return bytes(out)


def split_actions(text):
    parts, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c == ";":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def yesno(value):
    v = value.lower()
    if v in ("yes", "true", "1", "on"):
        return True
    if v in ("no", "false", "0", "off"):
        return False
    raise ScriptError("expected yes or no, got %r" % value)


class Rule:
    def __init__(self, stage, pattern, session, times, actions, lineno):
        self.stage = stage
        self.pattern = pattern
        self.session = session
        self.times = times
        self.actions = actions
        self.lineno = lineno
        self.fired = 0


class Script:
    SETTINGS = {"size": int, "max-rcpt": int, "max-stall": float,
                "auth-tls-only": yesno, "require-tls": yesno,
                "require-auth": yesno, "hostname": str,
                "smtputf8-strict": yesno}

    def __init__(self):
        self.rules = []
        self.ehlo_remove = set()
        self.ehlo_add = []
        self.settings = {}
        self.lock = threading.Lock()

    @classmethod
    def parse(cls, text, name="script"):
        s = cls()
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                s._parse_line(line, lineno)
            except ScriptError as e:
                raise ScriptError("%s:%d: %s" % (name, lineno, e))
            except ValueError as e:
                raise ScriptError("%s:%d: %s" % (name, lineno, e))
        return s

    def _parse_line(self, line, lineno):
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        word = word.lower()
        if word == "ehlo-remove":
            if not rest:
                raise ScriptError("ehlo-remove needs a keyword")
            for kw in rest.split():
                self.ehlo_remove.add(kw.upper())
        elif word == "ehlo-add":
            if not rest:
                raise ScriptError("ehlo-add needs a keyword")
            self.ehlo_add.append(rest)
        elif word == "set":
            key, _, value = rest.partition(" ")
            key = key.lower()
            if key not in self.SETTINGS:
                raise ScriptError("unknown setting %r" % key)
            self.settings[key] = self.SETTINGS[key](value.strip())
        elif word == "on":
            self._parse_rule(rest, lineno)
        else:
            raise ScriptError("unknown directive %r" % word)

    def _parse_rule(self, rest, lineno):
        stage, _, rest = rest.partition(" ")
        stage = stage.upper().replace("_", "-")
        if not re.fullmatch(r"[A-Z][A-Z0-9-]*", stage):
            raise ScriptError("bad stage %r" % stage)
        rest = rest.strip()
        pattern = session = times = None
        while True:
            m = re.match(r"(<[^>]*>|session=\d+|times=\d+)(\s+|$)", rest)
            if not m:
                break
            tok = m.group(1)
            if tok.startswith("<"):
                pattern = tok[1:-1]
            elif tok.startswith("session="):
                session = int(tok[8:])
            else:
                times = int(tok[6:])
            rest = rest[m.end():]
        actions = []
        for part in split_actions(rest):
            name, _, arg = part.partition(" ")
            name = name.lower()
            arg = arg.strip()
            if name in ("reply", "raw"):
                if not arg:
                    raise ScriptError("%s needs text" % name)
                data = unescape(arg)
                if name == "reply" and not re.match(rb"\d{3}", data):
                    raise ScriptError("reply must start with a 3-digit code")
                actions.append((name, data))
            elif name in ("default", "drop", "reset"):
                if arg:
                    raise ScriptError("%s takes no argument" % name)
                actions.append((name, None))
            elif name == "sleep":
                actions.append((name, float(arg)))
            elif name == "stall":
                actions.append((name, float(arg) if arg else None))
            elif name == "close":
                actions.append(("drop", None))
            else:
                raise ScriptError("unknown action %r" % name)
        if not actions:
            raise ScriptError("rule without action")
        if not any(a[0] in HANDLING for a in actions):
            actions.append(("default", None))
        self.rules.append(Rule(stage, pattern, session, times, actions, lineno))

    def match(self, stage, session_no, arg):
        with self.lock:
            for r in self.rules:
                if r.stage != stage:
                    continue
                if r.session is not None and r.session != session_no:
                    continue
                if r.times is not None and r.fired >= r.times:
                    continue
                if r.pattern is not None:
                    if arg is None or not fnmatch.fnmatchcase(
                            arg.lower(), r.pattern.lower()):
                        continue
                r.fired += 1
                return r
        return None


class Server:
    def __init__(self, args):
        self.args = args
        self.record_dir = os.path.abspath(args.record)
        os.makedirs(self.record_dir, exist_ok=True)
        self.transcript_path = os.path.join(self.record_dir, "transcript.log")
        self.log_lock = threading.Lock()
        self.last_logged = None
        self.seq_lock = threading.Lock()
        self.seq = self._scan_seq()
        self.session_lock = threading.Lock()
        self.session_count = 0
        self.active = {}
        self.stop = threading.Event()
        self.script = Script()
        self.script_stamp = None
        self.tls_ctx = None
        if args.tls_cert:
            self.tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_ctx.load_cert_chain(args.tls_cert, args.tls_key)
            self.tls_ctx.sni_callback = self._sni_cb
            if args.tls_curve:
                # On OpenSSL 3 this limits the TLS 1.3 groups as well.
                self.tls_ctx.set_ecdh_curve(args.tls_curve)
            if args.tls_client_ca:
                self.tls_ctx.load_verify_locations(args.tls_client_ca)
                self.tls_ctx.verify_mode = (
                    ssl.CERT_REQUIRED if args.tls_require_client_cert
                    else ssl.CERT_OPTIONAL)
        self.sni_local = threading.local()
        if (self.tls_ctx and hasattr(self.tls_ctx, "_msg_callback") and
                hasattr(ssl, "_TLSMessageType")):
            # (CPython's message hook, undocumented: without it the
            # HelloRetryRequest line is simply not written)
            self.tls_ctx._msg_callback = self._tls_msg_cb
        if args.script:
            self.load_script(initial=True)

    # -- helpers ---------------------------------------------------------
    def _sni_cb(self, sslobj, name, ctx):
        self.sni_local.name = name
        return None

    def _tls_msg_cb(self, conn, direction, version, content_type, msg_type,
                    data):
        # Count the ClientHellos of a handshake: a second one answers a
        # HelloRetryRequest (RFC 8446 4.1.4).
        if (direction == "read" and
                content_type == ssl._TLSContentType.HANDSHAKE and
                msg_type == ssl._TLSMessageType.CLIENT_HELLO):
            self.sni_local.hellos = getattr(self.sni_local, "hellos", 0) + 1

    def _scan_seq(self):
        best = 0
        for n in os.listdir(self.record_dir):
            m = re.fullmatch(r"(?:\.tmp-)?(\d+)", n)
            if m:
                best = max(best, int(m.group(1)))
        return best

    def next_seq(self):
        with self.seq_lock:
            self.seq += 1
            return self.seq

    def load_script(self, initial=False):
        path = self.args.script
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            if stamp == self.script_stamp:
                return True
            with open(path, encoding="utf-8") as f:
                text = f.read()
            script = Script.parse(text, path)
        except (OSError, ScriptError) as e:
            if initial:
                raise
            sys.stderr.write("smtpd.py: script reload failed: %s\n" % e)
            return False
        self.script = script
        self.script_stamp = stamp
        return True

    def setting(self, name, default):
        return self.script.settings.get(name, default)

    def log(self, session_no, who, data):
        """Append one transcript line (bytes without EOL)."""
        with self.log_lock:
            with open(self.transcript_path, "ab") as f:
                if self.last_logged != session_no:
                    f.write(b"--- session %d\n" % session_no)
                    self.last_logged = session_no
                f.write(who.encode() + b": " + data + b"\n")

    # -- main loop -------------------------------------------------------
    def serve(self):
        a = self.args
        try:
            addr = ipaddress.ip_address(a.listen)
        except ValueError:
            sys.exit("smtpd.py: --listen needs a numeric loopback address")
        if not addr.is_loopback:
            sys.exit("smtpd.py: refusing to listen on non-loopback %s" % a.listen)
        if a.unix_socket:
            lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                if stat.S_ISSOCK(os.lstat(a.unix_socket).st_mode):
                    os.unlink(a.unix_socket)  # a stale socket only
            except FileNotFoundError:
                pass
            lsock.bind(a.unix_socket)
            port = a.unix_socket
        else:
            fam = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
            lsock = socket.socket(fam, socket.SOCK_STREAM)
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind((a.listen, a.port))
            port = lsock.getsockname()[1]
        lsock.listen(64)
        lsock.settimeout(0.2)
        if a.pid_file:
            atomic_write(a.pid_file, "%d\n" % os.getpid())
        if a.port_file:
            atomic_write(a.port_file, "%s\n" % port)
        deadline = time.monotonic() + a.lifetime if a.lifetime > 0 else None
        started = 0
        threads = []
        while not self.stop.is_set():
            if deadline and time.monotonic() > deadline:
                break
            if a.max_sessions and started >= a.max_sessions:
                threads = [t for t in threads if t.is_alive()]
                if not threads:
                    break
                time.sleep(0.05)
                continue
            try:
                conn, peer = lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stop.is_set():
                    break
                raise
            started += 1
            with self.session_lock:
                self.session_count += 1
                number = self.session_count
            t = threading.Thread(target=self.run_session,
                                 args=(conn, peer, number), daemon=True)
            threads.append(t)
            t.start()
        lsock.close()
        if a.unix_socket:
            try:
                os.unlink(a.unix_socket)
            except OSError:
                pass
        with self.session_lock:
            socks = list(self.active.values())
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in threads:
            t.join(2)
        if a.pid_file:
            try:
                os.unlink(a.pid_file)
            except OSError:
                pass

    def run_session(self, conn, peer, number):
        if self.args.script:
            self.load_script()
        with self.session_lock:
            self.active[number] = conn
        s = Session(self, conn, number)
        try:
            s.run()
        except Closed:
            pass
        except Exception as e:  # keep the server alive whatever happens
            sys.stderr.write("smtpd.py: session %d: %r\n" % (number, e))
            try:
                self.log(number, "S", b"<internal error: %s>" % repr(e).encode())
            except OSError:
                pass
        finally:
            try:
                s.sock.close()
            except OSError:
                pass
            with self.session_lock:
                self.active.pop(number, None)

    def record(self, sess, raw, rcpts=None):
        """rcpts: the RCPT lines to record (default: all accepted)."""
        if rcpts is None:
            rcpts = sess.rcpts
        seq = self.next_seq()
        name = "%04d" % seq
        tmp = os.path.join(self.record_dir, ".tmp-" + name)
        os.mkdir(tmp)
        lines = raw.split(b"\n")
        unstuffed = b"\n".join(l[1:] if l.startswith(b".") else l for l in lines)
        files = {
            "mail": sess.mail_line,
            "rcpt": b"".join(r + b"\n" for r in rcpts),
            "data": bytes(raw),
            "message": unstuffed,
            "helo": sess.helo_line or b"",
            "tls": b"yes" if sess.tls else b"no",
            "resumed": b"yes" if sess.tls_resumed else b"no",
            "auth": (sess.auth_user or "").encode(),
            "sni": (sess.sni or "").encode(),
            "client_cert": (sess.client_cert or "").encode(),
            "session": b"%d" % sess.number,
        }
        for fn, content in files.items():
            with open(os.path.join(tmp, fn), "wb") as f:
                f.write(content)
        os.rename(tmp, os.path.join(self.record_dir, name))
        return name


def client_subject(cert):
    """The subject of a peer certificate from getpeercert() as
    "CN=x,O=y", or None."""
    if not cert:
        return None
    short = {"commonName": "CN", "organizationName": "O",
             "organizationalUnitName": "OU", "countryName": "C"}
    parts = []
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            parts.append("%s=%s" % (short.get(key, key), value))
    return ",".join(parts) or None


def atomic_write(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def printable(data, limit=200):
    out = []
    for b in data[:limit]:
        c = chr(b)
        if c == "\r":
            out.append("\\r")
        elif c == "\n":
            out.append("\\n")
        elif c == "\\":
            out.append("\\\\")
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    if len(data) > limit:
        out.append("...")
    return "".join(out).encode()


class Session:
    def __init__(self, server, sock, number):
        self.server = server
        self.sock = sock
        self.number = number
        self.buf = bytearray()
        self.tls = False
        self.tls_resumed = False
        self.sni = None
        self.client_cert = None
        self.no_service = False
        self.helo_line = None
        self.reset_smtp_state()
        self.hostname = server.setting("hostname", server.args.hostname)

    # -- state -------------------------------------------------------------
    def reset_smtp_state(self):
        self.ehlo_done = False
        self.auth_user = None
        self.authenticated = False
        self.reset_txn()

    def reset_txn(self):
        self.mail_line = None
        self.rcpts = []

    # -- I/O ---------------------------------------------------------------
    def log(self, who, data):
        self.server.log(self.number, who, data)

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (OSError, ssl.SSLError) as e:
            self.log("S", b"<send failed: %s>" % str(e).encode())
            raise Closed()

    def reply(self, text):
        if isinstance(text, str):
            text = text.encode("utf-8")
        lines = text.split(b"\n")
        out = bytearray()
        for l in lines:
            l = l.rstrip(b"\r")
            self.log("S", l)
            out += l + b"\r\n"
        self.send(bytes(out))

    def raw(self, data):
        self.log("S", b"<raw %d bytes: %s>" % (len(data), printable(data, 400)))
        self.send(data)

    def close(self, how="close"):
        self.log("S", b"<%s>" % how.encode())
        if how == "reset":
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
        else:
            try:
                if isinstance(self.sock, ssl.SSLSocket):
                    # send close_notify, do not wait for the peer's
                    self.sock.setblocking(False)
                    self.sock.unwrap()
            except (OSError, ssl.SSLError, ValueError):
                pass
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise Closed()

    def fill(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            self.log("S", b"<timeout>")
            try:
                self.reply("421 4.4.2 %s Error: timeout exceeded" % self.hostname)
            except Closed:
                pass
            self.close()
        except (OSError, ssl.SSLError) as e:
            self.log("C", b"<connection error: %s>" % str(e).encode())
            raise Closed()
        if not data:
            self.log("C", b"<EOF>")
            raise Closed()
        self.buf += data

    def readline(self, limit):
        """Return (line without EOL, too_long, bare_lf)."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                break
            if len(self.buf) > limit:
                # discard until end of line
                size = len(self.buf)
                self.buf.clear()
                while True:
                    self.fill()
                    i = self.buf.find(b"\n")
                    if i >= 0:
                        size += i + 1
                        del self.buf[:i + 1]
                        return None, size, False
                    size += len(self.buf)
                    self.buf.clear()
            self.fill()
        if len(line) > limit:
            return None, len(line), False
        if line.endswith(b"\r\n"):
            return line[:-2], 0, False
        return line[:-1], 0, True

    def read_command(self):
        line, too_long, bare = self.readline(AUTH_LIMIT)
        if line is not None and len(line) + 2 > CMD_LIMIT and \
                not line[:5].upper() == b"AUTH ":
            too_long = len(line) + 2
            line = None
        if line is None:
            self.log("C", b"<line too long: %d bytes>" % too_long)
            self.reply("500 5.5.2 Line too long")
            return None
        self.log("C", line + (b" <bare LF>" if bare else b""))
        return line

    def read_data(self):
        raw = bytearray()
        total = 0
        prev_crlf = True
        while True:
            while True:
                i = self.buf.find(b"\n")
                if i >= 0:
                    break
                if len(self.buf) > DATA_TOTAL_LIMIT:
                    self.log("C", b"<DATA line too long>")
                    self.reply("552 5.3.4 Message too big")
                    self.close()
                self.fill()
            line = bytes(self.buf[:i + 1])
            del self.buf[:i + 1]
            if line == b".\r\n" and prev_crlf:
                break
            total += len(line)
            if total > DATA_TOTAL_LIMIT:
                self.log("C", b"<DATA over %d bytes>" % DATA_TOTAL_LIMIT)
                self.reply("552 5.3.4 Message too big")
                self.close()
            raw += line
            prev_crlf = line.endswith(b"\r\n")
        self.log("C", b"<DATA %d bytes>" % len(raw))
        return raw

    # -- scripting ---------------------------------------------------------
    def stage(self, stage, arg, default_fn, on_success=None):
        """Run the script rule (or the default) for a stage.

        default_fn() returns the default reply text and may have side
        effects (recording).  on_success() is called before a scripted 2xx
        reply/raw is sent.  Returns the deciding reply code (int or None).
        """
        rule = self.server.script.match(stage, self.number, arg)
        actions = rule.actions if rule else [("default", None)]
        code = None
        raw_code = None
        success_done = False
        max_stall = self.server.setting("max-stall", 120.0)
        for name, val in actions:
            if name == "default":
                success_done = True
                try:
                    text = default_fn()
                except Replied as r:
                    code = r.code
                    continue
                code = int(text[:3])
                self.reply(text)
            elif name in ("reply", "raw"):
                m = re.match(rb"(\d{3})", val)
                c = int(m.group(1)) if m else None
                if c is not None and 200 <= c < 300 and on_success and \
                        not success_done:
                    on_success()
                    success_done = True
                if name == "reply":
                    code = c
                    self.reply(val)
                else:
                    if raw_code is None:
                        raw_code = c
                    self.raw(val)
            elif name == "sleep":
                time.sleep(min(val, max_stall))
            elif name == "drop":
                self.close("drop")
            elif name == "reset":
                self.close("reset")
            elif name == "stall":
                self.stall(min(val if val is not None else max_stall, max_stall))
        if code is None:
            code = raw_code
        if code == 421:
            self.close()
        return code

    def stall(self, seconds):
        self.log("S", b"<stall %gs>" % seconds)
        deadline = time.monotonic() + seconds
        self.buf.clear()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(min(left, 1.0))
            try:
                data = self.sock.recv(65536)
                if not data:
                    self.log("C", b"<EOF>")
                    raise Closed()
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                raise Closed()
        self.close()

    # -- TLS ---------------------------------------------------------------
    def start_tls(self):
        ctx = self.server.tls_ctx
        self.server.sni_local.name = None
        self.server.sni_local.hellos = 0
        self.sock.settimeout(15)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError, ValueError) as e:
            self.log("S", b"<TLS handshake failed: %s>" % str(e).encode())
            raise Closed()
        with self.server.session_lock:
            self.server.active[self.number] = self.sock
        self.sni = self.server.sni_local.name
        if self.server.sni_local.hellos > 1:
            self.log("S", b"<TLS HelloRetryRequest>")
        self.tls = True
        self.tls_resumed = bool(self.sock.session_reused)
        ver = self.sock.version() or "?"
        ciph = (self.sock.cipher() or ("?",))[0]
        self.log("S", ("<TLS established %s %s sni=%s%s>" %
                       (ver, ciph, self.sni or "",
                        " resumed" if self.tls_resumed else "")).encode())
        if self.server.args.tls_client_ca:
            self.client_cert = client_subject(self.sock.getpeercert())
            self.log("S", ("<TLS client certificate %s>" % self.client_cert
                           if self.client_cert
                           else "<TLS no client certificate>").encode())
        self.sock.settimeout(self.server.args.idle_timeout)

    # -- EHLO keywords -------------------------------------------------------
    def auth_mechs(self):
        a = self.server.args
        if not a.auth_user:
            return []
        mechs = [m.upper() for m in a.auth_mechs.split()]
        if self.tls_unique() is None:
            mechs = [m for m in mechs if not m.endswith("-PLUS")]
        return mechs

    def tls_unique(self):
        """The session's tls-unique channel binding (RFC 5929), or None:
        not TLS, or TLS 1.3, for which tls-unique is not defined."""
        if not self.tls or self.sock.version() == "TLSv1.3":
            return None
        try:
            return self.sock.get_channel_binding("tls-unique")
        except (ValueError, OSError):
            return None

    def keywords(self):
        size = self.server.setting("size", 10240000)
        kws = ["PIPELINING"]
        if size:
            kws.append("SIZE %d" % size)
        kws += ["8BITMIME", "ENHANCEDSTATUSCODES"]
        if self.server.tls_ctx and not self.tls:
            kws.append("STARTTLS")
        mechs = self.auth_mechs()
        if mechs and (
                self.tls or not self.server.setting("auth-tls-only", False)):
            kws.append("AUTH " + " ".join(mechs))
        removed = self.server.script.ehlo_remove
        kws = [k for k in kws if k.split()[0].upper() not in removed]
        for add in self.server.script.ehlo_add:
            name = add.split()[0].upper()
            kws = [k for k in kws if k.split()[0].upper() != name]
            kws.append(add)
        return kws

    def advertised(self, name):
        return any(k.split()[0].upper() == name for k in self.keywords())

    # -- session -----------------------------------------------------------
    def run(self):
        self.sock.settimeout(self.server.args.idle_timeout)
        self.log("S", b"<connect>")
        if self.server.args.implicit_tls:
            if not self.server.tls_ctx:
                self.close()
            self.start_tls()
        kind = "LMTP" if self.server.args.lmtp else "ESMTP"
        code = self.stage("CONNECT", None,
                          lambda: "220 %s %s test" % (self.hostname, kind))
        if code is not None and not 200 <= code < 300:
            self.no_service = True
        while True:
            line = self.read_command()
            if line is None:
                continue
            self.command(line)

    def command(self, line):
        text = line.decode("utf-8", "surrogateescape")
        verb, _, arg = text.partition(" ")
        verb = verb.upper()
        arg = arg.strip()
        if self.no_service and verb != "QUIT":
            self.stage(verb, None, lambda: "503 5.5.0 Error: no service")
            return
        handler = getattr(self, "cmd_" + verb.replace("-", "_"), None)
        if handler is None or verb != verb.strip():
            self.stage(verb, None,
                       lambda: "502 5.5.2 Error: command not recognized")
            return
        handler(line, arg)

    def cmd_EHLO(self, line, arg):
        self.hello("EHLO", line, arg)

    def cmd_LHLO(self, line, arg):
        if not self.server.args.lmtp:
            self.stage("LHLO", None,
                       lambda: "502 5.5.2 Error: command not recognized")
            return
        self.hello("LHLO", line, arg)

    def hello(self, verb, line, arg):
        """EHLO, or LHLO in LMTP mode (RFC 2033 4.1)."""
        def default():
            if self.server.args.lmtp and verb != "LHLO":
                return "500 5.5.1 Error: this is an LMTP server, use LHLO"
            if not arg:
                return "501 5.5.4 Syntax: %s hostname" % verb
            return "\n".join(["250-%s" % self.hostname] +
                             ["250-" + k for k in self.keywords()[:-1]] +
                             ["250 " + self.keywords()[-1]])
        code = self.stage(verb, arg or None, default)
        self.helo_line = line
        if code is not None and 200 <= code < 300:
            self.ehlo_done = True
            self.reset_txn()

    def cmd_HELO(self, line, arg):
        def default():
            if self.server.args.lmtp:
                return "500 5.5.1 Error: this is an LMTP server, use LHLO"
            if not arg:
                return "501 5.5.4 Syntax: HELO hostname"
            return "250 %s" % self.hostname
        code = self.stage("HELO", arg or None, default)
        self.helo_line = line
        if code is not None and 200 <= code < 300:
            self.ehlo_done = True
            self.reset_txn()

    def cmd_STARTTLS(self, line, arg):
        def default():
            if arg:
                return "501 5.5.4 Syntax: STARTTLS"
            if self.tls:
                return "554 5.5.1 Error: TLS already active"
            if not self.advertised("STARTTLS"):
                return "502 5.5.1 Error: command not implemented"
            if not self.server.tls_ctx:
                return "454 4.7.0 TLS not available due to local problem"
            return "220 2.0.0 Ready to start TLS"
        code = self.stage("STARTTLS", None, default)
        if code is not None and 200 <= code < 300:
            if not self.server.tls_ctx or self.tls:
                self.close()
            # discard anything pipelined after STARTTLS (RFC 3207)
            if self.buf:
                self.log("C", b"<discarded %d bytes pipelined after STARTTLS: %s>"
                         % (len(self.buf), printable(bytes(self.buf))))
                self.buf.clear()
            self.start_tls()
            self.reset_smtp_state()
            self.helo_line = None

    def cmd_AUTH(self, line, arg):
        parts = arg.split()
        mech = parts[0].upper() if parts else None
        mechs = self.auth_mechs()
        result = {}

        def default():
            if not parts or len(parts) > 2:
                return "501 5.5.4 Syntax: AUTH mechanism"
            if self.authenticated:
                return "503 5.5.1 Error: already authenticated"
            if self.mail_line is not None:
                return "503 5.5.1 Error: MAIL transaction in progress"
            if not mechs:
                return "502 5.5.1 Error: authentication not enabled"
            if not self.tls and self.server.setting("auth-tls-only", False):
                return "538 5.7.11 Encryption required for requested authentication mechanism"
            if not self.advertised("AUTH"):
                return "502 5.5.1 Error: authentication not enabled"
            if mech not in mechs:
                return "504 5.5.4 Unrecognized authentication type"
            ir = parts[1] if len(parts) > 1 else None
            return self.sasl_exchange(mech, ir, result)

        code = self.stage("AUTH", mech, default)
        if code is not None and 200 <= code < 300:
            self.authenticated = True
            self.auth_user = result.get("user", "")

    def sasl_response(self, challenge):
        self.reply(b"334 " + challenge)
        line, too_long, bare = self.readline(AUTH_LIMIT)
        if line is None:
            self.log("C", b"<line too long: %d bytes>" % too_long)
            return None
        self.log("C", line)
        if line == b"*":
            return None
        try:
            return base64.b64decode(line, validate=True)
        except ValueError:
            return False

    def scram_exchange(self, mech, first):
        """SCRAM (RFC 5802 5, 7): returns (user, password or None) once
        the client's proof was checked, or a final reply."""
        a = self.server.args
        if first is None:
            return "501 5.7.0 Authentication aborted"
        hname = "sha256" if mech.startswith("SCRAM-SHA-256") else "sha1"
        try:
            flag, authz, bare = first.decode().split(",", 2)
        except (AttributeError, UnicodeDecodeError, ValueError):
            return "501 5.5.2 Bad SCRAM client-first message"
        gs2 = ("%s,%s," % (flag, authz)).encode()
        cb = b""
        if mech.endswith("-PLUS"):
            cb = self.tls_unique()
            if flag != "p=tls-unique" or cb is None:
                return "535 5.7.8 Channel binding type not supported"
        elif flag not in ("n", "y"):
            return "535 5.7.8 Channel binding without -PLUS"
        attrs = dict(x.split("=", 1) for x in bare.split(",") if "=" in x)
        user = attrs.get("n", "").replace("=2C", ",").replace("=3D", "=")
        if not attrs.get("r"):
            return "501 5.5.2 Bad SCRAM client-first message"
        nonce = attrs["r"] + base64.b64encode(os.urandom(18)).decode()
        salt, iters = os.urandom(16), 4096
        sfirst = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt).decode(),
                                     iters)
        final = self.sasl_response(base64.b64encode(sfirst.encode()))
        if final is None:
            return "501 5.7.0 Authentication aborted"
        try:
            without_proof, _, proof = final.decode().rpartition(",p=")
            fattrs = dict(x.split("=", 1) for x in without_proof.split(","))
            cbind = base64.b64decode(fattrs.get("c", ""), validate=True)
            proof = base64.b64decode(proof, validate=True)
        except (AttributeError, UnicodeDecodeError, ValueError):
            return "501 5.5.2 Bad SCRAM client-final message"
        if fattrs.get("r") != nonce:
            return "535 5.7.8 SCRAM nonce mismatch"
        if cbind != gs2 + cb:
            return "535 5.7.8 Channel binding mismatch"
        if cb:
            self.log("S", b"<SCRAM channel binding tls-unique verified>")
        salted = hashlib.pbkdf2_hmac(hname, a.auth_password.encode(), salt,
                                     iters)
        ckey = hmac.new(salted, b"Client Key", hname).digest()
        stored = hashlib.new(hname, ckey).digest()
        auth_msg = ",".join((bare, sfirst, without_proof)).encode()
        csig = hmac.new(stored, auth_msg, hname).digest()
        if not hmac.compare_digest(bytes(x ^ y for x, y in zip(ckey, csig)),
                                   proof):
            return (user.encode(), None)
        skey = hmac.new(salted, b"Server Key", hname).digest()
        ssig = hmac.new(skey, auth_msg, hname).digest()
        if self.sasl_response(base64.b64encode(
                b"v=" + base64.b64encode(ssig))) is None:
            return "501 5.7.0 Authentication aborted"
        return (user.encode(), a.auth_password.encode())

    def sasl_exchange(self, mech, ir, result):
        a = self.server.args
        user = password = None
        if ir == "=":
            ir = ""

        def decode(s):
            try:
                return base64.b64decode(s, validate=True)
            except ValueError:
                return False

        if mech == "PLAIN":
            resp = decode(ir) if ir is not None else self.sasl_response(b"")
            if resp is None:
                return "501 5.7.0 Authentication aborted"
            if resp is False:
                return "501 5.5.2 Cannot decode response"
            f = resp.split(b"\0")
            if len(f) != 3:
                return "535 5.7.8 Authentication credentials invalid"
            if f[0] and f[0] != f[1]:
                return "535 5.7.8 Authentication credentials invalid"
            user, password = f[1], f[2]
        elif mech == "LOGIN":
            u = decode(ir) if ir is not None else \
                self.sasl_response(base64.b64encode(b"Username:"))
            if u is None:
                return "501 5.7.0 Authentication aborted"
            if u is False:
                return "501 5.5.2 Cannot decode response"
            p = self.sasl_response(base64.b64encode(b"Password:"))
            if p is None:
                return "501 5.7.0 Authentication aborted"
            if p is False:
                return "501 5.5.2 Cannot decode response"
            user, password = u, p
        elif mech == "CRAM-MD5":
            if ir is not None:
                return "501 5.7.0 CRAM-MD5 takes no initial response"
            chal = ("<%d.%d@%s>" % (os.getpid(), time.time_ns(),
                                    self.hostname)).encode()
            r = self.sasl_response(base64.b64encode(chal))
            if r is None:
                return "501 5.7.0 Authentication aborted"
            if r is False:
                return "501 5.5.2 Cannot decode response"
            u, _, digest = r.rpartition(b" ")
            want = hmac.new(a.auth_password.encode(), chal,
                            hashlib.md5).hexdigest().encode()
            user = u
            password = a.auth_password.encode() if hmac.compare_digest(
                digest.lower(), want) else None
        elif mech in ("XOAUTH2", "OAUTHBEARER"):
            # RFC 7628 3.1 (OAUTHBEARER: "n,a=USER,^Aauth=Bearer T^A^A")
            # and XOAUTH2 ("user=USER^Aauth=Bearer T^A^A"), the token
            # checked against --auth-password.  A wrong token gets the
            # error challenge; the client must answer ^A (OAUTHBEARER)
            # or an empty line (XOAUTH2) before the 535.
            resp = decode(ir) if ir is not None else self.sasl_response(b"")
            if resp is None:
                return "501 5.7.0 Authentication aborted"
            if resp is False or not resp.endswith(b"\x01\x01"):
                return "501 5.5.2 Cannot decode response"
            f = resp[:-2].split(b"\x01")
            if mech == "OAUTHBEARER":
                if not f[0].startswith(b"n,a=") or not f[0].endswith(b","):
                    return "501 5.5.2 Bad GS2 header"
                user = f[0][4:-1]
            else:
                if not f[0].startswith(b"user="):
                    return "501 5.5.2 Bad user field"
                user = f[0][5:]
            token = [x[12:] for x in f[1:] if x.startswith(b"auth=Bearer ")]
            password = token[0] if len(token) == 1 else None
            if password != a.auth_password.encode():
                r = self.sasl_response(base64.b64encode(
                    b'{"status":"401","schemes":"bearer"}'))
                want = b"\x01" if mech == "OAUTHBEARER" else b""
                if r != want:
                    return "501 5.5.2 Bad end of the failed exchange"
                return "535 5.7.8 Username and Password not accepted"
        elif mech.startswith("SCRAM-SHA-"):
            r = self.scram_exchange(
                mech, decode(ir) if ir is not None else self.sasl_response(b""))
            if isinstance(r, str):
                return r
            user, password = r
        else:
            return "504 5.5.4 Unrecognized authentication type"
        uname = user.decode("utf-8", "replace")
        ok = (user == a.auth_user.encode() and password is not None and
              password == a.auth_password.encode())

        def end_default():
            if ok:
                return "235 2.7.0 Authentication successful"
            return "535 5.7.8 Authentication credentials invalid"
        # the AUTH-END stage sends the final reply
        result["user"] = uname
        raise Replied(self.stage("AUTH-END", uname, end_default))

    def cmd_MAIL(self, line, arg):
        m = re.match(r"(?i)FROM:\s*<([^>]*)>(.*)$", arg)
        addr = m.group(1) if m else None

        def default():
            if not m:
                return "501 5.5.4 Syntax: MAIL FROM:<address>"
            if not self.ehlo_done:
                return "503 5.5.1 Error: send HELO/EHLO first"
            if self.mail_line is not None:
                return "503 5.5.1 Error: nested MAIL command"
            if self.server.setting("require-tls", False) and not self.tls:
                return "530 5.7.0 Must issue a STARTTLS command first"
            if self.server.setting("require-auth", False) and \
                    not self.authenticated:
                return "530 5.7.0 Authentication required"
            size = self.server.setting("size", 10240000)
            sm = re.search(r"(?i)(?:^|\s)SIZE=(\d+)", m.group(2))
            if sm and size and int(sm.group(1)) > size:
                return "552 5.3.4 Message size exceeds fixed limit"
            if self.server.setting("smtputf8-strict", False):
                declared = "SMTPUTF8" in m.group(2).upper().split()
                if declared and not self.advertised("SMTPUTF8"):
                    return "555 5.5.4 Unsupported option: SMTPUTF8"
                if not declared and not addr.isascii():
                    return ("553 5.6.7 Must declare SMTPUTF8 to send "
                            "unicode address")
            return "250 2.1.0 Ok"
        code = self.stage("MAIL", addr, default)
        if code is not None and 200 <= code < 300:
            self.reset_txn()
            self.mail_line = line

    def cmd_RCPT(self, line, arg):
        m = re.match(r"(?i)TO:\s*<([^>]*)>(.*)$", arg)
        addr = m.group(1) if m else None

        def default():
            if not m:
                return "501 5.5.4 Syntax: RCPT TO:<address>"
            if self.mail_line is None:
                return "503 5.5.1 Error: need MAIL command"
            maxr = self.server.setting("max-rcpt", 0)
            if maxr and len(self.rcpts) >= maxr:
                return "452 4.5.3 Error: too many recipients"
            if self.server.setting("smtputf8-strict", False) and \
                    not addr.isascii() and not re.search(
                        rb"(?i)\sSMTPUTF8(?:\s|$)", self.mail_line):
                return ("553 5.6.7 Must declare SMTPUTF8 to send "
                        "unicode address")
            return "250 2.1.5 Ok"
        code = self.stage("RCPT", addr, default)
        if code is not None and 200 <= code < 300:
            self.rcpts.append(line)

    def cmd_DATA(self, line, arg):
        def default():
            if arg:
                return "501 5.5.4 Syntax: DATA"
            if self.mail_line is None:
                return "503 5.5.1 Error: need RCPT command"
            if not self.rcpts:
                return "554 5.5.1 Error: no valid recipients"
            return "354 End data with <CR><LF>.<CR><LF>"
        code = self.stage("DATA", None, default)
        if code != 354:
            return
        raw = self.read_data()
        if self.server.args.lmtp:
            try:
                self.lmtp_replies(raw)
            finally:
                self.reset_txn()
            return
        recorded = []

        def do_record():
            if self.mail_line is None:
                self.mail_line = b""
            recorded.append(self.server.record(self, raw))

        def end_default():
            size = self.server.setting("size", 10240000)
            if size and len(raw) > size:
                return "552 5.3.4 Message size exceeds fixed limit"
            do_record()
            return "250 2.0.0 Ok: queued as %s" % recorded[0]
        try:
            self.stage("DATA-END", None, end_default, on_success=do_record)
        finally:
            self.reset_txn()

    def lmtp_replies(self, raw):
        """One reply per accepted recipient, in RCPT order (RFC 2033 4.2)."""
        for rcpt in list(self.rcpts):
            m = re.match(rb"(?i)RCPT TO:\s*<([^>]*)>", rcpt)
            addr = m.group(1).decode("utf-8", "surrogateescape") if m else ""
            recorded = []

            def do_record(rcpt=rcpt, recorded=recorded):
                if self.mail_line is None:
                    self.mail_line = b""
                recorded.append(self.server.record(self, raw, [rcpt]))

            def default(addr=addr, do_record=do_record, recorded=recorded):
                size = self.server.setting("size", 10240000)
                if size and len(raw) > size:
                    return "552 5.3.4 Message size exceeds fixed limit"
                do_record()
                return "250 2.0.0 <%s> Ok: queued as %s" % (addr, recorded[0])
            self.stage("DATA-RCPT", addr, default, on_success=do_record)

    def cmd_RSET(self, line, arg):
        code = self.stage("RSET", None, lambda: "250 2.0.0 Ok")
        if code is not None and 200 <= code < 300:
            self.reset_txn()

    def cmd_NOOP(self, line, arg):
        self.stage("NOOP", None, lambda: "250 2.0.0 Ok")

    def cmd_VRFY(self, line, arg):
        self.stage("VRFY", None, lambda: "252 2.0.0 Cannot VRFY user")

    def cmd_HELP(self, line, arg):
        self.stage("HELP", None, lambda: "214 2.0.0 See RFC 5321")

    def cmd_QUIT(self, line, arg):
        self.stage("QUIT", None, lambda: "221 2.0.0 Bye")
        self.close()


def main():
    p = argparse.ArgumentParser(description="scriptable SMTP test server")
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--record", required=True)
    p.add_argument("--script")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth-user")
    p.add_argument("--auth-password")
    p.add_argument("--auth-mechs", default="PLAIN LOGIN")
    p.add_argument("--pid-file")
    p.add_argument("--max-sessions", type=int, default=0)
    p.add_argument("--lifetime", type=float, default=0)
    p.add_argument("--hostname", default="localhost")
    p.add_argument("--idle-timeout", type=float, default=60)
    p.add_argument("--unix-socket")
    p.add_argument("--tls-client-ca")
    p.add_argument("--tls-require-client-cert", action="store_true")
    p.add_argument("--tls-curve")
    p.add_argument("--lmtp", action="store_true")
    a = p.parse_args()
    if bool(a.tls_cert) != bool(a.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if a.tls_client_ca and not a.tls_cert:
        p.error("--tls-client-ca needs --tls-cert/--tls-key")
    if a.tls_require_client_cert and not a.tls_client_ca:
        p.error("--tls-require-client-cert needs --tls-client-ca")
    if a.tls_curve and not a.tls_cert:
        p.error("--tls-curve needs --tls-cert/--tls-key")
    if a.implicit_tls and not a.tls_cert:
        p.error("--implicit-tls needs --tls-cert/--tls-key")
    if bool(a.auth_user) != (a.auth_password is not None):
        p.error("--auth-user and --auth-password go together")
    try:
        server = Server(a)
    except (OSError, ScriptError, ssl.SSLError, ValueError) as e:
        sys.exit("smtpd.py: %s" % e)

    def on_signal(signum, frame):
        server.stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
