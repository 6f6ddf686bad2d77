#!/bin/bash
# The conference policy over HTTP and at the door: GET with an ETag, PUT
# and PATCH with If-Match (412 when stale), malformed documents refused
# naming the field with nothing applied; a deny rule (403 with the reason),
# the participant limit (486), the lock; per-user entries (a moderator
# passes the lock, a hidden user is left out of what others see);
# maximum-user-count and locked in the RFC 4575 document; the policy
# survives a restart; destroy when the last one leaves and at the end time.
. "$(dirname "$0")/lib.sh"
start_caucusd
XSD="$SRC/tests/schemas/conference-info.xsd"
P=/v1/conferences/demo/policy
etag() { curl -s -D - -o /dev/null "$API$P" | tr -d '\r' |
	sed -n 's/^ETag: //Ip'; }
put() { # METHOD JSON [IF-MATCH]: STATUS and BODY
	local im=()
	[ -n "${3:-}" ] && im=(-H "If-Match: $3")
	BODY=$(curl -s -w '\n%{http_code}' -X "$1" "${im[@]}" \
		-H 'Content-Type: application/json' -d "$2" "$API$P")
	STATUS=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}

api GET "$P"
expect_status 200 "GET policy"
printf '%s' "$BODY" | grep -q '"default_action":"allow"' || fail "default: $BODY"
e0=$(etag)
[ -n "$e0" ] || fail "no ETag"

# malformed: 400 naming the field, nothing applied
for bad in '{"max_participants":"two"}' '{"rules":[{"aor":"sip:a@b"}]}' \
	'{"users":[{"aor":"sip:x@y","role":"king"}]}' '{"nope":1}' '[1]' \
	'{"locked":true,' '{"start":10,"end":5}'; do
	put PUT "$bad"
	[ "$STATUS" = 400 ] || fail "accepted $bad ($STATUS)"
	printf '%s' "$BODY" | grep -q '"detail"' || fail "no detail: $BODY"
done
[ "$(etag)" = "$e0" ] || fail "a refused document changed the policy"

# a stale ETag: 412
put PUT '{"max_participants":2,"rules":[{"domain":"evil.example","action":"deny"}],"users":[{"aor":"sip:boss@example.com","role":"moderator"},{"aor":"sip:ghost@example.com","hidden":true}]}' "$e0"
expect_status 200 "PUT with the right ETag"
e1=$(etag)
[ "$e1" != "$e0" ] || fail "ETag did not change"
put PATCH '{"locked":true}' "$e0"
expect_status 412 "stale If-Match"
printf '%s' "$BODY" | grep -q 'changed' || fail "412 body: $BODY"

# at the door: deny rule, then the limit
sipp_run evil uac_join_refused_403.xml -s demo -key who mal -key host evil.example
grep -q "^SIP/2.0 403 .*not admitted" "$WORK/evil.msg" || fail "evil: no 'not admitted' reason"
sipp_bg ann uac_wait_bye.xml -s demo -key who ann
ann=$SIPP_PID
sipp_bg ghost uac_wait_bye.xml -s demo -key who ghost
ghost=$SIPP_PID
wait_connected 5 demo 2 "ann and the ghost did not join"
sipp_run third uac_join_refused_486.xml -s demo -key who cy -key host example.com
grep -q "^SIP/2.0 486 .*full" "$WORK/third.msg" || fail "third: no 'full' reason"
# the ghost is hidden from participants, seen by moderators (the API)
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info?view=participant" >"$WORK/pv.xml"
xmllint --noout --schema "$XSD" "$WORK/pv.xml" || fail "participant view"
grep -q 'ghost' "$WORK/pv.xml" && fail "the hidden user is visible"
grep -q '<maximum-user-count>2</maximum-user-count>' "$WORK/pv.xml" ||
	fail "no maximum-user-count"

# locked: nobody new, but the moderator passes (and the limit, too)
put PATCH '{"locked":true}' "$e1"
expect_status 200 "lock"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info" >"$WORK/mv.xml"
grep -q '<locked>true</locked>' "$WORK/mv.xml" || fail "not locked in the doc"
sipp_run locked uac_join_refused_403.xml -s demo -key who dee -key host example.com
grep -q "^SIP/2.0 403 .*locked" "$WORK/locked.msg" || fail "locked: no 'locked' reason"
sipp_bg boss uac_wait_bye.xml -s demo -key who boss
boss=$SIPP_PID
wait_connected 5 demo 3 "the moderator did not pass the lock and the limit"
api GET /v1/conferences/demo
api GET "/v1/conferences/demo/participants/$(pid_of boss)"
[ "$(json_field "$BODY" role)" = moderator ] || fail "boss: $BODY"
api DELETE "/v1/conferences/demo/participants/$(json_field "$BODY" id)"
sipp_wait "$boss" boss

# restart: the policy is kept
api GET /v1/conferences/demo
aid=$(pid_of ann)
gid=$(pid_of ghost)
api DELETE "/v1/conferences/demo/participants/$aid"
sipp_wait "$ann" ann
api DELETE "/v1/conferences/demo/participants/$gid"
sipp_wait "$ghost" ghost
e2=$(etag)
stop_caucusd
CAUCUS_PROMPTS=1 start_caucusd   # (as it was: quiet_room would change it)
[ "$(etag)" = "$e2" ] || fail "the policy did not survive a restart"

# destroy when the last one leaves
api POST /v1/conferences '{"id":"brief"}'
P=/v1/conferences/brief/policy
put PATCH '{"destroy_on_last_leave":true}'
expect_status 200 "destroy on last leave"
sipp_run brief uac_join.xml -s brief -d 300
wait_for 5 conference_gone brief || fail "brief outlived its last participant"

# and at its end time
api POST /v1/conferences '{"id":"timed"}'
P=/v1/conferences/timed/policy
put PATCH "{\"end\":$(( $(date +%s) + 2 ))}"
expect_status 200 "end time"
wait_for 5 conference_gone timed || fail "timed outlived its end"
stop_caucusd
log PASS
