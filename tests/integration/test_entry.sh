#!/bin/bash
# The built-in announcements as a conference has them by default (the
# other tests turn them off to hear the room alone: lib.sh quiet_room):
# a, alone, is told so ("You are the only participant...": about 2 s of
# speech in its recording); when b joins, a hears the entry tone (784 Hz)
# and b is not told it is alone (nothing but the short tone in its
# speech band); when b leaves, a hears the exit tone.
CAUCUS_PROMPTS=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
ENV="$SRC/tests/integration/audio_env.py"
start_caucusd

BS_PIDS=""
BS_SECONDS=30 pcmu_caller "$WORK/bs-a" a demo 1000 0.00003
wait_connected 15 demo 1 "a did not connect"
wait_heard "$WORK/bs-a" 0 4
a1=$(rec_bytes "$WORK/bs-a")
BS_SECONDS=6 pcmu_caller "$WORK/bs-b" b demo 1000 0.00003
B=${BS_PIDS##* }
wait_connected 15 demo 2 "b did not connect"
wait_heard "$WORK/bs-a" "$a1" 2
a2=$(rec_bytes "$WORK/bs-a")
b2=$(rec_bytes "$WORK/bs-b")
# b hangs up after 6 s: a hears the exit tone
left() { [ "$(json_field "$(get /v1/conferences/demo)" participant_count)" = 1 ]; }
wait_for 15 left || fail "b did not leave"
wait_heard "$WORK/bs-a" "$(rec_bytes "$WORK/bs-a")" 1.5
a3=$(rec_bytes "$WORK/bs-a")
# shellcheck disable=SC2086
baresip_finish $BS_PIDS
ra=$(recording "$WORK/bs-a")
rb=$(recording "$WORK/bs-b")
[ -n "$ra" ] && [ -n "$rb" ] || fail "no recordings"
alone=$(python3 "$ENV" "$ra" --to-byte "$a1" | sed -n 's/^active_s=//p')
log "a alone: ${alone} s of speech"
awk -v s="$alone" 'BEGIN { exit !(s > 1.2 && s < 5) }' ||
	fail "a was not told it is alone (${alone} s of speech)"
entry=$(tone_level "$ra" "$(rec_window "$ra" "$a1" "$a2" 0)" 784)
exit_=$(tone_level "$ra" "$(rec_window "$ra" "$a2" "$a3" 0)" 523)
log "a hears the entry tone at $entry dBFS (784 Hz), the exit tone at $exit_ (523 Hz)"
awk -v v="$entry" 'BEGIN { exit !(v > -40) }' || fail "no entry tone ($entry)"
awk -v v="$exit_" 'BEGIN { exit !(v > -40) }' || fail "no exit tone ($exit_)"
bspeech=$(python3 "$ENV" "$rb" --to-byte "$b2" | sed -n 's/^active_s=//p')
log "b, not alone: ${bspeech} s in its speech band (the entry tone)"
awk -v s="$bspeech" 'BEGIN { exit !(s < 0.8) }' ||
	fail "b was told something more than the tone (${bspeech} s)"
log PASS
