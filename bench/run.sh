#!/usr/bin/env bash
# bench/run.sh: greylited against HAProxy and against no proxy at all, in one run, on loopback.
#
#   bench/run.sh            the full run (3 to 5 minutes on a 2-core machine, depending on its load)
#   bench/run.sh --quick    a smoke test with small counts (under a minute)
#
# 1. Throughput. smtp-sink (Postfix's test server) is the upstream; smtp-source (Postfix's test
#    client) sends MESSAGES messages, one SMTP session per message, SESSIONS sessions in parallel:
#      (a) direct to smtp-sink,
#      (b) through HAProxy in TCP mode,
#      (c) through greylited, with the client already on greylited's auto-whitelist (it passed
#          greylisting once before the timed runs), so every RCPT is still decided (a whitelist hit,
#          from the greydb or for a second from greylited's memory of its answer) and every message is delivered.
#    Each path gets an untimed warm-up (greylited a longer one, for the JIT), then ROUNDS timed runs,
#    interleaved (direct, haproxy, greylited, direct, ...). Messages per second is the count over
#    the wall time of smtp-source; the median of the rounds is reported, and the ratios
#    haproxy/direct and greylited/haproxy (target: greylited >= 0.8 x HAProxy).
# 2. Idle connections. A fresh greylited with --greet-delay 10000 and an upstream that only counts
#    the connections it accepts; IDLE_CONNECTIONS clients connect and stay silent for IDLE_HOLD
#    seconds, inside the greeting delay, then close. Reported: greylited's peak RSS (VmHWM of the
#    JVM; target < 256 MB) and the number of upstream connections (must be 0 while they are held,
#    and still 0 once the delay has run out for the sessions that were closed).
# 3. A short report at the end. Logs and the greydbs stay in the work directory when something
#    failed, or always with BENCH_KEEP=1.
#
# Everything listens on and connects to 127.0.0.1 only; greylited's PTR lookups go to a stub DNS
# responder on loopback (bench/tools/stub_dns.py), never to the system's resolver.
#
# Needs: smtp-source and smtp-sink (Debian package postfix), haproxy, python3, sqlite3, java; and
# the built jars (mvn -q -B -DskipTests package at the repository root; bin/greylited builds them
# once if they are missing). Installs nothing. Run it as root or as a user whose hard limit on open
# files (ulimit -Hn) is above IDLE_CONNECTIONS + 1000; the script raises the soft limit itself.
#
# Settings (environment variables; defaults in brackets):
#   BENCH_MESSAGES [50000]  messages per timed run, the same for all three paths
#   BENCH_SESSIONS [20]     parallel smtp-source sessions
#   BENCH_ROUNDS [3]        timed rounds; the median is reported
#   BENCH_WARMUP [20000]    untimed messages through greylited first (the others get a tenth)
#   BENCH_IDLE_CONNECTIONS [5000], BENCH_IDLE_HOLD [5] (seconds), BENCH_GREET_DELAY [10000] (ms)
#   BENCH_PTR [1]           1: PTR lookups on, answered by the loopback stub; 0: --ptr-timeout 0
#   BENCH_PORT_BASE [27600] first loopback port to try; the next free ones are used
#   BENCH_KEEP [0]          1 keeps the work directory (logs, greydbs, haproxy.cfg)
#   BENCH_THROUGHPUT_JAVA_OPTS []  extra JVM options for the throughput greylited only (a profiler)
#   BENCH_GREYLITED_ARGS []  extra options for the throughput greylited (for example --io-threads 2)
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
PORT_BASE=${BENCH_PORT_BASE:-27600}
KEEP=${BENCH_KEEP:-0}
SYSCALLS=${BENCH_SYSCALLS:-0}
RUN_TIMEOUT=300 # seconds: the bound on any single smtp-source run

case "${1:-}" in
    --quick)
        MESSAGES=${BENCH_MESSAGES:-5000}; ROUNDS=${BENCH_ROUNDS:-1}; WARMUP=${BENCH_WARMUP:-5000}
        IDLE_CONNECTIONS=${BENCH_IDLE_CONNECTIONS:-1000}; IDLE_HOLD=${BENCH_IDLE_HOLD:-2} ;;
    "") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

