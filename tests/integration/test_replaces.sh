#!/bin/bash
# Replaces (RFC 3891) at the focus.
# (a) RFC 4579's move of a two-party call into a conference: A calls the
#     factory URI, then REFERs the focus to B with Replaces (the A-B
#     dialog) escaped in Refer-To; the focus dials B with that Replaces,
#     Require: replaces and Referred-By, nothing that would ring; B
#     answers at once; A gets 202, NOTIFY 100 then 200 (no 180); the
#     conference lists B connected and created_by A, in the API and in
#     its RFC 4575 document (schema-valid). A malformed Replaces in
#     Refer-To: 400.
# (b) an INVITE with Replaces naming no dialog: 481; the tags the other
#     way round name nothing either.
# (c) a malformed Replaces: 400.
# (d) an INVITE with Replaces (and Require: replaces: accepted) naming a
#     live participant's dialog: that one gets a BYE, the new one is in
#     with the same mute state, and not with the replaced one's
#     moderator role (it proved nothing by digest). early-only naming a
#     confirmed dialog: 486. To the factory URI: 400. A dialog that has
#     ended (a failed call still listed): 603.
. "$(dirname "$0")/lib.sh"
start_caucusd
XSD="$SRC/tests/schemas/conference-info.xsd"

adhoc_id() {
	get /v1/conferences | grep -o '"id":"[a-z0-9]*","conference_uri"[^}]*"adhoc":true' |
		head -n1 | cut -d'"' -f4
}

