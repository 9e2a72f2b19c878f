#!/usr/bin/env bash
# =============================================================================================
# bench/run.sh — Posthorn against Postfix, side by side, on this machine. See BENCHMARKS.md.
#
#   bench/run.sh            the full run (about 25 minutes): throughput table, latency, memory,
#                           submission, profile; writes bench/results/ and the results section
#                           of BENCHMARKS.md, and prints the table.
#   bench/run.sh --quick    a smoke test of the harness: few messages, one run each (1-2 minutes);
#                           writes to bench/results/quick/ only.
#
# What it does: builds Posthorn, starts it on a fresh data directory and a private Postfix
# (postfix -c, its own queue, discard delivery) on loopback ports, warms both up, then drives
# them with Postfix's smtp-source in alternation (A B A B ...), REPEATS runs per scenario, and
# reports the median msgs/s of each and their ratio. Message counts are sized per server so a
# run lasts about RUN_SECONDS, within fixed bounds; every run is under `timeout`.
#
# Environment: REPEATS (3), RUN_SECONDS (3), WORK (/tmp/posthorn-bench), SCENARIOS (all, or
# a space-separated list of scenario names), SKIP (any of: throughput latency memory submission
# profile), JAVA_HOME (a JDK >= 21; default the Temurin 25 under /usr/lib/jvm if present).
#
# Targets are loopback only (127.0.0.1); nothing here sends to any other address.
# =============================================================================================
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
REPEATS=${REPEATS:-3}
RUN_SECONDS=${RUN_SECONDS:-3}
WORK=${WORK:-/tmp/posthorn-bench}
SKIP=${SKIP:-}
PH_MX=22525 PH_SUB=22587 PF_PORT=22526
RESULTS=$here/results
if [ $QUICK = 1 ]; then
    REPEATS=1 RUN_SECONDS=0.5 RESULTS=$here/results/quick
fi
mkdir -p "$RESULTS" "$WORK"
CSV=$RESULTS/runs.csv
LOG=$RESULTS/run.log
: > "$LOG"

say() { printf '%s %s\n' "$(date -u +%T)" "$*" | tee -a "$LOG" >&2; }
skipped() { [[ " $SKIP " == *" $1 "* ]]; }

# ---------------------------------------------------------------------------------------------
# tools

[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (it starts a private Postfix)" >&2; exit 2; }
need_apt=()
command -v smtp-source >/dev/null || [ -x /usr/sbin/smtp-source ] || need_apt+=(postfix)
command -v gnuplot >/dev/null || need_apt+=(gnuplot-nox)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
SRC=$(command -v smtp-source || echo /usr/sbin/smtp-source)
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
. "$repo/scripts/find-jdk.sh"
posthorn_find_jdk
JAVA=$JAVA_HOME/bin/java
# 10,000 connections need 10,000 descriptors in the server and in the client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge 10100 ] || say "warning: ulimit -n is $(ulimit -n); the 10,000-connection test needs more"

say "building Posthorn and the load generator"
(cd "$repo" && ./mvnw -q -B -DskipTests package >>"$LOG" 2>&1)
mkdir -p "$WORK/classes"
"$JAVA_HOME/bin/javac" -d "$WORK/classes" "$here/SmtpLoad.java"
load() { "$JAVA" -cp "$WORK/classes" SmtpLoad "$@"; }

# ---------------------------------------------------------------------------------------------
# servers

PH_DATA=$WORK/posthorn-data PH_PID=
PF_DIR=$WORK/postfix
PH_OPTS=${PH_OPTS:-}

posthorn_start() { # [extra java options]
    posthorn_stop
    rm -rf "$PH_DATA"
    mkdir -p "$PH_DATA"
    cat > "$WORK/posthorn.toml" <<EOF
[limits]
max_connections = 12000
max_connections_per_ip = 12000
EOF
    echo 'bench-password' | "$JAVA" -jar "$repo/target/posthorn.jar" user add bench@localhost \
        --data-dir "$PH_DATA" --password-stdin >>"$LOG" 2>&1
    # shellcheck disable=SC2086
    "$JAVA" $PH_OPTS "$@" -jar "$repo/target/posthorn.jar" serve --config "$WORK/posthorn.toml" \
        --data-dir "$PH_DATA" --hostname posthorn-bench.localhost --domain localhost \
        --mx-port $PH_MX --submission-port $PH_SUB --smtps-port 0 --bind 127.0.0.1 \
        >"$WORK/posthorn.log" 2>&1 &
    PH_PID=$!
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/$PH_MX) 2>/dev/null && return 0
        sleep 0.2
    done
    echo "run.sh: Posthorn did not start; see $WORK/posthorn.log" >&2
    exit 1
}

