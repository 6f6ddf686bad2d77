#!/bin/bash
# Soak: N participants (400) joining and leaving without end for SECONDS
# (3600) against caucusd built with AddressSanitizer (build-san: make
# soak builds it), over four conferences, while the script edits their
# policies and the users every few seconds. Halfway, caucusd is killed
# with SIGKILL and started again on the same store: every conference,
# policy and user must be back as it was, and the callers join again at
# once. Reports RSS over time (the first sample after warm-up, just before
# the kill, after the restart, and at the end), calls made, failures
# (tools/churn.py says what counts), how long the rejoin took, and what
# the sanitizers said at the clean exit. Exits 1 if anything failed:
# a failed call, state lost, a sanitizer report, or RSS that grew by more
# than a quarter (plus 8 MB) within one process's life.
#   bench/soak.sh [build-dir] [SECONDS] [N]
. "$(dirname "$0")/common.sh"
BUILD=${1:-build-san}
case $BUILD in /*) BIN=$BUILD ;; *) BIN="$ROOT/$BUILD" ;; esac
TOTAL=${2:-3600}
N=${3:-400}
CONFS="soak0,soak1,soak2,soak3"
EDIT_S=${SOAK_EDIT_S:-5}
# RSS once a minute, or ten times in a short run
SAMPLE_S=$(( TOTAL >= 600 ? 60 : (TOTAL / 10 > 1 ? TOTAL / 10 : 1) ))
[ -x "$BIN/caucusd" ] || { echo "soak: no $BIN/caucusd (make soak builds" \
	"build-san)" >&2; exit 2; }
# a smaller quarantine, so RSS shows what the server holds, not what
# AddressSanitizer keeps of freed memory; leaks reported at exit
export ASAN_OPTIONS="quarantine_size_mb=16:detect_leaks=1:${ASAN_OPTIONS:-}"

machine
san=plain
grep -qiE 'CAUCUS_SAN:BOOL=(ON|1|TRUE|YES)' "$BIN/CMakeCache.txt" 2>/dev/null &&
	san="ASan+UBSan"
echo "soak: $N participants joining and leaving (5 to 15 s each) over" \
	"4 conferences for ${TOTAL}s, policy edits every ${EDIT_S}s," \
	"kill -9 and restart at $((TOTAL / 2))s; caucusd $san"

SIP_PORT=$(free_port)
HTTP_PORT=$(free_port)
API="http://127.0.0.1:$HTTP_PORT"
serve() {
	"$BIN/caucusd" --sip-port "$SIP_PORT" --http-port "$HTTP_PORT" \
		--db "$WORK/caucus.db" --rtp-port-min 41000 \
		--rtp-port-max 60998 --bfcp-port 0 --log-level warn \
		--limits-exempt 127.0.0.1/32 >>"$WORK/caucusd.log" 2>&1 &
	PID=$!
	for _ in $(seq 1 200); do
		curl -sf "$API/v1/openapi.json" >/dev/null 2>&1 && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "soak: caucusd did not start; log:" >&2
	tail -20 "$WORK/caucusd.log" >&2
	exit 1
}
api() { # METHOD PATH [JSON]: the body; a status >= 400 stops the soak
	local out code
	out=$(curl -s -w '\n%{http_code}' -X "$1" \
		-H 'Content-Type: application/json' ${3:+-d "$3"} "$API$2")
	code=${out##*$'\n'}
	if [ "$code" -ge 400 ]; then
		echo "soak: $1 $2 answered $code: ${out%$'\n'*}" >&2
		FAILED="$FAILED api"
	fi
	printf '%s' "${out%$'\n'*}"
}
# what must survive: the conferences' policies and the users
state() {
	local c
	for c in ${CONFS//,/ }; do
		printf '%s %s\n' "$c" "$(api GET "/v1/conferences/$c/policy")"
	done
	api GET /v1/users | python3 -c '
import json, sys
for u in sorted(json.load(sys.stdin)["users"], key=lambda u: u["name"]):
    print(u["name"], u["aor"], u["admin"], u["created_at"])'
}
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$PID/status"; }

FAILED=""
CHURN=""
trap '[ -z "$CHURN" ] || kill "$CHURN" 2>/dev/null || true
      [ -z "$PID" ] || kill -9 "$PID" 2>/dev/null || true
      if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2
      else rm -rf "$WORK"; fi' EXIT
serve
for c in ${CONFS//,/ }; do api POST /v1/conferences "{\"id\":\"$c\"}" >/dev/null; done
for i in 0 1 2 3 4; do
	api POST /v1/users "{\"name\":\"soak$i\",\"password\":\"secret-$i-pw\"}" \
		>/dev/null
done

python3 "$ROOT/tools/churn.py" --sip "$SIP_PORT" --confs "$CONFS" --n "$N" \
	--hold 5:15 --seconds "$TOTAL" --status "$WORK/churn.txt" \
	>"$WORK/churn.json" &
CHURN=$!

# policy and user edits until the end; RSS samples; the kill halfway
edit=0
edit_once() {
	local c="soak$((edit % 4))" i=$((edit % 7)) ru="[]"
	[ $((edit % 2)) = 0 ] && ru='[{"pattern":"sip:*@churn.invalid","action":"allow"}]'
	api PATCH "/v1/conferences/$c/policy" "{\"max_participants\":$((1000 + edit % 50)),\"reveal_anonymous\":$([ $((edit % 3)) = 0 ] && echo false || echo true),\"rules\":$ru,\"users\":[{\"aor\":\"sip:boss$i@example.com\",\"role\":\"moderator\"},{\"aor\":\"sip:quiet$i@example.com\",\"muted\":true}]}" >/dev/null
	# a user made and another removed: five at any time
	api POST /v1/users "{\"name\":\"soak$((edit + 5))\",\"password\":\"secret-$edit-pw\"}" >/dev/null
	api DELETE "/v1/users/soak$edit" >/dev/null
	edit=$((edit + 1))
}
start=$(date +%s)
pstart=$start
# the baseline of each process's RSS: a sample once it has run a minute
# (jitter buffers filled, the sanitizer's quarantine full), or 5 s in a
# short run
WARM=$(( TOTAL >= 600 ? 60 : 5 ))
next_sample=$((start + 15))
next_edit=$((start + EDIT_S))
killed=0
# RSS samples: when, MB, whose (process 1 or 2), counted in the check
declare -a RSS_T RSS_MB RSS_P RSS_C
proc=1
sample() { # LABEL COUNTED
	RSS_T+=("$1")
	RSS_MB+=("$(rss)")
	RSS_P+=("$proc")
	RSS_C+=("$2")
}
restart_s=""
while kill -0 "$CHURN" 2>/dev/null; do
	now=$(date +%s)
	if [ "$now" -ge "$next_edit" ] && [ $((now - start)) -lt $((TOTAL - 5)) ]; then
		edit_once
		next_edit=$((now + EDIT_S))
	fi
	if [ "$now" -ge "$next_sample" ]; then
		sample "$((now - start))" $(( now - pstart >= WARM ? 1 : 0 ))
		next_sample=$((now + SAMPLE_S))
	fi
	if [ "$killed" = 0 ] && [ $((now - start)) -ge $((TOTAL / 2)) ]; then
		killed=1
		before=$(state)
		sample "$((now - start)) (before kill)" 1
		kill -USR2 "$CHURN"
		kill -9 "$PID"
		wait "$PID" 2>/dev/null || true
		t0=$(date +%s.%N)
		serve
		restart_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" \
			'BEGIN {printf "%.2f", b - a}')
		kill -USR1 "$CHURN"
		after=$(state)
		if [ "$before" != "$after" ]; then
			echo "soak: the state after the restart differs:" >&2
			diff <(echo "$before") <(echo "$after") >&2 || true
			FAILED="$FAILED state"
		fi
		proc=2
		pstart=$(date +%s)
		# empty yet: shown, not the baseline (that is the next one,
		# once everyone is back)
		sample "$((now - start)) (restarted)" 0
		next_sample=$((now + 15))
	fi
	sleep 1
done
wait "$CHURN" || FAILED="$FAILED churn-exit"
CHURN=""
sample "$(( $(date +%s) - start )) (end)" 1
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=""
[ "$rc" = 0 ] || FAILED="$FAILED exit-$rc"
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' \
	"$WORK/caucusd.log"; then
	FAILED="$FAILED sanitizer"
	grep -m5 -E 'AddressSanitizer|LeakSanitizer|runtime error:' \
		"$WORK/caucusd.log" >&2
fi

echo
printf '%-24s %8s %8s\n' "t (s)" "RSS MB" process
for i in "${!RSS_T[@]}"; do
	printf '%-24s %8s %8s\n' "${RSS_T[$i]}" "${RSS_MB[$i]}" "${RSS_P[$i]}"
done
# flat: within each process's life, its last sample against its first
# counted one (taken with everyone in, after WARM seconds)
for p in 1 2; do
	base="" last=""
	for i in "${!RSS_T[@]}"; do
		[ "${RSS_P[$i]}" = "$p" ] && [ "${RSS_C[$i]}" = 1 ] || continue
		[ -z "$base" ] && base=${RSS_MB[$i]}
		last=${RSS_MB[$i]}
	done
	[ -n "$base" ] || continue
	if [ "$last" -gt $(( base * 5 / 4 + 8 )) ]; then
		echo "soak: process $p grew from $base MB to $last MB" >&2
		FAILED="$FAILED rss"
	fi
	echo "process $p: RSS $base MB after ${WARM}s with everyone in," \
		"$last MB at its end"
done
python3 - "$WORK/churn.json" "$killed" <<'PY' || FAILED="$FAILED calls"
import json, sys
s = json.load(open(sys.argv[1]))
print("calls: %d joined, %d left, %d failures, %d refused for load "
      "(503 with Retry-After, joined again after it); RTP %d sent, "
      "%d received" % (s["joins"], s["leaves"], s["failures"],
                       s["refused_overload"], s["rtp_sent"],
                       s["rtp_received"]))
print("rejoined after the restart in: %s s" % (
    ", ".join(str(x) for x in s["rejoin_s"]) or "never"))
for f in s["failures_list"]:
    print("  " + f)
sys.exit(1 if s["failures"] or (sys.argv[2] == "1" and not s["rejoin_s"])
         else 0)
PY
echo "restart: caucusd answered again ${restart_s:-?} s after kill -9;" \
	"state after it: $( [ "${FAILED/state/}" = "$FAILED" ] && echo same || echo DIFFERENT)"
echo "policy and user edits: $edit"
if [ -n "$FAILED" ]; then
	echo "soak: FAIL:$FAILED"
	exit 1
fi
echo "soak: PASS"
