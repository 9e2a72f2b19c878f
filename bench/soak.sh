#!/usr/bin/env bash
# =============================================================================================
# bench/soak.sh — a long run with mixed load: does Posthorn keep working, lose nothing, and hold
# its memory? See BENCHMARKS.md, "Soak".
#
#   bench/soak.sh                 10 minutes (SECONDS_TOTAL=600)
#   SECONDS_TOTAL=60 bench/soak.sh   a short rehearsal
#
# Starts the packaged server (posthorn-server/target/posthorn.jar, built if missing) with -Xmx512m on a
# fresh data directory and loopback ports, then runs five load generators at once for the whole time
# (bench/SmtpLoad.java, open loop at fixed rates, every one bounded in time):
#   small    1 KiB    8 sessions, reused connections, 40 msg/s            (the journal path)
#   medium   64 KiB   4 sessions, reused connections, 10 msg/s
#   large    2 MiB    1 session,  reused connection,   1 msg/s            (the per-file spill path)
#   churn    4 KiB    4 sessions, a new connection per message, 10 msg/s
#   submit   8 KiB    2 sessions, STARTTLS + AUTH PLAIN per message, 2 msg/s (TLS handshakes, Argon2)
# Every 15 s it samples the server's RSS; every 60 s it asks for a full GC and records the live heap
# after it (jcmd GC.run, then GC.heap_info). At the end: the errors each generator saw, ERROR lines in
# the server log, and whether every message that got 250 is in the mailbox (nothing lost).
# Results: bench/results/soak/ (samples.csv, load.txt, summary.txt). Targets are loopback only.
# =============================================================================================
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/find-jdk.sh"
posthorn_find_jdk
JAVA="$JAVA_HOME/bin/java"
JCMD="$JAVA_HOME/bin/jcmd"

SECONDS_TOTAL=${SECONDS_TOTAL:-600}
WORK=${WORK:-/tmp/posthorn-soak}
OUT=${RESULTS_DIR:-$here/results/soak}
MX=24525 SUB=24587
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"

jar="$repo/posthorn-server/target/posthorn.jar"
if [ ! -f "$jar" ]; then
    (cd "$repo" && ./mvnw -q -B -ntp -DskipTests package)
fi

echo "bench-password" | "$JAVA" -jar "$jar" user add bench@localhost --password-stdin --data-dir "$WORK/data" >/dev/null
"$JAVA" -Xmx512m -jar "$jar" serve --data-dir "$WORK/data" --hostname soak.posthorn.test --domain localhost \
    --mx-port $MX --submission-port $SUB --smtps-port 0 > "$WORK/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    grep -q "listening on 127.0.0.1:$SUB" "$WORK/server.log" && break
    sleep 0.2
done

pids=()
load() { # name mode size sessions rate reuse
    timeout $((SECONDS_TOTAL + 120)) "$JAVA" "$here/SmtpLoad.java" "$2" --port "$([ "$2" = submission ] && echo $SUB || echo $MX)" \
        --size "$3" --sessions "$4" --rate "$5" --reuse "$6" --seconds "$SECONDS_TOTAL" --messages 100000000 \
        --from "$([ "$2" = submission ] && echo bench@localhost || echo sender@example.org)" \
        --to postmaster@localhost --user bench@localhost --password bench-password > "$WORK/load-$1.txt" 2>&1 &
    pids+=($!)
}
started=$(date +%s)
load small latency 1024 8 40 true
load medium latency 65536 4 10 true
load large latency 2097152 1 1 true
load churn latency 4096 4 10 false
load submit submission 8192 2 2 false

echo "seconds,rss_kib,live_heap_kib,load1" > "$OUT/samples.csv"
next_gc=60
while [ $(( $(date +%s) - started )) -lt "$SECONDS_TOTAL" ]; do
    sleep 15
    t=$(( $(date +%s) - started ))
    rss=$(awk '/^VmRSS:/ {print $2}' /proc/$server/status)
    live=""
    if [ "$t" -ge "$next_gc" ]; then
        "$JCMD" $server GC.run >/dev/null
        # G1: " garbage-first heap   total reserved ...K, committed ...K, used NK [...": live data after the GC.
        live=$("$JCMD" $server GC.heap_info | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -1)
        next_gc=$((next_gc + 60))
    fi
    echo "$t,$rss,$live,$(cut -d' ' -f1 /proc/loadavg)" >> "$OUT/samples.csv"
done
# Each generator stops at its own deadline and prints its RESULT line; wait for all of them.
for pid in "${pids[@]}"; do
    wait "$pid" || true
done

# Nothing lost: every 250 the generators counted is a file in the mailbox once delivery has caught up.
acknowledged=$(cat "$WORK"/load-*.txt | sed -n 's/^RESULT .* msgs=\([0-9]*\) .*/\1/p' | awk '{s+=$1} END {print s+0}')
mailbox="$WORK/data/mail/localhost/postmaster"
for _ in $(seq 300); do
    delivered=$(find "$mailbox/new" "$mailbox/cur" -type f 2>/dev/null | wc -l)
    [ "$delivered" -ge "$acknowledged" ] && break
    sleep 1
done
{
    echo "soak: ${SECONDS_TOTAL} s, $(date -u +%FT%TZ), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
    for f in "$WORK"/load-*.txt; do echo "$(basename "$f" .txt): $(grep '^RESULT' "$f" || tail -1 "$f")"; done
    echo "acknowledged (250) $acknowledged, delivered $delivered"
    echo "server ERROR lines: $(grep -c ' ERROR ' "$WORK/server.log" || true)"
    echo "server WARN lines: $(grep -c ' WARN ' "$WORK/server.log" || true)"
} | tee "$OUT/summary.txt"
grep -E ' (ERROR|WARN) ' "$WORK/server.log" | head -20 > "$OUT/server-warnings.txt" || true
kill $server
wait $server 2>/dev/null || true
rm -rf "$WORK/data/mail" "$WORK/data/queue"