for v in MESSAGES SESSIONS ROUNDS WARMUP IDLE_CONNECTIONS IDLE_HOLD GREET_DELAY PORT_BASE; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "BENCH_$v must be a whole number, not '${!v}'"
done
(( ROUNDS >= 1 && ROUNDS <= 15 )) || die "BENCH_ROUNDS must be between 1 and 15"
(( IDLE_CONNECTIONS >= 1 && IDLE_CONNECTIONS <= 50000 )) || die "BENCH_IDLE_CONNECTIONS must be between 1 and 50000"
(( GREET_DELAY >= 4000 )) || die "BENCH_GREET_DELAY must be at least 4000 ms (the clients must be held inside it)"
(( IDLE_HOLD * 1000 + 2000 < GREET_DELAY )) || die "BENCH_IDLE_HOLD must end at least 2 s before the greeting delay"

# ------------------------------------------------------------------------------- prerequisites
PATH=$PATH:/usr/sbin:/sbin:/usr/lib/postfix/sbin
missing=()
command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null || missing+=(postfix)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v python3 >/dev/null || missing+=(python3)
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
free_port GL_PORT
free_port DNS_PORT
free_port IDLE_PORT
free_port COUNTER_PORT

say "bench: work directory $WORK"
say "bench: ports: smtp-sink $SINK_PORT, haproxy $HAPROXY_PORT, greylited $GL_PORT, dns $DNS_PORT, idle greylited $IDLE_PORT, counting upstream $COUNTER_PORT"

# greylited's PTR lookups: to the loopback stub, or off.
GL_DNS_ARGS=()
ptr_mode="off (--ptr-timeout 0)"
if [[ $PTR == 1 ]] && grep -q -- '--dns=' <<<"$help_text"; then
    python3 "$BENCH/tools/stub_dns.py" --port "$DNS_PORT" --stats-file "$WORK/dns.stats" --max-seconds 7200 \
        >"$WORK/stub_dns.log" 2>&1 &
    DNS_PID=$!
    PIDS+=("$DNS_PID")
    for (( i = 0; i < 100; i++ )); do
        udp_bound "$DNS_PORT" && break
        kill -0 "$DNS_PID" 2>/dev/null || die "the stub DNS exited at start: $(cat "$WORK/stub_dns.log")"
        sleep 0.1
    done
    GL_DNS_ARGS=(--dns "127.0.0.1:$DNS_PORT")
    ptr_mode="on, answered by a stub DNS on 127.0.0.1:$DNS_PORT"
elif grep -q -- '--ptr-timeout=' <<<"$help_text"; then
    GL_DNS_ARGS=(--ptr-timeout 0)
else
    ptr_mode="not supported by this build"
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
cat >"$WORK/haproxy.cfg" <<EOF
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
EOF
haproxy -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 || die "haproxy rejects $WORK/haproxy.cfg: $(cat "$WORK/haproxy-check.log")"
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")
wait_listening "$HAPROXY_PORT" "$HAPROXY_PID" haproxy

# greylited for the throughput runs. --min-delay 0: the retry right after the first refusal passes.
JAVA_OPTS="${JAVA_OPTS:-}${BENCH_THROUGHPUT_JAVA_OPTS:+ $BENCH_THROUGHPUT_JAVA_OPTS}" \
    "$GREYLITED" --listen "127.0.0.1:$GL_PORT" --upstream "127.0.0.1:$SINK_PORT" --db "$WORK/greylite.db" \
    --min-delay 0 --idle-timeout 10m "${GL_DNS_ARGS[@]}" ${BENCH_GREYLITED_ARGS:-} >"$WORK/greylited.log" 2>&1 &
GL_PID=$!
PIDS+=("$GL_PID")
wait_listening "$GL_PORT" "$GL_PID" greylited
[[ $(cat "/proc/$GL_PID/comm" 2>/dev/null) == java ]] || say "bench: note: pid $GL_PID is not the JVM itself; RSS and CPU figures may be wrong"

# ------------------------------------------------------------------------------- whitelisting
say "bench: making the client pass greylisting once (first attempt refused, retry accepted)"
timeout 60 smtp-source -m 1 "${SOURCE_ARGS[@]}" "127.0.0.1:$GL_PORT" >"$WORK/first.out" 2>&1 || true
grep -q '451' "$WORK/first.out" || die "the first attempt was not greylisted: $(cat "$WORK/first.out")"
timeout 60 smtp-source -m 1 "${SOURCE_ARGS[@]}" "127.0.0.1:$GL_PORT" >"$WORK/second.out" 2>&1 \
    || die "the retry was not accepted: $(cat "$WORK/second.out")"
