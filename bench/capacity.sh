#!/bin/bash
# Capacity: the most participants one machine carries without loss, in
# rooms of 100 G.711 (PCMU, 20 ms) callers, caucusd at its default
# settings (a mixer thread per core, its default mix rate, a socket pair
# per call). Rooms are added one step at a time (each its own conference,
# made through the API); each step places every room's calls afresh with
# one caucus-loadgen (leg i dials room i % rooms, so the first K*rooms
# legs are each room's K talkers), lets them settle 3 s and measures for
# BENCH_SECONDS: loss and jitter at the callers, the mixer's late ticks and
# p99 tick lateness (caucusd's /v1/status, over the window), caucusd's CPU,
# the generator's own and other processes' (all % of one core, from
# /proc; "other" is what else ran: a quotable run has next to none, and
# the script says when it had more than 10 %).
#
# It stops at the first step that loses more than 0.1 % of the packets,
# whose p99 tick lateness passes one tick (20 ms), or whose calls do not
# all get in, and prints the answer from the step before. The generator
# (one process, one media thread for every room) shares the machine: a
# step where it cannot keep up (its ticks more than 5 ms late on over
# 10 % of them, or its process at 90 % of a core) also ends the run, and
# then the answer is a floor, its limit and not caucusd's (said so; or
# the machine's other work's, when that took a quarter of a core).
#   bench/capacity.sh [build-dir]
# Env: BENCH_ROOM (100 callers a room), BENCH_MAX_ROOMS (100; with
# common.sh's RTP ports that is all the calls caucusd can take),
# BENCH_STEP (rooms added a step, 1), BENCH_SECONDS (10), BENCH_TALKERS (2
# talking in each room, or "all"), BENCH_OUT (bench/out; the test writes
# elsewhere). CSV: capacity.csv (capacity-all.csv when all talk).
. "$(dirname "$0")/common.sh"
OUT=${BENCH_OUT:-$OUT}
mkdir -p "$OUT"
ROOM=${BENCH_ROOM:-100}
MAX_ROOMS=${BENCH_MAX_ROOMS:-100}
STEP=${BENCH_STEP:-1}
SECONDS_MEASURE=${BENCH_SECONDS:-10}
TALK=${BENCH_TALKERS:-2}
WARMUP=3
MAX_LOSS=0.1         # %
MAX_P99=20           # ms: one tick
# caucus-loadgen --targets takes up to 128 (LG_MAX_TARGETS)
[ "$MAX_ROOMS" -le 128 ] || { echo "BENCH_MAX_ROOMS: 128 at most" >&2; exit 2; }

CSV="$OUT/capacity.csv"
[ "$TALK" = all ] && CSV="$OUT/capacity-all.csv"
csv_start "$CSV" "rooms,participants,joined,cpu_pct,us_per_pf,loss_pct,\
jitter_ms,late_p99_ms,late_ticks,gen_cpu_pct,gen_late,other_cpu_pct"

machine
echo "capacity: rooms of $ROOM PCMU callers (20 ms), $TALK talking in each," \
	"caucusd at default settings ($(nproc) cores), ${SECONDS_MEASURE}s" \
	"measured after ${WARMUP}s warm-up; up to $MAX_ROOMS rooms"
# default settings: common.sh asks for one mixer thread (per-core
# figures); 0 puts back the default, one per core
start_server --mixer-threads 0

# cpu_ticks PID: the process's user+system time in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# busy_ticks: the time the machine's processes took (user, nice, system;
# not interrupts: the packets' own softirq work is neither process's, and
# is no other work) in clock ticks, all cores
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 }' /proc/stat; }
HZ=$(getconf CLK_TCK)
# pct A B: ticks from A to B as % of one core over the window, w0 to w1
# (ns; a busy machine makes the window longer than the sleep)
pct() {
	awk -v a="$1" -v b="$2" -v hz="$HZ" -v s="$(((w1 - w0) / 1000000))" \
		'BEGIN { printf "%.1f", (b - a) / hz / (s / 1000) * 100 }'
}

# step ROOMS: one run of the generator over the first ROOMS rooms; the
# RESULT line, with gen_cpu_pct= and machine_pct= (all processes' time,
# % of one core) added, in $WORK/step.res
step() {
	local rooms=$1 n=$(($1 * ROOM)) talkers targets="" r lg t0 t1 m0 m1
	local w0 w1
	for r in $(seq 1 "$rooms"); do
		targets+="${targets:+,}sip:cap$r@127.0.0.1:$SIP_PORT"
	done
	talkers=$([ "$TALK" = all ] && echo "$n" || echo $((TALK * rooms)))
	: >"$WORK/lg.err"
	"$BIN/caucus-loadgen" --pid "$PID" --api "$API" --targets "$targets" \
		--n "$n" --talkers "$talkers" --rate 400 --warmup "$WARMUP" \
		--seconds "$SECONDS_MEASURE" --hold >"$WORK/lg.out" \
		2>"$WORK/lg.err" &
	lg=$!
	# the generator's CPU over its window: from its media start (the
	# "measuring" line, once all are in) and the warm-up on; it holds
	# the calls after its window (--hold), so it is still there to read
	# at the end, and hangs up on SIGTERM
	until grep -q measuring "$WORK/lg.err" || ! kill -0 "$lg" 2>/dev/null
	do
		sleep 0.1
	done
	sleep "$WARMUP"
	w0=$(date +%s%N) t0=$(cpu_ticks "$lg") m0=$(busy_ticks)
	sleep "$SECONDS_MEASURE"
	w1=$(date +%s%N) t1=$(cpu_ticks "$lg") m1=$(busy_ticks)
	until grep -q '^RESULT' "$WORK/lg.out" || ! kill -0 "$lg" 2>/dev/null
	do
		sleep 0.1
	done
	kill -TERM "$lg" 2>/dev/null || true
	wait "$lg" || { echo "loadgen failed at $rooms rooms:" >&2
		tail -5 "$WORK/lg.err" >&2; }
	grep -h '^RESULT' "$WORK/lg.out" | sed "s/\$/ gen_cpu_pct=$(pct "$t0" \
		"$t1") machine_pct=$(pct "$m0" "$m1")/" >"$WORK/step.res"
	# the next step starts from empty rooms
	for _ in $(seq 1 300); do
		[ "$(participants)" = 0 ] && break
		sleep 0.1
	done
}

