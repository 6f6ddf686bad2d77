#!/bin/bash
# Recording a conference (POST /v1/conferences/{id}/recordings): the
# recorder hears the room's mix, as a listener does, into a file of the
# recordings folder. Three baresip callers (PCMU) send 400, 700 and
# 1100 Hz at -20 dBFS in demo, the built-in announcements off; the
# event stream (/v1/events) is watched throughout.
#   1. Ogg Opus (the default): 201 "recording"; a second start 409; its
#      audio 409 while it records; until duration_ms reaches 4 s (GET
#      .../recordings/{rid}, polled) the RFC 4575 document (schema-valid)
#      and the event stream list a service URI with purpose "recording";
#      stop: 202 "stopping", then "stopped", and the URI goes from both;
#      the download (audio/ogg, as many bytes as GET says) passes
#      opusinfo, decodes (opusdec, 16 kHz) to the three tones
#      (tonecheck), and lasts duration_ms within 5 %, which is within 5 %
#      of the time from the start to the stop (no frame lost);
#   2. WAV ({"format":"wav"}), 2 s: a valid RIFF file (PCM, mono, 16 bit,
#      16 kHz, its sizes right), the three tones, duration_ms within 5 %;
#      both recordings listed, newest first;
#   3. refusals: a stop of an unknown id (404) or of a stopped recording
#      (409), GET of an unknown id (404), a bad format (400), recordings
#      of an unknown conference (404);
#   4. a recordings folder that cannot be made (under a regular file):
#      POST answers 500 with a JSON error, no service URI appears, and
#      the conference goes on (both callers connected and hearing each
#      other, the API answering);
#   5. a disk that fills (a tmpfs mounted there, when this container lets
#      us mount; else this part is skipped and says so): a WAV, then an
#      Ogg recording stop by themselves with state "failed" and an error
#      naming ENOSPC, the service URI goes, the callers still hear each
#      other.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
C=/v1/conferences/demo
OFF_JSON='{"announcements":{"entry":"off","exit":"off","only_participant":false,"recording":false}}'
HEARD=-30      # dBFS: a tone sent at -20 dBFS and recorded is above this

MNT="$WORK/mnt"
# the tmpfs must go before lib.sh's cleanup removes WORK (a busy mount
# point would stay behind): caucusd, which may hold a file there, first
unmount() {
	mountpoint -q "$MNT" 2>/dev/null || return 0
	[ -n "$CAUCUSD_PID" ] && kill -9 "$CAUCUSD_PID" 2>/dev/null
	umount "$MNT" 2>/dev/null || umount -l "$MNT"
}
trap 'unmount; cleanup' EXIT

# rec_get RID: BODY is the recording's object (200)
rec_get() {
	api GET "$C/recordings/$1"
	expect_status 200 "GET recording $1"
}
rec_state_is() { api GET "$C/recordings/$1"; [ "$(json_field "$BODY" state)" = "$2" ]; }
rec_ms_ge() { api GET "$C/recordings/$1"; [ "$(json_num "$BODY" duration_ms)" -ge "$2" ]; }
# info_xml FILE: the RFC 4575 document of demo
info_xml() {
	curl -s -H "Accept: application/conference-info+xml" "$API$C/info" >"$1"
}
# rec_uri FILE: the service URI with purpose "recording" in a document
rec_uri() {
	python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"c": "urn:ietf:params:xml:ns:conference-info"}
doc = ET.parse(sys.argv[1]).getroot()
for e in doc.iterfind("c:conference-description/c:service-uris/c:entry", ns):
    if e.findtext("c:purpose", namespaces=ns) == "recording":
        print(e.findtext("c:uri", namespaces=ns))
