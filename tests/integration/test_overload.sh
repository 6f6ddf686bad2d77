#!/bin/bash
# Graceful overload (issue 22, docs/security.md): with a ceiling of 20
# new calls a second (max_call_rate), sipp offers 100 a second for 3 s
# (from 127.0.0.1, exempt from the per-source limits: the ceiling is the
# server's, over all sources):
#  - what is over the ceiling gets 503 "Service Unavailable (overloaded)"
#    with a Retry-After (uac_join_or_503_rtx.xml checks both), the rest
#    200; a refused INVITE sent again as it was (a retransmission) is
#    refused again, never admitted (its caller would never ACK the 200);
#  - every call that got its 200 completes (its BYE answered 200) and no
#    call fails; the participants are 0 again within 5 s of the end;
#  - /metrics and /v1/status count the refusals as sipp saw them, and
#    the log has the summary line (not a line per call);
#  - at the same time an API flood from 127.0.0.11 gets 429 with a JSON
#    error and Retry-After, and SIP keeps answering: a caller from
#    127.0.0.3 joins right after;
#  - a subscriber of the conference watching the storm (120-odd joins and
#    leaves) gets NOTIFYs at most one an interval (250 ms), coalesced;
#  - new subscriptions the same way: with max_subscribe_rate 20, sipp
#    offers 100 SUBSCRIBEs a second for 2 s (uac_sub_or_503.xml): the
#    excess gets 503 with Retry-After, a retransmission of a refused one
#    is refused again, every one taken gets its NOTIFY and ends with its
#    unsubscribe; the subscriptions are back to the watcher alone.
# First, before any of it: a quiet server stops measuring its load after
# a second (no wake-ups on the mixer's core), and a SIP datagram or an
# API request wakes the measure again, and so does a request over TCP
# (/v1/status: measure_asleep, measure_woken; a GET of /v1/status itself
# wakes nothing).
. "$(dirname "$0")/lib.sh"
start_caucusd --max-call-rate 20 --max-subscribe-rate 20 \
	--notify-interval-ms 250
asleep() { [ "$(json_field "$(get /v1/status)" measure_asleep)" = true ]; }
# summary_before_sleep CHECK WHAT: CHECK (a grep of the log) holds within
# 8 s. The measure logs the summary in a tick: it must not fall asleep
# with refusals not yet logged, or the line never comes
summary_before_sleep() {
	local check=$1 what=$2
	logged_or_asleep() { "$check" || asleep; }
	wait_for 8 logged_or_asleep ||
		fail "no summary line of the $what in the log"
	"$check" || fail "the load measure fell asleep before it logged" \
		"the summary line of the $what"
}
woken() { json_field "$(get /v1/status)" measure_woken; }
wait_for 10 asleep || fail "the load measure of a quiet server never slept"
w0=$(woken)
printf 'OPTIONS sip:demo@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-ovl1\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:demo@127.0.0.1>\r\nCall-ID: ovl-wake-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
	>"/dev/udp/127.0.0.1/$SIP_PORT"
woken_sip() { [ "$(woken)" -gt "$w0" ]; }
wait_for 5 woken_sip || fail "a SIP datagram did not wake the measure"
wait_for 10 asleep || fail "the measure did not sleep again"
w1=$(woken)
curl -s -o /dev/null "$API/v1/conferences"
[ "$(woken)" -gt "$w1" ] || fail "an API request did not wake the measure"
# over TCP the probe's helper sees nothing: the SIP gate wakes it
wait_for 10 asleep || fail "the measure did not sleep again after the API"
w2=$(woken)
exec 3<>"/dev/tcp/127.0.0.1/$SIP_PORT"
printf 'OPTIONS sip:demo@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-ovl2\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:demo@127.0.0.1>\r\nCall-ID: ovl-wake-2\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' >&3
IFS= read -r -t 5 answer <&3 || answer=""
exec 3<&-
case $answer in "SIP/2.0 200"*) ;; *) fail "OPTIONS over TCP: '$answer'" ;; esac
woken_tcp() { [ "$(woken)" -gt "$w2" ]; }
wait_for 5 woken_tcp || fail "a SIP request over TCP did not wake the measure"
log "the load measure sleeps when quiet; SIP (UDP, TCP) and the API wake it"
sipp_bg watch uac_sub_loop.xml -s demo
notified() { grep -c '^NOTIFY sip' "$WORK/watch.msg"; }
first_notify() { [ "$(notified)" -ge 1 ]; }
wait_for 5 first_notify || fail "the watcher got no first NOTIFY"
n0=$(notified)
t0=$(date +%s%N)
metric() { curl -s "$API/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
participants() { json_field "$(get /v1/status)" participants; }
no_participants() { [ "$(participants)" = 0 ]; }
counter() { # NAME [CSV]: that column of the last line of sipp's statistics
	awk -F';' -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++)
		if ($i == n) c = i } END { print c ? $c : "" }' \
		"${2:-$WORK/stat.csv}"
}

