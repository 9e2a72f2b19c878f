# Sourced by bench/run.sh and bench/cpu-per-message.sh. async_profiler_lib prints the path of async-profiler's
# agent (4.1, from Maven Central through the Maven wrapper, unpacked under $WORK); it needs $repo (the
# checkout), $WORK and $LOG (where the wrapper's and unzip's output go) set by the caller.
async_profiler_lib() {
    local jar=~/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1.jar
    [ -f "$jar" ] || (cd "$repo" && ./mvnw -q -B dependency:get -Dartifact=tools.profiler:async-profiler:4.1 >>"$LOG" 2>&1) || return 1
    mkdir -p "$WORK/async-profiler"
    (cd "$WORK/async-profiler" && unzip -o -q "$jar" 'linux-x64/*') 2>>"$LOG" || return 1
    [ -f "$WORK/async-profiler/linux-x64/libasyncProfiler.so" ] && echo "$WORK/async-profiler/linux-x64/libasyncProfiler.so"
}
