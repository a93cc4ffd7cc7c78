# Shared by the bin/ launchers; sourced, not run.
# Usage (from a launcher):  GREYLITE_BIN=the launcher's real folder; . "$GREYLITE_BIN/launch.sh"; launch MAIN.CLASS "$@"
# GREYLITE_BIN is the folder of the launcher with its symlinks resolved: from a symlink's own folder
# neither this file nor the jars would be found.
#
# The programs run from the jars Maven puts in dist/target/lib. When they are missing
# (a fresh clone) the launcher builds them once, quietly, with tests skipped.
# JAVA_OPTS adds JVM options; GREYLITE_JAVA picks the java binary.

GREYLITE_HOME=$(cd "$GREYLITE_BIN/.." && pwd)
GREYLITE_LIB="$GREYLITE_HOME/dist/target/lib"

greylite_build_if_missing() {
    if [ ! -d "$GREYLITE_LIB" ] || [ -z "$(ls "$GREYLITE_LIB" 2>/dev/null)" ]; then
        echo "$(basename "$0"): first run, building the jars with Maven (once)..." >&2
        (cd "$GREYLITE_HOME" && mvn -q -B -DskipTests package) >&2 || {
            echo "$(basename "$0"): build failed; run 'mvn -DskipTests package' in $GREYLITE_HOME to see why" >&2
            exit 111
        }
    fi
}

launch() {
    main=$1
    shift
    greylite_build_if_missing
    # shellcheck disable=SC2086
    exec "${GREYLITE_JAVA:-java}" ${GREYLITE_DEFAULT_JAVA_OPTS:-} ${JAVA_OPTS:-} -cp "$GREYLITE_LIB/*" "$main" "$@"
}
