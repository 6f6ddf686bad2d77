#!/bin/bash
# SIP over TLS and SRTP with real clients. Three baresip callers, all over
# TLS (;transport=tls: baresip 1.0 cannot dial a sips: URI), with the three
# media encryptions baresip has: srtp (SDES in RTP/AVP, "best effort"),
# srtp-mand (SDES in RTP/SAVP) and dtls_srtp (DTLS-SRTP, both ports
# keyed). The API must show each call encrypted as it should be, and an
# FFT that each hears the other two and not itself; after the focus has
# re-offered to everyone twice the calls are up, as encrypted as before,
# and what they send still decrypts. A sips: INVITE over TLS (Python's
# ssl) gets a sips: Contact.
# Then, in a conference whose policy says srtp: required: a plain RTP
# caller is refused (488 saying why); a DTLS-SRTP caller (openssl
# s_client doing the handshake) whose certificate is the one its SDP
# fingerprints is keyed, even when strangers have sent forged DTLS records
# to its port first, and so is one that waits as DTLS server
# (setup:passive: openssl s_server) for the focus to start; one whose
# certificate is not the SDP's is hung up at once with a BYE saying why.
# With srtp: off an SRTP-only offer gets 488.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"

# a certificate for SIP over TLS that the clients trust (sip_cafile),
# and two for the DTLS checks
cert() { # NAME
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$WORK/$1.key" -out "$WORK/$1.crt" 2>/dev/null ||
		fail "openssl could not make a certificate"
}
cert sip
cert good
cert other
cat "$WORK/sip.crt" "$WORK/sip.key" >"$WORK/caucus.pem"
TLS_PORT=$(free_port)
start_caucusd --sip-transports udp,tcp,tls --sip-tls-port "$TLS_PORT" \
	--tls-cert "$WORK/caucus.pem"

# tls_caller NAME ENC TONE URI: a baresip client over TLS with media
# encryption ENC (its mediaenc) that dials URI and sends TONE Hz
tls_caller() {
	local n=$1 enc=$2 tone=$3 uri=$4 d="$WORK/bs-$1" mod=srtp.so
	[ "$enc" = dtls_srtp ] && mod=dtls_srtp.so
	BS_CODECS=$mod baresip_conf "$d" "$n" "module sndfile.so" \
		"snd_path $d" "sip_cafile $WORK/sip.crt"
	"$BIN/tonegen" "$d/tone.wav" "$tone" 40 8000 0.3
	echo "<sip:$n@127.0.0.1;transport=tls>;regint=0;audio_codecs=PCMU;mediaenc=$enc" \
		>"$d/accounts"
	baresip -f "$d" -e "/dial $uri" -t 40 >"$d/baresip.log" 2>&1 &
	BS_PIDS="$BS_PIDS $!"
	CHILDREN="$CHILDREN $!"
}
declare -A TONE=([a]=400 [b]=700 [c]=1100)
BS_PIDS=""
tls_caller a srtp 400 "sip:demo@127.0.0.1:$TLS_PORT;transport=tls"
tls_caller b srtp-mand 700 "sip:demo@127.0.0.1:$TLS_PORT;transport=tls"
tls_caller c dtls_srtp 1100 "sip:demo@127.0.0.1:$TLS_PORT;transport=tls"
wait_connected 15 demo 3 "three baresip clients did not connect over TLS"

tls_conns() { ss -Htn state established "( sport = :$TLS_PORT )" | wc -l; }
[ "$(tls_conns)" -eq 3 ] || fail "$(tls_conns) TLS connections, not 3"
# each call as encrypted as its client asked; DTLS keys come a moment
# after the call is up
enc_of() { # NAME: the encryption the API shows for sip:NAME@127.0.0.1
	api GET /v1/conferences/demo
	printf '%s' "$BODY" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["participants"]:
    if p["uri"] == "sip:%s@127.0.0.1" % sys.argv[1]:
        print(p["media"]["encryption"])' "$1"
}
dtls_keyed() { [ "$(enc_of c)" = "DTLS-SRTP AES_CM_128_HMAC_SHA1_80" ]; }
wait_for 10 dtls_keyed || fail "c is not keyed by DTLS: $(enc_of c)"
for n in a b; do
	[ "$(enc_of $n)" = "SDES AES_CM_128_HMAC_SHA1_80" ] ||
		fail "$n: encryption $(enc_of $n)"
