#!/bin/bash
# caucus and Janus AudioBridge side by side, G.711: the same load generator
# (caucus-loadgen) brings N PCMU participants at 20 ms (2 talking, the
# rest silent) into one conference of caucusd (by SIP, one mixer thread),
# three times: with a socket pair per call (rtp_sockets = per-call, the
# default) read and sent in batches through io_uring (rtp_io = uring, the
# default), the same a system call a packet (rtp_io = syscalls), and
# with one per mixer thread (per-thread: batched recvmmsg/sendmmsg
# across participants); then into one AudioBridge room of Janus (plain
# RTP participants, sampling_rate 8000), one after the other in the same
# run, and prints each one's CPU per participant-frame, loss and jitter,
# and the ratios. Two more runs measure the floor: tools/udpfloor, a bare
# loop that reads each of N sockets with recvmmsg and sends every packet
# back (the system calls a server with a socket per participant cannot
# avoid), and the same over one shared socket with recvmmsg/sendmmsg 64
# at a time (the floor of per-thread sockets); each caucus mode is given
# as a multiple of its floor. A first caucus run keeps caucusd's default
# settings (mix rate and socket mode: what a new user gets). Each
# caucusd and Janus is started afresh per row: memory per participant is
# (peak resident - idle resident) / joined. The rows go to
# bench/out/cpu-CODEC.csv and memory-CODEC.csv too (bench/plot.sh).
#   bench/janus.sh [build-dir] [N ...]
#   BENCH_CODEC=opus bench/janus.sh ...   the same with Opus (48 kHz; the
#     silent legs in DTX as a browser in a meeting); g722 (16 kHz);
#     mixed (a third each of PCMU, G.722 and Opus, 48 kHz). Both servers
#     mix at the same rate: 8 kHz for PCMU, 16 kHz for G.722, 48 kHz for
#     Opus and mixed (caucusd's mixer_rate, Janus's room sampling_rate).
#     Janus runs G.711 and Opus only: its AudioBridge takes no G.722
#     plain-RTP participant, so the G.722 and mixed cases are caucus's.
#     Janus is run up to JANUS_MAX_N participants (default 1000 for
#     G.711, 200 for the others: past that it cannot keep up on 2 cores
#     and starves the generator, which would spoil every figure)
#   BENCH_TALKERS=all bench/janus.sh ...   every participant talking (the
#     generator's speech-level tone on every leg, -24 dBov, which
#     caucusd's talk detector takes for talking, so every leg competes
#     for the K mixed; Janus mixes every leg in any case); or a number
#     of talkers (2 by default). Its rows
#     go to cpu-CODEC-talkers-T.csv and memory-CODEC-talkers-T.csv (the
#     plots keep the 2-talker files)
# Janus comes from Debian (package janus, installed here when missing).
. "$(dirname "$0")/common.sh"
shift || true
codec_rate        # CODEC and RATE from BENCH_CODEC
if [ "$CODEC" = pcmu ]; then
	SIZES=${*:-50 200 400 1000 2000}
	JANUS_MAX_N=${JANUS_MAX_N:-1000}
else
	SIZES=${*:-50 100 200 1000}
	JANUS_MAX_N=${JANUS_MAX_N:-200}
fi
SECONDS_MEASURE=${BENCH_SECONDS:-10}
TALKERS=${BENCH_TALKERS:-2}
case $TALKERS in
all|[0-9]*) ;;
*)	echo "BENCH_TALKERS: all or a number" >&2; exit 2 ;;
esac
talkers() { [ "$TALKERS" = all ] && echo "$1" || echo "$TALKERS"; }

if ! command -v janus >/dev/null; then
	echo "bench: installing janus (Debian package)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends janus >&2
fi
JLIB=$(dirname "$(dpkg -L janus | grep -m1 'libjanus_audiobridge.so$')")/..
JVER=$(dpkg-query -W -f='${Version}' janus)

