#!/bin/bash
# caucusctl against a running caucusd, the rest of test_caucusctl (one
# script each so that neither runs long on a loaded machine): the
# policy and its editor, media and mix settings, dial-out and mass
# invitation, floor control with two callers of their own, users, self
# service, requested changes, and the errors with their exit codes (usage 2, unknown
# conference 3, refused 4, unreachable server 6, not allowed 7).
. "$(dirname "$0")/lib.sh"
start_caucusd
. "$(dirname "$0")/ctl_lib.sh"
ctl conf create weekly --name "Weekly call"; want 0 "Weekly call"

# the policy: get, set, edit (and a change made meanwhile)
ctl status; want 0 "conferences"
ctl policy get weekly; want 0 '"default_action": "allow"'
echo '{"max_participants":7}' >"$WORK/pol.json"
ctl policy set weekly "$WORK/pol.json"; want 0 '"max_participants": 7'
echo '{"max_participants":"x"}' | { RC=0; "$CTL" policy set weekly - \
	>"$WORK/ctl.out" 2>"$WORK/ctl.err" || RC=$?; }
# the editor: a script that changes the limit in the file it is given
printf '#!/bin/sh\nsed -i "s/\\"max_participants\\": 7/\\"max_participants\\": 9/" "$1"\n' \
	>"$WORK/ed.sh"
chmod +x "$WORK/ed.sh"
EDITOR="$WORK/ed.sh" ctl policy edit weekly; want 0 '"max_participants": 9'
# someone else changes it while the editor is open: 412, nothing changed
printf '#!/bin/sh\ncurl -s -X PATCH -d "{\\"locked\\":true}" %s >/dev/null\nsed -i "s/9/11/" "$1"\n' \
	"$API/v1/conferences/weekly/policy" >"$WORK/ed2.sh"
chmod +x "$WORK/ed2.sh"
EDITOR="$WORK/ed2.sh" ctl policy edit weekly; want 4 "changed while you edited"
ctl policy get weekly; want 0 '"max_participants": 9'
ctl policy set weekly /nonexistent; want 2 "cannot read"
ctl conf media weekly recvonly; want 0 "audio recvonly"
ctl conf mix weekly --rate 48000 --talkers 3; want 0 "mixed at 48000 Hz, 3 talkers"
ctl conf mix weekly --rate 0; want 0 "the server's rate, 3 talkers"
ctl conf mix weekly --rate 44100; want 4 "mix_rate"
ctl conf mix weekly --rate fast; want 2 "whole number"
ctl conf mix weekly; want 2 "--talkers K or --rate HZ"
ctl part add weekly "sip:nobody@127.0.0.1:9"; want 0 "dialing-out"

# mass invitation to two targets that refuse at once, then the job
printf 'sip:x1@127.0.0.1:9\n# a comment\nsip:x2@127.0.0.1:9\n' >"$WORK/uris"
ctl part invite weekly "$WORK/uris" --rate 50; want 0 "of 2 dialled"
jid=$(grep -o 'job [0-9]*' "$WORK/ctl.out" | cut -d' ' -f2)
ctl job show "$jid"; want 0 "sip:x2@127.0.0.1:9"
ctl part eject weekly pattern:sip:x*; want 0 "ejected"
ctl part eject weekly everyone; want 2 "selector"
ctl job show 999; want 3 "404"

# floor control, with two callers of their own (a sipp call lasts 30 s):
# the policy, requests queued by priority, the chairs' decisions
for who in fay gil; do
	sipp_bg "$who" uac_wait_bye.xml -s demo -key who "$who"
	eval "sipp_$who=\$SIPP_PID"
