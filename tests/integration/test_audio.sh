#!/bin/bash
# Real audio through the mixer. Three baresip clients (two PCMU, one PCMA)
# each send their own tone (400, 700, 1100 Hz) and record what they hear.
# An FFT (tools/tonecheck) proves, over three phases:
#   1. everyone hears the other two tones and not their own;
#   2. with A muted through the API, nobody hears A, and A still hears;
#   3. with B deaf through the API, B hears nothing, and is still heard.
. "$(dirname "$0")/lib.sh"
start_caucusd

declare -A TONE=([a]=400 [b]=700 [c]=1100)
declare -A CODEC=([a]=PCMU [b]=PCMU [c]=PCMA)
BS_PIDS=""
for n in a b c; do
	BS_SECONDS=40 baresip_caller "$WORK/bs-$n" "$n" demo "${CODEC[$n]}" \
		"${TONE[$n]}" 8000 "audio_alert aubridge,alert-$n"
done

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_connected 15 demo 3 "three baresip clients did not connect"
T0=$(now_ms)
api GET /v1/conferences/demo
echo "$BODY"
PA=$(pid_of a)
PB=$(pid_of b)
[ -n "$PA" ] && [ -n "$PB" ] || fail "participant ids not found"
printf '%s' "$BODY" | grep -q '"codec":"PCMA"' || fail "c did not use PCMA"

PHASE=4
sleep $PHASE
T1=$(now_ms)
api PATCH "/v1/conferences/demo/participants/$PA" '{"muted":true}'
expect_status 200 "mute a"
sleep $PHASE
T2=$(now_ms)
api PATCH "/v1/conferences/demo/participants/$PA" '{"muted":false}'
api PATCH "/v1/conferences/demo/participants/$PB" '{"deaf":true}'
expect_status 200 "deafen b"
sleep $PHASE
T3=$(now_ms)
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

rec() { recording "$WORK/bs-$1"; }
for n in a b c; do
	[ -n "$(rec $n)" ] || fail "no recording from $n"
done
# windows in seconds from T0: skip 1.2 s after each change (clients
# joined up to ~1 s before T0, plus the jitter buffer), 0.2 s before
win() { # from_ms to_ms
	awk -v a="$1" -v b="$2" -v t="$T0" \
		'BEGIN { printf "--from %.2f --to %.2f", (a-t)/1000+1.2, (b-t)/1000-0.2 }'
}
check() { # who window args...
	local who=$1 w=$2
	shift 2
	# shellcheck disable=SC2086
	"$BIN/tonecheck" "$(rec "$who")" $w "$@" ||
		fail "$who: ${*}"
}
W1=$(win "$T0" "$T1"); W2=$(win "$T1" "$T2"); W3=$(win "$T2" "$T3")
log "phase 1: everyone hears the others"
check a "$W1" --expect 700,1100 --absent 400
check b "$W1" --expect 400,1100 --absent 700
check c "$W1" --expect 400,700 --absent 1100
log "phase 2: a muted"
check a "$W2" --expect 700,1100 --absent 400
check b "$W2" --expect 1100 --absent 400,700
check c "$W2" --expect 700 --absent 400,1100
log "phase 3: b deaf"
check b "$W3" --silent --absent 400,700,1100
check a "$W3" --expect 700,1100 --absent 400
check c "$W3" --expect 400,700 --absent 1100
log PASS
