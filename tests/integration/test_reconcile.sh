#!/bin/bash
# The reconciler acting on policy changes (docs/architecture.md): a caller
# a new rule no longer allows gets a BYE; an entry that says "invite" is
# called (once: declining does not make it ring again); an entry's mute
# flag mutes and unmutes who is there; a conference with idle_timeout_s is
# destroyed after that long empty (and not while someone is in); an end
# time in the past ends it at once.
. "$(dirname "$0")/lib.sh"
start_caucusd
P=/v1/conferences/demo
muted_of() { json_field "$(get "$P/participants/$1")" muted; }

sipp_bg pat uac_wait_bye.xml -s demo -key who pat
pat=$SIPP_PID
LPORT=$(free_port) sipp_bg mal uac_wait_bye.xml -s demo -key who mal
mal=$SIPP_PID
wait_connected 5 demo 2 "pat and mal did not join"
api GET $P
PAT=$(pid_of pat)

log "a rule that no longer allows mal ejects it"
api PATCH $P/policy '{"rules":[{"pattern":"sip:mal@*","action":"deny"}]}'
expect_status 200 "deny mal"
sipp_wait "$mal" mal
grep -q 'no longer allowed by the policy, ejecting.*sip:mal@' "$WORK/caucusd.log" ||
	fail "no ejection logged"
connected_count_is demo 1 || fail "pat left too"

log "the entry's mute flag"
api PATCH $P/policy '{"users":[{"aor":"sip:pat@example.com","muted":true}]}'
expect_status 200 "mute pat by policy"
[ "$(muted_of "$PAT")" = true ] || fail "pat not muted"
api PATCH $P/policy '{"users":[{"aor":"sip:pat@example.com","muted":false}]}'
[ "$(muted_of "$PAT")" = false ] || fail "pat not unmuted"

log "an entry that must be present is called"
port=$(free_port)
LPORT=$port sipp_bg tgt uas_answer.xml
tgt=$SIPP_PID
wait_udp "$port"
api PATCH $P/policy "{\"users\":[{\"aor\":\"sip:pat@example.com\"},{\"aor\":\"sip:tgt@127.0.0.1:$port\",\"invite\":true}]}"
expect_status 200 "invite tgt"
tgt_in() { get $P | grep -q "\"uri\":\"sip:tgt@127.0.0.1:$port\",\"display_name\":\"\",\"status\":\"connected\""; }
wait_for 5 tgt_in || fail "tgt was not called: $(get $P)"
grep -q '"joining_method":"dialed-out"' <<<"$(get $P)" || fail "not a dial-out"
# the same policy again: no second call
api PATCH $P/policy '{"locked":false}'
[ "$(get $P | grep -o "sip:tgt@" | wc -l)" = 1 ] || fail "tgt called twice"
api GET $P
api DELETE "$P/participants/$(pid_of tgt)"
sipp_wait "$tgt" tgt

log "idle conferences end"
api POST /v1/conferences '{"id":"idle"}'
expect_status 201 "create idle"
t0=$(date +%s%N)
api PATCH /v1/conferences/idle/policy '{"idle_timeout_s":2}'
expect_status 200 "idle_timeout_s"
wait_for 5 conference_gone idle || fail "idle conference not destroyed"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "destroyed after $ms ms empty (idle_timeout_s 2)"
[ "$ms" -ge 1800 ] || fail "destroyed too early ($ms ms)"
api POST /v1/conferences '{"id":"idle2"}'
api PATCH /v1/conferences/idle2/policy '{"idle_timeout_s":2}'
# a guest stays a second, longer than the time left on the timer armed
# when the policy came (it must be stopped, and armed again when the
# guest leaves), and then leaves: idle2 ends idle_timeout_s after that
sipp_run guest uac_join.xml -s idle2 -key who guest -d 1000
t0=$(date +%s%N)
wait_for 6 conference_gone idle2 || fail "idle2 not destroyed after its guest left"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "idle2 destroyed $ms ms after its guest left (idle_timeout_s 2)"
[ "$ms" -ge 1800 ] || fail "idle2 destroyed too early ($ms ms after its guest left)"

log "an end time in the past ends the conference now"
api PATCH $P/policy '{"end":1000}'
expect_status 200 "end in the past"
sipp_wait "$pat" pat
api GET $P
expect_status 404 "demo after its end"
stop_caucusd
log PASS
