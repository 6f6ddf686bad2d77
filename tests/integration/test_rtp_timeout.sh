#!/bin/bash
# RTP inactivity timeout: a participant that sends no RTP for
# rtp_timeout_s is hung up with a BYE carrying a Reason, and listed as
# failed (408 RTP timeout) in the API and in the RFC 4575 document; callers
# that keep sending stay.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
start_caucusd --rtp-timeout-s 2

# silent: sipp sends no RTP at all
t0=$(date +%s%N)
sipp_bg silent uac_wait_bye.xml -s demo -key who silent
silent=$SIPP_PID
# listed from its INVITE on, and still after the timeout (as failed)
listed() { api GET /v1/conferences/demo; [ -n "$(pid_of silent)" ]; }
wait_for 5 listed || fail "the silent caller is not listed"
pid=$(pid_of silent)
sipp_wait "$silent" silent
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "silent caller hung up after ${ms} ms"
[ "$ms" -ge 1900 ] || fail "hung up too early (${ms} ms)"
[ "$ms" -le 6000 ] || fail "hung up too late (${ms} ms)"
grep -q 'Reason: SIP;cause=408;text="RTP timeout"' "$WORK/silent.msg" ||
	fail "the BYE does not say why"
api GET "/v1/conferences/demo/participants/$pid"
expect_status 200 "the failed participant is still listed"
[ "$(json_field "$BODY" status)" = failed ] || fail "status is not failed"
[ "$(json_field "$BODY" sip_code)" = 408 ] || fail "sip_code is not 408"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info" >"$WORK/info.xml"
xmllint --noout --schema "$XSD" "$WORK/info.xml" || fail "info invalid"
grep -q '<disconnection-method>failed</disconnection-method>' \
	"$WORK/info.xml" || fail "not shown as failed in the document"
grep -q '<reason>408 RTP timeout</reason>' "$WORK/info.xml" ||
	fail "no reason in the document"

# talking: loadgen sends RTP for 5 s, more than twice the timeout
"$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API" \
	--target "sip:demo@127.0.0.1:$SIP_PORT" --n 3 --warmup 1 --seconds 5 \
	--max-loss 1 >"$WORK/lg.out" 2>&1 ||
	{ cat "$WORK/lg.out"; fail "talking callers were disturbed"; }
grep -q 'RESULT n=3 joined=3 failed=0' "$WORK/lg.out" ||
	{ cat "$WORK/lg.out"; fail "talking callers did not all stay"; }
n=$(grep -c 'RTP timeout, hanging up' "$WORK/caucusd.log")
[ "$n" = 1 ] || fail "$n RTP timeouts, expected only the silent caller's"
stop_caucusd
log PASS
