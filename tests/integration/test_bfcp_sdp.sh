#!/bin/bash
# BFCP in the SDP of the conference call (RFC 8856, issue 18): a caller
# offering audio and a TCP/BFCP stream gets the stream at the BFCP port
# with a=floorctrl:s-only, its conference id, a user id that is its
# participant id, floor 1 on the label of our audio, a=setup:passive and
# a=connection:new (uac_bfcp.xml checks the lines); a second caller gets
# the same conference id and its own user id; a re-INVITE removing the
# stream is answered with port 0 and one adding it back gets it again.
# Callers that offer no BFCP are the other tests' (answered as before).
. "$(dirname "$0")/lib.sh"
BFCP_PORT=$(free_port)
start_caucusd --bfcp-port "$BFCP_PORT"

# ids NAME: "port confid userid" of sipp NAME's log, once it is written
ids() {
	sed -n 's/.*bfcp port=\([0-9]\+\) confid=\([0-9]\+\) userid=\([0-9]\+\).*/\1 \2 \3/p' \
		"$WORK/$1.log" 2>/dev/null | head -n 1 | grep .
}
# caller NAME: its sipp in the background (SIPP_PID), pausing 3 s with
# BFCP on for the checks below
caller() {
	sipp_bg "$1" uac_bfcp.xml -s demo -key who "$1" -d 3000 \
		-trace_logs -log_file "$WORK/$1.log"
}

caller mia
mia=$SIPP_PID
wait_for 10 ids mia || fail "mia: no BFCP answer logged"
read -r port confid userid < <(ids mia)
[ "$port" = "$BFCP_PORT" ] || fail "BFCP at port $port, not $BFCP_PORT"
api GET /v1/conferences/demo
[ "$userid" = "$(pid_of mia)" ] ||
	fail "mia's userid $userid is not its participant id $(pid_of mia)"

caller bob
bob=$SIPP_PID
wait_for 10 ids bob || fail "bob: no BFCP answer logged"
read -r port2 confid2 userid2 < <(ids bob)
api GET /v1/conferences/demo
[ "$confid2" = "$confid" ] || fail "one conference, confids $confid $confid2"
[ "$confid" = "$(json_field "$BODY" bfcp_conference_id)" ] ||
	fail "a=confid $confid is not the API's bfcp_conference_id: $BODY"
[ "$userid2" = "$(pid_of bob)" ] && [ "$userid2" != "$userid" ] ||
	fail "bob's userid $userid2 (participant $(pid_of bob), mia $userid)"
log "BFCP port $port conference $confid users $userid $userid2"

sipp_wait "$mia" mia
sipp_wait "$bob" bob
alive
stop_caucusd
log PASS
