#!/bin/bash
# Dial-out from the API: answered (dialing-out -> connected, then removed
# with a BYE), busy (failed with 486), cancelled while ringing, refused at
# once, and bad URIs.
. "$(dirname "$0")/lib.sh"
start_caucusd

status_of() { # pid -> status
	json_field "$(get "/v1/conferences/demo/participants/$1")" status
}
is_status() { [ "$(status_of "$1")" = "$2" ]; }

dial() { # uri: sets pid
	api POST /v1/conferences/demo/participants "{\"uri\":\"$1\"}"
	expect_status 201 "dial $1"
	pid=$(json_field "$BODY" id)
}

# answered, then removed by the API
port=$(free_port)
LPORT=$port sipp_bg bob uas_answer.xml
bob=$SIPP_PID
wait_udp "$port"
dial "sip:bob@127.0.0.1:$port"
st=$(status_of "$pid")
case "$st" in dialing-out|alerting|connected) ;;
	*) fail "fresh dial-out has status $st" ;; esac
wait_for 5 is_status "$pid" connected || fail "bob never connected"
api GET "/v1/conferences/demo/participants/$pid"
body=$BODY
[ "$(json_field "$body" joining_method)" = dialed-out ] || fail "method"
[ "$(json_field "$body" codec)" = PCMU ] || fail "codec"
api DELETE "/v1/conferences/demo/participants/$pid" 
expect_status 204 "remove bob"
sipp_wait "$bob" bob
api GET "/v1/conferences/demo/participants/$pid" 
expect_status 404 "bob after removal"

# busy: failed with the SIP code, kept in the list
port=$(free_port)
LPORT=$port sipp_bg carol uas_busy.xml
carol=$SIPP_PID
wait_udp "$port"
dial "sip:carol@127.0.0.1:$port"
wait_for 5 is_status "$pid" failed || fail "busy dial-out not failed"
api GET "/v1/conferences/demo/participants/$pid"
body=$BODY
[ "$(json_field "$body" sip_code)" = 486 ] || fail "sip_code is not 486"
sipp_wait "$carol" carol
api DELETE "/v1/conferences/demo/participants/$pid" 
expect_status 204 "forget failed carol"

# ringing, then cancelled by removing it
port=$(free_port)
LPORT=$port sipp_bg dave uas_ring_cancel.xml
dave=$SIPP_PID
wait_udp "$port"
dial "sip:dave@127.0.0.1:$port"
wait_for 5 is_status "$pid" alerting || fail "dave never alerting"
api DELETE "/v1/conferences/demo/participants/$pid" 
expect_status 204 "cancel dave"
sipp_wait "$dave" dave

# nobody listens there (TCP): fails at once, with a reason
dial "sip:nobody@127.0.0.1:$(free_port);transport=tcp"
wait_for 10 is_status "$pid" failed || fail "refused dial-out not failed"

# bad requests
api POST /v1/conferences/demo/participants '{"uri":"mailto:x@y"}' 
expect_status 400 "mailto URI"
api POST /v1/conferences/demo/participants '{"uri":"sip:"}' 
expect_status 400 "empty sip URI"
api POST /v1/conferences/demo/participants '{"uri":"sip:a@b>x"}' 
expect_status 400 "URI with >"
api POST /v1/conferences/demo/participants '{}' 
expect_status 400 "no uri"
api POST /v1/conferences/nope/participants '{"uri":"sip:a@b"}' 
expect_status 404 "unknown conference"
alive
stop_caucusd
log PASS
