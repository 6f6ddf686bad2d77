#!/bin/bash
# bench/floor.sh's short form: 100 callers all talking, one pair of 4 s
# runs, into a scratch folder (bench/out keeps the real run's figures).
# Checks that both runs gave a figure, the ratio and the median line
# came out, caucusd lost less than 1 %, and the CSV has the pair. Not
# the figures: the machine running the tests is busy. (CPU time comes in
# 10 ms ticks: 20 callers for 2 s were too little work for the floor to
# show any.) BIN (the build) and SRC (the source tree) come from ctest.
set -u
: "${SRC:?}" "${BIN:?}"
WORK=$(mktemp -d /tmp/caucus-floor.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
bad=0
problem() { echo "FAIL: $*"; bad=1; }

BENCH_OUT="$WORK" BENCH_SECONDS=4 bash "$SRC/bench/floor.sh" "$BIN" 100 1 \
	>"$WORK/out" 2>"$WORK/err" || problem "bench/floor.sh exited $?"
cat "$WORK/out"
row=$(grep -E '^ +1 \| +[0-9.]+ \| +[0-9.]+ \| +[0-9.]+ \| ' "$WORK/out")
[ -n "$row" ] || problem "no row with both figures and their ratio"
loss=$(printf '%s\n' "$row" | awk -F'|' '{ gsub(/ /, "", $5); print $5 }')
awk -v l="${loss:-x}" 'BEGIN { exit !(l ~ /^[0-9.]+$/ && l < 1) }' ||
	problem "caucusd lost packets: ${loss:-none said} %"
grep -qE '^median of 1 pairs: caucus [0-9.]+ us/pf, floor [0-9.]+, ratio [0-9.]+x' \
	"$WORK/out" || problem "no median line"
grep -qE '^1,[0-9.]+,[0-9.]+,[0-9.]+,' "$WORK/floor-100.csv" 2>/dev/null ||
	problem "floor-100.csv has no row for the pair"
[ "$bad" = 0 ] || tail -20 "$WORK/err"
[ "$bad" = 0 ] && echo "PASS: floor"
exit "$bad"
