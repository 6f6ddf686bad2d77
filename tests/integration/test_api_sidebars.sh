#!/bin/bash
# Sidebars, breakouts and the media policy over HTTP (issue 17): the media
# policy's GET/PUT/PATCH with ETag and If-Match (412), bad documents
# refused naming the member, the role gate (403 for a participant, 202
# when its role may only ask, applied on approval); sidebars made,
# listed, changed and ended (400 naming the field, 404, 409 for a taken id
# and for one too many); sipp callers moved in and out (the membership
# routes and the participant PATCH), the floor, a whisper and a raised
# hand shown on the participant, a participant's own token refused the
# moderators' changes; breakouts by round robin and by lists, 409 while
# they run, ended by DELETE and by their time limit; and the media policy
# and the sidebars the same after a restart (stored).
. "$(dirname "$0")/lib.sh"
# pat is a user: its call is challenged, and sipp answers MD5 only
start_caucusd --sip-digest-algorithms MD5,SHA-256
C=/v1/conferences/demo
MP=$C/media-policy

# check PYTHON-EXPRESSION WHAT: the expression holds of b, $BODY as JSON
check() {
	python3 -c 'import json, sys
b = json.loads(sys.argv[2])
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" "$BODY" ||
		fail "$2: not $1 in $BODY"
}
# refused STATUS WORD WHAT: the last answer was STATUS and its detail (or
# error) names WORD
refused() {
	expect_status "$1" "$3"
	printf '%s' "$BODY" | grep -q -- "$2" || fail "$3: no '$2' in $BODY"
}
etag() { curl -s -D - -o /dev/null "$API$MP" | tr -d '\r' |
	sed -n 's/^ETag: //Ip'; }
# send METHOD PATH JSON IF-MATCH: api with an If-Match header
send() {
	BODY=$(curl -s -w '\n%{http_code}' -X "$1" -H "If-Match: $4" \
		-H 'Content-Type: application/json' --data-binary "$3" \
		"$API$2")
	STATUS=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}
