#!/usr/bin/env bash
# =============================================================================================
# bench/run.sh — Posthorn against Postfix, side by side, on this machine. See BENCHMARKS.md.
#
#   bench/run.sh            the full run (about 15 minutes): throughput table, latency, memory,
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
# maildir baseline profile), BASELINE_REF (the git revision to compare Posthorn with, before/after;
# default: main), BL_OPTS (java options for the baseline only: BASELINE_REF=HEAD
# BL_OPTS=-Dposthorn.syncfs=false compares syncfs with per-file fsync), JAVA_HOME (a JDK >= 25; default the Temurin 25 under /usr/lib/jvm if present).
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
PH_MX=22525 PH_SUB=22587 PF_PORT=22526 BL_MX=22535
BASELINE_REF=${BASELINE_REF:-main}
RESULTS=${RESULTS_DIR:-$here/results}
if [ $QUICK = 1 ]; then
    REPEATS=1 RUN_SECONDS=0.5 RESULTS=$here/results/quick
fi
mkdir -p "$RESULTS" "$WORK"
# One run, one coherent set of results: drop what an earlier run left.
rm -f "$RESULTS"/*.txt "$RESULTS"/*.csv "$RESULTS"/*.collapsed "$RESULTS"/chart.png "$RESULTS"/RESULTS.md
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
BL_DATA=$WORK/baseline-data BL_PID= BL_JAR=
PF_DIR=$WORK/postfix
PH_OPTS=${PH_OPTS:-}

# After deleting many files: this machine's ext4 has no journal, and without one the kernel will not reuse an
# inode deleted less than 5 s ago (305 s while its inode table block is not yet written back): every file
# created in that window scans past each of them (find_inode_bit -> recently_deleted, one buffer lookup per
# inode). Measured 2026-12-02: right after the data directory of an earlier run was removed, creating Maildir
# files took 27% of Posthorn's CPU in the profile. So: write the inode tables back, then let the 5 s pass.
after_deleting_files() { sync; sleep 6; }

# start_posthorn JAR DATA_DIR MX_PORT SUBMISSION_PORT LOGFILE [java options]; prints the pid
start_posthorn() {
    local jar=$1 data=$2 mx=$3 sub=$4 log=$5 pid
    shift 5
    if [ -e "$data" ]; then
        rm -rf "$data"
        after_deleting_files
    fi
    mkdir -p "$data"
    # Mail authentication off: Postfix here checks no SPF/DKIM/DMARC either, and this machine's DNS may not
    # answer (then every message would wait for the resolver's time-out, measuring the resolver, not the server).
    printf '[limits]\nmax_connections = 12000\nmax_connections_per_ip = 12000\n[mailauth]\nenabled = false\n' > "$WORK/posthorn.toml"
    echo 'bench-password' | "$JAVA" -jar "$jar" user add bench@localhost \
        --data-dir "$data" --password-stdin >>"$LOG" 2>&1 || true
    # Builds with a web server would both want 8025 when two run side by side: turn it off where it exists.
    local web=()
    if "$JAVA" -jar "$jar" serve --help 2>/dev/null | grep -q -- --web-port; then web=(--web-port 0); fi
    # shellcheck disable=SC2086
    "$JAVA" $PH_OPTS "$@" -jar "$jar" serve --config "$WORK/posthorn.toml" \
        --data-dir "$data" --hostname posthorn-bench.localhost --domain localhost \
        --mx-port "$mx" --submission-port "$sub" --smtps-port 0 --bind 127.0.0.1 "${web[@]}" \
        >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$mx") 2>/dev/null; then echo $pid; return 0; fi
        sleep 0.2
    done
    echo "run.sh: Posthorn ($jar) did not start; see $log" >&2
    exit 1
}

stop_pid() {
    local pid=$1
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    fi
}

posthorn_start() { # [extra java options]
    posthorn_stop
    PH_PID=$(start_posthorn "$repo/posthorn-server/target/posthorn.jar" "$PH_DATA" $PH_MX $PH_SUB "$WORK/posthorn.log" "$@")
    [ -n "$PH_PID" ] || exit 1
}
posthorn_stop() { stop_pid "$PH_PID"; PH_PID=; }

baseline_build() {
    say "building the baseline Posthorn ($BASELINE_REF) for before/after"
    rm -rf "$WORK/baseline"
    mkdir -p "$WORK/baseline"
    git -C "$repo" archive "$BASELINE_REF" | tar -x -C "$WORK/baseline"
    (cd "$WORK/baseline" && ./mvnw -q -B -DskipTests package >>"$LOG" 2>&1)
    # Before the reactor split the jar was at the top; since, it is in the server module.
    BL_JAR=$WORK/baseline/posthorn-server/target/posthorn.jar
    [ -f "$BL_JAR" ] || BL_JAR=$WORK/baseline/target/posthorn.jar
}
baseline_start() {
    baseline_stop
    # shellcheck disable=SC2086
    BL_PID=$(start_posthorn "$BL_JAR" "$BL_DATA" $BL_MX 0 "$WORK/baseline.log" ${BL_OPTS:-})
    [ -n "$BL_PID" ] || exit 1
}
baseline_stop() { stop_pid "$BL_PID"; BL_PID=; }

postfix_start() {
    "$here/lib/postfix-instance.sh" setup "$PF_DIR" $PF_PORT >>"$LOG" 2>&1 || { echo "run.sh: Postfix setup failed, see $LOG" >&2; exit 1; }
    "$here/lib/postfix-instance.sh" start "$PF_DIR" $PF_PORT
}

postfix_stop() { "$here/lib/postfix-instance.sh" stop "$PF_DIR" $PF_PORT || true; }

cleanup() {
    posthorn_stop
    baseline_stop
    postfix_stop
    # The delivered mail can be gigabytes: keep it only when asked (KEEP=1).
    [ "${KEEP:-0}" = 1 ] || rm -rf "$PH_DATA" "$BL_DATA"
}
trap cleanup EXIT

queued_files() { find "$1/queue" -maxdepth 1 -name '*.env' 2>/dev/null | wc -l; }
# Delivered so far: the files in postmaster@localhost's Maildir new/ of an instance.
delivered() { local n; n=$(ls -f "$1/mail/localhost/postmaster/new" 2>/dev/null | wc -l); echo $(( n > 2 ? n - 2 : 0 )); }
delivered_of() { case $1 in posthorn) delivered "$PH_DATA" ;; baseline) delivered "$BL_DATA" ;; *) echo 0 ;; esac; }

# Waits until a server has delivered everything it accepted (at most 120 s) and prints how long
# that took; then flushes the page cache so the next run (of either server) starts on a quiet
# disk. Delivered mail stays, except big messages (disk space): deleting many files here would
# slow the next run's file creation (this ext4 has no journal and skips recently freed inodes).
settle() { # posthorn|baseline|postfix [expected_delivered [bytes]]
    local server=$1 expect=${2:-0} bytes=${3:-0} t0 data=
    t0=$(date +%s.%N)
    if [ "$server" = postfix ]; then
        "$here/lib/postfix-instance.sh" drained "$PF_DIR" $PF_PORT >&2 || say "warning: Postfix queue not empty"
    else
        data=$PH_DATA; [ "$server" = baseline ] && data=$BL_DATA
        for _ in $(seq 1200); do
            [ "$(queued_files "$data")" -eq 0 ] && [ "$(delivered "$data")" -ge "$expect" ] && break
            sleep 0.1
        done
        [ "$(delivered "$data")" -ge "$expect" ] || say "warning: $server delivered $(delivered "$data") of $expect after 120 s"
    fi
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f\n", b-a}'
    if [ -n "$data" ] && [ "$bytes" -ge 1048576 ]; then
        find "$data/mail" -path '*/new/*' -type f -delete 2>/dev/null || true
        say "  deleted $server's delivered mail (big messages)"
        after_deleting_files
    fi
    sync
    sleep 0.5
}

# Between scenarios: Posthorn's postmaster Maildir new/ is renamed aside (one rename, nothing deleted),
# so no scenario runs against a directory of hundreds of thousands of files left by the ones before.
ASIDE=0
set_aside_mail() {
    local data
    for data in "$PH_DATA" "$BL_DATA"; do
        if [ -d "$data/mail/localhost/postmaster/new" ]; then
            ASIDE=$((ASIDE + 1))
            mv "$data/mail/localhost/postmaster/new" "$data/mail/aside-$ASIDE"
        fi
    done
}

port_of() { case $1 in posthorn) echo $PH_MX ;; baseline) echo $BL_MX ;; *) echo $PF_PORT ;; esac; }

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
        local rev
        if rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null); then
            git -C "$repo" diff --quiet HEAD -- posthorn-server 2>/dev/null || rev+=" (with uncommitted changes)"
        else
            rev=unknown
        fi
        echo "posthorn: $rev"
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
# compare A B OUTFILE CSVFILE [scenario names...]: A and B in alternation on each scenario.
compare() {
    local A=$1 B=$2 out=$3 csv=$4
    shift 4
    local only=" $* "
    echo "scenario,server,run,sessions,bytes,reuse,messages,msgs_per_s,drain_s" > "$csv"
    : > "$out"
    printf '%-16s %12s %12s %8s   %s\n' scenario "$A/s" "$B/s" ratio "runs ($A | $B), drain after each run in s" \
        | tee -a "$out"
    while read -r name sessions bytes reuse lo hi; do
        [ -n "$name" ] || continue
        if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then continue; fi
        if [ -n "${SCENARIOS:-}" ] && [[ " $SCENARIOS " != *" $name "* ]]; then continue; fi
        if [ $QUICK = 1 ]; then lo=$(( lo / 4 > sessions ? lo / 4 : sessions )); hi=$((hi / 20)); fi
        local -A count=() rates=() drains=()
        local server r base d
        # Warm-up and calibration: a short run of each gives its rate; the measured runs are sized
        # to last about RUN_SECONDS for that server. The rate of a short run is mostly smtp-source's
        # start and its connections' set-up, so it is taken again from a run of the size it gave (a
        # fast server's measured runs had lasted 1.3 s instead of 3, each paying that fixed cost more).
        local pass n
        for server in $A $B; do
            n=$lo
            for pass in 1 2; do
                base=$(delivered_of $server)
                r=$(source_run "$server" "$sessions" "$n" "$bytes" "$reuse")
                [[ "$r" =~ ^[0-9.]+$ ]] || r=0
                settle "$server" $(( base + (${r%.*} > 0 ? n : 0) )) "$bytes" > /dev/null
                if [ "${r%.*}" -gt 0 ]; then
                    n=$(clamp "$(awk -v r="$r" -v s="$RUN_SECONDS" 'BEGIN{print r*s}')" "$lo" "$hi")
                else
                    say "  $name: calibration run $pass of $server failed, timed out or ran under 1 msg/s; sizing from $n messages"
                fi
            done
            count[$server]=$n
            rates[$server]="" drains[$server]=""
        done
        for ((i = 1; i <= REPEATS; i++)); do
            for server in $A $B; do
                base=$(delivered_of $server)
                r=$(source_run "$server" "$sessions" "${count[$server]}" "$bytes" "$reuse")
                local sent=0
                [[ "$r" =~ ^[0-9.]+$ ]] && sent=${count[$server]}
                d=$(settle "$server" $(( base + sent )) "$bytes")
                echo "$name,$server,$i,$sessions,$bytes,$reuse,${count[$server]},$r,$d" >> "$csv"
                rates[$server]+="$r " drains[$server]+="$d "
            done
        done
        local a b ratio
        a=$(echo "${rates[$A]}" | median)
        b=$(echo "${rates[$B]}" | median)
        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.2fx", a/b; else print "n/a"}')
        PEAK[$name,$A]=$a
        PEAK[$name,$B]=$b
        set_aside_mail
        printf '%-16s %12s %12s %8s   %s| %s| drain %s| %s\n' "$name" "$a" "$b" "$ratio" "${rates[$A]}" "${rates[$B]}" \
            "${drains[$A]}" "${drains[$B]}" | tee -a "$out"
    done <<< "$ALL_SCENARIOS"
}

# Warm-up before anything is measured: the JVM compiles its hot paths, Postfix fills its caches and
# process pools. Unmeasured.
warmup() { # messages servers...
    local n=$1 server
    shift
    [ $QUICK = 1 ] && n=$((n / 10))
    for server in "$@"; do
        source_run "$server" 20 "$n" 1024 1 > /dev/null
        source_run "$server" 20 $((n / 4)) 1024 0 > /dev/null
        source_run "$server" 20 $((n / 20)) 102400 1 > /dev/null
        source_run "$server" 1 $((n / 20)) 1024 0 > /dev/null
        settle "$server" 0 > /dev/null
    done
}

# Seconds the JIT has spent compiling so far (jstat: the elapsed time of every compilation, also by compiler
# threads that have exited since), and the CPU seconds of the whole process (user + system).
jit_seconds() { "$JAVA_HOME/bin/jstat" -compiler "$1" 2>/dev/null | awk 'NR == 2 {print $4}'; }
process_seconds() { cut -d')' -f2 "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{print ($12 + $13) / hz}'; }

# A JVM reaches its steady state only once the JIT compiler has stopped recompiling its hot paths, which on
# this load takes 60,000-90,000 messages (measured 2026-12-02: the compiler threads still took 10-20% of the
# server's CPU after the 27,000 messages of warmup()). Measured before that, every run also pays for
# compilation that a server running for more than a minute no longer does. So a Posthorn server gets more
# warm-up batches (20,000 messages, reused connections, 20 sessions) until, in one, the compile time (elapsed,
# which on a busy machine overstates the CPU it took: the rule errs towards more warm-up) was under 3% of the
# process's CPU time; at most JIT_WARMUP_MAX batches; the count and the last share go into jit-warmup.txt.
# The batches' mail is set aside like a scenario's, so the first scenario does not start on a full new/.
jit_warmup() { # posthorn|baseline
    local server=$1 pid max=${JIT_WARMUP_MAX:-8} n=20000 i share=n/a j0 p0 j1 p1 r
    pid=$PH_PID; [ "$server" = baseline ] && pid=$BL_PID
    [ $QUICK = 1 ] && max=1 n=2000
    for ((i = 1; i <= max; i++)); do
        j0=$(jit_seconds "$pid") p0=$(process_seconds "$pid")
        r=$(source_run "$server" 20 "$n" 1024 1)
        settle "$server" 0 > /dev/null
        j1=$(jit_seconds "$pid") p1=$(process_seconds "$pid")
        if ! [[ "$r" =~ ^[0-9.]+$ ]]; then
            say "  JIT warm-up: the batch failed ($r); no more batches"
            share=n/a
            break
        fi
        if ! [[ "$j0" =~ ^[0-9]+(\.[0-9]+)?$ && "$j1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
            say "  JIT warm-up: jstat cannot read $server's compile time; no more batches"
            share=n/a
            break
        fi
        share=$(awk -v j0="$j0" -v j1="$j1" -v p0="$p0" -v p1="$p1" \
            'BEGIN{printf "%.1f", (p1 > p0 ? 100 * (j1 - j0) / (p1 - p0) : 0)}')
        say "  JIT warm-up batch $i: compiling took ${share}% of $server's CPU"
        awk -v s="$share" 'BEGIN{exit !(s + 0 < 3)}' && break
    done
    set_aside_mail
    echo "$server: JIT warm-up after warmup(): $((i > max ? max : i)) batch(es) of $n messages; compiling's share of the CPU in the last: ${share}%" \
        >> "$RESULTS/jit-warmup.txt"
}

throughput() {
    warmup 20000 posthorn
    jit_warmup posthorn
    warmup 5000 postfix
    compare posthorn postfix "$RESULTS/throughput.txt" "$CSV"
}

# Same work: Postfix delivering into a Maildir (virtual(8), fsynced) instead of discarding.
maildir() {
    postfix_stop
    PF_DELIVERY=maildir postfix_start
    posthorn_start
    warmup 20000 posthorn
    jit_warmup posthorn
    warmup 2000 postfix
    compare posthorn postfix "$RESULTS/maildir.txt" "$RESULTS/maildir.csv" 1k-s1-conn 1k-s20-conn 1k-s20-reuse 100k-s20-reuse
    postfix_stop
}

# Before/after: this branch's Posthorn against BASELINE_REF's, on the scenarios the spool work is for.
baseline() {
    baseline_build
    baseline_start
    posthorn_start
    warmup 20000 posthorn
    jit_warmup posthorn
    warmup 20000 baseline
    jit_warmup baseline
    compare posthorn baseline "$RESULTS/baseline.txt" "$RESULTS/baseline.csv" 1k-s20-conn 1k-s20-reuse 100k-s20-reuse
    baseline_stop
}

# ---------------------------------------------------------------------------------------------
# latency: 20 sessions, reused connections, 1 KiB; closed loop (as fast as it goes) and open loop
# at half of the server's own measured peak (1k-s20-reuse).

latency() {
    : > "$RESULTS/latency.txt"
    local msgs=$([ $QUICK = 1 ] && echo 400 || echo 10000)
    for server in posthorn postfix; do
        local port peak half out
        port=$(port_of $server)
        out=$(load latency --port "$port" --sessions 20 --messages "$msgs" --seconds 20)
        echo "$server closed-loop $out" | tee -a "$RESULTS/latency.txt"
        settle $server > /dev/null
        peak=${PEAK[1k-s20-reuse,$server]:-}
        if ! [[ "$peak" =~ ^[0-9.]+$ ]]; then
            peak=$(sed -n 's/.* rate=\([0-9.]*\) .*/\1/p' <<< "$out")
        fi
        half=$(awk -v p="$peak" 'BEGIN{printf "%d", p/2}')
        local n=$(( half * $([ $QUICK = 1 ] && echo 2 || echo 10) ))
        out=$(load latency --port "$port" --sessions 20 --messages "$n" --rate "$half" --seconds 30)
        echo "$server half-peak $out" | tee -a "$RESULTS/latency.txt"
        settle $server > /dev/null
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
    settle posthorn > /dev/null
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
    settle posthorn > /dev/null
    out=$(load submission --port $PH_SUB --sessions 20 --messages $((msgs / 25)) --reuse false --seconds 30 \
        --user bench@localhost --password bench-password --from bench@localhost)
    echo "posthorn submission-conn $out" | tee -a "$RESULTS/submission.txt"
    settle posthorn > /dev/null
}