janus_start() { # -> JPID, JURL
	local j="$WORK/janus" port
	port=$(free_port)
	mkdir -p "$j/cfg" "$j/plugins" "$j/transports" "$j/none"
	ln -sf "$JLIB/plugins/libjanus_audiobridge.so" "$j/plugins/"
	ln -sf "$JLIB/transports/libjanus_http.so" "$j/transports/"
	cat >"$j/cfg/janus.jcfg" <<JCFG
general: {
	configs_folder = "$j/cfg"
	plugins_folder = "$j/plugins"
	transports_folder = "$j/transports"
	events_folder = "$j/none"
	loggers_folder = "$j/none"
	debug_level = 2
	session_timeout = 300
}
JCFG
	cat >"$j/cfg/janus.transport.http.jcfg" <<JCFG
general: {
	http = true
	port = $port
	ip = "127.0.0.1"
	base_path = "/janus"
}
JCFG
	# the plugin binds its RTP sockets to this address (else to the
	# first public one, out of loopback's reach)
	cat >"$j/cfg/janus.plugin.audiobridge.jcfg" <<JCFG
general: {
	local_ip = "127.0.0.1"
	rtp_port_range = "40002-59999"
}
JCFG
	janus -C "$j/cfg/janus.jcfg" -F "$j/cfg" >"$j/log" 2>&1 &
	JPID=$!
	JURL="http://127.0.0.1:$port"
	for _ in $(seq 1 100); do
		curl -s -X POST -d '{"janus":"info","transaction":"i"}' \
			"$JURL/janus" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "janus did not start:" >&2
	cat "$j/log" >&2
	exit 1
}

janus_stop() {
	kill -TERM "$JPID" 2>/dev/null || true
	wait "$JPID" 2>/dev/null || true
}

# Every run gives each participant its own socket pair (--own-sockets):
# caucusd's per-thread sockets tell callers apart by address, and every
# server and the floor get the same generator.
run() { # NAME N extra-args... -> prints the RESULT line
	"$BIN/caucus-loadgen" --n "$2" --rate 300 --warmup 3 --codec "$CODEC" \
		--own-sockets --seconds "$SECONDS_MEASURE" \
		--talkers "$(talkers "$2")" "${@:3}" \
		2>"$WORK/lg-$1-$2.err" | grep '^RESULT' || echo "RESULT failed"
}

# Memory: each server is started afresh for each row, so what it holds
# idle (VmRSS once it answers) and the most it held (VmHWM after the run,
# all N in) give its memory per participant.
caucus_run() { # NAME N caucusd-args... -> RESULT line of that caucusd
	local idle r
	start_server "${@:3}"
	idle=$(proc_kb "$PID" VmRSS)
	r=$(run "caucus-$1" "$2" --pid "$PID" --api "$API" \
		--target "sip:bench@127.0.0.1:$SIP_PORT")
	echo "$r rss_idle_kb=$idle rss_peak_kb=$(proc_kb "$PID" VmHWM)"
	stop_server
}

floor_run() { # N [--shared] -> RESULT line of udpfloor
	udpfloor_start "$1" "${@:2}"
	run "floor${2:-}" "$1" --pid "$FPID" --peers "$WORK/floor.ports"
	udpfloor_stop
}

# per_part RESULT: kB per participant, (peak - idle) / joined, or nothing
per_part() {
	awk -v i="$(field "$1" rss_idle_kb)" -v p="$(field "$1" rss_peak_kb)" \
		-v n="$(field "$1" joined)" \
		'BEGIN { if (i > 0 && p > 0 && n > 0) printf "%.1f", (p - i) / n }'
}
mem_cols() { # RESULT -> idle,peak,kB per participant (CSV)
	printf '%s,%s,%s' "$(field "$1" rss_idle_kb)" \
		"$(field "$1" rss_peak_kb)" "$(per_part "$1")"
}

