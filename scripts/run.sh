#!/bin/sh
# make run: start caucusd on the embedded defaults (SQLite in ./var,
# 127.0.0.1, SIP 5060, SIP over TLS 5061, HTTP 8080) with the conference
# "demo", and say how to join it. The TLS certificate is a self-signed one
# made on the first start (./var/tls/caucus.pem, with its key; replace it
# with your own). Extra flags: make run ARGS="--sip-port 5070 --log-level
# debug"
set -eu
BUILD=${1:-build}
SIP_PORT=5060
TLS_PORT=5061
HTTP_PORT=8080
# honour ports given in ARGS for the instructions we print
set -- ${ARGS:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--sip-port) SIP_PORT=$2; shift ;;
	--sip-port=*) SIP_PORT=${1#*=} ;;
	--http-port) HTTP_PORT=$2; shift ;;
	--http-port=*) HTTP_PORT=${1#*=} ;;
	--sip-tls-port) TLS_PORT=$2; shift ;;
	--sip-tls-port=*) TLS_PORT=${1#*=} ;;
	esac
	shift
done
if ss -Hlnu "sport = :$SIP_PORT" 2>/dev/null | grep -q .; then
	echo "make run: UDP port $SIP_PORT is taken (another SIP server?);" \
		"try: make run ARGS=\"--sip-port 5070\"" >&2
	exit 1
fi
if ss -Hlnt "sport = :$TLS_PORT" 2>/dev/null | grep -q .; then
	echo "make run: TCP port $TLS_PORT (SIP over TLS) is taken;" \
		"try: make run ARGS=\"--sip-tls-port 5071\"" >&2
	exit 1
fi
if [ "$SIP_PORT" = 5060 ]; then URI="sip:demo@127.0.0.1"
else URI="sip:demo@127.0.0.1:$SIP_PORT"; fi
if [ "$TLS_PORT" = 5061 ]; then SIPS="sips:demo@127.0.0.1"
else SIPS="sips:demo@127.0.0.1:$TLS_PORT"; fi
mkdir -p var/tls
CERT=var/tls/caucus.pem
if [ ! -s "$CERT" ]; then
	echo "make run: making a self-signed TLS certificate for 127.0.0.1" \
		"($CERT)"
	command -v openssl >/dev/null 2>&1 || {
		echo "make run: openssl is missing (apt-get install openssl)" >&2
		exit 1
	}
	openssl req -x509 -newkey rsa:2048 -nodes -days 825 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout var/tls/key.pem -out var/tls/cert.pem 2>/dev/null
	cat var/tls/cert.pem var/tls/key.pem >"$CERT"
	rm -f var/tls/key.pem
	chmod 600 "$CERT"
fi
cat <<MSG

  caucus is starting with the conference "demo".

  Join it from any SIP phone or softphone on this machine (no account or
  registration needed): call  $URI
    baresip:   baresip -e "/dial $URI"
    sipp:      sipp -sn uac -s demo 127.0.0.1:$SIP_PORT
  Encrypted: call  $SIPS  (SIP over TLS, port $TLS_PORT; the
    certificate is ./var/tls/cert.pem, self-signed: give it to the phone
    as its CA), with SRTP (SDES or DTLS-SRTP) if the phone offers it
    baresip:   sip_cafile ./var/tls/cert.pem in its config, an account
               with ;transport=tls and mediaenc=srtp or dtls_srtp
  A new conference on the fly: call  sip:conference-factory@127.0.0.1${URI#sip:demo@127.0.0.1}
  One number for every conference: call  sip:bridge@127.0.0.1${URI#sip:demo@127.0.0.1}
    and key the conference's id (digits, e.g. a conference "4711") and #
  Keypad in a call: *1 mute, *2 raise hand, *3 who is here, ** all keys
  Sidebar of demo: sip:demo+<sidebar>@127.0.0.1 once made (docs/media-policy.md)
  Video: a phone that offers VP8, H.264 or VP9 sees the speaker; a test
    caller with a colour and a tone: ./$BUILD/caucus-vidpeer --target $URI
    composed: curl -X PATCH http://127.0.0.1:$HTTP_PORT/v1/conferences/demo/video -d '{"mode":"composed"}'
  Floor control (BFCP, TCP and UDP): 127.0.0.1:$((SIP_PORT + 2)), offered
    in the call's SDP; caucus-bfcpclient in ./$BUILD (docs/floor.md)
  Web console: http://127.0.0.1:$HTTP_PORT/
  Terminal:    CAUCUS_URL=http://127.0.0.1:$HTTP_PORT tools/caucusctl conf list
  API:         curl http://127.0.0.1:$HTTP_PORT/v1/conferences/demo
  Store:       ./var/caucus.db      Stop: Ctrl-C (hangs up everyone)
  More than one box: scripts/cluster.sh up 3 (Kamailio, PostgreSQL and
    three nodes on this machine; docs/scale.md)

MSG
# shellcheck disable=SC2086
exec "./$BUILD/caucusd" --demo demo --lobby-user bridge --db ./var/caucus.db \
	--sip-transports udp,tcp,tls --tls-cert "$CERT" ${ARGS:-}
