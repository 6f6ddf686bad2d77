#!/bin/bash
# Moderated joins: with default_action "moderate" a caller is answered but
# waits (neither heard nor hearing), listed at .../pending and shown as
# pending to moderators only (the participant view leaves it out); approved
# it joins; rejected it gets a BYE; unanswered it is rejected when
# moderation_timeout_s passes; a moderator by entry does not wait.
. "$(dirname "$0")/lib.sh"
start_caucusd --moderation-timeout-s 3
export CAUCUS_URL="$API"
XSD="$SRC/tests/schemas/conference-info.xsd"
api PUT /v1/conferences/demo/policy '{"default_action":"moderate","users":[{"aor":"sip:mod@example.com","role":"moderator"}]}'
expect_status 200 "moderated policy"
waiting() { # USER: is it listed as pending?
	api GET /v1/conferences/demo/pending
	printf '%s' "$BODY" | grep -q "\"uri\":\"sip:$1@example.com\""
}
pid_by() { api GET /v1/conferences/demo; pid_of "$1"; }

sipp_bg pat uac_wait_bye.xml -s demo -key who pat
pat=$SIPP_PID
wait_for 10 waiting pat || fail "pat is not waiting"
pid=$(pid_by pat)
api GET "/v1/conferences/demo/participants/$pid"
[ "$(json_field "$BODY" pending)" = true ] || fail "not pending: $BODY"
[ "$(json_field "$BODY" muted)" = true ] && [ "$(json_field "$BODY" deaf)" = true ] ||
	fail "a waiting caller is mixed: $BODY"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info" >"$WORK/mod.xml"
xmllint --noout --schema "$XSD" "$WORK/mod.xml" || fail "moderator view"
grep -q '<status>pending</status>' "$WORK/mod.xml" || fail "moderators do not see pending"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info?view=participant" >"$WORK/part.xml"
grep -q 'sip:pat@example.com' "$WORK/part.xml" && fail "participants see a pending join"

"$SRC/tools/caucusctl" pending list demo | grep -q "sip:pat@example.com" ||
	fail "caucusctl pending list"
"$SRC/tools/caucusctl" pending approve demo "$pid" | grep -q approved ||
	fail "caucusctl pending approve"
waiting pat && fail "pat still waits"
api GET "/v1/conferences/demo/participants/$pid"
[ "$(json_field "$BODY" muted)" = false ] || fail "approved but muted: $BODY"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info?view=participant" >"$WORK/part2.xml"
grep -q 'sip:pat@example.com' "$WORK/part2.xml" || fail "approved but not shown"
api POST "/v1/conferences/demo/pending/$pid/approve"
expect_status 409 "approve twice"
api POST "/v1/conferences/demo/pending/999/reject"
expect_status 404 "unknown participant"

# rejected: BYE
sipp_bg rex uac_wait_bye.xml -s demo -key who rex
rex=$SIPP_PID
wait_for 5 waiting rex || fail "rex is not waiting"
"$SRC/tools/caucusctl" pending reject demo "$(pid_by rex)" | grep -q rejected ||
	fail "caucusctl pending reject"
sipp_wait "$rex" rex

# nobody answers: rejected after moderation_timeout_s
t0=$(date +%s%N)
sipp_bg tim uac_wait_bye.xml -s demo -key who tim
tim=$SIPP_PID
wait_for 5 waiting tim || fail "tim is not waiting"
sipp_wait "$tim" tim
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "an unanswered join ended after $ms ms (timeout 3 s)"
[ "$ms" -ge 2500 ] && [ "$ms" -le 6000 ] || fail "expiry at $ms ms"
grep -q 'pending join expired' "$WORK/caucusd.log" || fail "no expiry logged"

# a moderator does not wait
sipp_bg mod uac_wait_bye.xml -s demo -key who mod
mod=$SIPP_PID
wait_connected 5 demo 2 "the moderator did not join"
waiting mod && fail "the moderator waits"
api DELETE /v1/conferences/demo
expect_status 204 "destroy"
sipp_wait "$pat" pat
sipp_wait "$mod" mod
stop_caucusd
log PASS
