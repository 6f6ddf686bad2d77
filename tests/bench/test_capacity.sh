#!/bin/bash
# bench/capacity.sh's short form: 2 rooms of 20 callers, 3 s a step,
# into a scratch folder (bench/out keeps the real run's figures). Checks
# the table and the answer line came out and that the CSV has a row for
# each step printed. Not the figures: the machine running the tests is
# busy. BIN (the build) and SRC (the source tree) come from ctest.
set -u
: "${SRC:?}" "${BIN:?}"
WORK=$(mktemp -d /tmp/caucus-capacity.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
bad=0
problem() { echo "FAIL: $*"; bad=1; }

BENCH_OUT="$WORK" BENCH_ROOM=20 BENCH_MAX_ROOMS=2 BENCH_SECONDS=3 \
	bash "$SRC/bench/capacity.sh" "$BIN" >"$WORK/out" 2>"$WORK/err" ||
	problem "bench/capacity.sh exited $?"
cat "$WORK/out"
grep -q '^ *rooms *participants .*gen cpu' "$WORK/out" ||
	problem "no table header"
rows=$(grep -cE '^ +[0-9]+ +[0-9]+ +[0-9]+ ' "$WORK/out")
[ "$rows" -ge 1 ] || problem "no table row"
grep -qE '^carries (at least |fewer than )?[0-9]+ participants without loss' \
	"$WORK/out" || problem "no answer line"
csv="$WORK/capacity.csv"
if [ -s "$csv" ]; then
	grep -q '^rooms,participants,.*,late_p99_ms,.*gen_cpu_pct' "$csv" ||
		problem "capacity.csv has no header row"
	n=$(grep -v '^#' "$csv" | tail -n +2 | grep -c .)
	[ "$n" = "$rows" ] || problem "capacity.csv has $n rows, the table $rows"
	grep -q '^1,20,' "$csv" || problem "capacity.csv has no row for 1 room"
else
	problem "no capacity.csv"
fi
[ "$bad" = 0 ] || tail -20 "$WORK/err"
[ "$bad" = 0 ] && echo "PASS: capacity"
exit "$bad"
