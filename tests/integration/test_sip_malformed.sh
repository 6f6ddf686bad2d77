#!/bin/bash
# Bad input over SIP: requests the focus refuses with a reason (400, 415,
# 420, 488, 403 for a MESSAGE from outside, 489, 501), then a burst of
# garbage over UDP and TCP; the server must still answer, and hold/resume
# must still work after it. Then bad datagrams at the live media ports of
# a call (random bytes, truncated and lying RTP headers, wrong versions,
# strangers' RTP, RTCP garbage, oversized datagrams): both callers stay
# connected, their media keeps flowing both ways, and each still hears
# the other's tone.
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

# garbage at the media ports of a live call: a sends 400 Hz, b 700 Hz
BS_PIDS=""
baresip_caller "$WORK/bs-a" a demo PCMU 400 8000
baresip_caller "$WORK/bs-b" b demo PCMU 700 8000
wait_connected 15 demo 2 "a and b did not connect"
media_of() { # WHO FIELD: a field of the participant's media, from the API
	get /v1/conferences/demo | python3 -c '
import json, sys
for p in json.load(sys.stdin)["participants"]:
    if p["uri"].startswith("sip:%s@" % sys.argv[1]):
        print((p.get("media") or {}).get(sys.argv[2], ""))' "$1" "$2"
}
flowing() { # WHO RX TX: WHO's counters reached RX received, TX sent
	[ "$(media_of "$1" rx_packets)" -ge "$2" ] &&
		[ "$(media_of "$1" tx_packets)" -ge "$3" ]
}
declare -A PORT REMOTE RX0 TX0 LIKE
for n in a b; do
	wait_for 10 flowing "$n" 50 50 || fail "no media for $n before the garbage"
	PORT[$n]=$(media_of "$n" local_port)
	REMOTE[$n]=$(media_of "$n" remote)
done
log "media ports: a ${PORT[a]} (from ${REMOTE[a]}), b ${PORT[b]} (from ${REMOTE[b]})"
# every kind of bad datagram to each RTP port and the RTCP port after it;
# prints, per RTP port, how many could pass for RTP (version 2, 12 bytes
# or more), which caucusd may count as received, and how many datagrams
# the kernel dropped at its RTP and RTCP sockets (a full buffer: then
# the garbage never reached caucusd and the test proves nothing)
if ! PYTHONPATH="$SRC/tests/integration" python3 - "${PORT[a]}" "${PORT[b]}" \
	>"$WORK/garbage.out" <<'PY'
import random, socket, sys, time
import rtplib

rnd = random.Random(3550)
rb = rnd.randbytes


def stranger(payload, **kw):
    """an RTP packet from someone else: any sequence, time and SSRC"""
    return rtplib.packet(0, rnd.getrandbits(16), rnd.getrandbits(32),
                         rnd.getrandbits(32), payload, **kw)


def rtp_garbage():
    good = rtplib.packet(0, 1, 160, 0x5eed, bytes([0xff] * 160))
    out = [rb(rnd.randrange(0, 300)) for _ in range(100)]
    out += [good[:n] for n in range(12) for _ in range(5)]   # truncated
    out += [stranger(rb(160), version=v) for v in (0, 1, 3)
            for _ in range(30)]
    for _ in range(20):
        p = bytearray(stranger(rb(8)))
        p[0] |= 0x0f                        # 15 CSRCs in 20 bytes
        out.append(p)
        p = bytearray(stranger(b"\xbe\xde\xff\xff" + rb(8)))
        p[0] |= 0x10                        # an extension past the end
        out.append(p)
        p = bytearray(stranger(rb(20) + b"\xff"))
        p[0] |= 0x20                        # 255 bytes of padding in 21
        out.append(p)
    out += [stranger(rb(160)) for _ in range(50)]   # the call's PT
    for size in (1501, 4000, 9000, 65000):          # oversized
        out += [rb(size), stranger(rb(size - 12))]
    return out


def rtcp_garbage():
    sr = bytes([0x80, 200, 0, 6]) + rb(24)          # a sender report
    out = [rb(rnd.randrange(0, 300)) for _ in range(50)]
    out += [sr[:n] for n in range(len(sr))]         # truncated
    out += [bytes([v << 6]) + sr[1:] for v in (0, 1, 3)]
    out.append(bytes([0x80, 200, 0xff, 0xff]) + rb(24))   # length lies
    out.append(bytes([0x9f, 201, 0, 1]) + rb(4))    # 31 reports in 8 bytes
    out += [sr[:4] + rb(size - 4) for size in (1501, 9000, 65000)]
    return out


