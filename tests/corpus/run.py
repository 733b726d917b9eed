#!/usr/bin/env python3
"""tests/corpus/run.py: run the bad-input corpus (tests/corpus/cases).

Called by tests/integration/corpus.test, which starts the servers (smtpd.py
on 127.0.0.1 and on a UNIX-domain socket), writes the two configuration
files and runs gen.py first. Each case runs mailferry once under
timeout(1) (a hang is a failure), with standard input from the case's file
(or closed), in an empty directory next to a "victim" directory, and is
checked as tests/corpus/cases describes. Arguments go to mailferry as an
argv list: no shell ever sees them.

Prints "ok - CASE: what" / "not ok - CASE: what" lines, then one summary
line per case ("# CASE PASS|FAIL SECONDS"), then "corpus: N cases, N
passed, N failed". Exit status 0 when every case passed.

Property checks (check=NAME in the manifest):
  subject-2047  the Subject that arrived is 7-bit, folded at 78 columns,
                and decodes (RFC 2047 6.2) to exactly the input's bytes;
                every UTF-8 word is valid UTF-8, so invalid input can only
                travel in UNKNOWN-8BIT words; the rest arrives byte for byte
  rcpt-10000    exactly r00001..r10000@example.org in RCPT, in order, each
                sent once (the transcript is counted too)
  unfold        every header field, unfolded, is the input's field; no
                line over 998 octets; the body arrives byte for byte
  qp-64k        the 64 KiB line arrives quoted-printable (MIME headers
                added, lines of at most 76), decoding to the input body
  body-10mb     the 10 MB body arrives byte for byte (LF -> CRLF)

data-limit=KB runs mailferry with RLIMIT_DATA (heap and other private
writable memory) at KB KiB, so a case with more input than that shows that
it is streamed, not held (not in the sanitizer build or under valgrind).
"""

import argparse
import base64
import os
import resource
import re
import shlex
import shutil
import subprocess
import sys
import time

DAYS = rb"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
MONTHS = rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
DATE_RE = (rb"Date: " + DAYS + rb", [0-9]{1,2} " + MONTHS +
           rb" [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}")
MSGID_RE = rb"Message-ID: <[0-9]{14}\.[0-9]+\.[0-9a-f]{16}@corpus\.example>"


class Case:
    def __init__(self, lineno, name, inp, args, code, expect):
        self.lineno = lineno
        self.name = name
        self.input = inp
        self.args = args
        self.code = code
        self.expect = expect


def unescape(s):
    return s.replace("@CR@", "\r").replace("@LF@", "\n")


def read_cases(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(" | ", 4)
            if len(parts) != 5:
                sys.exit("%s:%d: need 5 fields separated by ' | '" %
                         (path, lineno))
            name, inp, args, code, expect = (p.strip() for p in parts)
            cases.append(Case(lineno, name, inp, shlex.split(args),
                              int(code), shlex.split(expect)))
    return cases


def txn_dirs(record):
    return sorted(d for d in os.listdir(record)
                  if d.isdigit() and os.path.isdir(os.path.join(record, d)))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def crlf(data):
    return data.replace(b"\n", b"\r\n")


def split_message(msg):
    """(header block without the blank line, body) of a CRLF message."""
    if msg.startswith(b"\r\n"):
        return b"", msg[2:]
    i = msg.find(b"\r\n\r\n")
    if i < 0:
        return msg, b""
    return msg[:i + 2], msg[i + 4:]


def fields(header_block):
    """Header fields as (name, raw value with folds) from CRLF lines."""
    out = []
    for line in header_block.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1] += b"\r\n" + line
        else:
            name, _, value = line.partition(b":")
            out.append([name, value])
    return out


def unfold(value):
    return re.sub(rb"\r\n(?=[ \t])", b"", value)


def rfc2047_decode(value):
    """Decode an unstructured field value (RFC 2047 6.2): encoded words
    become their bytes, white space between two adjacent encoded words
    goes away. Returns (bytes, [(charset, decoded word)])."""
    word = re.compile(rb"=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=")
    out = bytearray()
    words = []
    pending_ws = b""
    last_was_word = False
    for m in re.finditer(rb"[ \t]+|[^ \t]+", value):
        tok = m.group(0)
        if tok[:1] in (b" ", b"\t"):
            pending_ws += tok
            continue
        w = word.fullmatch(tok)
        if w:
            charset, enc, text = w.group(1), w.group(2).upper(), w.group(3)
            if enc == b"B":
                dec = base64.b64decode(text, validate=True)
            else:
                dec = re.sub(rb"=([0-9A-Fa-f]{2})",
                             lambda x: bytes([int(x.group(1), 16)]),
                             text.replace(b"_", b" "))
            words.append((charset.decode("ascii").upper(), dec))
            if not last_was_word:
                out += pending_ws
            out += dec
            last_was_word = True
        else:
            out += pending_ws + tok
            last_was_word = False
        pending_ws = b""
    out += pending_ws
    return bytes(out), words


