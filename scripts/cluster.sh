#!/bin/bash
# A throwaway caucus cluster on this machine, to try and to measure: one
# PostgreSQL (scripts/pg.sh), N caucusd nodes n1..nN on 127.0.0.11,
# 127.0.0.12... (SIP 5060, HTTP 8080, RTP each on its own address) and
# Kamailio in front on 127.0.0.1 (dist/kamailio/kamailio.cfg), which
# routes each conference to the node that owns it.
#
#   scripts/cluster.sh up N     start it (N from 1 to 99), wait until every
#                               part answers, and say how to use it
#   scripts/cluster.sh status   the nodes and leases, from the store
#   scripts/cluster.sh down     stop everything and remove its state
#
# Environment: BUILD (the build folder, build; caucusd is made with
# `make build` when missing), KAM_PORT (Kamailio's port, 5080), CAPACITY
# (each node's --cluster-capacity, caucusd's default when unset).
# State, logs and pids in var/cluster of the checkout; the admin token,
# one for all nodes, in var/cluster/token. Running up twice is safe: a
# cluster that is up is left as it is, and leftovers of one that is not
# are stopped first. down twice is safe too.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
DIR=var/cluster
BUILD=${BUILD:-build}
KAM_PORT=${KAM_PORT:-5080}
case $BUILD in
/*) CAUCUSD="$BUILD/caucusd" ;;
*) CAUCUSD="$SRC/$BUILD/caucusd" ;;
esac
. scripts/ports.sh
. scripts/pg.sh

say() { printf '%s\n' "$*"; }
die() { say "cluster: $*" >&2; exit 1; }
node_ip() { echo "127.0.0.$((10 + $1))"; }

# ours PID: that process is still one we started (its command line
# names caucusd or kamailio), not another that got its number since
ours() {
	[ -n "$1" ] && tr "\\0" " " 2>/dev/null <"/proc/$1/cmdline" |
		grep -q 'caucusd\|kamailio'
}

# pid_of NAME: the pid in DIR/NAME.pid if it is ours, else nothing
pid_of() {
	local p
	p=$(cat "$DIR/$1.pid" 2>/dev/null) || return 0
	if ours "$p"; then
		echo "$p"
	fi
}

# stop NAME: SIGTERM, up to 10 s for it to end (caucusd says BYE to its
# callers first), then SIGKILL. Kamailio is a process group of its own
# (setsid): its workers are stopped with it, even when its main process
# died and left them behind.
stop() {
	local p i target
	p=$(cat "$DIR/$1.pid" 2>/dev/null) || return 0
	rm -f "$DIR/$1.pid"
	if [ "$1" = kamailio ]; then
		pgrep -g "$p" kamailio >/dev/null 2>&1 || return 0
		target=-$p
	else
		ours "$p" || return 0
		target=$p
	fi
	kill -TERM -- "$target" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 -- "$target" 2>/dev/null ||
			{ say "  $1 stopped"; return 0; }
		sleep 0.1
	done
	kill -KILL -- "$target" 2>/dev/null || true
	say "  $1 killed (it did not end in 10 s)"
}

cmd_down() {
	local f
	if [ ! -d "$DIR" ]; then
		say "cluster: nothing to stop ($DIR is not there)"
		return 0
	fi
	say "cluster: stopping"
	stop kamailio
	for f in "$DIR"/n*.pid; do
		[ -e "$f" ] || continue
		f=${f##*/}
		stop "${f%.pid}"
	done
	if [ -f "$DIR/env" ]; then
		. "$DIR/env"
		pg_stop
		say "  PostgreSQL stopped"
	fi
	rm -rf "$DIR"
	rmdir var 2>/dev/null || true     # when nothing else is in it
	say "cluster: down, $DIR removed"
}

# is_up: every process recorded is running (N nodes, Kamailio, the store)
is_up() {
	local i
	[ -f "$DIR/env" ] && [ -f "$DIR/nodes" ] || return 1
	. "$DIR/env"
	for i in $(seq 1 "$(cat "$DIR/nodes")"); do
		[ -n "$(pid_of "n$i")" ] || return 1
	done
	[ -n "$(pid_of kamailio)" ] && pg_psql "SELECT 1" >/dev/null 2>&1
}

udp_taken() { ss -Hlnu "src $1" 2>/dev/null | grep -q .; }
tcp_taken() { ss -Hlnt "src $1" 2>/dev/null | grep -q .; }

