#!/bin/bash
# The mix rate, end to end with baresip. Three conferences, each with a
# caller that sends a high tone and one that sends 400 Hz:
#   demo (the server's default, 16 kHz): G.722 sends 5 kHz, Opus hears it;
#   nb (mix_rate 8000): the same 5 kHz is gone (a narrowband mix), the
#     400 Hz still goes the other way;
#   fb (mix_rate 48000): Opus sends 10 kHz, the other Opus caller hears it.
# FFT of what each client recorded (tools/tonecheck).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd

for c in nb fb; do
	api POST /v1/conferences "{\"id\":\"$c\"}"
	expect_status 201 "create $c"
	quiet_room "$c"
done
api PATCH /v1/conferences/nb '{"mix_rate":8000}'
expect_status 200 "nb at 8 kHz"
api PATCH /v1/conferences/fb '{"mix_rate":48000}'
expect_status 200 "fb at 48 kHz"
api GET /v1/conferences/demo
[ "$(json_field "$BODY" mix_rate)" = 0 ] || fail "demo: $BODY"

# name conference codec tone rate
CLIENTS="wh:demo:G722/16000/1:5000:16000 wl:demo:opus/48000/2:400:48000
nh:nb:G722/16000/1:5000:16000 nl:nb:opus/48000/2:400:48000
fh:fb:opus/48000/2:10000:48000 fl:fb:opus/48000/2:400:48000"
BS_PIDS=""
for c in $CLIENTS; do
	IFS=: read -r n conf codec tone rate <<<"$c"
	BS_CODECS="g722.so opus.so" baresip_caller "$WORK/bs-$n" "$n" \
		"$conf" "$codec" "$tone" "$rate"
done
for conf in demo nb fb; do
	wait_connected 15 "$conf" 2 "$conf: two clients did not connect"
done
# the rate each is mixed at now, as the mixer reports it: demo follows
# its callers up to the server's 16 kHz, nb and fb are fixed
mixed_at() { # CONF HZ
	api GET "/v1/conferences/$1"
	[ "$(json_field "$BODY" mix_hz_now)" = "$2" ]
}
for c in demo:16000 nb:8000 fb:48000; do
	wait_for 5 mixed_at "${c%%:*}" "${c#*:}" ||
		fail "${c%%:*} is not mixed at ${c#*:} Hz: $BODY"
done
# tone_check looks from 2 s into each recording: five seconds of audio
# recorded by every client once all six are in (each at its own rate;
# nl records the silence it is sent)
DIRS=""
for c in $CLIENTS; do DIRS="$DIRS $WORK/bs-${c%%:*}"; done
# shellcheck disable=SC2086
wait_all_heard 5 $DIRS
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

check() { # who ARGS...
	local who=$1 f
	shift
	f=$(recording "$WORK/bs-$who")
	[ -n "$f" ] || fail "no recording from $who"
	tone_check "$f" "$@" || fail "$who: $*"
}
check wl --expect 5000 --absent 400     # 16 kHz: G.722's 5 kHz passes
check wh --expect 400 --absent 5000
check nl --silent --absent 5000,400     # 8 kHz: no 5 kHz, nor an alias
check nh --expect 400 --absent 5000
check fl --expect 10000 --absent 400    # 48 kHz: Opus's 10 kHz passes
check fh --expect 400 --absent 10000
log PASS
