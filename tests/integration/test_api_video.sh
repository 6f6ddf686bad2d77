#!/bin/bash
# A conference's video over HTTP: GET .../video and its defaults; PATCH
# .../video refusing each bad member by name, unknown members and
# `status` (the media list's), all or nothing; a participant's settings
# refused, an administrator's applied (and stored over a restart); pins:
# an unknown pid 404, someone without video 409, a moderator's pin shown
# first in the order and in the RFC 4575 document, the holder of the
# audio floor pinning (and nobody else); a hidden participant kept out of
# a participant's view; the participant JSON's video object for sipp
# callers offering VP8 (and H.224); camera control: a bad action 400, no
# camera control stream 409, the camera policy 403, allowed 204; the
# media list taking video away (a re-INVITE with m=video 0, a requested
# change a moderator approves) and giving it back.
. "$(dirname "$0")/lib.sh"
# pat is a user: its call is challenged, and sipp answers MD5 only
start_caucusd --sip-digest-algorithms MD5,SHA-256
C=/v1/conferences/demo
V=$C/video

# check PYTHON-EXPRESSION WHAT: the expression (lines may break
# anywhere) holds of b, $BODY as JSON
check() {
	python3 -c 'import json, sys
b = json.loads(sys.argv[2])
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$1" "$BODY" ||
		fail "$2: not $1 in $BODY"
}
# refused STATUS WORD WHAT: the last answer was STATUS and names WORD
refused() {
	expect_status "$1" "$3"
	printf '%s' "$BODY" | grep -q -- "$2" || fail "$3: no '$2' in $BODY"
}
pid() { part_of demo "$1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["id"])'; }
# document: the RFC 4575 document as XML, valid against the schema
document() {
	curl -s -H 'Accept: application/conference-info+xml' \
		"$API$C/info" >"$WORK/doc.xml"
	xmllint --noout --schema "$SRC/tests/schemas/conference-info.xsd" \
		"$WORK/doc.xml" 2>"$WORK/xmllint.err" ||
		fail "the document is not valid: $(cat "$WORK/xmllint.err")"
}
# has_video PID: the participant shows a video object (no_video: not)
has_video() {
	api GET "$C/participants/$1"
	printf '%s' "$BODY" | python3 -c 'import json, sys
sys.exit(0 if "video" in json.load(sys.stdin) else 1)'
}
no_video() { ! has_video "$1"; }

log "defaults"
api GET "$V"
expect_status 200 "GET video"
check "b == {'status': 'sendrecv', 'mode': 'switched', 'layout': '2x2',
	'width': 640, 'height': 360, 'fps': 15, 'kbps': 600,
	'hold_ms': 2000, 'talk_ms': 1000, 'camera_control': 'moderators',
	'shown': None, 'pinned': None, 'order': []}" "the defaults"
api GET "$C"
check "b['video'] == {'status': 'sendrecv', 'mode': 'switched',
	'layout': '2x2', 'shown': None, 'pinned': None}" "the conference's video"
check "b['media'] == [{'type': 'audio', 'status': 'sendrecv'},
	{'type': 'video', 'status': 'sendrecv'}]" "the media list"
api GET /v1/conferences/nosuch/video
expect_status 404 "an unknown conference's video"

log "each bad member refused by name, nothing applied"
while read -r member value; do
	api PATCH "$V" "{\"$member\":$value}"
	refused 400 "$member" "PATCH $member $value"
done <<'EOF'
mode "tiled"
mode 3
layout "4x4"
layout "2x2x2x2"
width 100
width 641
width 640.5
height 2000
height "360"
fps 0
fps 31
fps 300
kbps 10
kbps 9000
hold_ms 60001
hold_ms -1
talk_ms 100
talk_ms 20000
camera_control "everyone"
camera_control true
pin 7
pin true
EOF
api PATCH "$V" '{"colour":"red"}'
refused 400 "colour" "an unknown member"
api PATCH "$V" '{"status":"inactive"}'
refused 400 "media" "status, which is the media list's"
api PATCH "$V" '{}'
refused 400 "mode" "nothing named"
api PATCH "$V" '{"mode":'
expect_status 400 "not JSON"
api PATCH "$V" '{"mode":"composed","fps":0}'
refused 400 "fps" "a good and a bad member"
api GET "$V"
check "b['mode'] == 'switched' and b['fps'] == 15" "all or nothing"

