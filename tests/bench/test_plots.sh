#!/bin/bash
# bench/plot.sh on the fixture data of tests/data/bench (two codecs, the
# memory, signalling, capacity and overload files, with series not
# measured left empty):
# it writes one SVG per kind, each well-formed XML (xmllint) with a title
# and the legend's series, leaves out the series without data, and names
# the files that are missing. gnuplot is installed by bench/plot.sh when
# missing. SRC (the source tree) comes from ctest.
set -u
: "${SRC:?}"
WORK=$(mktemp -d /tmp/caucus-plots.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
bad=0
problem() { echo "FAIL: $*"; bad=1; }

bash "$SRC/bench/plot.sh" "$SRC/tests/data/bench" "$WORK" >"$WORK/out" 2>&1 ||
	problem "bench/plot.sh exited $?"
cat "$WORK/out"

# expect FILE SERIES...: FILE is well-formed, and each SERIES is in its
# legend (gnuplot gives each plotted series a <title>)
expect() {
	local f="$WORK/$1" s
	shift
	[ -s "$f" ] || { problem "$f not written"; return; }
	xmllint --noout "$f" || { problem "$f is not well-formed XML"; return; }
	grep -q '<svg' "$f" || problem "$f is no SVG"
	grep -q "wrote $f" "$WORK/out" || problem "$f written but not said"
	for s in "$@"; do
		grep -qF "<title>$s</title>" "$f" || problem "$f: no series \"$s\""
	done
}
expect bench-cpu-pcmu.svg "caucus, default settings (its own mix rate)" \
	"caucus, a socket pair per call (io_uring)" \
	"caucus, a socket pair per call, a system call a packet" \
	"caucus, per-thread sockets (fastest)" "Janus AudioBridge" \
	"UDP floor, a socket each" "UDP floor, one shared socket"
expect bench-cpu-opus.svg "caucus, a socket pair per call (io_uring)" \
	"caucus, per-thread sockets (fastest)" "Janus AudioBridge"
expect bench-memory.svg "caucus, default settings" \
	"caucus, a socket pair per call" \
	"caucus, per-thread sockets" "Janus AudioBridge" \
	"target: 64 kB a participant"
expect bench-joins.svg offered "completed (UDP)" "failed (UDP)" \
	"answered 503 (UDP)" "completed (TCP)" "failed (TCP)"
expect bench-capacity.svg "caucusd CPU (% of one core)" \
	"generator CPU (% of one core)" "p99 tick lateness (ms, right)" \
	"one tick (20 ms)"
expect bench-overload.svg offered accepted completed "answered 503" \
	"503 in (ms, p50, right)" "503 in (ms, p99, right)"
grep -qF 'rooms of 100 G.711' "$WORK/bench-capacity.svg" ||
	problem "the capacity plot does not say the room's size"
grep -q "missing .*capacity-all.csv" "$WORK/out" &&
	problem "capacity-all.csv (optional) was named as missing"

# titles, axes with units, the data's date
grep -qF 'CPU per participant-frame (µs' "$WORK/bench-cpu-pcmu.svg" ||
	problem "the CPU plot's axis has no unit"
grep -qF '2026-12-05T00:00Z' "$WORK/bench-cpu-pcmu.svg" ||
	problem "the CPU plot does not say the data's date"
grep -qF 'Memory per participant' "$WORK/bench-memory.svg" ||
	problem "the memory plot has no title"
# the Opus fixture has no floor: no series for it, and said so
grep -qF 'UDP floor' "$WORK/bench-cpu-opus.svg" &&
	problem "a series with no data was drawn"
grep -q 'cpu-opus.csv: no data for "UDP floor, a socket each"' "$WORK/out" ||
	problem "the series without data were not named"
for c in g722 mixed; do
	grep -q "missing .*cpu-$c.csv" "$WORK/out" ||
		problem "cpu-$c.csv is missing and was not said"
	[ -e "$WORK/bench-cpu-$c.svg" ] && problem "a plot with no data: $c"
done

# no data at all: nothing written, exit 1
mkdir "$WORK/none" "$WORK/empty"
if bash "$SRC/bench/plot.sh" "$WORK/none" "$WORK/empty" >/dev/null 2>&1; then
	problem "bench/plot.sh exited 0 with nothing to draw"
fi
[ -z "$(ls "$WORK/empty")" ] || problem "plots written from no data"

[ "$bad" = 0 ] && echo "PASS: plots"
exit "$bad"
