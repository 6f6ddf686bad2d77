#!/bin/bash
# Instant messages in a conference (page mode): two baresip clients and a
# sipp participant in the room. A MESSAGE from one participant reaches the
# others (text and CPIM), not the sender; malformed CPIM (400), non-text
# (415), empty (400) and a non-participant (403) are refused and the
# server stays up; the API sends one to everyone and lists the history.
. "$(dirname "$0")/lib.sh"
start_caucusd

BS_PIDS=""
declare -A CONS
for n in alice bob; do
	d="$WORK/bs-$n"
	CONS[$n]=$(free_port)
	baresip_conf "$d" "$n" "module cons.so" "module contact.so" \
		"cons_listen 127.0.0.1:${CONS[$n]}"
	"$BIN/tonegen" "$d/tone.wav" 440 30 8000 0.2
	echo "\"${n^}\" <sip:$n@127.0.0.1>;regint=0" > "$d/accounts"
	echo "\"Room\" <sip:demo@127.0.0.1:$SIP_PORT>" > "$d/contacts"
	baresip -f "$d" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" -t 40 \
		> "$d/baresip.log" 2>&1 &
	BS_PIDS="$BS_PIDS $!"
	CHILDREN="$CHILDREN $!"
	: > "$d/cmds"
	python3 "$SRC/tests/integration/bscons.py" "${CONS[$n]}" "$d/cmds" \
		"$d/out" 30 &
	CHILDREN="$CHILDREN $!"
done
wait_connected 15 demo 2 "the baresip clients did not connect"
cmd() { echo "$2" >> "$WORK/bs-$1/cmds"; }
saw() { grep -aq "$2" "$WORK/bs-$1/out"; }
# cons answers the last peer that sent it a command: once bscons.py has
# the answer to /about, what baresip prints reaches it
for n in alice bob; do
	cmd "$n" "/about"
	wait_for 5 saw "$n" 'Baresip is a portable' ||
		fail "$n's console does not answer"
done

# alice -> everyone else
cmd alice "/message hello from alice"
wait_for 5 saw bob '"hello from alice"' || fail "bob did not get alice's"
cmd bob "/message and hello from bob"
wait_for 5 saw alice '"and hello from bob"' || fail "alice did not get bob's"
# the focus sent alice's own copy, if any, before bob's: it would be here
saw alice '"hello from alice"' && fail "alice got her own message back"

# carol (sipp) in the room: text and CPIM delivered, bad ones refused
sipp_run carol uac_im.xml -s demo -key who carol
wait_for 5 saw bob 'hello from carol' || fail "bob did not get carol's"
# baresip takes text/plain only: its 415 to the CPIM copy brings the text
wait_for 5 saw alice 'cpim from carol' || fail "alice did not get CPIM"
grep -q 'CPIM refused, sending text/plain.*to=sip:alice@127.0.0.1' \
	"$WORK/caucusd.log" || fail "no text/plain fallback after a 415"

# not a participant: 403
sipp_run mallory uac_im_outsider.xml -s demo

# from the API
api POST /v1/conferences/demo/messages '{"text":"the room closes soon"}'
expect_status 202 "API message"
[ "$(json_field "$BODY" recipients)" = 2 ] || fail "recipients: $BODY"
wait_for 5 saw alice '"the room closes soon"' || fail "alice missed the API's"
wait_for 5 saw bob '"the room closes soon"' || fail "bob missed the API's"
# an outsider's message, had it gone out, went before the API's
saw bob "let me in" && fail "an outsider's message was delivered"
api POST /v1/conferences/demo/messages '{"text":""}'
expect_status 400 "empty text"
api POST /v1/conferences/demo/messages '{"text":5}'
expect_status 400 "text not a string"
api POST /v1/conferences/demo/messages '{nope'
expect_status 400 "not JSON"
api POST /v1/conferences/nosuch/messages '{"text":"x"}'
expect_status 404 "unknown conference"
api GET /v1/conferences/demo/messages
expect_status 200 "history"
echo "$BODY"
n=$(printf '%s' "$BODY" | grep -o '"id":' | wc -l)
[ "$n" = 5 ] || fail "history holds $n messages, expected 5"
printf '%s' "$BODY" | grep -q '"from":"sip:carol@example.com","display":"carol","content_type":"text/plain","text":"cpim from carol[^"]*","cpim":true' ||
	fail "CPIM not recorded as such"
alive || fail "caucusd died"
stop_caucusd
for p in $BS_PIDS; do kill "$p" 2>/dev/null || true; done
log PASS
