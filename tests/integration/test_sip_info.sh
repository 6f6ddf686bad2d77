#!/bin/bash
# Keypad digits by SIP INFO in a call (docs/sip.md, "Keypad digits by
# INFO"): a sipp caller joins the demo conference, over UDP and then TCP,
# and presses keys by INFO (application/dtmf-relay and application/dtmf:
# 200), sends a malformed body (400), a picture fast update (415 with
# Accept) and an empty INFO (200). Each digit must reach the keypad
# (part_dtmf), which caucusd logs at debug level (lib.sh starts it so) as
# msg="dtmf" with how=info. A flood of 40 digits is answered 200
# throughout but only 20 a second are taken. INFO outside any call: 481.
# A caller with video asking a keyframe by INFO (RFC 5168): 200.
. "$(dirname "$0")/lib.sh"
start_caucusd

# digits: how many msg="dtmf" lines for DIGIT by INFO are in the log
digits() {
	grep -c "msg=\"dtmf\" conf=demo pid=[0-9]* digit=$1 how=info" \
		"$WORK/caucusd.log" || true
}

# over UDP, then TCP: each digit once more
n=0
for tp in u1 t1; do
	sipp_run "info-$tp" info_dtmf.xml -s demo -t "$tp"
	n=$((n + 1))
	for d in 5 7 '\*'; do
		[ "$(digits "$d")" = "$n" ] || fail "$tp: digit $d by INFO" \
			"did not reach the keypad once (found $(digits "$d"))"
	done
	# the refused ones gave no digit: 5, 7 and * are all there is
	[ "$(grep -c 'how=info' "$WORK/caucusd.log")" = $((3 * n)) ] ||
		fail "$tp: digits other than 5, 7 and * reached the keypad"
done

sipp_run info-ood info_ood.xml -s demo
[ "$(digits 3)" = 0 ] || fail "a digit outside any call was taken"

# 40 as fast as the answers come: far below a second on loopback
sipp_run info-flood info_flood.xml -s demo
nines=$(digits 9)
log "flood: $nines of 40 digits taken"
[ "$nines" -ge 20 ] && [ "$nines" -lt 40 ] ||
	fail "flood: $nines of 40 digits taken, want 20 (at most 20 a second)"
drops=$(grep -c 'msg="dtmf over the limit, dropped"' "$WORK/caucusd.log" ||
	true)
[ "$drops" = 1 ] ||
	fail "flood: dropping logged $drops times in the call, want once"
left() { [ "$(json_field "$(get /v1/conferences/demo)" \
	participant_count)" = 0 ]; }
wait_for 3 left || fail "participant still listed after BYE"
grep -q "were dropped\" call_id=.* dropped=$((40 - nines))\$" \
	"$WORK/caucusd.log" ||
	fail "flood: the number dropped was not logged when the call ended"

alive
sipp_run video-info uac_video_info.xml -s demo
grep -q 'msg="video not taken"' "$WORK/caucusd.log" &&
	fail "the video caller's video was not taken"
stop_caucusd
log PASS
