#!/bin/bash
# Real audio through the mixer. Three baresip clients (two PCMU, one PCMA)
# each send their own tone (400, 700, 1100 Hz) and record what they hear.
# An FFT (tools/tonecheck) proves, over three phases:
#   1. everyone hears the other two tones and not their own;
#   2. with A muted through the API, nobody hears A, and A still hears;
#   3. with B deaf through the API, B hears nothing, and is still heard.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd

declare -A TONE=([a]=400 [b]=700 [c]=1100)
declare -A CODEC=([a]=PCMU [b]=PCMU [c]=PCMA)
BS_PIDS=""
for n in a b c; do
	BS_SECONDS=40 baresip_caller "$WORK/bs-$n" "$n" demo "${CODEC[$n]}" \
		"${TONE[$n]}" 8000 "audio_alert aubridge,alert-$n"
done

wait_connected 15 demo 3 "three baresip clients did not connect"
api GET /v1/conferences/demo
echo "$BODY"
PA=$(pid_of a)
PB=$(pid_of b)
[ -n "$PA" ] && [ -n "$PB" ] || fail "participant ids not found"
printf '%s' "$BODY" | grep -q '"codec":"PCMA"' || fail "c did not use PCMA"
# every client records already (half a second past the WAV header)
recording_all() {
	local n
	for n in a b c; do
		[ "$(rec_bytes "$WORK/bs-$n")" -gt 8100 ] || return 1
	done
}
wait_for 10 recording_all || fail "the clients do not record"

# Phases are timed by what the clients record (media_lib.sh): each lasts
# until every client has recorded PHASE seconds more (a deaf client is
# still sent G.711 silence), and its marks are where it starts in each
# recording
PHASE=4
declare -A MARK
mark() { # PHASE: where it starts in each recording
	local n
	for n in a b c; do MARK[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
}
phase() { # N
	local n
	mark "$1"
	log "phase $1"
	for n in a b c; do
		wait_heard "$WORK/bs-$n" "${MARK[$n,$1]}" "$PHASE"
	done
}
phase 1
api PATCH "/v1/conferences/demo/participants/$PA" '{"muted":true}'
expect_status 200 "mute a"
phase 2
api PATCH "/v1/conferences/demo/participants/$PA" '{"muted":false}'
api PATCH "/v1/conferences/demo/participants/$PB" '{"deaf":true}'
expect_status 200 "deafen b"
phase 3
mark 4
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

rec() { recording "$WORK/bs-$1"; }
for n in a b c; do
	[ -n "$(rec $n)" ] || fail "no recording from $n"
done
# each phase in each recording, without its first 1.2 s (the change
# travelling through the mixer and the jitter buffers)
win() { # who phase
	rec_window "$(rec "$1")" "${MARK[$1,$2]}" "${MARK[$1,$(($2 + 1))]}" 1.2
}
check() { # who phase args...
	local who=$1 w
	w=$(win "$1" "$2")
	shift 2
	# shellcheck disable=SC2086
	"$BIN/tonecheck" "$(rec "$who")" $w "$@" ||
		fail "$who: ${*}"
}
log "phase 1: everyone hears the others"
check a 1 --expect 700,1100 --absent 400
check b 1 --expect 400,1100 --absent 700
check c 1 --expect 400,700 --absent 1100
log "phase 2: a muted"
check a 2 --expect 700,1100 --absent 400
check b 2 --expect 1100 --absent 400,700
check c 2 --expect 700 --absent 400,1100
log "phase 3: b deaf"
check b 3 --silent --absent 400,700,1100
check a 3 --expect 700,1100 --absent 400
check c 3 --expect 400,700 --absent 1100
log PASS
