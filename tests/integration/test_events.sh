#!/bin/bash
# GET /v1/events (websocket, tools/wsclient): the full state of each
# conference at connect, a full document for a conference created later,
# partial changes with the conference's version, a message when one is
# destroyed; ?conference= filters; plain GET 400, unknown filter 404.
. "$(dirname "$0")/lib.sh"
start_caucusd
WS="ws://127.0.0.1:$HTTP_PORT/v1/events"
# the clients listen until they are stopped below (60 s at most): the
# test waits for the messages themselves
"$BIN/wsclient" "$WS" 60 > "$WORK/all.out" 2>"$WORK/all.err" &
all=$!
"$BIN/wsclient" "$WS?conference=demo" 60 > "$WORK/demo.out" 2>"$WORK/demo.err" &
one=$!
CHILDREN="$CHILDREN $all $one"
conn() { grep -q connected "$WORK/all.err" && grep -q connected "$WORK/demo.err"; }
wait_for 5 conn || fail "websocket clients did not connect"
seen() { grep -q "$2" "$WORK/$1.out"; }           # STREAM TEXT
api POST /v1/conferences '{"id":"later"}'
expect_status 201 "create later"
wait_for 5 seen all '"conference":"later","version":[0-9]*,"state":"full"' ||
	fail "no full state for the conference created later"
api POST /v1/conferences/demo/participants \
	"{\"uri\":\"sip:nobody@127.0.0.1:$(free_port);transport=tcp\"}"
expect_status 201 "dial-out"
wait_for 5 seen all 'sip:nobody@127.0.0.1' || fail "dial-out not seen"
wait_for 5 seen demo 'sip:nobody@127.0.0.1' ||
	fail "dial-out not seen in the demo stream"
api DELETE /v1/conferences/later
expect_status 204 "destroy later"
wait_for 5 seen all '{"type":"conference-destroyed","conference":"later"}' ||
	fail "no destroyed message"
# a last change of demo after the destroy: once the demo-only stream has
# it, anything about "later" sent to that stream before would be there
# too (one connection, in order), so its absence below means something
api POST /v1/conferences/demo/participants \
	"{\"uri\":\"sip:last@127.0.0.1:$(free_port);transport=tcp\"}"
expect_status 201 "the last dial-out"
wait_for 5 seen demo 'sip:last@127.0.0.1' ||
	fail "the demo stream did not get the last change"
wait_for 5 seen all 'sip:last@127.0.0.1' ||
	fail "the whole stream did not get the last change"
kill "$all" "$one"
wait "$all" "$one" 2>/dev/null || true
cat "$WORK/all.out" | cut -c1-160

line() { sed -n "${2}p" "$WORK/$1.out"; }
line all 1 | grep -q '"type":"conference-info","conference":"demo","version":[0-9]*,"state":"full"' ||
	fail "first message is not demo's full state"
# (the full state of "later", the dial-out and the destroy were waited
# for above)
grep -q '"conference":"demo","version":[0-9]*,"state":"partial".*"@state":"partial"' \
	"$WORK/all.out" || fail "no partial change for demo"
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
