#!/bin/bash
# The console is served wherever caucusd is started from: without
# web_root it is found beside the executable (the checkout's web/ for a
# build folder; PREFIX/share/caucus/web when installed, test_install).
# A caucusd with no console anywhere near says so in one log line and
# answers 404 at /, and the API works all the same.
. "$(dirname "$0")/lib.sh"

cd /                     # anywhere but the checkout
start_caucusd --web-root ""
page=$(curl -s -w '%{http_code}' -o "$WORK/index.html" "$API/")
[ "$page" = 200 ] || fail "GET / from / answered $page"
cmp -s "$WORK/index.html" "$SRC/web/index.html" ||
	fail "GET / is not the checkout's web/index.html"
stop_caucusd

# the same binary where no console is beside it
mkdir -p "$WORK/alone/bin"
cp "$BIN/caucusd" "$WORK/alone/bin/caucusd"
port=$(free_port)
rtp=$(( 61000 + (RANDOM % 9) * 400 ))
"$WORK/alone/bin/caucusd" --sip-port "$(free_port)" --http-port "$port" \
	--bfcp-port "$(free_port)" \
	--db "$WORK/alone/caucus.db" --rtp-port-min "$rtp" \
	--rtp-port-max $((rtp + 398)) >"$WORK/alone.log" 2>&1 &
alone=$!
CHILDREN="$CHILDREN $alone"
up() { curl -sf "http://127.0.0.1:$port/v1/openapi.json" >/dev/null; }
wait_for 10 up || { cat "$WORK/alone.log"; fail "caucusd alone did not start"; }
n=$(grep -c 'no web console' "$WORK/alone.log")
[ "$n" = 1 ] || { cat "$WORK/alone.log"; fail "$n log lines about the console, want 1"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[ "$code" = 404 ] || fail "GET / without a console answered $code"
kill -TERM "$alone"
wait "$alone" || fail "caucusd alone exited $?"
log PASS
