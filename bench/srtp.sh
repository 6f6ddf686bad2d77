#!/bin/bash
# What SRTP costs: N G.711 participants (400 by default) in one
# conference, over plain RTP and then over SRTP (SDES,
# AES_CM_128_HMAC_SHA1_80: every packet decrypted and authenticated on
# receipt and encrypted on the way out, on the mixer thread), with 2
# talking and then with everyone talking. caucusd's defaults but one mixer
# thread (figures per core). Prints caucusd's CPU per participant-frame
# for each, and what SRTP adds. The load generator checks every packet it
# gets authenticates (unauth must be 0).
#   bench/srtp.sh [build-dir] [N]
. "$(dirname "$0")/common.sh"
shift || true
N=${1:-400}
SECONDS_MEASURE=${BENCH_SECONDS:-10}

machine
echo "srtp: PCMU 20 ms, N=$N in one conference, default mix rate," \
	"1 mixer thread, ${SECONDS_MEASURE}s measured after 3s warm-up"
start_server
declare -A US MIX
printf '%-6s %8s %7s %9s %10s %8s %7s\n' media talkers "cpu %" "us/pf" \
	"mixer us" "loss %" unauth
for talkers in 2 "$N"; do
	for mode in plain srtp; do
		flag=""
		[ "$mode" = srtp ] && flag=--srtp
		echo "  ... N=$N $mode, $talkers talking" >&2
		# shellcheck disable=SC2086
		r=$("$BIN/caucus-loadgen" --pid "$PID" --api "$API" \
			--target "sip:bench@127.0.0.1:$SIP_PORT" --n "$N" \
			--rate 300 --warmup 3 --seconds "$SECONDS_MEASURE" \
			--talkers "$talkers" $flag 2>"$WORK/lg.err" |
			grep '^RESULT') || {
			echo "loadgen failed ($mode, $talkers talking):" >&2
			tail -5 "$WORK/lg.err" >&2
			exit 1
		}
		echo "$mode talkers=$talkers $r" >>"$OUT/srtp.txt"
		val() { printf '%s' "$r" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
		if [ "$(val joined)" != "$N" ]; then
			echo "srtp: only $(val joined) of $N joined" >&2
			exit 1
		fi
		US[$mode,$talkers]=$(val us_per_pf)
		MIX[$mode,$talkers]=$(val mixer_us_per_pf)
		printf '%-6s %8s %7s %9s %10s %8s %7s\n' "$mode" "$talkers" \
			"$(val cpu_pct)" "$(val us_per_pf)" \
			"$(val mixer_us_per_pf)" "$(val loss_pct)" \
			"$(val srtp_unauth)"
		for _ in $(seq 1 100); do
			[ "$(participants)" = 0 ] && break
			sleep 0.1
		done
	done
done
stop_server
for talkers in 2 "$N"; do
	awk -v t="$talkers" -v p="${US[plain,$talkers]}" \
		-v s="${US[srtp,$talkers]}" -v mp="${MIX[plain,$talkers]}" \
		-v ms="${MIX[srtp,$talkers]}" 'BEGIN {
		f = "SRTP adds, %s talking: %+.2f us per participant-frame"
		f = f " (%+.0f%%) to caucusd, %+.2f us (%+.0f%%) to the mixer"
		f = f " thread\n"
		printf(f, t, s - p, p > 0 ? 100 * (s - p) / p : 0, ms - mp,
		       mp > 0 ? 100 * (ms - mp) / mp : 0)
	}'
done
echo "columns: cpu % of one core; us/pf = caucusd CPU us per" \
	"participant-frame (whole process); mixer us = mixer thread busy" \
	"us per participant-frame; unauth = SRTP packets from caucusd the" \
	"load generator could not authenticate"
