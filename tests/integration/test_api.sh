#!/bin/bash
# The HTTP API: create, list, get, destroy; ids; every refusal is JSON with
# the right 4xx; oversized and malformed bodies; conferences survive a
# restart; participant settings are validated.
. "$(dirname "$0")/lib.sh"
start_caucusd

is_json_error() { printf '%s' "$BODY" | grep -q '^{"error":"'; }

api GET /v1/conferences
expect_status 200 "list"
printf '%s' "$BODY" | grep -q '"id":"demo"' || fail "demo missing"

api POST /v1/conferences '{"id":"weekly","display_text":"Weekly sync"}'
expect_status 201 "create weekly"
[ "$(json_field "$BODY" conference_uri)" = "sip:weekly@127.0.0.1:$SIP_PORT" ] ||
	fail "conference_uri: $BODY"
json_field "$BODY" policy_uri | grep -q "/v1/conferences/weekly$" ||
	fail "policy_uri"
api POST /v1/conferences '{"id":"weekly"}'
expect_status 409 "taken id"
is_json_error || fail "409 body is not a JSON error"

api POST /v1/conferences '{}'
expect_status 201 "create with a random id"
rid=$(json_field "$BODY" id)
printf '%s' "$rid" | grep -qE '^[a-z0-9]{10}$' || fail "random id '$rid'"
api POST /v1/conferences ''
expect_status 201 "create with no body"

# refusals
for body in '{' '[]' 'null' '{"id":5}' '{"id":"a b"}' '{"id":"../x"}' \
	'{"bogus":true}' '{"display_text":7}' '{"id":"ok",}' \
	"{\"id\":\"$(head -c 65 /dev/zero | tr '\0' a)\"}"; do
	api POST /v1/conferences "$body"
	expect_status 400 "create with $body"
	is_json_error || fail "400 for $body is not a JSON error: $BODY"
done
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
	-H 'Content-Type: text/xml' --data '<x/>' "$API/v1/conferences")
expect_status 415 "XML body"
big=$(head -c 70000 /dev/zero | tr '\0' ' ')
api POST /v1/conferences "{\"id\":\"big\",\"display_text\":\"$big\"}"
expect_status 413 "70 kB body"
is_json_error || fail "413 body"
api GET /v1/conferences/nope
expect_status 404 "unknown conference"
is_json_error || fail "404 body"
api GET /v1/conferences/demo/participants/99
expect_status 404 "unknown participant"
api PUT /v1/conferences/demo
expect_status 405 "PUT"
curl -s -D - -o /dev/null -X PUT "$API/v1/conferences/demo" |
	grep -qi '^Allow: GET, PATCH, DELETE' || fail "405 without Allow"
api GET /v1/nothing-here
expect_status 404 "unknown route"
api GET /v1/conferences/
expect_status 200 "trailing slash"

# participant settings: validated before anything changes
port=$(free_port)
LPORT=$port sipp_bg bob uas_answer.xml
bob=$SIPP_PID
wait_udp "$port"                # bob's UAS listens before we dial it
api POST /v1/conferences/weekly/participants "{\"uri\":\"sip:bob@127.0.0.1:$port\"}"
expect_status 201 "dial bob"
pid=$(json_field "$BODY" id)
up() { get "/v1/conferences/weekly/participants/$pid" | grep -q connected; }
wait_for 5 up || fail "bob not connected"
P="/v1/conferences/weekly/participants/$pid"
api PATCH "$P" '{"muted":true,"gain_out_db":-6}'
expect_status 200 "mute bob"
[ "$(json_field "$BODY" muted)" = true ] || fail "muted not shown"
for body in '{"muted":"yes"}' '{"gain_in_db":100}' '{"deaf":1}' \
	'{"gain_out_db":"loud"}' '{"volume":3}' '{"muted":true,"deaf":"x"}'; do
	api PATCH "$P" "$body"
	expect_status 400 "PATCH $body"
done
api GET "$P"
[ "$(json_field "$BODY" muted)" = true ] || fail "a refused PATCH changed muted"
[ "$(json_field "$BODY" deaf)" = false ] || fail "a refused PATCH changed deaf"
api DELETE "$P"
expect_status 204 "remove bob"
sipp_wait "$bob" bob

api GET /v1/status
expect_status 200 "status"
printf '%s' "$BODY" | grep -q '"mixer_threads":\[{' || fail "status: $BODY"

# past 1024 descriptors (two per participant add up fast): with 1100 idle
# connections held open, new requests are still served
"$BIN/connhold" 127.0.0.1 "$HTTP_PORT" 1100 3 > "$WORK/hold.out" &
hold=$!
wait_for 10 grep -q held "$WORK/hold.out" || fail "connhold did not start"
grep -q 'held 1100' "$WORK/hold.out" || fail "$(cat "$WORK/hold.out")"
api GET /v1/status
expect_status 200 "status with 1100 connections open"
wait "$hold" || fail "connhold lost connections"

# conferences survive a restart; destroyed ones stay destroyed
api DELETE "/v1/conferences/$rid"
expect_status 204 "destroy random"
stop_caucusd
start_caucusd
api GET /v1/conferences/weekly
expect_status 200 "weekly after restart"
[ "$(json_field "$BODY" display_text)" = "Weekly sync" ] || fail "text lost"
api GET "/v1/conferences/$rid"
expect_status 404 "destroyed conference after restart"
stop_caucusd
log PASS
