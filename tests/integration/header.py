#!/usr/bin/env python3
"""header.py MESSAGE-FILE NAME [raw|decoded|count]

Print a header field of a stored message, for the integration tests:
  raw      the field's lines exactly as stored (CRLF shown as LF)
  decoded  the unfolded value with RFC 2047 encoded words decoded
  count    how many fields of that name the message has
  shape    (NAME ignored) exit 0 when every header line outside the
           Received fields is 7-bit and at most 78 octets, else print the
           offending lines and exit 1
Exits 1 when the field is missing (except for count)."""
import sys
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import compat32


def main():
    path, name = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "decoded"
    with open(path, "rb") as f:
        data = f.read()
    if mode == "shape":
        head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        bad, in_received = [], False
        for line in head:
            if line[:1] not in (b" ", b"\t"):
                in_received = line.lower().startswith(b"received:")
            if in_received:
                continue
            if len(line) > 78 or any(b >= 0x80 for b in line):
                bad.append(line)
        for line in bad:
            print(line)
        return 1 if bad else 0
    msg = message_from_bytes(data, policy=compat32)
    values = msg.get_all(name) or []
    if mode == "count":
        print(len(values))
        return 0
    if not values:
        return 1
    if mode == "raw":
        head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        lines = head.split("\r\n")
        out, inside = [], False
        for line in lines:
            if line[:1] in (" ", "\t") and inside:
                out.append(line)
                continue
            inside = line.lower().startswith(name.lower() + ":")
            if inside:
                out.append(line)
        print("\n".join(out))
        return 0
    value = values[0]
    unfolded = value.replace("\r\n", "").replace("\n", "")
    print(str(make_header(decode_header(unfolded))))
    return 0


sys.exit(main())
