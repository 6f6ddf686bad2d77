#!/bin/bash
# Signalling benchmark: the highest rate of join+leave call cycles per
# second (INVITE, 200, ACK, BYE, 200) that sipp sustains against one
# conference with no failed call, over UDP and over TCP. Each rate runs
# for 10 s; rates climb until the first failure, where a step that takes
# more than 15 % longer than planned (the server fell behind) also counts
# as a failure. cpu % is caucusd's, of one core, over the step.
#   bench/signalling.sh [build-dir]
. "$(dirname "$0")/common.sh"
RATES=${BENCH_RATES:-"200 400 600 800 1000 1250 1500 2000 2500 3000"}
STEP_S=${BENCH_STEP_S:-10}
SCEN="$ROOT/tests/integration/scenarios/uac_join.xml"

# The rows as data for bench/plot.sh (bench/out/signalling.csv), with the
# rates: offered (asked of sipp), completed and failed (calls over the time
# the step took) and 503 (answers 503 to an INVITE, counted in sipp's
# error log: the scenario expects 200, so each one also fails its call).
CSV="$OUT/signalling.csv"
csv_start "$CSV" "transport,offered_per_s,calls,ok,failed,took_s,\
completed_per_s,failed_per_s,r503,r503_per_s,cpu_pct"

machine
echo "signalling: join+leave cycles against one conference, ${STEP_S}s per rate"
printf '%-9s %8s %8s %8s %8s %9s %10s %6s\n' transport "rate/s" calls ok \
	failed "took s" "cpu %" 503s
for tp in u1 t1; do
	best=0
	start_server
	for r in $RATES; do
		total=$((r * STEP_S))
		cpu0=$(awk '{print $14+$15}' "/proc/$PID/stat")
		t0=$(date +%s%N)
		rm -f "$WORK/err.log"
		sipp -sf "$SCEN" -s bench -i 127.0.0.1 -p "$(free_port)" \
			-mp "$(free_media_port)" -t "$tp" -r "$r" -m "$total" -d 0 \
			-l $((r * 4)) -timeout $((STEP_S * 3))s -nostdin \
			-max_socket 2000 -trace_stat -stf "$WORK/stat.csv" \
			-trace_err -error_file "$WORK/err.log" \
			"127.0.0.1:$SIP_PORT" >"$WORK/sipp.out" 2>&1 || true
		cpu1=$(awk '{print $14+$15}' "/proc/$PID/stat")
		took=$(awk -v a="$t0" -v b="$(date +%s%N)" \
			'BEGIN { printf "%.1f", (b - a) / 1e9 }')
		ok=$(tail -n1 "$WORK/stat.csv" | awk -F';' '{print $16}')
		bad=$(tail -n1 "$WORK/stat.csv" | awk -F';' '{print $18}')
		cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v s="$took" \
			-v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.1f", (b - a) / hz / s * 100 }')
		n503=$(grep -c "received 'SIP/2.0 503" "$WORK/err.log" 2>/dev/null ||
			true)
		name=$([ "$tp" = u1 ] && echo UDP || echo TCP)
		printf '%-9s %8s %8s %8s %8s %9s %10s %6s\n' "$name" "$r" \
			"$total" "${ok:-?}" "${bad:-?}" "$took" "$cpu" \
			"${n503:-0}" | tee -a "$OUT/signalling.txt"
		awk -v tp="$name" -v r="$r" -v m="$total" -v ok="$ok" \
			-v bad="$bad" -v s="$took" -v n5="${n503:-0}" -v c="$cpu" \
			'BEGIN { printf "%s,%s,%s,%s,%s,%s,%.1f,%.1f,%s,%.1f,%s\n",
			  tp, r, m, ok, bad, s, ok / s, bad / s, n5, n5 / s, c }' \
			>>"$CSV"
		# sustained: every call succeeded, and in about the time the
		# rate allows (sipp falls behind when the server cannot keep up)
		if [ "${bad:-1}" != 0 ] || [ "${ok:-0}" != "$total" ] ||
		   awk -v t="$took" -v s="$STEP_S" 'BEGIN { exit !(t > s * 1.15 + 1) }'; then
			break
		fi
		best=$r
	done
	stop_server
	echo "$name: highest rate with no failed call: $best calls/s" |
		tee -a "$OUT/signalling.txt"
done
