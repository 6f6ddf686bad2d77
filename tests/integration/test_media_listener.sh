#!/bin/bash
# Listeners are never heard (docs/api.md, the policy's users). Three
# baresip clients (PCMU) send 400 (s), 700 (b) and 1100 Hz (c) at
# -20 dBFS and record what they hear; s's policy entry makes it a
# listener before it calls. An FFT over four phases, each 3 s of what the
# clients record:
#   1. s, a listener, is heard by nobody and hears b and c;
#   2. the API is asked to unmute s: refused (409, a listener is never
#      heard), s stays muted and nobody hears it;
#   3. the policy makes s a participant: it is unmuted (the API says so)
#      and b and c hear it, as loud as each other's tone;
#   4. the policy makes s a listener again: muted, nobody hears it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
C=/v1/conferences/demo
HEARD=-26      # dBFS: a tone sent at -20 dBFS and heard is above this
UNHEARD=-50    # and one not mixed is below this (measured: under -100)

entry() { # ROLE: s's policy entry says so
	api PATCH $C/policy "{\"users\":[{\"aor\":\"sip:s@127.0.0.1\",\"role\":\"$1\"}]}"
	expect_status 200 "policy: s is a $1"
}
entry listener

BS_PIDS=""
pcmu_caller "$WORK/bs-s" s demo 400 0.1
pcmu_caller "$WORK/bs-b" b demo 700 0.1
pcmu_caller "$WORK/bs-c" c demo 1100 0.1
wait_connected 15 demo 3 "three baresip clients did not connect"
api GET $C
PS=$(pid_of s)
[ -n "$PS" ] || fail "no participant s: $BODY"
recording_all() {
	local n
	for n in s b c; do
		[ "$(rec_bytes "$WORK/bs-$n")" -gt 8100 ] || return 1
	done
}
wait_for 10 recording_all || fail "the clients do not record"
role_is() { api GET "$C/participants/$PS"; [ "$(json_field "$BODY" role)" = "$1" ]; }
role_is listener || fail "s is not shown as a listener: $BODY"

declare -A MARK
# A phase starts (its marks) before the change it tests is made, and
# lasts until s has recorded 3 s more; its window skips the first 0.8 s
# (rec_window), so the change has settled and none of it leaks into the
# phase before, however long the API calls take on a loaded machine
mark() { # N
	local n
	for n in s b c; do MARK[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
	log "phase $1"
}
hold() { wait_heard "$WORK/bs-s" "${MARK[s,$1]}" 3; }
phase() { mark "$1"; [ "$1" = end ] || hold "$1"; }

phase 1
muted_is() { api GET "$C/participants/$PS"; [ "$(json_field "$BODY" muted)" = "$1" ]; }
muted_is true || fail "a listener is not shown muted: $BODY"
api PATCH "$C/participants/$PS" '{"muted":false}'
expect_status 409 "unmute the listener"
printf '%s' "$BODY" | grep -q 'listener' || fail "409 without why: $BODY"
muted_is true || fail "the refused unmute changed s: $BODY"
phase 2
mark 3
entry participant
role_is participant || fail "s is not a participant now: $BODY"
muted_is false || fail "a listener made a participant stays muted: $BODY"
hold 3
mark 4
entry listener
role_is listener || fail "s is not a listener again: $BODY"
muted_is true || fail "a participant made a listener is not muted: $BODY"
hold 4
phase end
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

declare -A LV
next() { case $1 in 4) echo end ;; *) echo $(( $1 + 1 )) ;; esac; }
for n in s b c; do
	rec=$(recording "$WORK/bs-$n")
	[ -n "$rec" ] || fail "no recording from $n"
	for ph in 1 2 3 4; do
		w=$(rec_window "$rec" "${MARK[$n,$ph]}" \
			"${MARK[$n,$(next $ph)]}" 0.8)
		for f in 400 700 1100; do
			LV[$n,$ph,$f]=$(tone_level "$rec" "$w" $f)
		done
	done
done
log "levels (dBFS), phases 1 2 3 4:"
for n in s b c; do
	for f in 400 700 1100; do
		log "  $n hears $f Hz: ${LV[$n,1,$f]} ${LV[$n,2,$f]}" \
			"${LV[$n,3,$f]} ${LV[$n,4,$f]}"
	done
done
heard() { awk -v l="${LV[$1,$2,$3]}" -v t=$HEARD 'BEGIN { exit !(l != "" && l > t) }'; }
unheard() { awk -v l="${LV[$1,$2,$3]}" -v t=$UNHEARD 'BEGIN { exit !(l != "" && l < t) }'; }
for ph in 1 2 3 4; do
	for who in b,c c,b; do
		n=${who%,*} o=${who#*,}
		f=$([ "$o" = b ] && echo 700 || echo 1100)
		heard "$n" $ph "$f" ||
			fail "phase $ph: $n does not hear $o (${LV[$n,$ph,$f]})"
		heard s $ph "$f" ||
			fail "phase $ph: the listener does not hear $o (${LV[s,$ph,$f]})"
	done
done
for ph in 1 2 4; do
	for n in b c; do
		unheard "$n" $ph 400 ||
			fail "phase $ph: $n hears the listener (${LV[$n,$ph,400]} dBFS)"
	done
done
for n in b c; do
	heard "$n" 3 400 ||
		fail "phase 3: $n does not hear s as a participant (${LV[$n,3,400]})"
done
log PASS
