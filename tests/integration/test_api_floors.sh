#!/bin/bash
# Floors over HTTP (issue 18): the audio floor's policy (GET, PATCH with
# bad documents refused naming the member, 404 for an unknown floor, the
# role gate: 403 for a participant, 202 when it may only ask, applied on
# approval); requests for sipp callers with floor control off (409) and
# on: chair mode queued by priority with their positions, a second
# request refused naming the first, grant, deny, revoke and accept with
# their 409s (a full floor, a decision that does not fit); a participant
# requesting and releasing the floor for itself by its own token, and
# refused the chairs' decisions and requests for others; automatic mode
# with two holders and the queue moving on when one lets go; a 1 s time
# limit revoking by itself; the participant JSON's floor_request; the
# RFC 4575 document's floor element (RFC 6501), valid against the schema;
# floor control off ending every request; the policy stored over a
# restart.
. "$(dirname "$0")/lib.sh"
# pat is a user: its call is challenged, and sipp answers MD5 only
start_caucusd --sip-digest-algorithms MD5,SHA-256
C=/v1/conferences/demo
F=$C/floors/1
R=$F/requests

# check PYTHON-EXPRESSION WHAT: the expression holds of b, $BODY as JSON
check() {
	python3 -c 'import json, sys
b = json.loads(sys.argv[2])
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" "$BODY" ||
		fail "$2: not $1 in $BODY"
}
# refused STATUS WORD WHAT: the last answer was STATUS and names WORD
refused() {
	expect_status "$1" "$3"
	printf '%s' "$BODY" | grep -q -- "$2" || fail "$3: no '$2' in $BODY"
}
pid() { part_of demo "$1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["id"])'; }
# ask PID [PRIORITY]: requests the floor for PID (as $API_TOKEN, if set)
ask() {
	api POST "$R" "{\"participant\":\"$1\"${2:+,\"priority\":$2}}"
}
rid() { json_field "$BODY" id; }
# the document as XML, valid against the RFC 4575 schema, into doc.xml
document() {
	curl -s -H 'Accept: application/conference-info+xml' \
		"$API$C/info" >"$WORK/doc.xml"
	xmllint --noout --schema "$SRC/tests/schemas/conference-info.xsd" \
		"$WORK/doc.xml" 2>"$WORK/xmllint.err" ||
		fail "the document is not valid: $(cat "$WORK/xmllint.err")"
}
# floor_of USER: true or false, the floor element of USER's endpoint
floor_of() {
	python3 - "$WORK/doc.xml" "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"ci": "urn:ietf:params:xml:ns:conference-info",
      "x": "urn:ietf:params:xml:ns:xcon-conference-info"}
for u in ET.parse(sys.argv[1]).getroot().iterfind(".//ci:user", ns):
    if u.get("entity").startswith("sip:" + sys.argv[2] + "@"):
        f = u.find("ci:endpoint/ci:media/x:floor", ns)
        print("none" if f is None else f.text + "/" + f.get("id"))
PY
}

# --- the policy -------------------------------------------------------
api GET "$C/floors"
expect_status 200 "GET floors"
check 'b == {"floors": [{"id": 1, "media": "audio", "policy": {"enabled": False, "mode": "chair", "max_holders": 1, "limit_s": 0}, "holders": [], "queue": []}]}' \
	"the default floors"
api GET "$F"
expect_status 200 "GET floor 1"
check 'b["id"] == 1 and b["policy"]["enabled"] is False' "floor 1"
for f in 2 0 x 99999; do
	api GET "$C/floors/$f"
	refused 404 "no such floor" "GET floor $f"
done
api PATCH "$C/floors/2" '{"enabled":true}'
refused 404 "no such floor" "PATCH floor 2"
api GET /v1/conferences/nope/floors
expect_status 404 "floors of no conference"
for bad in '{"enabled":1}|enabled' '{"mode":"free"}|mode' \
	'{"max_holders":0}|max_holders' '{"max_holders":17}|max_holders' \
	'{"max_holders":1.5}|max_holders' '{"limit_s":-1}|limit_s' \
	'{"limit_s":86401}|limit_s' '{"limit_s":"1"}|limit_s' \
	'{"bogus":1}|bogus' '{}|enabled' '[1]|object'; do
	api PATCH "$F" "${bad%|*}"
	refused 400 "${bad#*|}" "PATCH floor ${bad%|*}"