# ---------------------------------------------------------------------------------------------
# profile: CPU profile of Posthorn while smtp-source drives the 1k/20-session reused-connection
# scenario. async-profiler (from Maven Central, through the Maven wrapper) when it installs: it sees
# kernel time and virtual threads; else JFR.

. "$here/lib/async-profiler.sh"

profile() {
    local msgs=$([ $QUICK = 1 ] && echo 5000 || echo 40000) lib warm=$([ $QUICK = 1 ] && echo 2000 || echo 20000)
    if lib=$(async_profiler_lib); then
        local out=$WORK/profile.collapsed rate
        rm -f "$out"
        # Profiles the whole life of the server (written when it stops): the warm-up run's JIT work
        # shows under the compiler threads, apart from the sessions and delivery.
        posthorn_start "-agentpath:$lib=start,event=cpu,interval=1ms,threads,file=$out,collapsed"
        source_run posthorn 20 "$warm" 1024 1 > /dev/null
        settle posthorn "$warm" > /dev/null
        rate=$(source_run posthorn 20 "$msgs" 1024 1)
        settle posthorn $((warm + msgs)) > /dev/null
        posthorn_stop
        if [ -s "$out" ]; then
            {
                echo "async-profiler 4.1, event=cpu, 1 ms, whole server life: start, $warm messages warm-up, then"
                echo "1k-s20-reuse with $msgs messages at $rate msgs/s, and their delivery"
                python3 "$here/lib/profile-summary.py" "$out" 25
            } > "$RESULTS/profile.txt"
            cp "$out" "$RESULTS/profile.collapsed"
            say "profile written to $RESULTS/profile.txt"
            return
        fi
        say "async-profiler produced nothing; falling back to JFR"
    fi
    local jfr=$WORK/posthorn.jfr
    rm -f "$jfr"
    posthorn_start "-XX:StartFlightRecording=filename=$jfr,settings=profile,dumponexit=true"
    source_run posthorn 20 "$msgs" 1024 1 > /dev/null
    settle posthorn "$msgs" > /dev/null
    posthorn_stop
    {
        "$JAVA_HOME/bin/jfr" view --width 160 hot-methods "$jfr" 2>&1 | head -40
        "$JAVA_HOME/bin/jfr" view --width 160 allocation-by-site "$jfr" 2>&1 | head -25
    } > "$RESULTS/profile.txt"
    say "profile (JFR) written to $RESULTS/profile.txt"
}

