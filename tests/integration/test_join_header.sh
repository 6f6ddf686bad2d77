#!/bin/bash
# INVITE with a Join header (RFC 3911): naming the dialog a participant
# has with the focus, the caller joins that conference (whatever the
# request URI); naming no such dialog: 481; malformed: 400. Require: join
# is accepted, other Require options get 420.
. "$(dirname "$0")/lib.sh"
start_caucusd
XSD="$SRC/tests/schemas/conference-info.xsd"

api POST /v1/conferences '{"id":"room","display_text":"Room"}'
expect_status 201 "create room"
sipp_bg alice uac_wait_bye.xml -s room -key who alice
alice=$SIPP_PID
in_room() { [ "$(json_field "$(get /v1/conferences/room)" participant_count)" = "$1" ]; }
wait_for 5 in_room 1 || fail "alice did not join"
# alice's dialog as the focus sees it, from the RFC 4575 document
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/room/info" >"$WORK/info.xml"
cid=$(grep -o '<call-id>[^<]*' "$WORK/info.xml" | cut -d'>' -f2)
ft=$(grep -o '<from-tag>[^<]*' "$WORK/info.xml" | cut -d'>' -f2)
tt=$(grep -o '<to-tag>[^<]*' "$WORK/info.xml" | cut -d'>' -f2)
[ -n "$cid" ] && [ -n "$ft" ] && [ -n "$tt" ] || fail "no dialog ids"
# in the Join header, to-tag is the focus's tag (alice called in: To)
sipp_bg bob uac_join_hdr.xml -s anything -d 1500 \
	-key join "$cid;to-tag=$tt;from-tag=$ft"
bob=$SIPP_PID
wait_for 5 in_room 2 || fail "the Join caller is not in alice's conference"
sipp_wait "$bob" bob
sipp_run nodialog uac_join_hdr_481.xml -s room \
	-key join "nosuchcall;to-tag=a;from-tag=b"
sipp_run swapped uac_join_hdr_481.xml -s room \
	-key join "$cid;to-tag=wrong;from-tag=$ft"
sipp_run malformed uac_join_hdr_400.xml -s room -key join "$cid;to-tag=$tt"
alive
api DELETE /v1/conferences/room
expect_status 204 "destroy"
sipp_wait "$alice" alice
stop_caucusd
log PASS
