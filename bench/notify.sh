#!/bin/bash
# Notification benchmark: SUBS subscribers (sipp, one SUBSCRIBE dialog
# each) watch one conference while PARTS participants join and leave it
# (sipp: a join every 1/RATE s, each staying PARTS/RATE s). Over the
# measured window: NOTIFYs per second, how many were partial, bytes,
# caucusd's CPU and its signalling thread's, NOTIFYs per second of
# signalling-thread CPU (the rate one core would carry),
# and the delay from a change to the NOTIFY that carries it (p50, p99).
#   bench/notify.sh [build-dir]
. "$(dirname "$0")/common.sh"
SUBS=${BENCH_SUBS:-1000}
PARTS=${BENCH_PARTS:-500}
RATE=${BENCH_RATE:-50}
WINDOW=${BENCH_WINDOW:-20}
INTERVAL=${BENCH_NOTIFY_MS:-250}
# Subscribers over TCP, one connection each: NOTIFYs of a busy room run
# to tens of kB, and RFC 3261 s. 18.1.1 wants a congestion-controlled
# transport above 1300 bytes (over UDP, bursts of them overflow the
# subscriber's socket buffer). BENCH_SUB_TP=u1 measures UDP anyway.
SUB_TP=${BENCH_SUB_TP:-tn}
SCEN="$ROOT/tests/integration/scenarios"

stat() { curl -s "$API/v1/status"; }
field() { printf '%s' "$1" | grep -o "\"$2\":[0-9]*" | head -n1 | cut -d: -f2; }

machine
echo "notify: $SUBS subscribers ($SUB_TP), $PARTS participants joining" \
	"and leaving ($RATE joins/s), notify_interval_ms=$INTERVAL," \
	"${WINDOW}s measured"
start_server --notify-interval-ms "$INTERVAL"
sipp -sf "$SCEN/uac_sub_loop.xml" -s bench -i 127.0.0.1 -p "$(free_port)" \
	-mp "$(free_media_port)" -m "$SUBS" -r 500 -l "$SUBS" -timeout 300s \
	-t "$SUB_TP" \
	-max_socket 4000 -nostdin "127.0.0.1:$SIP_PORT" \
	>"$WORK/subs.out" 2>&1 &
subs_pid=$!
for _ in $(seq 1 300); do
	[ "$(field "$(stat)" subscriptions)" = "$SUBS" ] && break
	sleep 0.1
done
echo "  ... $(field "$(stat)" subscriptions) subscribers in" >&2
hold_ms=$(( PARTS * 1000 / RATE ))
total=$(( RATE * (WINDOW + 40) ))
sipp -sf "$SCEN/uac_join.xml" -s bench -i 127.0.0.1 -p "$(free_port)" \
	-mp "$(free_media_port)" -r "$RATE" -m "$total" -d "$hold_ms" \
	-l $((PARTS + 100)) -timeout 300s -nostdin \
	"127.0.0.1:$SIP_PORT" >"$WORK/parts.out" 2>&1 &
parts_pid=$!
# ramp up until the room holds about PARTS people
for _ in $(seq 1 $(( hold_ms / 100 + 50 ))); do
	n=$(field "$(stat)" participants)
	[ "${n:-0}" -ge $(( PARTS * 95 / 100 )) ] && break
	sleep 0.1
done
echo "  ... $(field "$(stat)" participants) participants in, measuring" >&2
s0=$(stat)
cpu0=$(awk '{print $14+$15}' "/proc/$PID/stat")
sig0=$(awk '{print $14+$15}' "/proc/$PID/task/$PID/stat")
sleep "$WINDOW"
s1=$(stat)
cpu1=$(awk '{print $14+$15}' "/proc/$PID/stat")
sig1=$(awk '{print $14+$15}' "/proc/$PID/task/$PID/stat")
hz=$(getconf CLK_TCK)
awk -v n0="$(field "$s0" notifies_sent)" -v n1="$(field "$s1" notifies_sent)" \
    -v p0="$(field "$s0" partial_sent)" -v p1="$(field "$s1" partial_sent)" \
    -v b0="$(field "$s0" bytes_sent)" -v b1="$(field "$s1" bytes_sent)" \
    -v c0="$cpu0" -v c1="$cpu1" -v g0="$sig0" -v g1="$sig1" \
    -v hz="$hz" -v w="$WINDOW" \
    -v subs="$(field "$s1" subscriptions)" \
    -v parts="$(field "$s1" participants)" \
    -v p50="$(field "$s1" delay_p50_ms)" -v p99="$(field "$s1" delay_p99_ms)" \
    'BEGIN {
	n = n1 - n0; cpu = (c1 - c0) / hz; sig = (g1 - g0) / hz;
	printf "%-11s %6s %8s %8s %7s %7s %7s %12s %6s %6s\n", "subscribers",
		"people", "NOTIFY/s", "partial", "MB/s", "cpu %", "sig %",
		"NOTIFY/sig-s", "p50ms", "p99ms";
	printf "%-11s %6s %8.0f %7.1f%% %7.2f %7.1f %7.1f %12.0f %6s %6s\n",
		subs, parts, n / w, n ? 100 * (p1 - p0) / n : 0,
		(b1 - b0) / w / 1e6, cpu / w * 100, sig / w * 100,
		sig ? n / sig : 0, p50, p99
    }' | tee -a "$OUT/notify.txt"
curl -s -X DELETE "$API/v1/conferences/bench" >/dev/null
sleep 2
kill "$parts_pid" "$subs_pid" 2>/dev/null || true
wait "$parts_pid" "$subs_pid" 2>/dev/null || true
stop_server
echo "columns: NOTIFY/s and MB/s (bodies) sent by caucusd; cpu % of one" \
	"core: caucusd (all threads, with the mixer of the room) and its" \
	"signalling thread alone (NOTIFYs, SIP, the call churn); NOTIFY/sig-s" \
	"= NOTIFYs per second of signalling-thread CPU, the rate one core" \
	"would carry; p50/p99 = change to NOTIFY, over NOTIFYs that carried" \
	"a change (whole run)"
