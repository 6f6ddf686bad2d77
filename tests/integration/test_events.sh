#!/bin/bash
# GET /v1/events (websocket, tools/wsclient): the full state of each
# conference at connect, a full document for a conference created later,
# partial changes with the conference's version, a message when one is
# destroyed; ?conference= filters; plain GET 400, unknown filter 404.
. "$(dirname "$0")/lib.sh"
start_caucusd
WS="ws://127.0.0.1:$HTTP_PORT/v1/events"
"$BIN/wsclient" "$WS" 4 > "$WORK/all.out" 2>"$WORK/all.err" &
all=$!
"$BIN/wsclient" "$WS?conference=demo" 4 > "$WORK/demo.out" 2>"$WORK/demo.err" &
one=$!
CHILDREN="$CHILDREN $all $one"
conn() { grep -q connected "$WORK/all.err" && grep -q connected "$WORK/demo.err"; }
wait_for 5 conn || fail "websocket clients did not connect"
api POST /v1/conferences '{"id":"later"}'
expect_status 201 "create later"
api POST /v1/conferences/demo/participants \
	"{\"uri\":\"sip:nobody@127.0.0.1:$(free_port);transport=tcp\"}"
expect_status 201 "dial-out"
sleep 0.5
api DELETE /v1/conferences/later
expect_status 204 "destroy later"
wait "$all" || fail "wsclient (all) failed: $(cat "$WORK/all.err")"
wait "$one" || fail "wsclient (demo) failed"
cat "$WORK/all.out" | cut -c1-160

line() { sed -n "${2}p" "$WORK/$1.out"; }
line all 1 | grep -q '"type":"conference-info","conference":"demo","version":[0-9]*,"state":"full"' ||
	fail "first message is not demo's full state"
grep -q '"conference":"later","version":[0-9]*,"state":"full"' "$WORK/all.out" ||
	fail "no full state for the conference created later"
grep -q '"conference":"demo","version":[0-9]*,"state":"partial".*"@state":"partial"' \
	"$WORK/all.out" || fail "no partial change for demo"
grep -q 'sip:nobody@127.0.0.1' "$WORK/all.out" || fail "dial-out not seen"
grep -q '{"type":"conference-destroyed","conference":"later"}' \
	"$WORK/all.out" || fail "no destroyed message"
if grep -q '"later"' "$WORK/demo.out"; then
	fail "the demo-only stream got another conference"
fi
grep -q '"state":"partial"' "$WORK/demo.out" || fail "demo stream: no change"
# versions of demo only go up
grep -o '"conference":"demo","version":[0-9]*' "$WORK/all.out" |
	cut -d: -f3 | awk 'NR > 1 && $1 <= prev { exit 1 } { prev = $1 }' ||
	fail "demo's versions went back"

api GET /v1/events
expect_status 400 "plain GET"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H 'Connection: Upgrade' \
	-H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
	-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
	"$API/v1/events?conference=nope")
expect_status 404 "unknown conference filter"
alive
stop_caucusd
log PASS
