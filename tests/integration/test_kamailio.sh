#!/bin/bash
# Kamailio in front of a cluster (dist/kamailio/kamailio.cfg), with no
# caucusd: three sipp "nodes" (kam_uas.xml on 127.0.0.11, .12 and .13,
# each naming itself in X-Node), a throwaway PostgreSQL holding the
# store's nodes and leases (scripts/pg.sh), and sipp callers through
# Kamailio (kam_uac_*.xml). Each check says which node answered and how
# Kamailio chose it (its log line):
#   0. no lease: a MESSAGE goes by the dispatcher's hash; the conference
#      tested is one whose hash is not n2, the owner below, so that a
#      route that fell back to the hash would be caught;
#   1. a live lease on n2: INVITE (and its ACK and BYE, by the route set)
#      and SUBSCRIBE and MESSAGE reach n2; n2 sees the caller's real
#      address in Via received/rport, and ;alias on its NATed Contact;
#      n2's own BYE reaches that caller through Kamailio; the factory
#      URI goes to the node with most room;
#   2. n2 full: a join goes to the node with most room, a SUBSCRIBE
#      still to n2; the lease, then n2's row, expired: a join goes to
#      the node with most room too;
#   3. PostgreSQL stopped: the hash, the same node twice; that node
#      killed: the next one takes the call; started again: the probes
#      bring it back and the hash sends there again; a node nobody calls
#      killed: the probes mark it down;
#   4. another domain, a user that is no conference id: 404 from
#      Kamailio, no node asked.
. "$(dirname "$0")/lib.sh"
. "$SRC/scripts/pg.sh"
command -v kamailio >/dev/null ||
	fail "no kamailio (scripts/deps.sh installs it and its PostgreSQL modules)"

KAM_PID=""
kam_cleanup() {
	[ -n "$KAM_PID" ] && kill "$KAM_PID" 2>/dev/null
	pg_stop
	cleanup
}
trap kam_cleanup EXIT
kam_fail() {
	echo "---- kamailio.log (last 30 lines) ----"
	tail -n 30 "$WORK/kamailio.log" 2>/dev/null || true
	fail "$@"
}

pg_start "$WORK/pg" || fail "PostgreSQL did not start"
# STAND-IN for the schema caucusd's store makes when a node opens the
# database (src/store/store_pg.c: nodes, leases, caucus_owner and
# caucus_route, same meaning): this test runs no caucusd. Remove when the
# store's schema can be made without starting a node.
psql -X -q -v ON_ERROR_STOP=1 "$PG_URI" >/dev/null <<'SQL' ||
CREATE TABLE nodes (node TEXT PRIMARY KEY, sip_addr TEXT NOT NULL,
	api_url TEXT NOT NULL, capacity INTEGER NOT NULL,
	participants INTEGER NOT NULL DEFAULT 0, expires_at BIGINT NOT NULL);
CREATE TABLE leases (conf_id TEXT PRIMARY KEY, node TEXT NOT NULL,
	expires_at BIGINT NOT NULL);
CREATE FUNCTION caucus_now_ms() RETURNS BIGINT LANGUAGE sql VOLATILE AS
	$$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT $$;
CREATE FUNCTION caucus_owner(conf TEXT) RETURNS TEXT LANGUAGE sql
	VOLATILE AS $$
	SELECT 'sip:' || n.sip_addr FROM leases l JOIN nodes n USING (node)
	WHERE l.conf_id = conf AND l.expires_at > caucus_now_ms()
	AND n.expires_at > caucus_now_ms() $$;
CREATE FUNCTION caucus_route(conf TEXT) RETURNS TEXT LANGUAGE sql
	VOLATILE AS $$
	SELECT COALESCE(
		(SELECT 'sip:' || n.sip_addr FROM leases l JOIN nodes n
		 USING (node) WHERE l.conf_id = conf
		 AND l.expires_at > caucus_now_ms()
		 AND n.expires_at > caucus_now_ms()
		 AND n.participants < n.capacity),
		(SELECT 'sip:' || sip_addr FROM nodes
		 WHERE expires_at > caucus_now_ms()
		 ORDER BY capacity - participants DESC, node LIMIT 1)) $$;
