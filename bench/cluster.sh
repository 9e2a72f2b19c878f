#!/usr/bin/env bash
# The queue on files against the queue in PostgreSQL, and a three-node cluster on that PostgreSQL (issue 13).
#
# For each setup, smtp-source sends N messages over S sessions to Posthorn on loopback; Posthorn queues each
# durably before its 250 (files: the journal's group commit; PostgreSQL: a committed transaction,
# synchronous_commit = on, fsync = on) and relays it (static route) to Postfix's smtp-sink; the clock stops when
# the sink has counted all N. Setups:
#   files     one node, [store] kind = "files" (the default)
#   pg-1      one node, [store] kind = "postgresql"
#   pg-3      three nodes on the same database, smtp-source split over their three MX ports (N/3 each, S/3 sessions)
# PostgreSQL is a private cluster (initdb in a temp directory, run as the postgres user when we are root).
#
# Needs (Debian): postfix (smtp-source, smtp-sink), postgresql, a JDK >= 21.
# Usage: bench/cluster.sh [messages] [sessions] [body-bytes] [rounds]   -> bench/results/cluster.txt
set -euo pipefail
N=${1:-3000}
S=${2:-12}
SIZE=${3:-2048}
ROUNDS=${4:-2}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/scripts/find-jdk.sh"
posthorn_find_jdk || exit 1
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work="$(mktemp -d /tmp/posthorn-cluster.XXXXXX)"
chmod 755 "$work"
pids=()
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    [ -d "$work/pg" ] && as_pg "$PGBIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 not listening" >&2; return 1; }
sink_count() { tr '\r' '\n' <"$1" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2; }

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    echo "Building Posthorn..." >&2
    (cd "$here" && ./mvnw -q -B -ntp -DskipTests package >&2)
fi
cp "$here/posthorn-server/target/posthorn.jar" "$work/posthorn.jar"   # a rebuild meanwhile cannot touch the nodes'

# --- PostgreSQL ------------------------------------------------------------------------------------------
PG_PORT=$(free_port)
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$PGBIN/initdb" -D "$work/pg" -U posthorn --auth=trust -E UTF8 --locale=C >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w -o "-p $PG_PORT -k $work/pg -c listen_addresses=127.0.0.1 \
    -c fsync=on -c synchronous_commit=on -c max_connections=100" start >/dev/null
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U posthorn posthorn

# --- smtp-sink ---------------------------------------------------------------------------------------------
SINK_PORT=$(free_port); SINK_OUT="$work/sink.out"
smtp-sink -c -u postfix "127.0.0.1:$SINK_PORT" 256 >"$SINK_OUT" 2>&1 &
pids+=("$!"); wait_port "$SINK_PORT"

# start_node NAME STORE(files|postgresql) -> echoes the MX port once it listens
start_node() {
    local name=$1 kind=$2 port store=""; port=$(free_port)
    mkdir -p "$work/$name"
    [ "$kind" = postgresql ] && store="[store]
kind = \"postgresql\"
url = \"jdbc:postgresql://127.0.0.1:$PG_PORT/posthorn\"
user = \"posthorn\"
node_id = \"$name\"
pool_size = 12
poll_millis = 200"
    cat >"$work/$name.toml" <<TOML
[server]
hostname = "$name.bench.test"
data_dir = "$work/$name/data"
domains = ["posthorn.bench.test"]

[listen]
mx_port = $port
submission_port = 0
smtps_port = 0

[web]
port = 0

$store

[mailauth]
enabled = false

[routes]
"sink.test" = "127.0.0.1:$SINK_PORT"
TOML
    "$JAVA_HOME/bin/java" ${POSTHORN_JAVA_OPTS:-} -jar "$work/posthorn.jar" serve \
        --config "$work/$name.toml" >"$work/$name.log" 2>&1 &
    echo "$!" >"$work/$name.pid"   # called in $(...): the caller reads the pid from here
    wait_port "$port"
    echo "$port"
}
stop_node() { local p; p=$(cat "$work/$1.pid"); kill "$p"; wait "$p" 2>/dev/null || true; }

# measure COUNT PORT... : smtp-source split over the ports; prints the seconds until the sink counted COUNT more
measure() {
    local count=$1; shift
    local ports=("$@") k=${#ports[@]} base start end n sp=()
    base=$(sink_count "$SINK_OUT"); base=${base:-0}
    start=$(date +%s.%N)
    for p in "${ports[@]}"; do
        smtp-source -s $((S / k)) -m $((count / k)) -l "$SIZE" -f sender@bench.test -t rcpt@sink.test \
            "127.0.0.1:$p" >/dev/null &
        sp+=("$!")
    done
    for p in "${sp[@]}"; do wait "$p"; done
    for _ in $(seq 1 30000); do
        n=$(sink_count "$SINK_OUT"); n=${n:-0}
        [ "$n" -ge $((base + count / k * k)) ] && break
        sleep 0.02
    done
    end=$(date +%s.%N)
    [ "$n" -ge $((base + count / k * k)) ] || { echo "only $((n - base)) of $count reached the sink" >&2; return 1; }
    python3 -c "print(f'{$end-$start:.2f}')"
}

mkdir -p "$here/bench/results"
out="$here/bench/results/cluster.txt"
{
    echo "# bench/cluster.sh $N messages, $S sessions, $SIZE-byte bodies, $ROUNDS rounds; $(date -u '+%Y-%m-%d %H:%M UTC');" \
        "commit $(git -C "$here" rev-parse --short HEAD); $(nproc) cores; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
    echo "# setup  round  seconds  msgs/s (accepted, queued durably, relayed to smtp-sink)"
} >"$out"

run_setup() {   # NAME PORT...
    local name=$1; shift
    measure $((N / 5)) "$@" >/dev/null   # warm-up
    for r in $(seq 1 "$ROUNDS"); do
        local secs; secs=$(measure "$N" "$@")
        printf '%-6s %5d  %7s  %7.0f\n' "$name" "$r" "$secs" "$(python3 -c "print($N/$secs)")" | tee -a "$out"
    done
}

P=$(start_node files files); pids+=("$(cat "$work/files.pid")"); run_setup files "$P"; stop_node files
P=$(start_node pg1 postgresql); pids+=("$(cat "$work/pg1.pid")"); run_setup pg-1 "$P"; stop_node pg1
P1=$(start_node n1 postgresql); P2=$(start_node n2 postgresql); P3=$(start_node n3 postgresql)
pids+=("$(cat "$work/n1.pid")" "$(cat "$work/n2.pid")" "$(cat "$work/n3.pid")")
run_setup pg-3 "$P1" "$P2" "$P3"
echo "Results in $out" >&2
