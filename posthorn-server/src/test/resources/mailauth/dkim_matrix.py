#!/usr/bin/python3
"""Debian's dkimpy (python3-dkim) over many messages in one process, for Posthorn's differential DKIM test.

  dkim_matrix.py sign KEYFILE DOMAIN SELECTOR  < lines "CANON BASE64"  prints the base64 of each signed message
  dkim_matrix.py verify RECORD                 < lines "BASE64"        prints "pass" or "fail" for each message

CANON is header/body ("relaxed/simple"). The key record is the answer to every DNS question (dkimpy's dnsfunc
hook), so no DNS server is needed.
"""
import base64
import sys

import dkim


def main():
    mode = sys.argv[1]
    out = []
    if mode == "sign":
        key = open(sys.argv[2], "rb").read()
        domain, selector = sys.argv[3].encode(), sys.argv[4].encode()
        for line in sys.stdin.read().splitlines():
            canon, data = line.split(" ", 1)
            message = base64.b64decode(data)
            header, body = canon.encode().split(b"/")
            signature = dkim.sign(message, selector, domain, key, canonicalize=(header, body),
                                  include_headers=[b"from", b"subject", b"subject", b"date"])
            out.append(base64.b64encode(signature + message).decode())
    else:
        record = sys.argv[2].encode()
        for line in sys.stdin.read().splitlines():
            message = base64.b64decode(line)
            ok = dkim.verify(message, dnsfunc=lambda name, timeout=5: record)
            out.append("pass" if ok else "fail")
    print("\n".join(out))


main()