posthorn_stop() {
    if [ -n "$PH_PID" ] && kill -0 "$PH_PID" 2>/dev/null; then
        kill "$PH_PID"
        for _ in $(seq 100); do kill -0 "$PH_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$PH_PID" 2>/dev/null || true
    fi
    PH_PID=
}

postfix_start() {
    "$here/lib/postfix-instance.sh" setup "$PF_DIR" $PF_PORT >>"$LOG" 2>&1
    "$here/lib/postfix-instance.sh" start "$PF_DIR" $PF_PORT
}

postfix_stop() { "$here/lib/postfix-instance.sh" stop "$PF_DIR" $PF_PORT || true; }

cleanup() {
    posthorn_stop
    postfix_stop
}
trap cleanup EXIT

posthorn_queued() { find "$PH_DATA/queue" -maxdepth 1 -name '*.env' 2>/dev/null | wc -l; }

# Waits until a server has delivered everything it accepted, then removes the delivered mail and
# flushes the page cache, so the next run (of either server) starts on a quiet disk.
settle() { # posthorn|postfix
    local i
    if [ "$1" = posthorn ]; then
        for i in $(seq 1200); do [ "$(posthorn_queued)" -eq 0 ] && break; sleep 0.1; done
        [ "$(posthorn_queued)" -eq 0 ] || say "warning: Posthorn queue not empty after 120 s"
        find "$PH_DATA/mail" -path '*/new/*' -type f -delete 2>/dev/null || true
    else
        "$here/lib/postfix-instance.sh" drained "$PF_DIR" $PF_PORT || say "warning: Postfix queue not empty"
    fi
    sync
    sleep 0.5
}

port_of() { [ "$1" = posthorn ] && echo $PH_MX || echo $PF_PORT; }

# One smtp-source run; prints msgs/s, or FAIL/TIMEOUT.
source_run() { # server sessions messages bytes reuse(0|1)
    local server=$1 sessions=$2 msgs=$3 bytes=$4 reuse=$5 flags=() t0 t1 rc err
    [ "$reuse" = 1 ] && flags+=(-d)
    local limit=$((60 + msgs * bytes / 20000000))
    t0=$(date +%s.%N)
    set +e
    err=$(timeout "$limit" "$SRC" "${flags[@]}" -s "$sessions" -m "$msgs" -l "$bytes" \
        -f sender@example.org -t postmaster@localhost -M load.bench.localhost "127.0.0.1:$(port_of "$server")" 2>&1)
    rc=$?
    set -e
    t1=$(date +%s.%N)
    if [ $rc = 124 ]; then echo TIMEOUT; return; fi
    if [ $rc != 0 ]; then say "  $server: smtp-source failed: ${err//$'\n'/ | }"; echo FAIL; return; fi
    awk -v m="$msgs" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", m/(b-a)}'
}

median() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g |
    awk '{v[NR]=$1} END{if(NR==0)print "n/a"; else if(NR%2)print v[(NR+1)/2]; else printf "%.1f\n",(v[NR/2]+v[NR/2+1])/2}'; }

clamp() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN{v=int(v); if(v<lo)v=lo; if(v>hi)v=hi; print v}'; }

# ---------------------------------------------------------------------------------------------
# machine

machine_info() {
    {
        echo "date: $(date -u +%FT%TZ)"
        echo "kernel: $(uname -r)"
        lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|Hypervisor)'
        free -g | sed 's/^/    /'
        echo "filesystem: $(findmnt -no SOURCE,FSTYPE,OPTIONS -T "$WORK")"
        lsblk -dno NAME,SIZE,ROTA,MODEL 2>/dev/null | sed 's/^/disk: /'
        echo "jdk: $("$JAVA" -version 2>&1 | head -2 | tr '\n' ' ')"
        echo "postfix: $(postconf -d -h mail_version 2>/dev/null)"
        echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
        load fsync --dir "$WORK" --ops $([ $QUICK = 1 ] && echo 300 || echo 2000) --seconds 30
    } > "$RESULTS/machine.txt" 2>&1
    cat "$RESULTS/machine.txt" >> "$LOG"
}

# ---------------------------------------------------------------------------------------------
# throughput

