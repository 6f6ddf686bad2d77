#!/bin/bash
# Strict SIP (RFC 3261 s. 8.2, 18.3): a corpus of 50 malformed datagrams
# (tests/data/sip-malformed, byte for byte) gets 400 with a reason naming
# the fault (505 another version, 513 too large), or no answer where none
# may be given; each refusal is counted in /metrics by the check that
# failed; none of them became a call; and a real call works after them.
. "$(dirname "$0")/lib.sh"
start_caucusd
python3 "$SRC/tests/integration/sip_strict.py" "$SIP_PORT" \
	"$SRC/tests/data/sip-malformed" >"$WORK/strict.out" 2>&1 ||
	{ cat "$WORK/strict.out"; fail "malformed requests not refused"; }
tail -n 1 "$WORK/strict.out"
alive
api GET /v1/conferences/demo
printf '%s' "$BODY" | grep -q '"participants":\[\]' ||
	fail "a malformed request became a participant: $BODY"
# every case was counted, each under the check that refused it
m=$(curl -s "$API/metrics" | grep '^caucus_sip_malformed_total')
total=$(printf '%s\n' "$m" | awk '{s += $2} END {print s}')
cases=$(grep -vc '^#' "$SRC/tests/data/sip-malformed/expected.txt")
[ "$total" -ge "$cases" ] || fail "$total refusals counted for $cases cases: $m"
for c in unparsable size via from to call_id cseq max_forwards \
	content_length content_type request_uri; do
	printf '%s\n' "$m" | grep -q "check=\"$c\"} [1-9]" ||
		fail "nothing counted under $c: $m"
done
# and calls still work
sipp_run after uac_join.xml -s demo -key who after
alive
stop_caucusd
log PASS
