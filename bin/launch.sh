# Shared by the bin/ launchers; sourced, not run.
# Usage (from a launcher):  GREYLITE_BIN=the launcher's real folder; . "$GREYLITE_BIN/launch.sh"; launch MAIN.CLASS "$@"
# GREYLITE_BIN is the folder of the launcher with its symlinks resolved: from a symlink's own folder
# neither this file nor the jars would be found.
#
# The programs run from the jars Maven puts in dist/target/lib. When they are missing
# (a fresh clone) the launcher builds them once, quietly, with tests skipped.
# JAVA_OPTS adds JVM options; GREYLITE_JAVA picks the java binary (else the first java on PATH).

GREYLITE_HOME=$(cd "$GREYLITE_BIN/.." && pwd)
GREYLITE_LIB="$GREYLITE_HOME/dist/target/lib"

# The UCSPI programs (greylite, ucspi2socket, dnsblenv) have the connection on descriptor 1: the client's socket,
# or the pipe the wrapper reads as the upstream's replies. The JVM prints some things of its own on stdout (the
# thread dump that kill -QUIT asks of a stuck session, as of any Java program): that would be sent down the
# connection, in the middle of the SMTP dialogue. This option sends all of it to stderr, the log.
GREYLITE_UCSPI_JAVA_OPTS="-XX:+DisplayVMOutputToStderr"

greylite_build_if_missing() {
    if [ ! -d "$GREYLITE_LIB" ] || [ -z "$(ls "$GREYLITE_LIB" 2>/dev/null)" ]; then
        # Said before Maven is tried: without it, or as a user who cannot write the folder (a packager's
        # checkout run by the mail user, say), the build can only fail, and its own messages ("mvn: not found",
        # a local repository it cannot create) do not say that the jars are simply not built yet.
        if ! command -v mvn >/dev/null 2>&1; then
            echo "$(basename "$0"): the jars are not built (nothing in $GREYLITE_LIB) and Maven (mvn) is not on PATH: install Maven, or run 'mvn -DskipTests package' in $GREYLITE_HOME where it is" >&2
            exit 111
        fi
        if [ ! -w "$GREYLITE_HOME" ]; then
            echo "$(basename "$0"): the jars are not built (nothing in $GREYLITE_LIB) and $GREYLITE_HOME is not writable by this user: run 'mvn -DskipTests package' there as its owner" >&2
            exit 111
        fi
        # Launches started together on an unbuilt checkout (a tcpserver's first connections, one bin/greylite
        # each) each found the jars missing and started a build of its own, all writing the same target folders
        # at once. The first to take this lock builds; the others wait for it and then find the jars. flock
        # (util-linux) lets the lock go however the build ends; without flock each launch builds, as before.
        # Descriptor 9 holds the lock, and is closed before the program starts: it must not inherit it.
        if command -v flock >/dev/null 2>&1 && mkdir -p "$GREYLITE_HOME/dist/target" 2>/dev/null \
                && [ -w "$GREYLITE_HOME/dist/target" ]; then
            exec 9>>"$GREYLITE_HOME/dist/target/first-build.lock"
            flock 9
            if [ -n "$(ls "$GREYLITE_LIB" 2>/dev/null)" ]; then
                exec 9>&-
                return 0 # built meanwhile by the launch that held the lock
            fi
        fi
        echo "$(basename "$0"): first run, building the jars with Maven (once)..." >&2
        (cd "$GREYLITE_HOME" && mvn -q -B -DskipTests package) >&2 9>&- || {
            echo "$(basename "$0"): build failed; run 'mvn -DskipTests package' in $GREYLITE_HOME to see why" >&2
            exit 111
        }
        exec 9>&-
    fi
}

# The programs are compiled for Java 17. An older java fails on the first class with an
# UnsupportedClassVersionError that names class file versions, not the Java it needs, and no java at all
# gives the shell's "java: not found": both are said here in words, with what to do, before anything runs.
# The version is read from the JDK's release file (JAVA_VERSION="17.0.15"), beside bin/java once its
# symlinks (/usr/bin/java, the alternatives) are followed: no JVM is started for it, which bin/greylite,
# one JVM per connection, could not afford. Only a java without that file is asked with -version.
# Sets GREYLITE_JAVA_BIN, the java the launcher execs. (Every fork counts on bin/greylite's path: the version
# is read into a variable, not through a command substitution, and the read stops at its line.)
greylite_java_version() {
    release=$(readlink -f "$1" 2>/dev/null) || release=$1
    release=${release%/*}/../release
    version=
    if [ -r "$release" ]; then
        while IFS= read -r line; do
            case $line in JAVA_VERSION=*) version=${line#JAVA_VERSION=}; break ;; esac
        done < "$release"
    else
        version=$("$1" -version 2>&1)
        version=${version#*version }
        version=${version%%[[:space:]]*}
    fi
    version=${version#\"}
    version=${version%%\"*}
}

greylite_find_java() {
    GREYLITE_JAVA_BIN=$(command -v "${GREYLITE_JAVA:-java}") || {
        if [ -n "${GREYLITE_JAVA:-}" ]; then
            echo "$(basename "$0"): GREYLITE_JAVA=$GREYLITE_JAVA is not a program that can be run; greylite needs Java 17 or later" >&2
        else
            echo "$(basename "$0"): no java on PATH; greylite needs Java 17 or later: install a JDK 17+ or set GREYLITE_JAVA to its bin/java" >&2
        fi
        exit 111
    }
    greylite_java_version "$GREYLITE_JAVA_BIN"
    # 1.8.0_402 is Java 8; 11.0.2, 17, 21-ea are 11, 17, 21.
    major=${version#1.}
    major=${major%%[!0-9]*}
    if [ -n "$major" ] && [ "$major" -lt 17 ]; then
        echo "$(basename "$0"): $GREYLITE_JAVA_BIN is Java $version; greylite needs Java 17 or later: put a newer java first on PATH or set GREYLITE_JAVA to it" >&2
        exit 111
    fi
}

launch() {
    main=$1
    shift
    greylite_find_java
    greylite_build_if_missing
    # shellcheck disable=SC2086
    exec "$GREYLITE_JAVA_BIN" ${GREYLITE_DEFAULT_JAVA_OPTS:-} ${JAVA_OPTS:-} -cp "$GREYLITE_LIB/*" "$main" "$@"
}
