#!/usr/bin/python3
"""Debian's dkimpy (python3-dkim) as an independent signer and verifier for Posthorn's tests.

Keys are looked up in the test's DNS server (unbound on loopback) through dkimpy's dnsfunc hook, with
dnspython pointed at that server: the same records Posthorn reads.

  dkimpy.py PORT verify            < message   prints one line per DKIM-Signature: "N pass" or "N fail"
  dkimpy.py PORT arcverify         < message   prints "cv=pass|fail|none" and the reason
  dkimpy.py PORT sign SEL DOMAIN KEYFILE ALG  < message   prints the signed message (ALG rsa-sha256|ed25519-sha256)
  dkimpy.py PORT arcsign SEL DOMAIN KEYFILE SRVID < message   prints the message with a new ARC set
"""
import sys

import dkim
import dns.resolver


def main():
    port = int(sys.argv[1])
    command = sys.argv[2]
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.lifetime = 5

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        return b"".join(b"".join(r.strings) for r in answer[:1])

    message = sys.stdin.buffer.read()
    if command == "verify":
        d = dkim.DKIM(message)
        count = len([line for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
                     if line.lower().startswith(b"dkim-signature:")])
        for i in range(count):
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc)
            except dkim.DKIMException as e:
                ok = False
                print(i, "error", e)
            print(i, "pass" if ok else "fail", d.signature_fields.get(b"a", b"").decode() if ok else "")
    elif command == "arcverify":
        cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
        print("cv=" + cv.decode(), reason)
    elif command == "sign":
        selector, domain, keyfile, alg = sys.argv[3:7]
        key = open(keyfile, "rb").read()
        signature = dkim.sign(message, selector.encode(), domain.encode(), key,
                              canonicalize=(b"relaxed", b"relaxed"), signature_algorithm=alg.encode(),
                              include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        sys.stdout.buffer.write(signature + message)
    elif command == "arcsign":
        selector, domain, keyfile, srv_id = sys.argv[3:7]
        key = open(keyfile, "rb").read()
        fields = dkim.arc_sign(message, selector.encode(), domain.encode(), key, srv_id.encode(),
                               include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                               dnsfunc=dnsfunc) if "dnsfunc" in dkim.arc_sign.__code__.co_varnames else \
            dkim.arc_sign(message, selector.encode(), domain.encode(), key, srv_id.encode(),
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        sys.stdout.buffer.write(b"".join(fields) + message)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
