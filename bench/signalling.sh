#!/bin/bash
# Signalling benchmark: join+leave call cycles a second (INVITE, 200, ACK,
# a hold, BYE, 200) that sipp sustains against one conference with no
# failed call, over UDP and over TCP, sipp and caucusd both with 4 MiB
# socket buffers.
#   bench/signalling.sh [build-dir]
# Two modes:
# - the climb (default): each rate of BENCH_RATES for BENCH_STEP_S (10) s,
#   UDP then TCP, rates climbing until the first failure, where a step
#   that takes more than 15 % longer than planned (the server fell behind)
#   or leaves calls half-open also counts as a failure;
# - cases: BENCH_CASES="tp:rate:seconds ..." runs exactly those steps, each
#   against a fresh caucusd (tp u1 = UDP, t1 = TCP). BENCH_CASES=issue is
#   issue 22's: "u1:2000:10 u1:1000:60 t1:1500:10".
# BENCH_HOLD_MS (1000) is how long each call stays up (sipp -d).
# BENCH_STRICT=1: exit 1 when a case failed (tests/bench/test_signalling.sh
# runs a short form of it under make test).
# Per row: calls, ok, failed, sipp's retransmissions, the calls sipp still
# had open when it stopped, the participants caucusd still lists 5 s
# after the step (half-open), caucusd's cpu % (of one core, over the step)
# and its mixer threads' share of that (also of one core).
. "$(dirname "$0")/common.sh"
RATES=${BENCH_RATES:-"200 400 600 800 1000 1250 1500 2000 2500 3000"}
STEP_S=${BENCH_STEP_S:-10}
HOLD_MS=${BENCH_HOLD_MS:-1000}
CASES=${BENCH_CASES:-}
[ "$CASES" = issue ] && CASES="u1:2000:10 u1:1000:60 t1:1500:10"
SCEN="$ROOT/tests/integration/scenarios/uac_join.xml"
BUF=4194304
HZ=$(getconf CLK_TCK)

# The rows as data for bench/plot.sh (bench/out/signalling.csv), with the
# rates: offered (asked of sipp), completed and failed (calls over the time
# the step took) and 503 (answers 503 to an INVITE, counted in sipp's
# error log: the scenario expects 200, so each one also fails its call).
# The columns after cpu_pct came later (the plot reads them by name).
# (BENCH_OUT_DIR: elsewhere, for the short test of make test)
[ -z "${BENCH_OUT_DIR:-}" ] || { OUT=$BENCH_OUT_DIR; mkdir -p "$OUT"; }
CSV="$OUT/signalling.csv"
csv_start "$CSV" "transport,offered_per_s,calls,ok,failed,took_s,\
completed_per_s,failed_per_s,r503,r503_per_s,cpu_pct,\
retrans,open_at_end,half_open,mixer_pct,step_s,hold_ms"

