#!/bin/bash
# Switched video: what caucusd spends per forwarded video packet, beside
# the kernel floor. caucus-vidload brings N participants into one
# conference by SIP (audio PCMU, 2 talking; video VP8 at 15 frames/s of
# 4 packets of 1100 bytes, about 530 kbit/s each, a keyframe on PLI/FIR
# and every 3 s); caucusd forwards the speaker's video to everyone else
# and the speaker before's to the speaker: N x 60 packets/s out. caucusd
# runs with its defaults (one video thread, a port pair per stream; one
# mixer thread as in every bench), started afresh for each run. The
# window alternates 5 s with video and 5 s with video paused (the calls
# and their audio go on): caucusd's CPU with video less its CPU paused,
# per forwarded packet, is what forwarding costs, measured in the same
# process, interleaved so that load from elsewhere on the machine falls
# on both. The floor is tools/udpfloor --fanout under the same generator
# (video only, to plain UDP ports): read everyone, send the speaker's
# packets to the other N-1 and the speaker before's to the speaker,
# nothing else. Then the largest N with the talkers taking turns every
# 4 s (a switch, a PLI and a keyframe each time), and with everyone
# talking (the speaker detector has more to choose from, the forwarding
# is the same: one speaker shown).
#   bench/video.sh [build-dir] [N ...]   (N: 20 50 by default)
#   BENCH_SECONDS=S   the window (40 s: 20 s with video, after 5 s of
#                     warm-up; a multiple of 10)
. "$(dirname "$0")/common.sh"
shift || true
SIZES=${*:-20 50}
SECONDS_MEASURE=${BENCH_SECONDS:-40}
AB=5
WARMUP=5

need=0
for b in caucusd caucus-vidload udpfloor; do
	[ -x "$BIN/$b" ] || need=1
done
if [ "$need" = 1 ]; then
	echo "bench: building caucusd, caucus-vidload, udpfloor in $BIN" >&2
	[ -f "$BIN/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BIN" \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BIN" -j "$(nproc)" --target caucusd caucus-vidload \
		udpfloor >/dev/null
fi

vl() { # NAME N args... -> the RESULT line
	"$BIN/caucus-vidload" --n "$2" --warmup "$WARMUP" \
		--seconds "$SECONDS_MEASURE" --ab "$AB" "${@:3}" \
		2>"$WORK/vl-$1-$2.err" | grep '^RESULT' || echo "RESULT failed"
}

caucus_run() { # NAME N args... -> RESULT line, caucusd started for it
	start_server
	vl "$1" "$2" --pid "$PID" --target "sip:bench@127.0.0.1:$SIP_PORT" \
		"${@:3}"
	stop_server
}

floor_run() { # N -> RESULT line of udpfloor --fanout
	udpfloor_start "$1" --fanout
	vl floor "$1" --pid "$FPID" --peers "$WORK/floor.ports"
	udpfloor_stop
}

calc() { awk "BEGIN { $1 }" </dev/null; }
odd() { # RESULT -> what went wrong in it, if anything
	local s=""
	[ "$(field "$1" silent_legs)" = 0 ] ||
		s="$s $(field "$1" silent_legs) legs got no video;"
	[ "$(field "$1" ended)" = 0 ] || s="$s calls ended;"
	[ "$(field "$1" failed)" = 0 ] || s="$s calls failed;"
	[ "$1" != "RESULT failed" ] || s="$s no result;"
	echo "${s:-ok}"
}

machine
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
echo "video:   VP8 15 fps x 4 packets x 1100 bytes per participant, one" \
	"conference, switched; audio PCMU 20 ms, 2 talking; caucusd defaults" \
	"(1 video thread), 1 mixer thread"
echo "${SECONDS_MEASURE}s measured after ${WARMUP}s warm-up, ${AB}s with" \
	"video and ${AB}s paused in turn; every participant with its own" \
	"audio and video port pairs"
HDR='| N | talking | fwd pkt/s | caucusd cpu % | video paused cpu % | us/pkt all | us/pkt video | floor cpu % | floor us/pkt | video / floor | loss % | gen cpu % |'
echo "$HDR" | tee -a "$OUT/video.txt"
echo '|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|' |
	tee -a "$OUT/video.txt"
dec() { calc "printf \"%.2f\", ${1:-0}+0"; }
row() { # N TALKING VIDEO FLOOR
	local vu fu
	vu=$(field "$3" video_us_per_pkt)
	fu=$(field "$4" us_per_pkt)
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		"$1" "$2" "$(calc "printf \"%.0f\", $(field "$3" fwd_pps)+0")" \
		"$(field "$3" cpu_pct)" \
		"$(field "$3" off_cpu_pct)" "$(dec "$(field "$3" us_per_pkt)")" \
		"$(dec "$vu")" "$(field "$4" cpu_pct)" "$(dec "$fu")" \
		"$(ratio "$vu" "$fu")" "$(field "$3" loss_pct)" \
		"$(field "$3" gen_cpu_pct)" | tee -a "$OUT/video.txt"
}
notes=""
last=""
FL=""
for n in $SIZES; do
	echo "  ... N=$n: caucusd" >&2
	v=$(caucus_run video "$n")
	echo "  ... N=$n: udpfloor --fanout" >&2
	f=$(floor_run "$n")
	row "$n" 2 "$v" "$f"
	notes="$notes
N=$n: $(odd "$v") keyframes asked $(field "$v" kf_req) (a few at each \
resume), sent $(field "$v" keys_sent), received $(field "$v" keys_rx); \
generator $(field "$v" gen_late) late ticks; floor: $(odd "$f") loss \
$(field "$f" loss_pct) %, generator $(field "$f" gen_cpu_pct) %"
	last=$n
	FL=$f
done
echo "  ... N=$last: the 2 talkers in turn, 4 s each" >&2
v=$(caucus_run turns "$last" --turn-ms 4000)
row "$last" "2, in turn" "$v" "$FL"
notes="$notes
N=$last in turn: $(odd "$v") keyframes asked $(field "$v" kf_req), sent \
$(field "$v" keys_sent) ($(field "$v" keys_asked) for a PLI/FIR)"
echo "  ... N=$last: everyone talking" >&2
v=$(caucus_run alltalk "$last" --talkers "$last")
row "$last" "all $last" "$v" "$FL"
notes="$notes
N=$last all talking: $(odd "$v") keyframes asked $(field "$v" kf_req)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end"
echo "columns: fwd pkt/s = video packets the participants got (what the" \
	"server forwarded) while video was on; caucusd cpu % = its CPU then" \
	"(all threads, audio mixing included); video paused cpu % = the same" \
	"calls while video was paused; us/pkt all = caucusd cpu per" \
	"forwarded packet; us/pkt video = (cpu on - cpu paused) per" \
	"forwarded packet; floor = udpfloor --fanout under the same" \
	"generator (video only); video / floor = us/pkt video over floor" \
	"us/pkt; loss = video packets missing from the participants'" \
	"sequence numbers; gen cpu = the generator's own while video was on" \
	"(audio and video, both ways)"
echo "checks:${notes}"
# (every run's caucusd logs into the same file; the web console's
# absence from a build folder is expected)
warn=$(grep -E 'lvl=(err|warn)' "$WORK/caucusd.log" 2>/dev/null |
	grep -v 'no web console' | sed 's/^ts=[^ ]* //' | sort | uniq -c |
	sort -rn | head -10 || true)
echo "caucusd's warnings and errors: ${warn:-none}"