# name sessions bytes reuse min_msgs max_msgs
ALL_SCENARIOS="
1k-s1-conn     1    1024     0  200   20000
1k-s1-reuse    1    1024     1  200   20000
1k-s20-conn    20   1024     0  400   40000
1k-s20-reuse   20   1024     1  400   60000
1k-s200-conn   200  1024     0  800   40000
1k-s200-reuse  200  1024     1  800   60000
100k-s1-conn   1    102400   0  50    5000
100k-s1-reuse  1    102400   1  50    5000
100k-s20-conn  20   102400   0  100   10000
100k-s20-reuse 20   102400   1  100   10000
100k-s200-conn 200  102400   0  400   10000
100k-s200-reuse 200 102400   1  400   10000
10m-s1-conn    1    10485760 0  4     100
10m-s20-conn   20   10485760 0  20    200
10m-s20-reuse  20   10485760 1  20    200
"

declare -A PEAK
throughput() {
    echo "scenario,server,run,sessions,bytes,reuse,messages,msgs_per_s" > "$CSV"
    : > "$RESULTS/throughput.txt"
    printf '%-16s %12s %12s %8s   %s\n' scenario posthorn/s postfix/s ratio "runs (posthorn | postfix)" \
        | tee -a "$RESULTS/throughput.txt"
    while read -r name sessions bytes reuse lo hi; do
        [ -n "$name" ] || continue
        if [ -n "${SCENARIOS:-}" ] && [[ " $SCENARIOS " != *" $name "* ]]; then continue; fi
        if [ $QUICK = 1 ]; then lo=$(( lo / 4 > sessions ? lo / 4 : sessions )); hi=$((hi / 20)); fi
        declare -A count rates
        # Warm-up and calibration: a short run of each gives its rate; the measured runs are sized
        # to last about RUN_SECONDS for that server.
        for server in posthorn postfix; do
            local r
            r=$(source_run "$server" "$sessions" "$lo" "$bytes" "$reuse")
            settle "$server"
            [[ "$r" =~ ^[0-9.]+$ ]] || r=0
            count[$server]=$(clamp "$(awk -v r="$r" -v s="$RUN_SECONDS" 'BEGIN{print r*s}')" "$lo" "$hi")
            rates[$server]=""
        done
        for ((i = 1; i <= REPEATS; i++)); do
            for server in posthorn postfix; do
                local rate
                rate=$(source_run "$server" "$sessions" "${count[$server]}" "$bytes" "$reuse")
                echo "$name,$server,$i,$sessions,$bytes,$reuse,${count[$server]},$rate" >> "$CSV"
                rates[$server]+="$rate "
                settle "$server"
            done
        done
        local a b ratio
        a=$(echo "${rates[posthorn]}" | median)
        b=$(echo "${rates[postfix]}" | median)
        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.2fx", a/b; else print "n/a"}')
        PEAK[$name,posthorn]=$a
        PEAK[$name,postfix]=$b
        printf '%-16s %12s %12s %8s   %s| %s\n' "$name" "$a" "$b" "$ratio" "${rates[posthorn]}" "${rates[postfix]}" \
            | tee -a "$RESULTS/throughput.txt"
        unset count rates
    done <<< "$ALL_SCENARIOS"
}

# ---------------------------------------------------------------------------------------------
# latency: 20 sessions, reused connections, 1 KiB; closed loop (as fast as it goes) and open loop
# at half of the server's own measured peak (1k-s20-reuse).

latency() {
    : > "$RESULTS/latency.txt"
    local msgs=$([ $QUICK = 1 ] && echo 400 || echo 20000)
    for server in posthorn postfix; do
        local port peak half out
        port=$(port_of $server)
        out=$(load latency --port "$port" --sessions 20 --messages "$msgs" --seconds 20)
        echo "$server closed-loop $out" | tee -a "$RESULTS/latency.txt"
        settle $server
        peak=${PEAK[1k-s20-reuse,$server]:-}
        if ! [[ "$peak" =~ ^[0-9.]+$ ]]; then
            peak=$(sed -n 's/.* rate=\([0-9.]*\) .*/\1/p' <<< "$out")
        fi
        half=$(awk -v p="$peak" 'BEGIN{printf "%d", p/2}')
        local n=$(( half * $([ $QUICK = 1 ] && echo 2 || echo 10) ))
        out=$(load latency --port "$port" --sessions 20 --messages "$n" --rate "$half" --seconds 30)
        echo "$server half-peak $out" | tee -a "$RESULTS/latency.txt"
        settle $server
    done
}

# ---------------------------------------------------------------------------------------------
# memory: 10,000 idle connections after EHLO, then the same connections busy at a low rate

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
heap_used_kb() { "$JAVA_HOME/bin/jcmd" "$1" GC.heap_info 2>/dev/null | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -1; }

