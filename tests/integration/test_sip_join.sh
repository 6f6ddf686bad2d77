#!/bin/bash
# Join and leave over UDP and TCP (the 200 OK says ;isfocus), the roster in
# the API while a call is up, a late offer, OPTIONS, and 404 for unknown
# conferences. Two endpoints of one user are two participants.
. "$(dirname "$0")/lib.sh"
start_caucusd

sipp_run options uac_options.xml -s demo
sipp_run notfound uac_404.xml -s no-such-room

sipp_bg join uac_join.xml -s demo -d 3000
join=$SIPP_PID
in_call() { get /v1/conferences/demo | grep -q '"status":"connected"'; }
wait_for 5 in_call || fail "participant never became connected"
api GET /v1/conferences/demo/participants
body=$BODY
expect_status 200 "participant list"
echo "$body"
[ "$(json_field "$body" codec)" = PCMU ] || fail "codec is not PCMU"
[ "$(json_field "$body" joining_method)" = dialed-in ] || fail "method"
[ "$(json_field "$body" display_name)" = Tester ] || fail "display name"
json_field "$body" uri | grep -q '^sip:tester1@127.0.0.1:' || fail "uri"
pid=$(json_field "$body" id)
api GET "/v1/conferences/demo/participants/$pid"
one=$BODY
expect_status 200 "one participant"
[ "$(json_field "$one" status)" = connected ] || fail "status"
sipp_wait "$join" join
left() { [ "$(json_field "$(get /v1/conferences/demo)" \
	participant_count)" = 0 ]; }
wait_for 3 left || fail "participant still listed after BYE"

sipp_run join-tcp uac_join.xml -s demo -d 500 -t t1

# the same user twice: two dialogs, two participants
sipp_bg a1 uac_wait_bye.xml -s demo -key who alice
a1=$SIPP_PID
sipp_bg a2 uac_wait_bye.xml -s demo -key who alice
a2=$SIPP_PID
wait_connected 5 demo 2 "two endpoints of alice are not two participants"
api GET /v1/conferences/demo
body=$BODY
[ "$(printf '%s' "$body" | grep -o '"uri":"sip:alice@example.com"' |
	wc -l)" = 2 ] || fail "alice's AoR not shown for both"
# kick both through the API: each gets a BYE
for p in $(printf '%s' "$body" | grep -o '"id":"[0-9]*"' | cut -d'"' -f4); do
	api DELETE "/v1/conferences/demo/participants/$p" 
	expect_status 204 "kick $p"
done
sipp_wait "$a1" a1
sipp_wait "$a2" a2

sipp_run late uac_late_offer.xml -s demo -d 500
stop_caucusd
log PASS
