#!/bin/bash
# The conference event package over SIP (RFC 6665, RFC 4575):
#  - refusals: 489 with Allow-Events, 406, 400 without Event or with a
#    bad Expires, 423 with Min-Expires, 404;
#  - expiry (reason=timeout), refresh (a full NOTIFY, next version), and
#    a subscriber answering 481 is dropped;
#  - fetch (Expires: 0): one full NOTIFY, terminated;
#  - subscribe: a full NOTIFY (version 1) at once, another (version 2)
#    when someone joins, and a final one on unsubscribe;
#  - destroying the conference, and stopping the server, end
#    subscriptions with reason=noresource;
#  - every NOTIFY body validates against the RFC 4575 schema.
. "$(dirname "$0")/lib.sh"
XSD="$SRC/tests/schemas/conference-info.xsd"
[ -f "$XSD" ] || fail "schema not found at $XSD"
start_caucusd
sipp_run sub_bad uac_sub_bad.xml -s demo
stop_caucusd
SIP_PORT="" HTTP_PORT=""
unset SIP_PORT HTTP_PORT
start_caucusd --notify-interval-ms 100 --notify-min-expires 2

# the default minimum is 60 s; this server grants down to 2 s, so the
# refusal scenario's "Expires: 5 -> 423" needs its own server
sipp_run fetch uac_fetch.xml -s demo

# expiry: a 2 s subscription ends with reason=timeout
sipp_run expire uac_sub_expire.xml -s demo

# a subscriber that answers a NOTIFY with 481 is dropped
sipp_bg s481 uac_sub_481.xml -s demo
s481=$SIPP_PID
got481() { grep -q 'version="1"' "$WORK/s481.msg"; }
wait_for 5 got481 || fail "no first NOTIFY for the 481 subscriber"
api POST /v1/conferences/demo/participants \
	"{\"uri\":\"sip:nobody@127.0.0.1:$(free_port);transport=tcp\"}"
sipp_wait "$s481" s481
subs() { get /v1/status | grep -q '"subscriptions":0'; }
wait_for 5 subs || fail "the 481 subscriber was not dropped: $(get /v1/status)"
api DELETE /v1/conferences/demo/participants/1

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
