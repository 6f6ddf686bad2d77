#!/bin/bash
# Music on hold for joins that wait for a moderator, in both ways of
# waiting (moderation_answer): an answered call, and early media (183 with
# SDP; 200 on approval, 403 on refusal). A baresip client that waits hears
# the melody (FFT: its notes, not the room) and, once approved, the room
# (a baresip tone of 1100 Hz) instead of the melody.
. "$(dirname "$0")/lib.sh"

run() { # MODE
	local mode=$1 d t0 t1 t2 rec
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
	t0=$(date +%s%N)
	sleep 4
	api GET /v1/conferences/demo/pending
	pid=$(printf '%s' "$BODY" | grep -o '"id":"[0-9]*"' | head -n1 | cut -d'"' -f4)
	t1=$(date +%s%N)
	api POST "/v1/conferences/demo/pending/$pid/approve"
	expect_status 204 "$mode: approve"
	sleep 4
	t2=$(date +%s%N)
	api GET "/v1/conferences/demo/participants/$pid"
	[ "$(json_field "$BODY" status)" = connected ] ||
		fail "$mode: not connected after approval: $BODY"
	# shellcheck disable=SC2086
	baresip_finish $BS
	rec=$(recording "$WORK/$mode-waiter")
	[ -n "$rec" ] || fail "$mode: no recording from the waiter"
	local len_s
	len_s=$(python3 -c "import wave,sys; w=wave.open(sys.argv[1]); print(w.getnframes()/w.getframerate())" "$rec")
	# the recording starts when the waiter's audio starts (just before
	# it shows as waiting, t0) and ends at the BYE (just after t2)
	local wait_s=$(( (t1 - t0) / 1000000 )) in_s=$(( (t2 - t1) / 1000000 ))
	awk -v L="$len_s" -v w="$wait_s" -v i="$in_s" 'BEGIN {
		printf "%.2f %.2f %.2f %.2f\n", 0.8, w/1000 - 0.5,
			L - i/1000 + 1.5, L - 0.8 }' >"$WORK/$mode.win"
	read -r ws we is ie <"$WORK/$mode.win"
	log "$mode: waiting window $ws-$we s, in the room $is-$ie s of $len_s s"
	"$BIN/tonecheck" "$rec" --from "$ws" --to "$we" --expect 523,659,784 \
		--absent 1100 || fail "$mode: no music on hold while waiting"
	"$BIN/tonecheck" "$rec" --from "$is" --to "$ie" --expect 1100 \
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
