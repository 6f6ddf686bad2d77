#!/bin/bash
# Switched video with a real SIP client (issue 19): baresip 1.0 with its
# fakevideo source, one with VP8 (vp8 module) and one with H.264 (the
# avcodec module of baresip-ffmpeg), beside two callers of our own
# (caucus-vidpeer, VP8 and H.264, each sending one colour). The calls
# are SDES-SRTP (baresip's best effort). Each baresip decodes the
# participant it is shown (the first picture it saves has that caller's
# colour), and our callers decode baresip's pictures (320x240) when they
# are shown them: the VP8 one once a moderator pins the baresip with
# VP8, the H.264 one as the only other H.264 sender.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/video_lib.sh"
start_caucusd
C=/v1/conferences/demo
A=122,166,89
H=110,110,150

vp_start a demo vp8 $A
wait_connected 15 demo 1 "a did not connect"
vp_start h demo h264 $H
wait_connected 15 demo 2 "h did not connect"
bs_video "$WORK/bs-v" bsv demo vp8.so
bs_video "$WORK/bs-h" bsh demo avcodec.so
wait_connected 15 demo 4 "the baresip clients did not connect"
api GET $C/participants
for n in bsv bsh; do
	printf '%s' "$BODY" | python3 -c 'import json, sys
n = sys.argv[1]
p = [p for p in json.load(sys.stdin)["participants"]
     if p["uri"].startswith("sip:" + n + "@")][0]
assert p["media"]["encryption"].startswith("SDES"), p["media"]
assert p["video"]["codec"] == sys.argv[2], p.get("video")' "$n" \
		"$([ $n = bsv ] && echo VP8 || echo H264)" ||
		fail "$n has no SDES-SRTP call with video: $BODY"
done

# what each baresip decodes: the one shown to it
wait_for 10 png_near "$WORK/bs-v/rx.png" $A ||
	fail "baresip (VP8) did not decode a: $(python3 \
		"$SRC/tests/integration/pngyuv.py" "$WORK/bs-v/rx.png" 2>&1)"
wait_for 10 png_near "$WORK/bs-h/rx.png" $H ||
	fail "baresip (H.264) did not decode h: $(python3 \
		"$SRC/tests/integration/pngyuv.py" "$WORK/bs-h/rx.png" 2>&1)"
grep -q 'video: receiving with resolution 320 x 180' "$WORK/bs-v/baresip.log" ||
	fail "baresip (VP8) does not say it receives 320x180"

# what ours decode of baresip's: h sees bsh (the other H.264 sender)
wait_for 10 vp_has h '^frame .* w=320 h=240 ' ||
	fail "h decoded nothing of baresip's H.264"
# a moderator pins bsv: a is shown it
api GET $C
PV=$(pid_of bsv)
api PATCH $C/video "{\"pin\":\"$PV\"}"
expect_status 200 "pin bsv"
wait_for 10 vp_has a '^frame .* w=320 h=240 ' ||
	fail "a decoded nothing of baresip's VP8"

for n in a h; do
	vp_quit $n
	log "$n: $SUMMARY"
	summary_is ssrc_changes 0
	summary_is decode_errors 0
done
baresip_finish $BS_PIDS
log "PASS"
