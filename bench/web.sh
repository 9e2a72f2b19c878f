#!/usr/bin/env bash
# Render time and throughput of the web pages: starts ./posthorn serve with the SMTP listeners off and the web
# server on a free loopback port, warms it up, then measures with wrk (Debian package "wrk"; installed if
# missing) the comparison page (en, tr), a code page and the explain page of a pasted Gmail bounce, and reads
# the server's own render time from the Server-Timing header. Loopback only; every run is bounded in time.
#
#   bench/web.sh [--duration SECONDS] [--connections N]      results in bench/results/web.txt
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
posthorn_find_jdk

duration=10
connections=16
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        *) echo "usage: bench/web.sh [--duration SECONDS] [--connections N]" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

./mvnw -q -B -DskipTests -pl posthorn-server -am package >/dev/null
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$JAVA_HOME/bin/java" -Xmx512m -jar posthorn-server/target/posthorn.jar serve --data-dir "$work/data" \
    --mx-port 0 --submission-port 0 --smtps-port 0 --web-port "$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 300); do curl -fs -o /dev/null "$base/en/codes" && break; sleep 0.2; done

gmail='550-5.7.26 This mail has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. 550 5.7.26 d9443c01a7336-2a0f0c1b2c3si12345.118 - gsmtp'
explain="/en/explain?line=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote_plus(sys.argv[1]))' "$gmail")"
pages=("/en/compare/220/530" "/tr/compare/220/530" "/en/codes/530" "$explain")
names=("compare en" "compare tr" "code 530" "explain (Gmail bounce)")

mkdir -p bench/results
out=bench/results/web.txt
{
    echo "bench/web.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), JDK $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
    echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "wrk: $connections connections, 2 threads, ${duration} s per page, after a 5 s warm-up per page"
    echo
    printf '%-24s %10s %9s %9s %9s %14s\n' page "req/s" "p50 ms" "p99 ms" "bytes" "render ms p50"
    for i in "${!pages[@]}"; do
        url="$base${pages[$i]}"
        wrk -t2 -c"$connections" -d5s "$url" >/dev/null
        result=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$url")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$result")
        p50=$(awk '$1=="50%" {print $2}' <<<"$result")
        p99=$(awk '$1=="99%" {print $2}' <<<"$result")
        bytes=$(curl -s -o /dev/null -w '%{size_download}' "$url")
        render=$(for _ in $(seq 21); do curl -s -D - -o /dev/null "$url" | awk -F'dur=' 'tolower($0) ~ /^server-timing/ {print $2+0}'; done \
            | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        printf '%-24s %10s %9s %9s %9s %14s\n' "${names[$i]}" "$rps" "$p50" "$p99" "$bytes" "$render"
    done
    echo
    echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
