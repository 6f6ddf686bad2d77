#!/bin/bash
# Where caucusd's time goes: N participants of one codec (2 talking) in
# one conference mixing at that codec's rate, as in bench/janus.sh, with
# `perf record -g` on caucusd for 8 s in the middle of the run; prints the
# kernel's share and the top symbols (self time).
#   bench/profile.sh [build-dir] [N]          BENCH_CODEC as in janus.sh;
#   BENCH_SOCKETS=per-thread: caucusd's rtp_sockets (per-call by default)
#   BENCH_TALKERS=all (or a number): how many legs talk (2 by default)
# perf comes from Debian (package linux-perf, installed here when missing).
. "$(dirname "$0")/common.sh"
shift || true
N=${1:-400}
codec_rate        # CODEC and RATE from BENCH_CODEC
if ! command -v perf >/dev/null; then
	echo "bench: installing perf (Debian package linux-perf)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends linux-perf >&2
fi

machine
SOCKETS=${BENCH_SOCKETS:-per-call}
TALKERS=${BENCH_TALKERS:-2}
[ "$TALKERS" = all ] && TALKERS=$N
echo "profile: $CODEC, N=$N, mixing at $RATE Hz, $TALKERS talking, RTP" \
	"sockets $SOCKETS, 8 s of perf"
start_server --mixer-rate "$RATE" --rtp-sockets "$SOCKETS"
"$BIN/caucus-loadgen" --n "$N" --rate 300 --warmup 3 --codec "$CODEC" \
	--own-sockets --talkers "$TALKERS" \
	--seconds 16 --pid "$PID" --api "$API" \
	--target "sip:bench@127.0.0.1:$SIP_PORT" >"$WORK/lg.out" \
	2>"$WORK/lg.err" &
LG=$!
# the calls are up and the warm-up is over once the generator says so
for _ in $(seq 1 600); do
	grep -q measuring "$WORK/lg.err" 2>/dev/null && break
	sleep 0.1
done
sleep 2
perf record -q -g -F 2999 -p "$PID" -o "$WORK/perf.data" -- sleep 8 \
	>/dev/null 2>&1
wait "$LG" || true
grep '^RESULT' "$WORK/lg.out" || true
stop_server
PROF="$OUT/profile-$CODEC-$N-$SOCKETS-$TALKERS.txt"
echo "where (self time by object):"
perf report -i "$WORK/perf.data" --no-children --sort dso -g none -q \
	--stdio 2>/dev/null | awk 'NF >= 2 { printf "  %7s  %s\n", $1, $2 }' |
	head -8 | tee "$PROF"
echo "top symbols (self time):"
perf report -i "$WORK/perf.data" --no-children --sort dso,sym -g none -q \
	--stdio 2>/dev/null | awk 'NF >= 3 { printf "  %7s  %-22s %s\n",
	$1, $2, $NF }' | head -25 | tee -a "$PROF"