done
two_in_demo() { [ "$("$CTL" part list demo | grep -c connected)" = 2 ]; }
wait_for 5 two_in_demo || fail "fay and gil not listed by caucusctl"
pid_in_demo() { "$CTL" --json part list demo | python3 -c 'import json, sys
print([p["id"] for p in json.load(sys.stdin)["participants"] if p["uri"].startswith("sip:" + sys.argv[1] + "@")][0])' "$1"; }
fpid=$(pid_in_demo fay) gpid=$(pid_in_demo gil)
ctl floor-policy demo; want 0 "floor 1 (audio): off, chair-moderated, at most 1 holder(s), no time limit"
ctl floor-request demo "$fpid"; want 4 "409 floor control is off"
ctl floor-policy demo --on --holders 2 --limit 60
want 0 "floor 1 (audio): on, chair-moderated, at most 2 holder(s), grants of 60 s"
ctl floor-policy demo --on --off; want 2 "not both"
ctl floor-policy demo --mode free; want 2 "chair or auto"
ctl floor-policy demo --holders many; want 2 "whole number"
ctl floor-policy demo --holders 99; want 4 "400 .*max_holders"
ctl floor-policy nosuch --on; want 3 "404"
ctl floor-request demo "$fpid" --priority 1 --info "a question"
want 0 "pending  *1  *1  *a question"
prid=$(sed -n '2s/^\([0-9]*\) .*/\1/p' "$WORK/ctl.out")
ctl floor-request demo "$gpid" --priority 3; want 0 "pending"
crid=$(sed -n '2s/^\([0-9]*\) .*/\1/p' "$WORK/ctl.out")
ctl floor-request demo "$fpid"; want 4 "409 already requested: .*request $prid"
ctl floor-request demo "$fpid" --priority 9; want 2 "0 (lowest) to 4"
ctl floors demo; want 0 "$crid  *$gpid  *pending  *1 "
grep -q "^$prid  *$fpid  *pending  *2  *1 .*a question" "$WORK/ctl.out" ||
	fail "the queue by priority: $(cat "$WORK/ctl.out")"
ctl floor-grant demo "$prid"; want 0 "$prid  *$fpid  *granted"
ctl floor-grant demo "$prid"; want 4 "409"
ctl floor-accept demo "$crid"; want 0 "accepted  *1 "
ctl --json part list demo; want 0 "\"floor_request\": $crid"
ctl floor-deny demo "$crid"; want 0 "denied"
ctl floor-revoke demo "$crid"; want 3 "404"
ctl floor-revoke demo "$prid"; want 0 "revoked"
ctl floor-request demo "$fpid"; want 0 "pending"
prid=$(sed -n '2s/^\([0-9]*\) .*/\1/p' "$WORK/ctl.out")
ctl floor-policy demo --mode auto; want 0 "automatic"
grep -q "^$prid  *$fpid  *granted" "$WORK/ctl.out" ||
	fail "auto mode did not grant the waiting request: $(cat "$WORK/ctl.out")"
ctl floor-release demo "$prid"; want 0 "released"
ctl floor-release demo "$prid"; want 3 "404"
ctl --json floors demo; want 0 '"holders": \[\]'
ctl floor-policy demo --off --mode chair --holders 1 --limit 0; want 0 "off, chair"
ctl part kick demo "$fpid"; want 0 "removed"
ctl part kick demo "$gpid"; want 0 "removed"
sipp_wait "$sipp_fay" fay
sipp_wait "$sipp_gil" gil

# users, self service and requested changes
CAUCUS_PASSWORD=pw-for-ann ctl user add ann --aor sip:ann@example.com
want 0 "token: "
ANN=$(grep -o 'token: [0-9a-f]*' "$WORK/ctl.out" | cut -d' ' -f2)
ctl user add bo; want 2 "password"
ctl user add ann --password pw-for-ann2; want 4 "409"
ctl user list; want 0 "sip:ann@example.com"
ctl whoami; want 0 "administrator"
CAUCUS_TOKEN=$ANN ctl whoami; want 0 "sip:ann@example.com"
CAUCUS_TOKEN=$ANN ctl user list; want 7 "403"
CAUCUS_TOKEN=$ANN ctl self weekly --anonymous yes; want 0 "yes"
CAUCUS_TOKEN=$ANN ctl self weekly --hidden yes; want 7 "403"
ctl self weekly; want 2 "say what"
printf '{"changes":{"membership":{"moderated":["participant"]}}}' >"$WORK/acl.json"
ctl policy set weekly "$WORK/acl.json"; want 0 "changes"
# a whole document (policy set replaces it) that differs in the lock only
"$CTL" --json policy get weekly |
	python3 -c 'import json,sys; d=json.load(sys.stdin); d["locked"]=True; print(json.dumps(d))' \
	>"$WORK/lock.json"
CAUCUS_TOKEN=$ANN "$CTL" --json policy set weekly "$WORK/lock.json" >"$WORK/ctl.out" ||
	fail "ann's requested change"
chg=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <"$WORK/ctl.out")
ctl change list weekly; want 0 "pending"
CAUCUS_TOKEN=$ANN ctl change approve weekly "$chg"; want 7 "403"
ctl change approve weekly "$chg"; want 0 "approved"
ctl change reject weekly "$chg"; want 4 "409"
ctl change show weekly "$chg"; want 0 "approved"
ctl change show weekly 999; want 3 "404"
ctl user rm ann; want 0 "deleted"

# errors and exit codes
ctl conf show nosuch; want 3 "404"
ctl part mute weekly 999; want 3 "404"
ctl events --conf nosuch --count 1; want 3 "404"
ctl conf create weekly; want 4 "409"
ctl part add weekly "mailto:x@y"; want 4 "400"
ctl conf media weekly loud; want 4 "400"
ctl part gain weekly 1 loud 0; want 2 "numbers"
ctl conf show; want 2 "usage"
ctl frobnicate; want 2 "unknown command"
ctl events --count; want 2 "needs a value"
CAUCUS_URL="http://127.0.0.1:$(free_port)" ctl conf list; want 6 "cannot reach"
ctl conf destroy weekly; want 0 "destroyed"
ctl conf show weekly; want 3 "404"
stop_caucusd
log PASS