whitelist=$(sqlite3 "$WORK/greylite.db" "select client, source from whitelist" 2>&1)
grep -q '^127\.0\.0\.' <<<"$whitelist" || die "127.0.0.1 is not on the auto-whitelist; whitelist table: $whitelist"
say "bench: whitelist: $(tr '\n' ' ' <<<"$whitelist")"

# ------------------------------------------------------------------------------- throughput
say "bench: warm-up (untimed): greylited $WARMUP messages, haproxy and direct $(( WARMUP / 10 ))"
read -r c _ rc < <(smtp_source "$GL_PORT" "$WARMUP" "$SESSIONS" warmup-greylited)
(( rc == 0 && c == WARMUP )) || die "warm-up through greylited failed (exit $rc, $c of $WARMUP); see $WORK"
read -r c _ rc < <(smtp_source "$HAPROXY_PORT" $(( WARMUP / 10 + 1 )) "$SESSIONS" warmup-haproxy)
(( rc == 0 )) || die "warm-up through haproxy failed; see $WORK"
read -r c _ rc < <(smtp_source "$SINK_PORT" $(( WARMUP / 10 + 1 )) "$SESSIONS" warmup-direct)
(( rc == 0 )) || die "warm-up direct failed; see $WORK"
sleep 1

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A PORT_OF=([direct]=$SINK_PORT [haproxy]=$HAPROXY_PORT [greylited]=$GL_PORT)
declare -A PID_OF=([direct]="" [haproxy]=$HAPROXY_PID [greylited]=$GL_PID)
declare -A RATES=([direct]="" [haproxy]="" [greylited]="")
declare -A CPUS=([direct]="" [haproxy]="" [greylited]="")
declare -A SWITCHES=([direct]="" [haproxy]="" [greylited]="")
declare -A SYSCALL_COUNTS=([direct]="" [haproxy]="" [greylited]="")
failures=0

say "bench: $ROUNDS round(s) of $MESSAGES messages, $SESSIONS sessions in parallel, one SMTP session per message"
for (( r = 1; r <= ROUNDS; r++ )); do
    for path in direct haproxy greylited; do
        pid=${PID_OF[$path]}
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

