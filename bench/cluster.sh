#!/bin/bash
# Cluster benchmark: three caucusd nodes behind Kamailio on one PostgreSQL
# store (scripts/cluster.sh up 3), and one conference of CLUSTER_N
# load-generator participants (1500) joined through Kamailio, which spreads
# them over the nodes by capacity (each node takes N/3 before joins go to
# the next: --cluster-capacity); the other nodes cascade into the owner.
#   1. all in: participants and CPU per node; tone checks (4 talkers
#      spread over the legs, so on several nodes, and sampled listeners on
#      every node: each must hear every talker but itself); how much later
#      a tone reaches a listener on another node than one on its own;
#   2. kill -9 a child node: the other nodes' legs must keep their media;
#      its legs call again through Kamailio (caucus-loadgen --rejoin): how
#      long until every leg has media again; the tone checks again;
#   3. kill -9 the owner: how long until a new join succeeds and until the
#      lease (SELECT node FROM leases) is a survivor's; its legs call
#      again; the tone checks again.
# Figures on stdout, a markdown table in bench/out/cluster.md.
#   bench/cluster.sh [build-dir]
# Environment: CLUSTER_N (1500), CLUSTER_RATE (joins a second: N/30, at
# least 5; Kamailio picks by the counts the nodes renew once a second, so
# a node overshoots its capacity by about a second of joins), CLUSTER_CHECK
# (checked legs, 48), CLUSTER_SECONDS (the measurement window, 5),
# KAM_PORT (5080). CLUSTER_N=30 is the short form (under 2 minutes).
# It starts and stops a cluster of its own, and refuses to run while one
# is up (it kills nodes).
. "$(dirname "$0")/common.sh"
# (a build folder given as an absolute path, as ctest does)
N=${CLUSTER_N:-1500}
RATE=${CLUSTER_RATE:-$(( N / 30 > 5 ? N / 30 : 5 ))}
CHECK=${CLUSTER_CHECK:-48}
SECS=${CLUSTER_SECONDS:-5}
KAM_PORT=${KAM_PORT:-5080}
CAP=$(( (N + 2) / 3 ))
CONF=demo
TONES=4
CL="$ROOT/scripts/cluster.sh"
CDIR="$ROOT/var/cluster"
LG_PID=""
PROBE_PID=""
MD="$OUT/cluster.md"
FAILED=""

