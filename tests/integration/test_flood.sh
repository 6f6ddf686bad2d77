#!/bin/bash
# Floods and scanners (docs/security.md). The tests' own 127.0.0.1 is
# exempt; every attacker has an address of its own (127.0.0.2 and up).
#  - svwar (sipvicious) guesses 100 conference names at full speed from
#    127.0.0.2: after 20 refusals (404) in a minute the address is blocked,
#    logged once as src=127.0.0.2, and the scanner learns nothing more:
#    none of the 3 real names after the 20th guess is found; a caller from
#    127.0.0.3, not blocked, still joins;
#  - svcrack tries 60 passwords of a user from 127.0.0.5 and finds
#    nothing (it signs another URI than the one it asks for: refused with
#    400, and it gives up); a cracker that gets digest right (flood.py
#    crack, 127.0.0.10) is blocked after 20 wrong passwords (403): the
#    right one, 40th, is never tried;
#  - a burst of 400 OPTIONS from 127.0.0.4: the burst allowance (200)
#    answered, then 503 with Retry-After a few times a second, then
#    silence;
#  - 400 requests libre cannot decode from 127.0.0.13: the UDP guard's
#    400s come out of the same allowance, then silence;
#  - calls, subscriptions and TCP connections per address at most
#    max_*_per_source (3, 2, 4 here): the next call and subscription get
#    503, the next connection a reset; other addresses are not affected;
#  - the API from 127.0.0.11: past its burst (200) 429 with Retry-After;
#    from 127.0.0.12, 20 requests for conferences that do not exist (404)
#    block the address: 429 even for what exists;
#  - everything is counted in /metrics.
. "$(dirname "$0")/lib.sh"
FLOOD="$SRC/tests/integration/flood.py"
# (MD5 first: svcrack reads only the first challenge and knows no other)
start_caucusd --max-calls-per-source 3 --max-subscriptions-per-source 2 \
	--max-connections-per-source 4 --sip-digest-algorithms MD5,SHA-256 \
	${FLOOD_FLAGS:-}