memory() {
    : > "$RESULTS/memory.txt"
    local conns=$([ $QUICK = 1 ] && echo 1000 || echo 10000)
    local rate=$([ $QUICK = 1 ] && echo 100 || echo 500)
    local busy=$([ $QUICK = 1 ] && echo 5 || echo 20)
    posthorn_start
    echo "posthorn idle-before rss_kb=$(rss_kb $PH_PID) heap_used_kb=$(heap_used_kb $PH_PID)" | tee -a "$RESULTS/memory.txt"
    local out=$WORK/hold.out
    load hold --port $PH_MX --connections "$conns" --hold 15 --seconds 60 > "$out" 2>&1 &
    local holder=$!
    for _ in $(seq 300); do grep -q '^HELD' "$out" && break; sleep 0.2; done
    sleep 3
    local rss heap heap_gc
    rss=$(rss_kb $PH_PID); heap=$(heap_used_kb $PH_PID)
    "$JAVA_HOME/bin/jcmd" $PH_PID GC.run >/dev/null 2>&1 || true
    heap_gc=$(heap_used_kb $PH_PID)
    echo "posthorn idle $(grep '^HELD' "$out") rss_kb=$rss heap_used_kb=$heap heap_after_gc_kb=$heap_gc" \
        | tee -a "$RESULTS/memory.txt"
    wait $holder || true
    grep '^RESULT' "$out" | sed 's/^/posthorn idle /' >> "$RESULTS/memory.txt"
    # Busy: the held connections send transactions at a low total rate; sample RSS meanwhile.
    load hold --port $PH_MX --connections "$conns" --hold "$busy" --rate "$rate" --seconds 90 > "$out" 2>&1 &
    holder=$!
    local max=0
    while kill -0 $holder 2>/dev/null; do
        rss=$(rss_kb $PH_PID); [ "${rss:-0}" -gt "$max" ] && max=$rss
        sleep 1
    done
    wait $holder || true
    heap=$(heap_used_kb $PH_PID)
    echo "posthorn busy rate=$rate/s max_rss_kb=$max heap_used_kb_after=$heap $(grep '^RESULT' "$out")" \
        | tee -a "$RESULTS/memory.txt"
    settle posthorn
}

# ---------------------------------------------------------------------------------------------
# submission: STARTTLS + AUTH PLAIN on the submission port (Posthorn only: the private Postfix has
# no SASL), reused connections and a connection (and TLS handshake and AUTH) per message.

submission() {
    : > "$RESULTS/submission.txt"
    local msgs=$([ $QUICK = 1 ] && echo 200 || echo 5000)
    local out
    out=$(load submission --port $PH_SUB --sessions 20 --messages "$msgs" --seconds 30 \
        --user bench@localhost --password bench-password --from bench@localhost)
    echo "posthorn submission-reuse $out" | tee -a "$RESULTS/submission.txt"
    settle posthorn
    out=$(load submission --port $PH_SUB --sessions 20 --messages $((msgs / 10)) --reuse false --seconds 30 \
        --user bench@localhost --password bench-password --from bench@localhost)
    echo "posthorn submission-conn $out" | tee -a "$RESULTS/submission.txt"
    settle posthorn
}

# ---------------------------------------------------------------------------------------------
# profile: JFR while smtp-source drives the 1k/20-session reused-connection scenario

profile() {
    local jfr=$WORK/posthorn.jfr
    rm -f "$jfr"
    posthorn_start "-XX:StartFlightRecording=filename=$jfr,settings=profile,dumponexit=true"
    local msgs=$([ $QUICK = 1 ] && echo 2000 || echo 60000)
    source_run posthorn 20 "$msgs" 1024 1 > /dev/null
    settle posthorn
    posthorn_stop
    {
        "$JAVA_HOME/bin/jfr" view --width 160 hot-methods "$jfr" 2>&1 | head -40
        "$JAVA_HOME/bin/jfr" view --width 160 allocation-by-site "$jfr" 2>&1 | head -25
        "$JAVA_HOME/bin/jfr" summary "$jfr" 2>&1 | grep -E 'jdk.ExecutionSample|jdk.FileForce|jdk.SocketRead' | head
    } > "$RESULTS/profile.txt"
    say "profile written to $RESULTS/profile.txt"
}

# ---------------------------------------------------------------------------------------------
# chart and report

