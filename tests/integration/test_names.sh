#!/bin/bash
# Names (docs/applications.md): with the policy's announcements.name, a
# caller says its name after the tone before it joins (in the lobby,
# heard by nobody); entry announcements and roll call use it.
#   - kim (baresip) joins first and says nothing much;
#   - ivan (inband.py) hums 600 Hz for 9 s from the start: what he says
#     after the tone is his name (3 s), and the room hears it when he
#     joins ("... has joined");
#   - once ivan is silent, kim keys *3 (roll call): what she hears holds
#     ivan's name, his 600 Hz, though he says nothing then.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
api PATCH /v1/conferences/demo/policy \
	'{"announcements":{"name":true,"entry":"name","exit":"off","only_participant":false}}'
expect_status 200 "names on"

part() { part_of demo "$1"; }
present() { local p; p=$(part "$1"); [ -n "$p" ] &&
	! printf '%s' "$p" | grep -q '"lobby":true'; }

BS_PIDS=""
d="$WORK/kim"
CONS=$(free_port)
baresip_conf "$d" kim "module cons.so" "cons_listen 127.0.0.1:$CONS" \
	"module sndfile.so" "snd_path $d"
"$BIN/tonegen" "$d/tone.wav" 300 60 8000 0.001
echo "<sip:kim@127.0.0.1>;regint=0;audio_codecs=PCMU" > "$d/accounts"
baresip -f "$d" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" -t 60 \
	> "$d/baresip.log" 2>&1 &
BS_PIDS="$BS_PIDS $!"
CHILDREN="$CHILDREN $!"
: > "$d/cmds"
python3 "$SRC/tests/integration/bscons.py" "$CONS" "$d/cmds" "$d/out" 55 &
CHILDREN="$CHILDREN $!"
in_lobby() { part kim | grep -q '"lobby":true'; }
wait_for 10 in_lobby || fail "kim did not wait in the lobby to say her name"
wait_for 15 present kim || fail "kim never got out of the lobby: $(part kim)"
grep -q 'msg="name recorded" conf=demo pid=1 ms=3000' "$WORK/caucusd.log" ||
	fail "kim's name was not recorded (3 s)"

VOICE_HZ=600 VOICE_S=9 python3 "$SRC/tests/integration/inband.py" \
	"$SIP_PORT" demo ivan '' 30 > "$WORK/ivan.out" 2>&1 &
IV=$!
CHILDREN="$CHILDREN $IV"
wait_for 15 present ivan || fail "ivan never got out of the lobby: $(part ivan)"
grep -q 'msg="name recorded" conf=demo pid=2 ms=3000' "$WORK/caucusd.log" ||
	fail "ivan's name was not recorded"
quiet() { grep -q quiet "$WORK/ivan.out"; }
wait_for 15 quiet || fail "ivan did not fall silent: $(cat "$WORK/ivan.out")"
# ivan's live voice has left the jitter buffers: roll call from here
m0=$(rec_bytes "$d")
wait_heard "$d" "$m0" 1
m1=$(rec_bytes "$d")
echo "*3" >> "$d/cmds"
wait_for 10 grep -q 'action=roll_call' "$WORK/caucusd.log" ||
	fail "*3 did not reach the keypad"
wait_heard "$d" "$m1" 8
m2=$(rec_bytes "$d")
# shellcheck disable=SC2086
baresip_finish $BS_PIDS
rec=$(recording "$d")
[ -n "$rec" ] || fail "no recording from kim"
before=$(tone_level "$rec" "$(rec_window "$rec" "$m0" "$m1" 0.2)" 600)
during=$(tone_level "$rec" "$(rec_window "$rec" "$m1" "$m2" 0.5)" 600)
log "600 Hz in kim's ears: $before dBFS before the roll call, $during during"
awk -v v="$before" 'BEGIN { exit !(v < -40) }' ||
	fail "ivan was still heard before the roll call ($before)"
awk -v v="$during" 'BEGIN { exit !(v > -35) }' ||
	fail "the roll call did not say ivan's recorded name ($during)"
log PASS
