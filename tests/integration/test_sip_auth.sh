#!/bin/bash
# SIP digest authentication (RFC 3261, RFC 8760) against users in the
# store: a stored user is always challenged and joins with MD5 (sipp) or
# SHA-256 (sipauth.py); a wrong password is 403; replays, foreign uris,
# forged nonces and garbage credentials are refused (sipauth.py checks);
# the policy can demand authentication of everyone (allow_unauthenticated)
# or of some (an authenticate rule); a SUBSCRIBE authenticated as a
# moderator gets the moderator view (a pending join shows), others the
# participant view. Passwords never reach the log.
. "$(dirname "$0")/lib.sh"
# sipp reads only the first challenge and knows only MD5: offer it first
start_caucusd --sip-digest-algorithms MD5,SHA-256 --moderation-timeout-s 60
AUTH="$SRC/tests/integration/sipauth.py"

api POST /v1/users '{"name":"alice","password":"wonderland","aor":"sip:alice@example.com"}'
expect_status 201 "create alice"
[ "$(json_field "$BODY" token | wc -c)" -eq 65 ] || fail "no token: $BODY"
api POST /v1/users '{"name":"bob","password":"builder-bob","aor":"sip:bob@example.com"}'
expect_status 201 "create bob"
api POST /v1/users '{"name":"dave","password":"dave-pass"}'
expect_status 201 "create dave"
[ "$(json_field "$BODY" aor)" = "sip:dave@127.0.0.1:$SIP_PORT" ] ||
	fail "dave's default AoR: $BODY"
api POST /v1/users '{"name":"alice","password":"wonderland"}'
expect_status 409 "the same name twice"
api POST /v1/users '{"name":"x y","password":"wonderland"}'
expect_status 400 "a bad name"
api POST /v1/users '{"name":"carol","password":"short"}'
expect_status 400 "a short password"
api GET /v1/users
printf '%s' "$BODY" | grep -q '"name":"bob"' || fail "users list: $BODY"
printf '%s' "$BODY" | grep -qi 'password\|ha1\|token' && fail "secrets listed: $BODY"

log "a stored user is challenged even where everyone may join (sipp, MD5)"
sipp_run alice uac_auth.xml -s demo -key who alice -au alice -ap wonderland \
	-auth_uri "demo@127.0.0.1:$SIP_PORT"
grep -q '^SIP/2.0 200 OK' "$WORK/alice.msg" || fail "alice did not join"
grep -q '^SIP/2.0 401 Unauthorized' "$WORK/alice.msg" || fail "alice not challenged"
sipp_run alice2 uac_auth.xml -s demo -key who alice -au alice \
	-ap not-her-password -auth_uri "demo@127.0.0.1:$SIP_PORT"
grep -q '^SIP/2.0 403 Forbidden (wrong credentials)' "$WORK/alice2.msg" ||
	fail "a wrong password was not refused"

log "SHA-256, replays, uris, nonces, garbage (sipauth.py)"
python3 "$AUTH" checks "$SIP_PORT" demo alice wonderland ||
	fail "digest checks"
alive

log "the policy demands authentication"
api PATCH /v1/conferences/demo/policy '{"allow_unauthenticated":false}'
expect_status 200 "allow_unauthenticated false"
python3 "$AUTH" fetch "$SIP_PORT" demo eve 2>"$WORK/eve.err" &&
	fail "an unknown subscriber got in"
grep -q '401' "$WORK/eve.err" || fail "eve was not challenged"
sipp_run bob uac_auth.xml -s demo -key who bob -au bob -ap builder-bob \
	-auth_uri "demo@127.0.0.1:$SIP_PORT"
grep -q '^SIP/2.0 200 OK' "$WORK/bob.msg" || fail "bob did not join"
api PATCH /v1/conferences/demo/policy '{"allow_unauthenticated":true,"rules":[{"domain":"example.com","action":"authenticate"}]}'
expect_status 200 "an authenticate rule"
python3 "$AUTH" fetch "$SIP_PORT" demo eve 2>"$WORK/eve2.err" &&
	fail "the authenticate rule let eve in"

log "moderators see pending joins only when they prove who they are"
api PUT /v1/conferences/demo/policy '{"default_action":"moderate","users":[{"aor":"sip:alice@example.com","role":"moderator"}]}'
expect_status 200 "moderated policy"
sipp_bg pat uac_wait_bye.xml -s demo -key who pat
pat=$SIPP_PID
waiting() { api GET /v1/conferences/demo/pending; printf '%s' "$BODY" | grep -q 'sip:pat@'; }
wait_for 5 waiting || fail "pat is not waiting"
python3 "$AUTH" fetch "$SIP_PORT" demo alice wonderland >"$WORK/alice.xml" ||
	fail "alice's SUBSCRIBE"
XSD="$SRC/tests/schemas/conference-info.xsd"
xmllint --noout --schema "$XSD" "$WORK/alice.xml" || fail "alice's document"
grep -q 'sip:pat@example.com' "$WORK/alice.xml" || fail "the moderator does not see pat"
grep -q '<status>pending</status>' "$WORK/alice.xml" || fail "no pending status"
python3 "$AUTH" fetch "$SIP_PORT" demo zed >"$WORK/zed.xml" || fail "zed's SUBSCRIBE"
grep -q '<conference-info' "$WORK/zed.xml" || fail "zed got no document"
grep -q 'sip:pat@example.com' "$WORK/zed.xml" && fail "a participant sees a pending join"

api DELETE "/v1/users/bob"
expect_status 204 "delete bob"
api DELETE "/v1/users/bob"
expect_status 404 "delete bob again"
curl -s "$API/metrics" | grep -q 'caucus_sip_auth_total{outcome="ok"} [1-9]' ||
	fail "no authentications counted"
grep -q 'wonderland\|builder-bob' "$WORK/caucusd.log" && fail "a password in the log"
api DELETE /v1/conferences/demo
sipp_wait "$pat" pat
stop_caucusd
log PASS