# field NAME: a value of the step's RESULT line
field() {
	tr ' ' '\n' <"$WORK/step.res" | sed -n "s/^$1=//p"
}

ROW='%6s %12s %7s %7s %8s %7s %9s %6s %7s %8s %7s\n'
# shellcheck disable=SC2059
printf "$ROW" rooms participants joined "cpu %" "loss %" "jit ms" \
	"p99 late" late "gen cpu" "gen late" "other %"
best=0 best_p99="" least="at least "
why="BENCH_MAX_ROOMS ($MAX_ROOMS rooms) reached"
rooms=0 busiest=0
while [ $((rooms + STEP)) -le "$MAX_ROOMS" ]; do
	for r in $(seq $((rooms + 1)) $((rooms + STEP))); do
		curl -sf -X POST "$API/v1/conferences" \
			-d "{\"id\":\"cap$r\"}" >/dev/null ||
			{ echo "cannot create conference cap$r" >&2; exit 1; }
	done
	rooms=$((rooms + STEP))
	n=$((rooms * ROOM))
	echo "  ... $rooms rooms, $n participants joining" >&2
	step "$rooms"
	if [ ! -s "$WORK/step.res" ]; then
		why="the generator gave no result at $n"
		break
	fi
	joined=$(field joined) cpu=$(field cpu_pct) loss=$(field loss_pct)
	jit=$(field jitter_ms) p99=$(field late_p99_ms) late=$(field late_ticks)
	gcpu=$(field gen_cpu_pct) glate=$(field gen_late)
	# what else the machine did meanwhile (other helpers, a build): a
	# run worth quoting has next to none
	other=$(awk -v m="$(field machine_pct)" -v c="$cpu" -v g="$gcpu" \
		'BEGIN { o = m - c - g; printf "%.1f", (o > 0 ? o : 0) }')
	busiest=$(awk -v a="$busiest" -v b="$other" \
		'BEGIN { print (b > a ? b : a) }')
	# shellcheck disable=SC2059
	printf "$ROW" "$rooms" "$n" "$joined" "$cpu" "$loss" "$jit" "$p99" \
		"$late" "$gcpu" "$glate" "$other"
	echo "$rooms,$n,$joined,$cpu,$(field us_per_pf),$loss,$jit,$p99,$late,\
$gcpu,$glate,$other" >>"$CSV"
	# the generator is behind when over 10 % of its ticks (warm-up and
	# window, 50 a second) were late: its own limit when it is that busy
	# or the machine is not, else the machine's other work's
	verdict=$(awk -v j="$joined" -v n="$n" -v l="$loss" -v p="$p99" \
		-v g="$gcpu" -v gl="$glate" -v o="$other" -v ml="$MAX_LOSS" \
		-v mp="$MAX_P99" -v ticks=$(((WARMUP + SECONDS_MEASURE) * 50)) '
		BEGIN {
		if (j < n) print "calls"
		else if (g >= 90 || (gl > ticks / 10 && o < 25))
			print "generator"
		else if (gl > ticks / 10) print "busy"
		else if (l > ml) print "loss"
		else if (p > mp || p < 0) print "late"
		else print "ok" }')
	least=""
	case $verdict in
	ok)	best=$n best_p99=$p99 least="at least "; continue ;;
	calls)	why="at $n, $((n - joined)) calls did not get in" ;;
	loss)	why="at $n it lost $loss %" ;;
	late)	why="at $n the p99 tick lateness was $p99 ms" ;;
	generator)
		least="at least "
		why="the generator could not keep up at $n: its limit, not"
		why+=" caucusd's"
		;;
	busy)
		least="at least "
		why="at $n the machine was busy with other work ($other % of a"
		why+=" core): run it on a quiet machine"
	esac
	# a generator often late may have made the loss or lateness itself
	case $verdict in generator|busy) ;; *)
		[ "$glate" -le $(((WARMUP + SECONDS_MEASURE) / 2)) ] ||
			why+=" (the generator was late on $glate ticks too)"
		awk -v o="$other" 'BEGIN { exit !(o >= 25) }' &&
			why+=" (other work on the machine: $other % of a core)"
	esac
	break
done
stop_server
echo "columns: cpu % = caucusd's CPU, % of one core (all its threads);" \
	"loss % and jitter (RFC 3550 interarrival, mean ms) at the callers;" \
	"p99 late = 99th percentile of how late a mixer tick started, ms" \
	"(bucket bound; 1000: past 20), late = ticks that ended past their" \
	"deadline, both over every mixer thread; gen cpu = caucus-loadgen's" \
	"CPU, % of one core; gen late = its 20 ms ticks more than 5 ms late;" \
	"other = what other processes took, % of one core"
awk -v o="$busiest" 'BEGIN { exit !(o >= 10) }' &&
	echo "note: other work on the machine took up to $busiest % of a core" \
		"in a step: the figures are disturbed; run it on a quiet" \
		"machine"
if [ "$best" = 0 ]; then
	echo "carries fewer than $((STEP * ROOM)) participants without loss" \
		"($why)"
else
	echo "carries $least$best participants without loss (p99 tick" \
		"lateness $best_p99 ms); $why"
fi