SQL
	fail "the stand-in schema"

# --- the nodes: sipp UASs on one port, one address each ---
NODE_PORT=$(free_port)
declare -A NODE_PID
node_addr() { echo "127.0.0.1${1#n}:$NODE_PORT"; }
node_start() { # nI
	sipp -sf "$SCEN/kam_uas.xml" -i "127.0.0.1${1#n}" -p "$NODE_PORT" \
		-key node "$1" -mp "$(free_media_port)" -nostdin \
		-trace_msg -message_file "$WORK/$1.msg" \
		-trace_err -error_file "$WORK/$1.err" >>"$WORK/$1.out" 2>&1 &
	NODE_PID[$1]=$!
	CHILDREN="$CHILDREN $!"
}
node_listens() { ss -Hlnu "src $(node_addr "$1")" | grep -q .; }
node_kill() {
	kill "${NODE_PID[$1]}"
	wait "${NODE_PID[$1]}" 2>/dev/null || true
}
for n in n1 n2 n3; do
	node_start "$n"
	wait_for 5 node_listens "$n" || fail "sipp node $n did not start"
done
for n in n1 n2 n3; do
	echo "1 sip:$(node_addr "$n")"
done >"$WORK/dispatcher.list"

# rows: live for an hour, room set per check
FAR="caucus_now_ms() + 3600000"
PAST="caucus_now_ms() - 1000"
pg_psql "INSERT INTO nodes VALUES
	('n1', '$(node_addr n1)', 'http://127.0.0.11', 10, 0, $FAR),
	('n2', '$(node_addr n2)', 'http://127.0.0.12', 10, 0, $FAR),
	('n3', '$(node_addr n3)', 'http://127.0.0.13', 10, 0, $FAR)"

# --- Kamailio on 127.0.0.1 at a free port (again if it was taken) ---
kam_ping() {
	sipp -sf "$SCEN/kam_uac_options.xml" -i 127.0.0.1 -p "$(free_port)" \
		-m 1 -timeout 2s -nostdin "127.0.0.1:$KAM_PORT" >/dev/null 2>&1
}
for try in 1 2 3; do
	KAM_PORT=$(free_port)
	kamailio -f "$SRC/dist/kamailio/kamailio.cfg" -DD -E -m 32 -M 4 \
		-A LISTEN_IP=127.0.0.1 -A "LISTEN_PORT=$KAM_PORT" \
		-A "DBURL=$PG_URI" -A "DSLIST=$WORK/dispatcher.list" \
		-A "CTL_SOCKET=unix:$WORK/kamailio.ctl" -A WORKERS=2 \
		-A PING_INTERVAL=1 -A FR_TIMER_MS=500 -A DB_PAUSE_S=1 \
		>>"$WORK/kamailio.log" 2>&1 &
	KAM_PID=$!
	wait_for 10 kam_ping && break
	kill -0 "$KAM_PID" 2>/dev/null && kam_fail "Kamailio does not answer"
	KAM_PID=""
	grep -q "cannot bind\|Address already in use" "$WORK/kamailio.log" ||
		kam_fail "Kamailio died at start"
	log "port $KAM_PORT taken, again ($try)"
done
[ -n "$KAM_PID" ] || kam_fail "Kamailio found no free port"
log "kamailio pid $KAM_PID port $KAM_PORT, nodes on port $NODE_PORT"

