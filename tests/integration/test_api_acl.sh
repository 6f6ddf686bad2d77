#!/bin/bash
# The API's users and the policy's access lists (spec s. 5.3, 5.5, 5.7):
# per-user tokens; a user who creates a conference administers it; route
# permissions by role (401 without a token, 403 with a JSON reason for the
# wrong role); policy changes checked part by part: direct, requested
# (202, then approved, rejected, or expired, the outcome on GET and on the
# event stream) or refused; a moderated media change; self service: a
# user sets itself anonymous before joining and others see it anonymous
# in the API and in NOTIFY while moderators see who it is; participants
# mute themselves but not others.
. "$(dirname "$0")/lib.sh"
ADMIN=admin-token-for-the-acl-test-01
start_caucusd --admin-token "$ADMIN" --sip-digest-algorithms MD5,SHA-256
AUTH="$SRC/tests/integration/sipauth.py"
# as TOKEN METHOD PATH [JSON]: api with that user's token
as() { API_TOKEN=$1 api "${@:2}"; }
mkuser() { # NAME: prints the token
	as "$ADMIN" POST /v1/users "{\"name\":\"$1\",\"password\":\"$1-password\",\"aor\":\"sip:$1@example.com\"}"
	[ "$STATUS" = 201 ] || fail "create $1: $STATUS $BODY"
	json_field "$BODY" token
}
ALICE=$(mkuser alice)
BOB=$(mkuser bob)
CARL=$(mkuser carl)

as "$BOB" GET /v1/me
[ "$(json_field "$BODY" aor)" = "sip:bob@example.com" ] || fail "me: $BODY"
as "nonsense-token" GET /v1/me
expect_status 401 "a bad token"
as "$BOB" GET /v1/users
expect_status 403 "users list for a user"
grep -q 'administrators of the server' <<<"$BODY" || fail "403 reason: $BODY"
as "$BOB" GET /metrics
expect_status 403 "metrics for a user"

log "the creator administers its conference"
as "$ALICE" POST /v1/conferences '{"id":"room"}'
expect_status 201 "alice creates room"
as "$ALICE" GET /v1/conferences/room/policy
grep -q '"aor":"sip:alice@example.com","role":"administrator"' <<<"$BODY" ||
	fail "alice is not administrator: $BODY"
as "$ALICE" PATCH /v1/conferences/room/policy '{"users":[{"aor":"sip:alice@example.com","role":"administrator"},{"aor":"sip:carl@example.com","role":"moderator"}]}'
expect_status 200 "alice names carl moderator"

log "route permissions by role"
as "$BOB" GET /v1/conferences/room
expect_status 200 "a participant reads"
as "$BOB" DELETE /v1/conferences/room
expect_status 403 "a participant destroys"
as "$CARL" DELETE /v1/conferences/room
expect_status 403 "a moderator destroys"
as "$BOB" POST /v1/conferences/room/participants '{"uri":"sip:x@127.0.0.1:9"}'
expect_status 403 "a participant dials out"
as "$BOB" GET /v1/conferences/room/pending
expect_status 403 "a participant reads pending joins"
as "$CARL" GET /v1/conferences/room/pending
expect_status 200 "a moderator reads pending joins"

log "policy changes part by part"
as "$BOB" PATCH /v1/conferences/room/policy '{"locked":true}'
expect_status 403 "a participant locks"
grep -q 'membership' <<<"$BODY" || fail "the refused part is not named: $BODY"
as "$CARL" PATCH /v1/conferences/room/policy '{"end":4102444800}'
expect_status 403 "a moderator changes the lifespan"
grep -q 'lifespan' <<<"$BODY" || fail "lifespan not named: $BODY"
as "$CARL" PATCH /v1/conferences/room/policy '{"changes":{"ttl_s":5}}'
expect_status 403 "a moderator changes the access lists"
as "$ALICE" PATCH /v1/conferences/room/policy '{"changes":{"ttl_s":2,"membership":{"moderated":["participant"]},"media":{"moderated":["participant"]}}}'
expect_status 200 "alice lets participants request membership and media changes"

as "$ADMIN" POST /v1/conferences '{"id":"private"}'
as "$ADMIN" PATCH /v1/conferences/private/policy '{"rules":[{"pattern":"sip:bob@*","action":"deny"}]}'
expect_status 200 "a conference bob may not see"
as "$BOB" GET /v1/conferences/private
expect_status 403 "bob reads a conference that denies him"
"$BIN/wsclient" "ws://127.0.0.1:$HTTP_PORT/v1/events?conference=room&token=$BOB" 12 \
	>"$WORK/bob.events" 2>"$WORK/bob.ws" &
