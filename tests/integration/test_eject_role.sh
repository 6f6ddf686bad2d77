#!/bin/bash
# Ejection by role (docs/api.md, mass invitation and ejection:
# POST .../participants:batch {"eject":{"role":R}}) BYEs exactly the
# participants with that role and leaves everyone else connected. Six
# sipp callers stay until the focus hangs up; the policy's entries make
# lisa and leo listeners, mona a moderator and ada an administrator; pat
# and paul have no entry (participants). Ejected in turn: the listeners
# (2), the participants (2), the listeners again (0: none left), the
# moderator (1); each time the ejected callers' sipp gets its BYE and
# ends, the others' sipp got none and they are connected in the API.
# Then a role nobody has and a misspelt one eject no one, and ada leaves
# with the server's shutdown.
. "$(dirname "$0")/lib.sh"
start_caucusd
C=/v1/conferences/demo

api PUT $C/policy '{"users":[
	{"aor":"sip:lisa@example.com","role":"listener"},
	{"aor":"sip:leo@example.com","role":"listener"},
	{"aor":"sip:mona@example.com","role":"moderator"},
	{"aor":"sip:ada@example.com","role":"administrator"}]}'
expect_status 200 "policy with roles"

declare -A SIPP ROLE=([lisa]=listener [leo]=listener [mona]=moderator
	[ada]=administrator [pat]=participant [paul]=participant)
LEFT="lisa leo mona ada pat paul"
for n in $LEFT; do
	LPORT=$(free_port) sipp_bg "$n" uac_wait_bye.xml -s demo -key who "$n"
	SIPP[$n]=$SIPP_PID
done
wait_connected 10 demo 6 "six callers did not connect"
api GET $C
for n in $LEFT; do
	printf '%s' "$BODY" | grep -q "\"uri\":\"sip:$n@example.com\",[^}]*\"status\":\"connected\",\"role\":\"${ROLE[$n]}\"" ||
		fail "$n is not a connected ${ROLE[$n]}: $BODY"
done

gone() { ! kill -0 "${SIPP[$1]}" 2>/dev/null; }
byes() { grep -c '^BYE sip:' "$WORK/$1.msg" 2>/dev/null || true; }
eject() { # ROLE N WHO...: ejecting ROLE ejects N, these callers
	local role=$1 want=$2 n rest=""
	shift 2
	api POST $C/participants:batch "{\"eject\":{\"role\":\"$role\"}}"
	expect_status 200 "eject $role"
	[ "$(json_field "$BODY" ejected)" = "$want" ] ||
		fail "eject $role: $BODY, want $want ejected"
	for n in "$@"; do
		wait_for 5 gone "$n" || fail "eject $role: $n got no BYE"
		sipp_wait "${SIPP[$n]}" "$n"
		[ "$(byes "$n")" = 1 ] || fail "$n: $(byes "$n") BYEs"
	done
	for n in $LEFT; do
		case " $* " in *" $n "*) continue ;; esac
		rest="$rest $n"
	done
	LEFT=${rest# }
	# the ejected are off the roster; everyone else is there, connected,
	# and its sipp still waits, without a BYE
	roster() {
		local b
		b=$(get $C)
		for n in "$@"; do
			! printf '%s' "$b" | grep -q "sip:$n@example.com" || return 1
		done
		[ "$(count_status "$b" connected)" = "$(wc -w <<<"$LEFT")" ]
	}
	wait_for 5 roster "$@" || fail "eject $role: roster $(get $C)"
	for n in $LEFT; do
		! gone "$n" || fail "eject $role: $n's call ended too"
		[ "$(byes "$n")" = 0 ] || fail "eject $role: $n got a BYE"
	done
	log "eject $role: $want ($*) BYE'd, connected still: $LEFT"
}

eject listener 2 lisa leo
eject participant 2 pat paul
eject listener 0
eject moderator 1 mona
eject participant 0
[ "$LEFT" = ada ] || fail "left: $LEFT"
# a misspelt role is refused, as policy documents refuse it
api POST $C/participants:batch '{"eject":{"role":"adminstrator"}}'
[ "$STATUS" = 400 ] || fail "a misspelt role: HTTP $STATUS $BODY"
printf '%s' "$BODY" | grep -q "eject.role" ||
	fail "the refusal does not name the field: $BODY"
connected_count_is demo 1 && ! gone ada ||
	fail "a misspelt role ejected ada"
stop_caucusd
sipp_wait "${SIPP[ada]}" ada
log PASS
