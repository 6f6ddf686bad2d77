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
# heard CONF NAME: the focus has had RTP from NAME in CONF: his in-band
# keys, sent from now on, reach the detector (inband.py with
# DIGITS_AT=signal keys on SIGUSR1, not after a guessed time)
heard() { [ "$(json_field "$(part "$1" "$2")" rx_packets)" -gt 0 ]; }

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
DIGITS_AT=signal VOICE_HZ=600 python3 "$SRC/tests/integration/inband.py" \
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
# first digit): he keys once lisa has recorded 2 s in 4711, and the
# lobby's window ends where the test sees him start
wait_heard "$WORK/lisa" "$m0" 2
kill -USR1 "$IV" || fail "ivan (inband.py) is gone"
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
# ivan hangs up (an unanswered BYE from the focus would hold its
# shutdown 3 s)
kill -USR2 "$IV" || fail "ivan (inband.py) is gone"
wait "$IV" || fail "inband.py (ivan): $(cat "$WORK/ivan.out")"
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

# 2. one mixer thread: the stream changes rooms. From here the prompts
# are short tones (what is checked is where the callers go, not what
# they hear): the three wrong numbers' prompts took 13 s
mkdir -p "$WORK/prompts"
for p in enter-number number-wrong number-goodbye locked-goodbye \
	enter-pin pin-wrong pin-goodbye; do
	"$BIN/tonegen" "$WORK/prompts/$p.wav" 440 0.3 8000 0.2
done
setup --mixer-threads 1 --prompts-dir "$WORK/prompts"
pin
DIGITS_AT=signal python3 "$SRC/tests/integration/inband.py" "$SIP_PORT" \
	bridge ivan '4711#1234#' 30 > "$WORK/ivan2.out" 2>&1 &
IV=$!
CHILDREN="$CHILDREN $IV"
wait_for 5 heard bridge ivan || fail "no RTP from ivan in the lobby: $(part bridge ivan)"
kill -USR1 "$IV" || fail "ivan (inband.py) is gone"
wait_for 20 in_conf 4711 ivan || fail "ivan did not reach 4711 (one thread)"
grep -q 'msg="moved from the lobby" conf=bridge .* thread=same' \
	"$WORK/caucusd.log" || fail "the move was not within the thread"
kill -USR2 "$IV" || fail "ivan (inband.py) is gone"
wait "$IV" || fail "inband.py: $(cat "$WORK/ivan2.out")"

# a conference whose policy would refuse the caller at its door
# refuses it from the lobby too (locked: said so, then goodbye)
api POST /v1/conferences '{"id":"4712"}'
[ "$STATUS" = 201 ] || [ "$STATUS" = 409 ] || fail "conference 4712: $STATUS"
api PATCH /v1/conferences/4712/policy '{"locked":true}'
expect_status 200 "4712 locked"
DIGITS_AT=signal python3 "$SRC/tests/integration/inband.py" "$SIP_PORT" \
	bridge trudy '4712#' 15 > "$WORK/trudy.out" 2>&1 &
TR=$!
CHILDREN="$CHILDREN $TR"
wait_for 5 heard bridge trudy || fail "no RTP from trudy in the lobby: $(part bridge trudy)"
kill -USR1 "$TR" || fail "trudy (inband.py) is gone"
refused() { grep -q 'msg="move refused by policy" conf=bridge .* to=4712 code=403 reason="the conference is locked"' \
	"$WORK/caucusd.log"; }
wait_for 15 refused || fail "the lobby let a caller into a locked conference"
trudy_gone() { [ -z "$(part bridge trudy)" ] && [ -z "$(part 4712 trudy)" ]; }
wait_for 15 trudy_gone || fail "the refused caller was not sent away"
wait "$TR" || fail "inband.py (trudy): $(cat "$WORK/trudy.out")"
grep -qx 'hung up by the focus' "$WORK/trudy.out" ||
	fail "trudy was not sent a BYE: $(cat "$WORK/trudy.out")"

# 3. no such conference: again, then goodbye (BYE: inband.py answers it
# and says so)
DIGITS_AT=signal python3 "$SRC/tests/integration/inband.py" "$SIP_PORT" \
	bridge mallory '99#98#97#' 25 > "$WORK/mallory.out" 2>&1 &
MA=$!
CHILDREN="$CHILDREN $MA"
wait_for 5 heard bridge mallory || fail "no RTP from mallory in the lobby: $(part bridge mallory)"
kill -USR1 "$MA" || fail "mallory (inband.py) is gone"
told() { grep -q 'msg="number refused: goodbye" conf=bridge .* tries=3' \
	"$WORK/caucusd.log"; }
wait_for 30 told || fail "three wrong numbers did not end in goodbye"
gone() { [ "$(count bridge)" = 0 ]; }
wait_for 10 gone || fail "the caller of wrong numbers is still in the lobby"
wait "$MA" || fail "inband.py (mallory): $(cat "$WORK/mallory.out")"
grep -qx 'hung up by the focus' "$WORK/mallory.out" ||
	fail "mallory was not sent a BYE: $(cat "$WORK/mallory.out")"
alive
stop_caucusd
log PASS