log "API flood from 127.0.0.11 while sipp offers 100 calls/s"
# one curl, one kept-alive connection, 600 requests as fast as it goes
# shellcheck disable=SC2046
curl -s -D "$WORK/flood.hdr" -w '%{http_code}\n' --interface 127.0.0.11 \
	$(for i in $(seq 1 600); do
		echo "-o $WORK/flood.body.$((i % 2)) $API/v1/conferences/demo"
	done) >"$WORK/flood.codes" 2>&1 &
FLOOD_PID=$!
CHILDREN="$CHILDREN $FLOOD_PID"
sipp_run overload uac_join_or_503_rtx.xml -s demo -m 300 -r 100 -d 1000 \
	-trace_stat -stf "$WORK/stat.csv"
wait "$FLOOD_PID" || true
wait_for 5 no_participants || true
storm_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
nn=$(( $(notified) - n0 ))
log "NOTIFYs during the storm: $nn in $storm_ms ms"
[ "$nn" -ge 1 ] || fail "the watcher heard nothing of the storm"
# one an interval, and one for the last change after it
[ "$nn" -le $(( storm_ms / 250 + 3 )) ] ||
	fail "$nn NOTIFYs in $storm_ms ms: not coalesced"
n503=$(counter 'GenericCounter1(C)')
n200=$(counter 'GenericCounter2(C)')
nbye=$(counter 'GenericCounter3(C)')
nrtx=$(counter 'GenericCounter4(C)')
failed=$(counter 'FailedCall(C)')
log "sipp: 503 $n503, 200 $n200, BYE answered $nbye, failed $failed"
[ "${failed:-1}" = 0 ] || fail "$failed calls failed"
[ "${n503:-0}" -ge 100 ] || fail "only ${n503:-0} of 300 calls got 503"
# 3 s at 20/s, and the bucket's 2 at once; a little slack for timing
[ "${n200:-0}" -ge 40 ] && [ "${n200:-0}" -le 90 ] ||
	fail "${n200:-0} calls admitted, want about 60"
[ "$((n503 + n200))" = 300 ] || fail "503 $n503 + 200 $n200 is not 300"
[ "$nbye" = "$n200" ] || fail "$n200 calls answered, $nbye completed"
[ "$nrtx" = "$n503" ] || fail "$n503 refused, $nrtx refused again"
wait_for 5 no_participants ||
	fail "$(participants) participants still listed 5 s after the load"
log "every admitted call completed, no participant left"

[ "$(metric caucus_sip_rejected_overload_total)" = "$n503" ] ||
	fail "/metrics counts $(metric caucus_sip_rejected_overload_total)" \
		"refusals, sipp saw $n503"
[ "$(metric caucus_sip_admission_state'{state="limiting"}')" = 1 ] ||
	fail "the admission state is not limiting"
metric caucus_loop_lag_p99_seconds | grep -qE '^[0-9.]+$' ||
	fail "no loop lag in /metrics"
status=$(get /v1/status)
[ "$(json_field "$status" rejected_overload)" = "$n503" ] ||
	fail "/v1/status: $status"
