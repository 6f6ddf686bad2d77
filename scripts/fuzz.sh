#!/bin/sh
# make fuzz: the fuzz targets (tests/fuzz) built with clang's libFuzzer,
# AddressSanitizer and UBSan in build-fuzz/, each run for FUZZ_SECONDS
# (default 60) from its seed corpus. New inputs it finds go to
# build-fuzz/corpus/<target> (not into the repository: keep the ones
# worth keeping by hand, or FUZZ_MERGE=1 merges the new coverage into
# tests/fuzz/corpus), crashes to build-fuzz/artifacts/<date>/. A table of
# executions, speed, coverage and findings at the end.
#   make fuzz FUZZ_SECONDS=3600 FUZZ_TARGETS="fuzz_sip fuzz_sdp"
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
B="$SRC/build-fuzz"
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-"fuzz_sip fuzz_sdp fuzz_rtp fuzz_jbuf fuzz_policy fuzz_api fuzz_config fuzz_wav fuzz_dtmfinfo fuzz_mediapol fuzz_bfcp fuzz_vpkt fuzz_h224 fuzz_vpack fuzz_cluster fuzz_replaces fuzz_cfw fuzz_mixpkg"}

# clang and its libFuzzer runtime, from Debian, when missing
if ! command -v clang >/dev/null 2>&1 ||
   ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null |
	grep -q "ok installed"; then
	echo "fuzz: installing clang and libclang-rt-14-dev"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends clang libclang-rt-14-dev
fi
echo "fuzz: building with clang in $B"
CC=clang cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCAUCUS_FUZZ=ON >/dev/null
cmake --build "$B" -j "$(nproc)" --target $TARGETS >/dev/null
# this run's findings, apart from earlier runs
ART="$B/artifacts/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$ART"
printf '%-12s %12s %9s %8s %8s %9s\n' target executions "exec/s" cov \
	corpus crashes >"$B/fuzz-summary.txt"
for t in $TARGETS; do
	seeds="$SRC/tests/fuzz/corpus/$t"
	[ "$t" = fuzz_sip ] && seeds="$seeds $SRC/tests/data/sip-malformed"
	mkdir -p "$B/corpus/$t"
	echo "fuzz: $t for $SECONDS_EACH s"
	# shellcheck disable=SC2086
	"$B/tests/fuzz/$t" "$B/corpus/$t" $seeds \
		-max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix="$ART/$t-" -timeout=10 \
		-rss_limit_mb=4096 >"$B/$t.log" 2>&1 || true
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/$t.log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$B/$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$B/$t.log" | tail -n1 | cut -d' ' -f2)
	n=$(ls "$B/corpus/$t" | wc -l)
	crashes=$(ls "$ART" | grep -c "^$t-" || true)
	printf '%-12s %12s %9s %8s %8s %9s\n' "$t" "${execs:-?}" \
		"${speed:-?}" "${cov:-?}" "$n" "$crashes" >>"$B/fuzz-summary.txt"
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		"$B/tests/fuzz/$t" -merge=1 "$SRC/tests/fuzz/corpus/$t" \
			"$B/corpus/$t" >>"$B/$t.log" 2>&1 || true
	fi
done
cat "$B/fuzz-summary.txt"
if ls "$ART" | grep -q .; then
	echo "fuzz: findings in $ART (reproduce: the target with the file)"
	exit 1
fi
