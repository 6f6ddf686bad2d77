#!/bin/bash
# caucus-vidpeer against baresip 1.0 (Debian's baresip-core and
# baresip-ffmpeg), by hand, not by ctest: for each of VP8 and H.264 a
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
# a=crypto, so the media stay plain RTP). VP9 is not checked: baresip
# 1.0's vp9 decoder refuses payload descriptors with the L bit ("vp9:
# decode: L-bit not supported").
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

# png_yuv FILE: the mean colour of a PNG (8-bit RGB or RGBA, as
# baresip's snapshot writes) as "Y U V" (BT.601, limited range)
png_yuv() {
	python3 - "$1" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat = 8, b''
while pos < len(d):
    n, t = struct.unpack('>I4s', d[pos:pos + 8])
    c = d[pos + 8:pos + 8 + n]
    if t == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', c[:10])
    elif t == b'IDAT':
        idat += c
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw, stride = zlib.decompress(idat), w * bpp
prev, sums = bytearray(stride), [0, 0, 0]
for y in range(h):
    o = y * (stride + 1)
    f, line = raw[o], bytearray(raw[o + 1:o + 1 + stride])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pr) & 255
    for x in range(w):
        for k in range(3):
            sums[k] += line[x * bpp + k]
    prev = line
r, g, b = (s / (w * h) for s in sums)
y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
print(round(y), round(u), round(v))
PY
}

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
echo "PASS"