log "caucusctl: the video, its settings, the media list keeping the other"
CTL="$SRC/tools/caucusctl"
ctl() { RC=0; CAUCUS_URL="$API" "$CTL" "$@" >"$WORK/ctl.out" 2>&1 || RC=$?; }
want() { # RC and a text the output must hold
	[ "$RC" = "$1" ] || fail "caucusctl: exit $RC, want $1: $(cat "$WORK/ctl.out")"
	grep -q -- "$2" "$WORK/ctl.out" || fail "no '$2' in: $(cat "$WORK/ctl.out")"
}
ctl video demo; want 0 "video sendrecv, switched"
ctl video demo set mode=composed layout=1+5 fps=20; want 0 "composed 1+5"
ctl video demo; want 0 "at 20 fps"
ctl video demo set fps=99; want 4 "fps"
ctl video demo set colour=red; want 2 "KEY=VALUE"
ctl video demo set fps=fast; want 2 "whole number"
ctl video demo pin; want 2 "video CONF pin PID"
ctl conf media demo recvonly; want 0 "audio recvonly, video sendrecv"
ctl video demo status inactive; want 0 "audio recvonly, video inactive"
ctl conf media demo sendrecv; want 0 "audio sendrecv, video inactive"
ctl video demo status sendrecv; want 0 "audio sendrecv, video sendrecv"
ctl video nosuch; want 3 "404"

log "a participant reads the video, only moderators change it"
api POST /v1/users '{"name":"pat","password":"pat-password","aor":"sip:pat@example.com"}'
expect_status 201 "make user pat"
PAT=$(json_field "$BODY" token)
API_TOKEN=$PAT api GET "$V"
expect_status 200 "pat reads the video"
API_TOKEN=$PAT api PATCH "$V" '{"mode":"composed"}'
refused 403 "moderators" "pat changes the mode"
API_TOKEN=$PAT api PATCH "$V" '{"pin":null}'
refused 403 "floor" "pat pins without the floor"
api PATCH "$V" '{"mode":"composed","layout":"3x3","width":1280,"height":720,"fps":25,"kbps":1500,"hold_ms":3000,"talk_ms":800,"camera_control":"participants"}'
expect_status 200 "the administrator changes the video"
check "(b['mode'], b['layout'], b['width'], b['height'], b['fps'],
	b['kbps'], b['hold_ms'], b['talk_ms'], b['camera_control']) ==
	('composed', '3x3', 1280, 720, 25, 1500, 3000, 800, 'participants')" \
	"the new settings"
api GET "$C"
check "b['video']['mode'] == 'composed' and b['video']['layout'] == '3x3'" \
	"the conference's video after the change"

log "callers: vic (video), cam (video and camera control), aud (audio), pat"
sipp_bg vic uac_video.xml -s demo -key who vic
sipp_vic=$SIPP_PID
sipp_bg cam uac_video_fecc.xml -s demo -key who cam -key fecc_port "$(free_port)"
sipp_cam=$SIPP_PID
sipp_bg aud uac_wait_bye.xml -s demo -key who aud
sipp_aud=$SIPP_PID
sipp_bg pat uac_auth_wait.xml -s demo -key who pat -au pat -ap pat-password \
	-auth_uri "demo@127.0.0.1:$SIP_PORT"
sipp_pat=$SIPP_PID
wait_connected 10 demo 4 "the four callers did not join"
VIC=$(pid vic) CAM=$(pid cam) AUD=$(pid aud) PATP=$(pid pat)

api GET "$C/participants/$VIC"
check "b['video']['codec'] == 'VP8' and b['video']['sends'] is True and
	b['video']['camera_control'] is False and
	b['video']['local_port'] > 0 and b['video']['direction'] == 'sendrecv'
	and all(k in b['video'] for k in ('tx_ssrc', 'rx_packets',
	'tx_packets', 'rx_kbps', 'tx_kbps', 'est_kbps', 'rx_lost',
	'rx_stranger', 'keyframes_rx', 'kf_requests_tx', 'kf_requests_rx',
	'nacks_rx', 'retransmits', 'switches', 'sees'))" "vic's video"
