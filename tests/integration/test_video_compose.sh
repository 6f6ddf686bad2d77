#!/bin/bash
# Composed video (issue 19): continuous presence. Four callers of our
# own (caucus-vidpeer), two VP8 and two H.264, each sending one colour;
# with the conference in composed mode, 2x2, every one of them receives
# one picture, in its own codec, with each participant's colour in its
# tile in the conference's order (the speaker first), checked by the
# mean colour of each quarter; the tiles follow who talks; layout 1 is
# the speaker alone; back to switched video, each stream goes on
# unbroken.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/video_lib.sh"
start_caucusd
C=/v1/conferences/demo
A=60,100,150
B=120,160,90
D=200,90,170
E=90,200,60
BLACK=16,128,128

vp_start a demo vp8 $A --tone 400 --grid 2
wait_connected 15 demo 1 "a did not connect"
vp_start b demo h264 $B --tone 700 --grid 2
wait_connected 15 demo 2 "b did not connect"
vp_start d demo vp8 $D --tone 1000 --grid 2
wait_connected 15 demo 3 "d did not connect"
vp_start e demo h264 $E --tone 1300 --grid 2
wait_connected 15 demo 4 "e did not connect"
wait_for 5 vp_sees d $A || fail "d does not see a (switched)"

api PATCH $C/video '{"mode":"composed","layout":"2x2"}'
expect_status 200 "composed 2x2"
declare -A T
now_all() { for n in a b d e; do T[$n]=$(vp_now $n); done; }
grid_all() { # the colours every one of them sees
	local n
	for n in a b d e; do
		wait_for 8 vp_grid $n "${T[$n]}" "$@" ||
			fail "$n does not see the tiles $*: $(grep '^frame' \
				"$WORK/vp-$n/log" | tail -1)"
	done
}
now_all
grid_all $A $B $D $E
# the forwarder reports what each sees once a second
all_composed() {
	api GET $C/participants
	[ "$(printf '%s' "$BODY" | grep -o '"sees":"composed"' | wc -l)" = 4 ]
}
wait_for 3 all_composed ||
	fail "the API does not say they see the composed picture: $BODY"

# d talks: it goes first, a (the speaker before) second
now_all
vp_cmd d "talk on"
wait_for 5 grep -q 'msg="video speaker" conf=demo pid=3' \
	"$WORK/caucusd.log" || fail "d is not the speaker"
grid_all $D $A $B $E
vp_cmd d "talk off"

# layout 1: the speaker alone
api PATCH $C/video '{"layout":"1"}'
expect_status 200 "layout 1"
now_all
grid_all $D $D $D $D

# back to switched video, in the same streams: the VP8 callers see the
# speaker (d sees a, the one before), the H.264 ones each other
api PATCH $C/video '{"mode":"switched"}'
expect_status 200 "switched"
now_all
wait_for 8 vp_sees a $D "${T[a]}" || fail "a does not see d"
wait_for 8 vp_sees d $A "${T[d]}" || fail "d does not see a"
wait_for 8 vp_sees b $E "${T[b]}" || fail "b does not see e"
wait_for 8 vp_sees e $B "${T[e]}" || fail "e does not see b"

for n in a b d e; do
	vp_quit $n
	log "$n: $SUMMARY"
	summary_is ssrc_changes 0
	summary_is seq_gaps 0
	summary_is decode_errors 0
done
stop_caucusd
log "PASS"