PY
}
no_rec_uri() { info_xml "$WORK/now.xml"; [ -z "$(rec_uri "$WORK/now.xml")" ]; }
# ev_uri STATE RID: the event stream's last document of demo with
# service URIs has (on) or has not (off) RID's recording URI
ev_uri() {
	python3 - "$WORK/ev.out" "$2" "$1" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    d = m.get("document", {}).get("conference-info", {})
    su = d.get("conference-description", {}).get("service-uris")
    if su is None:
        continue
    last = [e for e in su.get("entry", []) if e.get("purpose") == "recording"]
on = last is not None and any(e["uri"].endswith("/recordings/" + sys.argv[2])
                              for e in last)
sys.exit(0 if (on if sys.argv[3] == "on" else last is not None and not last) else 1)
PY
}
# playback_s OGG: opusinfo's playback length in seconds
playback_s() {
	opusinfo "$1" | sed -n 's/.*Playback length: *\([0-9]*\)m:\([0-9.]*\)s.*/\1 \2/p' |
		awk '{ printf "%.3f", $1 * 60 + $2 }'
}
wav_s() {
	python3 -c "import wave,sys; w=wave.open(sys.argv[1]); print('%.3f' % (w.getnframes()/w.getframerate()))" "$1"
}
# within GOT WANT PCT: |GOT - WANT| <= PCT % of WANT
within() {
	awk -v g="$1" -v w="$2" -v p="$3" \
		'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && w > 0 && d <= w * p / 100) }'
}
# tones_in WAV WHAT: the three tones, each heard, in all of WAV but its
# first 0.3 s and last 0.2 s; their levels logged
tones_in() {
	local len w l f
	len=$(wav_s "$1")
	w="--from 0.3 --to $(awk -v l="$len" 'BEGIN { print l - 0.2 }')"
	for f in 400 700 1100; do
		l=$(tone_level "$1" "$w" $f)
		log "  $2: $f Hz at $l dBFS"
		awk -v l="$l" -v t=$HEARD 'BEGIN { exit !(l != "" && l > t) }' ||
			fail "$2: $f Hz not recorded ($l dBFS)"
	done
	# shellcheck disable=SC2086
	"$BIN/tonecheck" "$1" $w --expect 400,700,1100 --quiet >/dev/null ||
		fail "$2: tonecheck does not find the three tones"
}
# download RID FILE: the recording's audio; prints its Content-Type
download() {
	local out
	out=$(curl -s -o "$2" -w '%{http_code} %{content_type}' \
		"$API$C/recordings/$1/audio")
	[ "${out%% *}" = 200 ] || fail "download of $1: HTTP $out"
	printf '%s' "${out#* }"
}
# stop_rec RID: 202 "stopping" (or already "stopped"), then waits for
# "stopped"
stop_rec() {
	api POST "$C/recordings/$1/stop"
	expect_status 202 "stop $1"
	case $(json_field "$BODY" state) in
	stopping | stopped) ;;
	*) fail "stop $1: state is not stopping: $BODY" ;;
	esac
	wait_for 10 rec_state_is "$1" stopped ||
		fail "$1 not stopped 10 s after the stop: $BODY"
}

start_caucusd
api PATCH $C/policy "$OFF_JSON"
expect_status 200 "built-in announcements off"
"$BIN/wsclient" "ws://127.0.0.1:$HTTP_PORT/v1/events?conference=demo" 60 \
	>"$WORK/ev.out" 2>"$WORK/ev.err" &
WS=$!
CHILDREN="$CHILDREN $WS"
wait_for 5 grep -q connected "$WORK/ev.err" || fail "event stream: no connection"

BS_PIDS=""
pcmu_caller "$WORK/bs-a" a demo 400 0.1
pcmu_caller "$WORK/bs-b" b demo 700 0.1
pcmu_caller "$WORK/bs-c" c demo 1100 0.1
wait_connected 15 demo 3 "three baresip clients did not connect"
# every tone is flowing: each client has heard 1 s of the others
wait_all_heard 1 "$WORK/bs-a" "$WORK/bs-b" "$WORK/bs-c"