chart() {
    [ -s "$RESULTS/throughput.txt" ] || return 0
    awk 'NR>1 && $2 ~ /^[0-9.]+$/ && $3 ~ /^[0-9.]+$/ {print $1, $2, $3}' "$RESULTS/throughput.txt" \
        > "$WORK/chart.dat"
    [ -s "$WORK/chart.dat" ] || return 0
    gnuplot <<EOF
set terminal pngcairo size 1400,700 font "sans,11" noenhanced
set output "$RESULTS/chart.png"
set title "Posthorn vs Postfix 3.7: durable SMTP acceptance (msgs/s, log scale; median of $REPEATS runs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set yrange [1:*]
set ylabel "messages per second"
set xtics rotate by -35 scale 0
set grid ytics
set key top right
plot "$WORK/chart.dat" using 2:xtic(1) title "Posthorn" lc rgb "#1f77b4", \
     "" using 3 title "Postfix (discard delivery)" lc rgb "#d62728"
EOF
}

report() {
    local out=$RESULTS/RESULTS.md
    {
        echo "Generated by \`bench/run.sh\` on $(date -u +'%F %T') UTC (repeats: $REPEATS, run length ~${RUN_SECONDS}s)."
        echo
        echo '### Machine'
        echo '```'
        cat "$RESULTS/machine.txt"
        echo '```'
        if [ -s "$RESULTS/throughput.txt" ]; then
            echo
            echo '### Throughput (smtp-source, messages/s, median; ratio = Posthorn / Postfix)'
            echo
            echo '| scenario | Posthorn msgs/s | Postfix msgs/s | ratio | runs Posthorn | runs Postfix |'
            echo '|---|---:|---:|---:|---|---|'
            awk 'NR>1 {split($0, parts, "|"); n=split(parts[1], a, " "); runs=""; for(i=5;i<=n;i++) runs=runs a[i] " ";
                 printf "| %s | %s | %s | %s | %s| %s |\n", $1, $2, $3, $4, runs, parts[2]}' "$RESULTS/throughput.txt"
        fi
        for part in latency memory submission; do
            [ -s "$RESULTS/$part.txt" ] || continue
            echo
            echo "### ${part^}"
            echo '```'
            cat "$RESULTS/$part.txt"
            echo '```'
        done
        echo
        echo '### Command lines'
        echo '```'
        echo "Posthorn: $JAVA ${PH_OPTS} -jar target/posthorn.jar serve --config $WORK/posthorn.toml --data-dir $PH_DATA --hostname posthorn-bench.localhost --domain localhost --mx-port $PH_MX --submission-port $PH_SUB --smtps-port 0 --bind 127.0.0.1"
        echo "Postfix:  postfix -c $PF_DIR/etc start   (config: bench/lib/postfix-instance.sh)"
        echo "load:     $SRC [-d] -s SESSIONS -m MESSAGES -l BYTES -f sender@example.org -t postmaster@localhost -M load.bench.localhost 127.0.0.1:PORT"
        echo "latency:  java -cp classes SmtpLoad latency --port PORT --sessions 20 --messages N [--rate R]"
        echo "memory:   java -cp classes SmtpLoad hold --port $PH_MX --connections 10000 --hold 15 [--rate 500]"
        echo "submit:   java -cp classes SmtpLoad submission --port $PH_SUB --sessions 20 --messages N [--reuse false] --user bench@localhost"
        echo '```'
    } > "$out"
    if [ $QUICK = 0 ] && [ -f "$repo/BENCHMARKS.md" ] && grep -q '<!-- results:begin -->' "$repo/BENCHMARKS.md"; then
        awk -v f="$out" '
            /<!-- results:begin -->/ {print; while ((getline line < f) > 0) print line; skip=1; next}
            /<!-- results:end -->/ {skip=0}
            !skip {print}' "$repo/BENCHMARKS.md" > "$WORK/BENCHMARKS.md.new"
        mv "$WORK/BENCHMARKS.md.new" "$repo/BENCHMARKS.md"
    fi
}

# ---------------------------------------------------------------------------------------------

say "machine and disk"
machine_info
say "starting Posthorn ($PH_MX) and Postfix ($PF_PORT)"
posthorn_start
postfix_start
skipped throughput || { say "throughput"; throughput; }
skipped latency || { say "latency"; latency; }
skipped submission || { say "submission"; submission; }
postfix_stop
skipped memory || { say "memory"; memory; }
skipped profile || { say "profile"; profile; }
posthorn_stop
chart
report
say "done: $RESULTS"
cat "$RESULTS/throughput.txt" 2>/dev/null || true
