#!/bin/bash
# A sidebar's URI (sip:<conf>+<sidebar>@host) is an alias the focus
# answers (RFC 4353 s. 5.6): an INVITE to it joins the conference
# straight into the sidebar, with the sidebar's URI in the ;isfocus
# Contact; an unknown sidebar, or a sidebar of an unknown conference, is
# 404; when the sidebar is deleted its member stays in the call, back in
# the main conference.
. "$(dirname "$0")/lib.sh"
start_caucusd
C=/v1/conferences/demo
api POST $C/sidebars '{"id":"team","display_text":"Team"}'
expect_status 201 "POST sidebar"

sipp_run nosb uac_404.xml -s demo+nope
sipp_run noconf uac_404.xml -s nope+team

sipp_bg direct uac_wait_bye.xml -s demo+team -key who dave
wait_connected 15 demo 1 "the call to the sidebar's URI did not connect"
p=$(part_of demo dave)
[ "$(json_field "$p" sidebar)" = team ] ||
	fail "the caller is not in the sidebar: $p"
grep -q 'Contact: <sip:demo+team@' "$WORK/direct.msg" ||
	fail "the answer's Contact is not the sidebar's URI:" \
		"$(grep -m1 Contact: "$WORK/direct.msg")"
api GET $C/sidebars/team
expect_status 200 "GET sidebar"
printf '%s' "$BODY" | grep -q "\"members\":\[\"$(json_field "$p" id)\"\]" ||
	fail "the sidebar does not list its member: $BODY"

api DELETE $C/sidebars/team
expect_status 204 "DELETE sidebar"
p=$(part_of demo dave)
[ "$(json_field "$p" status)" = connected ] || fail "the call ended: $p"
[ "$(json_field "$p" sidebar)" = null ] ||
	[ -z "$(json_field "$p" sidebar)" ] ||
	fail "still in the deleted sidebar: $p"
sipp_run nosb2 uac_404.xml -s demo+team

api DELETE "$C/participants/$(json_field "$p" id)"
sipp_wait "$SIPP_PID" direct
stop_caucusd
log PASS
