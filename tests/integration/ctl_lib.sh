# shellcheck shell=bash
# For the caucusctl tests (test_caucusctl, test_caucusctl_more), after
# start_caucusd: ctl ARGS... runs tools/caucusctl against the caucusd
# under test, its output in $WORK/ctl.out and ctl.err, its exit code in
# RC; want RC TEXT fails the test unless it exited RC and said TEXT.
CTL="$SRC/tools/caucusctl"
export CAUCUS_URL="$API"
ctl() { RC=0; "$CTL" "$@" >"$WORK/ctl.out" 2>"$WORK/ctl.err" || RC=$?; }
want() { # RC and a text the output must hold
	[ "$RC" = "$1" ] || fail "caucusctl ${*:3}: exit $RC, want $1: $(cat "$WORK/ctl.out" "$WORK/ctl.err")"
	[ -z "$2" ] || grep -q -- "$2" "$WORK/ctl.out" "$WORK/ctl.err" ||
		fail "no '$2' in: $(cat "$WORK/ctl.out" "$WORK/ctl.err")"
}
