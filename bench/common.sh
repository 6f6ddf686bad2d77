# Shared by the benchmark scripts: a caucusd of its own on free ports,
# with a scratch database, quiet logs, and one mixer thread (the figures
# are per core). The load comes from 127.0.0.1 alone, which is exempt
# from the per-source limits (200 calls, 50 requests a second: a
# generator is not a scanner).
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# (a build folder in the checkout, or an absolute path: ctest's)
case $BUILD in /*) BIN=$BUILD ;; *) BIN="$ROOT/$BUILD" ;; esac
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/caucus-bench.XXXXXX)
PID=""
# BENCH_KEEP=1 keeps the scratch folder (caucusd's log) for a look after
if [ "${BENCH_KEEP:-0}" = 1 ]; then
	trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null;
	      echo "kept $WORK" >&2' EXIT
else
	trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
fi

. "$ROOT/scripts/ports.sh"

# BENCH_RTP_MIN: the first RTP port (20000; per-thread sockets bind it
# and the next: another on a shared machine may hold them)
RTP_MIN=${BENCH_RTP_MIN:-20000}
# SERVER_CPU: start_server runs caucusd on that core alone (taskset), as
# bench/floor.sh does with the generator on another; unset: anywhere
SERVER_CPU=${SERVER_CPU:-}

start_server() {
	SIP_PORT=$(free_port)
	HTTP_PORT=$(free_port)
	API="http://127.0.0.1:$HTTP_PORT"
	${SERVER_CPU:+taskset -c "$SERVER_CPU"} \
	"$BIN/caucusd" --sip-port "$SIP_PORT" --http-port "$HTTP_PORT" \
		--db "$WORK/caucus.db" --demo bench --mixer-threads 1 \
		--rtp-port-min "$RTP_MIN" --rtp-port-max $((RTP_MIN + 20000)) \
		--log-level warn \
		--limits-exempt 127.0.0.1/32 \
		"$@" >>"$WORK/caucusd.log" 2>&1 &
	PID=$!
	for _ in $(seq 1 100); do
		curl -sf "$API/v1/openapi.json" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "caucusd did not start; log:" >&2
	cat "$WORK/caucusd.log" >&2
	exit 1
}

# udpfloor_start N [udpfloor flags...]: tools/udpfloor over N ports
# (on SERVER_CPU when set, as caucusd), back once its ports are in
# $WORK/floor.ports; FPID. udpfloor_stop ends it.
udpfloor_start() {
	local n=$1

	shift
	rm -f "$WORK/floor.ports"
	${SERVER_CPU:+taskset -c "$SERVER_CPU"} \
		"$BIN/udpfloor" "$@" "$n" "$WORK/floor.ports" &
	FPID=$!
	for _ in $(seq 1 50); do
		[ "$(wc -l 2>/dev/null <"$WORK/floor.ports" || echo 0)" = \
			"$n" ] && break
		sleep 0.1
	done
}

udpfloor_stop() {
	kill "$FPID" 2>/dev/null || true
	wait "$FPID" 2>/dev/null || true
	rm -f "$WORK/floor.ports"
}

# field RESULT NAME: a value of a caucus-loadgen RESULT line
field() { printf '%s' " $1" | grep -o " $2=[0-9.]*" | cut -d= -f2; }
# ratio A B: A / B as "N.NNx", "-" when either is missing or 0
ratio() {
	awk -v a="${1:-0}" -v b="${2:-0}" \
		'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else print "-" }'
}

stop_server() {
	kill -TERM "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=""
}

# codec_rate: CODEC from BENCH_CODEC (pcmu, g722, opus, mixed; pcmu by
# default) and RATE, the mix rate both servers use for it
codec_rate() {
	CODEC=${BENCH_CODEC:-pcmu}
	case $CODEC in
	pcmu)	RATE=8000 ;;
	g722)	RATE=16000 ;;
	opus|mixed) RATE=48000 ;;
	*)	echo "BENCH_CODEC: pcmu, g722, opus or mixed" >&2; exit 2 ;;
	esac
}

participants() {
	curl -s "$API/v1/status" | grep -o '"participants":[0-9]*' |
		cut -d: -f2
}

# left_after CMD...: what CMD (a count) says once it says 0, or after
# 5 s of asking, what it says then
left_after() {
	local n i
	for i in $(seq 1 50); do
		n=$("$@")
		[ "${n:-0}" = 0 ] && break
		sleep 0.1
	done
	echo "${n:-?}"
}

# half_open: the participants caucusd still lists once the load stopped
# (calls left half-open), waiting up to 5 s for them to be 0
half_open() { left_after participants; }

# proc_kb PID FIELD: a figure of /proc/PID/status in kB (VmRSS: resident
# now; VmHWM: the most it has been resident since it started)
proc_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null ||
		true
}

# csv_start FILE HEADER: a fresh data file for bench/plot.sh: the machine
# and date (machine below) as "# " lines, then the column names. Each run
# writes its own (the plots show one run); the printed tables keep the
# history.
csv_start() {
	machine | sed 's/^/# /' >"$1"
	echo "$2" >>"$1"
}

machine() {
	echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
		sed 's/^ //'), $(nproc) cores, $(uname -sr)"
	echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "caucus:  $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null ||
		echo unknown), libre $(dpkg-query -W -f='${Version}' libre-dev \
		2>/dev/null), sipp $(dpkg-query -W -f='${Version}' sip-tester \
		2>/dev/null)"
}