done
grep -q 'inline:' "$WORK/caucusd.log" && fail "an SDES key in the log"

# every client hears PHASE seconds of the others, then the FFT
PHASE=4
declare -A MARK
for n in a b c; do MARK[$n]=$(rec_bytes "$WORK/bs-$n"); done
for n in a b c; do wait_heard "$WORK/bs-$n" "${MARK[$n]}" "$PHASE"; done
declare -A END
for n in a b c; do END[$n]=$(rec_bytes "$WORK/bs-$n"); done

# the focus re-offers to everyone (a lecture, then back, as a session
# refresh would): each answer to our re-offer must match what was agreed
# (SDES tag and suite, DTLS fingerprint and role), the keys stay, and the
# media goes on
dirs_are() { # DIRECTION: every participant's media says it
	api GET /v1/conferences/demo
	[ "$(printf '%s' "$BODY" | grep -o "\"direction\":\"$1\"" |
		wc -l)" -eq 3 ]
}
api PATCH /v1/conferences/demo '{"media":[{"type":"audio","status":"recvonly"}]}'
expect_status 200 "lecture mode"
wait_for 5 dirs_are sendonly || fail "the re-offers were not all taken: $BODY"
api PATCH /v1/conferences/demo '{"media":[{"type":"audio","status":"sendrecv"}]}'
expect_status 200 "back"
wait_for 5 dirs_are sendrecv || fail "the second re-offers: $BODY"
connected_count_is demo 3 || fail "a call ended in the re-offers: $BODY"
[ "$(enc_of c)" = "DTLS-SRTP AES_CM_128_HMAC_SHA1_80" ] ||
	fail "c after the re-offers: $(enc_of c)"
# baresip stops its recording at a re-INVITE (with plain RTP too), so
# what follows is read at the focus: each caller's SRTP still decrypts
# (2 s more of packets, hardly any that do not authenticate: baresip
# sends an RTCP APP in the clear at each stream start)
media_of() { # NAME FIELD
	api GET /v1/conferences/demo
	printf '%s' "$BODY" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["participants"]:
    if p["uri"] == "sip:%s@127.0.0.1" % sys.argv[1]:
        print(p["media"][sys.argv[2]])' "$1" "$2"
}
declare -A RX0
for n in a b c; do RX0[$n]=$(media_of "$n" rx_packets); done
grown() {
	local n
	for n in a b c; do
		[ "$(media_of "$n" rx_packets)" -ge $(( RX0[$n] + 100 )) ] ||
			return 1
	done
}
wait_for 5 grown || fail "media did not go on after the re-offers: $BODY"
for n in a b c; do
	u=$(media_of "$n" rx_unauthenticated)
	[ "$u" -le 5 ] || fail "$n: $u packets did not authenticate"
done

# sips: over TLS: the focus answers with a sips: Contact
out=$(python3 "$SRC/tests/integration/srtpcall.py" "$TLS_PORT" demo sips \
	"$WORK/sip.crt")
log "sips: $(echo $out)"
printf '%s' "$out" | grep -q '^final 200' || fail "sips INVITE: $out"
printf '%s' "$out" | grep -q '^contact <sips:demo@127.0.0.1:'"$TLS_PORT" ||
	fail "the Contact of a sips: call is not sips: at the TLS port: $out"
printf '%s' "$out" | grep -q '^bye 200' || fail "sips BYE: $out"

# the security checks run in another conference meanwhile
api POST /v1/conferences '{"id":"sec"}'
expect_status 201 "create sec"
api PATCH /v1/conferences/sec/policy '{"srtp":"required"}'
expect_status 200 "srtp required"
out=$(python3 "$SRC/tests/integration/srtpcall.py" "$SIP_PORT" sec plain)
log "plain RTP: $out"
printf '%s' "$out" | grep -q '^final 488 .*requires SRTP' ||
	fail "plain RTP where SRTP is required: $out"
