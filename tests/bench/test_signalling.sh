#!/bin/bash
# bench/signalling.sh in short (make test): a few seconds of join+leave
# calls held 1 s over UDP and over TCP, at a rate any machine sustains;
# every call must succeed, none stay half-open, and the rows must reach
# the CSV with every column. Its data goes to a scratch folder, not to
# bench/out.
set -eu
: "${SRC:?}" "${BIN:?}"
OUTD=$(mktemp -d /tmp/caucus-sigtest.XXXXXX)
trap 'rm -rf "$OUTD"' EXIT
rel=$(realpath --relative-to="$SRC" "$BIN")
BENCH_OUT_DIR=$OUTD BENCH_STRICT=1 BENCH_CASES="${SIG_CASES:-u1:100:3 t1:100:3}" \
	bash "$SRC/bench/signalling.sh" "$rel" || {
	echo "FAIL: a case failed (above)"; exit 1; }
rows=$(grep -c '^UDP,\|^TCP,' "$OUTD/signalling.csv")
[ "$rows" = 2 ] || { echo "FAIL: $rows rows in the CSV"; exit 1; }
cols=$(grep -v '^#' "$OUTD/signalling.csv" | awk -F, '{ print NF }' | sort -u)
[ "$cols" = 17 ] || { echo "FAIL: rows of $cols columns"; exit 1; }
echo "PASS: signalling short form"