# ask SCENARIO SERVICE [sipp args]: through Kamailio; sets NODE (the node
# that answered), BYE_NODE (the one that answered the BYE, calls only),
# SAID (Kamailio's routing lines meanwhile) and UAC_PORT; fails the test
# when sipp does
ASKED=0
ask() {
	local scen=$1 svc=$2 name lines
	shift 2
	ASKED=$((ASKED + 1))
	name="uac$ASKED"
	UAC_PORT=$(free_port)
	lines=$(wc -l <"$WORK/kamailio.log")
	if ! sipp -sf "$SCEN/$scen" -i 127.0.0.1 -p "$UAC_PORT" -m 1 \
		-s "$svc" -timeout 20s -nostdin -trace_err -trace_msg \
		-trace_logs -error_file "$WORK/$name.err" \
		-message_file "$WORK/$name.msg" -log_file "$WORK/$name.log" \
		"$@" "127.0.0.1:$KAM_PORT" >"$WORK/$name.out" 2>&1; then
		tail -n 40 "$WORK/$name.msg" 2>/dev/null || true
		kam_fail "sipp $name ($scen $svc) failed"
	fi
	NODE=$(sed -n 's/^node=//p' "$WORK/$name.log" 2>/dev/null)
	BYE_NODE=$(sed -n 's/^bye=//p' "$WORK/$name.log" 2>/dev/null)
	SAID=$(tail -n +$((lines + 1)) "$WORK/kamailio.log" |
		grep -o 'caucus: .*' || true)
}

# expect SCENARIO CONF NODE HOW: ask, and want NODE chosen by HOW (route,
# owner, hash, failover); a call's BYE must reach the same node
expect() {
	ask "$1" "$2"
	[ "$NODE" = "$3" ] ||
		kam_fail "$1 $2 reached ${NODE:-nothing}, want $3 ($SAID)"
	case $SAID in
	*"$2 -> sip:$(node_addr "$3") by $4"*) ;;
	*) kam_fail "$1 $2: Kamailio did not pick $3 by $4: $SAID" ;;
	esac
	if [ "$1" != kam_uac_message.xml ] &&
	   [ "$1" != kam_uac_subscribe.xml ] && [ "$BYE_NODE" != "$3" ]; then
		kam_fail "the BYE of $2 reached ${BYE_NODE:-nothing}, want $3"
	fi
	log "$1 $2: $3 by $4"
}

# --- 0. no lease: the hash; a conference whose hash is not n2 ---
CONF=""
for c in alpha bravo charlie delta echo foxtrot golf hotel; do
	ask kam_uac_message.xml "$c"
	case $SAID in *"by hash"*) ;;
		*) kam_fail "no lease, yet MESSAGE $c went by: $SAID" ;; esac
	if [ "$NODE" != n2 ]; then
		CONF=$c
		HASHED=$NODE
		break
	fi
done
[ -n "$CONF" ] || kam_fail "every conference hashes to n2"
# ROOMY: the third node, given the most room
for n in n1 n3; do [ "$n" != "$HASHED" ] && ROOMY=$n; done
log "conference $CONF hashes to $HASHED; $ROOMY has the most room"
pg_psql "UPDATE nodes SET participants = CASE node WHEN 'n2' THEN 5
	WHEN '$ROOMY' THEN 1 ELSE 4 END;
	INSERT INTO leases VALUES ('$CONF', 'n2', $FAR)"

