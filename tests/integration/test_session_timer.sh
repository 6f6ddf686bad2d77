#!/bin/bash
# RFC 4028 session timers (with test-sized intervals; real ones are 90 s
# and more): a caller that is the refresher and never refreshes is hung up
# before expiry with a Reason and listed as failed; with no refresher
# asked the focus refreshes with a re-INVITE, and glare on that refresh
# is settled by 491 and a retry; too short: 422 with Min-SE; malformed:
# 400. Supported: timer in OPTIONS.
. "$(dirname "$0")/lib.sh"
start_caucusd --session-expires-s 4 --session-min-se-s 2

t0=$(date +%s%N)
sipp_run quiet uac_st_expire.xml -s demo -key who quiet
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "hung up after ${ms} ms (interval 4 s, deadline 3 s)"
[ "$ms" -ge 2500 ] && [ "$ms" -le 4500 ] || fail "BYE at ${ms} ms"
api GET /v1/conferences/demo
pid=$(pid_of quiet)
[ -n "$pid" ] || fail "the expired caller is not listed as failed"
api GET "/v1/conferences/demo/participants/$pid"
[ "$(json_field "$BODY" status)" = failed ] || fail "status: $BODY"
[ "$(json_field "$BODY" reason)" = "session timer expired" ] ||
	fail "reason: $BODY"

sipp_run lively uac_st_refresh.xml -s demo -key who lively
# glare on the refresh: the focus answers 491 to a re-INVITE while its own
# is pending, and retries its own after a 491 (RFC 3261 s. 14.1)
sipp_run glare uac_glare.xml -s demo -key who glare
# the retry waits: RFC 3261 s. 14.1 wants 0-2 s from the side that does
# not own the Call-ID (here the focus), libre waits 1 s
delay=$(awk '/^-----* [0-9]/ { split($3, t, ":")
		ts = t[1] * 3600 + t[2] * 60 + t[3] }
	/^(UDP|TCP) message/ { dir = $3 }
	/^SIP\/2.0 491/ && dir == "sent" { t0 = ts }
	/^INVITE / && dir == "received" && t0 { printf "%d", (ts - t0) * 1000;
		exit }' "$WORK/glare.msg")
log "the focus retried its re-INVITE ${delay} ms after our 491"
[ -n "$delay" ] && [ "$delay" -ge 500 ] && [ "$delay" -le 2100 ] ||
	fail "retry after ${delay:-?} ms"
sipp_run short uac_st_422.xml -s demo
sipp_run garbled uac_st_400.xml -s demo
sipp_run options uac_options.xml -s demo
grep -q "Supported: join, timer" "$WORK/options.msg" ||
	fail "OPTIONS does not say Supported: timer"
alive
stop_caucusd
log PASS
