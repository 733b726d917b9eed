#!/usr/bin/env python3
"""mime.py MESSAGE-FILE COMMAND [ARG]: look inside a stored message.

  maxline       print the length of the longest line (without CRLF)
  leaves        print, per leaf part: index, content type, transfer encoding
  payload N     write leaf N's decoded content (bytes) to stdout
  raw N         write leaf N's body as stored (transfer-encoded) to stdout
"""
import sys
from email import message_from_bytes
from email.policy import compat32


def leaves(msg):
    return [p for p in msg.walk() if not p.is_multipart()]


def main():
    path, cmd = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    if cmd == "maxline":
        print(max(len(line) for line in data.split(b"\r\n")))
        return 0
    msg = message_from_bytes(data, policy=compat32)
    parts = leaves(msg)
    if cmd == "leaves":
        for i, p in enumerate(parts):
            print(i, p.get_content_type(),
                  (p.get("Content-Transfer-Encoding") or "-").strip())
        return 0
    part = parts[int(sys.argv[3])]
    if cmd == "payload":
        sys.stdout.buffer.write(part.get_payload(decode=True))
    elif cmd == "raw":
        sys.stdout.buffer.write(part.get_payload(decode=False).encode(
            "utf-8", "surrogateescape"))
    return 0


sys.exit(main())
