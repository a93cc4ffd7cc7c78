#!/usr/bin/env bash
# The long fuzzing run: each target for SECONDS (default 3600) under Jazzer's own driver, with a memory bound,
# its corpus kept in fuzz/target/corpus/TARGET so the next run starts where this one stopped.
#   fuzz/run-long.sh                      every target, an hour each
#   fuzz/run-long.sh ReplyAssembler 600   one target (a class name without FuzzTest), ten minutes
# 'mvn verify' runs each target for 3 s (the short run); a finding is saved as fuzz/target/corpus/crash-*.
set -euo pipefail
# Help, or SECONDS that is not a count, before anything is compiled.
case "${1:-}" in
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
case "${2:-3600}" in
    ''|*[!0-9]*) echo "usage: fuzz/run-long.sh [TARGET [SECONDS]]  (--help for more)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
seconds=${2:-3600}
# class:method, one per target (each test class holds one @FuzzTest method).
targets=$(grep -rl '@FuzzTest' fuzz/src/test/java | while read -r f; do
    class=$(echo "${f#fuzz/src/test/java/}" | sed 's/\.java$//; s#/#.#g')
    method=$(grep -A1 '@FuzzTest' "$f" | grep -o 'void [A-Za-z0-9_]*' | cut -d' ' -f2)
    echo "$class:$method"
done)
# A TARGET that names none would compile everything and then fuzz nothing: say which there are instead.
names=$(for t in $targets; do class=${t%%:*}; basename "${class//.//}" FuzzTest; done)
if [ -n "${1:-}" ] && ! printf '%s\n' $names | grep -qx -- "$1"; then
    echo "fuzz/run-long.sh: no target '$1'; the targets: $(echo $names)" >&2
    exit 2
fi
# One invocation, so that the project's own modules come from their target/classes (a fresh clone has none of them
# in the local Maven repository); each module writes the file in turn, fuzz, built last, writes it last.
mvn -o -q -pl fuzz -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$PWD/fuzz/target/classpath.txt"
cp="fuzz/target/test-classes:$(cat fuzz/target/classpath.txt)"

for t in $targets; do
    class=${t%%:*}
    name=$(basename "${class//.//}" FuzzTest)
    if [ -n "${1:-}" ] && [ "$1" != "$name" ]; then
        continue
    fi
    corpus=fuzz/target/corpus/$name
    mkdir -p "$corpus"
    echo "== $name: ${seconds}s"
    hooks=()
    # The administrator's own regular expressions, compiled as the loader's job (see fuzz/pom.xml).
    case "$name" in
        PostgreyWhitelists|KnownSenders) hooks=(--disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexInjection) ;;
    esac
    java -Xmx512m -cp "$cp" com.code_intelligence.jazzer.Jazzer --target_class="$class" --target_method="${t#*:}" \
        --instrumentation_includes='org.greylite.**' "${hooks[@]}" -rss_limit_mb=1024 -max_total_time="$seconds" \
        -artifact_prefix=fuzz/target/corpus/ -print_final_stats=1 "$corpus" 2>&1 | grep -E '^(Done|stat::|==|INFO: Seed)|Exception|crash' || true
done
