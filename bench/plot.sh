#!/bin/bash
# bench/plot.sh [DATA-DIR [OUT-DIR]]: draws what the benchmarks measured
# as SVG plots with gnuplot. make bench runs it last (bench/run.sh); make
# plots runs it alone on the data already there. DATA-DIR is bench/out,
# OUT-DIR docs (docs/benchmarks.md shows the plots beside the tables);
# tests/bench/test_plots.sh runs it on a fixture.
#
# It reads the CSV files the benches write (each begins with "# machine:"
# and "# date:" lines, then a header row; an empty field was not
# measured):
#   cpu-CODEC.csv     bench/janus.sh: CPU us per participant-frame against
#                     N for caucus (default settings; a socket pair per
#                     call and per-thread sockets at the codec's rate),
#                     Janus AudioBridge and the UDP floors
#   memory-CODEC.csv  bench/janus.sh: kB resident per participant
#   signalling.csv    bench/signalling.sh: calls offered, completed and
#                     failed a second, and 503s, over UDP and TCP
#   capacity.csv      bench/capacity.sh: caucusd's CPU and the mixer's p99
#                     tick lateness against participants (rooms of 100, 2
#                     talking in each; capacity-all.csv: all talking)
#   overload.csv      bench/overload.sh: calls accepted, completed and
#                     answered 503 a second against those offered, and how
#                     long a 503 took (p50, p99)
# (columns are found by name in the header row) and writes
# bench-cpu-CODEC.svg, bench-memory.svg (G.711, with the 64 kB a
# participant target; other codecs bench-memory-CODEC.svg),
# bench-joins.svg, bench-capacity.svg (bench-capacity-all.svg) and
# bench-overload.svg. It
# says which plots it wrote from which file, which series had no data,
# and which files were missing. Exit 1 when it wrote nothing.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${1:-$ROOT/bench/out}
DOCS=${2:-$ROOT/docs}
mkdir -p "$DOCS"

# gnuplot from Debian (gnuplot-nox: no X), installed when missing, as
# bench/janus.sh installs janus and scripts/deps.sh the rest
if ! command -v gnuplot >/dev/null; then
	echo "plot: installing gnuplot-nox (Debian package)" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get install -y -qq --no-install-recommends gnuplot-nox >&2 ||
		{ $SUDO apt-get update -qq &&
		  $SUDO apt-get install -y -qq --no-install-recommends \
			gnuplot-nox >&2; }
fi

