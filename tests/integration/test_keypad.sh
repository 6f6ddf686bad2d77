#!/bin/bash
# Keypad commands (docs/keypad.md) and keypad tones nobody hears:
#   - ivan (inband.py) keys *2 as tones in his audio (no telephone-event):
#     the in-band receiver raises his hand; lisa, listening, hears his
#     voice (500 Hz) but none of the tones' frequencies;
#   - kim (baresip, RFC 4733 from its keypad through cons): *9 raises
#     her talking volume (lisa hears her 3 dB louder: FFT), *1 mutes her
#     (lisa hears her no more), *6 raises her listening volume, *2 raises
#     her hand (the API, and the RFC 4575 document in caucus's namespace,
#     schema-valid); *0 dials the operator (operator_uri, a sipp UAS) into
#     the conference; #1 (lock) is refused while she is a participant and
#     works once the policy makes her a moderator; #5 starts and stops a
#     recording; #2 mutes everyone but moderators; #4 removes the last to
#     join (the operator); #6 extends the end by 10 minutes. lisa hears none of
#     kim's keys either.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
OPPORT=$(free_port)
start_caucusd --operator-uri "sip:operator@127.0.0.1:$OPPORT"
# the operator (a sipp UAS) listens at once: its port, picked free,
# must not be taken by anyone before *0 dials it
LPORT=$OPPORT sipp_bg operator uas_answer.xml
wait_udp "$OPPORT"
# no entry and exit tones: lisa's recording carries the room alone
api PATCH /v1/conferences/demo/policy \
	'{"announcements":{"entry":"off","exit":"off","only_participant":false}}'
expect_status 200 "announcements off"

# part USER: its participant in demo (lib.sh part_of)
part() { part_of demo "$1"; }
field_is() { [ "$(json_field "$(part "$1")" "$2")" = "$3" ]; }

BS_PIDS=""
BS_SECONDS=60 pcmu_caller "$WORK/lisa" lisa demo 1000 0.001
d="$WORK/kim"
CONS=$(free_port)
baresip_conf "$d" kim "module cons.so" "cons_listen 127.0.0.1:$CONS"
"$BIN/tonegen" "$d/tone.wav" 300 60 8000 0.1
echo "<sip:kim@127.0.0.1>;regint=0;audio_codecs=PCMU" > "$d/accounts"
baresip -f "$d" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" -t 60 \
	> "$d/baresip.log" 2>&1 &
BS_PIDS="$BS_PIDS $!"
CHILDREN="$CHILDREN $!"
: > "$d/cmds"
python3 "$SRC/tests/integration/bscons.py" "$CONS" "$d/cmds" "$d/out" 55 &
CHILDREN="$CHILDREN $!"
wait_connected 15 demo 2 "lisa and kim did not connect"
wait_heard "$WORK/lisa" 0 1

# ivan keys *2 in-band; lisa hears his voice, not his tones
m0=$(rec_bytes "$WORK/lisa")
python3 "$SRC/tests/integration/inband.py" "$SIP_PORT" demo ivan '*2' 5 \
	> "$WORK/ivan.out" 2>&1 &
IV=$!
CHILDREN="$CHILDREN $IV"
wait_for 10 field_is ivan hand_raised true ||
	fail "ivan's in-band *2 did not raise his hand: $(part ivan)"
wait "$IV" || fail "inband.py failed: $(cat "$WORK/ivan.out")"
m1=$(rec_bytes "$WORK/lisa")
grep -q 'msg="dtmf" conf=demo pid=[0-9]* digit=\*$' "$WORK/caucusd.log" ||
	fail "the in-band * was not reported"
log "ivan's in-band *2 raised his hand"

# kim's keypad (RFC 4733)
# (baresip's /sndcode sends the keys and then lets go of the last; keys
# typed at its console one by one are held until the next one, and a
# caller whose event goes on is not heard meanwhile)
key() { echo "/sndcode $1" >> "$d/cmds"; }
# what lisa hears of kim (300 Hz): as she talks, 3 dB louder after *9,
# nothing after *1
ka=$(rec_bytes "$WORK/lisa")
wait_heard "$WORK/lisa" "$ka" 2
# (each window ends where the recording stood before the next key: on a
# loaded machine the key's effect is recorded well before wait_for sees
# it in the API)
k9=$(rec_bytes "$WORK/lisa")
key "*9"
wait_for 10 field_is kim gain_in_db 3 || fail "*9: $(part kim)"
kb=$(rec_bytes "$WORK/lisa")
wait_heard "$WORK/lisa" "$kb" 2.5
k1=$(rec_bytes "$WORK/lisa")
key "*1"
wait_for 10 field_is kim muted true || fail "*1 did not mute kim: $(part kim)"
kc=$(rec_bytes "$WORK/lisa")
wait_heard "$WORK/lisa" "$kc" 2.5
kd=$(rec_bytes "$WORK/lisa")
key "*6"
wait_for 10 field_is kim gain_out_db 3 || fail "*6: $(part kim)"
key "*2"
wait_for 10 field_is kim hand_raised true || fail "*2: $(part kim)"
m2=$(rec_bytes "$WORK/lisa")
curl -s -H "Accept: application/conference-info+xml" \
	"$API/v1/conferences/demo/info" > "$WORK/info.xml"
