#!/bin/bash
# greylite-policy against Debian's postgrey, side by side in one run: both started with the same postgrey
# flags on loopback, each measured at 1 and at 20 connections (clients holding one connection and sending one
# request at a time, as Postfix's smtpd does; every request a new triplet, so every decision writes).
#
#   bench/policy/run.sh [SECONDS [ROUNDS]]     # default: 15 s per measurement, 2 interleaved rounds
#
# Then, at 1 connection, the floor: bench/policy/FloorServer.java, a server that only answers DUNNO after a set
# time of busy work per request (0, 20 and 40 us), never sleeping between requests. It shows what a round trip
# costs on this machine whatever the server, and what each microsecond spent before the answer costs. Last, the
# same server doing nothing but one committed SQLite insert of the request's triplet per request (WAL,
# synchronous=NORMAL, as the greydb): the most any decision that is durable in an SQLite greydb can reach. And the
# floor of the design SPEC §3 does not take: the triplet in a map in memory and one line appended to a journal file
# with one write per request, before the answer.
#
# Needs: root (postgrey is started with --user=postgrey, as its init script does), postgrey
# (apt-get install -y postgrey), java, ss (iproute2), and the jars (mvn -q -B -DskipTests package).
# Both databases live in one folder under /var/tmp, on the same disk. Everything is stopped on exit.
set -euo pipefail
# Asked for help, or given what is not a count, say how to run it rather than start postgrey and the service.
case "${1:-}" in
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
for n in "$@"; do
    case "$n" in
        ''|*[!0-9]*) echo "usage: bench/policy/run.sh [SECONDS [ROUNDS]]  (counts; --help for more)" >&2; exit 2 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECONDS_EACH=${1:-15}
ROUNDS=${2:-2}
FLAGS=(--delay=300)            # postgrey's flags, given to both
PORT_POSTGREY=27720
PORT_GREYLITE=27721
PORT_FLOOR=27722
FLOOR_WORK=(0 20 40 sqlite journal) # microseconds of work per request for the floor server, a committed insert, or
                                    # a map in memory and a journal line

for p in java postgrey ss; do
    command -v "$p" >/dev/null || { echo "run.sh: $p is missing (apt-get install -y postgrey iproute2 default-jdk-headless)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root: postgrey is started as root with --user=postgrey" >&2; exit 1; }
