#!/bin/bash
# Mass invitation and ejection: 200 sipp endpoints invited in one request
# at 100 calls per second (a job whose progress and per-target results
# the API shows), all connected; ejection by pattern and then of everyone;
# the sipp side sees every call answered and ended by BYE. Refusals: too
# many targets, a bad URI (named by index), a bad rate, both or neither of
# invite and eject, an unknown conference and job.
. "$(dirname "$0")/lib.sh"
# 200 calls need 200 RTP port pairs: a wider block than the default;
# an audio call-out: the conference has no video (dial-outs would offer
# it, with a port pair each)
start_caucusd --rtp-port-min 65000 --rtp-port-max 65499 \
	--api-max-body 1048576
api PATCH /v1/conferences/demo '{"media":[{"type":"audio","status":"sendrecv"}]}'
expect_status 200 "audio only"
N=200
port=$(free_port)
sipp -sf "$SCEN/uas_answer.xml" -i 127.0.0.1 -p "$port" -m "$N" \
	-mp "$(free_media_port)" -timeout 90s -nostdin -trace_err \
	-error_file "$WORK/uas.err" -max_socket 1000 \
	>"$WORK/uas.out" 2>&1 &
uas=$!
CHILDREN="$CHILDREN $uas"
wait_udp "$port"
uris=$(for i in $(seq 1 $N); do
	[ "$i" -le 50 ] && d=a || d=b
	printf '"sip:%s%d@127.0.0.1:%d",' "$d" "$i" "$port"; done)
api POST /v1/conferences/demo/participants:batch \
	"{\"invite\":[${uris%,}],\"rate\":100}"
expect_status 202 "mass invitation"
job=$(json_field "$BODY" id)
[ "$(json_field "$BODY" total)" = $N ] || fail "job: $BODY"
done_all() {
	api GET "/v1/jobs/$job?targets=0"
	[ "$(json_field "$BODY" state)" = done ] &&
		[ "$(json_field "$BODY" connected)" = $N ]
}
t0=$(date +%s%N)
wait_for 30 done_all || fail "not all connected: $BODY"
log "$N invited and connected in $(( ($(date +%s%N) - t0) / 1000000 )) ms: $BODY"
api GET "/v1/jobs/$job"
n=$(printf '%s' "$BODY" | grep -o '"state":"connected"' | wc -l)
[ "$n" = $N ] || fail "per-target results: $n connected"
[ "$(json_field "$(get /v1/conferences/demo)" participant_count)" = $N ] ||
	fail "roster"

# eject by pattern (the 50 a*), then everyone
api POST /v1/conferences/demo/participants:batch \
	'{"eject":{"pattern":"sip:a*"}}'
expect_status 200 "eject by pattern"
[ "$(json_field "$BODY" ejected)" = 50 ] || fail "pattern: $BODY"
left() { [ "$(json_field "$(get /v1/conferences/demo)" participant_count)" = "$1" ]; }
wait_for 10 left 150 || fail "150 should remain"
api POST /v1/conferences/demo/participants:batch '{"eject":{"all":true}}'
expect_status 200 "eject all"
[ "$(json_field "$BODY" ejected)" = 150 ] || fail "all: $BODY"
wait_for 10 left 0 || fail "the roster is not empty"
wait "$uas" || { tail -20 "$WORK/uas.out"; fail "sipp UAS saw failures"; }

# refusals
big=$(for i in $(seq 1 10001); do printf '"sip:x%d@h",' "$i"; done)
printf '{"invite":[%s]}' "${big%,}" >"$WORK/big.json"
code=$(curl -s -o "$WORK/big.out" -w '%{http_code}' \
	-H 'Content-Type: application/json' --data-binary @"$WORK/big.json" \
	"$API/v1/conferences/demo/participants:batch")
[ "$code" = 400 ] || fail "10001 targets: $code $(cat "$WORK/big.out")"
grep -q "more than 10000" "$WORK/big.out" || fail "$(cat "$WORK/big.out")"
api POST /v1/conferences/demo/participants:batch \
	'{"invite":["sip:a@b","mailto:c@d"]}'
expect_status 400 "bad URI"
printf '%s' "$BODY" | grep -q 'invite\[1\]' || fail "index not named: $BODY"
api POST /v1/conferences/demo/participants:batch '{"invite":["sip:a@b"],"rate":0}'
expect_status 400 "rate 0"
api POST /v1/conferences/demo/participants:batch '{}'
expect_status 400 "neither"
api POST /v1/conferences/demo/participants:batch \
	'{"invite":["sip:a@b"],"eject":{"all":true}}'
expect_status 400 "both"
api POST /v1/conferences/demo/participants:batch '{"eject":{"color":"red"}}'
expect_status 400 "bad selector"
api POST /v1/conferences/nosuch/participants:batch '{"eject":{"all":true}}'
expect_status 404 "unknown conference"
api GET /v1/jobs/9999
expect_status 404 "unknown job"
alive
stop_caucusd
log PASS
