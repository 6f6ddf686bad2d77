#!/bin/bash
# Gains change what others hear, by the level an FFT measures. Three
# baresip clients (PCMU): a sends 400 Hz and b 700 Hz at -20 dBFS; l sends
# almost nothing (-60 dBFS, not talking), so it hears the shared frame of
# those who are not mixed. Each records what it hears. Four phases, each
# 3 s of what the clients record, every level compared with phase 1:
#   1. all at unity;
#   2. a's gain_in_db -12: l and b hear 400 Hz 12 dB lower, 700 Hz as
#      before;
#   3. a back to 0, b's gain_in_db +6: l and a hear 700 Hz 6 dB higher,
#      400 Hz as before;
#   4. b back to 0, l's gain_out_db -9 and a's gain_out_db +6: l hears
#      both tones 9 dB lower (its own frame instead of the shared one), a
#      hears 700 Hz 6 dB higher, b hears 400 Hz as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
P=/v1/conferences/demo/participants
TOL=2          # dB; a gain that does nothing misses by 6 dB or more

BS_PIDS=""
pcmu_caller "$WORK/bs-a" a demo 400 0.1
pcmu_caller "$WORK/bs-b" b demo 700 0.1
pcmu_caller "$WORK/bs-l" l demo 1700 0.001
wait_connected 15 demo 3 "three baresip clients did not connect"
api GET /v1/conferences/demo
PA=$(pid_of a)
PB=$(pid_of b)
PL=$(pid_of l)
[ -n "$PA" ] && [ -n "$PB" ] && [ -n "$PL" ] || fail "ids: $BODY"
# every client records already (half a second past the WAV header)
recording_all() {
	local n
	for n in a b l; do
		[ "$(rec_bytes "$WORK/bs-$n")" -gt 8100 ] || return 1
	done
}
wait_for 10 recording_all || fail "the clients do not record"

declare -A MARK
mark() { # PHASE: where it starts in each recording
	local n
	for n in a b l; do MARK[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
}
patch() { # PID JSON
	api PATCH "$P/$1" "$2"
	expect_status 200 "PATCH $2"
}
phase() { # N: lasts until l has recorded 3 s more
	mark "$1"
	log "phase $1"
	wait_heard "$WORK/bs-l" "${MARK[l,$1]}" 3
}

phase 1
patch "$PA" '{"gain_in_db":-12}'
[ "$(json_num "$BODY" gain_in_db)" = -12 ] || fail "gain not shown: $BODY"
phase 2
patch "$PA" '{"gain_in_db":0}'
patch "$PB" '{"gain_in_db":6}'
phase 3
patch "$PB" '{"gain_in_db":0}'
patch "$PL" '{"gain_out_db":-9}'
patch "$PA" '{"gain_out_db":6}'
phase 4
mark 5
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

declare -A LV
for n in a b l; do
	rec=$(recording "$WORK/bs-$n")
	[ -n "$rec" ] || fail "no recording from $n"
	for ph in 1 2 3 4; do
		# the first phase starts as the calls settle: skip more of it
		skip=0.6
		[ "$ph" = 1 ] && skip=1
		w=$(rec_window "$rec" "${MARK[$n,$ph]}" \
			"${MARK[$n,$((ph + 1))]}" $skip)
		for f in 400 700; do
			LV[$n,$ph,$f]=$(tone_level "$rec" "$w" $f)
		done
	done
done
log "levels (dBFS), phases 1 2 3 4:"
for n in a b l; do
	for f in 400 700; do
		log "  $n hears $f Hz: ${LV[$n,1,$f]} ${LV[$n,2,$f]}" \
			"${LV[$n,3,$f]} ${LV[$n,4,$f]}"
	done
done

# expect WHO FREQ PHASE CHANGE_DB WHY: the level in PHASE is phase 1's
# plus CHANGE_DB, within TOL
expect() {
	local got
	got=$(awk -v a="${LV[$1,$3,$2]}" -v b="${LV[$1,1,$2]}" \
		'BEGIN { printf "%.1f", a - b }')
	near "$got" "$4" "$TOL" ||
		fail "$5: $1 hears $2 Hz ${got} dB from phase 1, want $4"
	log "ok: $5: $1 hears $2 Hz ${got} dB (want $4)"
}
# phase 1: everyone hears the others at the level they send, not itself
for pair in l,400 l,700 b,400 a,700; do
	lv=${LV[${pair%,*},1,${pair#*,}]}
	near "$lv" -20 3 || fail "phase 1: ${pair%,*} hears ${pair#*,} Hz at $lv dBFS"
done
awk -v x="${LV[a,1,400]}" -v y="${LV[b,1,700]}" \
	'BEGIN { exit !(x < -45 && y < -45) }' ||
	fail "phase 1: a or b hears itself (${LV[a,1,400]}, ${LV[b,1,700]})"
expect l 400 2 -12 "a's gain_in -12"
expect b 400 2 -12 "a's gain_in -12"
expect l 700 2 0 "b untouched"
expect l 700 3 6 "b's gain_in +6"
expect a 700 3 6 "b's gain_in +6"
expect l 400 3 0 "a back to unity"
expect l 400 4 -9 "l's gain_out -9"
expect l 700 4 -9 "l's gain_out -9"
expect a 700 4 6 "a's gain_out +6"
expect b 400 4 0 "b's unity gain_out"
log PASS
