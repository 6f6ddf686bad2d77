# Shared by the integration tests: start the real caucusd on free ports in
# a scratch folder, talk to its API, and stop it (checking it exits 0 and
# that AddressSanitizer, when built in, found nothing).
#
# Each test sources this file with BIN (the build folder) and SRC (the
# source tree) in its environment, set by ctest.
set -eu

: "${BIN:?BIN must point at the build folder}"
: "${SRC:?SRC must point at the source tree}"
SCEN="$SRC/tests/integration/scenarios"
WORK=$(mktemp -d /tmp/caucus-it.XXXXXX)
CAUCUSD_PID=""
CHILDREN=""

log() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*"; }
fail() {
	log "FAIL: $*"
	if [ -f "$WORK/caucusd.log" ]; then
		echo "---- caucusd.log (last 40 lines) ----"
		tail -n 40 "$WORK/caucusd.log"
	fi
	local f     # the clients' side of it (why a baresip hung up)
	for f in "$WORK"/*/baresip.log; do
		[ -f "$f" ] || continue
		echo "---- ${f#"$WORK"/} (last 15 lines) ----"
		tr '\r' '\n' <"$f" | grep -v '^\[[0-9:]*\] audio=' | tail -n 15
	done
	for f in "$WORK"/*.err; do    # sipp's error files, and others'
		[ -s "$f" ] || continue
		echo "---- ${f#"$WORK"/} (last 8 lines) ----"
		tail -n 8 "$f"
	done
	exit 1
}

cleanup() {
	for p in $CHILDREN; do kill "$p" 2>/dev/null || true; done
	[ -n "$CAUCUSD_PID" ] && kill -9 "$CAUCUSD_PID" 2>/dev/null || true
	if [ "${KEEP_WORK:-0}" = 1 ]; then
		log "work folder kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

. "$SRC/scripts/ports.sh"

# start_caucusd [extra flags...]: sets SIP_PORT, HTTP_PORT, RTP_MIN, API
# (API_SCHEME=https for an API over TLS: give curl the CA in
# CURL_CA_BUNDLE).
# CAUCUS_RTP_SOCKETS in the environment (per-call, per-thread) is passed
# on as --rtp-sockets: ctest runs some tests both ways.
# The tests' own address, 127.0.0.1, is exempt from the per-source limits
# (a test makes more requests, and more refusals, in a second than any
# phone); the flood tests attack from 127.0.0.2 and up, which are not, or
# pass --limits-exempt "" to take the exemption away.
# Ports are picked free but can be taken before caucusd binds them (another
# test runs alongside), so a start that cannot listen is tried again.
start_caucusd() {
	local fixed_sip=${SIP_PORT:-} fixed_http=${HTTP_PORT:-} try
	for try in 1 2 3 4 5; do
		SIP_PORT=${fixed_sip:-$(free_port)}
		HTTP_PORT=${fixed_http:-$(free_port)}
		# RTP above the ephemeral range too: 61000-64999 in blocks
		RTP_MIN=$(( 61000 + (RANDOM % 9) * 400 ))
		API="${API_SCHEME:-http}://127.0.0.1:$HTTP_PORT"
		"$BIN/caucusd" --sip-port "$SIP_PORT" --http-port "$HTTP_PORT" \
			--db "$WORK/var/caucus.db" --demo demo \
			--rtp-port-min "$RTP_MIN" --rtp-port-max $((RTP_MIN + 398)) \
			--web-root "$SRC/web" --log-level debug --shutdown-ms 3000 \
			--limits-exempt 127.0.0.1/32 \
			--bfcp-port "${BFCP_PORT:-$(free_port)}" \
			${CAUCUS_RTP_SOCKETS:+--rtp-sockets "$CAUCUS_RTP_SOCKETS"} \
			"$@" >>"$WORK/caucusd.log" 2>&1 &
		CAUCUSD_PID=$!
		for _ in $(seq 1 100); do
			# the API description answers with or without a token
			if curl -sf "$API/v1/openapi.json" >/dev/null 2>&1; then
				log "caucusd pid $CAUCUSD_PID sip $SIP_PORT" \
					"http $HTTP_PORT rtp $RTP_MIN" \
					"${CAUCUS_RTP_SOCKETS:-}"
				[ "${CAUCUS_PROMPTS:-0}" = 1 ] || quiet_room demo
				return 0
			fi
			kill -0 "$CAUCUSD_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$CAUCUSD_PID" 2>/dev/null; then
			fail "caucusd did not answer on $API"
		fi
		wait "$CAUCUSD_PID" 2>/dev/null || true
		CAUCUSD_PID=""
		grep -q 'cannot listen' "$WORK/caucusd.log" ||
			fail "caucusd died at start"
		log "port taken, starting again ($try)"
	done
	fail "caucusd could not find free ports"
}

# part_of CONF USER: the participant of CONF whose URI is sip:USER@...,
# as compact JSON (nothing when there is none; json_field reads it)
part_of() {
	get "/v1/conferences/$1/participants" | python3 -c "import json, sys
for p in json.load(sys.stdin)['participants']:
    if p['uri'].startswith('sip:' + sys.argv[1] + '@'):
        print(json.dumps(p, separators=(',', ':')))" "$2"
}

# quiet_room CONF: the conference's built-in announcements off (entry
# and exit tones, "you are the only participant", "please wait", the
# recording's): tests that measure what callers hear must hear the room
# alone. start_caucusd does it for demo unless CAUCUS_PROMPTS=1 (the
# applications' tests say what they want themselves); best effort (a
# server with a token refuses it, and its tests do not measure audio).
quiet_room() {
	curl -s -o /dev/null -X PATCH -H 'Content-Type: application/json' \
		${API_TOKEN:+-H "Authorization: Bearer $API_TOKEN"} \
		--data-binary '{"announcements":{"entry":"off","exit":"off","only_participant":false,"wait_moderator":false,"recording":false}}' \
		"$API/v1/conferences/$1/policy" || true
}

# stop_caucusd: SIGTERM, expect exit 0 and a clean sanitizer log
stop_caucusd() {
	local rc=0
	kill -TERM "$CAUCUSD_PID"
	wait "$CAUCUSD_PID" || rc=$?
	CAUCUSD_PID=""
	[ "$rc" -eq 0 ] || fail "caucusd exited $rc after SIGTERM"
	check_log_clean
}

check_log_clean() {
	if grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer' \
		"$WORK/caucusd.log"; then
		fail "sanitizer report in caucusd.log"
	fi
}

alive() {
	kill -0 "$CAUCUSD_PID" 2>/dev/null || fail "caucusd is not running"
}

# api METHOD PATH [JSON]: sets BODY and STATUS (in this shell, so call it
# plainly, not inside $(...)); API_TOKEN=T api ... sends that bearer token
api() {
	local out auth=()
	out=$(mktemp "$WORK/api.XXXXXX")
	[ -n "${API_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $API_TOKEN")
	if [ $# -ge 3 ]; then
		STATUS=$(curl -s -o "$out" -w '%{http_code}' -X "$1" \
			"${auth[@]}" -H 'Content-Type: application/json' \
			--data-binary "$3" "$API$2") || true
	else
		STATUS=$(curl -s -o "$out" -w '%{http_code}' -X "$1" \
			"${auth[@]}" "$API$2") || true
	fi
	# 000: no HTTP answer at all (refused, reset); expect_status says so
	BODY=$(cat "$out")
	rm -f "$out"
}

# get PATH: prints the body of a GET (for use inside $(...))
get() { curl -s "$API$1"; }

expect_status() {
	[ "$STATUS" = "$1" ] || fail "$2: HTTP $STATUS, want $1"
}

# json_field JSON KEY: the first value of "KEY" (string, number or bool)
json_field() {
	printf '%s' "$1" | grep -o "\"$2\":\(\"[^\"]*\"\|[^,}]*\)" | head -n1 |
		sed -e "s/^\"$2\"://" -e 's/^"//' -e 's/"$//'
}

count_status() { # JSON STATUS: how many participants have that status
	printf '%s' "$1" | grep -o "\"status\":\"$2\"" | wc -l
}

# connected_count_is CONF N: exactly N participants of CONF are connected
connected_count_is() {
	[ "$(count_status "$(get "/v1/conferences/$1")" connected)" = "$2" ]
}

# wait_connected SECONDS CONF N [WHAT]: until exactly N participants of
# CONF are connected; else fails saying WHAT, how many are, and the roster
wait_connected() {
	wait_for "$1" connected_count_is "$2" "$3" && return 0
	local body
	body=$(get "/v1/conferences/$2")
	fail "${4:-participants did not connect}:" \
		"$(count_status "$body" connected) connected in $2 after $1 s," \
		"want $3: $body"
}

# conference_gone CONF: the API answers 404 for CONF (destroyed)
conference_gone() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' \
		"$API/v1/conferences/$1")" = 404 ]
}

# pid_of USER: the participant id of sip:USER@... in $BODY (a conference)
pid_of() {
	printf '%s' "$BODY" |
		grep -o "\"id\":\"[0-9]*\",\"uri\":\"sip:$1@[^\"]*\"" |
		cut -d'"' -f4
}

# wait_for SECONDS COMMAND...: runs COMMAND until it succeeds
wait_for() {
	local t=$1
	shift
	local end=$(( $(date +%s%N) / 1000000 + t * 1000 ))
	while [ $(( $(date +%s%N) / 1000000 )) -lt $end ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

# sipp_run NAME SCENARIO [sipp args...]: runs sipp to completion in WORK,
# fails the test when sipp reports a failed call
sipp_run() {
	local name=$1 scen=$2
	shift 2
	local lport
	lport=$(free_port)
	if ! sipp -sf "$SCEN/$scen" -i 127.0.0.1 -p "$lport" -m 1 \
		-mp "$(free_media_port)" \
		-timeout 30s -nostdin -trace_err -trace_msg \
		-error_file "$WORK/$name.err" -message_file "$WORK/$name.msg" \
		-key conf_port "$SIP_PORT" "$@" \
		127.0.0.1:"$SIP_PORT" >"$WORK/$name.out" 2>&1; then
		echo "---- sipp $name messages ----"
		tail -n 60 "$WORK/$name.msg" 2>/dev/null || true
		tail -n 20 "$WORK/$name.err" 2>/dev/null || true
		fail "sipp $name ($scen) failed"
	fi
	log "sipp $name ok"
}

# sipp_bg NAME SCENARIO [args...]: same, in the background; PID in SIPP_PID
sipp_bg() {
	local name=$1 scen=$2
	shift 2
	local lport=${LPORT:-$(free_port)}
	sipp -sf "$SCEN/$scen" -i 127.0.0.1 -p "$lport" -m 1 -timeout 60s \
		-mp "$(free_media_port)" \
		-nostdin -trace_err -trace_msg -error_file "$WORK/$name.err" \
		-message_file "$WORK/$name.msg" -key conf_port "$SIP_PORT" \
		"$@" 127.0.0.1:"$SIP_PORT" >"$WORK/$name.out" 2>&1 &
	SIPP_PID=$!
	CHILDREN="$CHILDREN $SIPP_PID"
}

# sipp_wait PID NAME: waits for a background sipp, fails if it failed
sipp_wait() {
	local rc=0
	wait "$1" || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$WORK/$2.msg" 2>/dev/null || true
		fail "sipp $2 exited $rc"
	fi
	log "sipp $2 ok"
}

# baresip_conf DIR NAME [LINE...]: a baresip config folder for a client
# that plays DIR/tone.wav (make it with tonegen) and sends what it hears
# to the aubridge device play-NAME, on free ports; extra config lines
# (modules, settings) follow. The accounts file is the caller's.
# (BS_CODECS: more modules the accounts name, codecs, e.g. "g722.so
# opus.so", or a media encryption, "srtp.so": they must load before the
# account module reads the accounts' audio_codecs and mediaenc)
baresip_conf() {
	local d=$1 n=$2 rtp m extra=()
	shift 2
	rtp=$(free_port)
	mkdir -p "$d"
	for m in ${BS_CODECS:-}; do extra+=("module $m"); done
	printf '%s\n' "poll_method epoll" "net_interface 127.0.0.1" \
		"sip_listen 127.0.0.1:$(free_port)" \
		"audio_source aufile,$d/tone.wav" \
		"audio_player aubridge,play-$n" \
		"module_path /usr/lib/baresip/modules" "module g711.so" \
		"${extra[@]}" \
		"module account.so" "module aufile.so" "module aubridge.so" \
		"module_app menu.so" "rtp_ports $rtp-$((rtp + 19))" "$@" \
		>"$d/config"
}

# recordings_closed PID...: none of these baresip processes holds a
# recording (its sndfile dump-*.wav) open; one that has exited holds none
recordings_closed() {
	local p
	for p in "$@"; do
		if ls -l "/proc/$p/fd" 2>/dev/null | grep -q '/dump-[^/]*\.wav$'
		then
			return 1
		fi
	done
}

# baresip_finish PID...: hang up everyone (stop_caucusd: the BYEs end the
# calls, and baresip closes a call's recordings, finishing their WAV
# headers, when the call ends), wait until the files are closed, then end
# the clients
baresip_finish() {
	local p
	stop_caucusd
	wait_for 10 recordings_closed "$@" ||
		fail "baresip still records 10 s after the BYEs"
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	wait "$@" 2>/dev/null || true
}

# recording DIR: the WAV a baresip client made there of what it heard
recording() { ls "$1"/dump-*-dec.wav 2>/dev/null | head -n1; }

# baresip_caller DIR NAME CONF CODEC TONE_HZ RATE [LINE...]: a baresip
# client in DIR (baresip_conf, extra config lines after) that calls
# sip:CONF with one codec, in baresip's words (PCMU, G722/16000/1,
# opus/48000/2), and sends a 40 s tone of TONE_HZ made at RATE (its file
# source does not resample; its Opus is two channels, so the file is made
# so too). Started in the background, its pid added to BS_PIDS and
# CHILDREN; it hangs up after BS_SECONDS (30).
baresip_caller() {
	local d=$1 n=$2 conf=$3 codec=$4 tone=$5 rate=$6
	shift 6
	baresip_conf "$d" "$n" "module sndfile.so" "snd_path $d" "$@"
	"$BIN/tonegen" "$d/tone.wav" "$tone" 40 "$rate" 0.3
	case $codec in opus*) wav_stereo "$d/tone.wav" ;; esac
	echo "<sip:$n@127.0.0.1>;regint=0;audio_codecs=$codec" >"$d/accounts"
	baresip -f "$d" -e "/dial sip:$conf@127.0.0.1:$SIP_PORT" \
		-t "${BS_SECONDS:-30}" >"$d/baresip.log" 2>&1 &
	BS_PIDS="$BS_PIDS $!"
	CHILDREN="$CHILDREN $!"
}

# wav_stereo FILE: a mono WAV made two-channel in place (baresip's Opus
# is two channels and its file source does not convert)
wav_stereo() {
	python3 - "$1" <<'PY'
import sys, wave
w = wave.open(sys.argv[1]); p = w.getparams(); f = w.readframes(p.nframes); w.close()
o = wave.open(sys.argv[1], "wb"); o.setnchannels(2); o.setsampwidth(2)
o.setframerate(p.framerate)
o.writeframes(b"".join(f[i:i + 2] * 2 for i in range(0, len(f), 2))); o.close()
PY
}

# wav_mono IN OUT: the first channel of a WAV (a stereo Opus recording)
wav_mono() {
	python3 - "$1" "$2" <<'PY'
import sys, wave
w = wave.open(sys.argv[1]); p = w.getparams(); f = w.readframes(p.nframes)
o = wave.open(sys.argv[2], "wb"); o.setnchannels(1); o.setsampwidth(2)
o.setframerate(p.framerate)
step = 2 * p.nchannels
o.writeframes(b"".join(f[i:i + 2] for i in range(0, len(f), step))); o.close()
PY
}

# tone_check WAV ARGS...: tools/tonecheck over a recording from 2 s in
# (every client joined, the buffers filled) to 0.5 s before its end, on
# its first channel
tone_check() {
	local f=$1 m len
	shift
	m="${f%.wav}-mono.wav"
	wav_mono "$f" "$m"
	len=$(python3 -c "import wave,sys; w=wave.open(sys.argv[1]); print(w.getnframes()/w.getframerate())" "$m")
	"$BIN/tonecheck" "$m" --from 2 \
		--to "$(awk -v l="$len" 'BEGIN{print l-0.5}')" "$@"
}

# wait_udp PORT: until something listens on UDP PORT (a sipp UAS that was
# just started), at most 5 s
udp_listening() { ss -Hlnu "sport = :$1" | grep -q .; }
wait_udp() {
	wait_for 5 udp_listening "$1" || fail "nothing listens on UDP $1"
}
