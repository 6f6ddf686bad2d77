#!/bin/bash
# API authentication with the admin token: 401 with WWW-Authenticate and a
# JSON reason without a token or with a wrong one, in by the bearer token;
# the websocket takes ?token=; /v1/openapi.json and the console files are
# public; caucusctl uses CAUCUS_TOKEN (exit 7 without); the token is never
# logged; caucusd refuses to open the API beyond loopback without a token
# and refuses a short one.
. "$(dirname "$0")/lib.sh"
TOKEN=s3cret-token-for-the-test-0042
start_caucusd --admin-token "$TOKEN"
code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

[ "$(code "$API/v1/conferences")" = 401 ] || fail "no token let in"
grep -q '"error":"unauthorized"' "$WORK/body" || fail "401 body"
curl -s -D - -o /dev/null "$API/v1/conferences" |
	grep -qi '^WWW-Authenticate: Bearer realm="caucus"' ||
	fail "no WWW-Authenticate"
[ "$(code -H 'Authorization: Bearer wrong' "$API/v1/conferences")" = 401 ] ||
	fail "a wrong token let in"
grep -q 'invalid token' "$WORK/body" || fail "wrong-token body"
[ "$(code -H "Authorization: Bearer ${TOKEN}x" "$API/v1/conferences")" = 401 ] ||
	fail "a longer token let in"
[ "$(code -H "Authorization: Bearer $TOKEN" "$API/v1/conferences")" = 200 ] ||
	fail "the token was refused"
[ "$(code -X POST -H "Authorization: Bearer wrong" \
	-d '{"id":"x"}' "$API/v1/conferences")" = 401 ] || fail "POST let in"
[ "$(code -H "Authorization: Bearer wrong" "$API/metrics")" = 401 ] ||
	fail "/metrics let in"
[ "$(code "$API/v1/openapi.json")" = 200 ] || fail "openapi not public"
[ "$(code "$API/")" = 200 ] || fail "console not served"

ws() { # query: the status line of a websocket handshake
	curl -s -i -N --max-time 1 -H 'Connection: Upgrade' \
		-H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
		"$API/v1/events$1" | head -n1 | tr -d '\r'
}
ws "" | grep -q ' 401' || fail "websocket without token: $(ws "")"
ws "?token=$TOKEN" | grep -q ' 101' || fail "websocket with ?token="
ws "?token=nope" | grep -q ' 401' || fail "websocket with a wrong token"

RC=0
CAUCUS_URL="$API" "$SRC/tools/caucusctl" conf list >/dev/null 2>&1 || RC=$?
[ "$RC" = 7 ] || fail "caucusctl without a token: exit $RC"
CAUCUS_URL="$API" CAUCUS_TOKEN="$TOKEN" "$SRC/tools/caucusctl" conf list |
	grep -q demo || fail "caucusctl with the token"
grep -qF "$TOKEN" "$WORK/caucusd.log" && fail "the token is in the log"
stop_caucusd

# the configuration guards
RC=0
"$BIN/caucusd" --http-addr 0.0.0.0 --http-port "$(free_port)" \
	--sip-port "$(free_port)" --db "$WORK/x.db" >"$WORK/open.out" 2>&1 ||
	RC=$?
[ "$RC" != 0 ] && grep -q "admin_token: required" "$WORK/open.out" ||
	fail "an open API without a token started: $(cat "$WORK/open.out")"
RC=0
"$BIN/caucusd" --admin-token short --http-port "$(free_port)" \
	--sip-port "$(free_port)" --db "$WORK/y.db" >"$WORK/short.out" 2>&1 ||
	RC=$?
[ "$RC" != 0 ] && grep -q "at least 16" "$WORK/short.out" ||
	fail "a short token was taken"
log PASS
