# Sourced by ./posthorn and .ci/run: sets JAVA_HOME to a JDK >= 25 (the release level: the FFM API, final since 22; 25 is the LTS) or explains why it cannot.
# Order: $JAVA_HOME if new enough, then the usual install locations (newest first), then `java` on PATH.

posthorn_java_major() {
    # Prints the feature version of the java binary given, e.g. 25 (or 0 if it does not run).
    "$1" -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1 | grep . || echo 0
}

posthorn_find_jdk() {
    local candidate
    for candidate in "${JAVA_HOME:-}" \
        $(ls -d /usr/lib/jvm/*/ /usr/local/lib/jvm/*/ /opt/java/*/ /Library/Java/JavaVirtualMachines/*/Contents/Home/ 2>/dev/null | sort -rV) \
        "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
        candidate="${candidate%/}"
        [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
        if [ "$(posthorn_java_major "$candidate/bin/java")" -ge 25 ]; then
            export JAVA_HOME="$candidate"
            return 0
        fi
    done
    {
        echo "posthorn: no JDK 25 or newer found (looked at \$JAVA_HOME, /usr/lib/jvm, /usr/local/lib/jvm, /opt/java, javac on PATH)."
        echo "  where the distribution packages it:  sudo apt-get install openjdk-25-jdk-headless"
        echo "  elsewhere: Temurin 25 from Adoptium's apt repository, https://adoptium.net/installation/linux/ (package temurin-25-jdk)"
        echo "  then run this again, or set JAVA_HOME to the JDK's directory."
    } >&2
    return 1
}