pid() { part_of demo "$1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["id"])'; }

# --- the media policy -------------------------------------------------
api GET "$MP"
expect_status 200 "GET media policy"
check 'b["relations"] == [] and b["lecture"]["enabled"] is False and b["sidebar_background_db"] == -12' \
	"the default media policy"
e0=$(etag)
[ -n "$e0" ] || fail "no ETag on the media policy"
for bad in '{"lecture":{"enabled":1}}|lecture.enabled' \
	'{"relations":[{"listener":{"role":"king"},"speaker":{"role":"participant"}}]}|relations\[0\]' \
	'{"sidebar_background_db":"loud"}|sidebar_background_db' \
	'{"nope":1}|nope' '[1]|object'; do
	api PUT "$MP" "${bad%|*}"
	refused 400 "${bad#*|}" "PUT media policy ${bad%|*}"
	check 'b["error"] == "invalid media policy"' "the 400's error"
done
api PATCH "$MP" '{"lecture":'
refused 400 "malformed JSON" "a broken media policy"
[ "$(etag)" = "$e0" ] || fail "a refused document changed the media policy"
api GET /v1/conferences/nope/media-policy
expect_status 404 "media policy of no conference"

doc='{"relations":[{"listener":{"role":"listener"},"speaker":{"role":"participant"},"hears":true,"gain_db":-6}],"lecture":{"enabled":false,"lecturers":[{"role":"moderator"}]},"sidebar_background_db":-20}'
send PUT "$MP" "$doc" "$e0"
expect_status 200 "PUT media policy with the right ETag"
check 'b["sidebar_background_db"] == -20 and b["relations"][0]["gain_db"] == -6' \
	"the new media policy"
e1=$(etag)
[ "$e1" != "$e0" ] || fail "the ETag did not change"
send PUT "$MP" "$doc" "$e0"
refused 412 "changed" "PUT media policy with a stale ETag"
send PATCH "$MP" '{"lecture":{"enabled":true}}' "$e0"
refused 412 "changed" "PATCH media policy with a stale ETag"
send PATCH "$MP" '{"lecture":{"enabled":true}}' "$e1"
expect_status 200 "PATCH media policy with the right ETag"
check 'b["lecture"]["enabled"] is True and b["sidebar_background_db"] == -20 and len(b["relations"]) == 1' \
	"PATCH keeps the members it does not name"
send PATCH "$MP" '{"lecture":{"enabled":false}}' '*'
expect_status 200 "PATCH media policy with If-Match *"

# the role gate: the policy's media part
api POST /v1/users '{"name":"pat","password":"pat-password","aor":"sip:pat@example.com"}'
expect_status 201 "make user pat"
PAT=$(json_field "$BODY" token)
API_TOKEN=$PAT api PATCH "$MP" '{"lecture":{"enabled":true}}'
refused 403 "media" "a participant changes the media policy"
API_TOKEN=$PAT api GET "$MP"
expect_status 200 "a participant reads the media policy"
api PATCH "$C/policy" '{"changes":{"media":{"moderated":["participant"]}}}'
expect_status 200 "participants may ask for media changes"
API_TOKEN=$PAT api PATCH "$MP" '{"sidebar_background_db":-30}'
expect_status 202 "a participant asks for a media policy change"
check 'b["kind"] == "media-policy-patch" and b["state"] == "pending" and b["parts"] == ["media"]' \
	"the requested change"
chg=$(json_field "$BODY" id)
api GET "$MP"
check 'b["sidebar_background_db"] == -20' "a requested change applied at once"
api POST "$C/changes/$chg/approve"
expect_status 200 "approve the media policy change"
check 'b["state"] == "approved"' "the approved change"
api GET "$MP"
check 'b["sidebar_background_db"] == -30' "the approved change not applied"
# a whole document asked for, then the media policy changes: it fails
API_TOKEN=$PAT api PUT "$MP" "$doc"
expect_status 202 "a participant asks for a whole media policy"
chg=$(json_field "$BODY" id)
api PATCH "$MP" '{"sidebar_background_db":-25}'
expect_status 200 "the media policy changes meanwhile"
api POST "$C/changes/$chg/approve"
refused 409 "changed since" "approving a stale whole document"
api GET "$MP"
check 'b["sidebar_background_db"] == -25' "a stale document was applied"

# --- sidebars -----------------------------------------------------------
api GET "$C/sidebars"
expect_status 200 "list no sidebars"
check 'b == {"sidebars": []}' "no sidebars at first"
hdrs=$(curl -s -D - -o "$WORK/sb.json" -X POST -H 'Content-Type: application/json' \
	-d '{}' "$API$C/sidebars" | tr -d '\r')
BODY=$(cat "$WORK/sb.json")
printf '%s' "$hdrs" | grep -q '^HTTP/1.1 201' || fail "POST sidebar: $hdrs"
printf '%s' "$hdrs" | grep -q "^Location: $C/sidebars/s1$" ||
	fail "no Location: $hdrs"
check 'b["id"] == "s1" and b["background_db"] == -25 and b["by_val"] is True and b["members"] == [] and b["breakout"] is False and b["ends_at"] is None' \
	"a sidebar with the media policy's defaults"
check "b['uri'] == 'sip:demo+s1@127.0.0.1:$SIP_PORT'" "the sidebar's URI"
api POST "$C/sidebars" '{"id":"side","display_text":"Side room","background_db":null,"by_val":false}'
expect_status 201 "POST sidebar side"
check 'b["id"] == "side" and b["display_text"] == "Side room" and b["background_db"] is None and b["by_val"] is False' \
	"sidebar side"
api POST "$C/sidebars" '{"id":"side"}'
refused 409 "taken" "a taken sidebar id"
for bad in '{"id":"a b"}|id' '{"id":5}|id' '{"background_db":"loud"}|background_db' \
	'{"background_db":-99}|background_db' '{"by_val":1}|by_val' \
	'{"display_text":false}|display_text' '{"bogus":1}|bogus' '{|JSON'; do
	api POST "$C/sidebars" "${bad%|*}"
	refused 400 "${bad#*|}" "POST sidebar ${bad%|*}"
done
api POST /v1/conferences/nope/sidebars '{}'
expect_status 404 "sidebar in no conference"
api GET "$C/sidebars"
check '[s["id"] for s in b["sidebars"]] == ["s1", "side"]' "the sidebars listed"
api GET "$C/sidebars/side"
expect_status 200 "GET sidebar"
check 'b["id"] == "side"' "GET sidebar side"
api GET "$C/sidebars/nope"
refused 404 "no such sidebar" "GET unknown sidebar"
api PATCH "$C/sidebars/side" '{"display_text":"Quiet room","background_db":-30}'
expect_status 200 "PATCH sidebar"
check 'b["display_text"] == "Quiet room" and b["background_db"] == -30 and b["by_val"] is False' \
	"the changed sidebar"
for bad in '{"background_db":"x"}|background_db' '{"id":"z"}|id' \
	'{"by_val":"yes"}|by_val' '{}|display_text'; do
	api PATCH "$C/sidebars/side" "${bad%|*}"
	refused 400 "${bad#*|}" "PATCH sidebar ${bad%|*}"
done
api PATCH "$C/sidebars/nope" '{"display_text":"x"}'
expect_status 404 "PATCH unknown sidebar"
# at most 32: the 33rd is refused
for i in $(seq 3 32); do
	api POST "$C/sidebars" "{\"id\":\"f$i\"}"
	expect_status 201 "sidebar $i"
done
api POST "$C/sidebars" '{"id":"f33"}'
refused 409 "too many sidebars" "the 33rd sidebar"
for i in $(seq 3 32); do
	api DELETE "$C/sidebars/f$i"
	expect_status 204 "end sidebar f$i"
done
api DELETE "$C/sidebars/f3"
expect_status 404 "end an ended sidebar"

# --- participants in sidebars -------------------------------------------
for who in ann bob cat; do
	sipp_bg "$who" uac_wait_bye.xml -s demo -key who "$who"
	eval "sipp_$who=\$SIPP_PID"
done
sipp_bg pat uac_auth_wait.xml -s demo -key who pat -au pat -ap pat-password \
	-auth_uri "demo@127.0.0.1:$SIP_PORT"
sipp_pat=$SIPP_PID
wait_connected 10 demo 4 "the callers did not join"
ANN=$(pid ann) BOB=$(pid bob) CAT=$(pid cat) PATP=$(pid pat)
api GET "$C/participants/$ANN"
check 'b["sidebar"] is None and b["floor"] is False and b["whisper"] is None and b["hand_raised_at"] is None' \
	"a participant's media policy state"

api POST "$C/sidebars/side/members" "{\"participant\":\"$ANN\"}"
expect_status 200 "move ann into side"
check "b['id'] == 'side' and b['members'] == ['$ANN']" "side's members"
api GET "$C/participants/$ANN"
check 'b["sidebar"] == "side"' "ann's sidebar"
api POST "$C/sidebars/side/members" '{"participant":"999"}'
refused 400 "participant" "move nobody"
api POST "$C/sidebars/side/members" '{}'
refused 400 "participant" "move without a participant"
api POST "$C/sidebars/nope/members" "{\"participant\":\"$ANN\"}"
expect_status 404 "move into no sidebar"
api PATCH "$C/participants/$BOB" '{"sidebar":"side"}'
expect_status 200 "PATCH bob into side"
check 'b["sidebar"] == "side"' "bob's sidebar"
api GET "$C/sidebars/side"
check "sorted(b['members']) == sorted(['$ANN', '$BOB'])" "side's two members"
for bad in '{"sidebar":"nope"}|sidebar' '{"sidebar":5}|sidebar' \
	'{"floor":"yes"}|floor' '{"whisper":"bob"}|whisper' \
	"{\"whisper\":{\"to\":\"$CAT\",\"listen\":\"loud\"}}|whisper.listen" \
	"{\"whisper\":{\"to\":\"$BOB\"}}|itself" \
	'{"whisper":{"to":"999"}}|whisper.to' \
	"{\"whisper\":{\"to\":\"$CAT\",\"x\":1}}|whisper" '{"whisper":{}}|whisper'; do
	api PATCH "$C/participants/$BOB" "${bad%|*}"
	refused 400 "${bad#*|}" "PATCH bob ${bad%|*}"
done
api GET "$C/participants/$BOB"
check 'b["sidebar"] == "side" and b["whisper"] is None and b["floor"] is False' \
	"a refused PATCH changed bob"
api PATCH "$C/participants/$BOB" '{"sidebar":null}'
expect_status 200 "PATCH bob back to main"
check 'b["sidebar"] is None' "bob back in the main conference"
api DELETE "$C/sidebars/side/members/$ANN"
expect_status 204 "ann back to main"
api DELETE "$C/sidebars/side/members/$ANN"
refused 404 "not a member" "ann is not in side"
api DELETE "$C/sidebars/side/members/999"
refused 404 "no such participant" "nobody leaves side"
api GET "$C/participants/$ANN"
check 'b["sidebar"] is None' "ann back in the main conference"

# the floor, a whisper, a raised hand
api PATCH "$C/participants/$CAT" '{"floor":true}'
expect_status 200 "give cat the floor"
check 'b["floor"] is True' "cat's floor"
api PATCH "$C/participants/$ANN" "{\"whisper\":{\"to\":\"$BOB\",\"listen\":\"target\"}}"
expect_status 200 "ann whispers to bob"
check "b['whisper'] == {'to': '$BOB', 'listen': 'target'}" "ann's whisper"
api PATCH "$C/participants/$BOB" '{"hand_raised":true}'
check 'b["hand_raised"] is True and isinstance(b["hand_raised_at"], int) and b["hand_raised_at"] > 1e12' \
	"bob's hand raised, with its time in ms"
api PATCH "$C/participants/$BOB" '{"floor":true}'
check 'b["floor"] is True and b["hand_raised"] is False and b["hand_raised_at"] is None' \
	"the floor answers bob's hand"

# pat, a participant by its own token: its own mute, not the moderators'
API_TOKEN=$PAT api PATCH "$C/participants/$PATP" '{"muted":true}'
expect_status 200 "pat mutes itself"
for body in '{"sidebar":"s1"}' '{"floor":true}' "{\"whisper\":{\"to\":\"$ANN\"}}"; do
	API_TOKEN=$PAT api PATCH "$C/participants/$PATP" "$body"
	refused 403 "moderators" "pat sets $body"
done
API_TOKEN=$PAT api GET "$C/participants/$PATP"
check 'b["sidebar"] is None and b["floor"] is False' "a refused PATCH changed pat"
API_TOKEN=$PAT api POST "$C/sidebars" '{}'
expect_status 403 "pat makes a sidebar"
API_TOKEN=$PAT api POST "$C/breakouts" '{"rooms":2}'
expect_status 403 "pat starts breakouts"
API_TOKEN=$PAT api GET "$C/sidebars"
expect_status 200 "pat lists the sidebars"
API_TOKEN=$PAT api GET "$C/participants"
check "[p for p in b['participants'] if p['id'] == '$ANN'][0].get('whisper', 'hidden') == 'hidden'" \
	"pat sees whom ann whispers to"
api PATCH "$C/participants/$ANN" '{"whisper":null}'
check 'b["whisper"] is None' "ann stops whispering"
api PATCH "$C/participants/$CAT" '{"floor":false}'
check 'b["floor"] is False' "cat's floor taken back"

# ending a sidebar sends its members back
api POST "$C/sidebars/side/members" "{\"participant\":\"$CAT\"}"
expect_status 200 "move cat into side"
api DELETE "$C/sidebars/side"
expect_status 204 "end side"
api GET "$C/participants/$CAT"
check 'b["sidebar"] is None' "cat back after its sidebar ended"
api GET "$C/sidebars/side"
expect_status 404 "an ended sidebar"
api POST "$C/sidebars" '{"id":"kept","display_text":"Kept","background_db":null,"by_val":false}'
expect_status 201 "a sidebar to keep"

# --- breakouts ----------------------------------------------------------
api GET "$C/breakouts"
expect_status 200 "GET breakouts"
check 'b == {"active": False, "rooms": []}' "no breakouts"
for bad in '{}|rooms' '{"rooms":0}|rooms' '{"rooms":1.5}|rooms' \
	'{"rooms":40}|rooms' '{"rooms":2,"assign":"random"}|assign' \
	"{\"rooms\":2,\"assign\":[[\"$ANN\"]]}|assign" \
	"{\"rooms\":2,\"assign\":[[\"$ANN\"],[\"$ANN\"]]}|twice" \
	'{"rooms":2,"assign":[["999"],[]]}|assign\[0\]\[0\]' \
	"{\"rooms\":2,\"assign\":[\"$ANN\",[]]}|assign\[0\]" \
	'{"rooms":2,"duration_s":-1}|duration_s' '{"rooms":2,"x":1}|x'; do
	api POST "$C/breakouts" "${bad%|*}"
	refused 400 "${bad#*|}" "POST breakouts ${bad%|*}"
done
api POST "$C/breakouts" '{"rooms":2}'
expect_status 201 "breakouts by round robin"
check 'b["active"] is True and len(b["rooms"]) == 2 and all(r["breakout"] for r in b["rooms"])' \
	"two breakout rooms"
check 'sorted(len(r["members"]) for r in b["rooms"]) == [2, 2]' \
	"four callers split two by two"
check '[r["display_text"] for r in b["rooms"]] == ["Breakout 1", "Breakout 2"]' \
	"the rooms' names"
api POST "$C/breakouts" '{"rooms":2}'
refused 409 "already" "breakouts twice"
api GET "$C/sidebars"
check '[s["breakout"] for s in b["sidebars"]] == [False, False, True, True]' \
	"sidebars and breakout rooms told apart"
api GET "$C/participants/$ANN"
check 'b["sidebar"] is not None' "ann in a breakout room"
api DELETE "$C/breakouts"
expect_status 204 "end breakouts"
api DELETE "$C/breakouts"
refused 409 "no breakouts" "end breakouts twice"
api GET "$C/breakouts"
check 'b == {"active": False, "rooms": []}' "breakouts over"
api GET "$C/participants"
check 'all(p["sidebar"] is None for p in b["participants"])' "everyone back"

# by lists, for a second: they end by themselves
api POST "$C/breakouts" "{\"rooms\":2,\"assign\":[[\"$ANN\",\"$BOB\"],[\"$CAT\"]],\"duration_s\":1}"
expect_status 201 "breakouts by lists"
check "sorted(b['rooms'][0]['members']) == sorted(['$ANN', '$BOB']) and b['rooms'][1]['members'] == ['$CAT'] and isinstance(b['rooms'][0]['ends_at'], int)" \
	"the rooms as listed, with their end"
api GET "$C/participants/$PATP"
check 'b["sidebar"] is None' "pat, not listed, in a room"
breakouts_over() {
	[ "$(get "$C/breakouts")" = '{"active":false,"rooms":[]}' ]
}
wait_for 5 breakouts_over || fail "timed breakouts did not end: $(get "$C/breakouts")"
api GET "$C/participants/$ANN"
check 'b["sidebar"] is None' "ann back after the time limit"

# --- stored: the media policy and the sidebars after a restart -----------
e2=$(etag)
api GET "$C/sidebars"
before=$(printf '%s' "$BODY" | python3 -c 'import json, sys
print(json.dumps([{k: v for k, v in s.items() if k != "members"} for s in json.load(sys.stdin)["sidebars"]], sort_keys=True))')
check '[s["id"] for s in b["sidebars"]] == ["s1", "kept"]' "sidebars before the restart"
stop_caucusd
for who in ann bob cat pat; do eval "sipp_wait \$sipp_$who $who"; done
start_caucusd --sip-digest-algorithms MD5,SHA-256
[ "$(etag)" = "$e2" ] || fail "the media policy changed over a restart: $(get "$MP")"
api GET "$MP"
check 'b["sidebar_background_db"] == -25 and len(b["relations"]) == 1' \
	"the media policy after a restart"
api GET "$C/sidebars"
after=$(printf '%s' "$BODY" | python3 -c 'import json, sys
print(json.dumps([{k: v for k, v in s.items() if k != "members"} for s in json.load(sys.stdin)["sidebars"]], sort_keys=True))')
[ "$after" = "$before" ] || fail "sidebars over a restart: $before, then $after"
stop_caucusd
log PASS
