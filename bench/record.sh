#!/bin/bash
# What recording costs: N G.711 participants (400 by default) in one
# conference, with the conference not recorded and then recorded (its
# mix to Ogg Opus, the default format: a sink application in the mixer,
# and libopusenc on the applications' I/O thread), with 2 talking and
# then with everyone talking. caucusd's defaults but one mixer thread
# (figures per core). Prints caucusd's CPU per participant-frame (the
# whole process: the I/O thread's encoding is in it) for each, and what
# recording adds.
#   bench/record.sh [build-dir] [N]
. "$(dirname "$0")/common.sh"
shift || true
N=${1:-400}
SECONDS_MEASURE=${BENCH_SECONDS:-10}

machine
echo "record: PCMU 20 ms, N=$N in one conference, default mix rate," \
	"1 mixer thread, ${SECONDS_MEASURE}s measured after 3s warm-up"
start_server
declare -A US MIX
printf '%-9s %8s %7s %9s %10s %8s %10s\n' recording talkers "cpu %" \
	"us/pf" "mixer us" "loss %" "rec s"
for talkers in 2 "$N"; do
	for mode in off on; do
		rid=""
		if [ "$mode" = on ]; then
			rid=$(curl -s -X POST "$API/v1/conferences/bench/recordings" \
				-d '{}' | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
			[ -n "$rid" ] || { echo "recording not started" >&2; exit 1; }
		fi
		echo "  ... N=$N recording $mode, $talkers talking" >&2
		r=$("$BIN/caucus-loadgen" --pid "$PID" --api "$API" \
			--target "sip:bench@127.0.0.1:$SIP_PORT" --n "$N" \
			--rate 300 --warmup 3 --seconds "$SECONDS_MEASURE" \
			--talkers "$talkers" 2>"$WORK/lg.err" |
			grep '^RESULT') || {
			echo "loadgen failed ($mode, $talkers talking):" >&2
			tail -5 "$WORK/lg.err" >&2
			exit 1
		}
		secs="-"
		if [ -n "$rid" ]; then
			curl -s -X POST \
				"$API/v1/conferences/bench/recordings/$rid/stop" \
				>/dev/null
			for _ in $(seq 1 50); do
				j=$(curl -s "$API/v1/conferences/bench/recordings/$rid")
				printf '%s' "$j" | grep -q '"state":"stopped"' && break
				sleep 0.1
			done
			printf '%s' "$j" | grep -q '"state":"stopped"' || {
				echo "recording did not stop: $j" >&2; exit 1; }
			secs=$(printf '%s' "$j" | grep -o '"duration_ms":[0-9]*' |
				cut -d: -f2 | awk '{ printf "%.1f", $1 / 1000 }')
		fi
		echo "recording=$mode talkers=$talkers $r" >>"$OUT/record.txt"
		val() { printf '%s' "$r" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
		if [ "$(val joined)" != "$N" ]; then
			echo "record: only $(val joined) of $N joined" >&2
			exit 1
		fi
		US[$mode,$talkers]=$(val us_per_pf)
		MIX[$mode,$talkers]=$(val mixer_us_per_pf)
		printf '%-9s %8s %7s %9s %10s %8s %10s\n' "$mode" "$talkers" \
			"$(val cpu_pct)" "$(val us_per_pf)" \
			"$(val mixer_us_per_pf)" "$(val loss_pct)" "$secs"
		for _ in $(seq 1 100); do
			[ "$(participants)" = 0 ] && break
			sleep 0.1
		done
	done
done
stop_server
for talkers in 2 "$N"; do
	awk -v t="$talkers" -v p="${US[off,$talkers]}" \
		-v s="${US[on,$talkers]}" 'BEGIN {
		f = "%s talking: recording adds %+.2f us per"
		f = f " participant-frame (%+.1f%%) to caucusd\n"
		printf(f, t, s - p, p > 0 ? (s - p) * 100 / p : 0) }'
done
echo "columns: cpu % of one core; us/pf = caucusd CPU us per" \
	"participant-frame (whole process, the recorder's encoding" \
	"included); mixer us = mixer thread busy us per participant-frame;" \
	"rec s = length of the recording made during the run"