# the data bench/plot.sh draws (bench/out/cpu-CODEC.csv, memory-CODEC.csv)
SUFFIX=""
[ "$TALKERS" = 2 ] || SUFFIX="-talkers-$TALKERS"
CPU_CSV="$OUT/cpu-$CODEC$SUFFIX.csv"
MEM_CSV="$OUT/memory-$CODEC$SUFFIX.csv"
csv_start "$CPU_CSV" "n,caucus_default_us,caucus_per_call_us,caucus_per_thread_us,janus_us,\
floor_us,shared_floor_us,caucus_per_call_loss_pct,\
caucus_per_thread_loss_pct,janus_loss_pct,caucus_per_thread_late_p99_ms,\
caucus_default_loss_pct,caucus_per_call_syscalls_us"
csv_start "$MEM_CSV" "n,caucus_default_idle_kb,caucus_default_peak_kb,\
caucus_default_kb_per_participant,caucus_per_call_idle_kb,caucus_per_call_peak_kb,\
caucus_per_call_kb_per_participant,caucus_per_thread_idle_kb,\
caucus_per_thread_peak_kb,caucus_per_thread_kb_per_participant,\
janus_idle_kb,janus_peak_kb,janus_kb_per_participant"

machine
echo "peer:    Janus $JVER AudioBridge (plain RTP participants," \
	"room sampling_rate $RATE)"
TALK="$TALKERS talking"
[ "$TALKERS" = all ] && TALK="every participant talking (speech level)"
case $CODEC in
opus)	echo "Opus 20 ms, both servers mixing at 48 kHz, one conference," \
		"$TALK, the rest in DTX" ;;
mixed)	echo "a third each PCMU, G.722, Opus, 20 ms, both servers mixing" \
		"at 48 kHz, one conference, $TALK" ;;
g722)	echo "G.722 20 ms, both servers mixing at 16 kHz, one conference," \
		"$TALK" ;;
*)	echo "G.711 PCMU 20 ms, both servers mixing at 8 kHz, one" \
		"conference, $TALK" ;;
esac | tee -a "$OUT/janus.txt"
echo "${SECONDS_MEASURE}s measured after 3s warm-up; every participant" \
	"with its own socket pair"
# (dflt: caucusd as make run starts it, but for its one mixer thread:
# the default mix rate and socket mode, whatever the codec)
ROW='%6s | %9s %7s | %9s %7s %8s | %9s %7s %6s %8s | %9s %7s | %8s %8s | %8s %8s %8s %8s\n'
# shellcheck disable=SC2059
printf "$ROW" N "dflt us" "loss %" "call us" "loss %" "sys us" \
	"thread us" "loss %" \
	"jit ms" "p99 late" "janus us" "loss %" "floor us" "sh.floor" \
	"dflt/" "janus/" "sys/" "thread/"
printf '%6s | %17s | %26s | %33s | %17s | %17s | %8s %8s %8s %8s\n' "" \
	"caucus defaults" "caucus per-call" "caucus per-thread" "Janus" "" \
	"janus" "thread" "floor" "sh.floor"
