#!/bin/bash
# Destroying a conference with people in it: everyone gets a BYE, then the
# URI answers 404 to INVITE and the API 404. Then shutdown with calls up:
# SIGTERM sends BYE to everyone and exits 0.
. "$(dirname "$0")/lib.sh"
start_caucusd

api POST /v1/conferences '{"id":"room","display_text":"Room"}' 
expect_status 201 "create room"
pids=""
for who in ann ben cat; do
	sipp_bg "$who" uac_wait_bye.xml -s room -key who "$who"
	pids="$pids $SIPP_PID"
done
wait_connected 8 room 3 "three participants did not connect"
api DELETE /v1/conferences/room 
expect_status 204 "destroy room"
i=0
for p in $pids; do i=$((i + 1)); sipp_wait "$p" "room-$i"; done
api GET /v1/conferences/room 
expect_status 404 "destroyed room in the API"
sipp_run gone uac_404.xml -s room
api DELETE /v1/conferences/room 
expect_status 404 "destroy twice"

# shutdown with people in the demo conference
pids=""
for who in dan eve; do
	sipp_bg "$who" uac_wait_bye.xml -s demo -key who "$who"
	pids="$pids $SIPP_PID"
done
wait_connected 8 demo 2 "two participants did not connect"
stop_caucusd
i=0
for p in $pids; do i=$((i + 1)); sipp_wait "$p" "shutdown-$i"; done
grep -q 'msg="stopped"' "$WORK/caucusd.log" || fail "no clean stop logged"
log PASS