class Runner:
    def __init__(self, opts):
        self.o = opts
        self.passed = 0
        self.failed = 0
        self.summary = []

    # -- reporting ---------------------------------------------------------
    def ok(self, case, what):
        print("ok - %s: %s" % (case, what))
        self.case_ok += 1

    def not_ok(self, case, what, detail=None):
        print("not ok - %s: %s" % (case, what))
        if detail:
            for line in detail.rstrip("\n").split("\n")[:20]:
                print("#   " + line)
        self.case_failed += 1

    def check(self, case, cond, what, detail=None):
        if cond:
            self.ok(case, what)
        else:
            self.not_ok(case, what, detail)
        return cond

    # -- one case ----------------------------------------------------------
    def path(self, name):
        if name.startswith("gen:"):
            return os.path.join(self.o.gen, name[4:])
        return os.path.join(self.o.corpus, name)

    def argv(self, case):
        out = []
        for a in case.args:
            m = re.fullmatch(r"@ARGS:(.+)@", a)
            if m:
                with open(os.path.join(self.o.gen, m.group(1)),
                          encoding="utf-8") as f:
                    out += [l.rstrip("\n") for l in f if l.strip()]
            else:
                out.append(unescape(a))
        return out

    def run(self, case, valgrind=False):
        label = case.name + (" (valgrind)" if valgrind else "")
        self.case_ok = 0
        self.case_failed = 0
        exp = {}
        rcpts = []
        checks = []
        for e in case.expect:
            if e in ("sent", "nothing-sent", "not-delivered"):
                exp["sent"] = e
            elif e.startswith("rcpt="):
                rcpts.append(unescape(e[5:]))
            elif e.startswith("check="):
                checks.append(e[6:])
            elif e.startswith("err~"):
                exp["err~"] = e[4:]
            elif "=" in e:
                k, _, v = e.partition("=")
                exp[k] = unescape(v)
            else:
                sys.exit("cases:%d: unknown expectation %r" % (case.lineno, e))
        sent = exp.get("sent", "sent" if case.code == 0 else "nothing-sent")
        unix = exp.get("server") == "unix"
        limit = float(exp.get("time", 20))
        if valgrind:
            limit = max(limit * 6, 120)
        config = self.o.unix_config if unix else self.o.tcp_config
        record = self.o.unix_record if unix else self.o.tcp_record

        # A fresh directory to run in, next to a victim that must survive.
        base = os.path.join(self.o.work, label.replace(" ", "_"))
        shutil.rmtree(base, ignore_errors=True)
        rundir = os.path.join(base, "run")
        os.makedirs(rundir)
        os.makedirs(os.path.join(base, "victim"))
        with open(os.path.join(base, "victim", "keep"), "w") as f:
            f.write("keep\n")
        os.symlink("../victim", os.path.join(rundir, "victim"))

        before = {r: txn_dirs(r) for r in (self.o.tcp_record, self.o.unix_record)}
        tsize = {r: os.path.getsize(os.path.join(r, "transcript.log"))
                 if os.path.exists(os.path.join(r, "transcript.log")) else 0
                 for r in before}

        cmd = ["timeout", "-k", "5", "%g" % limit]
        vglog = os.path.join(base, "valgrind.log")
        if valgrind:
            cmd += ["valgrind", "--quiet", "--leak-check=full",
                    "--show-leak-kinds=definite,indirect,possible",
                    "--errors-for-leak-kinds=definite,indirect,possible",
                    "--error-exitcode=99", "--log-file=" + vglog]
        cmd += [self.o.mailferry, "-C", config] + self.argv(case)
        outp = os.path.join(base, "stdout")
        errp = os.path.join(base, "stderr")
        closed = case.input == "closed"
        stdin = None if closed else open(self.path(case.input), "rb")
        data_limit = None
        if "data-limit" in exp and not valgrind and not self.o.sanitized:
            data_limit = int(exp["data-limit"]) * 1024

        def child_setup():
            if closed:
                os.close(0)
            if data_limit:
                resource.setrlimit(resource.RLIMIT_DATA,
                                   (data_limit, data_limit))

        start = time.monotonic()
        with open(outp, "wb") as out, open(errp, "wb") as err:
            p = subprocess.Popen(
                cmd, stdin=stdin, stdout=out, stderr=err, cwd=rundir,
                preexec_fn=child_setup)
            deadline = start + limit + 15
            while True:
                pid, status = os.waitpid(p.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    p.kill()
                    pid, status = os.waitpid(p.pid, 0)
                    break
                time.sleep(0.005)
            if os.WIFSIGNALED(status):
                p.returncode = -os.WTERMSIG(status)
            else:
                p.returncode = os.WEXITSTATUS(status)
        if stdin:
            stdin.close()
        elapsed = time.monotonic() - start
        rc = p.returncode

        # Exit status: no hang, no crash, the expected code.
        if rc in (124, 137) or rc == -9:
            self.not_ok(label, "hung: killed after %g s (exit %d)" % (limit, rc))
        elif rc < 0 or rc > 128:
            self.not_ok(label, "crashed: exit %d" % rc)
        else:
            self.check(label, rc == case.code,
                       "exit %d, got %d (%.2f s%s)" % (
                           case.code, rc, elapsed,
                           ", RLIMIT_DATA %d KiB" % (data_limit // 1024)
                           if data_limit else ""))

        # Standard error.
        errtext = read(errp)
        lines = errtext.decode("utf-8", "replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if "err" in exp or "err~" in exp:
            self.check(label, len(lines) == 1 and errtext.endswith(b"\n"),
                       "standard error is exactly one line",
                       "got %d lines:\n%s" % (len(lines), "\n".join(lines)))
            first = lines[0] if lines else ""
            if "err" in exp:
                self.check(label, first == exp["err"],
                           "the message is %r" % exp["err"], "got %r" % first)
            else:
                self.check(label, re.search(exp["err~"], first) is not None,
                           "the message matches %r" % exp["err~"],
                           "got %r" % first)
        else:
            self.check(label, errtext == b"", "standard error is empty",
                       errtext.decode("utf-8", "replace"))
        self.check(label, os.path.getsize(outp) == 0,
                   "standard output is empty")

        # Nothing was executed.
        left = sorted(os.listdir(rundir))
        self.check(label, left == ["victim"] and
                   os.path.exists(os.path.join(base, "victim", "keep")),
                   "nothing was executed (no file appeared, the victim lives)",
                   "directory now holds %r" % left)
        strays = [p for d in ("/tmp", os.environ.get("HOME", "/nonexistent"))
                  for p in (os.listdir(d) if os.path.isdir(d) else [])
                  if p.startswith("mf-canary")]
        if strays:
            self.not_ok(label, "a canary file appeared: %r" % strays)

        if valgrind:
            log = read(vglog).decode("utf-8", "replace") if os.path.exists(vglog) else ""
            self.check(label, log.strip() == "", "valgrind reports nothing", log)

        # The wire.
        new = {r: [d for d in txn_dirs(r) if d not in before[r]]
               for r in before}
        mails = 0
        transcript = b""
        for r in before:
            tpath = os.path.join(r, "transcript.log")
            if os.path.exists(tpath):
                with open(tpath, "rb") as f:
                    f.seek(tsize[r])
                    tnew = f.read()
                mails += len(re.findall(rb"^C: MAIL FROM", tnew, re.M))
                if r == record:
                    transcript = tnew
        got = sum(len(v) for v in new.values())
        if sent == "nothing-sent":
            self.check(label, got == 0 and mails == 0, "nothing was sent",
                       "%d transactions, %d MAIL commands" % (got, mails))
        elif sent == "not-delivered":
            self.check(label, got == 0, "nothing was delivered",
                       "%d transactions" % got)
        elif self.check(label, got == 1 and len(new[record]) == 1,
                        "one transaction arrived", "got %d" % got):
            d = os.path.join(record, new[record][0])
            self.wire(label, case, d, exp, rcpts, checks, transcript,
                      elapsed)

        self.passed += self.case_ok
        self.failed += self.case_failed
        self.summary.append("# %-24s %s %6.2f s" % (
            label, "PASS" if self.case_failed == 0 else "FAIL", elapsed))

    def wire(self, label, case, d, exp, rcpts, checks, transcript, elapsed):
        msg = read(os.path.join(d, "message"))
        data = read(os.path.join(d, "data"))
        mail = read(os.path.join(d, "mail")).decode("utf-8", "replace").strip("\n")
        rcpt = read(os.path.join(d, "rcpt")).decode("utf-8", "replace").split("\n")
        rcpt = [l for l in rcpt if l]

        # Every line on the wire is CRLF-terminated and at most 998 octets.
        wire_lines = data.split(b"\r\n")
        bad = [i for i, l in enumerate(wire_lines[:-1], 1)
               if b"\r" in l or b"\n" in l or len(l) > 998]
        self.check(label, data.endswith(b"\r\n") and not bad,
                   "every line on the wire ends in CRLF, none over 998 octets",
                   "bad lines: %r" % bad[:5])

        if "mail" in exp:
            m = re.fullmatch(r"MAIL FROM:<(.*?)>( .*)?", mail)
            self.check(label, m is not None and m.group(1) == exp["mail"],
                       "MAIL FROM:<%s>" % exp["mail"], "got %r" % mail)
        if rcpts:
            want = ["RCPT TO:<%s>" % a for a in rcpts]
            self.check(label, rcpt == want,
                       "RCPT TO exactly %s" % ", ".join(rcpts),
                       "got:\n%s" % "\n".join(rcpt[:20]))
        if "data-has" in exp:
            self.check(label, exp["data-has"].encode() in data,
                       "the data on the wire holds %r" % exp["data-has"])
        if "message" in exp:
            self.message(label, msg, self.path(exp["message"]))

        src = None if case.input == "closed" else read(self.path(case.input))
        for c in checks:
            getattr(self, "check_" + c.replace("-", "_"))(
                label, case, src, msg, rcpt, transcript, elapsed)

    def message(self, label, msg, path):
        want = read(path)
        if b"\r" in want:
            sys.exit("%s: expected messages are LF text without CR" % path)
        pat = b""
        for line in want.split(b"\n")[:-1]:
            if line == b"Date: @DATE@":
                pat += DATE_RE
            elif line == b"Message-ID: @MSGID@":
                pat += MSGID_RE
            else:
                pat += re.escape(line)
            pat += b"\r\n"
        if re.fullmatch(pat, msg, re.S):
            self.ok(label, "the message arrived as %s" % os.path.basename(path))
            return
        got = msg.split(b"\r\n")
        exp = crlf(want).split(b"\r\n")
        for i in range(max(len(got), len(exp))):
            g = got[i] if i < len(got) else None
            e = exp[i] if i < len(exp) else None
            if g != e and not (e == b"Date: @DATE@" and g and re.fullmatch(DATE_RE, g)) \
                    and not (e == b"Message-ID: @MSGID@" and g and re.fullmatch(MSGID_RE, g)):
                break
        self.not_ok(label, "the message arrived as %s" % os.path.basename(path),
                    "first difference at line %d (CRLF lines):\n"
                    "expected %r\ngot      %r\n(got %d bytes, %d lines)" % (
                        i + 1, (e or b"")[:300], (g or b"")[:300],
                        len(msg), len(got)))

    # -- property checks -------------------------------------------------
    def check_subject_2047(self, label, case, src, msg, *_):
        ih, ib = split_message(crlf(src))
        mh, mb = split_message(msg)
        want = [v for n, v in fields(ih) if n.lower() == b"subject"][0]
        got = [v for n, v in fields(mh) if n.lower() == b"subject"]
        if not self.check(label, len(got) == 1, "one Subject arrived"):
            return
        got = got[0]
        self.check(label, all(c < 0x80 for c in got),
                   "the Subject on the wire is 7-bit", repr(got))
        lines = (b"Subject:" + got).split(b"\r\n")
        self.check(label, all(len(l) <= 78 for l in lines),
                   "the Subject is folded at 78 columns",
                   repr([len(l) for l in lines]))
        dec, words = rfc2047_decode(unfold(got))
        self.check(label, dec == want,
                   "the Subject decodes to exactly the input's bytes",
                   "input   %r\ndecoded %r\nwire    %r" % (want, dec, got))
        bad = []
        for cs, w in words:
            if cs == "UTF-8":
                try:
                    w.decode("utf-8")
                except UnicodeDecodeError:
                    bad.append(w)
        self.check(label, bool(words) and not bad,
                   "encoded words labelled UTF-8 hold valid UTF-8 (others: UNKNOWN-8BIT)",
                   "words %r" % words)
        try:
            want.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        if not valid:
            self.check(label, any(cs == "UNKNOWN-8BIT" for cs, _ in words),
                       "invalid UTF-8 is labelled UNKNOWN-8BIT", repr(words))
        rest_in = [f for f in fields(ih) if f[0].lower() != b"subject"]
        rest_out = [f for f in fields(mh) if f[0].lower() != b"subject"]
        self.check(label, rest_in == rest_out and ib == mb,
                   "every other field and the body arrive byte for byte")

    def check_rcpt_10000(self, label, case, src, msg, rcpt, transcript,
                         elapsed):
        want = ["RCPT TO:<r%05d@example.org>" % i for i in range(1, 10001)]
        self.check(label, rcpt == want,
                   "RCPT r00001..r10000@example.org, in order, each once",
                   "got %d, first differences %r" % (
                       len(rcpt), [(a, b) for a, b in zip(rcpt, want) if a != b][:3]))
        sent = re.findall(rb"^C: (RCPT TO:[^\r\n]*)", transcript, re.M)
        self.check(label, len(sent) == 10000 and len(set(sent)) == 10000,
                   "10000 RCPT commands on the wire, no repeats",
                   "%d sent, %d distinct" % (len(sent), len(set(sent))))
        print("# %s: %d recipients in %.2f s" % (label, len(rcpt), elapsed))

    def check_unfold(self, label, case, src, msg, *_):
        ih, ib = split_message(crlf(src))
        mh, mb = split_message(msg)
        fi = [(n, unfold(v)) for n, v in fields(ih)]
        fo = [(n, unfold(v)) for n, v in fields(mh)]
        self.check(label, fi == fo,
                   "every field, unfolded, is the input's field",
                   "input %r\ngot   %r" % ([(n, v[:60]) for n, v in fi],
                                          [(n, v[:60]) for n, v in fo]))
        self.check(label, all(len(l) <= 998 for l in mh.split(b"\r\n")),
                   "no header line over 998 octets")
        self.check(label, ib == mb, "the body arrives byte for byte")

    def check_qp_64k(self, label, case, src, msg, *_):
        import quopri
        ih, ib = split_message(crlf(src))
        mh, mb = split_message(msg)
        names = [(n.lower(), v.strip()) for n, v in fields(mh)]
        self.check(label, mh.startswith(ih), "the input's fields come first, unchanged")
        self.check(label, (b"content-transfer-encoding", b"quoted-printable") in names
                   and (b"mime-version", b"1.0") in names
                   and any(n == b"content-type" and v.lower().startswith(b"text/plain")
                           for n, v in names),
                   "MIME-Version, Content-Type text/plain and quoted-printable were added",
                   repr(names))
        self.check(label, all(len(l) <= 76 for l in mb.split(b"\r\n")),
                   "quoted-printable lines of at most 76")
        self.check(label, quopri.decodestring(mb) == ib,
                   "the body decodes to the input's body")

    def check_body_10mb(self, label, case, src, msg, *_):
        ih, ib = split_message(crlf(src))
        mh, mb = split_message(msg)
        self.check(label, mh.startswith(ih) and mb == ib,
                   "the 10 MB body arrives byte for byte (%d bytes)" % len(mb))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--mailferry", required=True)
    ap.add_argument("--tcp-config", required=True)
    ap.add_argument("--tcp-record", required=True)
    ap.add_argument("--unix-config", required=True)
    ap.add_argument("--unix-record", required=True)
    ap.add_argument("--valgrind", default="",
                    help="comma-separated cases to run again under valgrind")
    ap.add_argument("--sanitized", action="store_true")
    ap.add_argument("only", nargs="*")
    o = ap.parse_args()
    r = Runner(o)
    cases = read_cases(os.path.join(o.corpus, "cases"))
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        sys.exit("cases: duplicate case names")
    failed_cases = 0
    for c in cases:
        if o.only and c.name not in o.only:
            continue
        r.run(c)
        failed_cases += r.case_failed > 0
    for name in [n for n in o.valgrind.split(",") if n]:
        if o.only and name not in o.only:
            continue
        c = [c for c in cases if c.name == name]
        if not c:
            sys.exit("--valgrind: no case %r" % name)
        r.run(c[0], valgrind=True)
        failed_cases += r.case_failed > 0
    print("\n".join(r.summary))
    print("corpus: %d runs, %d failed; %d checks passed, %d failed" % (
        len(r.summary), failed_cases, r.passed, r.failed))
    sys.exit(1 if r.failed else 0)


if __name__ == "__main__":
    main()