def sock(port):
    """(bytes queued, datagrams dropped) at caucusd's UDP socket on port"""
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            c = line.split()
            if c[1].endswith(":%04X" % port):
                return int(c[4].split(":")[1], 16), int(c[-1])
    sys.exit("nothing listens on UDP %d" % port)


def drained(port):
    """until caucusd has read everything queued on port (the RTCP socket
    is read every 200 ms); 10 s: it stopped reading"""
    end = time.monotonic() + 10
    while sock(port)[0]:
        if time.monotonic() > end:
            sys.exit("caucusd stopped reading UDP %d" % port)
        time.sleep(0.002)


def send(s, port, datagrams):
    """in batches of at most about 100 kB of socket buffer, each read by
    caucusd before the next goes, so that none is dropped for room;
    returns the datagrams dropped all the same"""
    dropped = sock(port)[1]
    queued = 0
    for d in datagrams:
        if queued and queued + len(d) + 1024 > 100000:
            drained(port)
            queued = 0
        s.sendto(bytes(d), ("127.0.0.1", port))
        queued += len(d) + 1024
    drained(port)
    return sock(port)[1] - dropped


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in map(int, sys.argv[1:]):
    rtp = rtp_garbage()
    like = sum(len(d) >= 12 and d[0] >> 6 == 2 for d in rtp)
    print(port, like, send(s, port, rtp) + send(s, port + 1, rtcp_garbage()))
PY
then
	alive
	fail "caucusd stopped reading the garbage"
fi
TG=$(date +%s%N)
cat "$WORK/garbage.out"
for n in a b; do
	LIKE[$n]=$(awk -v p="${PORT[$n]}" '$1 == p { print $2 }' "$WORK/garbage.out")
	[ -n "${LIKE[$n]}" ] || fail "no garbage went to $n"
	[ "$(awk -v p="${PORT[$n]}" '$1 == p { print $3 }' "$WORK/garbage.out")" = 0 ] ||
		fail "$n: garbage dropped before caucusd could read it"
	RX0[$n]=$(media_of "$n" rx_packets)
	TX0[$n]=$(media_of "$n" tx_packets)
done
alive
connected_count_is demo 2 || fail "a call ended: $(get /v1/conferences/demo)"
# media keeps flowing: 200 more packets sent to each (4 s; the counters
# may be a second old, so 3 s at least after the garbage), and 150 more
# received from each than all the garbage could account for
for n in a b; do
	wait_for 15 flowing "$n" $((RX0[$n] + LIKE[$n] + 150)) $((TX0[$n] + 200)) ||
		fail "$n: media stopped after the garbage: received" \
			"$(media_of "$n" rx_packets) (${RX0[$n]} before)," \
			"sent $(media_of "$n" tx_packets) (${TX0[$n]} before)"
	[ "$(media_of "$n" remote)" = "${REMOTE[$n]}" ] ||
		fail "$n: media now goes to $(media_of "$n" remote)," \
			"not ${REMOTE[$n]}"
done
connected_count_is demo 2 || fail "a call ended: $(get /v1/conferences/demo)"
TE=$(date +%s%N)
# shellcheck disable=SC2086
baresip_finish $BS_PIDS
# each hears the other after the garbage: the recordings' last TE - TG
# seconds came after it (0.5 s margin for the jitter buffers, 0.3 s
# before the hang-up)
declare -A OTHER=([a]=b [b]=a) TONE=([a]=400 [b]=700)
for n in a b; do
	rec=$(recording "$WORK/bs-$n")
	[ -n "$rec" ] || fail "no recording from $n"
	len=$(python3 -c "import wave,sys; w=wave.open(sys.argv[1]); print(w.getnframes()/w.getframerate())" "$rec")
	win=$(awk -v l="$len" -v g="$(( (TE - TG) / 1000000 ))" \
		'BEGIN { printf "--from %.2f --to %.2f", l - g / 1000 + 0.5, l - 0.3 }')
	# shellcheck disable=SC2086
	"$BIN/tonecheck" "$rec" $win --expect "${TONE[${OTHER[$n]}]}" \
		--absent "${TONE[$n]}" || fail "$n after the garbage"
done
log PASS