# before the caller's ClientHello, 8 records that only look like DTLS
# from 8 other ports (anyone may handshake while a call has no keys, and
# a spoofer can show any address): junk, ClientHellos OpenSSL refuses,
# and ClientHellos whose rest never comes, which hold a place each. They
# must not keep the genuine handshake out. First of the DTLS calls here:
# with per-thread sockets a stranger's record goes to the one stream on
# the port not yet heard from, and the calls below stay up unheard.
out=$(HTTP_PORT=$HTTP_PORT python3 "$SRC/tests/integration/dtls_forged.py" \
	"$SIP_PORT" sec "$WORK/good.crt" "$WORK/good.key" 8)
log "DTLS after forged records: $(echo $out)"
printf '%s' "$out" | grep -q '^forged 8$' || fail "the forgeries: $out"
printf '%s' "$out" | grep -q '^up$' ||
	fail "forged DTLS records kept the genuine handshake out: $out"
grep -q 'msg="DTLS handshake pushed out"' "$WORK/caucusd.log" ||
	fail "no forged handshake took a place: they never reached the focus"
out=$(HTTP_PORT=$HTTP_PORT python3 "$SRC/tests/integration/srtpcall.py" \
	"$SIP_PORT" sec dtls "$WORK/good.crt" "$WORK/good.key" \
	"$WORK/good.crt")
log "DTLS, the right certificate: $(echo $out)"
printf '%s' "$out" | grep -q '^setup passive' || fail "setup: $out"
printf '%s' "$out" | grep -q '^up$' || fail "DTLS with the SDP's certificate: $out"
out=$(HTTP_PORT=$HTTP_PORT python3 "$SRC/tests/integration/srtpcall.py" \
	"$SIP_PORT" sec dtls-passive "$WORK/good.crt" "$WORK/good.key" \
	"$WORK/good.crt")
log "DTLS, the caller passive: $(echo $out)"
printf '%s' "$out" | grep -q '^setup active' || fail "setup: $out"
printf '%s' "$out" | grep -q '^up$' ||
	fail "the focus as DTLS client did not key the call: $out"
out=$(HTTP_PORT=$HTTP_PORT python3 "$SRC/tests/integration/srtpcall.py" \
	"$SIP_PORT" sec dtls "$WORK/other.crt" "$WORK/other.key" \
	"$WORK/good.crt")
log "DTLS, another certificate: $(echo $out)"
printf '%s' "$out" | grep -q '^bye DTLS fingerprint does not match' ||
	fail "DTLS with a certificate the SDP did not name: $out"
grep -q 'msg="DTLS refused: the certificate is not the SDP' \
	"$WORK/caucusd.log" || fail "the refusal is not logged"
api PATCH /v1/conferences/sec/policy '{"srtp":"off"}'
expect_status 200 "srtp off"
out=$(python3 "$SRC/tests/integration/srtpcall.py" "$SIP_PORT" sec sdes)
log "SDES where SRTP is off: $out"
printf '%s' "$out" | grep -q '^final 488 .*SRTP is off' ||
	fail "SRTP where it is off: $out"
api GET /metrics
printf '%s' "$BODY" | grep -q '^caucus_dtls_total{outcome="fingerprint"} [1-9]' ||
	fail "no fingerprint refusal in /metrics"

# shellcheck disable=SC2086
baresip_finish $BS_PIDS
for n in a b c; do
	f=$(recording "$WORK/bs-$n")
	[ -n "$f" ] || fail "no recording from $n"
	others=""
	for o in a b c; do
		[ "$o" = "$n" ] || others="$others,${TONE[$o]}"
	done
	# shellcheck disable=SC2046
	"$BIN/tonecheck" "$f" $(rec_window "$f" "${MARK[$n]}" "${END[$n]}" 1) \
		--expect "${others#,}" --absent "${TONE[$n]}" ||
		fail "$n: does not hear ${others#,} alone"

done
log PASS
