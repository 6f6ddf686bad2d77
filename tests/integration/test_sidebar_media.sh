#!/bin/bash
# Who hears whom (issue 17), by the level an FFT measures in what five
# baresip clients (PCMU) record. a, b, c and d send 400, 700, 1000 and
# 1300 Hz at -20 dBFS; l sends almost nothing (a listener). Phases, each
# about 2.5 s of what the clients record, every level compared with
# phase 1 (within TOL, 1 dB):
#   1. everyone hears everyone;
#   2. c and d in a sidebar (main conference at -12 dB): they hear each
#      other at full level and a and b 12 dB down; a, b and l do not
#      hear them;
#   3. a media policy: participants hear moderators (d) at +6 dB (by
#      role), l hears a at -6 dB (by participant id) and not b (by URI);
#   4. no relations; a whispers to l: l hears a, b does not;
#   5. the sidebar deleted (c and d back), the whisper over: everyone
#      hears everyone again;
#   6. lecture mode with a the lecturer: l hears a, not b or c;
#   7. b given the floor: l hears b too.
# The moves into and out of the sidebar keep each call (same
# participant, same dialog) and leave no gap over 40 ms in what c hears.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
C=/v1/conferences/demo
TOL=1
# d is a moderator (a role for the role relation of phase 3)
api PATCH $C/policy '{"users":[{"aor":"sip:d@127.0.0.1","role":"moderator"}]}'
expect_status 200 "d's entry"

BS_PIDS=""
pcmu_caller "$WORK/bs-a" a demo 400 0.1
pcmu_caller "$WORK/bs-b" b demo 700 0.1
pcmu_caller "$WORK/bs-c" c demo 1000 0.1
pcmu_caller "$WORK/bs-d" d demo 1300 0.1
pcmu_caller "$WORK/bs-l" l demo 1700 0.001
wait_connected 20 demo 5 "five baresip clients did not connect"
api GET $C
for n in a b c d l; do
	eval "P$n=\$(pid_of $n)"
	[ -n "$(eval echo "\$P$n")" ] || fail "no id for $n: $BODY"
done
port_c=$(json_field "$(part_of demo c)" local_port)
NAMES="a b c d l"
wait_for 10 recording_all || fail "the clients do not record"

call() { # METHOD PATH JSON STATUS
	api "$1" "$2" "${3:-}"
	expect_status "$4" "$1 $2 ${3:-}"
}

phase 1
call POST $C/sidebars '{"id":"team","display_text":"Team","background_db":-12}' 201
call POST $C/sidebars/team/members "{\"participant\":\"$Pc\"}" 200
call POST $C/sidebars/team/members "{\"participant\":\"$Pd\"}" 200
phase 2
[ "$(json_field "$(part_of demo d)" role)" = moderator ] ||
	fail "d is not a moderator: $(part_of demo d)"
