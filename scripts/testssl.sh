#!/usr/bin/env bash
# Runs testssl.sh (Debian package "testssl.sh") against Posthorn's STARTTLS submission port and its
# implicit-TLS port, writes the JSON findings, and fails if any finding is HIGH or CRITICAL.
#
#   scripts/testssl.sh [--out DIR] [--self-signed] [--fast]
#
# Posthorn is started with `./posthorn serve` on free loopback ports with a temporary data dir.
# By default it serves a certificate in certbot's layout (fullchain.pem, privkey.pem) issued by a
# throw-away test CA that testssl is told to trust (--add-ca), with the names localhost and 127.0.0.1:
# so the certificate checks (chain of trust, host name) are real checks and can pass. With
# --self-signed it serves the self-signed certificate Posthorn makes on first start instead; then the
# findings that only say "not signed by a trusted CA" are expected, listed, and not counted.
#
# Exit status: 0 no HIGH/CRITICAL finding, 1 some, 2 could not run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/target/testssl"
self_signed=false
fast=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --self-signed) self_signed=true; shift ;;
        --fast) fast=(--fast); shift ;;
        *) echo "usage: $0 [--out DIR] [--self-signed] [--fast]" >&2; exit 2 ;;
    esac
done

if ! command -v testssl >/dev/null 2>&1 && ! command -v testssl.sh >/dev/null 2>&1; then
    echo "testssl.sh is missing; installing Debian's package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends testssl.sh bsdextrautils >/dev/null \
        || { echo "cannot install testssl.sh" >&2; exit 2; }
fi
testssl_bin="$(command -v testssl || command -v testssl.sh)"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
mx_port="$(free_port)"; submission_port="$(free_port)"; smtps_port="$(free_port)"

config="$work/posthorn.toml"
cat >"$config" <<EOF
[server]
hostname = "localhost"
data_dir = "$work/data"
domains = ["localhost"]

[listen]
bind = ["127.0.0.1"]
mx_port = $mx_port
submission_port = $submission_port
smtps_port = $smtps_port

[web]
port = 0
EOF

add_ca=()
if ! $self_signed; then
    # A test CA and a server certificate for localhost / 127.0.0.1, in certbot's file layout.
    pki="$work/pki"; live="$pki/live/localhost"
    mkdir -p "$live"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 398 -subj "/CN=Posthorn testssl CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$live/privkey.pem" -out "$pki/server.csr" 2>/dev/null
    cat >"$pki/ext.cnf" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
crlDistributionPoints = URI:http://localhost/posthorn-test-ca.crl
EOF
    openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 90 \
        -extfile "$pki/ext.cnf" -out "$live/cert.pem" 2>/dev/null
    cat "$live/cert.pem" "$pki/ca.pem" >"$live/fullchain.pem"
    cat >>"$config" <<EOF

[tls]
cert = "$live/fullchain.pem"
key = "$live/privkey.pem"
EOF
    add_ca=(--add-ca "$pki/ca.pem")
fi

mkdir -p "$out"
"$root/posthorn" serve --config "$config" >"$out/posthorn.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    if grep -q "listening on 127.0.0.1:$smtps_port" "$out/posthorn.log" 2>/dev/null; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "posthorn did not start:" >&2; cat "$out/posthorn.log" >&2; exit 2
    fi
    sleep 0.5
done
grep -q "listening on 127.0.0.1:$smtps_port" "$out/posthorn.log" || { echo "posthorn did not start in time" >&2; exit 2; }
grep "TLS:" "$out/posthorn.log" >&2 || true

run_testssl() { # name, then testssl arguments before the target
    local name="$1"; shift
    rm -f "$out/$name.json" "$out/$name.txt"
    echo "== testssl $name" >&2
    # testssl's exit status counts findings; the JSON is what this script judges.
    "$testssl_bin" --quiet --color 0 --warnings off --nodns none --connect-timeout 10 --openssl-timeout 10 \
        "${fast[@]}" "${add_ca[@]}" --jsonfile "$out/$name.json" "$@" >"$out/$name.txt" 2>&1 || true
    [ -s "$out/$name.json" ] || { echo "testssl wrote no JSON for $name; see $out/$name.txt" >&2; exit 2; }
}
run_testssl starttls-submission --starttls smtp "127.0.0.1:$submission_port"
run_testssl implicit-tls "127.0.0.1:$smtps_port"

python3 - "$out" "$self_signed" <<'PY'
import json, sys, pathlib
out, self_signed = pathlib.Path(sys.argv[1]), sys.argv[2] == "true"
# With the self-signed certificate these say only that no trusted CA signed it (or that it lacks the
# revocation URLs a public CA adds): expected, shown, not counted.
SELF_SIGNED_ONLY = ("cert_chain_of_trust", "cert_trust", "cert_revocation", "cert_crlDistributionPoints",
                    "cert_ocspURL", "cert_caIssuers", "cert_notAfter", "cert_validityPeriod")
bad = 0
for name in ("starttls-submission", "implicit-tls"):
    findings = json.loads((out / f"{name}.json").read_text())
    by_severity = {}
    for f in findings:
        by_severity.setdefault(f.get("severity", "?"), []).append(f)
    print(f"== {name}: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(by_severity.items())))
    for f in findings:
        if f.get("id", "") in ("protocol_negotiated", "cipher_negotiated", "cipher_order") \
                or f.get("id", "").startswith(("SSLv", "TLS1", "cipherorder_")):
            print(f"   {f['id']}: {f['finding']}")
    for f in findings:
        sev = f.get("severity")
        if sev in ("HIGH", "CRITICAL", "MEDIUM", "LOW", "WARN"):
            expected = self_signed and f["id"].split(" ")[0] in SELF_SIGNED_ONLY
            counted = sev in ("HIGH", "CRITICAL") and not expected
            bad += counted
            tag = "FAIL" if counted else ("expected" if expected else "note")
            print(f"   [{tag}] {sev} {f['id']}: {f['finding']}")
print(f"HIGH/CRITICAL findings counted: {bad}")
sys.exit(1 if bad else 0)
PY