metric() { curl -s "$API/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# 100 names, three of them real conferences, all past the 20th guess
for i in $(seq 1 100); do printf 'room%03d\n' "$i"; done >"$WORK/names"
for n in room031 room064 room097; do
	api POST /v1/conferences "{\"id\":\"$n\"}"
	expect_status 201 "create $n"
done
# the password crackers first, in the background while svwar scans
# (each from its own address, each limited on its own): svcrack waits
# out its 8 s, flood.py crack its 2 s of silence; read after svwar's part
api POST /v1/users '{"name":"alice","aor":"sip:alice@example.com","password":"s3cret-not-first"}'
expect_status 201 "user alice"
api PATCH /v1/conferences/demo/policy '{"allow_unauthenticated":false}'
expect_status 200 "demo needs authentication"
for i in $(seq 1 60); do
	[ "$i" = 40 ] && echo s3cret-not-first || echo "guess$i"
done >"$WORK/passwords"
log "svcrack: 60 passwords of alice from 127.0.0.5"
# (it gives up after its first refusals but waits long: at most 8 s)
timeout 8 /usr/bin/python3 "$SRC/tests/integration/sv_from.py" 127.0.0.5 \
	svcrack -p "$SIP_PORT" -m INVITE -u alice -e alice \
	--domain example.com --requesturi "sip:demo@127.0.0.1:$SIP_PORT" \
	-d "$WORK/passwords" --maximumtime 3 127.0.0.1 \
	>"$WORK/svcrack.out" 2>&1 &
SVCRACK=$!
log "a cracker that signs right, from 127.0.0.10"
python3 "$FLOOD" crack 127.0.0.10 "$SIP_PORT" demo alice \
	"$WORK/passwords" >"$WORK/crack.out" 2>&1 &
CRACK=$!
CHILDREN="$CHILDREN $SVCRACK $CRACK"

log "svwar: 100 names from 127.0.0.2"
# (sv_from.py: sipvicious 0.3.3 ignores its own -b)
timeout 60 /usr/bin/python3 "$SRC/tests/integration/sv_from.py" 127.0.0.2 \
	svwar -p "$SIP_PORT" -m INVITE -d "$WORK/names" --force \
	--maximumtime 3 127.0.0.1 >"$WORK/svwar.out" 2>&1 || true
found=$(grep -oE 'room[0-9]{3}' "$WORK/svwar.out" | sort -u | tr '\n' ' ')
log "svwar found: ${found:-nothing}"
[ -z "$found" ] || fail "the scanner learnt names: $found"
grep -q 'msg="source blocked" what=sip src=127.0.0.2' "$WORK/caucusd.log" ||
	fail "127.0.0.2 was not blocked"
[ "$(grep -c 'msg="source blocked".*src=127.0.0.2' "$WORK/caucusd.log")" = 1 ] ||
	fail "the block was logged more than once"
[ "$(metric 'caucus_limit_blocks_total{what="sip"}')" -ge 1 ] ||
	fail "no block counted"
# blocked: not even an OPTIONS gets an answer now
out=$(python3 "$FLOOD" burst 127.0.0.2 "$SIP_PORT" demo 3)
[ "$out" = "sent 3 ok 0 503 0 retry-after 0 silent 3" ] ||
	fail "the blocked address still gets answers: $out"
# another address is not
sipp_run legit uac_join.xml -s room064 -i 127.0.0.3 -key who legit
log "a caller from 127.0.0.3 joined room064"

wait "$SVCRACK" || true
log "svcrack is done"
if grep -q 's3cret-not-first' "$WORK/svcrack.out"; then
	fail "svcrack found the password: $(cat "$WORK/svcrack.out")"
fi
wait "$CRACK" || true
out=$(<"$WORK/crack.out")
log "a cracker that signs right: $out"
[ "$out" = "silent 21" ] || fail "the cracker was not stopped at 21: $out"
grep -q 'msg="source blocked" what=sip src=127.0.0.10' "$WORK/caucusd.log" ||
	fail "127.0.0.10 was not blocked"

log "a burst of 400 OPTIONS from 127.0.0.4"
out=$(python3 "$FLOOD" burst 127.0.0.4 "$SIP_PORT" room031 400)
log "$out"
read -r _ sent _ ok _ busy _ retry _ silent <<<"$out"
[ "$ok" -ge 200 ] && [ "$ok" -lt 260 ] || fail "the burst allowance: $out"
[ "$busy" -ge 1 ] && [ "$busy" -le 20 ] || fail "503s: $out"
[ "$retry" = "$busy" ] || fail "a 503 without Retry-After: $out"
[ "$silent" -ge 100 ] || fail "the flood was answered: $out"
[ "$(metric 'caucus_limit_refused_total{what="sip"}')" -ge 1 ] &&
	[ "$(metric 'caucus_limit_dropped_total{what="sip"}')" -ge 100 ] ||
	fail "the burst was not counted"

log "400 undecodable requests from 127.0.0.13"
out=$(python3 "$FLOOD" garbage 127.0.0.13 "$SIP_PORT" room031 400)
log "$out"
read -r _ sent _ bad _ other _ silent <<<"$out"
[ "$bad" -ge 150 ] && [ "$bad" -lt 260 ] && [ "$other" = 0 ] ||
	fail "the guard's answers to garbage are not limited: $out"
[ "$silent" -ge 100 ] || fail "the garbage flood was answered: $out"

log "calls, subscriptions, connections per address"
# held NAME WHAT BIND N: flood.py WHAT (calls, subs) that stays to answer
# the server (its BYEs and NOTIFYs at the shutdown, which would otherwise
# wait for them); out is its line of codes
HELD=""
said() { IFS= read -r _ <"$1"; }   # a whole line written
held() {
	python3 "$FLOOD" "$2" "$3" "$SIP_PORT" room031 "$4" hold \
		>"$WORK/$1.out" 2>&1 &
	HELD="$HELD $!"
	CHILDREN="$CHILDREN $!"
	wait_for 30 said "$WORK/$1.out" ||
		fail "$1: flood.py $2 says nothing: $(cat "$WORK/$1.out")"
	IFS= read -r out <"$WORK/$1.out"
}
held calls6 calls 127.0.0.6 4
[ "$out" = "200 200 200 503" ] || fail "calls from one address: $out"
held calls7 calls 127.0.0.7 1
[ "$out" = "200" ] || fail "a call from another address: $out"
held subs6 subs 127.0.0.6 3
[ "$out" = "200 200 503" ] || fail "subscriptions from one address: $out"
[ "$(metric 'caucus_limit_held_refused_total{kind="calls"}')" = 1 ] &&
	[ "$(metric 'caucus_limit_held_refused_total{kind="subscriptions"}')" = 1 ] ||
	fail "held limits not counted"
python3 - "$SIP_PORT" >"$WORK/conns.out" <<'PY' || fail "connections: $(cat "$WORK/conns.out")"
import socket, sys, time
port = int(sys.argv[1])
def conn(bind):
    s = socket.socket()
    s.bind((bind, 0))
    s.connect(("127.0.0.1", port))
    return s
def alive(s):
    """a SIP OPTIONS over the connection gets an answer"""
    s.settimeout(3)
    p = s.getsockname()
    s.sendall(("OPTIONS sip:room031@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP "
               "%s:%d;branch=z9hG4bK%d\r\nFrom: <sip:c@x>;tag=%d\r\nTo: "
               "<sip:room031@127.0.0.1>\r\nCall-ID: c%d@t\r\nCSeq: 1 OPTIONS"
               "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
               % (p[0], p[1], p[1], p[1], p[1])).encode())
    try:
        return s.recv(4096).startswith(b"SIP/2.0 200")
    except OSError:
        return False
held = [conn("127.0.0.8") for _ in range(4)]
extra = conn("127.0.0.8")        # the 5th: reset by the server
other = conn("127.0.0.9")
ok = [alive(s) for s in held]
fifth, oth = alive(extra), alive(other)
print("held", ok, "fifth", fifth, "other", oth)
sys.exit(0 if all(ok) and not fifth and oth else 1)
PY
cat "$WORK/conns.out"
[ "$(metric 'caucus_limit_held_refused_total{kind="connections"}')" -ge 1 ] ||
	fail "the refused connection was not counted"
log "the API: a burst from 127.0.0.11, a scan from 127.0.0.12"
# one curl, one kept-alive connection, 300 requests as fast as it goes
# shellcheck disable=SC2046
codes=$(curl -s -D "$WORK/burst.hdr" -w '%{http_code}\n' \
	--interface 127.0.0.11 \
	$(for i in $(seq 1 300); do
		echo "-o /dev/null $API/v1/conferences/demo"; done) |
	sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
log "API burst (code:count): $codes"
n200=$(printf '%s' "$codes" | grep -o '200:[0-9]*' | cut -d: -f2)
n429=$(printf '%s' "$codes" | grep -o '429:[0-9]*' | cut -d: -f2)
[ "${n200:-0}" -ge 200 ] && [ "${n200:-0}" -lt 260 ] &&
	[ "$(( ${n200:-0} + ${n429:-0} ))" = 300 ] || fail "API burst: $codes"
[ "$(grep -ci '^Retry-After: 1' "$WORK/burst.hdr")" = "$n429" ] ||
	fail "a 429 without Retry-After"
for i in $(seq 1 20); do
	curl -s -o /dev/null --interface 127.0.0.12 "$API/v1/conferences/no$i"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.12 \
	"$API/v1/conferences/demo")
[ "$code" = 429 ] || fail "the API scanner was not blocked: $code"
grep -q 'msg="source blocked" what=api src=127.0.0.12' "$WORK/caucusd.log" ||
	fail "the API block was not logged"
alive
stop_caucusd
for p in $HELD; do
	wait "$p" || fail "the held calls and subscriptions did not see their end"
done
log PASS