[ "$(json_field "$status" max_call_rate)" = 20 ] || fail "/v1/status: $status"
[ "$(json_field "$status" retransmissions_rejected)" = "$n503" ] ||
	fail "/v1/status: retransmissions refused: $status"
summary() {
	grep -q 'msg="overloaded: new calls refused with 503" refused=' \
		"$WORK/caucusd.log"
}
summary_before_sleep summary "refusals"

[ "$(grep -c 'overloaded: new calls refused' "$WORK/caucusd.log")" -le 3 ] ||
	fail "the refusals were logged more than a summary"
log "counted in /metrics and /v1/status, summarised in the log"

codes=$(sort "$WORK/flood.codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')
log "API flood (code:count): $codes"
n429=$(printf '%s' "$codes" | grep -o '429:[0-9]*' | cut -d: -f2)
[ "${n429:-0}" -ge 1 ] || fail "the API flood got no 429: $codes"
grep -qi '^Retry-After: [1-9]' "$WORK/flood.hdr" ||
	fail "a 429 without Retry-After"
grep -hq '"error":"too many requests"' "$WORK"/flood.body.* ||
	fail "the 429 has no JSON error: $(cat "$WORK"/flood.body.*)"
# SIP kept answering through it, and still does
sipp_run after uac_join.xml -s demo -i 127.0.0.3 -key who after
wait_for 5 no_participants || fail "the last caller is still listed"

log "sipp offers 100 subscriptions/s against max_subscribe_rate 20"
subscriptions() { json_field "$(get /v1/status)" subscriptions; }
[ "$(subscriptions)" = 1 ] || fail "subscriptions before: $(subscriptions)"
sipp_run subs uac_sub_or_503.xml -s demo -m 200 -r 100 -d 300 \
	-trace_stat -stf "$WORK/subs.csv"
s503=$(counter 'GenericCounter1(C)' "$WORK/subs.csv")
s200=$(counter 'GenericCounter2(C)' "$WORK/subs.csv")
sdone=$(counter 'GenericCounter3(C)' "$WORK/subs.csv")
srtx=$(counter 'GenericCounter4(C)' "$WORK/subs.csv")
failed=$(counter 'FailedCall(C)' "$WORK/subs.csv")
log "sipp: 503 $s503, 200 $s200, unsubscribed $sdone, failed $failed"
[ "${failed:-1}" = 0 ] || fail "$failed subscriptions failed"
[ "$((s503 + s200))" = 200 ] || fail "503 $s503 + 200 $s200 is not 200"
# 2 s at 20/s and the bucket's 2 at once; a little slack for timing
[ "${s200:-0}" -ge 25 ] && [ "${s200:-0}" -le 70 ] ||
	fail "${s200:-0} subscriptions admitted, want about 42"
[ "$sdone" = "$s200" ] || fail "$s200 subscribed, $sdone unsubscribed"
[ "$srtx" = "$s503" ] || fail "$s503 refused, $srtx refused again"
back_to_one() { [ "$(subscriptions)" = 1 ]; }
wait_for 5 back_to_one || fail "$(subscriptions) subscriptions left"
[ "$(metric caucus_sip_subscriptions_rejected_overload_total)" = "$s503" ] ||
	fail "/metrics counts" \
		"$(metric caucus_sip_subscriptions_rejected_overload_total)," \
		"sipp saw $s503"
status=$(get /v1/status)
[ "$(json_field "$status" subscriptions_rejected_overload)" = "$s503" ] &&
	[ "$(json_field "$status" max_subscribe_rate)" = 20 ] ||
	fail "/v1/status: $status"
# the calls' counts are theirs alone
[ "$(metric caucus_sip_rejected_overload_total)" = "$n503" ] ||
	fail "the refused subscriptions were counted as calls"
# and the log's summary says what was refused
sub_summary() {
	grep -qE 'msg="overloaded: new (calls and )?subscriptions refused with 503" refused=[0-9]+ subscriptions_refused=[1-9]' \
		"$WORK/caucusd.log"
}
summary_before_sleep sub_summary "refused subscriptions"
alive
stop_caucusd
log PASS
