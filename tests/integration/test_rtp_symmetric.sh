#!/bin/bash
# RTP end to end with caucus-loadgen (so the benchmark tool cannot rot
# unnoticed either):
#  - five participants get a continuous stream (no sequence gaps, so
#    sequence numbers, timestamps and SSRC are right) and each gets RTCP
#    reports (SR) for the very stream it receives, with RFC 3611 XR VoIP
#    metrics of the stream it sends;
#  - symmetric RTP: five participants whose SDP names a port they never use
#    (the real one plus 1000) still get their mix, because the focus sends
#    to where their media comes from.
. "$(dirname "$0")/lib.sh"
start_caucusd
"$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API" \
	--target "sip:demo@127.0.0.1:$SIP_PORT" --n 5 --warmup 1 --seconds 7 \
	--max-loss 0 > "$WORK/lg-rtcp.out" 2>&1 ||
	{ cat "$WORK/lg-rtcp.out"; fail "loss with a plain SDP"; }
grep RESULT "$WORK/lg-rtcp.out"
grep -q 'rtcp_legs=5 ' "$WORK/lg-rtcp.out" ||
	fail "not every participant got an RTCP report for its stream"
# with RFC 3611 VoIP metrics (loss, discards, jitter buffer) of its own
grep -q 'xr_legs=5 ' "$WORK/lg-rtcp.out" ||
	fail "not every participant got XR VoIP metrics of what it sends"

"$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API" \
	--target "sip:demo@127.0.0.1:$SIP_PORT" --n 5 --warmup 1 --seconds 2 \
	--sdp-port-offset 1000 --max-loss 1 > "$WORK/lg.out" 2>&1 ||
	{ cat "$WORK/lg.out"; fail "media did not come back to the source"; }
cat "$WORK/lg.out"
grep -q 'RESULT n=5 joined=5 failed=0' "$WORK/lg.out" || fail "not all joined"
# and the receive counters of the API moved
gone() { [ "$(json_field "$(get /v1/conferences/demo)" participant_count)" = 0 ]; }
wait_for 5 gone || fail "loadgen's calls did not end"
stop_caucusd
log PASS
