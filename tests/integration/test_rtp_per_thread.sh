#!/bin/bash
# rtp_sockets = per-thread with two mixer threads: each thread has one RTP
# port pair (rtp_port_min, rtp_port_min + 2) for all its calls.
#  - two conferences at once land on different threads and their callers
#    are told their thread's port in the SDP; six callers each (one
#    socket pair per caller) get continuous audio with no loss, RTCP
#    reports for their own stream with XR metrics (RTCP is told apart by
#    SSRC), every packet from the thread's port;
#  - a caller whose SDP names a port it never sends from is still served
#    when it is the only one not yet heard (symmetric RTP);
#  - a port range too small for a pair per thread is refused, saying so;
#    by default one thread per core caucusd may run on (taskset -c 0:
#    one thread);
#  - garbage and strangers at a thread's port are counted
#    (rtp_unmatched, caucus_rtp_unmatched_packets_total) and change
#    nothing; caucusd keeps serving.
. "$(dirname "$0")/lib.sh"
# a range without a port pair for each thread is refused, saying why
if "$BIN/caucusd" --rtp-sockets per-thread --mixer-threads 4 \
	--rtp-port-min 61000 --rtp-port-max 61005 --sip-port "$(free_port)" \
	--http-port "$(free_port)" --db "$WORK/refused.db" \
	>"$WORK/refused.log" 2>&1; then
	fail "caucusd started without room for the threads' ports"
fi
grep -q 'no room for a port pair per mixer thread' "$WORK/refused.log" ||
	{ cat "$WORK/refused.log"; fail "the refusal does not say why"; }
# by default a thread per core caucusd may run on: on one core (taskset),
# one thread
aff_log="$WORK/affinity.log"
aff_port=$(free_media_port)
taskset -c 0 "$BIN/caucusd" --rtp-sockets per-thread \
	--rtp-port-min "$aff_port" --rtp-port-max $((aff_port + 3)) \
	--sip-port "$(free_port)" --http-port "$(free_port)" --bfcp-port 0 \
	--db "$WORK/affinity.db" >"$aff_log" 2>&1 &
aff_pid=$!
CHILDREN="$CHILDREN $aff_pid"
wait_for 10 grep -q 'msg="started" threads=1 ' "$aff_log" ||
	{ cat "$aff_log"; fail "on one core caucusd did not start one mixer thread"; }
kill "$aff_pid"
wait "$aff_pid" 2>/dev/null || true
log "on one core (taskset): one mixer thread"
start_caucusd --rtp-sockets per-thread --mixer-threads 2
status=$(get /v1/status)
echo "$status"
printf '%s' "$status" | grep -q "\"rtp_port\":$RTP_MIN," ||
	fail "thread 0 is not on rtp_port_min ($RTP_MIN)"
printf '%s' "$status" | grep -q "\"rtp_port\":$((RTP_MIN + 2))," ||
	fail "thread 1 is not on rtp_port_min + 2"
api POST /v1/conferences '{"id":"second"}'
expect_status 201 "create the second conference"

for c in demo second; do
	"$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API" \
		--own-sockets --target "sip:$c@127.0.0.1:$SIP_PORT" --n 6 \
		--warmup 1 --seconds 7 --max-loss 0 >"$WORK/lg-$c.out" 2>&1 &
	eval "LG_$c=$!"
done
# both threads carry six streams: one conference each (while the calls
# last: 1 s of warm-up and 7 s of audio)
one_each() {
	status=$(get /v1/status)
	[ "$(printf '%s' "$status" | grep -o '"streams":6' | wc -l)" = 2 ]
}
wait_for 8 one_each ||
	fail "the two conferences are not on one thread each: $status"
echo "$status"
wait "$LG_demo" || { cat "$WORK/lg-demo.out"; fail "loss in demo"; }
wait "$LG_second" || { cat "$WORK/lg-second.out"; fail "loss in second"; }
for c in demo second; do
	grep RESULT "$WORK/lg-$c.out"
	grep -q 'joined=6 failed=0' "$WORK/lg-$c.out" || fail "$c: not all joined"
	grep -q 'loss_pct=0.0000' "$WORK/lg-$c.out" || fail "$c: loss"
	grep -q 'rtcp_legs=6 ' "$WORK/lg-$c.out" ||
		fail "$c: not every caller got RTCP for its stream"
	grep -q 'xr_legs=6 ' "$WORK/lg-$c.out" ||
		fail "$c: not every caller got XR VoIP metrics"
done
gone() {
	[ "$(json_field "$(get "/v1/conferences/$1")" participant_count)" = 0 ]
}
wait_for 5 gone demo || fail "demo's calls did not end"
wait_for 5 gone second || fail "second's calls did not end"

# one caller that sends from elsewhere than its SDP says: the only one
# not yet heard, so it is claimed and its mix goes where it sends from
"$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API" --own-sockets \
	--target "sip:demo@127.0.0.1:$SIP_PORT" --n 1 --warmup 1 --seconds 2 \
	--sdp-port-offset 1000 --max-loss 1 >"$WORK/lg-moved.out" 2>&1 ||
	{ cat "$WORK/lg-moved.out"; fail "media did not come back to the source"; }
grep RESULT "$WORK/lg-moved.out"
wait_for 5 gone demo || fail "the moved caller did not end"

# garbage at both threads' RTP and RTCP ports
unmatched() { # packets counted unmatched, all threads
	curl -s "$API/metrics" | awk '/^caucus_rtp_unmatched_packets_total/ {
		s += $2 } END { print s + 0 }'
}
before=$(unmatched)
PYTHONPATH="$SRC/tests/integration" python3 - "$RTP_MIN" <<'PY'
import os, random, socket, sys
import rtplib
base = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
random.seed(7)
for i in range(400):
    n = random.randrange(0, 300)
    b = os.urandom(n)
    if i % 2 and n >= 12:
        # RTP-like, from a stranger: any payload type, sequence,
        # timestamp and SSRC
        b = rtplib.packet(random.randrange(128), random.randrange(65536),
                          random.getrandbits(32), random.getrandbits(32),
                          b[12:], marker=random.random() < 0.5)
    s.sendto(b, ("127.0.0.1", base + (i % 4)))
PY
counted() { [ "$(unmatched)" -ge $((before + 300)) ]; }
wait_for 10 counted || fail "garbage was not counted: $(unmatched) after" \
	"$before before it"
alive
log "unmatched packets: $before before the garbage, $(unmatched) after"
# and the server still serves a call
"$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API" --own-sockets \
	--target "sip:demo@127.0.0.1:$SIP_PORT" --n 3 --warmup 1 --seconds 2 \
	--max-loss 0 >"$WORK/lg-after.out" 2>&1 ||
	{ cat "$WORK/lg-after.out"; fail "loss after the garbage"; }
stop_caucusd
log PASS