WS=$!
"$BIN/wsclient" "ws://127.0.0.1:$HTTP_PORT/v1/events?token=$BOB" 3 \
	>"$WORK/bob-all.events" 2>"$WORK/bob-all.ws" &
WSALL=$!
CHILDREN="$CHILDREN $WS $WSALL"
wait_for 5 grep -q connected "$WORK/bob.ws" || fail "bob's event stream"
wait "$WSALL" 2>/dev/null || true
grep -q '"conference":"room"' "$WORK/bob-all.events" || fail "bob's stream lacks room"
grep -q '"conference":"private"' "$WORK/bob-all.events" && fail "bob's stream shows private"
"$BIN/wsclient" "ws://127.0.0.1:$HTTP_PORT/v1/events?conference=private&token=$BOB" 1 \
	>/dev/null 2>"$WORK/bob-priv.ws" && fail "bob followed private"
as "$BOB" GET /v1/conferences/room/policy
ETAG_BEFORE=$BODY
as "$BOB" PATCH /v1/conferences/room/policy '{"locked":true}'
expect_status 202 "a participant requests a lock"
CH1=$(json_field "$BODY" id)
[ "$(json_field "$BODY" state)" = pending ] || fail "not pending: $BODY"
as "$BOB" GET /v1/conferences/room/policy
[ "$BODY" = "$ETAG_BEFORE" ] || fail "a requested change was applied at once"
as "$BOB" POST "/v1/conferences/room/changes/$CH1/approve"
expect_status 403 "the requester approves itself"
as "$CARL" POST "/v1/conferences/room/changes/$CH1/approve"
expect_status 200 "the moderator approves"
[ "$(json_field "$BODY" state)" = approved ] || fail "approve: $BODY"
as "$BOB" GET /v1/conferences/room/policy
[ "$(json_field "$BODY" locked)" = true ] || fail "approved but not applied: $BODY"
as "$CARL" POST "/v1/conferences/room/changes/$CH1/reject"
expect_status 409 "decided twice"
as "$BOB" PATCH /v1/conferences/room/policy '{"max_participants":3}'
CH2=$(json_field "$BODY" id)
as "$CARL" POST "/v1/conferences/room/changes/$CH2/reject"
[ "$(json_field "$BODY" state)" = rejected ] || fail "reject: $BODY"
# a whole document requested, then the policy changes elsewhere: applying
# it now would undo that change, so the approval is refused (409)
as "$BOB" GET /v1/conferences/room/policy
doc=$(printf '%s' "$BODY" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["max_participants"]=7; print(json.dumps(d))')
as "$BOB" PUT /v1/conferences/room/policy "$doc"
expect_status 202 "a participant requests a whole document"
CH4=$(json_field "$BODY" id)
as "$ALICE" PATCH /v1/conferences/room/policy '{"end":4102444800}'
expect_status 200 "the administrator changes the lifespan meanwhile"
as "$CARL" POST "/v1/conferences/room/changes/$CH4/approve"
expect_status 409 "approving a stale whole document"
grep -q 'changed since the request' <<<"$BODY" || fail "409 reason: $BODY"
as "$ALICE" PATCH /v1/conferences/room/policy '{"end":0}'
as "$BOB" PATCH /v1/conferences/room '{"media":[{"type":"audio","status":"recvonly"}]}'
expect_status 202 "a participant requests a media change"
CH3=$(json_field "$BODY" id)
t0=$(date +%s%N)
[ "$(json_field "$BODY" state)" = pending ] || fail "not pending: $BODY"
# unanswered, it expires after changes.ttl_s (2 s), not before
ch3_expired() {
	as "$BOB" GET "/v1/conferences/room/changes/$CH3"
	[ "$(json_field "$BODY" state)" = expired ]
}
wait_for 10 ch3_expired || fail "not expired 10 s after the request: $BODY"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "the media change expired after $ms ms (changes.ttl_s 2)"
[ "$ms" -ge 1800 ] || fail "expired too early ($ms ms)"
as "$BOB" GET /v1/conferences/room
grep -q '"status":"sendrecv"' <<<"$BODY" || fail "an expired change applied"
as "$BOB" GET "/v1/conferences/room/changes/99"
expect_status 404 "an unknown change"
wait_for 5 grep -q '"state":"expired"' "$WORK/bob.events" ||
	fail "the expiry did not reach bob's stream"
kill "$WS" 2>/dev/null || true
for s in pending approved rejected expired; do
	grep -q "\"type\":\"policy-change\".*\"state\":\"$s\"" "$WORK/bob.events" ||
		fail "bob's stream lacks a $s change"
done
as "$ALICE" PATCH /v1/conferences/room/policy '{"locked":false}'
expect_status 200 "unlock"

log "an anonymous conditional join"
as "$BOB" PUT /v1/conferences/room/self '{"hidden":true}'
expect_status 403 "hiding is not allowed here"
as "$BOB" PUT /v1/conferences/room/self '{"role":"moderator"}'
expect_status 403 "taking a higher role"
as "$ADMIN" PUT /v1/conferences/room/self '{"anonymous":true}'
expect_status 400 "the admin token names no user"
as "$BOB" PUT /v1/conferences/room/self '{"anonymous":true}'
expect_status 200 "bob goes anonymous"
sipp_bg bob uac_auth_wait.xml -s room -key who bob -au bob -ap bob-password \
	-auth_uri "room@127.0.0.1:$SIP_PORT"
BOBSIPP=$SIPP_PID
bob_in() { as "$ALICE" GET /v1/conferences/room; grep -q '"uri":"sip:bob@example.com"' <<<"$BODY"; }
wait_for 5 bob_in || fail "bob did not join"
BOBPID=$(pid_of bob)
sipp_bg dan uac_wait_bye.xml -s room -key who dan
DAN=$SIPP_PID
dan_in() { as "$ALICE" GET /v1/conferences/room; grep -q 'sip:dan@' <<<"$BODY"; }
wait_for 5 dan_in || fail "dan did not join"
DANPID=$(pid_of dan)
as "$CARL" GET /v1/conferences/room
grep -q 'sip:bob@example.com' <<<"$BODY" || fail "the moderator does not see bob"
as "$BOB" GET "/v1/conferences/room/participants/$BOBPID"
grep -q 'sip:bob@example.com' <<<"$BODY" || fail "bob does not see himself"
python3 "$AUTH" fetch "$SIP_PORT" room zed >"$WORK/zed.xml" || fail "zed's SUBSCRIBE"
grep -q 'sip:bob@example.com' "$WORK/zed.xml" && fail "NOTIFY shows anonymous bob"
grep -q 'anonymous' "$WORK/zed.xml" || fail "no anonymous entry in NOTIFY"
python3 "$AUTH" fetch "$SIP_PORT" room carl carl-password >"$WORK/carl.xml" ||
	fail "carl's SUBSCRIBE"
grep -q 'sip:bob@example.com' "$WORK/carl.xml" || fail "the moderator's NOTIFY hides bob"
# the policy can keep anonymity even from moderators
as "$CARL" PATCH /v1/conferences/room/policy '{"reveal_anonymous":false}'
expect_status 200 "keep anonymity from moderators"
as "$CARL" GET /v1/conferences/room
grep -q 'sip:bob@example.com' <<<"$BODY" && fail "the moderator still sees bob"
grep -q '"uri":"sip:anonymous@anonymous.invalid"' <<<"$BODY" || fail "no anonymous entry for carl"
python3 "$AUTH" fetch "$SIP_PORT" room carl carl-password >"$WORK/carl2.xml" ||
	fail "carl's second SUBSCRIBE"
grep -q 'sip:bob@example.com' "$WORK/carl2.xml" && fail "the moderator's NOTIFY reveals bob"
as "$ADMIN" GET /v1/conferences/room
grep -q 'sip:bob@example.com' <<<"$BODY" || fail "the server administrator does not see bob"

log "participants mute themselves, not others"
as "$BOB" PATCH "/v1/conferences/room/participants/$BOBPID" '{"muted":true}'
expect_status 200 "bob mutes himself"
as "$BOB" PATCH "/v1/conferences/room/participants/$DANPID" '{"muted":true}'
expect_status 403 "bob mutes dan"
as "$CARL" PATCH "/v1/conferences/room/participants/$DANPID" '{"muted":true}'
expect_status 200 "the moderator mutes dan"
as "$CARL" DELETE "/v1/conferences/room/participants/$DANPID"
expect_status 204 "the moderator ejects dan"
sipp_wait "$DAN" dan
as "$ALICE" DELETE /v1/conferences/room
expect_status 204 "the administrator destroys"
sipp_wait "$BOBSIPP" bob
stop_caucusd
log PASS