log "1. Ogg Opus"
T0=$(now_ms)
api POST $C/recordings '{}'
expect_status 201 "start a recording"
R1=$(json_field "$BODY" id)
[ -n "$R1" ] || fail "201 without an id: $BODY"
[ "$(json_field "$BODY" format)" = ogg ] || fail "not Ogg by default: $BODY"
[ "$(json_field "$BODY" state)" = recording ] || fail "not recording: $BODY"
log "  started $BODY"
api POST $C/recordings '{"format":"wav"}'
expect_status 409 "a second recording while one is on"
api GET "$C/recordings/$R1/audio"
expect_status 409 "the audio while it records"
info_xml "$WORK/on.xml"
xmllint --noout --schema "$XSD" "$WORK/on.xml" ||
	fail "the document while recording does not validate"
U=$(rec_uri "$WORK/on.xml")
case $U in
*"/v1/conferences/demo/recordings/$R1") log "  service URI $U" ;;
*) fail "no recording service URI while recording: '$U' $(cat "$WORK/on.xml")" ;;
esac
wait_for 5 ev_uri on "$R1" || fail "the event stream does not show the recording"
wait_for 15 rec_ms_ge "$R1" 4000 || fail "$R1 does not reach 4 s: $BODY"
rec_get "$R1"
[ "$(json_field "$BODY" state)" = recording ] || fail "not recording at 4 s: $BODY"
T1=$(now_ms)
stop_rec "$R1"
rec_get "$R1"
log "  stopped $BODY"
MS1=$(json_num "$BODY" duration_ms)
BYTES1=$(json_num "$BODY" bytes)
[ -n "$(json_num "$BODY" stopped_at)" ] || fail "no stopped_at: $BODY"
if printf '%s' "$BODY" | grep -q '"error"'; then fail "an error: $BODY"; fi
wait_for 5 no_rec_uri || fail "the service URI stays after the stop: $(rec_uri "$WORK/now.xml")"
xmllint --noout --schema "$XSD" "$WORK/now.xml" ||
	fail "the document after the stop does not validate"
wait_for 5 ev_uri off "$R1" || fail "the event stream does not show the recording gone"
T=$(download "$R1" "$WORK/r1.ogg")
[ "$T" = audio/ogg ] || fail "$R1 comes as $T"
[ "$(stat -c %s "$WORK/r1.ogg")" = "$BYTES1" ] ||
	fail "downloaded $(stat -c %s "$WORK/r1.ogg") bytes, GET said $BYTES1"
opusinfo "$WORK/r1.ogg" >"$WORK/r1.info" 2>&1 ||
	{ cat "$WORK/r1.info"; fail "opusinfo refuses $R1"; }
grep -q 'Original sample rate: 16000 Hz' "$WORK/r1.info" ||
	fail "not 16 kHz: $(cat "$WORK/r1.info")"
P1=$(playback_s "$WORK/r1.ogg")
opusdec --quiet --rate 16000 "$WORK/r1.ogg" "$WORK/r1.wav" 2>"$WORK/opusdec.err" ||
	fail "opusdec: $(cat "$WORK/opusdec.err")"
D1=$(wav_s "$WORK/r1.wav")
WALL=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')
log "  duration_ms $MS1, opusinfo $P1 s, decoded $D1 s, $BYTES1 bytes;" \
	"$WALL s from the start to the stop"
# nothing lost on the way: as long as the time it was on
within "$(awk -v m="$MS1" 'BEGIN { print m / 1000 }')" "$WALL" 5 ||
	fail "$MS1 ms recorded in $WALL s"
within "$P1" "$(awk -v m="$MS1" 'BEGIN { print m / 1000 }')" 5 ||
	fail "opusinfo says $P1 s, duration_ms $MS1"
within "$D1" "$(awk -v m="$MS1" 'BEGIN { print m / 1000 }')" 5 ||
	fail "it decodes to $D1 s, duration_ms $MS1"
tones_in "$WORK/r1.wav" "Ogg"

