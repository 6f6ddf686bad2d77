#!/bin/bash
# The web console in Debian's chromium driven by Playwright (playwright-
# core from tests/browser/package-lock.json): sign in with the API token,
# create a conference, see a sipp participant appear live, mute it, send a
# message, lower a raised hand, announce, record and download, let a caller
# in from the PIN lobby. Screenshots go to
# BUILD/test-output/console/.
. "$(dirname "$0")/lib.sh"
# node, chromium and playwright-core (lib.sh)
browser_deps

TOKEN=console-test-token-0123456789
# the PIN lobby caller keys nothing: the page lets it in well before this
start_caucusd --admin-token "$TOKEN" --pin-timeout-s 120
shots="$BIN/test-output/console"
rm -rf "$shots"
mkdir -p "$shots"
sipp_cmd="sipp -sf $SCEN/uac_wait_bye.xml -s standup -key who zoe \
-i 127.0.0.1 -p $(free_port) -mp $(free_media_port) -m 1 -timeout 60s -nostdin \
127.0.0.1:$SIP_PORT >$WORK/zoe.out 2>&1"
sipp_cmd2="sipp -sf $SCEN/uac_wait_bye.xml -s standup -key who yan \
-i 127.0.0.1 -p $(free_port) -mp $(free_media_port) -m 1 -timeout 60s -nostdin \
127.0.0.1:$SIP_PORT >$WORK/yan.out 2>&1"
sipp_cmd3="sipp -sf $SCEN/uac_wait_bye.xml -s standup -key who lia \
-i 127.0.0.1 -p $(free_port) -mp $(free_media_port) -m 1 -timeout 60s -nostdin \
127.0.0.1:$SIP_PORT >$WORK/lia.out 2>&1"
# a caller who talks (a tone), for the talking indicator
baresip_conf "$WORK/bs-tom" tom
"$BIN/tonegen" "$WORK/bs-tom/tone.wav" 500 40 8000 0.3
echo "<sip:tom@127.0.0.1>;regint=0;audio_codecs=PCMU" >"$WORK/bs-tom/accounts"
# started half a minute later by the page test: its ports are picked then
cat >"$WORK/bs-tom/start.sh" <<EOF
. "$SRC/scripts/ports.sh"
baresip_ports "$WORK/bs-tom/config" || exit 1
exec baresip -f "$WORK/bs-tom" -e "/dial sip:standup@127.0.0.1:$SIP_PORT" \\
	-t 30 >"$WORK/bs-tom/baresip.log" 2>&1
EOF
bs_cmd="bash $WORK/bs-tom/start.sh"
NODE_PATH="$deps/node_modules" CAUCUS_URL="$API" SHOTS="$shots" TOKEN="$TOKEN" \
	CHROMIUM="$CHROME" SIPP_CMD="$sipp_cmd" SIPP_CMD2="$sipp_cmd2" \
	SIPP_CMD3="$sipp_cmd3" \
	BARESIP_CMD="$bs_cmd" \
	node "$SRC/tests/browser/console.cjs" || {
	for f in "$WORK"/*.out; do      # the sipp callers' side
		[ -s "$f" ] || continue
		echo "---- ${f#"$WORK"/} (last 10 lines) ----"
		tail -n 10 "$f"
	done
	fail "browser test failed"
}
ls "$shots"/*.png >/dev/null || fail "no screenshots"
log "screenshots in $shots"
stop_caucusd
log PASS
