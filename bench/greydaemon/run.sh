#!/bin/sh
# bench/greydaemon/run.sh: bin/greydaemon under the load of 1 and 4 qmail-smtpd-like clients, every request
# a new triplet (a greydb write each), decisions/s and latency; with GREYDAEMON_PL=/path/to/greydaemon (John
# Levine's perl script, fetched by you: it is not part of this repository), the same load on it, side by
# side in the same run.
#
#   bench/greydaemon/run.sh
#   GREYDAEMON_PL=/tmp/greydaemon.pl BENCH_SECONDS=20 bench/greydaemon/run.sh
#
# Needs: java, perl (for the side by side), sqlite3; the jars (mvn -q -B -DskipTests package).
set -eu
# It takes no arguments (the environment sets it up): help, or a word it does not know, starts nothing.
case "${1:-}" in
    "") ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: [GREYDAEMON_PL=FILE] [BENCH_SECONDS=N] bench/greydaemon/run.sh  (--help for more)" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
HOME_DIR=$(cd "$HERE/../.." && pwd)
SECONDS_TIMED=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-3}
PORT=${BENCH_PORT:-27999}
PERL_PORT=$((PORT + 1))
WORK=$(mktemp -d /tmp/greydaemon-bench.XXXXXX)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for() { # FILE TEXT
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 600 ]; then echo "no '$2' in $1:" >&2; cat "$1" >&2; exit 1; fi
        sleep 0.1
    done
}

cpu_ticks() { # PID: user + system time in clock ticks
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

load() { # PORT CLIENTS RUN PID: the load line, then the server's CPU per decision (warm-up included)
    before=$(cpu_ticks "$4")
    line=$(java "$HERE/GreydaemonLoad.java" 127.0.0.1 "$1" "$2" "$SECONDS_TIMED" "$WARMUP" "$3")
    after=$(cpu_ticks "$4")
    decisions=$(echo "$line" | sed 's/.*decisions=\([0-9]*\).*/\1/')
    per_second=$(echo "$line" | sed 's/.*per_second=\([0-9]*\).*/\1/')
    all=$((decisions + per_second * WARMUP)) # the warm-up ran at about the same rate
    echo "$line server_cpu_us_per_decision=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / (all > 0 ? all : 1) ))"
}

echo "machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
GREYLITE_NO_SHIPPED_WHITELIST= "$HOME_DIR/bin/greydaemon" "127.0.0.1:$PORT" "$WORK/greydb" 2>"$WORK/greydaemon.log" &
ours=$!
pids="$pids $ours"
wait_for "$WORK/greydaemon.log" "started greydaemon"
if [ -n "${GREYDAEMON_PL:-}" ]; then
    perl "$GREYDAEMON_PL" "127.0.0.1:$PERL_PORT" "$WORK/perl.save" >"$WORK/perl.log" 2>&1 &
    theirs=$!
    pids="$pids $theirs"
    wait_for "$WORK/perl.log" "started greydaemon"
fi

# The JIT compiles the servers' hot paths during a first load of its own, so that no timed run pays for it.
load "$PORT" 4 90 "$ours" >/dev/null
if [ -n "${GREYDAEMON_PL:-}" ]; then
    load "$PERL_PORT" 4 91 "$theirs" >/dev/null
fi
run=1
for clients in 1 4; do
    echo "greylite greydaemon: $(load "$PORT" "$clients" "$run" "$ours")"
    run=$((run + 1))
    if [ -n "${GREYDAEMON_PL:-}" ]; then
        echo "perl greydaemon:     $(load "$PERL_PORT" "$clients" "$run" "$theirs")"
        run=$((run + 1))
    fi
done
echo "greydb rows (committed decisions, warm-up included): $(sqlite3 "$WORK/greydb" 'SELECT COUNT(*) FROM triplet')"

# What a committed SQLite write costs here without Java, JDBC or any engine: the sqlite3 program inserting
# 20,000 triplets into a table keyed as the greydb's (WAL, synchronous=NORMAL, as the greydb is opened), each
# in a BEGIN IMMEDIATE ... COMMIT of its own, then the same inserts in one transaction. The difference is the
# transaction alone; perl's whole decision, sockets included, is its server CPU per decision above.
sqlite_floor() { # FILE-STEM ONE-TRANSACTION(0|1): microseconds per insert
    awk -v one="$2" 'BEGIN {
        print "PRAGMA journal_mode=WAL;"; print "PRAGMA synchronous=NORMAL;"
        print "CREATE TABLE triplet (client TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL," \
              " refusals INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, passed_at INTEGER," \
              " PRIMARY KEY (client, sender, recipient)) WITHOUT ROWID;"
        if (one) print "BEGIN IMMEDIATE;"
        for (i = 0; i < 20000; i++) {
            insert = sprintf("INSERT INTO triplet VALUES (\"10.%d.%d.%d\", \"s%d@example.com\", \"r%d@example.net\"," \
                             " 1, 1700000000, 1700000000, NULL);", int(i / 65536) % 256, int(i / 256) % 256, i % 256, i, i)
            print one ? insert : "BEGIN IMMEDIATE; " insert " COMMIT;"
        }
        if (one) print "COMMIT;"
    }' >"$1.sql"
    start=$(date +%s%N)
    sqlite3 "$1.db" <"$1.sql" >/dev/null
    echo $(( ($(date +%s%N) - start) / 20000000 ))
}
each=$(sqlite_floor "$WORK/floor-each" 0)
together=$(sqlite_floor "$WORK/floor-one" 1)
echo "sqlite3, no Java: ${each} us per insert committed alone, ${together} us per insert in one transaction:" \
     "$((each - together)) us per transaction"
echo "machine after: $(uptime | sed 's/.*load average/load average/')"
echo "logs: $WORK"
