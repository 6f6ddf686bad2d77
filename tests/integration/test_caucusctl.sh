#!/bin/bash
# caucusctl against a running caucusd: every command (announcements,
# recordings, raised hands, sidebars, breakouts, the floor, whispers and
# the media policy among them; the policy, mix settings, invitations,
# floor control, users, requested changes and the exit codes of errors
# are test_caucusctl_more's), tables and
# --json, and the errors with their exit codes (usage 2, unknown
# conference 3, refused 4, unreachable server 6). docs/caucusctl.md is
# what the command table prints.
. "$(dirname "$0")/lib.sh"
start_caucusd
. "$(dirname "$0")/ctl_lib.sh"

"$CTL" --markdown | cmp -s - "$SRC/docs/caucusctl.md" ||
	fail "docs/caucusctl.md is stale: tools/caucusctl --markdown > docs/caucusctl.md"
ctl --help; want 0 "conf create ID"
ctl conf list; want 0 "demo"
ctl conf create weekly --name "Weekly call"; want 0 "Weekly call"
ctl --json conf show weekly; want 0 '"conference_uri"'
ctl conf list; want 0 "weekly"

# a caller, then the participant commands on it
sipp_bg ann uac_wait_bye.xml -s weekly -key who ann
ann=$SIPP_PID
in_room() { "$CTL" part list weekly | grep -q connected; }
wait_for 5 in_room || fail "ann not listed by caucusctl"
pid=$("$CTL" --json part list weekly | grep -o '"id": "[0-9]*"' | head -n1 |
	cut -d'"' -f4)
ctl part mute weekly "$pid"; want 0 "connected  participant  yes"
ctl part unmute weekly "$pid"; want 0 "connected"
ctl part deaf weekly "$pid"; want 0 "connected"
ctl part undeaf weekly "$pid"; want 0 "connected"
ctl part gain weekly "$pid" -3 2.5; want 0 "connected"
ctl --json part list weekly; want 0 '"gain_out_db": 2.5'

# a raised hand (the caller's keypad would raise it; here the API) shows in
# the table, and caucusctl lowers it
api PATCH "/v1/conferences/weekly/participants/$pid" '{"hand_raised":true}'
expect_status 200 "raising ann's hand"
ctl part list weekly; want 0 "PCMU   \(✋\|hand\)"
ctl hand weekly "$pid" down; want 0 "HAND"
ctl --json part list weekly; want 0 '"hand_raised": false'
ctl hand weekly "$pid" up; want 0 "PCMU   \(✋\|hand\)"
ctl hand weekly "$pid" down; want 0 "connected"
ctl hand weekly "$pid" sideways; want 2 "up or down"
ctl hand weekly 999 down; want 3 "404"