# cpu_ticks [PATTERN]: utime+stime of caucusd, or of its threads whose
# name matches PATTERN (ps -L shows them: caucus-mixer, ...)
cpu_ticks() {
	if [ -z "${1:-}" ]; then
		awk '{ print $14 + $15 }' "/proc/$PID/stat"
		return
	fi
	local t sum=0 name
	for t in /proc/"$PID"/task/*; do
		name=$(cat "$t/comm" 2>/dev/null) || continue
		case $name in
		$1) sum=$((sum + $(awk '{ print $14 + $15 }' "$t/stat"))) ;;
		esac
	done
	echo "$sum"
}

# BENCH_PERF=DIR: `perf record -g` on caucusd over each step, into
# DIR/signalling-TP-RATE-S.data (perf: Debian's linux-perf)
PERF_PID=""
perf_start() {
	[ -n "${BENCH_PERF:-}" ] || return 0
	mkdir -p "$BENCH_PERF"
	perf record -q -g -p "$PID" \
		-o "$BENCH_PERF/signalling-$1-$2-$3.data" >/dev/null 2>&1 &
	PERF_PID=$!
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
	PERF_PID=""
}

# stat_col NAME: that column of the last line of sipp's statistics file
stat_col() {
	awk -F';' -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == n) c = i } END { print c ? $c : "" }' "$WORK/stat.csv"
}

# step TP RATE SECONDS: one sipp run, printed and appended to the CSV; 0
# when every call succeeded in about the time the rate allows
step() {
	local tp=$1 r=$2 s=$3 total=$(($2 * $3)) cpu0 cpu1 mx0 mx1 t0 took
	local ok bad rtx open ho cpu mx n503 name
	cpu0=$(cpu_ticks)
	mx0=$(cpu_ticks 'caucus-mixer*')
	t0=$(date +%s%N)
	rm -f "$WORK/err.log" "$WORK/stat.csv"
	perf_start "$tp" "$r" "$s"
	sipp -sf "$SCEN" -s bench -i 127.0.0.1 -p "$(free_port)" \
		-mp "$(free_media_port)" -t "$tp" -r "$r" -m "$total" \
		-d "$HOLD_MS" -l $((r * 4 + 100)) -timeout $((s * 3 + 30))s \
		-nostdin -buff_size "$BUF" -max_socket 2000 \
		-trace_stat -stf "$WORK/stat.csv" \
		-trace_err -error_file "$WORK/err.log" \
		"127.0.0.1:$SIP_PORT" >"$WORK/sipp.out" 2>&1 || true
	perf_stop
	cpu1=$(cpu_ticks)
	mx1=$(cpu_ticks 'caucus-mixer*')
	took=$(awk -v a="$t0" -v b="$(date +%s%N)" \
		'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	ok=$(stat_col SuccessfulCall\(C\))
	bad=$(stat_col FailedCall\(C\))
	rtx=$(stat_col Retransmissions\(C\))
	open=$(stat_col CurrentCall)
	ho=$(half_open)
	cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v s="$took" -v hz="$HZ" \
		'BEGIN { printf "%.1f", (b - a) / hz / s * 100 }')
	mx=$(awk -v a="$mx0" -v b="$mx1" -v s="$took" -v hz="$HZ" \
		'BEGIN { printf "%.1f", (b - a) / hz / s * 100 }')
	n503=$(grep -c "received 'SIP/2.0 503" "$WORK/err.log" 2>/dev/null ||
		true)
	name=$([ "$tp" = u1 ] && echo UDP || echo TCP)
	printf '%-4s %6s %4s %7s %7s %6s %7s %5s %5s %6s %6s %6s %5s\n' \
		"$name" "$r" "$s" "$total" "${ok:-?}" "${bad:-?}" "${rtx:-?}" \
		"${open:-?}" "$ho" "$took" "$cpu" "$mx" "${n503:-0}" |
		tee -a "$OUT/signalling.txt"
	awk -v tp="$name" -v r="$r" -v m="$total" -v ok="${ok:-0}" \
		-v bad="${bad:-0}" -v s="$took" -v n5="${n503:-0}" -v c="$cpu" \
		-v rtx="${rtx:-0}" -v open="${open:-0}" -v ho="$ho" -v mx="$mx" \
		-v st="$s" -v hold="$HOLD_MS" \
		'BEGIN { printf "%s,%s,%s,%s,%s,%s,%.1f,%.1f,%s,%.1f,%s,%s,%s,%s,%s,%s,%s\n",
		  tp, r, m, ok, bad, s, ok / s, bad / s, n5, n5 / s, c,
		  rtx, open, ho, mx, st, hold }' >>"$CSV"
	[ "${bad:-1}" = 0 ] && [ "${ok:-0}" = "$total" ] && [ "$ho" = 0 ] &&
		awk -v t="$took" -v s="$s" -v h="$HOLD_MS" \
			'BEGIN { exit !(t <= s * 1.15 + 1 + h / 1000) }'
}

machine
echo "signalling: join+leave cycles against one conference, calls held" \
	"${HOLD_MS} ms, 4 MiB socket buffers"
printf '%-4s %6s %4s %7s %7s %6s %7s %5s %5s %6s %6s %6s %5s\n' tp rate/s \
	s calls ok failed retrans open half took cpu% mixer% 503s
if [ -n "$CASES" ]; then
	fails=0
	for c in $CASES; do
		IFS=: read -r tp r s <<<"$c"
		start_server
		step "$tp" "$r" "$s" || fails=$((fails + 1))
		stop_server
	done
	echo "cases with a failed or half-open call: $fails" |
		tee -a "$OUT/signalling.txt"
	[ "${BENCH_STRICT:-0}" = 0 ] || [ "$fails" = 0 ]
	exit
fi
for tp in u1 t1; do
	best=0
	name=$([ "$tp" = u1 ] && echo UDP || echo TCP)
	start_server
	for r in $RATES; do
		step "$tp" "$r" "$STEP_S" || break
		best=$r
	done
	stop_server
	echo "$name: highest rate with no failed call: $best calls/s" |
		tee -a "$OUT/signalling.txt"
done
