#!/bin/bash
# The BFCP floor control server (issue 18, docs/floor.md) with
# caucus-bfcpclient over TCP and UDP against four sipp callers (mia a
# moderator by the policy's users): Hello; Error 6 while floor control
# is off; chair mode: requests queued by priority with their positions,
# the chair granting, denying and revoking, each requester told by a
# notification (over UDP acknowledged, else retransmitted), FloorStatus
# to a client that queried the floor and its end by an empty FloorQuery;
# FloorRequestQuery, UserQuery, release, Goodbye; automatic mode with two
# holders, the queue moving on a release and a 2 s time limit revoking;
# every Error: conference (1), user (2), primitive (3), mandatory
# attribute (4), not in the call from that address / not a chair / not
# one's request (5), floor (6), request (7), one request each (8), parse
# (10), version (12: 3 anywhere, 1 over UDP), length (13), a transition a
# chair cannot make (14); a UDP flood and a connection flood survived,
# the connections capped per address.
. "$(dirname "$0")/lib.sh"
BFCP_PORT=$(free_port)
start_caucusd --bfcp-port "$BFCP_PORT"
grep -q "msg=\"bfcp listening\" addr=127.0.0.1 port=$BFCP_PORT" \
	"$WORK/caucusd.log" || fail "no 'bfcp listening' line"
C=/v1/conferences/demo
CLIENT=$BIN/caucus-bfcpclient
# the conference's BFCP id, as the API (and the SDP's a=confid) says
CONF=$(json_field "$(get $C)" bfcp_conference_id)
[ -n "$CONF" ] || fail "no bfcp_conference_id: $(get $C)"

api PATCH "$C/policy" '{"users":[{"aor":"sip:mia@example.com","role":"moderator"}]}'
expect_status 200 "mia a moderator"
# the callers negotiate BFCP in their SDP (RFC 8856) and stay; the
# ids the answers gave are the ones the clients use below
for who in ann bob cat mia; do
	sipp_bg "$who" uac_bfcp_wait.xml -s demo -key who "$who" \
		-trace_logs -log_file "$WORK/$who.ids"
	eval "sipp_$who=\$SIPP_PID"