call PUT $C/media-policy "{\"relations\":[
	{\"listener\":{\"role\":\"participant\"},\"speaker\":{\"role\":\"moderator\"},\"gain_db\":6},
	{\"listener\":{\"participant\":\"$Pl\"},\"speaker\":{\"participant\":\"$Pa\"},\"gain_db\":-6},
	{\"listener\":{\"participant\":\"$Pl\"},\"speaker\":{\"uri\":\"sip:b@127.0.0.1\"},\"hears\":false}]}" 200
phase 3
call PUT $C/media-policy '{}' 200
call PATCH $C/participants/$Pa "{\"whisper\":{\"to\":\"$Pl\"}}" 200
phase 4
call DELETE $C/sidebars/team "" 204
call PATCH $C/participants/$Pa '{"whisper":null}' 200
phase 5
call PATCH $C/media-policy "{\"lecture\":{\"enabled\":true,\"lecturers\":[{\"participant\":\"$Pa\"}]}}" 200
phase 6
call PATCH $C/participants/$Pb '{"floor":true}' 200
phase 7
mark 8
# the same call all along: the same participant on the same port, one
# INVITE from c (no new dialog), and one join in the log
[ "$(json_field "$(part_of demo c)" local_port)" = "$port_c" ] ||
	fail "c's media moved with the sidebar: $(part_of demo c)"
[ "$(json_field "$(part_of demo c)" id)" = "$Pc" ] || fail "c is not $Pc"
[ "$(grep -c 'msg="joined".*uri=sip:c@' "$WORK/caucusd.log")" = 1 ] ||
	fail "c joined more than once: $(grep 'uri=sip:c@' "$WORK/caucusd.log")"
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

declare -A F=([a]=400 [b]=700 [c]=1000 [d]=1300)
declare -A LV
# the four tones' levels in one window: one tonecheck, which measures
# each --expect frequency on its own (what tone_level gives one at a
# time), its lines read here; 35 windows, 140 levels
levels_in() { # WAV WINDOW: sets LV[$n,$ph,SPEAKER] for a, b, c and d
	local s out key hz lv
	# shellcheck disable=SC2086
	out=$("$BIN/tonecheck" "$1" $2 --expect 400,700,1000,1300) || true
	for s in a b c d; do LV[$n,$ph,$s]=""; done
	while read -r key hz _ lv _; do
		[ "$key" = expect ] || continue
		for s in a b c d; do
			[ "${F[$s]}" = "$hz" ] && LV[$n,$ph,$s]=$lv
		done
	done <<<"$out"
}
for n in $NAMES; do
	rec=$(recording "$WORK/bs-$n")
	[ -n "$rec" ] || fail "no recording from $n"
	# (rec_window's offset of the samples, read once per recording)
	off=$(rec_offset "$rec")
	for ph in 1 2 3 4 5 6 7; do
		skip=0.6
		[ "$ph" = 1 ] && skip=1
		w=$(rec_window "$rec" "${MARK[$n,$ph]}" "${END[$n,$ph]}" \
			$skip "$off")
		levels_in "$rec" "$w"
	done
done
log "levels (dBFS) in phases 1 to 7:"
for n in $NAMES; do
	for s in a b c d; do
		[ "$n" = "$s" ] && continue
		row=""
		for ph in 1 2 3 4 5 6 7; do row="$row ${LV[$n,$ph,$s]}"; done
		log "  $n hears $s:$row"
	done
done

for n in $NAMES; do
	for s in a b c d; do
		[ "$n" = "$s" ] && continue
		near "${LV[$n,1,$s]}" -20 3 ||
			fail "phase 1: $n hears $s at ${LV[$n,1,$s]} dBFS"
	done
done
expect_level c d 2 0 "sidebar members hear each other"
expect_level d c 2 0 "sidebar members hear each other"
expect_level c a 2 -12 "the main conference in the background"
expect_level d b 2 -12 "the main conference in the background"
expect_level a c 2 off "the main conference does not hear the sidebar"
expect_level l d 2 off "the main conference does not hear the sidebar"
expect_level l a 2 0 "the main conference as before"
expect_level l a 3 -6 "a relation: l hears a at -6 dB"
expect_level l b 3 off "a relation: l does not hear b"
expect_level a b 3 0 "others untouched by l's relations"
expect_level c d 3 6 "a role relation: participants hear moderators at +6 dB"
expect_level d c 3 0 "the moderator hears a participant as before"
expect_level l a 4 0 "a whispers to l"
expect_level b a 4 off "b does not hear the whisper"
expect_level c a 4 off "nor does the sidebar"
expect_level a c 5 0 "back from the sidebar"
expect_level c a 5 0 "back from the sidebar"
expect_level l a 6 0 "lecture: the lecturer is heard"
expect_level l b 6 off "lecture: b is not"
expect_level l c 6 off "lecture: c is not"
expect_level a b 6 off "lecture: not even by the lecturer"
expect_level l b 7 0 "b given the floor"
expect_level l c 7 off "c still not"

# no gap over 40 ms in what c heard of b while it moved in and out (b
# at full level, then in the background, then full again): in 10 ms
# frames, a gap of 50 ms or more leaves at least 0.05 s inactive
rec=$(recording "$WORK/bs-c")
for span in "1 3" "4 6"; do
	set -- $span
	env=$(python3 "$SRC/tests/integration/audio_env.py" "$rec" \
		--from-byte $(( MARK[c,$1] + 16000 )) \
		--to-byte $(( MARK[c,$2] - 1600 )) --freq 700 \
		--threshold -45 --frame-ms 10)
	act=$(printf '%s\n' "$env" | sed -n 's/^active_s=//p')
	spn=$(printf '%s\n' "$env" | sed -n 's/^span_s=//p')
	log "c hears b over phases $1 to $(( $2 - 1 )): active ${act}s of ${spn}s"
	awk -v a="$act" -v s="$spn" 'BEGIN { exit !(s > 2 && s - a < 0.045) }' ||
		fail "a gap in what c heard while moving (phases $1-$2): $env"
done
log PASS