done
api PATCH "$F" '{"enabled":'
refused 400 "malformed JSON" "a broken floor policy"
api GET "$F"
check 'b["policy"] == {"enabled": False, "mode": "chair", "max_holders": 1, "limit_s": 0}' \
	"a refused document changed the policy"

# --- callers, a participant with its token, a moderator by the policy ---
api POST /v1/users '{"name":"pat","password":"pat-password","aor":"sip:pat@example.com"}'
expect_status 201 "make user pat"
PAT=$(json_field "$BODY" token)
api POST /v1/users '{"name":"mia","password":"mia-password","aor":"sip:mia@example.com"}'
expect_status 201 "make user mia"
MIA=$(json_field "$BODY" token)
api PATCH "$C/policy" '{"users":[{"aor":"sip:mia@example.com","role":"moderator"}]}'
expect_status 200 "mia moderates demo"
for who in ann bob cat; do
	sipp_bg "$who" uac_wait_bye.xml -s demo -key who "$who"
	eval "sipp_$who=\$SIPP_PID"
done
sipp_bg pat uac_auth_wait.xml -s demo -key who pat -au pat -ap pat-password \
	-auth_uri "demo@127.0.0.1:$SIP_PORT"
sipp_pat=$SIPP_PID
wait_connected 10 demo 4 "the callers did not join"
ANN=$(pid ann) BOB=$(pid bob) CAT=$(pid cat) PATP=$(pid pat)

ask "$ANN"
refused 409 "floor control is off" "a request with floor control off"
document
[ "$(floor_of ann)" = none ] || fail "a floor element with floor control off"
API_TOKEN=$PAT api PATCH "$F" '{"enabled":true}'
refused 403 "media" "a participant turns floor control on"
api PATCH "$F" '{"enabled":true}'
expect_status 200 "floor control on"
check 'b["policy"] == {"enabled": True, "mode": "chair", "max_holders": 1, "limit_s": 0}' \
	"the policy on"

# --- chair mode: the queue by priority ----------------------------------
hdrs=$(curl -s -D - -o "$WORK/req.json" -X POST -H 'Content-Type: application/json' \
	-d "{\"participant\":\"$ANN\",\"priority\":1,\"info\":\"a question\"}" \
	"$API$R" | tr -d '\r')
BODY=$(cat "$WORK/req.json")
printf '%s' "$hdrs" | grep -q '^HTTP/1.1 201' || fail "POST request: $hdrs"
RA=$(rid)
printf '%s' "$hdrs" | grep -q "^Location: $R/$RA$" || fail "no Location: $hdrs"
check "b['participant'] == '$ANN' and b['requested_by'] is None and b['status'] == 'pending' and b['queue_position'] == 1 and b['priority'] == 1 and b['info'] == 'a question' and b['floor'] == 1 and b['since'] > 1e12" \
	"ann's request"
ask "$BOB" 3
expect_status 201 "bob's request"
RB=$(rid)
check 'b["queue_position"] == 1' "bob (priority 3) ahead of ann"
ask "$CAT"
expect_status 201 "cat's request"
RC=$(rid)
api GET "$F"
check "[(q['participant'], q['queue_position']) for q in b['queue']] == [('$BOB', 1), ('$ANN', 2), ('$CAT', 3)] and b['holders'] == []" \
	"the queue in priority order"
api GET "$C/participants/$ANN"
check "b['floor_request'] == $RA and b['floor'] is False" "ann's floor_request"
ask "$ANN" 4
refused 409 "already" "ann asks twice"
check "b['request'] == $RA" "the 409 names ann's request"
for bad in '{"participant":"999"}|participant' '{}|participant' \
	"{\"participant\":\"$CAT\",\"priority\":5}|priority" \
	"{\"participant\":\"$CAT\",\"priority\":1.5}|priority" \
	"{\"participant\":\"$CAT\",\"info\":\"$(printf 'x%.0s' {1..128})\"}|info" \
	"{\"participant\":\"$CAT\",\"x\":1}|x"; do
	api POST "$R" "${bad%|*}"
	refused 400 "${bad#*|}" "POST request ${bad%|*}"
