#!/bin/bash
# Media changes inside a call: a participant's re-INVITE adding a video
# stream is answered with video (a port of its own) while audio goes on;
# one removing audio and video (port 0) is answered likewise and the
# participant stays in the conference without media; audio comes back
# with the next.
. "$(dirname "$0")/lib.sh"
start_caucusd

sipp_bg mia uac_reinvite_media.xml -s demo -key who mia -d 1500
mia=$SIPP_PID
no_media() {
	api GET /v1/conferences/demo
	local pid
	pid=$(pid_of mia)
	[ -n "$pid" ] || return 1
	api GET "/v1/conferences/demo/participants/$pid"
	[ "$(json_field "$BODY" status)" = connected ] &&
		! printf '%s' "$BODY" | grep -q '"media"'
}
wait_for 5 no_media || fail "after removing audio: $BODY"
sipp_wait "$mia" mia
alive
stop_caucusd
log PASS
