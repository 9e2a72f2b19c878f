#!/usr/bin/env bash
# =============================================================================================
# bench/cpu-per-message.sh — how much CPU one message costs Posthorn at steady state, by thread.
#
#   bench/cpu-per-message.sh [JAR] [java options...]
#
# Why: on a 2-core machine the server, the load generator and the disk share everything, so msgs/s swings
# with whatever else runs; the CPU each message costs is steadier, and it is what a change to the code moves.
# What it does: starts the server (JAR, default the one built in posthorn-server/target) on a fresh data
# directory, warms it up with WARM messages (the JIT stops recompiling after 60,000-90,000 on this load),
# then sends N messages with smtp-source (SESSIONS sessions, reused connections, BYTES each) and reads the
# CPU time of every thread of the server from /proc before and after (the delivery of those messages
# included). With PROFILE=file.collapsed, async-profiler is attached over the measured messages only.
#
# Environment: WARM (60000), N (30000), SESSIONS (20), BYTES (1024), PORT (23525), WORK (/tmp/posthorn-cpu),
# PROFILE (unset). Loopback only. Needs smtp-source (Debian's postfix package; bench/run.sh installs it).
# =============================================================================================
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
JAR=${1:-$repo/posthorn-server/target/posthorn.jar}
[ $# -gt 0 ] && shift
WARM=${WARM:-60000} N=${N:-30000} SESSIONS=${SESSIONS:-20} BYTES=${BYTES:-1024} PORT=${PORT:-23525}
WORK=${WORK:-/tmp/posthorn-cpu}
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
. "$repo/scripts/find-jdk.sh"
posthorn_find_jdk
JAVA=$JAVA_HOME/bin/java
SRC=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[ -x "$SRC" ] || { echo "cpu-per-message.sh: smtp-source not found (apt-get install postfix)" >&2; exit 2; }

# A data directory deleted just before would slow file creation for a while (see after_deleting_files in
# bench/run.sh): write the inode tables back and let 5 s pass.
if [ -e "$WORK" ]; then rm -rf "$WORK"; sync; sleep 6; fi
mkdir -p "$WORK/data"
printf '[limits]\nmax_connections = 12000\nmax_connections_per_ip = 12000\n[mailauth]\nenabled = false\n' > "$WORK/posthorn.toml"
echo bench-password | "$JAVA" -jar "$JAR" user add bench@localhost --data-dir "$WORK/data" --password-stdin >/dev/null 2>&1
"$JAVA" "$@" -jar "$JAR" serve --config "$WORK/posthorn.toml" --data-dir "$WORK/data" --hostname cpu.localhost \
    --domain localhost --mx-port "$PORT" --submission-port 0 --smtps-port 0 --bind 127.0.0.1 --web-port 0 \
    > "$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done

send() { "$SRC" -d -s "$SESSIONS" -m "$1" -l "$BYTES" -f sender@example.org -t postmaster@localhost \
    -M load.localhost "127.0.0.1:$PORT"; }
delivered() { find "$WORK/data/mail" -path '*/new/*' -type f 2>/dev/null | wc -l; }
await_delivered() { for _ in $(seq 1200); do [ "$(delivered)" -ge "$1" ] && return 0; sleep 0.1; done
    echo "cpu-per-message.sh: only $(delivered) of $1 delivered after 120 s" >&2; exit 1; }
# CPU ticks per thread name (digits dropped, so the carrier threads add up), and the whole process.
ticks() {
    for t in /proc/"$PID"/task/*; do
        name=$(tr -d '0-9' < "$t/comm" 2>/dev/null) || continue
        stat=$(cut -d')' -f2 "$t/stat" 2>/dev/null) || continue
        echo "$name|$(echo "$stat" | awk '{print $12 + $13}')"
    done
    echo "(whole process)|$(cut -d')' -f2 "/proc/$PID/stat" | awk '{print $12 + $13}')"
}
sum_by_name() { awk -F'|' '{a[$1] += $2} END {for (k in a) print k "|" a[k]}' | sort; }

left=$WARM
while [ "$left" -gt 0 ]; do n=$(( left < 20000 ? left : 20000 )); send "$n"; left=$((left - n)); done
await_delivered "$WARM"
ticks | sum_by_name > "$WORK/before"
# start|stop,file=...: async-profiler attached to the running server by jcmd
profiler() { "$JAVA_HOME/bin/jcmd" "$PID" JVMTI.agent_load "$agent" "\"$1\"" >/dev/null; }
if [ -n "${PROFILE:-}" ]; then
    . "$here/lib/async-profiler.sh"
    LOG=$WORK/async-profiler.log
    agent=$(async_profiler_lib) || { echo "cpu-per-message.sh: async-profiler unavailable, see $LOG" >&2; exit 1; }
    profiler start,event=cpu,interval=1ms,threads
fi
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$WORK/source-time" "$SRC" -d -s "$SESSIONS" -m "$N" -l "$BYTES" -f sender@example.org \
    -t postmaster@localhost -M load.localhost "127.0.0.1:$PORT"
t1=$(date +%s.%N)
[ -z "${PROFILE:-}" ] || profiler "stop,file=$PROFILE,collapsed"
await_delivered $((WARM + N))
t2=$(date +%s.%N)
ticks | sum_by_name > "$WORK/after"
HZ=$(getconf CLK_TCK)
echo "$(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs, load average at the end $(cut -d' ' -f1 /proc/loadavg)"
echo "$N messages of $BYTES bytes, $SESSIONS sessions, reused connections, after $WARM of warm-up:" \
    "$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n/(b-a)}') msgs/s," \
    "delivered $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.2f", b-a}') s after the last"
echo "CPU per message, microseconds (the delivery included):"
# Threads started during the run count from zero. A thread that ended during it (a delivery worker whose lane
# was empty for a moment lingers 2 s and stops; the next batch starts another) takes its CPU time with it:
# that is the "threads that ended" line, the whole process minus the threads still there.
awk -F'|' -v n="$N" -v hz="$HZ" 'FNR == NR {before[$1] = $2; next}
    {d = ($2 - before[$1]) * 1e6 / hz / n; if ($1 == "(whole process)") whole = d; else listed += d
     if (d >= 1) printf "  %-28s %6.0f\n", $1, d}
    END {printf "  %-28s %6.0f\n", "(threads that ended)", whole - listed}' "$WORK/before" "$WORK/after"
awk -v n="$N" '{printf "  %-28s %6.0f\n", "smtp-source (the client)", ($1 + $2) * 1e6 / n}' "$WORK/source-time"
