#!/bin/bash
# Far-end camera control (issue 19, spec s. 5.12) with H.224 over RTP
# (RFC 4573) between video callers of our own (caucus-vidpeer --fecc):
# the focus relays a participant's H.224 frames to the participant it
# sees when the conference's camera policy lets it (moderators by
# default), refuses the others (and says so in its log), and steers a
# camera for the API; a caller without a camera control stream has none
# to steer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/video_lib.sh"
start_caucusd
C=/v1/conferences/demo

api PUT $C/policy '{"users":[{"aor":"sip:mo@127.0.0.1","role":"moderator"}]}'
expect_status 200 "policy with a moderator"

# mo is shown first (it sends video first): pat sees mo, mo sees pat
vp_start mo demo vp8 60,100,150 --fecc
wait_connected 15 demo 1 "mo did not connect"
vp_start pat demo vp8 120,160,90 --fecc
wait_connected 15 demo 2 "pat did not connect"
vp_start nofecc demo vp8 200,90,170
wait_connected 15 demo 3 "nofecc did not connect"
vp_has mo '^call state=established video=VP8 .*fecc=1' ||
	wait_for 5 vp_has mo 'fecc=1' || fail "mo has no camera control"
wait_for 5 vp_has pat 'fecc=1' || fail "pat has no camera control"
wait_for 5 vp_has nofecc 'fecc=0' || fail "nofecc: $(grep -m1 '^call' \
	"$WORK/vp-nofecc/log")"
wait_for 5 vp_sees pat 60,100,150 || fail "pat does not see mo"
wait_for 5 vp_sees mo 120,160,90 || fail "mo does not see pat"

# the moderator steers the camera it sees
vp_cmd mo "fecc pan_left"
wait_for 5 vp_has pat '^fecc .*action=pan_left' ||
	fail "pat's camera was not steered: $(tail -3 "$WORK/vp-pat/log")"
vp_cmd mo "fecc preset 3"
wait_for 5 vp_has pat '^fecc .*action=preset n=3' ||
	fail "pat's preset was not asked: $(tail -3 "$WORK/vp-pat/log")"

# a participant may not (the default policy: moderators)
vp_cmd pat "fecc zoom_in"
wait_for 5 grep -q 'msg="camera control refused" conf=demo' \
	"$WORK/caucusd.log" || fail "pat's camera command was not refused"
grep 'camera control refused' "$WORK/caucusd.log" | grep -q 'why="the camera policy"' ||
	fail "the refusal does not say why: $(grep 'camera control refused' \
		"$WORK/caucusd.log")"
vp_has mo '^fecc ' && fail "mo's camera was steered by a participant"

# the API steers a camera (a moderator's request); a stop names the
# motion it ends
api GET $C
PP=$(pid_of pat)
PN=$(pid_of nofecc)
PM=$(pid_of mo)
api POST "$C/participants/$PP/camera" '{"action":"tilt_up"}'
expect_status 204 "camera tilt_up"
wait_for 5 vp_has pat '^fecc .*action=tilt_up' ||
	fail "the API did not steer pat's camera"
api POST "$C/participants/$PP/camera" '{"action":"stop"}'
expect_status 204 "camera stop"
wait_for 5 vp_has pat '^fecc .*action=stop' || fail "no stop at pat"
api POST "$C/participants/$PN/camera" '{"action":"zoom_in"}'
expect_status 409 "a caller without camera control"

# camera control off: the moderator's commands go nowhere either
api PATCH $C/video '{"camera_control":"none"}'
expect_status 200 "camera control off"
n=$(grep -c '^fecc ' "$WORK/vp-pat/log")
vp_cmd mo "fecc zoom_out"
api POST "$C/participants/$PP/camera" '{"action":"zoom_out"}'
expect_status 403 "camera control off, by the API"
# the focus decided on mo's frame when it logged the refusal: relayed
# it would have been at that moment
wait_for 5 grep -q "msg=\"camera control refused\" conf=demo pid=$PM " \
	"$WORK/caucusd.log" || fail "mo's frame was not refused"
[ "$(grep -c '^fecc ' "$WORK/vp-pat/log")" = "$n" ] ||
	fail "pat's camera was steered with camera control off"

stop_caucusd
log "PASS"
