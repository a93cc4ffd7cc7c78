#!/bin/bash
# bench/java-floor.sh: where greylited's CPU beyond HAProxy's goes. HAProxy (TCP mode), a minimal Java NIO relay
# without SMTP (bench/tools/JavaRelayFloor.java: one thread, no MINA, no logging) and greylited (client
# whitelisted, PTR from dnsmasq with a confirmed name) each relay smtp-source's one-message sessions to smtp-sink,
# in interleaved rounds; reported per proxy: msgs/s and its user and system CPU per 1,000 messages.
#
#   bench/java-floor.sh            # 3 rounds of 20,000 messages each (about 3 minutes)
#   FLOOR_ROUNDS=5 FLOOR_MESSAGES=50000 bench/java-floor.sh
#
# Needs what bench/run.sh needs (smtp-source, smtp-sink, haproxy, dnsmasq, java) and the built jars.
set -euo pipefail
# It takes no arguments (FLOOR_* variables set it up): help, or a word it does not know, starts nothing.
case "${1:-}" in
    "") ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: [FLOOR_ROUNDS=N] [FLOOR_MESSAGES=N] bench/java-floor.sh  (--help for more)" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${FLOOR_ROUNDS:-3}
MESSAGES=${FLOOR_MESSAGES:-20000}
BASE=${FLOOR_PORT_BASE:-28400}
GL=$BASE DNS=$((BASE + 1)) SINK=$((BASE + 2)) HAP=$((BASE + 3)) RELAY=$((BASE + 4))
for p in $GL $DNS $SINK $HAP $RELAY; do
    ss -Htuln "sport = :$p" | grep -q . && { echo "java-floor: port $p is in use (set FLOOR_PORT_BASE)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/java-floor.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

listening() { # PORT: waits up to 30 s for a TCP listener
    for _ in $(seq 300); do ss -Htln "sport = :$1" | grep -q . && return 0; sleep 0.1; done
    echo "java-floor: nothing listens on $1; logs in $WORK" >&2; exit 1
}

dnsmasq --no-daemon --conf-file=/dev/null --pid-file --no-resolv --no-hosts --bind-interfaces \
    --listen-address=127.0.0.1 --log-facility=- --port=$DNS --local=/bench.test/ --local=/127.in-addr.arpa/ \
    --host-record=mx.bench.test,127.0.0.1 --local-ttl=3600 >"$WORK/dnsmasq.log" 2>&1 &
PIDS+=($!)
SINK_ARGS=(-m 2000)
[[ $(id -u) == 0 ]] && SINK_ARGS+=(-u nobody)
smtp-sink "${SINK_ARGS[@]}" "127.0.0.1:$SINK" 1024 >"$WORK/smtp-sink.log" 2>&1 &
PIDS+=($!)
"$ROOT/bin/greylited" --listen "127.0.0.1:$GL" --upstream "127.0.0.1:$SINK" --db "$WORK/greylite.db" --min-delay 0 \
    --idle-timeout 10m --client-connection-limit 0 --connection-limit 0 --dns "127.0.0.1:$DNS" >"$WORK/greylited.log" 2>&1 &
GL_PID=$!
PIDS+=($GL_PID)
printf 'global\n maxconn 4000\ndefaults\n mode tcp\n timeout connect 5s\n timeout client 60s\n timeout server 60s\nfrontend f\n bind 127.0.0.1:%s\n default_backend b\nbackend b\n server sink 127.0.0.1:%s\n' \
    "$HAP" "$SINK" >"$WORK/haproxy.cfg"
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
HAP_PID=$!
PIDS+=($HAP_PID)
java -XX:+UseSerialGC -Xms32m -Xmx256m "$ROOT/bench/tools/JavaRelayFloor.java" "$RELAY" "$SINK" >"$WORK/relay.log" 2>&1 &
RELAY_PID=$!
PIDS+=($RELAY_PID)
for p in $SINK $GL $HAP $RELAY; do listening "$p"; done

SOURCE=(-f sender@example.org -t rcpt@example.com -M bench.example.org)
# greylited: the first attempt is refused, the retry passes and whitelists the client.
smtp-source -m 1 "${SOURCE[@]}" "127.0.0.1:$GL" >/dev/null 2>&1 || true
smtp-source -m 1 "${SOURCE[@]}" "127.0.0.1:$GL" >/dev/null 2>&1
# Warm-up, untimed: the JIT compiles the Java proxies' paths first.
smtp-source -c -s 20 -m 30000 "${SOURCE[@]}" "127.0.0.1:$GL" >/dev/null 2>&1
smtp-source -c -s 20 -m 30000 "${SOURCE[@]}" "127.0.0.1:$RELAY" >/dev/null 2>&1
smtp-source -c -s 20 -m 3000 "${SOURCE[@]}" "127.0.0.1:$HAP" >/dev/null 2>&1

declare -A RATE CPU
echo "machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
for (( r = 1; r <= ROUNDS; r++ )); do
    for entry in "haproxy $HAP $HAP_PID" "java-relay $RELAY $RELAY_PID" "greylited $GL $GL_PID"; do
        read -r name port pid <<<"$entry"
        read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
        t0=$(date +%s%N)
        smtp-source -c -s 20 -m "$MESSAGES" "${SOURCE[@]}" "127.0.0.1:$port" >/dev/null 2>&1
        t1=$(date +%s%N)
        read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
        tick_ms=$(( 1000 / $(getconf CLK_TCK) ))
        RATE[$name]+=" $(( MESSAGES * 1000000000 / (t1 - t0) ))"
        CPU[$name]+=" $(( (u1 - u0) * tick_ms * 1000 / MESSAGES ))u+$(( (s1 - s0) * tick_ms * 1000 / MESSAGES ))s"
    done
done
echo "smtp-source -s 20 -m $MESSAGES, $ROUNDS interleaved round(s); CPU: user+system ms per 1,000 messages"
for name in haproxy java-relay greylited; do
    printf '%-10s msgs/s:%s   CPU:%s\n' "$name" "${RATE[$name]}" "${CPU[$name]}"
done
echo "machine after: $(uptime | sed 's/.*load average/load average/')"
