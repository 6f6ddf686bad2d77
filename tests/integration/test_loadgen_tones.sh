#!/bin/bash
# caucus-loadgen's tone checks (--tones), which the cluster benchmark
# trusts to say who hears whom, against one caucusd:
#   1. eight legs, three sending tones of their own (430, 580, 730 Hz):
#      every leg hears every tone but its own, and the tool exits 0;
#   2. the same held up (--hold): talker lg0 muted through the API and a
#      new tone window asked for (SIGUSR2): the seven others miss its tone
#      and lg0 still hears the other two; a LIVE line (SIGUSR1) says all
#      eight still get media; on SIGTERM the tool exits 1 (a check failed).
# Every step waits for the tool's own lines (ALLUP, TONES, LIVE).
. "$(dirname "$0")/lib.sh"
start_caucusd

LG=("$BIN/caucus-loadgen" --pid "$CAUCUSD_PID" --api "$API"
	--target "sip:demo@127.0.0.1:$SIP_PORT" --n 8 --tones 3
	--warmup 1 --seconds 2)
# tones_line OUT WINDOW: the TONES line of that window
tones_line() { grep "^TONES .* window=$2\$" "$1"; }

log "phase 1: eight legs, three tones"
"${LG[@]}" >"$WORK/lg1.out" 2>"$WORK/lg1.err" ||
	{ cat "$WORK/lg1.out"; fail "the tone check failed, nobody muted"; }
cat "$WORK/lg1.out"
tones_line "$WORK/lg1.out" 1 | grep -q 'legs=8 ok=8 missing=0 echo=0' ||
	fail "phase 1: not every leg heard the others alone"
# the talkers hear the two others, the silent legs all three (a leg's
# row names the node its media comes from: 127.0.0.1, or the mixer
# process's 127.0.0.2 in the split)
awk '$1 ~ /^[0-9]+$/ && $2 ~ /^127\.0\.0\.[12]$/ { print $1, $4 }' \
	"$WORK/lg1.out" >"$WORK/heard1"
grep -qx '0 580,730' "$WORK/heard1" && grep -qx '1 430,730' "$WORK/heard1" &&
	grep -qx '2 430,580' "$WORK/heard1" &&
	grep -qx '7 430,580,730' "$WORK/heard1" ||
	fail "phase 1: unexpected table: $(cat "$WORK/heard1")"

log "phase 2: held up, lg0 muted"
# (the tool itself in the background, not a subshell: it gets the signals)
"${LG[@]}" --hold >"$WORK/lg2.out" 2>"$WORK/lg2.err" &
LG_PID=$!
CHILDREN="$CHILDREN $LG_PID"
wait_for 30 tones_line "$WORK/lg2.out" 1 ||
	{ cat "$WORK/lg2.out"; fail "no first tone window"; }
tones_line "$WORK/lg2.out" 1 | grep -q 'ok=8 missing=0 echo=0' ||
	fail "phase 2: the first window failed"
P0=$(json_field "$(part_of demo lg0)" id)
[ -n "$P0" ] || fail "lg0 is not in the roster"
api PATCH "/v1/conferences/demo/participants/$P0" '{"muted":true}'
expect_status 200 "mute lg0"
kill -USR2 "$LG_PID"
wait_for 20 tones_line "$WORK/lg2.out" 2 ||
	{ cat "$WORK/lg2.out"; fail "no second tone window"; }
cat "$WORK/lg2.out"
tones_line "$WORK/lg2.out" 2 | grep -q 'legs=8 ok=1 missing=7 echo=0' ||
	fail "phase 2: lg0's tone was not missed by the seven others alone"
# the second table: lg0 hears 580 and 730; everyone else misses 430 only
sed -n '/window=1$/,/window=2$/p' "$WORK/lg2.out" |
	awk '$1 ~ /^[0-9]+$/ && $2 ~ /^127\.0\.0\.[12]$/ { print $1, $4, $5 }' \
	>"$WORK/heard2"
grep -qx '0 580,730 -' "$WORK/heard2" ||
	fail "phase 2: lg0 (muted) should still hear: $(cat "$WORK/heard2")"
[ "$(grep -c ' 430$' "$WORK/heard2")" = 7 ] ||
	fail "phase 2: the others should miss 430 alone: $(cat "$WORK/heard2")"
kill -USR1 "$LG_PID"
live_all() { grep -q '^LIVE .*legs=8 live=8 dead=0' "$WORK/lg2.out"; }
wait_for 10 live_all || { cat "$WORK/lg2.out"; fail "no LIVE line, or dead legs"; }
kill -TERM "$LG_PID"
rc=0
wait "$LG_PID" || rc=$?
[ "$rc" = 1 ] || fail "the tool exited $rc after a failed check, want 1"
stop_caucusd
log PASS