log "2. WAV"
api POST $C/recordings '{"format":"wav"}'
expect_status 201 "start a WAV recording"
R2=$(json_field "$BODY" id)
[ "$(json_field "$BODY" format)" = wav ] || fail "not WAV: $BODY"
wait_for 10 rec_ms_ge "$R2" 2000 || fail "$R2 does not reach 2 s: $BODY"
stop_rec "$R2"
rec_get "$R2"
MS2=$(json_num "$BODY" duration_ms)
T=$(download "$R2" "$WORK/r2.wav")
[ "$T" = audio/wav ] || fail "$R2 comes as $T"
python3 - "$WORK/r2.wav" "$MS2" <<'PY' || fail "$R2 is not a valid WAV file"
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:4] == b"RIFF" and b[8:12] == b"WAVE", "no RIFF/WAVE"
assert struct.unpack("<I", b[4:8])[0] == len(b) - 8, "RIFF size"
pos, fmt, data = 12, None, None
while pos + 8 <= len(b):
    cid, n = b[pos:pos + 4], struct.unpack("<I", b[pos + 4:pos + 8])[0]
    if cid == b"fmt ":
        fmt = struct.unpack("<HHIIHH", b[pos + 8:pos + 24])
    if cid == b"data":
        data = n
        assert pos + 8 + n == len(b), "data size %d, %d there" % (n, len(b) - pos - 8)
    pos += 8 + n + (n & 1)
assert fmt == (1, 1, 16000, 32000, 2, 16), "fmt %r" % (fmt,)
assert data, "no data"
s = data / 32000
ms = int(sys.argv[2])
print("  WAV: %d bytes of samples, %.3f s, duration_ms %d" % (data, s, ms))
assert abs(s * 1000 - ms) <= ms * 0.05, "%.3f s against %d ms" % (s, ms)
PY
tones_in "$WORK/r2.wav" "WAV"
api GET $C/recordings
expect_status 200 "the list"
printf '%s' "$BODY" | grep -q "^{\"recordings\":\[{\"id\":\"$R2\".*{\"id\":\"$R1\"" ||
	fail "the list is not $R2 then $R1: $BODY"

log "3. refusals"
api POST $C/recordings/20990101T000000Z/stop
expect_status 404 "a stop of an unknown recording"
api POST "$C/recordings/$R1/stop"
expect_status 409 "a stop of a stopped recording"
api GET $C/recordings/20990101T000000Z
expect_status 404 "an unknown recording"
api GET $C/recordings/20990101T000000Z/audio
expect_status 404 "the audio of an unknown recording"
api POST $C/recordings '{"format":"mp3"}'
expect_status 400 "a format that is not one"
api POST /v1/conferences/nosuch/recordings '{}'
expect_status 404 "an unknown conference"
alive
kill "$WS" 2>/dev/null || true
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

