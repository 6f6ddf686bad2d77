#!/bin/bash
# The soak's short form (bench/soak.sh, make soak for the hour): 60
# callers joining and leaving over four conferences for 40 s while the
# policies and users are edited, caucusd killed with SIGKILL at 20 s and
# started again on its store. Every conference, policy and user must be
# back, the callers in again at once, no call may fail, RSS must not
# grow, and (in a SAN=1 build) the sanitizers must say nothing at exit.
. "$(dirname "$0")/lib.sh"
if ! SOAK_EDIT_S=2 bash "$SRC/bench/soak.sh" "$BIN" 40 60 \
	>"$WORK/soak.txt" 2>&1; then
	cat "$WORK/soak.txt"
	fail "the soak failed"
fi
cat "$WORK/soak.txt"
grep -q '^soak: PASS' "$WORK/soak.txt" || fail "no PASS line"
grep -q 'state after it: same' "$WORK/soak.txt" || fail "no state check"
grep -q '^rejoined after the restart in: [0-9]' "$WORK/soak.txt" ||
	fail "no rejoin"
log PASS
