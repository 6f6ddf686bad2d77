#!/bin/sh
# make run: start caucusd on the embedded defaults (SQLite in ./var,
# 127.0.0.1, SIP 5060, HTTP 8080) with the conference "demo", and say how
# to join it. Extra flags: make run ARGS="--sip-port 5070 --log-level debug"
set -eu
BUILD=${1:-build}
SIP_PORT=5060
HTTP_PORT=8080
# honour ports given in ARGS for the instructions we print
set -- ${ARGS:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--sip-port) SIP_PORT=$2; shift ;;
	--sip-port=*) SIP_PORT=${1#*=} ;;
	--http-port) HTTP_PORT=$2; shift ;;
	--http-port=*) HTTP_PORT=${1#*=} ;;
	esac
	shift
done
if ss -Hlnu "sport = :$SIP_PORT" 2>/dev/null | grep -q .; then
	echo "make run: UDP port $SIP_PORT is taken (another SIP server?);" \
		"try: make run ARGS=\"--sip-port 5070\"" >&2
	exit 1
fi
if [ "$SIP_PORT" = 5060 ]; then URI="sip:demo@127.0.0.1"
else URI="sip:demo@127.0.0.1:$SIP_PORT"; fi
cat <<MSG

  caucus is starting with the conference "demo".

  Join it from any SIP phone or softphone on this machine (no account or
  registration needed): call  $URI
    baresip:   baresip -e "/dial $URI"
    sipp:      sipp -sn uac -s demo 127.0.0.1:$SIP_PORT
  A new conference on the fly: call  sip:conference-factory@127.0.0.1${URI#sip:demo@127.0.0.1}
  Web console: http://127.0.0.1:$HTTP_PORT/
  Terminal:    CAUCUS_URL=http://127.0.0.1:$HTTP_PORT tools/caucusctl conf list
  API:         curl http://127.0.0.1:$HTTP_PORT/v1/conferences/demo
  Store:       ./var/caucus.db      Stop: Ctrl-C (hangs up everyone)

MSG
mkdir -p var
# shellcheck disable=SC2086
exec "./$BUILD/caucusd" --demo demo --db ./var/caucus.db ${ARGS:-}
