#!/bin/bash
# caucus-vidpeer against baresip 1.0 (Debian's baresip-core and
# baresip-ffmpeg), by hand, not by ctest: for each of VP8, H.264 and VP9 a
# baresip on free ports answers a call from caucus-vidpeer, and both must
# decode the other's video:
#  - vidpeer logs frame lines of baresip's fakevideo picture (video_size
#    320x240 here, so w=320 h=240);
#  - baresip logs "video: receiving with resolution 320 x 180" and saves
#    the first picture it decoded (snapshot module, /snapshot_recv) as a
#    PNG whose mean colour, in BT.601 YUV, is within 12 of what vidpeer
#    sent (122,166,89: a colour inside the RGB cube, which the PNG's RGB
#    keeps);
#  - a PLI from vidpeer makes baresip send a keyframe (vidpeer counts two
#    keyframes or more);
#  - audio flows (rx_audio_packets > 0), and quit ends the call with
#    exit 0.
#
#   tools/vidpeer/selftest.sh [BUILD_DIR]     (default: build)
#
# baresip 1.0 answers an RTP/AVPF offer with m=video 0 unless a media
# encryption module that accepts AVPF is loaded: srtp.so with
# ;mediaenc=srtp on the account (best effort SRTP: our offer has no
# a=crypto, so the media stay plain RTP). VP9 too (vpack.c sends no
# layer indices: baresip 1.0's vp9 decoder refuses the L bit; baresip's
# own VP9 pictures all come marked as keyframes).
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${1:-$SRC/build}" && pwd)
VIDPEER="$BIN/caucus-vidpeer"
[ -x "$VIDPEER" ] || { echo "no $VIDPEER (build caucus-vidpeer)"; exit 2; }
. "$SRC/scripts/ports.sh"
WORK=$(mktemp -d /tmp/vidpeer-selftest.XXXXXX)
PIDS=""
COLOR=122,166,89

cleanup() {
	local p
	exec 3>&- 2>/dev/null || true
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "${KEEP_WORK:-0}" = 1 ]; then
		echo "work folder kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$WORK"/*/vidpeer.log; do
		[ -f "$f" ] || continue
		echo "---- $f (without frame lines) ----"
		grep -v '^frame' "$f" | tail -n 20
	done
	for f in "$WORK"/*/baresip.log; do
		[ -f "$f" ] || continue
		echo "---- $f ----"
		tr '\r' '\n' <"$f" | grep -v '^\[[0-9:]*\] audio=' | grep . |
			tail -n 20
	done
	exit 1
}

# wait_for SECONDS CMD...: until CMD succeeds, polling every 0.1 s
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# log_has FILE REGEX [N]: FILE has at least N (1) lines matching REGEX
log_has() {
	[ -f "$1" ] && [ "$(tr '\r' '\n' <"$1" | grep -cE "$2")" -ge "${3:-1}" ]
}

# png_yuv FILE: the mean colour of a PNG as "Y U V"
png_yuv() { python3 "$SRC/tests/integration/pngyuv.py" "$1"; }

# near A B: |A - B| <= 12
near() { [ $(( $1 > $2 ? $1 - $2 : $2 - $1 )) -le 12 ]; }

# check CODEC MODULE: one call, vidpeer --codec CODEC to a baresip with
# the video codec module MODULE
check() {
	local codec=$1 module=$2 d="$WORK/$1" bsport rtp bs vp fifo
	local name=${1^^}
	mkdir -p "$d"
	bsport=$(free_port)
	rtp=$(free_port)
	# the config lines the integration tests can reuse
	printf '%s\n' "poll_method epoll" "net_interface 127.0.0.1" \
		"sip_listen 127.0.0.1:$bsport" "rtp_ports $rtp-$((rtp + 19))" \
		"module_path /usr/lib/baresip/modules" \
		"module g711.so" "module srtp.so" "module $module" \
		"module fakevideo.so" "module snapshot.so" \
		"module aubridge.so" "module account.so" \
		"module_app menu.so" \
		"audio_source aubridge,$codec" "audio_player aubridge,$codec" \
		"video_source fakevideo,nil" "video_display fakevideo,nil" \
		"video_size 320x240" >"$d/config"
	echo "<sip:bob@127.0.0.1>;regint=0;answermode=auto;mediaenc=srtp" \
		>"$d/accounts"
	baresip -f "$d" -e "/snapshot_recv $d/rx.png" -t 60 \
		>"$d/baresip.log" 2>&1 &
	bs=$!
	PIDS="$PIDS $bs"
	wait_for 10 log_has "$d/baresip.log" 'baresip is ready' ||
		fail "$name: baresip did not start"

	fifo="$d/cmd"
	mkfifo "$fifo"
	"$VIDPEER" --target "sip:bob@127.0.0.1:$bsport" --from alice \
		--codec "$codec" --color "$COLOR" --log "$d/vidpeer.log" \
		--seconds 50 <"$fifo" 2>"$d/vidpeer.err" &
	vp=$!
	PIDS="$PIDS $vp"
	exec 3>"$fifo"

	wait_for 10 log_has "$d/vidpeer.log" \
		"^call state=established video=$name pt=[0-9]+ " ||
		fail "$name: no call with video"
	wait_for 10 log_has "$d/vidpeer.log" '^frame .* w=320 h=240 ' 10 ||
		fail "$name: vidpeer decoded no pictures of baresip's"
	wait_for 10 log_has "$d/baresip.log" \
		'video: receiving with resolution 320 x 180' ||
		fail "$name: baresip decoded nothing of ours"
	wait_for 10 test -s "$d/rx.png" ||
		fail "$name: baresip saved no picture"
	echo "pli" >&3
	wait_for 10 log_has "$d/vidpeer.log" '^frame .* key=1 ' 2 ||
		fail "$name: no keyframe from baresip after our PLI"
	echo "quit" >&3
	local rc=0
	wait "$vp" || rc=$?
	exec 3>&-
	[ "$rc" = 0 ] || fail "$name: vidpeer exited $rc"
	log_has "$d/vidpeer.log" '^summary .* rx_audio_packets=[1-9]' ||
		fail "$name: no audio received"

	local yuv want
	read -r -a yuv <<<"$(png_yuv "$d/rx.png")"
	IFS=, read -r -a want <<<"$COLOR"
	near "${yuv[0]}" "${want[0]}" && near "${yuv[1]}" "${want[1]}" &&
		near "${yuv[2]}" "${want[2]}" ||
		fail "$name: baresip saw ${yuv[*]}, we sent ${want[*]}"
	echo "ok $name: vidpeer $(grep -m1 '^frame' "$d/vidpeer.log" |
		cut -d' ' -f5-); baresip saw y=${yuv[0]} u=${yuv[1]}" \
		"v=${yuv[2]} (sent $COLOR); $(grep '^summary' "$d/vidpeer.log")"
	kill "$bs" 2>/dev/null || true
	wait "$bs" 2>/dev/null || true
}

check vp8 vp8.so
check h264 avcodec.so
check vp9 vp9.so
echo "PASS"