done
api POST "$C/floors/2/requests" "{\"participant\":\"$CAT\"}"
expect_status 404 "a request for floor 2"
api GET "$R/$RA"
expect_status 200 "GET ann's request"
check "b['id'] == $RA and b['queue_position'] == 2" "GET ann's request"
api GET "$R/999"
refused 404 "no such floor request" "GET an unknown request"

# the chairs' decisions
api POST "$R/$RB/grant"
expect_status 200 "grant bob"
check 'b["status"] == "granted" and b["queue_position"] == 0' "bob granted"
api GET "$C/participants/$BOB"
check 'b["floor"] is True' "bob holds the floor"
api POST "$R/$RA/grant"
refused 409 "max_holders" "grant a second holder of a one-holder floor"
api POST "$R/$RB/grant"
refused 409 "granted" "grant bob twice"
api POST "$R/$RA/revoke"
refused 409 "pending" "revoke a waiting request"
api POST "$R/$RB/accept"
refused 409 "granted" "accept a granted request"
api POST "$R/$RA/accept" '{"status_info":"you are next"}'
expect_status 200 "accept ann"
check 'b["status"] == "accepted" and b["queue_position"] == 1 and b["status_info"] == "you are next"' \
	"ann accepted, first in the queue"
api POST "$R/$RC/deny" '{"status_info":"not now"}'
expect_status 200 "deny cat"
check 'b["status"] == "denied" and b["status_info"] == "not now" and b["queue_position"] == 0' \
	"cat denied"
api GET "$R/$RC"
expect_status 404 "a denied request is forgotten"
api GET "$C/participants/$CAT"
check 'b["floor_request"] is None and b["floor"] is False' "cat without a request"
document
[ "$(floor_of bob)" = true/1 ] || fail "bob's floor element: $(floor_of bob)"
[ "$(floor_of ann)" = false/1 ] || fail "ann's floor element: $(floor_of ann)"
[ "$(floor_of cat)" = false/1 ] || fail "cat's floor element: $(floor_of cat)"
api POST "$R/$RB/revoke"
expect_status 200 "revoke bob"
check 'b["status"] == "revoked"' "bob revoked"
api GET "$C/participants/$BOB"
check 'b["floor"] is False and b["floor_request"] is None' "bob lost the floor"
api POST "$R/$RA/grant"
expect_status 200 "grant ann"
document
[ "$(floor_of ann)" = true/1 ] && [ "$(floor_of bob)" = false/1 ] ||
	fail "the document after ann's grant: ann $(floor_of ann), bob $(floor_of bob)"
api DELETE "$R/$RA"
expect_status 204 "release ann's floor"
api GET "$F"
check 'b["holders"] == [] and b["queue"] == []' "nobody after the release"

# --- the participant itself, and the moderator by the policy ------------
API_TOKEN=$PAT ask "$PATP" 2
expect_status 201 "pat asks for itself"
RP=$(rid)
check "b['participant'] == '$PATP' and b['requested_by'] is None" "pat's request"
API_TOKEN=$PAT ask "$ANN"
refused 403 "moderators" "pat asks for ann"
for act in grant deny accept revoke; do
	API_TOKEN=$PAT api POST "$R/$RP/$act"
	refused 403 "moderators" "pat's own $act"
