#!/bin/bash
# REFER to the focus (RFC 3515, RFC 4579): a participant adds someone from
# inside its call (NOTIFYs 100 Trying, 180 Ringing, 200 OK) and the new
# participant shows who referred it; a busy target ends in 486; a REFER
# outside any dialog from a participant works the same; refusals (400,
# 501, 403, 404) and REFER BYE of oneself; a moderator removes someone
# else; an outsider gets 403; an INVITE
# with Referred-By shows who sent the caller.
. "$(dirname "$0")/lib.sh"
start_caucusd
XSD="$SRC/tests/schemas/conference-info.xsd"

# alice refers bob (who answers) from inside her call
bport=$(free_port)
LPORT=$bport sipp_bg bob uas_answer.xml
bob=$SIPP_PID
wait_udp "$bport"
sipp_run alice uac_refer.xml -s demo -key who alice \
	-key target "sip:bob@127.0.0.1:$bport"
api GET /v1/conferences/demo
pid=$(pid_of bob)
[ -n "$pid" ] || fail "bob is not in the conference"
api GET "/v1/conferences/demo/participants/$pid"
[ "$(json_field "$BODY" status)" = connected ] || fail "bob: $BODY"
[ "$(json_field "$BODY" joining_method)" = dialed-out ] || fail "method"
[ "$(json_field "$BODY" referred_by)" = "sip:alice@example.com" ] ||
	fail "bob does not show who referred him: $BODY"
curl -s -H 'Accept: application/conference-info+xml' \
	"$API/v1/conferences/demo/info" >"$WORK/info.xml"
xmllint --noout --schema "$XSD" "$WORK/info.xml" || fail "info invalid"
grep -q '<referred><when>[^<]*</when><by>sip:alice@example.com</by></referred>' \
	"$WORK/info.xml" || fail "no referred/by in the document"
grep -q '<joining-info><when>[^<]*</when><by>sip:alice@example.com</by></joining-info>' \
	"$WORK/info.xml" || fail "no joining-info/by in the document"

# a busy target: 100 Trying, then 486 Busy Here
cport=$(free_port)
LPORT=$cport sipp_bg carol uas_busy.xml
carol=$SIPP_PID
wait_udp "$cport"
sipp_run dave uac_refer_busy.xml -s demo -key who dave \
	-key target "sip:carol@127.0.0.1:$cport"
sipp_wait "$carol" carol

# outside any dialog, from erin who is in the conference on her call
sipp_bg erin uac_wait_bye.xml -s demo -key who erin
erin=$SIPP_PID
fport=$(free_port)
LPORT=$fport sipp_bg frank uas_answer.xml
frank=$SIPP_PID
wait_udp "$fport"
erin_in() {
	api GET /v1/conferences/demo
	printf '%s' "$BODY" | grep -q '"uri":"sip:erin@example.com","display_name":"erin","status":"connected"'
}
wait_for 5 erin_in || fail "erin did not connect"
sipp_run erin-refer uac_refer_ood.xml -s demo -key who erin \
	-key target "sip:frank@127.0.0.1:$fport"
api GET /v1/conferences/demo
fpid=$(pid_of frank)
[ -n "$fpid" ] || fail "frank is not in the conference"
api GET "/v1/conferences/demo/participants/$fpid"
[ "$(json_field "$BODY" referred_by)" = "sip:erin@example.com" ] ||
	fail "frank: $BODY"

# refusals, then gina removes herself with REFER method=BYE
sipp_run gina uac_refer_bad.xml -s demo -key who gina \
	-key target "sip:bob@127.0.0.1:$bport"
grep -q 'msg="REFER BYE" conf=demo' "$WORK/caucusd.log" ||
	fail "no REFER BYE in the log"
api GET /v1/conferences/demo
[ -z "$(pid_of gina)" ] || fail "gina is still listed"
[ -n "$(pid_of bob)" ] || fail "bob was removed by someone else's REFER"

# a moderator (by the policy) removes someone else: frank gets a BYE
api PATCH /v1/conferences/demo/policy '{"users":[{"aor":"sip:mia@example.com","role":"moderator"}]}'
expect_status 200 "mia is a moderator"
sipp_run mia uac_refer_remove.xml -s demo -key who mia \
	-key target "sip:frank@127.0.0.1:$fport"
sipp_wait "$frank" frank
api GET /v1/conferences/demo
[ -z "$(pid_of frank)" ] || fail "frank is still in after the moderator's REFER"

# not a participant
sipp_run mallory uac_refer_outsider.xml -s demo -key who mallory

# someone sent here by another joins with Referred-By in the INVITE
sipp_bg hal uac_join_referred.xml -s demo -key who hal \
	-key referrer "sip:boss@example.com"
hal=$SIPP_PID
hal_in() { api GET /v1/conferences/demo; [ -n "$(pid_of hal)" ]; }
wait_for 5 hal_in || fail "hal did not join"
api GET "/v1/conferences/demo/participants/$(pid_of hal)"
[ "$(json_field "$BODY" referred_by)" = "sip:boss@example.com" ] ||
	fail "Referred-By of an INVITE not recorded: $BODY"

alive
api DELETE /v1/conferences/demo
expect_status 204 "destroy"
sipp_wait "$bob" bob
sipp_wait "$erin" erin
sipp_wait "$hal" hal
stop_caucusd
log PASS