cleanup() {
	local p
	for p in $PROBE_PID $LG_PID; do kill -9 "$p" 2>/dev/null || true; done
	if [ "${CLUSTER_OURS:-0}" = 1 ]; then
		[ "${BENCH_KEEP:-0}" = 1 ] && cp -r "$CDIR" "$WORK/cluster" 2>/dev/null
		BUILD="$BIN" KAM_PORT="$KAM_PORT" "$CL" down >/dev/null 2>&1 || true
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

die() { echo "cluster bench: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
note_fail() { FAILED="$FAILED; $*"; echo "  FAILED: $*"; }

[ -x "$CL" ] || die "no scripts/cluster.sh (the cluster is not there yet)"
"$BIN/caucusd" --help 2>&1 | grep -q -- '--node' ||
	die "$BIN/caucusd has no --node (build it from a tree with the cluster)"
[ -d "$CDIR" ] && die "a cluster is up ($CDIR): this benchmark kills its" \
	"nodes; scripts/cluster.sh down first"

machine
echo "cluster: 3 nodes behind Kamailio (127.0.0.1:$KAM_PORT), N=$N joined at" \
	"$RATE/s, capacity $CAP a node, $TONES tone talkers, $CHECK checked legs"
CLUSTER_OURS=1
BUILD="$BIN" CAPACITY="$CAP" KAM_PORT="$KAM_PORT" "$CL" up 3 \
	>"$WORK/cluster-up.log" 2>&1 ||
	{ cat "$WORK/cluster-up.log" >&2; die "scripts/cluster.sh up 3 failed"; }
TOKEN=$(cat "$CDIR/token")
. "$CDIR/env"
. "$ROOT/scripts/pg.sh"
AUTH=(-H "Authorization: Bearer $TOKEN")

node_ip() { echo "127.0.0.$(( 10 + ${1#n} ))"; }
node_pid() { cat "$CDIR/$1.pid"; }
node_of_ip() { echo "n$(( ${1##*.} - 10 ))"; }
# the conference's owner: a live lease's node (nothing while none)
owner() {
	pg_psql "SELECT node FROM leases WHERE conf_id = '$CONF'
		 AND expires_at > caucus_now_ms()" 2>/dev/null || true
}
cpu_ticks() { # PID: utime + stime, clock ticks
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
# node_status NODE: "participants links_up links_down" from its API
node_status() {
	curl -s --max-time 2 "${AUTH[@]}" "http://$(node_ip "$1"):8080/v1/status" |
		python3 -c "import json, sys
try:
    s = json.load(sys.stdin)
    c = s.get('cluster', {})
    print(s.get('participants', '?'), c.get('links_up', '?'),
          c.get('links_down', '?'))
except Exception:
    print('? ? ?')"
}
lines() { wc -l <"$WORK/lg.out"; }
# last_live [FROM]: the newest LIVE line after line FROM
last_live() { tail -n +"$(( ${1:-0} + 1 ))" "$WORK/lg.out" | grep '^LIVE' | tail -n1; }
live_field() { printf '%s' "$1" | grep -o " $2=[^ ]*" | cut -d= -f2; }
# legs_on LIVE IP: the legs the LIVE line puts on that node
legs_on() {
	printf '%s' "$1" | grep -o "nodes=.*" | tr ',=' '\n\n' |
		awk -F'[:/]' -v ip="$2" '$1 == ip { print $2; f = 1 } END { if (!f) print 0 }'
}
# others_dead LIVE IP: dead legs on the nodes other than IP (and "-")
others_dead() {
	printf '%s' "$1" | grep -o "nodes=.*" | cut -d= -f2 | tr ',' '\n' |
		awk -F'[:/]' -v ip="$2" '$1 != ip && $1 != "-" { d += $3 } END { print d + 0 }'
}
lg_alive() { kill -0 "$LG_PID" 2>/dev/null; }
# wait_line SECONDS PATTERN: until the loadgen printed a line matching it
wait_line() {
	local end=$(( $(date +%s) + $1 ))
	until grep -q "$2" "$WORK/lg.out"; do
		lg_alive || return 1
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
tones_of() { grep "^TONES .* window=$1\$" "$WORK/lg.out" | head -n1; }
node_table() { # TITLE: participants per node (API) and the loadgen's view
	local live n ip st
	live=$(last_live)
	printf '  %-4s %-11s %-6s %13s %8s %9s %10s\n' node address owner \
		"participants" "lg legs" "links up" "links down"
	for n in n1 n2 n3; do
		ip=$(node_ip "$n")
		if ! kill -0 "$(node_pid "$n")" 2>/dev/null; then
			printf '  %-4s %-11s %-6s %13s\n' "$n" "$ip" - killed
			continue
		fi
		read -r -a st <<<"$(node_status "$n")"
		printf '  %-4s %-11s %-6s %13s %8s %9s %10s\n' "$n" "$ip" \
			"$([ "$n" = "$(owner)" ] && echo yes || echo no)" \
			"${st[0]}" "$(legs_on "$live" "$ip")" "${st[1]}" "${st[2]}"
	done
}

# the room: its announcements off (what the legs hear is the room alone)
curl -s -o /dev/null "${AUTH[@]}" -X PATCH -H 'Content-Type: application/json' \
	--data-binary '{"announcements":{"entry":"off","exit":"off","only_participant":false,"wait_moderator":false,"recording":false}}' \
	"http://$(node_ip n1):8080/v1/conferences/$CONF/policy"

echo
echo "== phase 1: $N participants join through Kamailio"
T0=$(now)
"$BIN/caucus-loadgen" --target "sip:$CONF@127.0.0.1:$KAM_PORT" --n "$N" \
	--rate "$RATE" --tones "$TONES" --tone-spread --check-legs "$CHECK" \
	--latency --warmup 3 --seconds "$SECS" --hold --rejoin \
	--report-every 1 >"$WORK/lg.out" 2>"$WORK/lg.err" &
LG_PID=$!
wait_line $(( N / RATE + 60 )) '^ALLUP' ||
	{ tail -n 5 "$WORK/lg.err" >&2; die "the participants did not all get in"; }
ALLUP=$(grep '^ALLUP' "$WORK/lg.out")
echo "  $ALLUP after $(since "$T0") s"
declare -A CPU0
C0=$(now)
for n in n1 n2 n3; do CPU0[$n]=$(cpu_ticks "$(node_pid "$n")"); done
wait_line $(( SECS + 40 )) ' window=1$' || die "no tone check came"
EL=$(awk -v a="$C0" -v b="$(now)" 'BEGIN { print b - a }')
HZ=$(getconf CLK_TCK)
OWNER1=$(owner)
echo "  owner: ${OWNER1:-none}"
node_table
printf '  cpu %% of one core over %.1f s (warm-up and window):' "$EL"
declare -A CPUP
for n in n1 n2 n3; do
	CPUP[$n]=$(awk -v a="${CPU0[$n]}" -v b="$(cpu_ticks "$(node_pid "$n")")" \
		-v hz="$HZ" -v el="$EL" 'BEGIN { printf "%.1f", (b - a) / hz / el * 100 }')
	printf ' %s %s' "$n" "${CPUP[$n]}"
done
echo
TONES1=$(tones_of 1)
LAT=$(grep '^LATENCY' "$WORK/lg.out" | head -n1)
echo "  $TONES1"
grep '^LATPAIR' "$WORK/lg.out" | sed 's/^/  /'
echo "  $LAT"
printf '%s' "$TONES1" | grep -q ' missing=0 echo=0' || {
	sed -n '/^ *leg node/,/window=1$/p' "$WORK/lg.out" | grep -v ' - *- ' | head -20
	note_fail "phase 1 tone check"
}
LEGS1=$(last_live)
TABLE1=$(node_table)

echo
CHILD=""
for n in n1 n2 n3; do
	[ "$n" = "$OWNER1" ] && continue
	ip=$(node_ip "$n")
	if [ -z "$CHILD" ] || [ "$(legs_on "$LEGS1" "$ip")" -gt \
		"$(legs_on "$LEGS1" "$(node_ip "$CHILD")")" ]; then
		CHILD=$n
	fi
done
CIP=$(node_ip "$CHILD")
CLEGS=$(legs_on "$LEGS1" "$CIP")
echo "== phase 2: kill -9 $CHILD (a child node, $CLEGS legs)"
FROM=$(lines)
T2=$(now)
kill -9 "$(node_pid "$CHILD")"
ODEAD=0
BACK2=""
while :; do
	L=$(last_live "$FROM")
	if [ -n "$L" ]; then
		d=$(others_dead "$L" "$CIP")
		[ "$d" -gt "$ODEAD" ] && ODEAD=$d
		if [ "$(live_field "$L" dead)" = 0 ] &&
			[ "$(legs_on "$L" "$CIP")" = 0 ]; then
			BACK2=$(since "$T2")
			break
		fi
	fi
	lg_alive || break
	[ "$(since "$T2" | cut -d. -f1)" -lt $(( N / RATE + 90 )) ] || break
	sleep 0.1
done
L2=$(last_live "$FROM")
echo "  the other nodes' legs: at most $ODEAD dead (no media for 2 s) while $CHILD was gone"
[ "$ODEAD" = 0 ] || note_fail "phase 2: $ODEAD legs on the surviving nodes lost their media"
if [ -n "$BACK2" ]; then
	echo "  every leg has media again $BACK2 s after the kill" \
		"(rejoined=$(live_field "$L2" rejoined), retries=$(live_field "$L2" retries)," \
		"outage p50 $(live_field "$L2" gap_p50_ms) ms, max $(live_field "$L2" gap_max_ms) ms)"
else
	note_fail "phase 2: not every leg came back: $L2"
fi
echo "  $L2"
kill -USR2 "$LG_PID"
wait_line $(( SECS + 30 )) ' window=2$' || note_fail "phase 2: no tone check"
TONES2=$(tones_of 2)
echo "  $TONES2"
printf '%s' "$TONES2" | grep -q ' missing=0 echo=0' || note_fail "phase 2 tone check"
node_table

echo
OWNER2=$(owner)
OIP=$(node_ip "${OWNER2:-$OWNER1}")
OLEGS=$(legs_on "$L2" "$OIP")
echo "== phase 3: kill -9 ${OWNER2:-$OWNER1} (the owner, $OLEGS legs)"
FROM=$(lines)
T3=$(now)
kill -9 "$(node_pid "${OWNER2:-$OWNER1}")"
JOIN3="" LEASE3="" BACK3="" NEWOWNER="" PROBES=0
probe_start() {
	PROBES=$(( PROBES + 1 ))
	"$BIN/caucus-loadgen" --target "sip:$CONF@127.0.0.1:$KAM_PORT" --n 1 \
		--user "probe$PROBES-" --warmup 0 --hold >"$WORK/probe.out" \
		2>"$WORK/probe.err" &
	PROBE_PID=$!
}
probe_start
while [ -z "$JOIN3" ] || [ -z "$LEASE3" ] || [ -z "$BACK3" ]; do
	if [ -z "$JOIN3" ] && grep -q '^ALLUP' "$WORK/probe.out"; then
		if grep -q '^ALLUP .*joined=1' "$WORK/probe.out"; then
			JOIN3=$(since "$T3")
		fi
		kill -TERM "$PROBE_PID" 2>/dev/null
		wait "$PROBE_PID" 2>/dev/null || true
		PROBE_PID=""
		[ -z "$JOIN3" ] && probe_start
	fi
	if [ -z "$LEASE3" ]; then
		o=$(owner)
		if [ -n "$o" ] && [ "$o" != "${OWNER2:-$OWNER1}" ]; then
			LEASE3=$(since "$T3")
			NEWOWNER=$o
		fi
	fi
	if [ -z "$BACK3" ]; then
		L=$(last_live "$FROM")
		if [ -n "$L" ] && [ "$(live_field "$L" dead)" = 0 ] &&
			[ "$(legs_on "$L" "$OIP")" = 0 ]; then
			BACK3=$(since "$T3")
		fi
	fi
	lg_alive || break
	[ "$(since "$T3" | cut -d. -f1)" -lt $(( N / RATE + 120 )) ] || break
	sleep 0.2
done
if [ -n "$PROBE_PID" ]; then
	kill -TERM "$PROBE_PID" 2>/dev/null
	wait "$PROBE_PID" 2>/dev/null || true
	PROBE_PID=""
fi
L3=$(last_live "$FROM")
echo "  a new join succeeded ${JOIN3:-never} s after the kill ($PROBES probe calls)"
echo "  the lease moved to ${NEWOWNER:-nobody} after ${LEASE3:-never} s"
echo "  every leg has media again ${BACK3:-never} s after the kill" \
	"(rejoined=$(live_field "$L3" rejoined) in all, retries=$(live_field "$L3" retries))"
echo "  $L3"
[ -n "$JOIN3" ] || note_fail "phase 3: no new join succeeded"
[ -n "$LEASE3" ] || note_fail "phase 3: the lease did not move"
[ -n "$BACK3" ] || note_fail "phase 3: not every leg came back"
kill -USR2 "$LG_PID"
wait_line $(( SECS + 30 )) ' window=3$' || note_fail "phase 3: no tone check"
TONES3=$(tones_of 3)
echo "  $TONES3"
printf '%s' "$TONES3" | grep -q ' missing=0 echo=0' || {
	sed -n '/window=2$/,/window=3$/p' "$WORK/lg.out" | grep '^ *[0-9]' |
		grep -v ' - *- ' | head -20
	note_fail "phase 3 tone check"
}
node_table
kill -TERM "$LG_PID"
wait "$LG_PID" 2>/dev/null || true
LG_PID=""

f() { live_field "$1" "$2"; }
{
	echo "# caucus cluster benchmark"
	echo
	machine | sed 's/^/    /'
	echo
	echo "3 nodes behind Kamailio, one PostgreSQL; $N participants joined at" \
		"$RATE/s through Kamailio (capacity $CAP a node); $TONES tone" \
		"talkers spread over the legs, $CHECK legs checked."
	echo
	echo "| phase | figure | value |"
	echo "|---|---|---|"
	for n in n1 n2 n3; do
		echo "| 1 all in | $n: participants (API), legs, cpu % of a core |" \
			"$(printf '%s\n' "$TABLE1" | awk -v n="$n" '$1 == n { print $4 ", " $5 }'), ${CPUP[$n]} |"
	done
	echo "| 1 all in | owner | $OWNER1 |"
	echo "| 1 all in | tones | $(printf '%s' "$TONES1" | cut -d' ' -f2-5) |"
	echo "| 1 all in | tone latency p50 same node / other node (ms) |" \
		"$(f "$LAT" same_p50_ms) / $(f "$LAT" cross_p50_ms) |"
	echo "| 1 all in | added by the cascade (ms, p50) | $(f "$LAT" added_ms) |"
	echo "| 2 kill -9 $CHILD ($CLEGS legs) | others' legs dead | $ODEAD |"
	echo "| 2 | every leg has media again (s) | ${BACK2:-never} |"
	echo "| 2 | outage of a rejoined leg p50 / max (ms) |" \
		"$(f "$L2" gap_p50_ms) / $(f "$L2" gap_max_ms) |"
	echo "| 2 | tones after | $(printf '%s' "$TONES2" | cut -d' ' -f2-5) |"
	echo "| 3 kill -9 owner ${OWNER2:-$OWNER1} ($OLEGS legs) | a new join succeeds (s) | ${JOIN3:-never} |"
	echo "| 3 | lease on a survivor (s) | ${LEASE3:-never} ($NEWOWNER) |"
	echo "| 3 | every leg has media again (s) | ${BACK3:-never} |"
	echo "| 3 | tones after | $(printf '%s' "$TONES3" | cut -d' ' -f2-5) |"
	[ -z "$FAILED" ] || echo "| | FAILED | ${FAILED#; } |"
	echo
	echo "Latency: per tone onset (the talkers gate their tones, 700 ms on," \
		"300 ms off, all at once), from the tick that sent it to where the" \
		"onset lies in what a checked leg received (the half-amplitude" \
		"point of a sliding 20 ms DFT at its frequency, timed by the" \
		"packet's kernel arrival stamp); same node: talker and listener on" \
		"one node; other node: through the cascade. Each mixing hop waits" \
		"for its node's next tick (0 to 20 ms, the same all run long: the" \
		"clocks of one machine do not drift apart), so a pair's figure" \
		"carries that node's phase; the p50s over all pairs average it" \
		"somewhat. Times to recover are seen through the load generator's" \
		"once-a-second LIVE lines. A leg's outage (its last packet from" \
		"the old call to the first from the new) includes its 3 s of" \
		"silence before it calls again and 0.5 to 1 s of backoff, and the" \
		"calls again are paced at the join rate ($RATE/s), which alone" \
		"takes legs/$RATE s."
} >"$MD"
echo
echo "written: $MD"
if [ -n "$FAILED" ]; then
	echo "cluster bench: FAILED${FAILED}" >&2
	exit 1
fi