done
API_TOKEN=$PAT api GET "$C/floors"
expect_status 200 "pat reads the floors"
API_TOKEN=$MIA api POST "$R/$RP/grant"
expect_status 200 "mia grants pat"
API_TOKEN=$PAT api GET "$C/participants/$PATP"
check "b['floor'] is True and b['floor_request'] == $RP" "pat holds the floor"
API_TOKEN=$MIA ask "$ANN"
expect_status 201 "mia asks for ann"
RA=$(rid)
API_TOKEN=$PAT api DELETE "$R/$RA"
refused 403 "moderator" "pat cancels ann's request"
API_TOKEN=$PAT api DELETE "$R/$RP"
expect_status 204 "pat lets go of the floor"
API_TOKEN=$MIA api DELETE "$R/$RA"
expect_status 204 "mia cancels ann's request"
# a participant who may only ask: its change waits for a moderator
api PATCH "$C/policy" '{"changes":{"media":{"moderated":["participant"]}}}'
expect_status 200 "participants may ask for media changes"
API_TOKEN=$PAT api PATCH "$F" '{"limit_s":30}'
expect_status 202 "pat asks for a time limit"
check 'b["kind"] == "floor-policy-patch" and b["floor"] == 1 and b["parts"] == ["media"]' \
	"the requested floor change"
chg=$(json_field "$BODY" id)
api GET "$F"
check 'b["policy"]["limit_s"] == 0' "a requested change applied at once"
API_TOKEN=$MIA api POST "$C/changes/$chg/approve"
expect_status 200 "mia approves it"
api GET "$F"
check 'b["policy"]["limit_s"] == 30 and b["policy"]["enabled"] is True' \
	"the approved floor change"

# --- automatic: two holders, the queue moves on -------------------------
api PATCH "$F" '{"mode":"auto","max_holders":2,"limit_s":0}'
expect_status 200 "automatic, two holders"
ask "$ANN"
check 'b["status"] == "granted"' "ann granted at once"
RA=$(rid)
ask "$BOB"
check 'b["status"] == "granted"' "bob granted at once"
ask "$CAT"
check 'b["status"] == "pending" and b["queue_position"] == 1' "cat waits"
RC=$(rid)
api DELETE "$R/$RA"
expect_status 204 "ann lets go"
api GET "$F"
check "sorted(h['participant'] for h in b['holders']) == sorted(['$BOB', '$CAT']) and b['queue'] == []" \
	"cat took ann's place"
api PATCH "$F" '{"max_holders":1}'
expect_status 200 "one holder"
api GET "$F"
check "[h['participant'] for h in b['holders']] == ['$BOB']" \
	"the latest grant revoked for fewer holders"

# --- a time limit revokes by itself -------------------------------------
api PATCH "$F" '{"enabled":false}'
expect_status 200 "floor control off"
api GET "$C/participants"
check 'all(p["floor_request"] is None for p in b["participants"])' \
	"floor control off ended every request"
document
[ "$(floor_of bob)" = none ] || fail "a floor element after floor control off"
api PATCH "$F" '{"enabled":true,"limit_s":1}'
expect_status 200 "on, 1 s grants"
ask "$ANN"
check 'b["status"] == "granted"' "ann granted for a second"
RA=$(rid)
request_gone() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$API$R/$RA")" = 404 ]
}
wait_for 5 request_gone || fail "the time limit did not revoke: $(get "$R/$RA")"
api GET "$C/participants/$ANN"
check 'b["floor"] is False and b["floor_request"] is None' \
	"ann lost the floor after its time limit"
grep -q "id=$RA pid=$ANN status=revoked" "$WORK/caucusd.log" ||
	fail "no revocation of ann's request in the log"

# --- stored: the policy after a restart ----------------------------------
api GET "$F"
before=$(printf '%s' "$BODY" | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["policy"], sort_keys=True))')
stop_caucusd
for who in ann bob cat pat; do eval "sipp_wait \$sipp_$who $who"; done
start_caucusd --sip-digest-algorithms MD5,SHA-256
api GET "$F"
after=$(printf '%s' "$BODY" | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["policy"], sort_keys=True))')
[ "$after" = "$before" ] ||
	fail "the floor policy over a restart: $before, then $after"
check 'b["policy"] == {"enabled": True, "mode": "auto", "max_holders": 1, "limit_s": 1} and b["holders"] == [] and b["queue"] == []' \
	"the stored policy, no requests"
stop_caucusd
log PASS