[ -n "$(ls "$ROOT/dist/target/lib" 2>/dev/null)" ] || { echo "run.sh: build first: mvn -q -B -DskipTests package" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/policy-bench.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

chmod 755 "$WORK"   # postgrey runs as its own user and must reach its folder
mkdir -p "$WORK/postgrey" "$WORK/classes"
chown postgrey "$WORK/postgrey"
javac -d "$WORK/classes" "$HERE/PolicyLoad.java" "$HERE/FloorServer.java"

postgrey --inet=127.0.0.1:$PORT_POSTGREY "${FLAGS[@]}" --dbdir="$WORK/postgrey" --user=postgrey --group=postgrey \
    2>"$WORK/postgrey.log" &
PIDS+=($!)
"$ROOT/bin/greylite-policy" --inet=127.0.0.1:$PORT_GREYLITE "${FLAGS[@]}" --db "$WORK/greylite.db" \
    2>"$WORK/greylite-policy.log" &
PIDS+=($!)

for port in $PORT_POSTGREY $PORT_GREYLITE; do
    for _ in $(seq 1 300); do
        ss -ltn "sport = :$port" | grep -q LISTEN && break
        sleep 0.1
    done
    ss -ltn "sport = :$port" | grep -q LISTEN || { echo "run.sh: nothing listens on $port; logs in $WORK" >&2; exit 1; }
done

load() { java -cp "$WORK/classes" PolicyLoad "127.0.0.1:$1" "$2" "$3" "$4"; }

echo "# $(date -u +%FT%TZ), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# flags for both: ${FLAGS[*]}; postgrey $(postgrey --version 2>/dev/null | awk '{print $2}'), greylite-policy greydb: $WORK/greylite.db"
# Untimed warm-up: the JVM compiles its hot paths; postgrey has nothing to warm but gets the same start.
load $PORT_GREYLITE 20 20 warm-up >/dev/null
load $PORT_POSTGREY 1 3 warm-up >/dev/null

RESULTS="$WORK/results.txt"
for round in $(seq 1 "$ROUNDS"); do
    for conns in 1 20; do
        load $PORT_POSTGREY "$conns" "$SECONDS_EACH" postgrey | tee -a "$RESULTS"
        load $PORT_GREYLITE "$conns" "$SECONDS_EACH" greylite-policy | tee -a "$RESULTS"
    done
done

# The floor at 1 connection: one floor server at a time, each as long as a measurement above.
FLOORS="$WORK/floor.txt"
for work in "${FLOOR_WORK[@]}"; do
    arg=$work
    [ "$work" = sqlite ] && arg="sqlite:$WORK/floor.db"
    [ "$work" = journal ] && arg="journal:$WORK/floor.journal"
    java -cp "$WORK/classes:$(ls "$ROOT"/dist/target/lib/sqlite-jdbc-*.jar)" FloorServer $PORT_FLOOR "$arg" 2>"$WORK/floor.log" &
    floor_pid=$!
    for _ in $(seq 1 100); do ss -ltn "sport = :$PORT_FLOOR" | grep -q LISTEN && break; sleep 0.1; done
    label="floor-${work}us"
    if [ "$work" = sqlite ] || [ "$work" = journal ]; then
        label=floor-$work-write
        load $PORT_FLOOR 1 5 warm-up >/dev/null   # the JDBC driver's Java code compiled first, as the service's is
    fi
    load $PORT_FLOOR 1 "$SECONDS_EACH" "$label" | tee -a "$FLOORS"
    kill $floor_pid; wait $floor_pid 2>/dev/null || true
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Per number of connections: the median rate and p99 of the rounds, and the ratio of the rates.
awk '
    { split($2, cc, "="); split($5, r, "="); split($7, q, "=");
      sub("/s", "", r[2]); sub("ms", "", q[2]);
      key = $1 " " cc[2]; n[key]++; rate[key, n[key]] = r[2]; p99[key, n[key]] = q[2]; conns[cc[2]] = 1 }
    function median(a, key, k,   i, j, t, v) {
        for (i = 1; i <= k; i++) v[i] = a[key, i];
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
        return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
    }
    END {
        printf "%-12s %18s %14s %22s %20s %8s\n", "connections", "postgrey dec/s", "p99 ms", "greylite-policy dec/s", "p99 ms", "ratio"
        m = split("1 20", order, " ")
        for (i = 1; i <= m; i++) {
            c = order[i]
            pg = "postgrey " c; gl = "greylite-policy " c
            a = median(rate, pg, n[pg]); b = median(rate, gl, n[gl])
            printf "%-12s %18.0f %14.2f %22.0f %20.2f %7.1fx\n", c, a, median(p99, pg, n[pg]), b, median(p99, gl, n[gl]), b / a
        }
    }' "$RESULTS"
awk -v pg="$(awk '$1 == "postgrey" && $2 == "conns=1" { split($5, r, "="); sub("/s", "", r[2]); t += r[2]; n++ } END { print t / n }' "$RESULTS")" '
    { split($5, r, "="); sub("/s", "", r[2]); w = $1; sub("floor-", "", w)
      line = line (w == "sqlite-write" ? sprintf("  a committed SQLite insert: %s/s", r[2]) \
                   : w == "journal-write" ? sprintf("  a map and a journal line: %s/s", r[2]) : sprintf("  %s of work: %s/s", w, r[2])) }
    END { printf "floor at 1 connection (a server that only answers, one that only inserts, one that only journals):%s; 10x postgrey (its mean) would be %.0f/s\n", line, 10 * pg }' "$FLOORS"
echo "# logs and databases: $WORK"