api GET "$C/participants/$CAM"
check "b['video']['codec'] == 'VP8' and b['video']['camera_control'] is True" \
	"cam's video and camera control"
api GET "$C/participants/$AUD"
check "'video' not in b" "aud, without video"
api GET "$V"
check "sorted(b['order']) == sorted(['$VIC', '$CAM']) and
	b['shown'] in ('$VIC', '$CAM')" "who is shown"

log "pins"
api PATCH "$V" '{"pin":"nosuch"}'
refused 404 "nosuch" "a pin of an unknown participant"
api PATCH "$V" "{\"pin\":\"$AUD\"}"
refused 409 "video" "a pin of a participant without video"
api PATCH "$V" "{\"pin\":\"$CAM\",\"fps\":0}"
refused 400 "fps" "a pin with a bad member"
api PATCH "$V" "{\"pin\":\"$CAM\"}"
expect_status 200 "a moderator pins cam"
check "b['pinned'] == '$CAM' and b['order'][0] == '$CAM'" "cam pinned first"
api GET "$C"
check "b['video']['pinned'] == '$CAM'" "the conference shows the pin"
document
grep -q 'video-pinned="true"' "$WORK/doc.xml" ||
	fail "the document does not mark the pinned endpoint"
api PATCH "$V" '{"pin":null}'
expect_status 200 "unpin"
check "b['pinned'] is None" "unpinned"

log "the holder of the audio floor pins"
api PATCH "$C/floors/1" '{"enabled":true}'
expect_status 200 "floor control on"
api POST "$C/floors/1/requests" "{\"participant\":\"$PATP\"}"
expect_status 201 "pat's floor request"
RID=$(json_field "$BODY" id)
API_TOKEN=$PAT api PATCH "$V" "{\"pin\":\"$VIC\"}"
refused 403 "floor" "pat pins while its request waits"
api POST "$C/floors/1/requests/$RID/grant" '{}'
expect_status 200 "pat granted the floor"
API_TOKEN=$PAT api PATCH "$V" "{\"pin\":\"$VIC\"}"
expect_status 200 "pat, holding the floor, pins vic"
check "b['pinned'] == '$VIC'" "vic pinned by pat"
API_TOKEN=$PAT api PATCH "$V" '{"pin":null,"kbps":800}'
refused 403 "moderators" "pat's pin with a setting"
API_TOKEN=$PAT api PATCH "$V" '{"pin":null}'
expect_status 200 "pat unpins"
api PATCH "$C/floors/1" '{"enabled":false}'
expect_status 200 "floor control off"

log "a hidden participant is not named to a participant"
api PATCH "$V" "{\"pin\":\"$VIC\"}"
expect_status 200 "vic pinned again"
api PATCH "$C/policy" '{"users":[{"aor":"sip:vic@example.com","hidden":true}]}'
expect_status 200 "vic hidden"
API_TOKEN=$PAT api GET "$V"
check "b['pinned'] is None and '$VIC' not in b['order'] and
	b['shown'] != '$VIC'" "vic hidden from pat's video"
API_TOKEN=$PAT api GET "$C"
check "b['video']['pinned'] is None and b['video']['shown'] != '$VIC' and
	all(p.get('video', {}).get('sees') != '$VIC'
	    for p in b['participants'])" "vic hidden from pat's conference"
api GET "$V"
check "b['pinned'] == '$VIC'" "the administrator sees vic pinned"
api PATCH "$C/policy" '{"users":[]}'
expect_status 200 "vic seen again"
api PATCH "$V" '{"pin":null}'
expect_status 200 "unpinned"

