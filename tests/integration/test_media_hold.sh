#!/bin/bash
# A participant who puts the conference on hold is neither heard nor sent
# to (README, Audio), and is both again once it resumes. h (holdcall.py)
# sends 1000 Hz all the time, on hold too, as a phone playing music on
# hold into the call would; two baresip clients (PCMU) send 700 (b) and
# 1100 Hz (c) at -20 dBFS and record what they hear. Three phases, each
# 3 s of b's recording:
#   1. connected: b and c hear 1000 Hz; h gets RTP holding 700 and 1100 Hz;
#   2. h re-INVITEs with a=sendonly (answered recvonly), the API says
#      on-hold: b and c do not hear 1000 Hz though the focus still gets
#      h's packets (rx_packets grows), and still hear each other; not one
#      RTP packet reaches h's port and its tx_packets stands still;
#   3. h resumes (sendrecv): b and c hear it again, it gets RTP holding
#      700 and 1100 Hz again and tx_packets grows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
C=/v1/conferences/demo
HEARD=-26      # dBFS: a tone sent at -20 dBFS and heard is above this
UNHEARD=-50    # and one not mixed is below this

BS_PIDS=""
pcmu_caller "$WORK/bs-b" b demo 700 0.1
pcmu_caller "$WORK/bs-c" c demo 1100 0.1
# the split answers h's hold at once and re-INVITEs the mixer process's
# connection as it does: the hold takes one hop more to reach the mixer
# (h.out's held_last_ms says when the last packet came)
[ "${CAUCUS_SPLIT:-0}" = 1 ] && export HOLD_GRACE_S=1.0
holdcall_start demo 1000
wait_connected 15 demo 3 "b, c and h did not connect"
api GET $C
PH=$(pid_of h)
[ -n "$PH" ] || fail "no participant h: $BODY"
recording_all() {
	[ "$(rec_bytes "$WORK/bs-b")" -gt 8100 ] &&
		[ "$(rec_bytes "$WORK/bs-c")" -gt 8100 ]
}
wait_for 10 recording_all || fail "the clients do not record"

h_media() { # KEY: that number of h's media in the API
	api GET "$C/participants/$PH"
	json_num "$BODY" "$1"
}
h_status() { api GET "$C/participants/$PH"; [ "$(json_field "$BODY" status)" = "$1" ]; }
declare -A MARK
mark() { MARK[b,$1]=$(rec_bytes "$WORK/bs-b"); MARK[c,$1]=$(rec_bytes "$WORK/bs-c"); }
heard_for() { wait_heard "$WORK/bs-b" "${MARK[b,$1]}" "$2"; }

mark 1
log "phase 1: connected"
heard_for 1 3
TX1=$(h_media tx_packets)
h_cmd hold held
mark 2
log "phase 2: h holds"
h_status on-hold || fail "h is not on-hold in the API: $BODY"
# stats come every second: from 1.2 s into the hold they are all of it
heard_for 2 1.2
TX_HOLD=$(h_media tx_packets)
RX_HOLD=$(h_media rx_packets)
heard_for 2 3
TX_HOLD2=$(h_media tx_packets)
RX_HOLD2=$(h_media rx_packets)
h_cmd resume resumed
mark 3
log "phase 3: h resumes"
h_status connected || fail "h is not connected after resuming: $BODY"
heard_for 3 1.5
TX_AFTER=$(h_media tx_packets)
heard_for 3 3
TX_AFTER2=$(h_media tx_packets)
h_cmd bye "done"
mark end
# shellcheck disable=SC2086
baresip_finish $BS_PIDS
cat "$WORK/h.out"

next() { case $1 in 3) echo end ;; *) echo $(( $1 + 1 )) ;; esac; }
for n in b c; do
	rec=$(recording "$WORK/bs-$n")
	[ -n "$rec" ] || fail "no recording from $n"
	o=$([ $n = b ] && echo 1100 || echo 700)
	for ph in 1 2 3; do
		w=$(rec_window "$rec" "${MARK[$n,$ph]}" \
			"${MARK[$n,$(next $ph)]}" 0.8)
		h=$(tone_level "$rec" "$w" 1000)
		lo=$(tone_level "$rec" "$w" "$o")
		log "phase $ph: $n hears h (1000 Hz) at $h dBFS, the other" \
			"($o Hz) at $lo dBFS"
		awk -v l="$lo" -v t=$HEARD 'BEGIN { exit !(l != "" && l > t) }' ||
			fail "phase $ph: $n does not hear $o Hz ($lo)"
		if [ $ph = 2 ]; then
			awk -v l="$h" -v t=$UNHEARD 'BEGIN { exit !(l != "" && l < t) }' ||
				fail "phase 2: $n hears h on hold ($h dBFS)"
		else
			awk -v l="$h" -v t=$HEARD 'BEGIN { exit !(l != "" && l > t) }' ||
				fail "phase $ph: $n does not hear h ($h dBFS)"
		fi
	done
done
log "tx_packets to h: $TX1 before the hold, $TX_HOLD and $TX_HOLD2 on hold" \
	"$TX_AFTER and $TX_AFTER2 after; rx_packets from h on hold:" \
	"$RX_HOLD and $RX_HOLD2"
# (the split's focus has no RTP counters: the mixer process counts, and
# the control channel does not carry them; what h itself got is checked
# below either way)
if ! split_skip "the API's RTP counters of h"; then
	[ "$TX_HOLD" = "$TX_HOLD2" ] || fail "the focus sent to h on hold"
	[ "$RX_HOLD2" -gt $((RX_HOLD + 25)) ] ||
		fail "the focus got nothing from h on hold: the test proves nothing"
	[ "$TX_AFTER2" -gt $((TX_AFTER + 25)) ] || fail "no RTP to h after resuming"
fi
rx() { awk -v p="$1" '$1 == "rx" && $2 == p { print $3 }' "$WORK/h.out"; }
[ "$(rx held)" = 0 ] || fail "$(rx held) RTP packets reached h on hold"
[ "$(rx before)" -gt 100 ] || fail "h got $(rx before) packets before holding"
[ "$(rx after)" -gt 100 ] || fail "h got $(rx after) packets after resuming"
for ph in before after; do
	for f in 700 1100; do
		lv=$(tone_level "$WORK/h.out-$ph.wav" "--from 0.5" $f)
		log "h hears $f Hz $ph the hold: $lv dBFS"
		awk -v l="$lv" -v t=$HEARD 'BEGIN { exit !(l != "" && l > t) }' ||
			fail "h does not hear $f Hz $ph the hold ($lv)"
	done
done

log PASS
