#!/usr/bin/env bash
# bench/run.sh: greylited against HAProxy and against no proxy at all, in one run, on loopback, with
# greylited's PTR lookups answered by a real resolver in four ways.
#
#   bench/run.sh            the full run (15 to 20 minutes on a 2-core machine, depending on its load)
#   bench/run.sh --quick    a smoke test with small counts (two to three minutes)
#
# 1. Throughput. smtp-sink (Postfix's test server) is the upstream; smtp-source (Postfix's test
#    client) sends MESSAGES messages, one SMTP session per message, SESSIONS sessions in parallel:
#      (a) direct to smtp-sink,
#      (b) through HAProxy in TCP mode,
#      (c) through greylited, once per DNS case, with the client already on greylited's auto-whitelist
#          (it passed greylisting once before the timed runs), so every RCPT is still decided (a
#          whitelist hit, from the greydb or for a second from greylited's memory of its answer) and
#          every message is delivered. The DNS cases, each a greylited of its own with its own --dns:
#            confirmed  dnsmasq gives 127.0.0.1 a forward-confirmed name, one-hour TTL
#            nx-soa     dnsmasq answers NXDOMAIN with an SOA record (negative TTL one hour)
#            nx-nosoa   dnsmasq answers NXDOMAIN without an SOA record (nothing says how long to keep it)
#            lossy      nx-nosoa behind tools/lossy_dns.py, which drops DNS_LOSS of the queries (2%)
#    Each path gets an untimed warm-up (greylited a longer one, for the JIT), then ROUNDS timed runs,
#    interleaved (direct, haproxy, confirmed, nx-soa, ...). Messages per second is the count over
#    the wall time of smtp-source; the median of the rounds is reported, the ratios haproxy/direct and
#    greylited/haproxy per case, and the p50, p99 and longest session time of each case (greylited's
#    "session end ... duration=" lines of the timed runs: every session, from accept to close).
#    Targets: greylited/haproxy >= 1.0 with a confirmed name, >= 0.9 for nx-soa and nx-nosoa; lossy
#    within 20% of nx-nosoa and no session of 1 s or more.
# 1b. Cold clients (BENCH_COLD=1, the default): the same paths driven by tools/ColdClients.java, whose every
#    session comes from a loopback address never used before (127.64.0.0/10, whitelisted in each greydb with
#    greylitectl), so each starts with an empty PTR cache and a real query (two with a confirmed name, whose
#    names dnsmasq makes up for the whole block): the first connection of each new client on a mail host. The
#    lossy case then loses real queries. Reported: msgs/s, greylited/haproxy, greylited's CPU per message and
#    the session times the client saw (connect to the reply to QUIT).
# 2. Idle connections. A fresh greylited with --greet-delay 10000 and an upstream that only counts
#    the connections it accepts; IDLE_CONNECTIONS clients connect and stay silent for IDLE_HOLD
#    seconds, inside the greeting delay, then close. Reported: greylited's peak RSS (VmHWM of the
#    JVM; target < 256 MB) and the number of upstream connections (must be 0 while they are held,
#    and still 0 once the delay has run out for the sessions that were closed).
# 3. A short report at the end. Logs and the greydbs stay in the work directory when something
#    failed, or always with BENCH_KEEP=1.
#
# Everything listens on and connects to 127.0.0.1 only; greylited's PTR lookups go to dnsmasq
# instances on loopback (and the lossy proxy), never to the system's resolver.
#
# Needs: smtp-source and smtp-sink (Debian package postfix), haproxy, dnsmasq, python3, sqlite3, java;
# and the built jars (mvn -q -B -DskipTests package at the repository root; bin/greylited builds them
# once if they are missing). Installs nothing. Run it as root or as a user whose hard limit on open
# files (ulimit -Hn) is above IDLE_CONNECTIONS + 1000; the script raises the soft limit itself.
#
# Settings (environment variables; defaults in brackets):
#   BENCH_MESSAGES [50000]  messages per timed run, the same for all paths
#   BENCH_SESSIONS [20]     parallel smtp-source sessions
#   BENCH_ROUNDS [3]        timed rounds; the median is reported
#   BENCH_WARMUP [20000]    untimed messages through each greylited first (the others get a tenth)
#   BENCH_IDLE_CONNECTIONS [5000], BENCH_IDLE_HOLD [5] (seconds), BENCH_GREET_DELAY [10000] (ms)
#   BENCH_PTR [1]           1: PTR lookups on, the DNS cases; 0: one greylited with --ptr-timeout 0
#   BENCH_CASES [confirmed nx-soa nx-nosoa lossy]  the DNS cases to run (a subset, in this order)
#   BENCH_DNS_LOSS [0.02]   the share of queries the lossy case drops
#   BENCH_COLD [1]          1: also the cold-clients runs (1b); 0: not
#   BENCH_COLD_MESSAGES [20000], BENCH_COLD_WARMUP [5000]  sessions per cold run, and untimed ones per path first
#   BENCH_PORT_BASE [27600] first loopback port to try; the next free ones are used
#   BENCH_KEEP [0]          1 keeps the work directory (logs, greydbs, haproxy.cfg)
#   BENCH_THROUGHPUT_JAVA_OPTS []  extra JVM options for the throughput greylited instances (a profiler)
#   BENCH_GREYLITED_ARGS []  extra options for the throughput greylited instances (e.g. --io-threads 2)
#   BENCH_SYSCALLS [0]      1: also count each proxy's system calls per message (perf stat on the
#                           raw_syscalls:sys_enter tracepoint; needs perf and the right to trace the proxy)
#   JAVA_OPTS, LOGTHRESHOLD are passed to greylited as usual (bin/greylited sets the heap).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench

