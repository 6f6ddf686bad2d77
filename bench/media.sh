#!/bin/bash
# Media benchmark: N PCMU participants (2 talking, the rest silent) join one
# conference through SIP (caucus-loadgen); caucusd runs one mixer thread.
# Prints caucusd's CPU per participant-frame, the mixer's own busy time per
# participant-frame, loss, jitter and late ticks for each N.
#   bench/media.sh [build-dir] [N ...]
. "$(dirname "$0")/common.sh"
shift || true
SIZES=${*:-50 200 400 1000}
SECONDS_MEASURE=${BENCH_SECONDS:-10}
RATE=${BENCH_RATE:-8000}     # the mix rate (G.711: 8 kHz, as the peers)

machine
echo "media: PCMU 20 ms, one conference mixing at $RATE Hz, 1 mixer thread," \
	"${SECONDS_MEASURE}s measured after 3s warm-up"
# the rows as data too (bench/out/media.csv), from the RESULT lines
CSV="$OUT/media.csv"
csv_start "$CSV" "n,joined,cpu_pct,us_per_pf,mixer_us_per_pf,loss_pct,\
jitter_ms,late_ticks,late_p99_ms"
start_server --mixer-rate "$RATE"
"$BIN/caucus-loadgen" --header
for n in $SIZES; do
	echo "  ... N=$n joining" >&2
	"$BIN/caucus-loadgen" --pid "$PID" --api "$API" \
		--target "sip:bench@127.0.0.1:$SIP_PORT" --n "$n" --rate 300 \
		--warmup 3 --seconds "$SECONDS_MEASURE" 2>"$WORK/lg-$n.err" |
		tee -a "$OUT/media.txt" "$WORK/lg-$n.out" | grep -v '^RESULT' || {
		echo "loadgen failed for N=$n:" >&2
		tail -5 "$WORK/lg-$n.err" >&2
	}
	grep -h '^RESULT' "$WORK/lg-$n.out" | awk -v n="$n" '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END { print n "," v["joined"] "," v["cpu_pct"] "," v["us_per_pf"] \
		  "," v["mixer_us_per_pf"] "," v["loss_pct"] "," v["jitter_ms"] \
		  "," v["late_ticks"] "," v["late_p99_ms"] }' >>"$CSV"
	# the next size starts from an empty room
	for _ in $(seq 1 100); do
		[ "$(participants)" = 0 ] && break
		sleep 0.1
	done
done
stop_server
echo "columns: cpu % of one core; us/pf = caucusd CPU us per" \
	"participant-frame (whole process); mixer us = mixer thread busy" \
	"us per participant-frame; jitter = RFC 3550 interarrival, ms;" \
	"late = mixer ticks that ended past their deadline; p99 late =" \
	"99th percentile of how late a tick started, ms (bucket bound)"
