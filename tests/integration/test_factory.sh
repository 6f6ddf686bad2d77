#!/bin/bash
# The conference factory URI (RFC 4579 s. 5.4): an INVITE to
# sip:conference-factory@... creates a conference; the 200's Contact is
# the new conference URI with ;isfocus; its caller is the administrator;
# others join that URI; it ends when its last participant leaves. A real
# client (baresip) and sipp. OPTIONS to the factory URI: 200.
. "$(dirname "$0")/lib.sh"
start_caucusd

# baresip calls the factory URI
d="$WORK/bs"
baresip_conf "$d" bs
"$BIN/tonegen" "$d/tone.wav" 440 20 8000 0.2
echo '"Ann" <sip:ann@127.0.0.1>;regint=0' > "$d/accounts"
baresip -f "$d" -e "/dial sip:conference-factory@127.0.0.1:$SIP_PORT" \
	-t 30 > "$d/baresip.log" 2>&1 &
bs=$!
CHILDREN="$CHILDREN $bs"

adhoc_id() {
	api GET /v1/conferences
	printf '%s' "$BODY" | grep -o '"id":"[a-z0-9]*","conference_uri"[^}]*"adhoc":true' |
		head -n1 | cut -d'"' -f4
}
has_adhoc() { [ -n "$(adhoc_id)" ]; }
wait_for 10 has_adhoc || fail "no ad-hoc conference appeared"
id=$(adhoc_id)
log "factory made conference $id"
wait_connected 10 "$id" 1 "baresip is not connected in $id"
api GET "/v1/conferences/$id"
[ "$(json_field "$BODY" role)" = administrator ] ||
	fail "the creator is not the administrator: $BODY"
grep -aq "Call established" "$d/baresip.log" || fail "baresip: no call"

# sipp: OPTIONS to the factory, then a factory call of its own (Contact
# checked for ;isfocus and a conference URI other than the factory's)
sipp_run opts uac_options.xml -s conference-factory
sipp_run fact uac_join.xml -s conference-factory -d 500
grep -q "Contact: <sip:[a-z0-9]*@127.0.0.1:$SIP_PORT[^>]*>;isfocus" \
	"$WORK/fact.msg" || fail "no ;isfocus Contact with a conference URI"
grep -q "Contact: <sip:conference-factory@" "$WORK/fact.msg" &&
	fail "the factory answered with its own URI"

# others join the new conference by its URI
sipp_run bob uac_join.xml -s "$id" -d 500
# that sipp's conference is gone now that its caller left
n=$(printf '%s' "$(get /v1/conferences)" | grep -o '"adhoc":true' | wc -l)
[ "$n" = 1 ] || fail "$n ad-hoc conferences, expected only baresip's"

# the last one leaves (baresip says BYE on SIGTERM): the conference ends
# and its URI answers 404
kill -TERM "$bs"
wait_for 10 conference_gone "$id" || fail "the empty ad-hoc conference is still there"
sipp_run late uac_404.xml -s "$id"

# the last one kicked through the API: the conference ends the same way
sipp_bg kim uac_wait_bye.xml -s conference-factory -key who kim
kim=$SIPP_PID
wait_for 10 has_adhoc || fail "no ad-hoc conference for kim"
id=$(adhoc_id)
api GET "/v1/conferences/$id"
api DELETE "/v1/conferences/$id/participants/$(pid_of kim)"
expect_status 204 "kick the last one"
sipp_wait "$kim" kim
wait_for 5 conference_gone "$id" || fail "the ad-hoc conference outlived its kicked last one"
stop_caucusd
log PASS