xmllint --noout --schema "$XSD" "$WORK/info.xml" ||
	{ cat "$WORK/info.xml"; fail "document does not validate"; }
grep -q '<caucus xmlns="urn:x-caucus:params:xml:ns:conference-info" hand-raised="true">' \
	"$WORK/info.xml" || fail "no raised hand in the document"
log "kim: muted, volumes +3 dB, hand raised"

# *0: the operator (a sipp UAS) is dialled into the conference
key "*0"
wait_for 10 field_is operator status connected ||
	fail "*0 did not bring the operator in: $(part operator)"
field_is operator joining_method dialed-out || fail "the operator was not dialled"
part operator | grep -q '"referred_by":"sip:kim@127.0.0.1"' ||
	fail "the operator's call does not say kim asked for it"
log "kim: *0 brought the operator in"

# moderator keys: refused to a participant, then hers
key "#1"
wait_for 10 grep -q 'action=lock' "$WORK/caucusd.log" ||
	fail "#1 did not reach the keypad"
api GET /v1/conferences/demo/policy
[ "$(json_field "$BODY" locked)" = false ] ||
	fail "a participant locked the conference"
api PATCH /v1/conferences/demo/policy \
	'{"users":[{"aor":"sip:kim@127.0.0.1","role":"moderator"}]}'
expect_status 200 "kim made moderator"
wait_for 5 field_is kim role moderator || fail "kim is not a moderator"
key "#1"
locked() { api GET /v1/conferences/demo/policy
	[ "$(json_field "$BODY" locked)" = true ]; }
wait_for 10 locked || fail "#1 did not lock the conference"
key "#5"
rec_state() { get /v1/conferences/demo/recordings | grep -q "\"state\":\"$1\""; }
wait_for 10 rec_state recording || fail "#5 did not start a recording"
key "#5"
wait_for 10 rec_state stopped || fail "#5 did not stop the recording"
key "#2"
wait_for 10 field_is lisa muted true || fail "#2 did not mute lisa"
field_is kim role moderator || fail "kim lost her role"
# the last to join (the operator) removed; the end time moved 10 min on
key "#4"
gone() { ! part operator | grep -q '"status":"connected"'; }
wait_for 10 gone || fail "#4 did not remove the operator: $(part operator)"
# (not "end": wait_for has a local of that name, which bash's dynamic
# scope would show the check instead)
t_end=$(( $(date +%s) + 3600 ))
api PATCH /v1/conferences/demo/policy "{\"end\":$t_end}"
expect_status 200 "an end time"
key "**"
wait_for 10 grep -q 'action=help' "$WORK/caucusd.log" || fail "** did not ask for help"
key "#6"
extended() { api GET /v1/conferences/demo/policy
	[ "$(json_field "$BODY" end)" = $((t_end + 600)) ]; }
wait_for 10 extended || fail "#6 did not extend the end: $BODY"
log "kim (moderator): locked, recorded, muted everyone else, removed" \
	"the last one in, extended the end"
alive

# baresip_finish stops caucusd and closes lisa's recording; then the
# windows
# shellcheck disable=SC2086
baresip_finish $BS_PIDS
rec=$(recording "$WORK/lisa")
[ -n "$rec" ] || fail "no recording from lisa"
wi=$(rec_window "$rec" "$m0" "$m1" 0.5)
wk=$(rec_window "$rec" "$m1" "$m2" 0.5)
log "ivan's keys: $wi; kim's keys: $wk"
v=$(tone_level "$rec" "$wi" 500)
log "lisa heard ivan's voice at $v dBFS"
awk -v v="$v" 'BEGIN { exit !(v > -40) }' || fail "ivan's voice not heard ($v)"
for w in "$wi" "$wk"; do
	for f in 697 941 1209 1336; do
		l=$(tone_level "$rec" "$w" "$f")
		awk -v v="$l" 'BEGIN { exit !(v < -45) }' ||
			fail "lisa heard a keypad tone: $f Hz at $l dBFS ($w)"
	done
done
log "no keypad tone in lisa's recording"
l0=$(tone_level "$rec" "$(rec_window "$rec" "$ka" "$k9" 0.5)" 300)
l1=$(tone_level "$rec" "$(rec_window "$rec" "$kb" "$k1" 0.8)" 300)
l2=$(tone_level "$rec" "$(rec_window "$rec" "$kc" "$kd" 0.8)" 300)
log "kim in lisa's ears: $l0 dBFS, after *9 $l1, after *1 $l2"
awk -v a="$l0" -v b="$l1" 'BEGIN { d = b - a; exit !(d > 2 && d < 4) }' ||
	fail "*9 did not raise kim by 3 dB for lisa ($l0 -> $l1)"
awk -v v="$l2" 'BEGIN { exit !(v < -45) }' ||
	fail "lisa still hears kim after *1 ($l2)"
# every announcement of the run was rendered (the spoken keypad table
# for a moderator is made of several items)
grep -q 'announcement item not rendered' "$WORK/caucusd.log" &&
	fail "an announcement item was not rendered"

log PASS
