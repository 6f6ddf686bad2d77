#!/bin/bash
# Talking indicators: the mixer's detector (mixer/talk.c) reports talking
# started and stopped per participant; the API shows "talking", and the
# event stream tells the console (conference-changed). Two baresip
# clients: A sends a tone for 3 s and then silence, B a tone throughout;
# both start talking, A stops about 0.4 s after its tone ends, B goes on.
# A muted participant still shows talking (the console says "muted").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
BS=""
# (a records what it hears: b alone, until b is muted)
baresip_conf "$WORK/bs-a" a "module sndfile.so" "snd_path $WORK/bs-a"
baresip_conf "$WORK/bs-b" b
for n in a b; do
	d="$WORK/bs-$n"
	"$BIN/tonegen" "$d/tone.wav" 600 40 8000 0.3
	echo "<sip:$n@127.0.0.1>;regint=0;audio_codecs=PCMU" >"$d/accounts"
done
# a: 3 s of the tone, then silence (baresip hangs up at the file's end)
python3 - "$WORK/bs-a/tone.wav" <<'PY'
import sys, wave
w = wave.open(sys.argv[1]); p = w.getparams(); f = w.readframes(3 * 8000); w.close()
o = wave.open(sys.argv[1], "wb"); o.setparams(p)
o.writeframes(f + b"\0\0" * (37 * 8000)); o.close()
PY
"$BIN/wsclient" "ws://127.0.0.1:$HTTP_PORT/v1/events?conference=demo" 12 \
	>"$WORK/events" 2>"$WORK/ws.err" &
WS=$!
CHILDREN="$CHILDREN $WS"
wait_for 5 grep -q connected "$WORK/ws.err" ||
	fail "the event stream did not connect: $(cat "$WORK/ws.err")"
for n in a b; do
	baresip -f "$WORK/bs-$n" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" -t 30 \
		>"$WORK/bs-$n/baresip.log" 2>&1 &
	BS="$BS $!"
done
CHILDREN="$CHILDREN $BS"
talking() { # USER true|false
	api GET /v1/conferences/demo
	printf '%s' "$BODY" | grep -q "\"uri\":\"sip:$1@127.0.0.1\"[^}]*\"talking\":$2"
}
wait_for 10 talking a true || fail "a is not talking: $BODY"
wait_for 5 talking b true || fail "b is not talking"
t0=$(date +%s%N)
wait_for 8 talking a false || fail "a never stopped talking"
log "a stopped talking $(( ($(date +%s%N) - t0) / 1000000 )) ms after both talked"
# the event stream tells of it: a message of the conference's version
# then or later (conference-changed; or a partial document, when a change
# the document shows came within the same 100 ms: the console re-reads
# the view on either)
v=$(printf '%s' "$BODY" | python3 -c 'import json, sys
print(json.load(sys.stdin)["version"])')
streamed() { # VERSION: a message of demo at that version or later
	python3 - "$WORK/events" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("conference") == "demo" and ev.get("type") in (
            "conference-changed", "conference-info") and \
            ev.get("version", 0) >= int(sys.argv[2]):
        sys.exit(0)
sys.exit(1)
PY
}
wait_for 5 streamed "$v" ||
	fail "the event stream said nothing of it (version $v): $(cat "$WORK/ws.err"; cut -c1-200 "$WORK/events")"
talking b true || fail "b stopped too"
PB=$(pid_of b)
m0=$(rec_bytes "$WORK/bs-a")
api PATCH "/v1/conferences/demo/participants/$PB" '{"muted":true}'
expect_status 200 "mute b"
# Talking must not stop: nothing happens, so wait for what would come
# after it. a, who hears b alone, has recorded 1.5 s since the mute and
# the last second of it is silent: the mute has been in force in the
# mixer for longer than the 0.4 s of quiet that would end talking.
wait_heard "$WORK/bs-a" "$m0" 1.5
m1=$(rec_bytes "$WORK/bs-a")
db=$(rec_db "$WORK/bs-a" $((m1 - 16000)) "$m1")
log "a heard ${db} dBFS in its last second (b muted)"
awk -v d="$db" 'BEGIN { exit !(d < -50) }' ||
	fail "a still hears muted b (${db} dBFS)"
talking b true || fail "muted b no longer shows talking"
# a change the document does not show, alone: conference-changed
grep -q '"type":"conference-changed"' "$WORK/events" ||
	fail "no conference-changed in the stream: $(cut -c1-200 "$WORK/events")"

# RFC 6464: silence whose header extension says -10 dBov is talking (the
# sender's measure is taken), and plain silence is not
python3 "$SRC/tests/integration/sipauth.py" talk-level "$SIP_PORT" demo \
	lev 4 10 >"$WORK/lev.out" &
LEV=$!
CHILDREN="$CHILDREN $LEV"
python3 "$SRC/tests/integration/sipauth.py" talk-level "$SIP_PORT" demo \
	quiet 4 127 >"$WORK/quiet.out" &
QUIET=$!
CHILDREN="$CHILDREN $QUIET"
lev_talking() {
	api GET /v1/conferences/demo
	printf '%s' "$BODY" | grep -q '"uri":"sip:lev@example.com"[^}]*"talking":true'
}
wait_for 3 lev_talking || fail "the header's level was not taken: $BODY"
printf '%s' "$BODY" | grep -q '"uri":"sip:quiet@example.com"[^}]*"talking":true' &&
	fail "a level of 127 counts as talking"
wait "$LEV" "$QUIET" || fail "the level callers"
stop_caucusd
for p in $BS; do kill "$p" 2>/dev/null || true; done
log PASS
