#!/bin/bash
# Music on hold for joins that wait for a moderator, in both ways of
# waiting (moderation_answer): an answered call, and early media (183 with
# SDP; 200 on approval, 403 on refusal). A baresip client that waits hears
# the melody (FFT: its notes, not the room) and, once approved, the room
# (a baresip tone of 1100 Hz) instead of the melody.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"

run() { # MODE
	local mode=$1 d m0 m1 m2 rec ww wr
	start_caucusd --moderation-answer "$mode" --moderation-timeout-s 60
	api PUT /v1/conferences/demo/policy \
		'{"default_action":"moderate","users":[{"aor":"sip:talker@127.0.0.1","role":"moderator"}]}'
	expect_status 200 "moderated policy"
	BS=""
	for n in talker waiter; do
		d="$WORK/$mode-$n"
		baresip_conf "$d" "$n" "audio_alert aubridge,alert-$n" \
			"module sndfile.so" "snd_path $d"
		"$BIN/tonegen" "$d/tone.wav" "$([ $n = talker ] && echo 1100 || echo 300)" 40 8000 0.3
		echo "<sip:$n@127.0.0.1>;regint=0;audio_codecs=PCMU" >"$d/accounts"
	done
	baresip -f "$WORK/$mode-talker" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" \
		-t 30 >"$WORK/$mode-talker/baresip.log" 2>&1 &
	BS="$BS $!"
	wait_connected 10 demo 1 "$mode: the moderator did not join"
	baresip -f "$WORK/$mode-waiter" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" \
		-t 30 >"$WORK/$mode-waiter/baresip.log" 2>&1 &
	BS="$BS $!"
	CHILDREN="$CHILDREN $BS"
	waiting() { api GET /v1/conferences/demo/pending; printf '%s' "$BODY" | grep -q 'sip:waiter@'; }
	wait_for 10 waiting || fail "$mode: the waiter is not waiting"
	# the two phases are timed by what the waiter records (media_lib.sh):
	# 4 s while it waits (its recording starts as the music reaches it),
	# then 4 s after the approval; the marks are where each starts in the
	# recording
	d="$WORK/$mode-waiter"
	m0=0
	wait_heard "$d" "$m0" 4
	m1=$(rec_bytes "$d")
	api GET /v1/conferences/demo/pending
	pid=$(printf '%s' "$BODY" | grep -o '"id":"[0-9]*"' | head -n1 | cut -d'"' -f4)
	api POST "/v1/conferences/demo/pending/$pid/approve"
	expect_status 204 "$mode: approve"
	wait_heard "$d" "$m1" 4
	m2=$(rec_bytes "$d")
	api GET "/v1/conferences/demo/participants/$pid"
	[ "$(json_field "$BODY" status)" = connected ] ||
		fail "$mode: not connected after approval: $BODY"
	# shellcheck disable=SC2086
	baresip_finish $BS
	rec=$(recording "$d")
	[ -n "$rec" ] || fail "$mode: no recording from the waiter"
	# waiting: all of it but its first 0.8 s; in the room: without its
	# first 1.5 s (the approval reaching the mixer, and in early media
	# the 200 reaching baresip)
	ww=$(rec_window "$rec" "$m0" "$m1" 0.8)
	wr=$(rec_window "$rec" "$m1" "$m2" 1.5)
	log "$mode: waiting $ww, in the room $wr"
	# shellcheck disable=SC2086
	"$BIN/tonecheck" "$rec" $ww --expect 523,659,784 \
		--absent 1100 || fail "$mode: no music on hold while waiting"
	# shellcheck disable=SC2086
	"$BIN/tonecheck" "$rec" $wr --expect 1100 \
		--absent 523,659,784 || fail "$mode: music on hold after approval"
}

run answer
run early

log "early media: refused with 403"
start_caucusd --moderation-answer early --moderation-timeout-s 60
api PUT /v1/conferences/demo/policy '{"default_action":"moderate"}'
python3 "$SRC/tests/integration/sipauth.py" early "$SIP_PORT" demo rex \
	>"$WORK/rex.out" &
REX=$!
CHILDREN="$CHILDREN $REX"
waiting_rex() { api GET /v1/conferences/demo/pending; printf '%s' "$BODY" | grep -q 'sip:rex@'; }
wait_for 5 waiting_rex || fail "rex is not waiting"
grep -q '^SIP/2.0 183 Session Progress +sdp' "$WORK/rex.out" ||
	fail "no 183 with SDP: $(cat "$WORK/rex.out")"
api GET /v1/conferences/demo/pending
pid=$(printf '%s' "$BODY" | grep -o '"id":"[0-9]*"' | head -n1 | cut -d'"' -f4)
api POST "/v1/conferences/demo/pending/$pid/reject"
expect_status 204 "reject rex"
wait "$REX" || fail "rex's INVITE"
grep -q '^SIP/2.0 403 Forbidden (not admitted by a moderator)' "$WORK/rex.out" ||
	fail "rex was not refused with 403: $(cat "$WORK/rex.out")"
stop_caucusd
log PASS
