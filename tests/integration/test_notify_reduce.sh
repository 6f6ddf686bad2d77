#!/bin/bash
# The reducer test: a subscriber watches while people join, leave, get
# muted, hold and resume, are dialled out to (answered and failed) and are
# kicked; applying its NOTIFYs in order (full, then partial) to the first
# document gives exactly what a fetch returns at the end (reduce.py), with
# versions that never skip or go back. Every body validates against the
# schema.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
[ -f "$XSD" ] || fail "schema not found at $XSD"
start_caucusd --notify-interval-ms 50

sipp_bg watch uac_sub_loop.xml -s demo
watch=$SIPP_PID
got() { grep -q 'version="1"' "$WORK/watch.msg"; }
wait_for 5 got || fail "no first NOTIFY"

pids=""
for who in ann ben; do
	sipp_bg "$who" uac_wait_bye.xml -s demo -key who "$who"
	pids="$pids $SIPP_PID"
done
wait_connected 8 demo 2 "ann and ben did not connect"
api GET /v1/conferences/demo
ann=$(pid_of ann)
ben=$(pid_of ben)
api PATCH "/v1/conferences/demo/participants/$ann" '{"muted":true}'
expect_status 200 "mute ann"
sipp_bg cat uac_hold.xml -s demo -d 300      # joins, holds, resumes, leaves
hold=$SIPP_PID
port=$(free_port)
LPORT=$port sipp_bg bob uas_answer.xml
bob=$SIPP_PID
wait_udp "$port"                # bob's UAS listens before we dial it
api POST /v1/conferences/demo/participants "{\"uri\":\"sip:bob@127.0.0.1:$port\"}"
expect_status 201 "dial bob"
api POST /v1/conferences/demo/participants \
	"{\"uri\":\"sip:nobody@127.0.0.1:$(free_port);transport=tcp\"}"
sipp_wait "$hold" cat
api DELETE "/v1/conferences/demo/participants/$ben"
expect_status 204 "kick ben"
api PATCH "/v1/conferences/demo/participants/$ann" '{"muted":false,"deaf":true}'
expect_status 200 "unmute and deafen ann"
# The room settles: ben's BYE answered, bob's dial-out answered, nobody's
# refused (listed as failed); ann and bob connected. Then the watcher has
# caught up once its NOTIFYs, reduced, give the document the API serves
# now (nobody here is hidden, pending or anonymous, so the API's view is
# the watcher's). The fetch below is what the test checks against.
settled() {
	local b
	b=$(get /v1/conferences/demo)
	[ "$(json_field "$b" participant_count)" = 3 ] &&
		[ "$(count_status "$b" connected)" = 2 ] &&
		[ "$(count_status "$b" failed)" = 1 ]
}
wait_for 10 settled || fail "the room did not settle: $(get /v1/conferences/demo)"
caught_up() {
	curl -s -H 'Accept: application/conference-info+xml' \
		"$API/v1/conferences/demo/info" >"$WORK/now.xml" &&
		python3 "$SRC/tests/integration/reduce.py" "$WORK/watch.msg" \
			"$WORK/now.xml"
}
wait_for 10 caught_up ||
	{ caught_up || true; fail "the watcher's NOTIFYs never caught up"; }

sipp_run fetch uac_fetch.xml -s demo
awk '/<\?xml/ { on = 1 } on { print } /<\/conference-info>/ { on = 0 }' \
	"$WORK/fetch.msg" > "$WORK/fetched.xml"
xmllint --noout --schema "$XSD" "$WORK/fetched.xml" || fail "fetch invalid"

api DELETE /v1/conferences/demo     # ends the watch (noresource)
sipp_wait "$watch" watch
for p in $pids; do wait "$p" || true; done
wait "$bob" || true

# every body the watcher got is valid
awk -v out="$WORK/w" '/<\?xml/ { n++; f = out "-" n ".xml"; on = 1 }
	on { print > f } /<\/conference-info>/ { on = 0; close(f) }' \
	"$WORK/watch.msg"
n=0
for b in "$WORK"/w-*.xml; do
	xmllint --noout --schema "$XSD" "$b" 2>"$WORK/xsd.err" ||
		{ cat "$WORK/xsd.err" "$b"; fail "$(basename "$b") invalid"; }
	n=$((n + 1))
done
python3 "$SRC/tests/integration/reduce.py" "$WORK/watch.msg" \
	"$WORK/fetched.xml" || fail "reduced NOTIFYs differ from the fetch"
partials=$(grep -c 'state="partial" version=' "$WORK/watch.msg" || true)
log "$n bodies valid, $partials partial"
[ "$partials" -ge 5 ] || fail "only $partials partial NOTIFYs"
stop_caucusd
log PASS
