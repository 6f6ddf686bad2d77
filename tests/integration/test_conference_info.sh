#!/bin/bash
# GET /v1/conferences/{id}/info: the RFC 4575 document of a live
# conference (a caller in, a failed dial-out) validates against the schema,
# carries the real dialog ids and the SSRC we send; the JSON equivalent,
# 406 for types we cannot give, 404 for unknown conferences.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
[ -f "$XSD" ] || fail "schema not found at $XSD"
start_caucusd

sipp_bg ann uac_wait_bye.xml -s demo -key who ann
ann=$SIPP_PID
up() { get /v1/conferences/demo | grep -q '"status":"connected"'; }
wait_for 5 up || fail "ann did not connect"
api POST /v1/conferences/demo/participants \
	"{\"uri\":\"sip:nobody@127.0.0.1:$(free_port);transport=tcp\"}"
failed() { get /v1/conferences/demo | grep -q '"status":"failed"'; }
wait_for 10 failed || fail "dial-out did not fail"

curl -s -H "Accept: $(printf 'application/conference-info+xml')" \
	"$API/v1/conferences/demo/info" > "$WORK/info.xml"
xmllint --noout --schema "$XSD" "$WORK/info.xml" ||
	{ cat "$WORK/info.xml"; fail "document does not validate"; }
doc=$(cat "$WORK/info.xml")
callid=$(grep -m1 '^Call-ID:' "$WORK/ann.msg" | tr -d '\r' | cut -d' ' -f2)
printf '%s' "$doc" | grep -q "<call-id>$callid</call-id>" ||
	fail "call-id $callid not in the document"
printf '%s' "$doc" | grep -q '<user entity="sip:ann@example.com"' ||
	fail "ann's user element missing"
printf '%s' "$doc" | grep -q '<status>connected</status>' || fail "status"
printf '%s' "$doc" | grep -q '<user-count>1</user-count>' ||
	fail "user-count should not count the failed dial-out"
printf '%s' "$doc" | grep -q '<disconnection-method>failed' ||
	fail "failed dial-out not shown"
printf '%s' "$doc" | grep -qE '<src-id>[0-9]+</src-id>' || fail "src-id"

api GET /v1/conferences/demo/info
expect_status 200 "JSON info"
printf '%s' "$BODY" | grep -q '"conference-info":{"@entity":"sip:demo@' ||
	fail "JSON equivalent: $BODY"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: text/html' \
	"$API/v1/conferences/demo/info")
expect_status 406 "Accept: text/html"
api GET /v1/conferences/nope/info
expect_status 404 "unknown conference"

api DELETE /v1/conferences/demo
sipp_wait "$ann" ann
stop_caucusd
log PASS
