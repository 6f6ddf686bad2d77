#!/bin/bash
# GET /metrics: Prometheus text format, and the values move as calls come
# and go: participants, calls, SIP requests by method and responses by
# class, API requests by route and status class, mixer ticks.
. "$(dirname "$0")/lib.sh"
start_caucusd

metric() { # NAME{LABELS}: its value now (empty if absent)
	curl -s "$API/metrics" | grep -v '^#' | grep -F "$1 " | head -n1 |
		awk '{print $NF}'
}
curl -s -D "$WORK/h" -o "$WORK/m0" "$API/metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$WORK/h" ||
	fail "not the Prometheus text format"
# every sample has a TYPE line, and every line is a comment or a sample
awk '/^# TYPE / { t[$3] = 1; next } /^#/ { next }
	{ n = $1; sub(/\{.*/, "", n); b = n; sub(/_(bucket|sum|count)$/, "", b)
	  if (!(n in t) && !(b in t)) { print "untyped " n; bad = 1 }
	  if ($NF !~ /^[0-9.e+-]+$/) { print "bad value " $0; bad = 1 } }
	END { exit bad }' "$WORK/m0" || fail "malformed exposition"
[ "$(metric 'caucus_conferences')" = 1 ] || fail "conferences"
[ "$(metric 'caucus_calls_active')" = 0 ] || fail "calls before"
inv0=$(metric 'caucus_sip_requests_received_total{method="INVITE"}')
ok0=$(metric 'caucus_sip_responses_sent_total{class="2xx"}')

sipp_bg ann uac_join.xml -s demo -d 2000
ann=$SIPP_PID
up() { [ "$(metric 'caucus_calls_active')" = 1 ]; }
wait_for 5 up || fail "calls_active did not go to 1"
[ "$(metric 'caucus_participants{status="connected"}')" = 1 ] ||
	fail "connected participants"
[ "$(metric 'caucus_sip_requests_received_total{method="INVITE"}')" = \
	$((inv0 + 1)) ] || fail "INVITE count"
# the call's stream (and while they play, those of the announcements it
# hears: its entry tone, "you are the only participant")
[ $(( $(metric 'caucus_mixer_streams{thread="0"}') +
	$(metric 'caucus_mixer_streams{thread="1"}') )) -ge 1 ] ||
	fail "no mixer stream"
sipp_wait "$ann" ann
down() { [ "$(metric 'caucus_calls_active')" = 0 ]; }
wait_for 5 down || fail "calls_active did not go back to 0"
[ "$(metric 'caucus_participants{status="connected"}')" = 0 ] ||
	fail "participant still counted"
[ "$(metric 'caucus_sip_requests_received_total{method="BYE"}')" -ge 1 ] ||
	fail "BYE not counted"
ok1=$(metric 'caucus_sip_responses_sent_total{class="2xx"}')
[ "$ok1" -ge $((ok0 + 2)) ] || fail "2xx: $ok0 -> $ok1"

api GET /v1/conferences/nosuch
api GET /v1/conferences/nosuch
[ "$(metric 'caucus_api_requests_total{route="GET /v1/conferences/{id}",code="4xx"}')" = 2 ] ||
	fail "API 4xx by route"
t0=$(metric 'caucus_mixer_tick_duration_seconds_count{thread="0"}')
ticked() {
	[ "$(metric 'caucus_mixer_tick_duration_seconds_count{thread="0"}')" \
		-gt "$t0" ]
}
wait_for 5 ticked || fail "mixer ticks do not move (still $t0 after 5 s)"
# tick lateness: as many samples as ticks, and nearly all under 20 ms
l1=$(metric 'caucus_mixer_tick_lateness_seconds_count{thread="0"}')
l20=$(metric 'caucus_mixer_tick_lateness_seconds_bucket{thread="0",le="0.020000"}')
[ "$l1" -gt 0 ] && [ "$l20" -ge $((l1 * 9 / 10)) ] ||
	fail "tick lateness: $l20 of $l1 under 20 ms"
api GET /v1/status
printf '%s' "$BODY" | grep -q '"late_hist":\[[0-9]*,[0-9]*,[0-9]*,[0-9]*,[0-9]*,[0-9]*,[0-9]*,[0-9]*,[0-9]*\]' ||
	fail "no late_hist of nine buckets in /v1/status: $BODY"
api POST /metrics '{}'
expect_status 405 "POST /metrics"
stop_caucusd
log PASS
