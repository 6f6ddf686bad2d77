#!/bin/bash
# The PIN lobby (docs/applications.md): the demo conference gets a PIN
# (1234) and a moderator PIN (9073). Callers join in the lobby, heard by
# nobody and hearing only its prompts, and key the PIN and pound:
#   - by SIP INFO (sipp): admitted as a participant;
#   - a wrong PIN three times (INFO): while it tries, moderators see it
#     waiting (GET .../pending with lobby, the RFC 4575 document with
#     status pending and caucus's lobby attribute, schema-valid), others
#     do not count it; then the focus says goodbye and ends the call (BYE);
#   - by RFC 4733 events (sipp playing sip-tester's DTMF captures): the
#     moderator PIN gives the moderator role, the PIN a participant;
#   - by RFC 4733 from baresip (its keypad through the cons module);
#   - a moderator lets a caller in without its PIN (approve);
#   - an address sent away for wrong PINs is blocked like a scanner.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
PCAPS=/usr/share/sip-tester
[ -f "$PCAPS/dtmf_2833_pound.pcap" ] ||
	fail "sip-tester's DTMF captures are missing ($PCAPS; scripts/deps.sh)"
start_caucusd --pin-timeout-s 5
api PATCH /v1/conferences/demo/policy '{"pin":"1234","moderator_pin":"9073"}'
expect_status 200 "PINs set"