for n in $SIZES; do
	echo "  ... N=$n: caucus with its default settings" >&2
	d=$(caucus_run defaults "$n")
	echo "  ... N=$n: caucus, a socket pair per call" >&2
	c=$(caucus_run per-call "$n" --mixer-rate "$RATE" --rtp-sockets per-call)
	echo "  ... N=$n: caucus, a socket pair per call, a system call" \
		"a packet" >&2
	cs=$(caucus_run per-call-syscalls "$n" --mixer-rate "$RATE" \
		--rtp-sockets per-call --rtp-io syscalls)
	echo "  ... N=$n: caucus, a socket pair per mixer thread" >&2
	t=$(caucus_run per-thread "$n" --mixer-rate "$RATE" \
		--rtp-sockets per-thread)
	j="RESULT skipped"
	# (AudioBridge 1.1.2 takes plain RTP participants in Opus, PCMU and
	# PCMA only: "codec must opus, pcmu or pcma")
	if [ "$n" -le "$JANUS_MAX_N" ] && [ "$CODEC" != g722 ] &&
		[ "$CODEC" != mixed ]; then
		echo "  ... N=$n: janus" >&2
		janus_start
		ji=$(proc_kb "$JPID" VmRSS)
		j=$(run janus "$n" --pid "$JPID" --janus "$JURL")
		j="$j rss_idle_kb=$ji rss_peak_kb=$(proc_kb "$JPID" VmHWM)"
		janus_stop
	fi
	fl="RESULT skipped"        # the floor knows no codec: G.711 runs only
	fs="RESULT skipped"
	if [ "$CODEC" = pcmu ]; then
		echo "  ... N=$n: floor, a socket each, then one shared" >&2
		fl=$(floor_run "$n")
		fs=$(floor_run "$n" --shared)
	fi
	du=$(field "$d" us_per_pf); csu=$(field "$cs" us_per_pf)
	cu=$(field "$c" us_per_pf); tu=$(field "$t" us_per_pf)
	ju=$(field "$j" us_per_pf); fu=$(field "$fl" us_per_pf)
	su=$(field "$fs" us_per_pf)
	# shellcheck disable=SC2059
	printf "$ROW" "$n" "${du:--}" "$(field "$d" loss_pct)" \
		"${cu:--}" "$(field "$c" loss_pct)" "${csu:--}" \
		"${tu:--}" "$(field "$t" loss_pct)" \
		"$(field "$t" jitter_ms)" "$(field "$t" late_p99_ms)" \
		"${ju:--}" "$(field "$j" loss_pct)" "${fu:--}" "${su:--}" \
		"$(ratio "$du" "$ju")" "$(ratio "$ju" "$tu")" \
		"$(ratio "$csu" "$fu")" \
		"$(ratio "$tu" "$su")" | tee -a "$OUT/janus.txt"
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$n" "$du" "$cu" \
		"$tu" "$ju" "$fu" "$su" "$(field "$c" loss_pct)" \
		"$(field "$t" loss_pct)" "$(field "$j" loss_pct)" \
		"$(field "$t" late_p99_ms)" "$(field "$d" loss_pct)" \
		"$csu" >>"$CPU_CSV"
	echo "$n,$(mem_cols "$d"),$(mem_cols "$c"),$(mem_cols "$t"),$(mem_cols \
		"$j")" >>"$MEM_CSV"
done
echo "memory: MB resident idle / with all N in, and kB per participant" \
	"((with - idle) / joined)" | tee -a "$OUT/janus.txt"
printf '%6s | %23s | %23s | %23s | %23s\n' N "caucus defaults" \
	"caucus per-call" "caucus per-thread" Janus | tee -a "$OUT/janus.txt"
grep -v '^#' "$MEM_CSV" | tail -n +2 | awk -F, '
	function mb(k) { return k == "" ? "-" : sprintf("%.1f", k / 1024) }
	function kb(k) { return k == "" ? "-" : k }
	{ printf "%6s", $1
	  for (i = 2; i <= 11; i += 3)
		printf " | %6s %6s %9s", mb($i), mb($(i + 1)), kb($(i + 2))
	  printf "\n" }' | tee -a "$OUT/janus.txt"
echo "data: $CPU_CSV, $MEM_CSV (bench/plot.sh draws them)"
echo "columns: us = CPU us per participant-frame (whole process); loss" \
	"and jitter of what each server sent the generator; p99 late = 99th" \
	"percentile of how late a caucus mixer tick started, ms (the upper" \
	"bound of its histogram bucket); dflt = caucusd's default mix rate" \
	"and sockets; floor = the bare recvmmsg/sendto" \
	"echo loop over a socket per participant; sh.floor = the same over" \
	"one socket, recvmmsg/sendmmsg 64 at a time; dflt/janus = caucus" \
	"with its defaults over Janus (the issue's target: 0.25x or less);" \
	"janus/thread = Janus's" \
	"CPU over caucus per-thread's; call us = per-call sockets read and" \
	"sent in batches through io_uring (rtp_io = uring, the default);" \
	"sys us = the same a system call a packet (rtp_io = syscalls);" \
	"sys/floor = that over the floor (the floor makes the same calls);" \
	"thread/sh.floor = caucus per-thread over the shared floor"
