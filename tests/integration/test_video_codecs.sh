#!/bin/bash
# Switched video across codecs (issue 19): the focus forwards, it does
# not transcode, so a receiver is shown the most recent speaker whose
# codec it takes (VP8 callers see VP8 speakers, H.264 callers H.264
# ones), never a stream it cannot decode; the speaker shown follows who
# talks whatever their codec. (A composed conference gives every
# receiver the one picture in its own codec: test_video_compose.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/video_lib.sh"
start_caucusd
C=/v1/conferences/demo
api PATCH $C/video '{"hold_ms":300}'      # no waiting for the hold
expect_status 200 "hold_ms"
V1=60,100,150
V2=90,200,60
H1=120,160,90
H2=200,90,170

vp_start v1 demo vp8 $V1 --tone 400
wait_connected 15 demo 1 "v1 did not connect"
vp_start h1 demo h264 $H1 --tone 700
wait_connected 15 demo 2 "h1 did not connect"
vp_start h2 demo h264 $H2 --tone 1000
wait_connected 15 demo 3 "h2 did not connect"
vp_start v2 demo vp8 $V2 --tone 1300
wait_connected 15 demo 4 "v2 did not connect"
wait_for 5 vp_has h1 '^call state=established video=H264' ||
	fail "h1 has no H.264: $(grep -m1 "^call" "$WORK/vp-h1/log")"
wait_for 5 vp_has v2 '^call state=established video=VP8' ||
	fail "v2 has no VP8: $(grep -m1 "^call" "$WORK/vp-v2/log")"
sees() { wait_for "${3:-5}" vp_sees "$1" "$2" "${4:-0}"; }

# v1 shown: v2 sees it; the H.264 callers see each other instead
sees v2 $V1 || fail "v2 does not see v1"
sees h1 $H2 || fail "h1 does not see h2"
sees h2 $H1 || fail "h2 does not see h1"
sees v1 $V2 || fail "v1 does not see v2"

# h2 talks and is shown: the VP8 callers keep their VP8 pictures
vp_cmd h2 "talk on"
t=$(vp_now h1)
sees h1 $H2 3 "$t" || fail "h1 lost h2"
wait_for 5 grep -q 'msg="video speaker" conf=demo pid=3' \
	"$WORK/caucusd.log" || fail "h2 is not shown"
t1=$(vp_now v1); t2=$(vp_now v2)
sees v1 $V2 3 "$t1" || fail "v1 was given what it cannot decode"
sees v2 $V1 3 "$t2" || fail "v2 was given what it cannot decode"
vp_cmd h2 "talk off"

# v2 talks: v1 sees it; h1 keeps the last H.264 speaker (h2), h2 the
# one before it that it can decode (h1)
th1=$(vp_now h1); th2=$(vp_now h2); tv1=$(vp_now v1)
vp_cmd v2 "talk on"
wait_for 5 grep -q 'msg="video speaker" conf=demo pid=4' \
	"$WORK/caucusd.log" || fail "v2 is not shown"
sees v1 $V2 3 "$tv1" || fail "v1 does not see v2"
sees h1 $H2 3 "$th1" || fail "h1 does not see the last H.264 speaker"
sees h2 $H1 3 "$th2" || fail "h2 does not see h1"
vp_cmd v2 "talk off"

for n in v1 v2 h1 h2; do
	vp_quit $n
	log "$n: $SUMMARY"
	summary_is ssrc_changes 0
	summary_is seq_gaps 0
	summary_is decode_errors 0
done
stop_caucusd
log "PASS"
