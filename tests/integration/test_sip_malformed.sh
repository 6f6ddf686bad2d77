#!/bin/bash
# Bad input over SIP: requests the focus refuses with a reason (400, 415,
# 420, 488, 403 for a MESSAGE from outside, 489, 501), then a burst of
# garbage over UDP and TCP; the server must still answer, and hold/resume
# must still work after it.
. "$(dirname "$0")/lib.sh"
start_caucusd

sipp_run bad uac_bad.xml -s demo

garbage() {
	printf '\x00\x01\x02\x03garbage'
	printf 'INVITE\r\n\r\n'
	printf 'INVITE sip:demo@127.0.0.1 SIP/2.0\r\n\r\n'
	printf 'SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n'
	printf 'INVITE sip:demo@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nContent-Length: 99999\r\n\r\nv=0'
	printf 'OPTIONS sip:demo@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKy\r\nFrom: <>\r\nTo: <\r\nCall-ID: \r\nCSeq: x OPTIONS\r\n\r\n'
	head -c 3000 /dev/urandom
	printf 'BYE sip:demo@127.0.0.1 SIP/2.0\r\n%s\r\n\r\n' \
		"$(head -c 5000 /dev/zero | tr '\0' 'A')"
}
for i in $(seq 1 40); do
	garbage | head -c $((RANDOM % 6000 + 1)) > "$WORK/g$i"
	cat "$WORK/g$i" > "/dev/udp/127.0.0.1/$SIP_PORT" || true
done
for i in $(seq 1 10); do
	timeout 2 bash -c "cat '$WORK/g$i' > /dev/tcp/127.0.0.1/$SIP_PORT" ||
		true
done
# garbage RTP at the mixer's ports
for p in $(seq "$RTP_MIN" 2 $((RTP_MIN + 20))); do  # caucusd's RTP ports
	head -c 200 /dev/urandom > "/dev/udp/127.0.0.1/$p" || true
done
alive
sipp_run options-after uac_options.xml -s demo
api GET /v1/status 
expect_status 200 "status after garbage"

# hold and resume still work, and the API shows them
sipp_bg hold uac_hold.xml -s demo -d 1500
hold=$SIPP_PID
st() { get /v1/conferences/demo | grep -q "\"status\":\"$1\""; }
wait_for 5 st connected || fail "not connected"
wait_for 5 st on-hold || fail "never on-hold after a=sendonly"
api GET /v1/conferences/demo
body=$BODY
[ "$(json_field "$body" direction)" = recvonly ] || fail "direction"
wait_for 5 st connected || fail "not connected again after resume"
sipp_wait "$hold" hold   # then a refresh and a re-INVITE without SDP
stop_caucusd
log PASS
