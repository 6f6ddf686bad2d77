#!/bin/bash
# The dial-in lobby (lobby_user, docs/applications.md): one number for
# every conference. ivan (inband.py, tones in his audio) calls
# sip:bridge@, keys 4711 and pound, then the PIN of conference 4711 and
# pound: his call goes on in 4711 (a new participant there, none left in
# the lobby), and lisa, in 4711 already, hears his voice (600 Hz).
#   - two mixer threads: lisa's room was placed after ivan's, on the
#     other thread: the stream is made again there from the call's own
#     sockets (logged thread=another);
#   - one mixer thread: the stream moves between rooms (thread=same);
#   - a locked conference refuses the caller as at its door (goodbye);
#   - a number that is no conference: tried again, then goodbye.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"

part() { part_of "$1" "$2"; }
in_conf() { local p; p=$(part "$1" "$2"); [ -n "$p" ] &&
	[ "$(json_field "$p" status)" = connected ] &&
	! printf '%s' "$p" | grep -q '"lobby":true'; }
count() { json_field "$(get "/v1/conferences/$1")" participant_count; }

setup() { # extra caucusd flags...
	start_caucusd --lobby-user bridge --pin-timeout-s 10 "$@"
	api POST /v1/conferences '{"id":"4711","display_text":"Weekly"}'
	# (stored: the second start finds it)
	[ "$STATUS" = 201 ] || [ "$STATUS" = 409 ] ||
		fail "conference 4711: HTTP $STATUS"
	api PATCH /v1/conferences/4711/policy \
		'{"pin":"","announcements":{"entry":"off","exit":"off","only_participant":false}}'
	expect_status 200 "4711's announcements off"
}
pin() { # 4711 gets its PIN
	api PATCH /v1/conferences/4711/policy '{"pin":"1234"}'
	expect_status 200 "4711's PIN"
}

# 1. two mixer threads
setup --mixer-threads 2
DIGITS_AT=8 VOICE_HZ=600 python3 "$SRC/tests/integration/inband.py" \
	"$SIP_PORT" bridge ivan '4711#1234#' 30 > "$WORK/ivan.out" 2>&1 &
IV=$!
CHILDREN="$CHILDREN $IV"
in_bridge() { part bridge ivan | grep -q '"lobby":true'; }
wait_for 5 in_bridge || fail "ivan is not waiting in the dial-in lobby"
BS_PIDS=""
BS_SECONDS=25 pcmu_caller "$WORK/lisa" lisa 4711 1000 0.001
wait_for 10 in_conf 4711 lisa || fail "lisa did not join 4711"
pin                        # (lisa is in before it has one)
m0=$(rec_bytes "$WORK/lisa")
# ivan is in the lobby until he has keyed 4711#1234# (4.2 s from his
# first digit): the lobby's window ends where the test sees him start
keying() { grep -qx keying "$WORK/ivan.out"; }
wait_for 10 keying || fail "ivan does not key: $(cat "$WORK/ivan.out")"
mk=$(rec_bytes "$WORK/lisa")
[ $((mk - m0)) -ge 16000 ] ||
	fail "lisa joined too late to hear the lobby (a slow machine?)"
wait_for 20 in_conf 4711 ivan || fail "ivan did not reach 4711: $(part 4711 ivan)"
m1=$(rec_bytes "$WORK/lisa")
[ "$(count bridge)" = 0 ] || fail "ivan is still listed in the lobby"
grep -q 'msg="moved from the lobby" conf=bridge .* to=4711 .* thread=another' \
	"$WORK/caucusd.log" || fail "the move was not across mixer threads"
wait_heard "$WORK/lisa" "$m1" 3
m2=$(rec_bytes "$WORK/lisa")
# shellcheck disable=SC2086
baresip_finish $BS_PIDS
rec=$(recording "$WORK/lisa")
[ -n "$rec" ] || fail "no recording from lisa"
before=$(tone_level "$rec" "$(rec_window "$rec" "$m0" "$mk" 0.2)" 600)
after=$(tone_level "$rec" "$(rec_window "$rec" "$m1" "$m2" 0.5)" 600)
log "lisa hears ivan's 600 Hz at $before dBFS before the move, $after after"
awk -v v="$before" 'BEGIN { exit !(v < -45) }' ||
	fail "lisa heard ivan while he was in the lobby ($before)"
awk -v v="$after" 'BEGIN { exit !(v > -30) }' ||
	fail "lisa does not hear ivan after the move ($after)"
kill "$IV" 2>/dev/null || true

# 2. one mixer thread: the stream changes rooms
setup --mixer-threads 1
pin
DIGITS_AT=3 python3 "$SRC/tests/integration/inband.py" "$SIP_PORT" bridge \
	ivan '4711#1234#' 12 > "$WORK/ivan2.out" 2>&1 &
IV=$!
CHILDREN="$CHILDREN $IV"
wait_for 20 in_conf 4711 ivan || fail "ivan did not reach 4711 (one thread)"
grep -q 'msg="moved from the lobby" conf=bridge .* thread=same' \
	"$WORK/caucusd.log" || fail "the move was not within the thread"
wait "$IV" || fail "inband.py: $(cat "$WORK/ivan2.out")"

# a conference whose policy would refuse the caller at its door
# refuses it from the lobby too (locked: said so, then goodbye)
api POST /v1/conferences '{"id":"4712"}'
[ "$STATUS" = 201 ] || [ "$STATUS" = 409 ] || fail "conference 4712: $STATUS"
api PATCH /v1/conferences/4712/policy '{"locked":true}'
expect_status 200 "4712 locked"
DIGITS_AT=3 python3 "$SRC/tests/integration/inband.py" "$SIP_PORT" bridge \
	trudy '4712#' 15 > "$WORK/trudy.out" 2>&1 &
TR=$!
CHILDREN="$CHILDREN $TR"
refused() { grep -q 'msg="move refused by policy" conf=bridge .* to=4712 code=403 reason="the conference is locked"' \
	"$WORK/caucusd.log"; }
wait_for 15 refused || fail "the lobby let a caller into a locked conference"
trudy_gone() { [ -z "$(part bridge trudy)" ] && [ -z "$(part 4712 trudy)" ]; }
wait_for 15 trudy_gone || fail "the refused caller was not sent away"
kill "$TR" 2>/dev/null || true

# 3. no such conference: again, then goodbye (BYE: inband.py's own BYE
# then meets 481 and it fails, which is what is wanted here)
DIGITS_AT=3 python3 "$SRC/tests/integration/inband.py" "$SIP_PORT" bridge \
	mallory '99#98#97#' 25 > "$WORK/mallory.out" 2>&1 &
MA=$!
CHILDREN="$CHILDREN $MA"
told() { grep -q 'msg="number refused: goodbye" conf=bridge .* tries=3' \
	"$WORK/caucusd.log"; }
wait_for 30 told || fail "three wrong numbers did not end in goodbye"
gone() { [ "$(count bridge)" = 0 ]; }
wait_for 10 gone || fail "the caller of wrong numbers is still in the lobby"
kill "$MA" 2>/dev/null || true
alive
stop_caucusd
log PASS
