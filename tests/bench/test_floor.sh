#!/bin/bash
# bench/floor.sh's short form: 20 callers all talking, one pair of 2 s
# runs, into a scratch folder (bench/out keeps the real run's figures).
# Checks that both runs gave a figure, the ratio and the median line
# came out, caucusd lost nothing, and the CSV has the pair. Not the
# figures: the machine running the tests is busy. BIN (the build) and
# SRC (the source tree) come from ctest.
set -u
: "${SRC:?}" "${BIN:?}"
WORK=$(mktemp -d /tmp/caucus-floor.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
bad=0
problem() { echo "FAIL: $*"; bad=1; }

BENCH_OUT="$WORK" BENCH_SECONDS=2 bash "$SRC/bench/floor.sh" "$BIN" 20 1 \
	>"$WORK/out" 2>"$WORK/err" || problem "bench/floor.sh exited $?"
cat "$WORK/out"
row=$(grep -E '^ +1 \| +[0-9.]+ \| +[0-9.]+ \| +[0-9.]+ \| ' "$WORK/out")
[ -n "$row" ] || problem "no row with both figures and their ratio"
loss=$(printf '%s\n' "$row" | awk -F'|' '{ gsub(/ /, "", $5); print $5 }')
[ "$loss" = "0.0000" ] || problem "caucusd lost packets: $loss %"
grep -qE '^median of 1 pairs: caucus [0-9.]+ us/pf, floor [0-9.]+, ratio [0-9.]+x' \
	"$WORK/out" || problem "no median line"
grep -qE '^1,[0-9.]+,[0-9.]+,[0-9.]+,' "$WORK/floor-20.csv" 2>/dev/null ||
	problem "floor-20.csv has no row for the pair"
[ "$bad" = 0 ] || tail -20 "$WORK/err"
[ "$bad" = 0 ] && echo "PASS: floor"
exit "$bad"