# (a) the A-B dialog as B sees it: its own tag is the to-tag
val="a84b4c76e66710@pc33.example.com;to-tag=b-7743;from-tag=a-6472"
esc=$(python3 -c 'import sys, urllib.parse
print(urllib.parse.quote(sys.argv[1], safe=""))' "$val")
bport=$(free_port)
LPORT=$bport sipp_bg bob rep_uas_b.xml
bob=$SIPP_PID
wait_udp "$bport"
sipp_run alice rep_uac_a.xml -s conference-factory -key who alice \
	-key target "sip:bob@127.0.0.1:$bport" -key replaces "$esc" \
	-key badreplaces "abc%3Bto-tag%3D1"
id=$(adhoc_id)
[ -n "$id" ] || fail "no ad-hoc conference"
log "factory made $id; alice left it to bob"
wait_connected 5 "$id" 1 "bob is not in alice's conference"
inv=$(tr -d '\r' <"$WORK/bob.msg")
printf '%s\n' "$inv" | grep -qxF "Replaces: $val" ||
	fail "the focus's INVITE does not carry A's Replaces: $(printf '%s\n' "$inv" | grep -i '^Replaces')"
printf '%s\n' "$inv" | grep -qx 'Require: replaces' || fail "no Require: replaces"
printf '%s\n' "$inv" | grep -qx 'Referred-By: <sip:alice@example.com>' ||
	fail "no Referred-By: alice"
printf '%s\n' "$inv" | grep -qi '^Alert-Info' && fail "the INVITE asks B to ring"
api GET "/v1/conferences/$id"
[ "$(json_field "$BODY" created_by)" = "sip:alice@example.com" ] ||
	fail "created_by is not alice: $BODY"
api GET "/v1/conferences/$id/participants/$(pid_of bob)"
[ "$(json_field "$BODY" referred_by)" = "sip:alice@example.com" ] ||
	fail "bob does not show alice as his referrer: $BODY"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/$id/info" >"$WORK/adhoc.xml"
xmllint --noout --schema "$XSD" "$WORK/adhoc.xml" ||
	fail "the ad-hoc conference's document is not valid"
grep -Eq '<caucus xmlns="urn:x-caucus:params:xml:ns:conference-info" created-by="sip:alice@example.com"(/>|></caucus>)</conference-description>' \
	"$WORK/adhoc.xml" || fail "the document does not show who made it: $(cat "$WORK/adhoc.xml")"
api DELETE "/v1/conferences/$id"
expect_status 204 "destroy $id"
sipp_wait "$bob" bob

# a conference made through the API shows who made it (the admin token)
api POST /v1/conferences '{"id":"made","display_text":"Made"}'
expect_status 201 "create made"
[ "$(json_field "$BODY" created_by)" = admin ] || fail "made: $BODY"

# (d) carol, a moderator by the policy, is in demo, muted by the API
api PATCH /v1/conferences/demo/policy '{"users":[{"aor":"sip:carol@example.com","role":"moderator"}]}'
expect_status 200 "carol is a moderator"
sipp_bg carol uac_wait_bye.xml -s demo -key who carol
carol=$SIPP_PID
wait_connected 5 demo 1 "carol did not join"
api GET /v1/conferences/demo
cpid=$(pid_of carol)
api PATCH "/v1/conferences/demo/participants/$cpid" '{"muted":true}'
expect_status 200 "mute carol"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info" >"$WORK/info.xml"
cid=$(grep -o '<call-id>[^<]*' "$WORK/info.xml" | cut -d'>' -f2)
ft=$(grep -o '<from-tag>[^<]*' "$WORK/info.xml" | cut -d'>' -f2)
tt=$(grep -o '<to-tag>[^<]*' "$WORK/info.xml" | cut -d'>' -f2)
[ -n "$cid" ] && [ -n "$ft" ] && [ -n "$tt" ] || fail "no dialog ids"

# (b) no such dialog; the tags swapped (ours is the to-tag)
sipp_run nodialog rep_uac_481.xml -s demo \
	-key replaces "nosuchcall@x;to-tag=a;from-tag=b"
sipp_run swapped rep_uac_481.xml -s demo \
	-key replaces "$cid;to-tag=$ft;from-tag=$tt"
# (c) malformed: no from-tag; a line break can not be sent, a second
# to-tag can
sipp_run notag rep_uac_400.xml -s demo -key replaces "$cid;to-tag=$tt"
sipp_run twotags rep_uac_400.xml -s demo \
	-key replaces "$cid;to-tag=$tt;from-tag=$ft;to-tag=$tt"
sipp_run factory rep_uac_400.xml -s conference-factory \
	-key replaces "$cid;to-tag=$tt;from-tag=$ft"
sipp_run early rep_uac_486.xml -s demo \
	-key replaces "$cid;to-tag=$tt;from-tag=$ft;early-only"
api GET "/v1/conferences/demo/participants/$cpid"
[ "$(json_field "$BODY" status)" = connected ] ||
	fail "a refused Replaces touched carol: $BODY"

# (d) dave takes carol's place, over the URI of any conference
sipp_bg dave rep_uac_join.xml -s made -key who dave \
	-key replaces "$cid;to-tag=$tt;from-tag=$ft"
dave=$SIPP_PID
sipp_wait "$carol" carol
dave_alone() {
	api GET /v1/conferences/demo
	[ -n "$(pid_of dave)" ] && [ -z "$(pid_of carol)" ] &&
		connected_count_is demo 1
}
wait_for 5 dave_alone || fail "dave did not take carol's place: $BODY"
dpid=$(pid_of dave)
api GET "/v1/conferences/demo/participants/$dpid"
[ "$(json_field "$BODY" muted)" = true ] || fail "dave is not muted as carol was: $BODY"
[ "$(json_field "$BODY" role)" = participant ] ||
	fail "dave took carol's moderator role without proving who he is: $BODY"
grep -q "msg=\"dialog replaced\" conf=demo pid=$cpid by=$dpid" \
	"$WORK/caucusd.log" || fail "no replacement in the log"
# the replaced dialog is gone: naming it again finds nothing
sipp_run gone rep_uac_481.xml -s demo \
	-key replaces "$cid;to-tag=$tt;from-tag=$ft"

alive
api DELETE /v1/conferences/demo
expect_status 204 "destroy demo"
sipp_wait "$dave" dave
stop_caucusd

# a dialog that has ended (its call failed: no RTP for 1 s; the record
# stays listed as failed): 603
start_caucusd --rtp-timeout-s 1
sipp_bg eve uac_wait_bye.xml -s demo -key who eve
eve=$SIPP_PID
wait_connected 5 demo 1 "eve did not join"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info" >"$WORK/eve.xml"
cid=$(grep -o '<call-id>[^<]*' "$WORK/eve.xml" | cut -d'>' -f2)
ft=$(grep -o '<from-tag>[^<]*' "$WORK/eve.xml" | cut -d'>' -f2)
tt=$(grep -o '<to-tag>[^<]*' "$WORK/eve.xml" | cut -d'>' -f2)
sipp_wait "$eve" eve
api GET /v1/conferences/demo
[ "$(count_status "$BODY" failed)" = 1 ] || fail "eve is not listed as failed: $BODY"
sipp_run ended rep_uac_603.xml -s demo \
	-key replaces "$cid;to-tag=$tt;from-tag=$ft"
stop_caucusd
log PASS