# sidebars, the floor, whispers, breakouts and the media policy, with a
# second caller
sipp_bg cy uac_wait_bye.xml -s weekly -key who cy
cy=$SIPP_PID
two_in() { [ "$("$CTL" part list weekly | grep -c connected)" = 2 ]; }
wait_for 5 two_in || fail "cy not listed by caucusctl"
cpid=$("$CTL" --json part list weekly | python3 -c 'import json, sys
print([p["id"] for p in json.load(sys.stdin)["participants"] if p["uri"].startswith("sip:cy@")][0])')
ctl sidebar add weekly --id side --name "Side room" --background -20
want 0 "side  Side room"
ctl sidebar add weekly --background off --by-val no; want 0 "s1 .* off"
ctl --json sidebar show weekly s1; want 0 '"by_val": false'
ctl sidebar add weekly --id side; want 4 "409"
ctl sidebar add weekly --background loud; want 2 "gain in dB or off"
ctl sidebar add weekly --by-val maybe; want 2 "yes or no"
ctl sidebar add nosuch; want 3 "404"
ctl sidebar list weekly; want 0 "-20 dB"
ctl sidebar move weekly "$pid" side; want 0 "connected .* side"
ctl sidebar show weekly side; want 0 "side  Side room  $pid"
ctl sidebar move weekly "$pid" nope; want 4 "400 .*sidebar"
ctl sidebar move weekly "$pid" main; want 0 "connected"
ctl --json part list weekly; want 0 '"sidebar": null'
ctl sidebar set weekly side --name Quiet --background off; want 0 "side  Quiet .* off"
ctl sidebar set weekly side; want 2 "say what"
ctl sidebar show weekly nope; want 3 "404"
ctl sidebar rm weekly side; want 0 "ended"
ctl sidebar rm weekly side; want 3 "404"
ctl sidebar rm weekly s1; want 0 "ended"
ctl floor weekly "$pid" on; want 0 "connected"
ctl --json part list weekly; want 0 '"floor": true'
ctl floor weekly "$pid" maybe; want 2 "on or off"
ctl floor weekly 999 on; want 3 "404"
ctl whisper weekly "$pid" "$cpid" --listen target; want 0 "$cpid (target)"
ctl whisper weekly "$pid" "$pid"; want 4 "400"
ctl whisper weekly "$pid" off --listen room; want 2 "not off"
ctl whisper weekly "$pid" "$cpid" --listen loud; want 2 "room, target or none"
ctl whisper weekly "$pid" off; want 0 "connected"
ctl --json part list weekly; want 0 '"whisper": null'
ctl floor weekly "$pid" off; want 0 "connected"
ctl breakout start weekly 2 --duration 60; want 0 "breakouts run"
grep -q "Breakout 2" "$WORK/ctl.out" || fail "no second room: $(cat "$WORK/ctl.out")"
ctl breakout start weekly 2; want 4 "409"
ctl breakout list weekly; want 0 "Breakout 1"
ctl breakout end weekly; want 0 "ended"
ctl breakout end weekly; want 4 "409"
ctl breakout start weekly 2 --assign "$pid/$cpid"; want 0 "Breakout 1  $pid "
ctl breakout end weekly; want 0 "ended"
ctl breakout start weekly 2 --assign "999/"; want 4 "400"
ctl breakout start weekly two; want 2 "whole number"
ctl breakout list weekly; want 0 "do not run"
ctl media-policy get weekly; want 0 '"sidebar_background_db": -12'
etag=$(sed -n 's/^ETag: //p' "$WORK/ctl.err")
[ -n "$etag" ] || fail "media-policy get printed no ETag: $(cat "$WORK/ctl.err")"
echo '{"lecture":{"enabled":true}}' >"$WORK/mp.json"
ctl media-policy patch weekly "$WORK/mp.json" --if-match "$etag"
want 0 '"enabled": true'
ctl media-policy patch weekly "$WORK/mp.json" --if-match "$etag"
want 4 "changed since that ETag"
echo '{"relations":[]}' >"$WORK/mp2.json"
ctl media-policy put weekly - <"$WORK/mp2.json"; want 0 '"enabled": false'
echo '{"lecture":{"enabled":"yes"}}' >"$WORK/mp3.json"
ctl media-policy put weekly "$WORK/mp3.json"; want 4 "lecture.enabled"
ctl media-policy put weekly /nonexistent; want 2 "cannot read"
ctl media-policy get nosuch; want 3 "404"
ctl part kick weekly "$cpid"; want 0 "removed"
sipp_wait "$cy" cy

# announcements: words, a prompt, to one participant; the errors
ctl announce weekly --text "the meeting starts"; want 0 "announcement [0-9]* queued"
ctl announce weekly --prompt welcome --to "$pid"; want 0 "queued for $pid"
ctl --json announce weekly --prompt welcome; want 0 '"id": '
ctl announce weekly --prompt no-such-prompt; want 3 "no such prompt"
ctl announce weekly --prompt welcome --to 999; want 3 "no such participant"
ctl announce weekly --text "$(printf 'x%.0s' $(seq 300))"; want 4 "400"
ctl announce weekly; want 2 "--text WORDS or --prompt NAME"
ctl announce weekly --text hi --prompt welcome; want 2 "--text WORDS or --prompt NAME"
ctl announce nosuch --text hi; want 3 "404"

# a recording: start, one at a time, not downloadable while on, stop,
# listed with its duration, downloaded as Ogg Opus; then one in WAV
ctl record-start weekly --format ogg; want 0 "ogg     recording"
rid=$(awk 'NR == 2 { print $1 }' "$WORK/ctl.out")
ctl record-start weekly; want 4 "409 already recording"
ctl recordings weekly; want 0 "$rid  ogg     recording"
ctl record-get weekly "$rid" -o "$WORK/rec.ogg"; want 4 "409 still recording"
# a second of it recorded (its listing then shows 0:01)
second() { "$CTL" --json recordings weekly | python3 -c "import json, sys
r = [x for x in json.load(sys.stdin)['recordings'] if x['id'] == sys.argv[1]]
sys.exit(0 if r and r[0]['duration_ms'] >= 1000 else 1)" "$rid"; }
wait_for 5 second || fail "the recording did not reach a second"
ctl record-stop weekly "$rid"; want 0 "$rid"
rec_stopped() { "$CTL" recordings weekly | grep -q "^$rid  ogg     stopped  0:0[1-9]"; }
wait_for 5 rec_stopped || fail "the recording did not stop: $("$CTL" recordings weekly)"
ctl record-stop weekly "$rid"; want 4 "409"
ctl --json recordings weekly; want 0 '"duration_ms": '
ctl record-get weekly "$rid" -o "$WORK/rec.ogg"; want 0 "(audio/ogg) to $WORK/rec.ogg"
[ "$(head -c 4 "$WORK/rec.ogg")" = OggS ] || fail "the recording is not Ogg: $(head -c 16 "$WORK/rec.ogg" | od -c)"
[ "$(stat -c %s "$WORK/rec.ogg")" -gt 1000 ] || fail "the recording is nearly empty"
ctl record-get weekly "$rid"; want 2 "record-get CONF RID -o FILE"
ctl record-get weekly "$rid" -o; want 2 "record-get CONF RID -o FILE"
ctl record-get weekly "$rid" -o /nonexistent/rec.ogg; want 2 "cannot write"
ctl record-get weekly 20000101T000000Z -o "$WORK/none"; want 3 "404"
ctl record-start weekly --format mp3; want 4 "400"
ctl --json record-start weekly --format wav; want 0 '"format": "wav"'
wid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <"$WORK/ctl.out")
ctl record-stop weekly "$wid"; want 0 "wav"
wav_stopped() { "$CTL" --json record-get weekly "$wid" -o "$WORK/rec.wav" >/dev/null 2>&1; }
wait_for 5 wav_stopped || fail "the WAV recording cannot be fetched"
[ "$(head -c 4 "$WORK/rec.wav")" = RIFF ] || fail "the WAV recording is not RIFF"
ctl recordings nosuch; want 3 "404"
ctl msg send weekly "hello room"; want 0 "sent to 1"
ctl msg list weekly; want 0 "hello room"
ctl events --conf weekly --count 1; want 0 "weekly v"
ctl --json events --count 1; want 0 '"type"'
ctl part kick weekly "$pid"; want 0 "removed"
sipp_wait "$ann" ann

ctl conf destroy weekly; want 0 "destroyed"
stop_caucusd
log PASS