log "4. a folder that cannot be made"
: >"$MNT"     # a regular file where the folder's parent should be
start_caucusd --recordings-dir "$MNT/rec"
api PATCH $C/policy "$OFF_JSON"
expect_status 200 "built-in announcements off"
BS_PIDS=""
pcmu_caller "$WORK/bs-d" d demo 400 0.1
pcmu_caller "$WORK/bs-e" e demo 1100 0.1
wait_connected 15 demo 2 "two baresip clients did not connect"
wait_all_heard 1 "$WORK/bs-d" "$WORK/bs-e"
declare -A MARK
# still_going PHASE: both callers connected, the API answering, and
# both hear 2 s more (marked for the FFT at the end)
still_going() {
	local n
	connected_count_is demo 2 || fail "$1: the callers are not connected"
	api GET $C
	expect_status 200 "$1: the conference"
	for n in d e; do MARK[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
	wait_all_heard 2 "$WORK/bs-d" "$WORK/bs-e"
	for n in d e; do MARK[$n,$1.end]=$(rec_bytes "$WORK/bs-$n"); done
}
api POST $C/recordings '{}'
expect_status 500 "a recording with no folder"
[ -n "$(json_field "$BODY" error)" ] || fail "500 without a JSON error: $BODY"
log "  $STATUS $BODY"
grep -q 'msg="recording not started: no folder" conf=demo dir=.* err=' \
	"$WORK/caucusd.log" || fail "no log line for the missing folder"
no_rec_uri || fail "a service URI for a recording that did not start"
still_going nofolder
PHASES=nofolder

log "5. a disk that fills"
rm -f "$MNT"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=256k tmpfs "$MNT" 2>"$WORK/mount.err"; then
	log "SKIPPED: cannot mount a tmpfs here: $(cat "$WORK/mount.err")"
else
	# kept FORMAT RID MS: what a failed recording's file holds
	kept() {
		local f="$WORK/failed.$1" T s
		T=$(download "$2" "$f")
		if [ "$1" = wav ]; then
			s=$(wav_s "$f")
		else
			opusinfo "$f" >"$f.info" 2>&1 || log "  opusinfo: $(cat "$f.info")"
			opusdec --quiet --rate 16000 "$f" "$f.wav" 2>"$f.err" ||
				log "  opusdec: $(cat "$f.err")"
			s=$(wav_s "$f.wav")
		fi
		log "  the failed $1 file ($T, $(stat -c %s "$f") bytes): $s s, duration_ms $3"
	}
	# fill FORMAT KB: a recording in FORMAT with KB kilobytes left on
	# the disk (a filler file takes the rest), until it fails
	fill() {
		local rid e
		rm -rf "${MNT:?}"/*
		dd if=/dev/zero of="$MNT/filler" bs=1k \
			count=$(( 256 - $2 )) status=none 2>/dev/null || true
		log "  $1 with $(df -k --output=avail "$MNT" | tail -n1 | tr -d ' ') KB free"
		api POST $C/recordings "{\"format\":\"$1\"}"
		expect_status 201 "a $1 recording on the small disk"
		rid=$(json_field "$BODY" id)
		info_xml "$WORK/full.xml"
		[ -n "$(rec_uri "$WORK/full.xml")" ] ||
			fail "$1: no service URI while recording"
		wait_for 20 rec_state_is "$rid" failed ||
			fail "$1: not failed 20 s into a full disk: $BODY"
		log "  $BODY"
		e=$(json_field "$BODY" error)
		case $e in
		*"space"*) ;;
		*) fail "$1: the failure does not say the disk is full: $BODY" ;;
		esac
		[ -n "$(json_num "$BODY" stopped_at)" ] || fail "$1: no stopped_at: $BODY"
		grep -q "msg=\"recording stopped: it could not be written\" conf=demo id=$rid err=" \
			"$WORK/caucusd.log" || fail "$1: no log line for the failure"
		wait_for 5 no_rec_uri || fail "$1: the service URI stays after the failure"
		kept "$1" "$rid" "$(json_num "$BODY" duration_ms)"
		still_going "full-$1"
		PHASES="$PHASES full-$1"
	}
	# (the room a recording has left sets how long it runs before the
	# disk is full: WAV takes 32 KB a second, this Ogg Opus about 3)
	fill wav 32
	fill ogg 8
	api GET $C/recordings
	expect_status 200 "the list after the failures"
	[ "$(printf '%s' "$BODY" | grep -o '"state":"failed"' | wc -l)" = 2 ] ||
		fail "the list does not show the two failures: $BODY"
fi
alive
# shellcheck disable=SC2086
baresip_finish $BS_PIDS
unmount

# the callers heard each other through every phase
for n in d e; do
	rec=$(recording "$WORK/bs-$n")
	[ -n "$rec" ] || fail "no recording from $n"
	want=$([ $n = d ] && echo 1100 || echo 400)
	for p in $PHASES; do
		w=$(rec_window "$rec" "${MARK[$n,$p]}" "${MARK[$n,$p.end]}" 0.3)
		l=$(tone_level "$rec" "$w" "$want")
		log "  $p: $n hears $want Hz at $l dBFS"
		awk -v l="$l" -v t=$HEARD 'BEGIN { exit !(l != "" && l > t) }' ||
			fail "$p: $n does not hear the other caller ($l dBFS)"
	done
done
log PASS
