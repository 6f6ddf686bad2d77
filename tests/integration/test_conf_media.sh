#!/bin/bash
# Media changes for the whole conference (PATCH /v1/conferences/{id} with
# its media list): the focus re-INVITEs every participant; one that
# accepts follows (a lecture: the focus only sends), one that rejects the
# stream (port 0) stays in without media; the RFC 4575 document shows the
# conference's media; bad lists get 400; audio removed for all; the
# change survives a restart. (A list names the conference's media as a
# whole: video, not listed here, is turned off with the first change, in
# the same re-INVITE.)
. "$(dirname "$0")/lib.sh"
start_caucusd
XSD="$SRC/tests/schemas/conference-info.xsd"

sipp_bg ann uac_media_follow.xml -s demo -key who ann
ann=$SIPP_PID
sipp_bg rob uac_media_reject.xml -s demo -key who rob
rob=$SIPP_PID
wait_connected 5 demo 2 "ann and rob did not join"
api GET /v1/conferences/demo
ann_id=$(pid_of ann)
rob_id=$(pid_of rob)

api PATCH /v1/conferences/demo '{"media":[{"type":"audio","status":"recvonly"}]}'
expect_status 200 "lecture mode"
printf '%s' "$BODY" | grep -q '"media":\[{"type":"audio","status":"recvonly"}\]' ||
	fail "media list: $BODY"
dir_of() {
	json_field "$(get "/v1/conferences/demo/participants/$1")" direction
}
lecture() { [ "$(dir_of "$ann_id")" = sendonly ]; }
wait_for 5 lecture || fail "ann's media did not follow: $(dir_of "$ann_id")"
rob_bare() {
	local b
	b=$(get "/v1/conferences/demo/participants/$rob_id")
	[ "$(json_field "$b" status)" = connected ] &&
		! printf '%s' "$b" | grep -q '"media"'
}
wait_for 5 rob_bare || fail "rob, who rejected the stream, is not in"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info" >"$WORK/info.xml"
xmllint --noout --schema "$XSD" "$WORK/info.xml" || fail "info invalid"
grep -q '<available-media><entry label="audio"><type>audio</type><status>recvonly</status>' \
	"$WORK/info.xml" || fail "available-media does not say recvonly"

for bad in '{"media":[{"type":"text","status":"sendrecv"}]}' \
	'{"media":[{"type":"video","status":"sendrecv"},{"type":"video","status":"none"}]}' \
	'{"media":[{"type":"audio","status":"loud"}]}' \
	'{"media":[{"type":"audio","status":"sendrecv"},{"type":"audio","status":"sendrecv"}]}' \
	'{"media":[{"type":"audio","status":"sendrecv","extra":1}]}' \
	'{"media":["audio"]}' '{"media":"audio"}' '{}' \
	'{"media":[],"display_text":"x"}'; do
	api PATCH /v1/conferences/demo "$bad"
	expect_status 400 "bad media list $bad"
done
api PATCH /v1/conferences/nosuch '{"media":[]}'
expect_status 404 "unknown conference"
# how many talkers are mixed at once, per conference
for bad in '{"max_speakers":17}' '{"max_speakers":-1}' '{"max_speakers":1.5}' \
	'{"max_speakers":"two"}'; do
	api PATCH /v1/conferences/demo "$bad"
	expect_status 400 "bad max_speakers $bad"
done
api PATCH /v1/conferences/demo '{"max_speakers":2}'
expect_status 200 "max_speakers 2"
[ "$(json_field "$BODY" max_speakers)" = 2 ] || fail "max_speakers: $BODY"
# the mix rate: 8000, 16000, 48000 or 0 (the server's), nothing else
for bad in '{"mix_rate":44100}' '{"mix_rate":"16000"}' \
	'{"mix_rate":-8000}' '{"mix_rate":16000.5}' '{"mix_rate":1e9}' \
	'{"mix_rate":null}' '{"mix_rate":[8000]}'; do
	api PATCH /v1/conferences/demo "$bad"
	expect_status 400 "PATCH $bad"
	printf '%s' "$BODY" | grep -q 'mix_rate' ||
		fail "the refusal of $bad does not name mix_rate: $BODY"
done
api PATCH /v1/conferences/demo '{"mix_rate":48000}'
expect_status 200 "mix_rate 48000"
[ "$(json_field "$BODY" mix_rate)" = 48000 ] || fail "mix_rate: $BODY"
grep -q 'mixing changed.*mix_rate=48000' "$WORK/caucusd.log" ||
	fail "no log line for the mix rate change"

# no audio at all: ann is offered port 0 too
api PATCH /v1/conferences/demo '{"media":[]}'
expect_status 200 "no audio"
ann_bare() {
	! printf '%s' "$(get "/v1/conferences/demo/participants/$ann_id")" |
		grep -q '"media"'
}
wait_for 5 ann_bare || fail "ann still has media"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info" >"$WORK/info2.xml"
xmllint --noout --schema "$XSD" "$WORK/info2.xml" || fail "info2 invalid"
grep -q '<available-media>' "$WORK/info2.xml" &&
	fail "available-media listed without audio"
alive
stop_caucusd                  # BYE to both
sipp_wait "$ann" ann
sipp_wait "$rob" rob

start_caucusd
api GET /v1/conferences/demo
[ "$(json_field "$BODY" max_speakers)" = 2 ] || fail "max_speakers not stored"
[ "$(json_field "$BODY" mix_rate)" = 48000 ] || fail "mix_rate not stored"
printf '%s' "$BODY" | grep -q '"media":\[\]' ||
	fail "the media change did not survive a restart: $BODY"
stop_caucusd
log PASS
