#!/bin/bash
# Distributed mixing (spec s. 6.4, docs/media-policy.md) with the load
# generator's tone checks (--tones, --self-mix):
#   1. the conference's policy says "mixing": "distributed"; four legs,
#      three sending tones of their own (430, 580, 730 Hz) and saying
#      they mix for themselves (a=x-caucus-mixing:self), one plain phone.
#      Each self-mixing leg gets the two other talkers as two SSRCs, each
#      carrying one tone, never its own (SELFMIX ... mode=separate); the
#      plain leg hears a mix of all three; the API shows "mixing":"self"
#      for the three and "focus" for the phone, and so does the RFC 4575
#      document (a sipp fetch, valid against the schema): caucus's
#      mixing attribute in each endpoint's audio <media>;
#   2. the policy back to "focus": the API shows every leg "focus", and
#      in a new tone window (SIGUSR2) the self-mixing legs get one SSRC
#      with the two other tones mixed (mode=mixed), the phone as before;
#      the document no longer carries the attribute;
#   3. on SIGTERM the tool exits 0: every window's checks passed.
# Every step waits for the tool's own lines or the API, never a fixed time.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
start_caucusd

api PATCH /v1/conferences/demo/policy '{"mixing":"distributed"}'
expect_status 200 "policy mixing distributed"
json_field "$(get /v1/conferences/demo/policy)" mixing | grep -qx distributed ||
	fail "the policy does not say distributed: $(get /v1/conferences/demo/policy)"

LG=("$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API"
	--target "sip:demo@127.0.0.1:$SIP_PORT" --n 4 --tones 3 --self-mix 3
	--own-sockets --warmup 1 --seconds 2 --hold)
tones_line() { grep "^TONES .* window=$2\$" "$1"; }
# self_line OUT LEG WINDOW: that leg's SELFMIX line of the window
self_line() {
	awk -v w="$3" '/^TONES / { n++ } n == w - 1' "$1" |
		grep "^SELFMIX leg=$2 " || true
}
# streams LINE: the tones of each SSRC, sorted ("580 730")
streams() {
	sed -n 's/.* streams=\([^ ]*\) .*/\1/p' <<<"$1" | tr '/' '\n' | sort |
		tr '\n' ' ' | sed 's/ $//'
}

log "phase 1: distributed, three self-mixing talkers and a phone"
"${LG[@]}" >"$WORK/lg.out" 2>"$WORK/lg.err" &
LG_PID=$!
CHILDREN="$CHILDREN $LG_PID"
wait_for 30 tones_line "$WORK/lg.out" 1 ||
	{ cat "$WORK/lg.out"; fail "no first tone window"; }
cat "$WORK/lg.out"
tones_line "$WORK/lg.out" 1 | grep -q 'legs=4 ok=4 missing=0 echo=0' ||
	fail "phase 1: a leg failed its check"
want=("580 730" "430 730" "430 580")
for i in 0 1 2; do
	line=$(self_line "$WORK/lg.out" "$i" 1)
	grep -q ' ssrcs=2 .* missing=- echo=0 mode=separate ' <<<"$line" ||
		fail "phase 1: lg$i did not get two streams: $line"
	[ "$(streams "$line")" = "${want[$i]}" ] ||
		fail "phase 1: lg$i's streams carry $(streams "$line"), want ${want[$i]}"
done
awk '$1 == 3 && $2 == "127.0.0.1" { print $4, $5, $6 }' "$WORK/lg.out" |
	head -n1 | grep -qx '430,580,730 - -' ||
	fail "phase 1: the phone did not hear a mix of the three"

mode_is() { # USER MODE: the API shows the participant in that mode
	[ "$(json_field "$(part_of demo "$1")" mixing)" = "$2" ]
}
for i in 0 1 2; do
	wait_for 10 mode_is "lg$i" self ||
		fail "the API shows lg$i as $(json_field "$(part_of demo "lg$i")" mixing)"
done
mode_is lg3 focus || fail "the API shows the phone as $(part_of demo lg3)"

# fetch_doc OUT: the RFC 4575 document (a SUBSCRIBE with Expires: 0),
# schema-valid; prints each endpoint's entity and mixing
fetch_doc() {
	rm -f "$WORK/fetch.msg"
	sipp_run fetch uac_fetch.xml -s demo
	python3 - "$WORK/fetch.msg" "$1" <<'PY'
import sys
t = open(sys.argv[1], errors="replace").read()
s = t.index("<?xml", t.index("NOTIFY sip:"))
e = t.index("</conference-info>", s) + len("</conference-info>")
open(sys.argv[2], "w").write(t[s:e])
PY
	xmllint --noout --schema "$XSD" "$1" 2>"$WORK/xsd.err" ||
		fail "the document is not valid: $(cat "$WORK/xsd.err")"
	python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{urn:ietf:params:xml:ns:conference-info}"
ext = "{urn:x-caucus:params:xml:ns:conference-info}"
for u in ET.parse(sys.argv[1]).getroot().iter(ns + "user"):
    for m in u.iter(ns + "media"):
        if m.findtext(ns + "type") != "audio":
            continue
        x = m.find(ext + "caucus")
        print(u.get("entity").split("@")[0],
              x.get("mixing") if x is not None else "-")
PY
}
fetch_doc "$WORK/doc1.xml" >"$WORK/modes1"
for i in 0 1 2; do
	grep -qx "sip:lg$i self" "$WORK/modes1" ||
		fail "the document does not show lg$i mixing itself: $(cat "$WORK/modes1")"
done
grep -qx "sip:lg3 focus" "$WORK/modes1" ||
	fail "the document does not show the phone mixed by the focus: $(cat "$WORK/modes1")"

log "phase 2: the policy back to focus"
api PATCH /v1/conferences/demo/policy '{"mixing":"focus"}'
expect_status 200 "policy mixing focus"
for i in 0 1 2; do
	wait_for 10 mode_is "lg$i" focus ||
		fail "the API still shows lg$i as $(json_field "$(part_of demo "lg$i")" mixing)"
done
kill -USR2 "$LG_PID"
wait_for 20 tones_line "$WORK/lg.out" 2 ||
	{ cat "$WORK/lg.out"; fail "no second tone window"; }
sed -n '/window=1$/,/window=2$/p' "$WORK/lg.out"
tones_line "$WORK/lg.out" 2 | grep -q 'legs=4 ok=4 missing=0 echo=0' ||
	fail "phase 2: a leg failed its check"
want=("580+730" "430+730" "430+580")
for i in 0 1 2; do
	line=$(self_line "$WORK/lg.out" "$i" 2)
	grep -q ' ssrcs=1 .* missing=- echo=0 mode=mixed ' <<<"$line" ||
		fail "phase 2: lg$i did not get a mix: $line"
	[ "$(streams "$line")" = "${want[$i]}" ] ||
		fail "phase 2: lg$i's mix carries $(streams "$line"), want ${want[$i]}"
done
fetch_doc "$WORK/doc2.xml" >"$WORK/modes2"
[ "$(grep -c ' -$' "$WORK/modes2")" = 4 ] ||
	fail "the document still names who mixes: $(cat "$WORK/modes2")"

kill -TERM "$LG_PID"
rc=0
wait "$LG_PID" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/lg.err"; fail "the tool exited $rc, want 0"; }
stop_caucusd
log PASS