# part URI: the participant of that AoR in demo (lib.sh part_of)
part() { local u=${1#sip:}; part_of demo "${u%%@*}"; }
admitted() { local p; p=$(part "$1"); [ -n "$p" ] &&
	[ "$(json_field "$p" status)" = connected ] &&
	! printf '%s' "$p" | grep -q '"lobby":true'; }
role_is() { [ "$(json_field "$(part "$1")" role)" = "$2" ]; }

# by INFO
sipp_bg alice pin_info.xml -s demo -key who alice -key d1 1 -key d2 2 \
	-key d3 3 -key d4 4
A=$SIPP_PID
wait_for 10 admitted sip:alice@127.0.0.1 || fail "alice not admitted: $(part sip:alice@127.0.0.1)"
role_is sip:alice@127.0.0.1 participant || fail "alice is not a participant"
log "alice admitted by INFO"

# wrong three times: waiting while it tries, then goodbye
sipp_bg bob pin_wrong.xml -s demo -key who bob
B=$SIPP_PID
in_lobby() { part sip:bob@127.0.0.1 | grep -q '"lobby":true'; }
wait_for 5 in_lobby || fail "bob is not shown in the lobby"
api GET /v1/conferences/demo/pending
printf '%s' "$BODY" | grep -q '"uri":"sip:bob@127.0.0.1[^"]*".*"lobby":true' ||
	fail "pending does not list bob in the lobby: $BODY"
curl -s -H "Accept: application/conference-info+xml" \
	"$API/v1/conferences/demo/info" > "$WORK/info.xml"
xmllint --noout --schema "$XSD" "$WORK/info.xml" ||
	{ cat "$WORK/info.xml"; fail "document does not validate"; }
python3 - "$WORK/info.xml" <<'PY' || fail "bob's endpoint is not pending in the lobby"
import sys, xml.etree.ElementTree as ET
ns = {"c": "urn:ietf:params:xml:ns:conference-info",
      "x": "urn:x-caucus:params:xml:ns:conference-info"}
doc = ET.parse(sys.argv[1]).getroot()
for u in doc.iterfind("c:users/c:user", ns):
    if u.get("entity").startswith("sip:bob@127.0.0.1"):
        ep = u.find("c:endpoint", ns)
        assert ep.findtext("c:status", namespaces=ns) == "pending"
        assert ep.find("x:caucus", ns).get("lobby") == "true"
        sys.exit(0)
sys.exit(1)
PY
# others do not count it: user-count is alice alone
grep -q '<user-count>1</user-count>' "$WORK/info.xml" ||
	fail "the lobby caller is counted: $(cat "$WORK/info.xml")"
# (bob hears his prompts for 10 s more, and frank's, carol's and dave's
# calls stay up 6 to 8 s after they are let in: the parts below go on
# meanwhile, and the test waits for those calls' ends last)

# a moderator lets frank in without a PIN
sipp_bg frank pin_wait.xml -s demo -key who frank
F=$SIPP_PID
frank_waits() { part sip:frank@127.0.0.1 | grep -q '"lobby":true'; }
wait_for 5 frank_waits || fail "frank is not in the lobby"
pid=$(json_field "$(part sip:frank@127.0.0.1)" id)
api POST "/v1/conferences/demo/pending/$pid/approve"
expect_status 204 "approve frank"
wait_for 5 admitted sip:frank@127.0.0.1 || fail "frank not let in"
log "frank let in by a moderator"

# RFC 4733: the moderator PIN, then the PIN
# (the two key at once: each takes seconds of RFC 4733 captures)
sipp_bg carol pin_4733_mod.xml -s demo -key who carol
C=$SIPP_PID
sipp_bg dave pin_4733.xml -s demo -key who dave
D=$SIPP_PID
wait_for 10 admitted sip:carol@127.0.0.1 || fail "carol not admitted: $(part sip:carol@127.0.0.1)"
role_is sip:carol@127.0.0.1 moderator || fail "the moderator PIN gave carol no moderator role"
wait_for 10 admitted sip:dave@127.0.0.1 || fail "dave not admitted: $(part sip:dave@127.0.0.1)"
role_is sip:dave@127.0.0.1 participant || fail "dave is not a participant"
log "carol (moderator PIN) and dave admitted by RFC 4733"

# baresip's keypad (RFC 4733)
d="$WORK/bs-erin"
CONS=$(free_port)
baresip_conf "$d" erin "module cons.so" "cons_listen 127.0.0.1:$CONS"
"$BIN/tonegen" "$d/tone.wav" 440 30 8000 0.2
echo "<sip:erin@127.0.0.1>;regint=0;audio_codecs=PCMU" > "$d/accounts"
baresip -f "$d" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" -t 30 \
	> "$d/baresip.log" 2>&1 &
E=$!
CHILDREN="$CHILDREN $E"
: > "$d/cmds"
python3 "$SRC/tests/integration/bscons.py" "$CONS" "$d/cmds" "$d/out" 25 &
CHILDREN="$CHILDREN $!"
erin_waits() { part sip:erin@127.0.0.1 | grep -q '"lobby":true'; }
wait_for 10 erin_waits || fail "erin is not in the lobby"
echo "1234#" >> "$d/cmds"
wait_for 15 admitted sip:erin@127.0.0.1 || fail "erin (baresip) not admitted: $(part sip:erin@127.0.0.1)"
log "erin admitted, PIN keyed on baresip"

sipp_wait "$B" bob
grep -q 'msg="PIN refused: goodbye" conf=demo .* tries=3 timeout=no' \
	"$WORK/caucusd.log" || fail "no goodbye after three wrong PINs"
log "bob: three wrong PINs, goodbye"
sipp_wait "$F" frank
for p in "$A" "$C" "$D"; do wait "$p" || fail "a sipp caller failed"; done
alive
stop_caucusd

# guessing PINs from one address is scanning: with block_after_refusals
# 2, a caller from 127.0.0.2 (not exempt) sent away twice is blocked.
# The lobby's prompts are short tones here: what this part proves is the
# block, not the words (bob heard those above), and the built-in ones
# kept each guessing call 11 s. The second call's BYE is answered from
# the blocked address, so its 200 is dropped and the transaction stays
# open to the end: --shutdown-ms 500, not 3 s of waiting for an answer
# that cannot come.
mkdir -p "$WORK/prompts"
for p in enter-pin pin-wrong pin-goodbye; do
	"$BIN/tonegen" "$WORK/prompts/$p.wav" 440 0.2 8000 0.2
done
start_caucusd --pin-timeout-s 5 --block-after-refusals 2 \
	--prompts-dir "$WORK/prompts" --shutdown-ms 500
api PATCH /v1/conferences/demo/policy '{"pin":"1234"}'
expect_status 200 "PIN set"
guess() { # N: one call from 127.0.0.2 keying wrong PINs
	sipp -sf "$SCEN/pin_wrong.xml" -i 127.0.0.2 -p "$(free_port)" -m 1 \
		-mp "$(free_media_port)" -timeout 30s -nostdin \
		-key conf_port "$SIP_PORT" -key who mallory -s demo \
		127.0.0.1:"$SIP_PORT" >"$WORK/guess$1.out" 2>&1
}
guess 1 || fail "the first guessing call did not end with goodbye"
guess 2 || fail "the second guessing call did not end with goodbye"
grep -q 'msg="source blocked" .*src=127.0.0.2 .*the last: wrong PIN' \
	"$WORK/caucusd.log" ||
	fail "two calls of wrong PINs did not block their address"
# blocked: the INVITE gets no answer, the call never starts. caucusd
# counts what it drops: the INVITE and sipp's retransmission (500 ms
# later) both dropped, and nothing came back to sipp
sip_dropped() {
	local re='caucus_limit_dropped_total\{what="sip"\} ([0-9]+)' m
	m=$(get /metrics)
	[[ $m =~ $re ]] && echo "${BASH_REMATCH[1]}"
}
invites_sent() { # FILE: sipp's INVITEs sent so far (its message trace)
	local m rest pat='INVITE sip:'
	m=$(<"$1") || return 0
	rest=${m//"$pat"/}
	echo $(( (${#m} - ${#rest}) / ${#pat} ))
}
D0=$(sip_dropped)
sipp -sf "$SCEN/pin_wrong.xml" -i 127.0.0.2 -p "$(free_port)" -m 1 \
	-mp "$(free_media_port)" -timeout 30s -nostdin \
	-trace_msg -message_file "$WORK/guess3.msg" \
	-key conf_port "$SIP_PORT" -key who mallory -s demo \
	127.0.0.1:"$SIP_PORT" >"$WORK/guess3.out" 2>&1 &
G=$!
CHILDREN="$CHILDREN $G"
twice_dropped() {
	[ "$(sip_dropped)" -ge $((D0 + 2)) ] &&
		[ "$(invites_sent "$WORK/guess3.msg")" -ge 2 ]
}
wait_for 10 twice_dropped || fail "the blocked address's INVITE was not" \
	"dropped: $(sip_dropped) dropped (from $D0)," \
	"$(invites_sent "$WORK/guess3.msg") INVITEs sent"
kill "$G" 2>/dev/null || :
wait "$G" 2>/dev/null || :
! grep -q 'message received' "$WORK/guess3.msg" ||
	fail "a blocked address still got an answer: $(cat "$WORK/guess3.msg")"
log "PIN guessing from 127.0.0.2 blocked after two calls"
alive
stop_caucusd
log PASS
