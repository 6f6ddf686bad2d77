#!/bin/bash
# Distributed mixing over a multicast group (spec s. 6.4's "or a multicast
# group where the network has one", docs/media-policy.md) with the load
# generator's tone checks (--tones, --self-mix):
#   1. a group the policy cannot take is refused with 400 and a message
#      naming the field (not multicast, an odd port);
#   2. the policy says "mixing": "distributed" and names a group
#      239.255.x.y:port, random per run (tests running side by side never
#      share one); four legs, three sending tones (430, 580, 730 Hz) and
#      mixing for themselves, one plain phone. Each self-mixing leg's
#      answer names the group (a=x-caucus-multicast), the leg joins it on
#      127.0.0.1 and drops its own SSRC: it gets the two other talkers as
#      two SSRCs, one tone each, never its own (mode=separate), all from
#      the group (unicast=0, multicast > 0, own_dropped > 0); the phone
#      hears a mix of the three;
#   3. the API shows the three "mixing":"self" with "multicast":true, the
#      phone "focus" and false, the policy the group; the RFC 4575
#      document (schema-valid) says the same of each endpoint and names
#      the group in the conference's available audio;
#   4. on SIGTERM the tool exits 0: every window's checks passed.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
start_caucusd

GROUP="239.255.$((RANDOM % 256)).$((RANDOM % 254 + 1))"
PORT=$((20000 + 2 * (RANDOM % 10000)))

log "phase 1: groups the policy cannot take"
for bad in '"10.1.2.3:5004"' "\"$GROUP:$((PORT + 1))\"" "\"$GROUP\"" 7; do
	api PATCH /v1/conferences/demo/policy "{\"mixing_multicast\":$bad}"
	expect_status 400 "mixing_multicast $bad"
	grep -q "mixing_multicast" <<<"$BODY" ||
		fail "the 400 for $bad does not name the field: $BODY"
done
api PATCH /v1/conferences/demo/policy '{"mixing_multicast_codec":"GSM"}'
expect_status 400 "mixing_multicast_codec GSM"

api PATCH /v1/conferences/demo/policy \
	"{\"mixing\":\"distributed\",\"mixing_multicast\":\"$GROUP:$PORT\"}"
expect_status 200 "policy with a multicast group"
pol=$(get /v1/conferences/demo/policy)
[ "$(json_field "$pol" mixing_multicast)" = "$GROUP:$PORT" ] ||
	fail "the policy does not name the group: $pol"
[ "$(json_field "$pol" mixing_multicast_codec)" = PCMU ] ||
	fail "the group's codec is not PCMU by default: $pol"

LG=("$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API"
	--target "sip:demo@127.0.0.1:$SIP_PORT" --n 4 --tones 3 --self-mix 3
	--own-sockets --warmup 1 --seconds 2 --hold)
tones_line() { grep "^TONES .* window=$2\$" "$1"; }
self_line() {
	awk -v w="$3" '/^TONES / { n++ } n == w - 1' "$1" |
		grep "^SELFMIX leg=$2 " || true
}
streams() {
	sed -n 's/.* streams=\([^ ]*\) .*/\1/p' <<<"$1" | tr '/' '\n' | sort |
		tr '\n' ' ' | sed 's/ $//'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

log "phase 2: $GROUP:$PORT, three self-mixing talkers and a phone"
"${LG[@]}" >"$WORK/lg.out" 2>"$WORK/lg.err" &
LG_PID=$!
CHILDREN="$CHILDREN $LG_PID"
wait_for 30 tones_line "$WORK/lg.out" 1 ||
	{ cat "$WORK/lg.out" "$WORK/lg.err"; fail "no first tone window"; }
cat "$WORK/lg.out"
tones_line "$WORK/lg.out" 1 | grep -q 'legs=4 ok=4 missing=0 echo=0' ||
	fail "phase 2: a leg failed its check"
want=("580 730" "430 730" "430 580")
for i in 0 1 2; do
	line=$(self_line "$WORK/lg.out" "$i" 1)
	grep -q ' ssrcs=2 .* missing=- echo=0 mode=separate ' <<<"$line" ||
		fail "phase 2: lg$i did not get two streams: $line"
	[ "$(streams "$line")" = "${want[$i]}" ] ||
		fail "phase 2: lg$i's streams carry $(streams "$line"), want ${want[$i]}"
	[ "$(field "$line" unicast)" = 0 ] ||
		fail "phase 2: lg$i got talkers by unicast: $line"
	[ "$(field "$line" multicast)" -gt 50 ] ||
		fail "phase 2: lg$i got (almost) nothing from the group: $line"
	[ "$(field "$line" own_dropped)" -gt 0 ] ||
		fail "phase 2: lg$i's own voice was not in the group: $line"
done
awk '$1 == 3 && $2 == "127.0.0.1" { print $4, $5, $6 }' "$WORK/lg.out" |
	head -n1 | grep -qx '430,580,730 - -' ||
	fail "phase 2: the phone did not hear a mix of the three"

log "phase 3: the API and the RFC 4575 document"
mc_is() { # USER MODE MULTICAST
	local p
	p=$(part_of demo "$1")
	[ "$(json_field "$p" mixing)" = "$2" ] &&
		[ "$(json_field "$p" multicast)" = "$3" ]
}
for i in 0 1 2; do
	wait_for 10 mc_is "lg$i" self true ||
		fail "the API shows lg$i as $(part_of demo "lg$i")"
done
mc_is lg3 focus false || fail "the API shows the phone as $(part_of demo lg3)"

rm -f "$WORK/fetch.msg"
sipp_run fetch uac_fetch.xml -s demo
python3 - "$WORK/fetch.msg" "$WORK/doc.xml" <<'PY'
import sys
t = open(sys.argv[1], errors="replace").read()
s = t.index("<?xml", t.index("NOTIFY sip:"))
e = t.index("</conference-info>", s) + len("</conference-info>")
open(sys.argv[2], "w").write(t[s:e])
PY
xmllint --noout --schema "$XSD" "$WORK/doc.xml" 2>"$WORK/xsd.err" ||
	fail "the document is not valid: $(cat "$WORK/xsd.err")"
python3 - "$WORK/doc.xml" >"$WORK/modes" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{urn:ietf:params:xml:ns:conference-info}"
ext = "{urn:x-caucus:params:xml:ns:conference-info}"
root = ET.parse(sys.argv[1]).getroot()
for e in root.iter(ns + "available-media"):
    for x in e.iter(ext + "caucus"):
        print("group", x.get("multicast"), x.get("multicast-codec"))
for u in root.iter(ns + "user"):
    for m in u.iter(ns + "media"):
        if m.findtext(ns + "type") != "audio":
            continue
        x = m.find(ext + "caucus")
        print(u.get("entity").split("@")[0],
              x.get("mixing") if x is not None else "-",
              x.get("multicast") if x is not None else "-")
PY
cat "$WORK/modes"
grep -qx "group $GROUP:$PORT PCMU" "$WORK/modes" ||
	fail "the document does not name the group"
for i in 0 1 2; do
	grep -qx "sip:lg$i self true" "$WORK/modes" ||
		fail "the document does not show lg$i on the group"
done
grep -qx "sip:lg3 focus false" "$WORK/modes" ||
	fail "the document does not show the phone mixed by the focus"

kill -TERM "$LG_PID"
rc=0
wait "$LG_PID" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/lg.err"; fail "the tool exited $rc, want 0"; }
stop_caucusd
log PASS
