#!/bin/bash
# Tones across codecs: three baresip clients, one each with PCMU, G.722
# and Opus, send 400, 700 and 1100 Hz and record what they hear. The mixer
# decodes each codec (G.722 through spandsp, Opus through libopus), mixes
# and encodes for each listener in its own codec; an FFT (tools/tonecheck)
# proves each hears the other two and not itself, and the API names the
# codec each call uses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd

declare -A TONE=([a]=400 [b]=700 [c]=1100)
declare -A CODEC=([a]=PCMU [b]=G722 [c]=opus)
# (baresip names them with their sampling rate)
declare -A BSCODEC=([a]=PCMU [b]=G722/16000/1 [c]=opus/48000/2)
# (and its file source must be at that rate: it does not resample)
declare -A RATE=([a]=8000 [b]=16000 [c]=48000)
BS_PIDS=""
for n in a b c; do
	BS_CODECS="g722.so opus.so" baresip_caller "$WORK/bs-$n" "$n" demo \
		"${BSCODEC[$n]}" "${TONE[$n]}" "${RATE[$n]}"
done
wait_connected 15 demo 3 "three baresip clients did not connect"
api GET /v1/conferences/demo
for c in PCMU G722 opus; do
	printf '%s' "$BODY" | grep -q "\"codec\":\"$c\"" || fail "no call uses $c: $BODY"
done
# tone_check looks from 2 s into each recording: five seconds of audio
# recorded by every client once all three are in (each at its own rate)
wait_all_heard 5 "$WORK/bs-a" "$WORK/bs-b" "$WORK/bs-c"
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

rec() { recording "$WORK/bs-$1"; }
for n in a b c; do
	[ -n "$(rec $n)" ] || fail "no recording from $n"
done
check() { # who --expect .. --absent ..
	local who=$1
	shift
	tone_check "$(rec "$who")" "$@" || fail "$who (${CODEC[$who]}): $*"
}
check a --expect 700,1100 --absent 400
check b --expect 400,1100 --absent 700
check c --expect 400,700 --absent 1100
log PASS