log "camera control"
CAMR=$C/participants/$CAM/camera
api POST "$CAMR" '{"action":"spin"}'
refused 400 "pan_left" "an unknown action, the actions listed"
api POST "$CAMR" '{"action":"preset","n":16}'
refused 400 "'n'" "a preset beyond 15"
api POST "$CAMR" '{}'
refused 400 "action" "no action"
api POST "$C/participants/nosuch/camera" '{"action":"stop"}'
expect_status 404 "the camera of an unknown participant"
api POST "$C/participants/$VIC/camera" '{"action":"pan_left"}'
refused 409 "camera control" "vic has no camera control stream"
api POST "$CAMR" '{"action":"zoom_in"}'
expect_status 204 "a moderator zooms cam's camera"
API_TOKEN=$PAT api POST "$CAMR" '{"action":"preset","n":3}'
expect_status 204 "pat, camera_control participants, recalls a preset"
api PATCH "$V" '{"camera_control":"moderators"}'
expect_status 200 "camera control for moderators"
API_TOKEN=$PAT api POST "$CAMR" '{"action":"pan_right"}'
refused 403 "moderators" "pat, camera_control moderators"
api PATCH "$V" '{"camera_control":"none"}'
expect_status 200 "camera control for nobody"
api POST "$CAMR" '{"action":"tilt_up"}'
refused 403 "none" "a moderator, camera_control none"

log "caucusctl: pins, the participants' video, the camera"
ctl video demo pin "$VIC"; want 0 "pinned $VIC"
ctl video demo unpin; want 0 "pinned -"
ctl part list demo; want 0 "VP8"
ctl camera demo "$VIC" pan_left; want 7 "none"
ctl camera demo "$CAM" spin; want 4 "pan_left"
ctl camera demo "$CAM" preset x; want 2 "whole number"
ctl camera demo 999 stop; want 3 "404"

log "the media list: video away (a requested change) and back"
for p in "$CAM" "$AUD" "$PATP"; do
	api DELETE "$C/participants/$p"
	expect_status 204 "$p leaves"
done
for who in cam aud pat; do eval "sipp_wait \$sipp_$who $who"; done
wait_connected 10 demo 1 "only vic stays"
for bad in '{"media":[{"type":"video","status":"sendrecv"},{"type":"video","status":"sendrecv"}]}' \
	'{"media":[{"type":"text","status":"sendrecv"}]}' \
	'{"media":[{"type":"video","status":"none"}]}'; do
	api PATCH "$C" "$bad"
	expect_status 400 "bad media list $bad"
done
api PATCH "$C/policy" '{"changes":{"media":{"moderated":["participant"]}}}'
expect_status 200 "participants may request media changes"
API_TOKEN=$PAT api PATCH "$C" '{"media":[{"type":"audio","status":"sendrecv"}]}'
expect_status 202 "pat asks for audio alone"
check "b['kind'] == 'media' and b['audio'] == 'sendrecv' and
	b['video'] == 'none'" "the requested change"
CH=$(json_field "$BODY" id)
api GET "$V"
check "b['status'] == 'sendrecv'" "video on until the change is approved"
api POST "$C/changes/$CH/approve"
expect_status 200 "the change approved"
api GET "$C"
check "b['media'] == [{'type': 'audio', 'status': 'sendrecv'}] and
	b['video']['status'] == 'none'" "audio alone"
wait_for 5 no_video "$VIC" || fail "vic kept its video: $BODY"
document
grep -q '<entry label="video">' "$WORK/doc.xml" &&
	fail "available-media lists video after it went"
api PATCH "$C" '{"media":[{"type":"audio","status":"sendrecv"},{"type":"video","status":"sendrecv"}]}'
expect_status 200 "video back"
check "b['video']['status'] == 'sendrecv'" "video sendrecv"
wait_for 5 has_video "$VIC" || fail "vic's video did not come back: $BODY"
document
grep -q '<entry label="video">' "$WORK/doc.xml" ||
	fail "available-media does not list video"

log "the settings survive a restart"
alive
stop_caucusd                  # BYE to vic
sipp_wait "$sipp_vic" vic
start_caucusd --sip-digest-algorithms MD5,SHA-256
api GET "$V"
check "(b['status'], b['mode'], b['layout'], b['width'], b['height'],
	b['fps'], b['kbps'], b['hold_ms'], b['talk_ms'],
	b['camera_control']) == ('sendrecv', 'composed', '3x3', 1280, 720,
	25, 1500, 3000, 800, 'none')" "the stored settings"
stop_caucusd
log PASS