# ---------------------------------------------------------------------------------------------
# chart and report

chart() {
    [ -s "$RESULTS/throughput.txt" ] || return 0
    awk 'NR>1 && $2 ~ /^[0-9.]+$/ && $3 ~ /^[0-9.]+$/ {print $1, $2, $3}' "$RESULTS/throughput.txt" \
        > "$WORK/chart.dat"
    [ -s "$WORK/chart.dat" ] || return 0
    # Drain (seconds until the queue is empty after a run): median per scenario and server, from runs.csv.
    : > "$WORK/drain.dat"
    if [ -s "$RESULTS/runs.csv" ]; then
        for sc in $(awk '{print $1}' "$WORK/chart.dat"); do
            p=$(awk -F, -v s="$sc" '$1==s && $2=="posthorn" {print $9}' "$RESULTS/runs.csv" | sort -n \
                | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "?"}')
            f=$(awk -F, -v s="$sc" '$1==s && $2=="postfix" {print $9}' "$RESULTS/runs.csv" | sort -n \
                | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "?"}')
            echo "$sc $p $f" >> "$WORK/drain.dat"
        done
    fi
    # The disk's fsync rate (SmtpLoad fsync, in machine.txt): what bounds every durable figure.
    local fsync
    fsync=$(sed -n 's/.*new_file_per_s=\([0-9.]*\).*/\1/p' "$RESULTS/machine.txt" 2>/dev/null | head -1)
    gnuplot <<EOF
set terminal pngcairo size 1400,1000 font "sans,11" noenhanced
set output "$RESULTS/chart.png"
set multiplot layout 2,1 title "disk: ${fsync:-?} fsynced new files per second (SmtpLoad fsync, this run)"
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
unset logscale y
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set title "Drain: seconds from the end of a run until the queue is empty (median of $REPEATS runs)"
set ylabel "seconds"
plot "$WORK/drain.dat" using 2:xtic(1) title "Posthorn (Maildir delivery)" lc rgb "#1f77b4", \
     "" using 3 title "Postfix (discard delivery)" lc rgb "#d62728"
unset multiplot
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
        echo
        echo '### Targets (issue #6)'
        echo
        python3 "$here/lib/targets.py" "$RESULTS"
        if [ -s "$RESULTS/throughput.txt" ]; then
            echo
            echo '### Throughput (smtp-source, messages/s, median; ratio = Posthorn / Postfix)'
            echo
            echo '| scenario | Posthorn msgs/s | Postfix msgs/s | ratio | runs Posthorn | runs Postfix | drain after run, Posthorn (s) | Postfix (s) |'
            echo '|---|---:|---:|---:|---|---|---|---|'
            awk 'NR>1 {n=split($0, parts, "|"); split(parts[1], a, " "); runs=""; for(i=5;i in a;i++) runs=runs a[i] " ";
                 sub(/^ *drain /, "", parts[3]);
                 printf "| %s | %s | %s | %s | %s| %s| %s| %s |\n", a[1], a[2], a[3], a[4], runs, parts[2], parts[3], parts[4]}' "$RESULTS/throughput.txt"
        fi
        if [ -s "$RESULTS/jit-warmup.txt" ]; then
            echo
            sed 's/$/  /' "$RESULTS/jit-warmup.txt"
        fi
        if [ -s "$RESULTS/maildir.txt" ]; then
            echo
            echo "### Same work: Postfix delivering to a Maildir (virtual(8)) instead of discard, smtp-source msgs/s"
            echo '```'
            cat "$RESULTS/maildir.txt"
            echo '```'
        fi
        if [ -s "$RESULTS/baseline.txt" ]; then
            echo
            echo "### Before/after: this branch (posthorn) against $BASELINE_REF (baseline), smtp-source msgs/s"
            echo '```'
            cat "$RESULTS/baseline.txt"
            echo '```'
        fi
        for part in latency memory submission profile; do
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
        echo "Posthorn: $JAVA ${PH_OPTS} -jar posthorn-server/target/posthorn.jar serve --config $WORK/posthorn.toml --data-dir $PH_DATA --hostname posthorn-bench.localhost --domain localhost --mx-port $PH_MX --submission-port $PH_SUB --smtps-port 0 --bind 127.0.0.1"
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
skipped maildir || { say "same work: Postfix with Maildir delivery"; maildir; }
postfix_stop
skipped baseline || { say "baseline (before/after)"; baseline; }
skipped memory || { say "memory"; memory; }
skipped profile || { say "profile"; profile; }
posthorn_stop
chart
report
say "done: $RESULTS"
cat "$RESULTS/throughput.txt" 2>/dev/null || true
