#!/bin/bash
# The conference event package over SIP (RFC 6665, RFC 4575):
#  - refusals: 489 with Allow-Events, 406, 400 without Event, 404;
#  - fetch (Expires: 0): one full NOTIFY, terminated;
#  - subscribe: a full NOTIFY (version 1) at once, another (version 2)
#    when someone joins, and a final one on unsubscribe;
#  - destroying the conference, and stopping the server, end
#    subscriptions with reason=noresource;
#  - every NOTIFY body validates against the RFC 4575 schema.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/../shared/schemas/conference-info.xsd"
[ -f "$XSD" ] || fail "schema not found at $XSD"
start_caucusd --notify-interval-ms 100

sipp_run sub_bad uac_sub_bad.xml -s demo
sipp_run fetch uac_fetch.xml -s demo

sipp_bg watch uac_subscribe.xml -s demo
watch=$SIPP_PID
first() { grep -q 'version="1"' "$WORK/watch.msg"; }
wait_for 5 first || fail "no first NOTIFY"
sipp_bg zed uac_wait_bye.xml -s demo -key who zed
zed=$SIPP_PID
sipp_wait "$watch" watch
grep -q '<user entity="sip:zed@example.com"' "$WORK/watch.msg" ||
	fail "the second NOTIFY does not show zed"

api POST /v1/conferences '{"id":"room"}'
expect_status 201 "create room"
sipp_bg gone uac_sub_destroy.xml -s room
gone=$SIPP_PID
first_room() { grep -q 'version="1"' "$WORK/gone.msg"; }
wait_for 5 first_room || fail "no first NOTIFY for room"
api DELETE /v1/conferences/room
expect_status 204 "destroy room"
sipp_wait "$gone" gone

# every NOTIFY body the subscribers got validates against the schema
n=0
for f in "$WORK"/fetch.msg "$WORK"/watch.msg "$WORK"/gone.msg; do
	awk -v out="$WORK/body" '
		/<\?xml/ { n++; file = out "-" FILENAME_N "-" n ".xml"; on = 1 }
		on { print > file }
		/<\/conference-info>/ { on = 0; close(file) }
	' FILENAME_N="$(basename "$f" .msg)" "$f"
done
for b in "$WORK"/body-*.xml; do
	[ -f "$b" ] || fail "no NOTIFY bodies captured"
	xmllint --noout --schema "$XSD" "$b" 2>"$WORK/xsd.err" ||
		{ cat "$WORK/xsd.err"; fail "$(basename "$b") is not valid"; }
	n=$((n + 1))
done
log "$n NOTIFY bodies valid"
[ "$n" -ge 6 ] || fail "expected at least 6 NOTIFY bodies, got $n"

# shutdown with a subscriber and a caller: NOTIFY terminated, and BYE
sipp_bg last uac_sub_destroy.xml -s demo
last=$SIPP_PID
first_last() { grep -q 'version="1"' "$WORK/last.msg"; }
wait_for 5 first_last || fail "no first NOTIFY for the last watcher"
stop_caucusd
sipp_wait "$last" last
sipp_wait "$zed" zed
log PASS