node_start() { # I
	local i=$1 ip demo=()
	ip=$(node_ip "$i")
	mkdir -p "$DIR/n$i"
	# only n1 makes the demo conference: the store shares it with all
	if [ "$i" = 1 ]; then
		demo=(--demo demo)
	fi
	# each in a folder of its own: with a shared store a node keeps its
	# files (recordings, the prompt cache) in ./var/<node>
	(cd "$DIR/n$i" && exec "$CAUCUSD" --node "n$i" --db "$PG_URI" \
		--sip-addr "$ip" --sip-port 5060 \
		--http-addr "$ip" --http-port 8080 --rtp-addr "$ip" \
		--domain "127.0.0.1:$KAM_PORT" --admin-token "$TOKEN" \
		--cluster-proxies 127.0.0.1/32 \
		${CAPACITY:+--cluster-capacity "$CAPACITY"} \
		--web-root "$SRC/web" "${demo[@]}" \
		>>"$SRC/$DIR/n$i.log" 2>&1) &
	echo $! >"$DIR/n$i.pid"
}

node_answers() {
	curl -sf -o /dev/null --max-time 2 \
		"http://$(node_ip "$1"):8080/v1/openapi.json"
}

# kam_answers: Kamailio answers an OPTIONS to itself with 200
kam_answers() {
	python3 - "$KAM_PORT" <<'PY'
import random, socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(1.0)
me = s.getsockname()[1]
tag = random.randrange(1 << 30)
msg = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK{tag}\r\n"
       f"From: <sip:cluster@127.0.0.1>;tag={tag}\r\n"
       f"To: <sip:127.0.0.1:{port}>\r\nCall-ID: {tag}@cluster\r\n"
       "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
s.sendto(msg.encode(), ("127.0.0.1", port))
try:
    sys.exit(0 if s.recv(4096).startswith(b"SIP/2.0 200") else 1)
except socket.timeout:
    sys.exit(1)
PY
}

# wait_until SECONDS WHAT COMMAND...: dots until COMMAND succeeds; fails
# with the log of WHAT when it does not in time or its process died
wait_until() {
	local t=$1 what=$2 end
	shift 2
	end=$(( $(date +%s) + t ))
	printf '  %-9s' "$what"
	until "$@" >/dev/null 2>&1; do
		if [ -z "$(pid_of "$what")" ] || [ "$(date +%s)" -ge "$end" ]; then
			say " not answering; its log ($DIR/$what.log) ends:"
			tail -n 15 "$DIR/$what.log" 2>/dev/null | sed 's/^/    /'
			die "up failed at $what (scripts/cluster.sh down cleans up)"
		fi
		printf .
		sleep 0.2
	done
	say " up"
}