MESSAGES=${BENCH_MESSAGES:-50000}
SESSIONS=${BENCH_SESSIONS:-20}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-20000}
IDLE_CONNECTIONS=${BENCH_IDLE_CONNECTIONS:-5000}
IDLE_HOLD=${BENCH_IDLE_HOLD:-5}
GREET_DELAY=${BENCH_GREET_DELAY:-10000}
PTR=${BENCH_PTR:-1}
CASES=${BENCH_CASES:-confirmed nx-soa nx-nosoa lossy}
DNS_LOSS=${BENCH_DNS_LOSS:-0.02}
PORT_BASE=${BENCH_PORT_BASE:-27600}
KEEP=${BENCH_KEEP:-0}
SYSCALLS=${BENCH_SYSCALLS:-0}
COLD=${BENCH_COLD:-1}
COLD_MESSAGES=${BENCH_COLD_MESSAGES:-20000}
COLD_WARMUP=${BENCH_COLD_WARMUP:-5000}
RUN_TIMEOUT=300 # seconds: the bound on any single smtp-source run

case "${1:-}" in
    --quick)
        MESSAGES=${BENCH_MESSAGES:-5000}; ROUNDS=${BENCH_ROUNDS:-1}; WARMUP=${BENCH_WARMUP:-5000}
        COLD_MESSAGES=${BENCH_COLD_MESSAGES:-2000}; COLD_WARMUP=${BENCH_COLD_WARMUP:-1000}
        IDLE_CONNECTIONS=${BENCH_IDLE_CONNECTIONS:-1000}; IDLE_HOLD=${BENCH_IDLE_HOLD:-2} ;;
    "") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

for v in MESSAGES SESSIONS ROUNDS WARMUP IDLE_CONNECTIONS IDLE_HOLD GREET_DELAY PORT_BASE COLD_MESSAGES COLD_WARMUP; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "BENCH_$v must be a whole number, not '${!v}'"
done
(( ROUNDS >= 1 && ROUNDS <= 15 )) || die "BENCH_ROUNDS must be between 1 and 15"
(( IDLE_CONNECTIONS >= 1 && IDLE_CONNECTIONS <= 50000 )) || die "BENCH_IDLE_CONNECTIONS must be between 1 and 50000"
[[ $DNS_LOSS =~ ^(0|0?\.[0-9]+)$ ]] || die "BENCH_DNS_LOSS must be a share below 1 (0.02 for 2%), not '$DNS_LOSS'"
for c in $CASES; do
    [[ $c =~ ^(confirmed|nx-soa|nx-nosoa|lossy)$ ]] || die "BENCH_CASES: unknown case '$c' (confirmed nx-soa nx-nosoa lossy)"
