#!/bin/bash
# Media is taken only from its owner (util/msource.c). Two baresip clients
# (PCMU) send 400 (a) and 700 Hz (b) at -20 dBFS and record what they
# hear; h (holdcall.py) sends 1000 Hz. Three phases, each 3 s of a's
# recording:
#   1. everyone: a hears 700 and 1000 Hz, b hears 400 and 1000 Hz;
#   2. a stranger (stranger.py) sends 1500 Hz at -10 dBFS, louder than
#      anyone, from two addresses of its own to a's, b's and h's RTP
#      ports, and receiver reports to their RTCP ports: nobody hears
#      1500 Hz, the others are still heard, and the drops are counted;
#   3. h's NAT re-maps: h falls silent, then the same stream (SSRC and
#      sequence running on) comes from a new port: the focus follows it
#      (a and b hear 1000 Hz again; h's new port gets the room's audio).
# ctest runs it with a port pair per call and with the threads' ports.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
C=/v1/conferences/demo
HEARD=-26      # dBFS: a tone sent at -20 dBFS and heard is above this
UNHEARD=-50    # and one not mixed is below this

BS_PIDS=""
pcmu_caller "$WORK/bs-a" a demo 400 0.1
pcmu_caller "$WORK/bs-b" b demo 700 0.1
holdcall_start demo 1000
wait_connected 15 demo 3 "a, b and h did not connect"
api GET $C
conf=$BODY
ports=""
for n in a b h; do
	BODY=$conf
	pid=$(pid_of "$n")
	[ -n "$pid" ] || fail "no participant $n: $conf"
	api GET "$C/participants/$pid"
	ports="$ports $(json_num "$BODY" local_port)"
done
log "media ports:$ports"
recording_all() {
	[ "$(rec_bytes "$WORK/bs-a")" -gt 8100 ] &&
		[ "$(rec_bytes "$WORK/bs-b")" -gt 8100 ]
}
wait_for 10 recording_all || fail "the clients do not record"

declare -A MARK
mark() { MARK[a,$1]=$(rec_bytes "$WORK/bs-a"); MARK[b,$1]=$(rec_bytes "$WORK/bs-b"); }
heard_for() { wait_heard "$WORK/bs-a" "${MARK[a,$1]}" "$2"; }

mark 1
log "phase 1: everyone"
heard_for 1 3
mark 2
log "phase 2: a stranger at every media port"
# shellcheck disable=SC2086
python3 "$SRC/tests/integration/stranger.py" 1500 $ports \
	2>"$WORK/stranger.err" &
STRANGER=$!
CHILDREN="$CHILDREN $STRANGER"
heard_for 2 3
kill "$STRANGER"
wait "$STRANGER" 2>/dev/null || true
mark 3
log "phase 3: h's NAT re-maps"
h_cmd remap remapped
heard_for 3 3
mark end
m=$(curl -s "$API/metrics")
dropped=$(printf '%s\n' "$m" | awk '/^caucus_rtp_strangers_dropped_total / {s += $2}
	/^caucus_rtp_unmatched_packets_total/ {s += $2} END {print s + 0}')
h_cmd bye done
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

log "stranger packets dropped: $dropped"
[ "$dropped" -gt 100 ] || fail "the stranger's packets were not counted: $m"
grep -q '^rx remapped [1-9]' "$WORK/h.out" ||
	fail "nothing reached h's new port: $(cat "$WORK/h.out")"
declare -A LV
next() { case $1 in 3) echo end ;; *) echo $(( $1 + 1 )) ;; esac; }
for n in a b; do
	rec=$(recording "$WORK/bs-$n")
	[ -n "$rec" ] || fail "no recording from $n"
	for ph in 1 2 3; do
		# phase 3 from 1.5 s in: the gap and the probation first
		skip=0.8
		[ "$ph" = 3 ] && skip=1.5
		w=$(rec_window "$rec" "${MARK[$n,$ph]}" \
			"${MARK[$n,$(next $ph)]}" $skip)
		log "  $n phase $ph: $w"
		for f in 400 700 1000 1500; do
			LV[$n,$ph,$f]=$(tone_level "$rec" "$w" $f)
		done
	done
done
log "levels (dBFS) of 400 700 1000 1500 Hz, phases 1 2 3:"
for n in a b; do
	for ph in 1 2 3; do
		log "  $n $ph: ${LV[$n,$ph,400]} ${LV[$n,$ph,700]}" \
			"${LV[$n,$ph,1000]} ${LV[$n,$ph,1500]}"
	done
done
above() { awk -v l="$1" -v t="$2" 'BEGIN { exit !(l != "" && l > t) }'; }
below() { awk -v l="$1" -v t="$2" 'BEGIN { exit !(l != "" && l < t) }'; }
other() { [ "$1" = a ] && echo 700 || echo 400; }
for n in a b; do
	for ph in 1 2 3; do
		above "${LV[$n,$ph,$(other $n)]}" $HEARD ||
			fail "phase $ph: $n does not hear the other client"
		above "${LV[$n,$ph,1000]}" $HEARD ||
			fail "phase $ph: $n does not hear h (${LV[$n,$ph,1000]})"
	done
	below "${LV[$n,2,1500]}" $UNHEARD ||
		fail "phase 2: $n hears the stranger (${LV[$n,2,1500]} dBFS)"
done
"$BIN/tonecheck" "$WORK/h.out-remapped.wav" --from 0.5 --expect 400,700 \
	>"$WORK/h-remapped.tc" 2>&1 ||
	{ cat "$WORK/h-remapped.tc"; fail "h does not hear a and b after the re-map"; }
log PASS
