#!/bin/bash
# The media policy's keypad keys (docs/keypad.md), keyed by SIP INFO from
# two callers of our own (holdcall.py): m, a moderator by the policy's
# entry, and p, a participant.
#   - m's #0 visits the sidebars in turn, then the main conference; *8
#     takes a member back to the main conference;
#   - p's *2 raises its hand; m's #9 whispers to it and #9 again stops;
#   - in lecture mode m's #7 gives p the floor (its hand goes down), #8
#     takes it back;
#   - p's #7 is refused (a moderator's key);
#   - with no sidebar, #0 moves nobody;
#   - a breakout that ends by itself brings p back, announced to all;
#   - with floor control on, p's *2 is a request for the floor, m's #7
#     grants it and #8 revokes it.
. "$(dirname "$0")/lib.sh"
start_caucusd
C=/v1/conferences/demo
api PATCH $C/policy '{"users":[{"aor":"sip:m@example.com","role":"moderator"}]}'
expect_status 200 "the moderator's entry"
api POST $C/sidebars '{"id":"team","display_text":"Team"}'
expect_status 201 "sidebar team"
api POST $C/sidebars '{"id":"two"}'
expect_status 201 "sidebar two"

# caller NAME TONE: a holdcall.py caller taking commands from $WORK/NAME.ctl
caller() {
	mkfifo "$WORK/$1.ctl"
	python3 "$SRC/tests/integration/holdcall.py" "$SIP_PORT" demo "$1" \
		"$2" "$WORK/$1.ctl" "$WORK/$1.out" 2>"$WORK/$1.err" &
	CHILDREN="$CHILDREN $!"
}
said() { grep -qxF "$2" "$WORK/$1.out" 2>/dev/null; }
# keys NAME KEYS: NAME keys them, each INFO answered
keys() {
	echo "keys $2" >"$WORK/$1.ctl"
	wait_for 10 said "$1" "keyed $2" || fail "$1 could not key $2: $(cat "$WORK/$1.err")"
}
field_is() { # USER FIELD VALUE
	[ "$(json_field "$(part_of demo "$1")" "$2")" = "$3" ]
}
expect_field() { # USER FIELD VALUE WHY
	wait_for 10 field_is "$1" "$2" "$3" ||
		fail "$4: $1's $2 is not $3: $(part_of demo "$1")"
	log "ok: $4"
}

caller m 400
caller p 700
wait_for 15 said m joined || fail "m did not join: $(cat "$WORK/m.err")"
wait_for 15 said p joined || fail "p did not join: $(cat "$WORK/p.err")"
wait_connected 10 demo 2
field_is m role moderator || fail "m is not a moderator: $(part_of demo m)"

keys m "#0"
expect_field m sidebar team "#0 visits the first sidebar"
keys m "#0"
expect_field m sidebar two "#0 again: the next one"
keys m "#0"
expect_field m sidebar null "#0 after the last: the main conference"
keys m "#0"
expect_field m sidebar team "visiting again"
keys m "*8"
expect_field m sidebar null "*8: back in the main conference"

keys p "*2"
expect_field p hand_raised true "*2 raises p's hand"
keys m "#9"
pid_p=$(json_field "$(part_of demo p)" id)
api GET "$C/participants/$(json_field "$(part_of demo m)" id)"
printf '%s' "$BODY" | grep -q "\"whisper\":{\"to\":\"$pid_p\"" ||
	fail "#9 did not make m whisper to p: $BODY"
log "ok: #9 whispers to the first raised hand"
keys m "#9"
expect_field m whisper null "#9 again: m speaks to the room"

api PATCH $C/media-policy '{"lecture":{"enabled":true}}'
expect_status 200 "lecture mode"
# (a key's INFO is answered once the key was acted on: what the API
# shows after "keyed" is its outcome)
keys p "#7"
field_is p floor false || fail "p gave itself the floor: $(part_of demo p)"
keys m "#7"
expect_field p floor true "#7 gives p the floor"
field_is p hand_raised false || fail "p's hand is still up: $(part_of demo p)"
keys m "#8"
expect_field p floor false "#8 takes it back"

api DELETE $C/sidebars/team
expect_status 204 "DELETE team"
api DELETE $C/sidebars/two
expect_status 204 "DELETE two"
keys m "#0"
field_is m sidebar null || fail "#0 with no sidebar moved m: $(part_of demo m)"

# breakouts that end by themselves are announced to everyone
api POST $C/breakouts '{"rooms":1,"duration_s":1}'
expect_status 201 "a one-second breakout"
field_is p sidebar s1 || fail "p is not in the breakout room: $(part_of demo p)"
wait_for 10 grep -q 'msg="say" conf=demo to=all prompt=breakout-over' \
	"$WORK/caucusd.log" || fail "the end of the breakouts was not announced"
field_is p sidebar null || fail "p is not back: $(part_of demo p)"
log "ok: the breakout ended by itself, announced"

# floor control (issue 18): a raised hand is a request for the floor,
# a moderator's #7 grants it, #8 revokes it
api PATCH $C/floors/1 '{"enabled":true,"mode":"chair"}'
expect_status 200 "floor control on"
keys p "*2"
rid=$(json_field "$(part_of demo p)" floor_request)
[ -n "$rid" ] && [ "$rid" != null ] ||
	fail "p's raised hand made no floor request: $(part_of demo p)"
api GET "$C/floors/1/requests/$rid"
[ "$(json_field "$BODY" status)" = pending ] || fail "not pending: $BODY"
log "ok: *2 with floor control is a request for the floor ($rid)"
keys m "#7"
expect_field p floor true "#7 grants p's request"
api GET "$C/floors/1/requests/$rid"
[ "$(json_field "$BODY" status)" = granted ] || fail "not granted: $BODY"
keys m "#8"
expect_field p floor false "#8 revokes it"

echo bye >"$WORK/m.ctl"
echo bye >"$WORK/p.ctl"
wait_for 10 said m done || fail "m did not finish"
wait_for 10 said p done || fail "p did not finish"
stop_caucusd
log PASS
