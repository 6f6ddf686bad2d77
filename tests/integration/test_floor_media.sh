#!/bin/bash
# Media that follows the floor (issue 18), by the level an FFT measures in
# what three baresip clients (PCMU) record: a and b send 400 and 700 Hz at
# -20 dBFS, l sends almost nothing. Phases of 2.5 s, levels against
# phase 1 (within 1 dB):
#   1. floor control off: everyone hears everyone;
#   2. floor control on (chair-moderated), nobody holds the floor:
#      nobody is heard;
#   3. a's request granted: l and b hear a, nobody hears b;
#   4. a's floor revoked, b's request granted: l hears b, not a;
#   5. automatic, two holders, a requests again: both are heard.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
C=/v1/conferences/demo
TOL=1

BS_PIDS=""
pcmu_caller "$WORK/bs-a" a demo 400 0.1
pcmu_caller "$WORK/bs-b" b demo 700 0.1
pcmu_caller "$WORK/bs-l" l demo 1700 0.001
wait_connected 15 demo 3 "three baresip clients did not connect"
api GET $C
PA=$(pid_of a)
PB=$(pid_of b)
[ -n "$PA" ] && [ -n "$PB" ] || fail "ids: $BODY"
NAMES="a b l"
wait_for 10 recording_all || fail "the clients do not record"
call() { # METHOD PATH JSON STATUS
	api "$1" "$2" "${3:-}"
	expect_status "$4" "$1 $2 ${3:-}"
}
request() { # PID: its request's id
	call POST $C/floors/1/requests "{\"participant\":\"$1\"}" 201
	json_field "$BODY" id
}

phase 1
call PATCH $C/floors/1 '{"enabled":true,"mode":"chair","max_holders":1}' 200
RA=$(request "$PA")
RB=$(request "$PB")
phase 2
call POST "$C/floors/1/requests/$RA/grant" '' 200
phase 3
call POST "$C/floors/1/requests/$RA/revoke" '' 200
call POST "$C/floors/1/requests/$RB/grant" '' 200
phase 4
call PATCH $C/floors/1 '{"mode":"auto","max_holders":2}' 200
request "$PA" >/dev/null
phase 5
mark 6
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

declare -A F=([a]=400 [b]=700)
declare -A LV
for n in $NAMES; do
	rec=$(recording "$WORK/bs-$n")
	[ -n "$rec" ] || fail "no recording from $n"
	for ph in 1 2 3 4 5; do
		skip=0.6
		[ "$ph" = 1 ] && skip=1
		w=$(rec_window "$rec" "${MARK[$n,$ph]}" \
			"${MARK[$n,$((ph + 1))]}" $skip)
		for s in a b; do
			LV[$n,$ph,$s]=$(tone_level "$rec" "$w" "${F[$s]}")
		done
	done
done
for n in $NAMES; do
	for s in a b; do
		[ "$n" = "$s" ] && continue
		log "  $n hears $s: ${LV[$n,1,$s]} ${LV[$n,2,$s]}" \
			"${LV[$n,3,$s]} ${LV[$n,4,$s]} ${LV[$n,5,$s]}"
	done
done
near "${LV[l,1,a]}" -20 3 || fail "phase 1: l hears a at ${LV[l,1,a]} dBFS"
near "${LV[l,1,b]}" -20 3 || fail "phase 1: l hears b at ${LV[l,1,b]} dBFS"
expect_level l a 2 off "floor control, no holder: a not heard"
expect_level l b 2 off "floor control, no holder: b not heard"
expect_level l a 3 0 "a holds the floor: heard"
expect_level b a 3 0 "a holds the floor: b hears it"
expect_level l b 3 off "b waits: not heard"
expect_level a b 3 off "b waits: not even by a"
expect_level l b 4 0 "b holds the floor"
expect_level l a 4 off "a's floor revoked"
expect_level l a 5 0 "automatic, two holders: a"
expect_level l b 5 0 "automatic, two holders: b"
log PASS