done
[[ $PTR == 0 ]] && CASES=off
[[ -n ${CASES// /} ]] || die "BENCH_CASES is empty"
(( GREET_DELAY >= 4000 )) || die "BENCH_GREET_DELAY must be at least 4000 ms (the clients must be held inside it)"
(( IDLE_HOLD * 1000 + 2000 < GREET_DELAY )) || die "BENCH_IDLE_HOLD must end at least 2 s before the greeting delay"

# ------------------------------------------------------------------------------- prerequisites
PATH=$PATH:/usr/sbin:/sbin:/usr/lib/postfix/sbin
missing=()
command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null || missing+=(postfix)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v python3 >/dev/null || missing+=(python3)
[[ $PTR == 1 ]] && ! command -v dnsmasq >/dev/null && missing+=(dnsmasq-base)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v ss >/dev/null || missing+=(iproute2)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
[[ $SYSCALLS == 1 ]] && ! command -v perf >/dev/null && missing+=(linux-perf)
if (( ${#missing[@]} )); then
    die "missing programs; install them with: apt-get install ${missing[*]}"
fi

# Open files: the idle test needs one per client in greylited and one per client in the load client.
need_fds=$(( IDLE_CONNECTIONS + 1000 ))
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) >= need_fds )) \
    || die "open-file limit $(ulimit -n) is below $need_fds; raise the hard limit (ulimit -Hn) or lower BENCH_IDLE_CONNECTIONS"

# Settings from the environment that would change greylited's behaviour are not wanted here.
unset GREYLIST DBFILE SUSPICION GREETDELAY RELAYCLIENT WHITELISTED BLACKLISTED DNSCACHEIP GEOIPDB_FILE \
      GREYLITE_MIN_DELAY GREYLITE_RETRY_WINDOW GREYLITE_WHITELIST_LIFETIME DNSBL DNSBL_VARNAME 2>/dev/null || true

GREYLITED=$ROOT/bin/greylited
[[ -x $GREYLITED ]] || die "$GREYLITED not found"
# Builds the jars once if they are missing (the launcher does it), before anything is timed.
help_text=$("$GREYLITED" --help 2>&1) || die "bin/greylited --help failed: $help_text"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/greylite-bench.XXXXXX")
PIDS=()
status=1
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    if [[ $KEEP == 1 || $status != 0 ]]; then
        say "bench: logs and greydbs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------- helpers
listening() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }
udp_bound() { [[ -n $(ss -Hlun "sport = :$1" 2>/dev/null) ]]; }

next_port=$PORT_BASE
free_port() { # free_port VAR: sets VAR to the next port free for both TCP and UDP on this machine
    local -n out=$1
    local tries=0
    while listening "$next_port" || udp_bound "$next_port" \
            || [[ -n $(ss -Htan "( sport = :$next_port or dport = :$next_port )" 2>/dev/null) ]]; do
        next_port=$(( next_port + 1 ))
        tries=$(( tries + 1 ))
        (( tries < 500 )) || die "no free port found from $PORT_BASE on"
    done
    out=$next_port
    next_port=$(( next_port + 1 ))
}

stop_pid() { # kills one of our background processes and reaps it
    local p=$1 i
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    for i in "${!PIDS[@]}"; do
        [[ ${PIDS[$i]} == "$p" ]] && unset 'PIDS[i]'
    done
    return 0
}

wait_listening() { # PORT PID WHAT: up to 60 s
    local i
    for (( i = 0; i < 600; i++ )); do
        listening "$1" && return 0
        kill -0 "$2" 2>/dev/null || die "$3 exited at start; see $WORK"
        sleep 0.1
    done
    die "$3 is not listening on 127.0.0.1:$1 after 60 s; see $WORK"
}

cpu_ticks() { # utime + stime of a process, all threads, in clock ticks
    awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
user_ticks() { # utime alone: the part of cpu_ticks spent outside the kernel
    awk '{ print $14 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
ctx_switches() { # voluntary + involuntary context switches of a process's threads (those alive now)
    cat "/proc/$1/task/"*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}
HZ=$(getconf CLK_TCK)

median() { # numbers as arguments
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

SOURCE_ARGS=(-f sender@example.org -t rcpt@example.com -M bench.example.org)

# smtp_source PORT COUNT SESSIONS LOGNAME: runs smtp-source -c, prints "count elapsed_ns exit_code"
smtp_source() {
    local out=$WORK/$4.out t0 t1 rc=0 count
    t0=$(date +%s%N)
    timeout "$RUN_TIMEOUT" smtp-source -c -s "$3" -m "$2" "${SOURCE_ARGS[@]}" "127.0.0.1:$1" >"$out" 2>"$WORK/$4.err" || rc=$?
    t1=$(date +%s%N)
    count=$(tr '\r' '\n' <"$out" | awk 'NF { last = $1 } END { print last + 0 }')
    echo "$count $(( t1 - t0 )) $rc"
}

# ------------------------------------------------------------------------------- ports and servers
free_port SINK_PORT
free_port HAPROXY_PORT
free_port IDLE_PORT
free_port COUNTER_PORT
declare -A GL_PORT_OF=() DNS_PORT_OF=() GL_PID_OF=() DNS_ARGS_OF=() DNS_WHAT=()
for c in $CASES; do
    free_port "GL_PORT_OF[$c]"
done
free_port DNSMASQ_CONFIRMED_PORT
free_port DNSMASQ_SOA_PORT
free_port DNSMASQ_NOSOA_PORT
free_port LOSSY_PORT

say "bench: work directory $WORK"
say "bench: ports: smtp-sink $SINK_PORT, haproxy $HAPROXY_PORT, greylited $(for c in $CASES; do printf '%s %s ' "$c" "${GL_PORT_OF[$c]}"; done)idle greylited $IDLE_PORT, counting upstream $COUNTER_PORT"

# greylited's PTR lookups: dnsmasq on loopback, one instance per kind of answer, or off.
DNSMASQ_COMMON=(--no-daemon --conf-file=/dev/null --pid-file --no-resolv --no-hosts --bind-interfaces
    --listen-address=127.0.0.1 --log-facility=-)
start_dnsmasq() { # NAME PORT ARGS...: a dnsmasq answering on 127.0.0.1:PORT
    local name=$1 port=$2 pid i
    shift 2
    dnsmasq "${DNSMASQ_COMMON[@]}" --port="$port" "$@" >"$WORK/dnsmasq-$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for (( i = 0; i < 100; i++ )); do
        udp_bound "$port" && return 0
        kill -0 "$pid" 2>/dev/null || die "dnsmasq ($name) exited at start: $(cat "$WORK/dnsmasq-$name.log")"
        sleep 0.1
    done
    die "dnsmasq ($name) is not answering on 127.0.0.1:$port"
}
LOSSY_PID=""
if [[ $PTR == 1 ]]; then
    grep -q -- '--dns=' <<<"$help_text" || die "this greylited has no --dns option; run with BENCH_PTR=0"
    # Authoritative for both zones: unknown names get NXDOMAIN, never a query to anywhere else.
    start_dnsmasq confirmed "$DNSMASQ_CONFIRMED_PORT" --local=/bench.test/ --local=/127.in-addr.arpa/ \
        --host-record=mx.bench.test,127.0.0.1 --synth-domain=bench.test,127.64.0.0/10,cold- --local-ttl=3600
    start_dnsmasq nx-soa "$DNSMASQ_SOA_PORT" --auth-server=ns.bench.test,lo --auth-zone=bench.test,127.0.0.0/8 \
        --auth-soa=1,hostmaster.bench.test,1200,120,1209600,3600 --auth-ttl=3600
    start_dnsmasq nx-nosoa "$DNSMASQ_NOSOA_PORT" --local=/127.in-addr.arpa/
    python3 "$BENCH/tools/lossy_dns.py" --port "$LOSSY_PORT" --upstream "$DNSMASQ_NOSOA_PORT" --drop "$DNS_LOSS" \
        --stats-file "$WORK/lossy_dns.stats" --max-seconds 7200 >"$WORK/lossy_dns.log" 2>&1 &
    LOSSY_PID=$!
    PIDS+=("$LOSSY_PID")
    for (( i = 0; i < 100; i++ )); do
        udp_bound "$LOSSY_PORT" && break
        kill -0 "$LOSSY_PID" 2>/dev/null || die "the lossy DNS proxy exited at start: $(cat "$WORK/lossy_dns.log")"
        sleep 0.1
    done
    DNS_ARGS_OF=([confirmed]="--dns 127.0.0.1:$DNSMASQ_CONFIRMED_PORT" [nx-soa]="--dns 127.0.0.1:$DNSMASQ_SOA_PORT"
        [nx-nosoa]="--dns 127.0.0.1:$DNSMASQ_NOSOA_PORT" [lossy]="--dns 127.0.0.1:$LOSSY_PORT")
    DNS_WHAT=([confirmed]="dnsmasq: mx.bench.test, confirmed, TTL 1h" [nx-soa]="dnsmasq: NXDOMAIN with SOA (1h)"
        [nx-nosoa]="dnsmasq: NXDOMAIN without SOA" [lossy]="NXDOMAIN without SOA, $DNS_LOSS of queries dropped")
else
    DNS_ARGS_OF=([off]="--ptr-timeout 0")
    DNS_WHAT=([off]="PTR lookups off (--ptr-timeout 0)")
fi

# smtp-sink: -m raises its concurrency limit; as root it must drop privileges (-u).
SINK_ARGS=(-m 2000)
[[ $(id -u) == 0 ]] && SINK_ARGS+=(-u nobody)
smtp-sink "${SINK_ARGS[@]}" "127.0.0.1:$SINK_PORT" 1024 >"$WORK/smtp-sink.log" 2>&1 &
SINK_PID=$!
PIDS+=("$SINK_PID")
wait_listening "$SINK_PORT" "$SINK_PID" smtp-sink

# HAProxy in TCP mode. maxconn is well above SESSIONS yet fits the open-file limit (about 2 fds per
# connection).
HAPROXY_MAXCONN=$(( $(ulimit -n) / 2 - 100 ))
(( HAPROXY_MAXCONN > 4096 )) && HAPROXY_MAXCONN=4096
cat >"$WORK/haproxy.cfg" <<HAPROXY
global
    maxconn $HAPROXY_MAXCONN

defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend smtp_in
    bind 127.0.0.1:$HAPROXY_PORT
    maxconn $HAPROXY_MAXCONN
    default_backend smtp_sink

backend smtp_sink
    server sink 127.0.0.1:$SINK_PORT maxconn $HAPROXY_MAXCONN
HAPROXY
haproxy -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 || die "haproxy rejects $WORK/haproxy.cfg: $(cat "$WORK/haproxy-check.log")"
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")
wait_listening "$HAPROXY_PORT" "$HAPROXY_PID" haproxy

# One greylited per DNS case. --min-delay 0: the retry right after the first refusal passes. Every client of a
# bench is 127.0.0.1: the connection limits, meant for the internet's clients, are off.
for c in $CASES; do
    # shellcheck disable=SC2086
    JAVA_OPTS="${JAVA_OPTS:-}${BENCH_THROUGHPUT_JAVA_OPTS:+ $BENCH_THROUGHPUT_JAVA_OPTS}" \
        "$GREYLITED" --listen "127.0.0.1:${GL_PORT_OF[$c]}" --upstream "127.0.0.1:$SINK_PORT" --db "$WORK/greylite-$c.db" \
        --min-delay 0 --idle-timeout 10m --client-connection-limit 0 --connection-limit 0 ${DNS_ARGS_OF[$c]} ${BENCH_GREYLITED_ARGS:-} >"$WORK/greylited-$c.log" 2>&1 &
    GL_PID_OF[$c]=$!
    PIDS+=("${GL_PID_OF[$c]}")
done
for c in $CASES; do
    wait_listening "${GL_PORT_OF[$c]}" "${GL_PID_OF[$c]}" "greylited ($c)"
    [[ $(cat "/proc/${GL_PID_OF[$c]}/comm" 2>/dev/null) == java ]] \
        || say "bench: note: pid ${GL_PID_OF[$c]} is not the JVM itself; RSS and CPU figures may be wrong"
done

# ------------------------------------------------------------------------------- whitelisting
for c in $CASES; do
    say "bench: $c: making the client pass greylisting once (first attempt refused, retry accepted)"
    port=${GL_PORT_OF[$c]}
    timeout 60 smtp-source -m 1 "${SOURCE_ARGS[@]}" "127.0.0.1:$port" >"$WORK/first-$c.out" 2>&1 || true
    grep -q '451' "$WORK/first-$c.out" || die "$c: the first attempt was not greylisted: $(cat "$WORK/first-$c.out")"
    timeout 60 smtp-source -m 1 "${SOURCE_ARGS[@]}" "127.0.0.1:$port" >"$WORK/second-$c.out" 2>&1 \
        || die "$c: the retry was not accepted: $(cat "$WORK/second-$c.out")"
    whitelist=$(sqlite3 "$WORK/greylite-$c.db" "select client, source from whitelist" 2>&1)
    [[ -n $whitelist ]] || die "$c: the client is not on the auto-whitelist; see $WORK/greylited-$c.log"
    say "bench: $c: whitelist: $(tr '\n' ' ' <<<"$whitelist")"
done

# ------------------------------------------------------------------------------- throughput
say "bench: warm-up (untimed): each greylited $WARMUP messages, haproxy and direct $(( WARMUP / 10 ))"
for c in $CASES; do
    read -r count _ rc < <(smtp_source "${GL_PORT_OF[$c]}" "$WARMUP" "$SESSIONS" "warmup-$c")
    (( rc == 0 && count == WARMUP )) || die "warm-up through greylited ($c) failed (exit $rc, $count of $WARMUP); see $WORK"
done
read -r count _ rc < <(smtp_source "$HAPROXY_PORT" $(( WARMUP / 10 + 1 )) "$SESSIONS" warmup-haproxy)
(( rc == 0 )) || die "warm-up through haproxy failed; see $WORK"
read -r count _ rc < <(smtp_source "$SINK_PORT" $(( WARMUP / 10 + 1 )) "$SESSIONS" warmup-direct)
(( rc == 0 )) || die "warm-up direct failed; see $WORK"
sleep 1

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
PATHS=(direct haproxy $CASES)
declare -A PORT_OF=([direct]=$SINK_PORT [haproxy]=$HAPROXY_PORT) PID_OF=([direct]="" [haproxy]=$HAPROXY_PID)
declare -A RATES=() CPUS=() SWITCHES=() SYSCALL_COUNTS=()
for path in "${PATHS[@]}"; do
    RATES[$path]=""; CPUS[$path]=""; SWITCHES[$path]=""; SYSCALL_COUNTS[$path]=""
done
for c in $CASES; do
    PORT_OF[$c]=${GL_PORT_OF[$c]}
    PID_OF[$c]=${GL_PID_OF[$c]}
    : >"$WORK/durations-$c.txt"
done
failures=0

log_lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

say "bench: $ROUNDS round(s) of $MESSAGES messages, $SESSIONS sessions in parallel, one SMTP session per message"
for (( r = 1; r <= ROUNDS; r++ )); do
    for path in "${PATHS[@]}"; do
        pid=${PID_OF[$path]}
        log=$WORK/greylited-$path.log
        lines0=$(log_lines "$log")
        proxy0=0; [[ -n $pid ]] && proxy0=$(cpu_ticks "$pid")
        user0=0; [[ -n $pid ]] && user0=$(user_ticks "$pid")
        ctx0=0; [[ -n $pid ]] && ctx0=$(ctx_switches "$pid")
        sink0=$(cpu_ticks "$SINK_PID")
        perf_pid=""
        if [[ $SYSCALLS == 1 && -n $pid ]]; then
            perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -o "$WORK/round$r-$path.perf" >/dev/null 2>&1 &
            perf_pid=$!
            sleep 0.5 # perf attaches
        fi
        read -r count ns rc < <(smtp_source "${PORT_OF[$path]}" "$MESSAGES" "$SESSIONS" "round$r-$path")
        if [[ -n $perf_pid ]]; then
            kill -INT "$perf_pid" 2>/dev/null || true
            wait "$perf_pid" 2>/dev/null || true
        fi
        proxy1=0; [[ -n $pid ]] && proxy1=$(cpu_ticks "$pid")
        user1=0; [[ -n $pid ]] && user1=$(user_ticks "$pid")
        ctx1=0; [[ -n $pid ]] && ctx1=$(ctx_switches "$pid")
        sink1=$(cpu_ticks "$SINK_PID")
        if [[ -n ${GL_PID_OF[$path]:-} ]]; then
            sleep 0.5 # greylited writes its log lines in batches, at most 0.1 s late
            tail -n +$(( lines0 + 1 )) "$log" | sed -n 's/^.*session end .* duration=\([0-9][0-9]*\)ms.*$/\1/p' \
                >>"$WORK/durations-$path.txt"
        fi
        if (( rc != 0 || count != MESSAGES )); then
            failures=$(( failures + 1 ))
            say "$(printf 'round %d  %-9s FAILED: exit %s, %s of %s messages (see %s/round%d-%s.err)' \
                "$r" "$path" "$rc" "$count" "$MESSAGES" "$WORK" "$r" "$path")"
            continue
        fi
        rate=$(awk -v n="$count" -v ns="$ns" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
        RATES[$path]+="$rate "
        proxy_ms=$(awk -v t=$(( proxy1 - proxy0 )) -v hz="$HZ" -v n="$count" 'BEGIN { printf "%.0f", t / hz * 1000 * 1000 / n }')
        user_ms=$(awk -v t=$(( user1 - user0 )) -v hz="$HZ" -v n="$count" 'BEGIN { printf "%.0f", t / hz * 1000 * 1000 / n }')
        sink_ms=$(awk -v t=$(( sink1 - sink0 )) -v hz="$HZ" -v n="$count" 'BEGIN { printf "%.0f", t / hz * 1000 * 1000 / n }')
        switches=$(awk -v d=$(( ctx1 - ctx0 )) -v n="$count" 'BEGIN { printf "%.2f", d / n }')
        syscalls=-
        if [[ -n $perf_pid ]]; then
            syscalls=$(awk -F, -v n="$count" '/raw_syscalls/ && $1 ~ /^[0-9]+$/ { printf "%.1f", $1 / n }' "$WORK/round$r-$path.perf")
            [[ -n $syscalls ]] || syscalls=-
            [[ $syscalls != - ]] && SYSCALL_COUNTS[$path]+="$syscalls "
        fi
        if [[ -n $pid ]]; then
            CPUS[$path]+="$proxy_ms "
            SWITCHES[$path]+="$switches "
        fi
        say "$(printf 'round %d  %-9s %6s msgs/s  %6.2f s  proxy CPU %4s ms/1000 msgs (user %s), %s context switches/msg%s  smtp-sink CPU %4s ms/1000 msgs' \
            "$r" "$path" "$rate" "$(awk -v ns="$ns" 'BEGIN { print ns / 1e9 }')" \
            "$([[ -n $pid ]] && echo "$proxy_ms" || echo -)" "$([[ -n $pid ]] && echo "$user_ms" || echo -)" \
            "$([[ -n $pid ]] && echo "$switches" || echo -)" \
            "$([[ $syscalls != - ]] && echo ", $syscalls syscalls/msg")" "$sink_ms")"
    done
done

# ------------------------------------------------------------------------------- cold clients
# Every session from a loopback address never seen before (tools/ColdClients.java binds each to its own address
# in 127.64.0.0/10): greylited starts each with an empty PTR cache and a real query to its resolver, as it does
# for each new client on a mail host. The block is on each greydb's whitelist (greylitectl), so every message is
# delivered and every RCPT still decided. HAProxy and direct delivery get the same client for the ratios.
declare -A COLD_RATES=() COLD_CPUS=()
COLD_PATHS=()
if [[ $COLD == 1 && $PTR == 1 ]]; then
    mkdir -p "$WORK/classes"
    javac -d "$WORK/classes" "$BENCH/tools/ColdClients.java" || die "cannot compile tools/ColdClients.java"
    cold_index=0
    cold() { # PORT COUNT LOGNAME: sets COLD_RESULT to "delivered failures elapsed_ns"; durations in $WORK/LOGNAME.ms
        local out
        out=$(timeout "$RUN_TIMEOUT" java -cp "$WORK/classes" ColdClients "127.0.0.1:$1" "$2" "$SESSIONS" "$cold_index" \
            "$WORK/$3.ms" 2>"$WORK/$3.err") || true
        cold_index=$(( cold_index + $2 )) # the next run's clients are new again
        COLD_RESULT=${out:-0 $2 0}
    }
    for c in $CASES; do
        "$ROOT/bin/greylitectl" db whitelist add 127.64.0.0/10 --db "$WORK/greylite-$c.db" --comment "bench: cold clients" \
            >"$WORK/cold-whitelist-$c.log" 2>&1 || die "$c: greylitectl could not whitelist 127.64.0.0/10: $(cat "$WORK/cold-whitelist-$c.log")"
        for (( i = 0; i < 60; i++ )); do # greylited rereads the administrators' lists within seconds
            cold "${GL_PORT_OF[$c]}" 1 "cold-check-$c"
            read -r ok _ _ <<<"$COLD_RESULT"
            (( ok == 1 )) && break
            sleep 0.5
        done
        (( ok == 1 )) || die "$c: a cold client is still greylisted 30 s after 127.64.0.0/10 was whitelisted; see $WORK"
    done
    COLD_PATHS=(direct haproxy $CASES)
    say "bench: cold clients: warm-up (untimed), $COLD_WARMUP sessions per path, each from a new address"
    for path in "${COLD_PATHS[@]}"; do
        cold "${PORT_OF[$path]}" "$COLD_WARMUP" "cold-warmup-$path"
        read -r ok bad _ <<<"$COLD_RESULT"
        (( bad == 0 )) || die "cold warm-up through $path: $bad of $COLD_WARMUP sessions failed; see $WORK/cold-warmup-$path.err"
    done
    for path in "${COLD_PATHS[@]}"; do
        COLD_RATES[$path]=""; COLD_CPUS[$path]=""
        : >"$WORK/cold-durations-$path.txt"
    done
    say "bench: cold clients: $ROUNDS round(s) of $COLD_MESSAGES sessions, $SESSIONS in parallel"
    for (( r = 1; r <= ROUNDS; r++ )); do
        for path in "${COLD_PATHS[@]}"; do
            pid=${PID_OF[$path]}
            proxy0=0; [[ -n $pid ]] && proxy0=$(cpu_ticks "$pid")
            cold "${PORT_OF[$path]}" "$COLD_MESSAGES" "cold-round$r-$path"
            read -r ok bad ns <<<"$COLD_RESULT"
            proxy1=0; [[ -n $pid ]] && proxy1=$(cpu_ticks "$pid")
            cat "$WORK/cold-round$r-$path.ms" >>"$WORK/cold-durations-$path.txt" 2>/dev/null || true
            if (( bad != 0 || ok != COLD_MESSAGES )); then
                failures=$(( failures + 1 ))
                say "$(printf 'cold %d  %-9s FAILED: %s of %s sessions failed (see %s/cold-round%d-%s.err)' \
                    "$r" "$path" "$bad" "$COLD_MESSAGES" "$WORK" "$r" "$path")"
                continue
            fi
            rate=$(awk -v n="$ok" -v ns="$ns" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
            COLD_RATES[$path]+="$rate "
            proxy_ms=-
            if [[ -n $pid ]]; then
                proxy_ms=$(awk -v t=$(( proxy1 - proxy0 )) -v hz="$HZ" -v n="$ok" 'BEGIN { printf "%.0f", t / hz * 1000 * 1000 / n }')
                COLD_CPUS[$path]+="$proxy_ms "
            fi
            say "$(printf 'cold %d  %-9s %6s msgs/s  proxy CPU %4s ms/1000 msgs' "$r" "$path" "$rate" "$proxy_ms")"
        done
    done
fi

median_real() { # like median, for numbers with decimals
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
percentiles() { # FILE of durations in ms: "p50 p99 max count at-least-1s"
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a n/a n/a 0 0"; exit }
        slow = 0; for (i = 1; i <= NR; i++) if (v[i] >= 1000) slow++
        p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
        print p50, p99, v[NR], NR, slow }'
}
declare -A MED=() CPU_MED=() CTX_MED=() SYS_MED=() DECISIONS=() SESSION_TIMES=()
for path in "${PATHS[@]}"; do
    # shellcheck disable=SC2086
    MED[$path]=$(median ${RATES[$path]})
    # shellcheck disable=SC2086
    CPU_MED[$path]=$(median ${CPUS[$path]})
    # shellcheck disable=SC2086
    CTX_MED[$path]=$(median_real ${SWITCHES[$path]})
    # shellcheck disable=SC2086
    SYS_MED[$path]=$(median_real ${SYSCALL_COUNTS[$path]})
done
r_hd=$(ratio "${MED[haproxy]}" "${MED[direct]}")

load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# Every message was a decision: count them in each greylited's decision log (info level).
expected_decisions=$(( WARMUP + ROUNDS * MESSAGES ))
for c in $CASES; do
    DECISIONS[$c]=$(grep -c 'decision verdict=accept reason=whitelisted client=127\.0\.0\.1 ' "$WORK/greylited-$c.log" || true)
    SESSION_TIMES[$c]=$(percentiles "$WORK/durations-$c.txt")
    stop_pid "${GL_PID_OF[$c]}"
done
dns_lossy="-"
if [[ -n $LOSSY_PID ]]; then
    stop_pid "$LOSSY_PID"
    dns_lossy=$(cat "$WORK/lossy_dns.stats" 2>/dev/null || echo "?")
fi
# The idle test's greylited asks the first case's resolver (it has no client that gets that far).
first_case=${CASES%% *}
IDLE_DNS_ARGS=${DNS_ARGS_OF[$first_case]}

# ------------------------------------------------------------------------------- idle connections
say "bench: idle test: $IDLE_CONNECTIONS silent clients held ${IDLE_HOLD}s inside a ${GREET_DELAY} ms greeting delay"
python3 "$BENCH/tools/upstream_counter.py" --port "$COUNTER_PORT" --count-file "$WORK/upstream.count" \
    --max-seconds 600 >"$WORK/upstream_counter.log" 2>&1 &
COUNTER_PID=$!
PIDS+=("$COUNTER_PID")
wait_listening "$COUNTER_PORT" "$COUNTER_PID" "the counting upstream"

# shellcheck disable=SC2086
"$GREYLITED" --listen "127.0.0.1:$IDLE_PORT" --upstream "127.0.0.1:$COUNTER_PORT" --db "$WORK/idle.db" \
    --greet-delay "$GREET_DELAY" --idle-timeout 1h --client-connection-limit 0 --connection-limit 0 $IDLE_DNS_ARGS >"$WORK/greylited-idle.log" 2>&1 &
IDLE_PID=$!
PIDS+=("$IDLE_PID")
wait_listening "$IDLE_PORT" "$IDLE_PID" "greylited (idle test)"
sleep 1
rss_start_kb=$(status_kb "$IDLE_PID" VmRSS)

rm -f "$WORK/idle.ready" "$WORK/idle.release"
python3 "$BENCH/tools/idle_clients.py" --port "$IDLE_PORT" --count "$IDLE_CONNECTIONS" --hold "$IDLE_HOLD" \
    --deadline $(( GREET_DELAY / 1000 - 2 )) --ready-file "$WORK/idle.ready" --release-file "$WORK/idle.release" \
    >"$WORK/idle_clients.out" 2>&1 &
CLIENTS_PID=$!
PIDS+=("$CLIENTS_PID")
t_clients=$(date +%s%N)
for (( i = 0; i < 200; i++ )); do
    [[ -e $WORK/idle.ready ]] && break
    kill -0 "$CLIENTS_PID" 2>/dev/null || break
    sleep 0.05
done
[[ -e $WORK/idle.ready ]] || die "the idle clients did not get connected: $(cat "$WORK/idle_clients.out")"
# While they are held: what greylited has accepted, its memory, and the upstream's count, once
# greylited has every connection (at most 3 s more) and a moment later.
for (( i = 0; i < 30; i++ )); do
    (( $(ss -Htn state established "( sport = :$IDLE_PORT )" | wc -l) >= IDLE_CONNECTIONS )) && break
    sleep 0.1
done
sleep 0.5
held_fds=$(find "/proc/$IDLE_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
accept_queue=$(ss -Hltn "sport = :$IDLE_PORT" | awk '{ print $2 }')
established=$(ss -Htn state established "( sport = :$IDLE_PORT )" | wc -l)
rss_held_kb=$(status_kb "$IDLE_PID" VmRSS)
upstream_held=$(cat "$WORK/upstream.count")
touch "$WORK/idle.release"
for (( i = 0; i < 300; i++ )); do
    kill -0 "$CLIENTS_PID" 2>/dev/null || break
    sleep 0.05
done
wait "$CLIENTS_PID" 2>/dev/null && clients_ok=1 || clients_ok=0
stop_pid "$CLIENTS_PID"
clients_summary=$(tail -1 "$WORK/idle_clients.out")
hwm_kb=$(status_kb "$IDLE_PID" VmHWM)
# Let the greeting delay run out for every session (they were all closed before it did): still no
# upstream connection may be opened.
settle_ms=$(( GREET_DELAY + 1500 - ( $(date +%s%N) - t_clients ) / 1000000 ))
(( settle_ms > 0 )) && sleep "$(awk -v ms="$settle_ms" 'BEGIN { print ms / 1000 }')"
upstream_after=$(cat "$WORK/upstream.count")
hwm_kb=$(status_kb "$IDLE_PID" VmHWM)
stop_pid "$IDLE_PID"

# ------------------------------------------------------------------------------- report
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "n/a") print "n/a"; else if ((op == ">=" && v >= t) || (op == "<" && v < t)) print "met"; else print "NOT met" }'; }
idle_ok=1
[[ $clients_ok == 1 && $upstream_held == 0 && $upstream_after == 0 ]] || idle_ok=0
declare -A TARGET=([confirmed]=1.0 [nx-soa]=0.9 [nx-nosoa]=0.9)

echo
echo "greylited benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) CPU(s), $(uname -r)"
echo "settings: smtp-source -s $SESSIONS -m $MESSAGES (one session per message), $ROUNDS round(s) interleaved, warm-up $WARMUP;"
echo "          smtp-sink -m 2000 backlog 1024; haproxy $(haproxy -v 2>/dev/null | awk 'NR == 1 { print $3 }') mode tcp, maxconn $HAPROXY_MAXCONN;"
echo "          greylited --min-delay 0, client auto-whitelisted${JAVA_OPTS:+, JAVA_OPTS=$JAVA_OPTS}${BENCH_THROUGHPUT_JAVA_OPTS:+, throughput instances also $BENCH_THROUGHPUT_JAVA_OPTS}${BENCH_GREYLITED_ARGS:+, options $BENCH_GREYLITED_ARGS}"
for c in $CASES; do
    echo "          $(printf '%-9s' "$c") ${DNS_WHAT[$c]}"
done
echo "load average (1, 5, 15 min) around the throughput runs: $load_start at the start, $load_end at the end"
for path in "${PATHS[@]}"; do
    echo "per round (msgs/s): $(printf '%-9s' "$path") ${RATES[$path]:-none}"
done
(( failures == 0 )) || echo "FAILED runs: $failures (not counted; see the lines above)"
for path in haproxy $CASES; do
    echo "$(printf '%-9s' "$path") proxy CPU ${CPU_MED[$path]} ms per 1000 messages, ${CTX_MED[$path]} context switches per message$([[ $SYSCALLS == 1 ]] && echo ", ${SYS_MED[$path]} system calls per message")"
done
for c in $CASES; do
    echo "$(printf '%-9s' "$c") greydb decisions logged (reason=whitelisted): ${DECISIONS[$c]} of $expected_decisions messages$( [[ ${DECISIONS[$c]} == 0 ]] && echo ' (none at this LOGTHRESHOLD)')"
done
[[ -n $LOSSY_PID ]] && echo "lossy DNS proxy: $dns_lossy queries"
echo
echo "throughput (msgs/s, median of $ROUNDS): direct ${MED[direct]}  haproxy ${MED[haproxy]}  (haproxy/direct $r_hd)"
printf '%-9s %9s %17s %9s %9s %9s %11s  %s\n' case msgs/s greylited/haproxy "p50 ms" "p99 ms" "max ms" "sessions>=1s" target
for c in $CASES; do
    read -r p50 p99 pmax n slow <<<"${SESSION_TIMES[$c]}"
    rgh=$(ratio "${MED[$c]}" "${MED[haproxy]}")
    case $c in
        lossy)
            lossless=${MED[nx-nosoa]:-n/a}
            rl=$(ratio "${MED[$c]}" "$lossless")
            target="within 20% of nx-nosoa ($rl of it): $(verdict "$rl" 0.8 ">="); no session >= 1 s: $( [[ $n != 0 && $slow == 0 ]] && echo met || echo "NOT met")" ;;
        off) target="-" ;;
        *) target=">= ${TARGET[$c]}: $(verdict "$rgh" "${TARGET[$c]}" ">=")" ;;
    esac
    printf '%-9s %9s %17s %9s %9s %9s %11s  %s\n' "$c" "${MED[$c]}" "$rgh" "$p50" "$p99" "$pmax" "$slow of $n" "$target"
done
if (( ${#COLD_PATHS[@]} )); then
    declare -A COLD_MED=()
    for path in "${COLD_PATHS[@]}"; do
        # shellcheck disable=SC2086
        COLD_MED[$path]=$(median ${COLD_RATES[$path]})
    done
    echo
    echo "cold clients (tools/ColdClients.java, every session from a new address, so a PTR query each; msgs/s, median of"
    echo "$ROUNDS): direct ${COLD_MED[direct]}  haproxy ${COLD_MED[haproxy]}; session times as the client saw them, connect to QUIT"
    printf '%-9s %9s %17s %13s %9s %9s %9s %11s  %s\n' case msgs/s greylited/haproxy "CPU/1000 msgs" "p50 ms" "p99 ms" "max ms" "sessions>=1s" "lossy: within 20% of nx-nosoa, none >= 1 s"
    for c in $CASES; do
        read -r p50 p99 pmax n slow <<<"$(percentiles "$WORK/cold-durations-$c.txt")"
        # shellcheck disable=SC2086
        cpu=$(median ${COLD_CPUS[$c]})
        target=-
        if [[ $c == lossy ]]; then
            rl=$(ratio "${COLD_MED[$c]}" "${COLD_MED[nx-nosoa]:-n/a}")
            target="$rl of it: $(verdict "$rl" 0.8 ">="); $( [[ $n != 0 && $slow == 0 ]] && echo met || echo "NOT met")"
        fi
        printf '%-9s %9s %17s %10s ms %9s %9s %9s %11s  %s\n' "$c" "${COLD_MED[$c]}" "$(ratio "${COLD_MED[$c]}" "${COLD_MED[haproxy]}")" \
            "$cpu" "$p50" "$p99" "$pmax" "$slow of $n" "$target"
    done
    # shellcheck disable=SC2086
    echo "haproxy   CPU $(median ${COLD_CPUS[haproxy]}) ms per 1000 cold messages"
fi
echo "idle: $IDLE_CONNECTIONS connections in greeting delay, greylited peak RSS $(mb "$hwm_kb") MB (target < 256 MB: $(verdict "$(mb "$hwm_kb")" 256 "<")), upstream connections opened: $upstream_held"
echo "      RSS $(mb "$rss_start_kb") MB before the clients, $(mb "$rss_held_kb") MB while held ($(awk -v a="$rss_held_kb" -v b="$rss_start_kb" -v n="$IDLE_CONNECTIONS" 'BEGIN { printf "%.1f", (a - b) / n }') KB per connection);"
echo "      while held: greylited had $held_fds open files, $established established client connections, accept queue $accept_queue;"
echo "      clients: $clients_summary"
echo "      upstream connections after the delay ran out for the closed sessions: $upstream_after"

all_measured=1
for c in $CASES; do
    [[ ${MED[$c]} != n/a ]] || all_measured=0
done
if (( failures == 0 )) && [[ $idle_ok == 1 && $all_measured == 1 ]]; then
    status=0
else
    status=1
fi
exit "$status"