done
wait_connected 10 demo 4 "the callers did not join"
uid() { part_of demo "$1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["id"])'; }
ANN=$(uid ann) BOB=$(uid bob) CAT=$(uid cat) MIA=$(uid mia)
log "users: ann=$ANN bob=$BOB cat=$CAT mia=$MIA"
sdp_ids() { # NAME: "port confid userid" its answer gave
	sed -n 's/.*bfcp port=\([0-9]*\) confid=\([0-9]*\) userid=\([0-9]*\).*/\1 \2 \3/p' \
		"$WORK/$1.ids" 2>/dev/null | head -n 1 | grep .
}
for who in ann bob cat mia; do
	wait_for 10 sdp_ids "$who" || fail "$who: no BFCP answer logged"
	eval "want=\"$BFCP_PORT $CONF \$$(echo "$who" | tr a-z A-Z)\""
	[ "$(sdp_ids "$who")" = "$want" ] ||
		fail "$who's SDP gave '$(sdp_ids "$who")', want '$want'"
done
log "the SDP's ids: conference $CONF, users as their participant ids"

# bfcp TRANSPORT USER ARGS...: one client run, its output in $OUT, its
# exit status in $RC
bfcp() {
	local tp=$1 user=$2
	shift 2
	RC=0
	OUT=$("$CLIENT" "--$tp" "127.0.0.1:$BFCP_PORT" --conf "$CONF" \
		--user "$user" "$@" 2>&1) || RC=$?
}
# expect PATTERN WHAT: the last run printed PATTERN (a grep -E)
expect() {
	printf '%s\n' "$OUT" | grep -qE -- "$1" ||
		fail "$2: want /$1/, got: $OUT (exit $RC)"
}
# error CODE WHAT: the last run got Error CODE and exited 1
error() {
	expect "^Error code=$1 " "$2"
	[ "$RC" = 1 ] || fail "$2: exit $RC, want 1"
}
ok() { [ "$RC" = 0 ] || fail "$1: exit $RC: $OUT"; }
reqid() { printf '%s\n' "$OUT" | grep -m1 -o 'req=[0-9]*' | cut -d= -f2; }
# bg NAME TRANSPORT USER ARGS...: a client in the background, its output
# in $WORK/NAME.bfcp
bg() {
	local name=$1 tp=$2 user=$3
	shift 3
	"$CLIENT" "--$tp" "127.0.0.1:$BFCP_PORT" --conf "$CONF" \
		--user "$user" "$@" >"$WORK/$name.bfcp" 2>&1 &
	CHILDREN="$CHILDREN $!"
	eval "bg_$name=$!"
}
bgwait() { local p; eval "p=\$bg_$1"; wait "$p" || true; }
bgout() { cat "$WORK/$1.bfcp"; }
seen() { grep -qE -- "$2" "$WORK/$1.bfcp"; }
# raw TRANSPORT VER PRIM CONFID USERID ATTRS-HEX [LEN-WORDS]: a message
# built by hand (its payload length right unless given)
raw() {
	local hex
	hex=$(python3 -c 'import sys, struct
ver, prim, conf, user = (int(x) for x in sys.argv[1:5])
attrs = bytes.fromhex(sys.argv[5])
words = int(sys.argv[6]) if sys.argv[6] else len(attrs) // 4
print((struct.pack("!BBHIHH", ver << 5, prim, words, conf, 77, user)
       + attrs).hex())' "$2" "$3" "$4" "$5" "$6" "${7:-}")
	bfcp "$1" "$5" raw "$hex"
}

# --- Hello, and floor control off ---------------------------------------
bfcp tcp "$ANN" hello
expect '^HelloAck prims=17 attrs=18$' "Hello over TCP"; ok "Hello over TCP"
bfcp udp "$ANN" hello
expect '^HelloAck prims=17 attrs=18$' "Hello over UDP"; ok "Hello over UDP"
bfcp tcp "$ANN" --ver 2 hello
expect '^HelloAck' "version 2 over TCP"
bfcp tcp "$ANN" request
error 6 "a request while floor control is off"

# --- the errors ------------------------------------------------------------
"$CLIENT" --tcp "127.0.0.1:$BFCP_PORT" --conf 999 --user "$ANN" hello \
	>"$WORK/e1" 2>&1 && fail "no Error for conference 999"
grep -q '^Error code=1 name="Conference does not Exist"' "$WORK/e1" ||
	fail "conference 999: $(cat "$WORK/e1")"
bfcp udp 999 hello
error 2 "user 999"
OUT=$("$CLIENT" --tcp "127.0.0.1:$BFCP_PORT" --bind 127.0.0.2 --conf "$CONF" \
	--user "$ANN" hello 2>&1) && RC=0 || RC=$?
error 5 "ann's id from another address (TCP)"
OUT=$("$CLIENT" --udp "127.0.0.1:$BFCP_PORT" --bind 127.0.0.2 --conf "$CONF" \
	--user "$ANN" hello 2>&1) && RC=0 || RC=$?
error 5 "ann's id from another address (UDP)"
bfcp tcp "$ANN" chair 1 grant
error 5 "a chair action by a participant"
bfcp tcp "$ANN" request --beneficiary "$BOB"
error 5 "a third-party request by a participant"
raw tcp 1 99 "$CONF" "$ANN" ""
error 3 "primitive 99"
raw udp 2 99 "$CONF" "$ANN" ""
error 3 "primitive 99 over UDP"
raw tcp 1 11 "$CONF" "$ANN" "7f040000"      # type 63, M bit, length 4
error 4 "an unknown mandatory attribute"
raw tcp 1 11 "$CONF" "$ANN" "7e040000"      # the same without M: fine
expect '^HelloAck' "an unknown optional attribute"
raw tcp 1 1 "$CONF" "$ANN" "04040002"       # FLOOR-ID 2
error 6 "floor 2"
raw udp 2 11 "$CONF" "$ANN" "" 3            # says 3 words, has none
error 13 "a wrong payload length"
raw udp 1 11 "$CONF" "$ANN" ""
error 12 "version 1 over UDP"
raw tcp 3 11 "$CONF" "$ANN" ""
error 12 "version 3 over TCP"
raw udp 2 11 "$CONF" "$ANN" "04ff0001"      # an attribute past the end
error 10 "an attribute longer than the message"

# --- chair mode: the queue, decisions, notifications ---------------------
api PATCH "$C/floors/1" '{"enabled":true,"mode":"chair","max_holders":1,"limit_s":0}'
expect_status 200 "floor control on (chair)"
bfcp tcp "$ANN" release 999
error 7 "releasing an unknown request"
bg watch tcp "$MIA" query-floor --watch 12
bg ann tcp "$ANN" request --info "ann asks" --wait 12
wait_for 5 seen ann '^FloorRequestStatus req=[0-9]+ status=pending qpos=1' ||
	fail "ann's request: $(bgout ann)"
ANN_REQ=$(grep -m1 -o 'req=[0-9]*' "$WORK/ann.bfcp" | cut -d= -f2)
bg bob udp "$BOB" request --wait 12
wait_for 5 seen bob '^FloorRequestStatus req=[0-9]+ status=pending qpos=2' ||
	fail "bob's request: $(bgout bob)"
BOB_REQ=$(grep -m1 -o 'req=[0-9]*' "$WORK/bob.bfcp" | cut -d= -f2)
bfcp tcp "$ANN" request
error 8 "a second request of ann"
bfcp tcp "$CAT" request --priority 4
expect '^FloorRequestStatus req=[0-9]+ status=pending qpos=1$' \
	"cat's request of the highest priority goes first"
CAT_REQ=$(reqid)
wait_for 3 seen ann "status=pending qpos=2" ||
	fail "ann not told of its new place: $(bgout ann)"
wait_for 3 seen bob "status=pending qpos=3" ||
	fail "bob not told of its new place: $(bgout bob)"
bfcp tcp "$BOB" release "$ANN_REQ"
error 5 "bob releasing ann's request"
bfcp udp "$ANN" query-request "$ANN_REQ"
expect "^FloorRequestStatus req=$ANN_REQ status=pending qpos=2 info=\"ann asks\"" \
	"FloorRequestQuery"
bfcp tcp "$BOB" query-user
expect "^UserStatus user=0 n=1 req=$BOB_REQ/pending/3/u$BOB$" "UserQuery"
bfcp tcp "$MIA" query-user --beneficiary "$CAT"
expect "^UserStatus user=$CAT n=1 req=$CAT_REQ/pending/1/u$CAT$" \
	"a chair's UserQuery about cat"
bfcp tcp "$MIA" query-floor
expect "^FloorStatus floor=1 n=3 req=$CAT_REQ/pending/1/u$CAT req=$ANN_REQ/pending/2/u$ANN req=$BOB_REQ/pending/3/u$BOB$" \
	"FloorStatus: the queue in order"

bfcp tcp "$MIA" chair "$ANN_REQ" grant
expect '^ChairActionAck$' "mia grants ann"; ok "mia grants ann"
wait_for 3 seen ann "^FloorRequestStatus req=$ANN_REQ status=granted qpos=0" ||
	fail "ann not told of its grant: $(bgout ann)"
api GET "$C/floors/1"
printf '%s' "$BODY" | grep -q "\"holders\":\[{[^]]*\"participant\":\"$ANN\"" ||
	fail "the API does not show ann holding the floor: $BODY"
bfcp udp "$MIA" chair "$CAT_REQ" grant
error 14 "granting past the floor's one holder"
bfcp tcp "$MIA" chair "$ANN_REQ" grant
error 14 "granting a granted request"
bfcp tcp "$MIA" chair "$BOB_REQ" release
error 14 "a chair releasing"
bfcp udp "$MIA" chair "$BOB_REQ" deny --info "not now"
expect '^ChairActionAck$' "mia denies bob (UDP)"
wait_for 3 seen bob "^FloorRequestStatus req=$BOB_REQ status=denied .*status_info=\"not now\"" ||
	fail "bob (UDP) not told of the denial: $(bgout bob)"
bfcp tcp "$MIA" chair "$ANN_REQ" revoke
expect '^ChairActionAck$' "mia revokes ann"
wait_for 3 seen ann "^FloorRequestStatus req=$ANN_REQ status=revoked" ||
	fail "ann not told of the revocation: $(bgout ann)"
bfcp tcp "$MIA" chair "$CAT_REQ" accept
expect '^ChairActionAck$' "mia accepts cat's"
bfcp tcp "$CAT" query-request "$CAT_REQ"
expect "status=accepted qpos=1" "cat's request accepted"
bfcp tcp "$CAT" release "$CAT_REQ"
expect "^FloorRequestStatus req=$CAT_REQ status=cancelled qpos=0" \
	"cat cancels its waiting request"
bfcp tcp "$MIA" request --beneficiary "$BOB"
expect "^FloorRequestStatus req=[0-9]+ status=pending qpos=1 user=$BOB" \
	"mia asks for bob"
B2=$(reqid)
bfcp udp "$MIA" release "$B2"
expect "status=cancelled" "mia cancels the request she made for bob"
# the watcher heard each change, and the latest state is an empty queue
wait_for 3 seen watch '^FloorStatus floor=1 n=0' ||
	fail "the watcher's FloorStatus: $(bgout watch)"
n=$(grep -c '^FloorStatus' "$WORK/watch.bfcp")
[ "$n" -ge 6 ] || fail "only $n FloorStatus to the watcher: $(bgout watch)"
seen watch "req=$ANN_REQ/granted/0/u$ANN" ||
	fail "the watcher did not see ann's grant: $(bgout watch)"
log "chair mode: $n FloorStatus to the watcher"

# an empty FloorQuery ends them
bfcp udp "$BOB" stop-floor
expect '^FloorStatus floor=0 n=0$' "an empty FloorQuery"
bfcp tcp "$ANN" goodbye
expect '^GoodbyeAck$' "Goodbye"

# --- automatic mode, two holders, a time limit ---------------------------
api PATCH "$C/floors/1" '{"mode":"auto","max_holders":2,"limit_s":2}'
expect_status 200 "automatic mode"
bg a2 udp "$ANN" request --wait 6
bg b2 tcp "$BOB" request --wait 6
wait_for 3 seen a2 'status=granted' || fail "ann not granted: $(bgout a2)"
wait_for 3 seen b2 'status=granted' || fail "bob not granted: $(bgout b2)"
A2=$(grep -m1 -o 'req=[0-9]*' "$WORK/a2.bfcp" | cut -d= -f2)
bfcp tcp "$CAT" request
expect '^FloorRequestStatus req=[0-9]+ status=pending qpos=1$' \
	"a third waits behind two holders"
C2=$(reqid)
bfcp udp "$ANN" release "$A2"
expect "^FloorRequestStatus req=$A2 status=released qpos=0" "ann releases"
bfcp tcp "$CAT" query-request "$C2"
expect "status=granted" "cat granted when ann let go"
wait_for 5 seen b2 '^FloorRequestStatus req=[0-9]+ status=revoked qpos=0 status_info="time limit"' ||
	fail "bob's 2 s grant not revoked: $(bgout b2)"
bgwait a2; bgwait b2; bgwait ann; bgwait bob; bgwait watch

# --- floods --------------------------------------------------------------
python3 - "$BFCP_PORT" <<'PY' || fail "the floods"
import os, socket, struct, sys
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.2", 0))
for i in range(3000):
    body = os.urandom(i % 40)
    hdr = struct.pack("!BBHIHH", 2 << 5, 1 + i % 17, len(body) // 4, 1,
                      i & 0xffff, i % 7)
    u.sendto(hdr + body, ("127.0.0.1", port))
# connections: at most 8 at once from one address are kept
conns = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", port))
    conns.append(s)
# (no wait: a connection over the limit is closed when the server
# accepts it, and then answers nothing, whenever that is)
hello = struct.pack("!BBHIHH", 1 << 5, 11, 0, 1, 5, 999)
answered = 0
for s in conns:
    s.settimeout(1)
    try:
        s.sendall(hello)
        if len(s.recv(100)) >= 12:
            answered += 1
    except OSError:
        pass
print("connections answered", answered, "of", len(conns))
sys.exit(0 if answered == 8 else 1)
PY
alive
bfcp tcp "$CAT" hello
expect '^HelloAck' "Hello after the floods"

stop_caucusd
log "PASS"
