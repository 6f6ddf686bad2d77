#!/bin/bash
# What the media policy costs (issue 17): N G.711 participants (400 by
# default) in one conference, caucusd's defaults but one mixer thread
# (figures per core), with no relations, with 40 whisper pairs (40
# participants each speaking to one other alone: private sources), and
# split into 10 sidebars of 40 by a breakout (each member hears its
# sidebar and the main conference at -12 dB); with 2 talking and with
# everyone talking. Prints caucusd's CPU per participant-frame side by
# side and each case against no relations.
#   bench/policy.sh [build-dir] [N]
. "$(dirname "$0")/common.sh"
shift || true
N=${1:-400}
SECONDS_MEASURE=${BENCH_SECONDS:-10}
PAIRS=$((N / 10))

machine
echo "policy: PCMU 20 ms, N=$N in one conference, default mix rate," \
	"1 mixer thread, ${SECONDS_MEASURE}s measured after 3s warm-up"
start_server
# what the loadgen runs once everyone is in (before the media starts)
cat >"$WORK/whisper.sh" <<SETUP
#!/bin/bash
set -eu
pids=\$(curl -sf "$API/v1/conferences/bench/participants" |
	grep -o '"id":"[^"]*"' | cut -d'"' -f4 | head -$((2 * PAIRS)))
set -- \$pids
while [ \$# -ge 2 ]; do
	curl -sf -X PATCH "$API/v1/conferences/bench/participants/\$1" \
		-H 'Content-Type: application/json' \
		-d "{\"whisper\":{\"to\":\"\$2\"}}" >/dev/null
	shift 2
done
SETUP
cat >"$WORK/breakout.sh" <<SETUP
#!/bin/bash
curl -sf -X POST "$API/v1/conferences/bench/breakouts" \
	-H 'Content-Type: application/json' \
	-d '{"rooms":10,"assign":"round_robin"}' >/dev/null
SETUP
chmod +x "$WORK/whisper.sh" "$WORK/breakout.sh"
declare -A US
printf '%-22s %8s %7s %9s %10s %8s\n' case talkers "cpu %" "us/pf" \
	"mixer us" "loss %"
for talkers in 2 "$N"; do
	for mode in none whisper sidebars; do
		setup=()
		case $mode in
		whisper) setup=(--setup "$WORK/whisper.sh") ;;
		sidebars) setup=(--setup "$WORK/breakout.sh") ;;
		esac
		echo "  ... N=$N $mode, $talkers talking" >&2
		r=$("$BIN/caucus-loadgen" --pid "$PID" --api "$API" \
			--target "sip:bench@127.0.0.1:$SIP_PORT" --n "$N" \
			--rate 300 --warmup 3 --seconds "$SECONDS_MEASURE" \
			--talkers "$talkers" "${setup[@]}" 2>"$WORK/lg.err" |
			grep '^RESULT') || {
			echo "loadgen failed ($mode, $talkers talking):" >&2
			tail -5 "$WORK/lg.err" >&2
			exit 1
		}
		echo "policy=$mode talkers=$talkers $r" >>"$OUT/policy.txt"
		val() { printf '%s' "$r" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
		if [ "$(val joined)" != "$N" ]; then
			echo "policy: only $(val joined) of $N joined" >&2
			exit 1
		fi
		US[$mode,$talkers]=$(val us_per_pf)
		case $mode in
		none) label="no relations" ;;
		whisper) label="$PAIRS whisper pairs" ;;
		sidebars) label="10 sidebars of $((N / 10))" ;;
		esac
		printf '%-22s %8s %7s %9s %10s %8s\n' "$label" "$talkers" \
			"$(val cpu_pct)" "$(val us_per_pf)" \
			"$(val mixer_us_per_pf)" "$(val loss_pct)"
		# the breakout ends with the calls; its sidebars with it
		curl -s -X DELETE "$API/v1/conferences/bench/breakouts" \
			>/dev/null || true
		for _ in $(seq 1 100); do
			[ "$(participants)" = 0 ] && break
			sleep 0.1
		done
	done
done
stop_server
for talkers in 2 "$N"; do
	for mode in whisper sidebars; do
		awk -v t="$talkers" -v m="$mode" -v p="${US[none,$talkers]}" \
			-v s="${US[$mode,$talkers]}" 'BEGIN {
			f = "%s talking, %s: %.2fx the CPU of no relations\n"
			printf(f, t, m, p > 0 ? s / p : 0) }'
	done
done
echo "columns: cpu % of one core; us/pf = caucusd CPU us per" \
	"participant-frame (whole process); mixer us = mixer thread busy" \
	"us per participant-frame"