cmd_up() {
	local n=${1:-} i ip
	case $n in
	[1-9] | [1-9][0-9]) ;;
	*) die "usage: scripts/cluster.sh up N (1 to 99 nodes)" ;;
	esac
	if is_up; then
		if [ "$(cat "$DIR/nodes")" != "$n" ]; then
			die "a cluster of $(cat "$DIR/nodes") nodes is up;" \
				"scripts/cluster.sh down first"
		fi
		say "cluster: already up"
		TOKEN=$(cat "$DIR/token")
		show "$n"
		return 0
	fi
	if [ -d "$DIR" ]; then
		say "cluster: a previous one is partly there: stopping it first"
		cmd_down
	fi
	command -v kamailio >/dev/null ||
		die "no kamailio (apt-get install kamailio kamailio-postgres-modules)"
	if [ ! -x "$CAUCUSD" ]; then
		say "cluster: building caucusd ($CAUCUSD)"
		make build BUILD="$BUILD"
	fi
	"$CAUCUSD" --help 2>&1 | grep -q -- '--node' ||
		die "$CAUCUSD has no --node (too old a build? make build)"
	udp_taken "127.0.0.1:$KAM_PORT" || tcp_taken "127.0.0.1:$KAM_PORT" &&
		die "127.0.0.1:$KAM_PORT is taken (KAM_PORT=... for another port)"
	for i in $(seq 1 "$n"); do
		ip=$(node_ip "$i")
		for p in 5060 8080; do
			udp_taken "$ip:$p" || tcp_taken "$ip:$p" &&
				die "$ip:$p is taken (another caucusd?)"
		done
	done

	mkdir -p "$DIR"
	echo "$n" >"$DIR/nodes"
	TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	echo "$TOKEN" >"$DIR/token"
	chmod 600 "$DIR/token"

	say "cluster: PostgreSQL ($DIR/pg)"
	pg_start "$SRC/$DIR/pg" || die "PostgreSQL did not start"
	printf 'PG_DIR=%q\nPG_PORT=%q\nPG_URI=%q\nPG_BIN=%q\n' \
		"$PG_DIR" "$PG_PORT" "$PG_URI" "$PG_BIN" >"$DIR/env"

	say "cluster: $n caucusd nodes"
	for i in $(seq 1 "$n"); do node_start "$i"; done
	for i in $(seq 1 "$n"); do wait_until 30 "n$i" node_answers "$i"; done

	say "cluster: Kamailio on 127.0.0.1:$KAM_PORT"
	for i in $(seq 1 "$n"); do
		echo "1 sip:$(node_ip "$i"):5060"
	done >"$DIR/dispatcher.list"
	setsid kamailio -f dist/kamailio/kamailio.cfg -DD -E \
		-A LISTEN_IP=127.0.0.1 -A "LISTEN_PORT=$KAM_PORT" \
		-A "DBURL=$PG_URI" -A "DSLIST=$SRC/$DIR/dispatcher.list" \
		-A "CTL_SOCKET=unix:$SRC/$DIR/kamailio.ctl" \
		>>"$DIR/kamailio.log" 2>&1 &
	echo $! >"$DIR/kamailio.pid"
	wait_until 15 kamailio kam_answers
	show "$n"
}

show() { # N
	local n=$1 i ip uri="sip:demo@127.0.0.1:$KAM_PORT"
	cat <<MSG

  A caucus cluster of $n node(s) behind Kamailio, one PostgreSQL store.

  Call a conference through Kamailio:  $uri
    baresip:  baresip -e "/dial $uri"
    sipp:     sipp -sn uac -s demo 127.0.0.1:$KAM_PORT
  A new conference: sip:conference-factory@127.0.0.1:$KAM_PORT
  Nodes (SIP, API, web console):
MSG
	for i in $(seq 1 "$n"); do
		ip=$(node_ip "$i")
		say "    n$i  sip:$ip:5060  http://$ip:8080/v1/  http://$ip:8080/"
	done
	cat <<MSG
  Admin token (all nodes): $TOKEN
    curl -H "Authorization: Bearer \$(cat $DIR/token)" \\
      http://$(node_ip 1):8080/v1/conferences
  Store: psql $PG_URI
  Logs: $DIR/*.log   Status: scripts/cluster.sh status
  Stop: scripts/cluster.sh down

MSG
}

cmd_status() {
	local i n
	[ -f "$DIR/env" ] || { say "cluster: not up"; return 1; }
	. "$DIR/env"
	n=$(cat "$DIR/nodes" 2>/dev/null || echo 0)
	say "processes:"
	for i in kamailio $(seq -f 'n%g' 1 "$n"); do
		if [ -n "$(pid_of "$i")" ]; then
			say "  $i running (pid $(pid_of "$i"))"
		else
			say "  $i NOT running"
		fi
	done
	if ! pg_psql "SELECT 1" >/dev/null 2>&1; then
		say "the store: PostgreSQL does not answer ($PG_URI)"
		return 1
	fi
	if [ "$(pg_psql "SELECT to_regclass('leases') IS NOT NULL")" != t ]; then
		say "the store: no schema yet (made by the first node that starts)"
		return 0
	fi
	say "nodes:"
	PGCONNECT_TIMEOUT=5 psql -X -q -P footer=off "$PG_URI" -c "
		SELECT node, sip_addr AS address, participants, capacity,
		       expires_at > caucus_now_ms() AS live
		FROM nodes ORDER BY node"
	say "leases:"
	PGCONNECT_TIMEOUT=5 psql -X -q -P footer=off "$PG_URI" -c "
		SELECT conf_id AS conference, node,
		       expires_at > caucus_now_ms() AS live
		FROM leases ORDER BY conf_id"
}

case ${1:-} in
up) cmd_up "${2:-}" ;;
down) cmd_down ;;
status) cmd_status ;;
*) die "usage: scripts/cluster.sh up N | status | down" ;;
esac