SCRATCH=$(mktemp -d /tmp/caucus-plot.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
wrote=0
rel() { printf '%s' "${1#"$ROOT"/}"; }

# col FILE NAME: the column's number in the header row, or nothing
col() {
	grep -v '^#' "$1" | head -n1 | tr ',' '\n' | grep -nx "$2" |
		cut -d: -f1
}
# has_data FILE COLUMN [FIRST-FIELD]: some row (whose first field is
# FIRST-FIELD, when given) has a value there
has_data() {
	grep -v '^#' "$1" | tail -n +2 | awk -F, -v c="$2" -v k="${3:-}" \
		'(k == "" || $1 == k) && $c != "" { f = 1 } END { exit !f }'
}
# note FILE: "date, machine" from the file's own lines, for the title
note() {
	local d m
	d=$(sed -n 's/^# date: *//p' "$1" | head -n1)
	m=$(sed -n 's/^# machine: *//p' "$1" | head -n1)
	# (no markup of gnuplot's enhanced text in the title)
	printf '%s' "${d:-date unknown}, ${m:-machine unknown}" | tr -d '_^@&~{}"\\'
}

# draw OUT DATA TITLE XLABEL YLABEL SETTINGS PLOT-CLAUSES: one SVG
draw() {
	gnuplot <<GP
set terminal svg size 1000,520 font "sans,12" background rgb "white"
set encoding utf8
set output "$1"
set datafile separator comma
set datafile commentschars "#"
set datafile columnheaders
set title "$3\n{/*0.75 $(note "$2")}"
set xlabel "$4" noenhanced
set ylabel "$5" noenhanced
set key outside right top box font ",11" noenhanced
set grid
set yrange [0:*]
$6
plot $7
GP
	echo "plot: wrote $(rel "$1") (from $(rel "$2"))"
	wrote=$((wrote + 1))
}

# series FILE TABLE [FIRST-FIELD [X]] -> plot clauses for each row
# "column|title[|style[|axes]]" of TABLE with data (of the rows whose
# first field is FIRST-FIELD, when given); x is the column named X, else
# the first (the second with FIRST-FIELD); axes x1y1 unless the row says
# x1y2. Names the series without data on stderr.
series() {
	local f=$1 k=${3:-} x c t st ax i clauses="" sep=""
	x=$([ -n "$k" ] && echo 2 || echo 1)
	if [ -n "${4:-}" ]; then
		x=$(col "$f" "$4")
		[ -n "$x" ] || { echo "plot: $(rel "$f"): no column $4" >&2; return; }
	fi
	while IFS='|' read -r c t st ax; do
		[ -n "$c" ] || continue
		i=$(col "$f" "$c")
		if [ -z "$i" ] || ! has_data "$f" "$i" "$k"; then
			echo "plot: $(rel "$f"): no data for \"$t\"" >&2
			continue
		fi
		if [ -n "$k" ]; then
			clauses+="$sep\"$f\" using $x:(strcol(1) eq \"$k\" ? \$$i : 1/0)"
		else
			clauses+="$sep\"$f\" using $x:$i"
		fi
		clauses+=" axes ${ax:-x1y1} with linespoints lw 2 pt 7 ps 0.6"
		clauses+=" ${st:-} title \"$t\""
		sep=", "
	done <<<"$2"
	printf '%s' "$clauses"
}

# N on a log axis, ticked at the sizes measured, with room either side
ntics() {
	local ns
	ns=$(grep -v '^#' "$1" | tail -n +2 | cut -d, -f1 | sort -n)
	printf 'set logscale x\nset xtics (%s)\nset xrange [%s:%s]\n' \
		"$(paste -sd, - <<<"$ns")" \
		"$(awk 'NR == 1 { print $1 / 1.5 }' <<<"$ns")" \
		"$(awk 'END { print $1 * 1.5 }' <<<"$ns")"
}

# one colour per system in every plot; the floors dashed (no server)
CPU_SERIES="caucus_default_us|caucus, default settings (its own mix rate)|lc rgb \"#7b3294\"
caucus_per_call_us|caucus, a socket pair per call (io_uring)|lc rgb \"#1b9e77\"
caucus_per_call_syscalls_us|caucus, a socket pair per call, a system call a packet|lc rgb \"#66c2a5\" dt 4
caucus_per_thread_us|caucus, per-thread sockets (fastest)|lc rgb \"#2166ac\"
janus_us|Janus AudioBridge|lc rgb \"#d95f02\"
floor_us|UDP floor, a socket each|lc rgb \"#777777\" dt 2
shared_floor_us|UDP floor, one shared socket|lc rgb \"#222222\" dt 2"
MEM_SERIES="caucus_default_kb_per_participant|caucus, default settings|lc rgb \"#7b3294\"
caucus_per_call_kb_per_participant|caucus, a socket pair per call|lc rgb \"#1b9e77\"
caucus_per_thread_kb_per_participant|caucus, per-thread sockets|lc rgb \"#2166ac\"
janus_kb_per_participant|Janus AudioBridge|lc rgb \"#d95f02\""
# (a colour per figure; UDP solid, TCP dashed: added below)
JOIN_SERIES="completed_per_s|completed|lc rgb \"#1a9850\"
failed_per_s|failed|lc rgb \"#d73027\"
r503_per_s|answered 503|lc rgb \"#fc8d59\""

# capacity: CPU on the left axis, tick lateness on the right (log: the
# bucket bounds, 0.1 to 20 ms, and 1000 for past the last)
CAP_SERIES="cpu_pct|caucusd CPU (% of one core)|lc rgb \"#7b3294\"
gen_cpu_pct|generator CPU (% of one core)|lc rgb \"#777777\" dt 2
late_p99_ms|p99 tick lateness (ms, right)|lc rgb \"#d95f02\"|x1y2"
# overload: rates on the left, how long a 503 took on the right
OVL_SERIES="accepted_per_s|accepted|lc rgb \"#2166ac\"
completed_per_s|completed|lc rgb \"#1a9850\"
r503_per_s|answered 503|lc rgb \"#fc8d59\"
p50_503_ms|503 in (ms, p50, right)|lc rgb \"#d73027\" dt 2|x1y2
p99_503_ms|503 in (ms, p99, right)|lc rgb \"#d73027\"|x1y2"
# the issue's target for memory per participant (kB)
MEM_TARGET_KB=64

missing() { echo "plot: missing $(rel "$1") ($2)"; }

# the codecs of bench/janus.sh (BENCH_CODEC) and how they are named
declare -A NAME=([pcmu]="G.711 PCMU, 8 kHz mix" [g722]="G.722, 16 kHz mix"
	[opus]="Opus, 48 kHz mix" [mixed]="PCMU, G.722 and Opus, 48 kHz mix")

for codec in pcmu g722 opus mixed; do
	f="$DATA/cpu-$codec.csv"
	run="BENCH_CODEC=$codec bench/janus.sh"
	[ "$codec" = pcmu ] && run="bench/janus.sh"
	[ -s "$f" ] || { missing "$f" "$run"; continue; }
	p=$(series "$f" "$CPU_SERIES")
	[ -n "$p" ] || continue
	draw "$DOCS/bench-cpu-$codec.svg" "$f" \
		"CPU per participant-frame: ${NAME[$codec]}, 2 talking" \
		"participants in one conference (N)" \
		"CPU per participant-frame (µs, whole process)" "$(ntics "$f")" "$p"
done

# memory: G.711 is bench-memory.svg (the figure the issue sets a target
# for); the other codecs' runs, when there, bench-memory-CODEC.svg
for codec in pcmu g722 opus mixed; do
	f="$DATA/memory-$codec.csv"
	out="$DOCS/bench-memory-$codec.svg"
	[ "$codec" = pcmu ] && out="$DOCS/bench-memory.svg"
	if [ ! -s "$f" ]; then
		[ "$codec" != pcmu ] || missing "$f" "bench/janus.sh"
		continue
	fi
	p=$(series "$f" "$MEM_SERIES")
	[ -z "$p" ] || p+=", $MEM_TARGET_KB with lines dt 3 lw 2 lc rgb \"#b2182b\"\
 title \"target: $MEM_TARGET_KB kB a participant\""
	[ -z "$p" ] || draw "$out" "$f" \
		"Memory per participant: ${NAME[$codec]}, one conference" \
		"participants in one conference (N)" \
		"resident memory per participant (kB, peak less idle)" \
		"$(ntics "$f")" "$p"
done

f="$DATA/signalling.csv"
if [ -s "$f" ]; then
	p="x with lines dt 2 lc rgb \"gray50\" title \"offered\""
	for tp in UDP TCP; do
		dt=$([ "$tp" = UDP ] && echo 1 || echo 2)
		s=$(series "$f" "$(sed "s/|\([^|]*\)|\(.*\)\$/|\1 ($tp)|\2 dt $dt/" \
			<<<"$JOIN_SERIES")" "$tp" offered_per_s)
		[ -z "$s" ] || p+=", $s"
	done
	draw "$DOCS/bench-joins.svg" "$f" \
		"Join+leave calls a second against one conference (sipp)" \
		"calls offered a second" "calls a second (over the time taken)" \
		"set xrange [0:*]" "$p"
else
	missing "$f" "bench/signalling.sh"
fi

# capacity: 2 talking in each room, and all talking when measured
for v in "" -all; do
	f="$DATA/capacity$v.csv"
	if [ ! -s "$f" ]; then
		[ -n "$v" ] || missing "$f" "bench/capacity.sh"
		continue
	fi
	talk="2 talking in each"
	[ -z "$v" ] || talk="all talking"
	# (the room's size from the first row: participants over rooms)
	room=$(grep -v '^#' "$f" | awk -F, 'NR == 1 {
		for (i = 1; i <= NF; i++) c[$i] = i }
		NR == 2 && $c["rooms"] > 0 { print $c["participants"] / $c["rooms"] }')
	room=${room:-100}
	p=$(series "$f" "$CAP_SERIES" "" participants)
	[ -z "$p" ] || draw "$DOCS/bench-capacity$v.svg" "$f" \
		"Capacity: rooms of $room G.711 callers, $talk, default settings" \
		"participants (all rooms)" "CPU (% of one core)" \
		"set xrange [0:*]
set logscale y2
set y2range [0.05:2000]
set y2tics (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, \"past 20\" 1000)
set ytics nomirror
set y2label \"p99 tick lateness (ms)\" noenhanced" \
		"$p, 20 axes x1y2 with lines dt 3 lc rgb \"#d95f02\"\
 title \"one tick (20 ms)\""
done

# ovl_rates FILE: overload.csv as the plot's columns, sorted by the rate
# offered: a rate that is not there is the count over took_s (or
# seconds); r503_p50_ms and r503_p99_ms stand for p50_503_ms, p99_503_ms
ovl_rates() {
	echo "offered_per_s,accepted_per_s,completed_per_s,r503_per_s,\
p50_503_ms,p99_503_ms"
	grep -v '^#' "$1" | awk -F, -v OFS=, '
	function v(n) { return (n in c) ? $c[n] : "" }
	function rate(n,   t) {
		if ((n "_per_s") in c)
			return $c[n "_per_s"]
		t = v("took_s") != "" ? v("took_s") : v("seconds")
		return v(n) != "" && t > 0 ? sprintf("%.1f", v(n) / t) : ""
	}
	function either(a, b) { return (a in c) ? $c[a] : v(b) }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ print v("offered_per_s"), rate("accepted"), rate("completed"),
		rate("r503"), either("p50_503_ms", "r503_p50_ms"),
		either("p99_503_ms", "r503_p99_ms") }' | sort -t, -k1,1n
}

f="$DATA/overload.csv"
if [ -s "$f" ]; then
	ovl="$SCRATCH/overload.csv"
	{ grep '^#' "$f" || true; ovl_rates "$f"; } >"$ovl"
	p=$(series "$ovl" "$OVL_SERIES" "" offered_per_s)
	[ -z "$p" ] || draw "$DOCS/bench-overload.svg" "$f" \
		"Overload: calls offered past what one caucusd takes" \
		"calls offered a second" "calls a second" \
		"set xrange [0:*]
set y2range [0:*]
set y2tics
set ytics nomirror
set y2label \"time to the 503 (ms)\" noenhanced" \
		"x with lines dt 2 lc rgb \"gray50\" title \"offered\", $p"
else
	missing "$f" "bench/overload.sh"
fi

[ "$wrote" -gt 0 ] || { echo "plot: nothing to draw in $(rel "$DATA")"; exit 1; }
