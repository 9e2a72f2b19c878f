#!/usr/bin/env bash
# Outbound throughput: Posthorn vs Postfix relaying the same load to Postfix's smtp-sink, same machine, same run.
#
# For each server: smtp-source sends N messages over S parallel sessions to the server on loopback; the server
# relays them (static route / transport map) to its own smtp-sink; the clock stops when that sink has counted
# the N messages. Both servers fsync what they accept before answering 250, so the comparison is like for like.
# Both run at the same time and the rounds alternate, so load from other processes falls on both alike.
#
# Needs (Debian): postfix (for postfix, smtp-sink, smtp-source), a JDK >= 21. Runs as root (Postfix's master).
# Usage: bench/outbound.sh [messages] [sessions] [body-bytes] [rounds]
set -euo pipefail
N=${1:-5000}
S=${2:-20}
SIZE=${3:-4096}
ROUNDS=${4:-3}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/scripts/find-jdk.sh"
posthorn_find_jdk || exit 1
work="$(mktemp -d /tmp/posthorn-bench.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    [ -f "$work/postfix/conf/main.cf" ] && postfix -c "$work/postfix/conf" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 not listening" >&2; return 1; }

start_sink() {   # sets SINK_PORT, SINK_OUT
    SINK_PORT=$(free_port); SINK_OUT="$work/sink-$SINK_PORT.out"
    smtp-sink -c -u postfix "127.0.0.1:$SINK_PORT" 256 >"$SINK_OUT" 2>&1 &
    pids+=("$!"); wait_port "$SINK_PORT"
}
sink_count() { tr '\r' '\n' <"$1" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2; }

# Sends $2 messages to port $1 and prints the seconds until sink $3 has counted them all (on top of what it had).
measure() {
    local port=$1 count=$2 sink=$3 base start end n
    base=$(sink_count "$sink"); base=${base:-0}
    start=$(date +%s.%N)
    smtp-source -s "$S" -m "$count" -l "$SIZE" -f sender@bench.test -t rcpt@sink.test "127.0.0.1:$port" >/dev/null
    [ -n "${BENCH_VERBOSE:-}" ] && echo "  injected $count in $(python3 -c "import time; print(f'{time.time()-$start:.2f}')") s" >&2
    for _ in $(seq 1 12000); do
        n=$(sink_count "$sink"); n=${n:-0}
        [ "$n" -ge $((base + count)) ] && break
        sleep 0.02
    done
    end=$(date +%s.%N)
    [ "$n" -ge $((base + count)) ] || { echo "only $((n - base)) of $count messages reached the sink" >&2; return 1; }
    python3 -c "print(f'{$end-$start:.2f}')"
}

echo "Building Posthorn..." >&2
(cd "$here" && ./mvnw -q -B -DskipTests package >&2)

# --- Postfix ---------------------------------------------------------------------------------------------
start_sink
PF_PORT=$(free_port)
mkdir -p "$work/postfix/conf" "$work/postfix/queue" "$work/postfix/data"
chown postfix:postfix "$work/postfix/data"
cat >"$work/postfix/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $work/postfix/queue
data_directory = $work/postfix/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.bench.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = sink.test
transport_maps = texthash:$work/postfix/conf/transport
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = $work/postfix/maillog
maillog_file_prefixes = $work
CF
cat >"$work/postfix/conf/master.cf" <<CF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
CF
echo "sink.test smtp:[127.0.0.1]:$SINK_PORT" >"$work/postfix/conf/transport"
postfix -c "$work/postfix/conf" start >/dev/null
wait_port "$PF_PORT"
PF_SINK=$SINK_OUT

# --- Posthorn ----------------------------------------------------------------------------------------------
start_sink
PH_PORT=$(free_port)
cat >"$work/posthorn.toml" <<TOML
[server]
hostname = "posthorn.bench.test"
data_dir = "$work/posthorn-data"
domains = ["posthorn.bench.test"]

[listen]
mx_port = $PH_PORT
submission_port = 0
smtps_port = 0

[routes]
"sink.test" = "127.0.0.1:$SINK_PORT"
TOML
"$JAVA_HOME/bin/java" ${POSTHORN_JAVA_OPTS:-} -jar "$here/posthorn-server/target/posthorn.jar" serve --config "$work/posthorn.toml" \
    >"$work/posthorn.log" 2>&1 &
PH_PID=$!; pids+=("$PH_PID")
wait_port "$PH_PORT"
PH_SINK=$SINK_OUT

# --- Alternate rounds (Postfix, Posthorn, ...) so that load from elsewhere hits both alike; report medians ----
measure "$PF_PORT" $((N / 5)) "$PF_SINK" >/dev/null   # warm-up
measure "$PH_PORT" $((N / 5)) "$PH_SINK" >/dev/null   # warm-up: let the JIT compile the hot paths
PF_ALL=(); PH_ALL=()
for r in $(seq 1 "$ROUNDS"); do
    PF_ALL+=("$(measure "$PF_PORT" "$N" "$PF_SINK")")
    PH_ALL+=("$(measure "$PH_PORT" "$N" "$PH_SINK")")
    if [ -n "${BENCH_VERBOSE:-}" ]; then echo "  round $r: Postfix ${PF_ALL[-1]} s, Posthorn ${PH_ALL[-1]} s" >&2; fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
PF_SECS=$(median "${PF_ALL[@]}")
PH_SECS=$(median "${PH_ALL[@]}")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "outbound relay to smtp-sink: $N messages of ~$SIZE bytes, $S client sessions, median of $ROUNDS alternating rounds,"
echo "  $(nproc) cores ($cpu), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  Postfix rounds: ${PF_ALL[*]} s; Posthorn rounds: ${PH_ALL[*]} s"
python3 - "$N" "$PF_SECS" "$PH_SECS" <<'PY'
import sys
n, pf, ph = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"  Postfix   {pf:7.2f} s  {n/pf:8.0f} msg/s")
print(f"  Posthorn  {ph:7.2f} s  {n/ph:8.0f} msg/s  ({pf/ph*100:.0f}% of Postfix's rate)")
PY