# --- 1. the owner n2, live and with room ---
expect kam_uac_call.xml "$CONF" n2 route
# the INVITE as n2 got it: the caller's real address (127.0.0.1, the
# sipp's port) beside the private one its Via and Contact name, and
# Kamailio's Record-Route
inv=$(awk -v c="$CONF" '/^INVITE sip:/ { keep = index($0, c "@") }
	keep' "$WORK/n2.msg")
printf '%s' "$inv" | grep -q \
	"^Via: SIP/2.0/UDP 192.0.2.7:5999;rport=$UAC_PORT;received=127.0.0.1;" ||
	kam_fail "n2 did not see received/rport in the caller's Via: $inv"
printf '%s' "$inv" | grep -q \
	"^Contact: <sip:tester@192.0.2.7:5999;alias=127.0.0.1~$UAC_PORT~1>" ||
	kam_fail "no ;alias on the NATed caller's Contact: $inv"
printf '%s' "$inv" | grep -q "^Record-Route: <sip:127.0.0.1:$KAM_PORT;lr" ||
	kam_fail "no Record-Route of Kamailio's: $inv"
expect kam_uac_hangup.xml "$CONF" n2 route
expect kam_uac_subscribe.xml "$CONF" n2 owner
expect kam_uac_message.xml "$CONF" n2 owner
expect kam_uac_call.xml conference-factory "$ROOMY" route

# --- 2. the owner full, then gone ---
pg_psql "UPDATE nodes SET participants = capacity WHERE node = 'n2'"
expect kam_uac_call.xml "$CONF" "$ROOMY" route
expect kam_uac_subscribe.xml "$CONF" n2 owner
pg_psql "UPDATE nodes SET participants = 5 WHERE node = 'n2';
	UPDATE leases SET expires_at = $PAST WHERE conf_id = '$CONF'"
expect kam_uac_call.xml "$CONF" "$ROOMY" route
expect kam_uac_message.xml "$CONF" "$HASHED" hash
pg_psql "UPDATE leases SET expires_at = $FAR WHERE conf_id = '$CONF';
	UPDATE nodes SET expires_at = $PAST WHERE node = 'n2'"
expect kam_uac_call.xml "$CONF" "$ROOMY" route

# --- 3. no database: the hash, failover, probes ---
pg_stop
expect kam_uac_call.xml "$CONF" "$HASHED" hash
expect kam_uac_call.xml "$CONF" "$HASHED" hash
said_down() { grep -q "caucus: node sip:$(node_addr "$1") down" \
	"$WORK/kamailio.log"; }
said_up() { grep -q "caucus: node sip:$(node_addr "$1") up" \
	"$WORK/kamailio.log"; }
node_kill "$HASHED"
ask kam_uac_call.xml "$CONF"
if [ -z "$NODE" ] || [ "$NODE" = "$HASHED" ]; then
	kam_fail "with $HASHED dead the call reached ${NODE:-nothing}"
fi
[ "$BYE_NODE" = "$NODE" ] || kam_fail "the BYE went to $BYE_NODE, not $NODE"
case $SAID in
*"by failover"*) log "$HASHED timed out, the call failed over to $NODE" ;;
*"by hash"*) log "$HASHED was probed down first, the hash gave $NODE" ;;
*) kam_fail "with $HASHED dead: $SAID" ;;
esac
wait_for 10 said_down "$HASHED" || kam_fail "$HASHED never marked down"
node_start "$HASHED"
wait_for 10 said_up "$HASHED" || kam_fail "the probes did not find $HASHED back"
expect kam_uac_call.xml "$CONF" "$HASHED" hash
node_kill "$ROOMY"
wait_for 10 said_down "$ROOMY" || kam_fail "the probes did not mark $ROOMY down"
log "the probes marked $ROOMY down, nobody calling it"

# --- 4. not ours ---
before=$(grep -c "caucus: " "$WORK/kamailio.log" || true)
ask kam_uac_404.xml demo -key domain example.org
ask kam_uac_404.xml 'no!conf' -key domain "127.0.0.1:$KAM_PORT"
[ "$(grep -c "caucus: " "$WORK/kamailio.log" || true)" = "$before" ] ||
	kam_fail "Kamailio routed a request it should have refused"
grep -q "^SIP/2.0 404 Not Found (domain not served here)" \
	"$WORK/uac$((ASKED - 1)).msg" ||
	kam_fail "no reason in the 404 for another domain"
grep -q "^SIP/2.0 404 Not Found (not a conference id)" \
	"$WORK/uac$ASKED.msg" ||
	kam_fail "no reason in the 404 for a user that is no conference id"

kill "$KAM_PID"
wait "$KAM_PID" 2>/dev/null || true
KAM_PID=""
log PASS
