#!/bin/bash
# make bench: the media, signalling and notification benchmarks, one after
# the other, then their plots.
# Results go to the terminal and to bench/out/ (not committed); copy the
# tables into docs/benchmarks.md with the machine and date they print.
# bench/plot.sh draws the CSV files of bench/out/ as SVG plots in docs/.
set -eu
dir=$(dirname "$0")
build=${1:-build}
echo "== media (bench/media.sh) =="
bash "$dir/media.sh" "$build"
echo
echo "== what SRTP costs (bench/srtp.sh) =="
bash "$dir/srtp.sh" "$build"
echo
echo "== what recording costs (bench/record.sh) =="
bash "$dir/record.sh" "$build"
echo
echo "== what the media policy costs (bench/policy.sh) =="
bash "$dir/policy.sh" "$build"
echo
echo "== side by side with Janus AudioBridge (bench/janus.sh) =="
bash "$dir/janus.sh" "$build"
BENCH_CODEC=opus bash "$dir/janus.sh" "$build"
BENCH_CODEC=g722 bash "$dir/janus.sh" "$build" 100 200
BENCH_CODEC=mixed bash "$dir/janus.sh" "$build" 100 200
BENCH_TALKERS=all bash "$dir/janus.sh" "$build" 400
echo
echo "== per-thread sockets against the shared floor, pinned pairs (bench/floor.sh) =="
# (16 pairs: on a shared 2-core machine the median of 8 pairs moved from
# 0.99x to 1.21x between three runs of the same build)
bash "$dir/floor.sh" "$build" 400 16
echo
echo "== switched video (bench/video.sh) =="
bash "$dir/video.sh" "$build"
echo
echo "== what a composed picture costs (caucus-vcompbench) =="
mkdir -p "$dir/out"
"$build/caucus-vcompbench" 8 | tee "$dir/out/vcompbench.md"
echo
echo "== signalling (bench/signalling.sh) =="
bash "$dir/signalling.sh" "$build"
echo
echo "== overload: 3,000 calls/s offered (bench/overload.sh) =="
bash "$dir/overload.sh" "$build"
echo "== overload: 3,000 subscriptions/s offered =="
BENCH_OVERLOAD_KIND=subscribe bash "$dir/overload.sh" "$build"
echo
echo "== notification (bench/notify.sh) =="
bash "$dir/notify.sh" "$build"
BENCH_NOTIFY_MS=50 bash "$dir/notify.sh" "$build"
echo
echo "== the cluster: 3 nodes, Kamailio, PostgreSQL (bench/cluster.sh) =="
bash "$dir/cluster.sh" "$build"
echo
echo "== capacity: rooms of 100 until the first loss (bench/capacity.sh) =="
bash "$dir/capacity.sh" "$build"
BENCH_TALKERS=all bash "$dir/capacity.sh" "$build"
echo
echo "== plots of the above (bench/plot.sh) =="
bash "$dir/plot.sh"