# shellcheck disable=SC2086
med_direct=$(median ${RATES[direct]})
# shellcheck disable=SC2086
med_haproxy=$(median ${RATES[haproxy]})
# shellcheck disable=SC2086
med_greylited=$(median ${RATES[greylited]})
# shellcheck disable=SC2086
cpu_haproxy=$(median ${CPUS[haproxy]})
# shellcheck disable=SC2086
cpu_greylited=$(median ${CPUS[greylited]})
median_real() { # like median, for numbers with decimals
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# shellcheck disable=SC2086
ctx_haproxy=$(median_real ${SWITCHES[haproxy]})
# shellcheck disable=SC2086
ctx_greylited=$(median_real ${SWITCHES[greylited]})
# shellcheck disable=SC2086
sys_haproxy=$(median_real ${SYSCALL_COUNTS[haproxy]})
# shellcheck disable=SC2086
sys_greylited=$(median_real ${SYSCALL_COUNTS[greylited]})
r_hd=$(ratio "$med_haproxy" "$med_direct")
r_gh=$(ratio "$med_greylited" "$med_haproxy")

load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# Every message was a decision: count them in greylited's decision log (info level).
decisions=$(grep -c 'decision verdict=accept reason=whitelisted' "$WORK/greylited.log" || true)
expected_decisions=$(( WARMUP + ROUNDS * MESSAGES ))

stop_pid "$GL_PID"

# ------------------------------------------------------------------------------- idle connections
say "bench: idle test: $IDLE_CONNECTIONS silent clients held ${IDLE_HOLD}s inside a ${GREET_DELAY} ms greeting delay"
python3 "$BENCH/tools/upstream_counter.py" --port "$COUNTER_PORT" --count-file "$WORK/upstream.count" \
    --max-seconds 600 >"$WORK/upstream_counter.log" 2>&1 &
COUNTER_PID=$!
PIDS+=("$COUNTER_PID")
wait_listening "$COUNTER_PORT" "$COUNTER_PID" "the counting upstream"

"$GREYLITED" --listen "127.0.0.1:$IDLE_PORT" --upstream "127.0.0.1:$COUNTER_PORT" --db "$WORK/idle.db" \
    --greet-delay "$GREET_DELAY" --idle-timeout 1h "${GL_DNS_ARGS[@]}" >"$WORK/greylited-idle.log" 2>&1 &
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

dns_queries="-"
if [[ ${#GL_DNS_ARGS[@]} == 2 ]]; then
    stop_pid "$DNS_PID"
    dns_queries=$(cat "$WORK/dns.stats" 2>/dev/null || echo "?")
fi

# ------------------------------------------------------------------------------- report
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "n/a") print "n/a"; else if ((op == ">=" && v >= t) || (op == "<" && v < t)) print "met"; else print "NOT met" }'; }
idle_ok=1
[[ $clients_ok == 1 && $upstream_held == 0 && $upstream_after == 0 ]] || idle_ok=0

echo
echo "greylited benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) CPU(s), $(uname -r)"
echo "settings: smtp-source -s $SESSIONS -m $MESSAGES (one session per message), $ROUNDS round(s) interleaved, warm-up $WARMUP;"
echo "          smtp-sink -m 2000 backlog 1024; haproxy $(haproxy -v 2>/dev/null | awk 'NR == 1 { print $3 }') mode tcp, maxconn $HAPROXY_MAXCONN;"
echo "          greylited --min-delay 0, client auto-whitelisted, PTR lookups $ptr_mode${JAVA_OPTS:+, JAVA_OPTS=$JAVA_OPTS}${BENCH_THROUGHPUT_JAVA_OPTS:+, throughput instance also $BENCH_THROUGHPUT_JAVA_OPTS}${BENCH_GREYLITED_ARGS:+, options $BENCH_GREYLITED_ARGS}"
echo "load average (1, 5, 15 min) around the throughput runs: $load_start at the start, $load_end at the end"
echo "per round (msgs/s): direct ${RATES[direct]:-none}| haproxy ${RATES[haproxy]:-none}| greylited ${RATES[greylited]:-none}"
(( failures == 0 )) || echo "FAILED runs: $failures (not counted; see the lines above)"
echo "proxy CPU (ms per 1000 messages, median): haproxy $cpu_haproxy  greylited $cpu_greylited"
echo "proxy context switches per message (median): haproxy $ctx_haproxy  greylited $ctx_greylited"
[[ $SYSCALLS == 1 ]] && echo "proxy system calls per message (median): haproxy $sys_haproxy  greylited $sys_greylited"
echo "greydb decisions logged (reason=whitelisted): $decisions of $expected_decisions messages$( [[ $decisions == 0 ]] && echo ' (none at this LOGTHRESHOLD)')"
echo
echo "throughput (msgs/s, median of $ROUNDS): direct $med_direct  haproxy $med_haproxy  greylited $med_greylited"
echo "ratios: haproxy/direct $r_hd  greylited/haproxy $r_gh (target >= 0.80: $(verdict "$r_gh" 0.8 ">="))"
echo "idle: $IDLE_CONNECTIONS connections in greeting delay, greylited peak RSS $(mb "$hwm_kb") MB (target < 256 MB: $(verdict "$(mb "$hwm_kb")" 256 "<")), upstream connections opened: $upstream_held"
echo "      RSS $(mb "$rss_start_kb") MB before the clients, $(mb "$rss_held_kb") MB while held ($(awk -v a="$rss_held_kb" -v b="$rss_start_kb" -v n="$IDLE_CONNECTIONS" 'BEGIN { printf "%.1f", (a - b) / n }') KB per connection);"
echo "      while held: greylited had $held_fds open files, $established established client connections, accept queue $accept_queue;"
echo "      clients: $clients_summary"
echo "      upstream connections after the delay ran out for the closed sessions: $upstream_after; DNS queries answered by the stub: $dns_queries"

if (( failures == 0 )) && [[ $idle_ok == 1 && $med_greylited != n/a ]]; then
    status=0
else
    status=1
fi
exit "$status"
