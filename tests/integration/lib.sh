# Shared by the integration tests: start the real caucusd on free ports in
# a scratch folder, talk to its API, and stop it (checking it exits 0 and
# that AddressSanitizer, when built in, found nothing).
#
# Each test sources this file with BIN (the build folder) and SRC (the
# source tree) in its environment, set by ctest.
set -eu
# Debian's own tools first (scripts/deps.sh installs them there): a
# python3 shim of pyenv or of a virtualenv ahead of /usr/bin starts ten
# times slower (0.34 s against 0.03 s on a 2-core runner, hundreds of
# times a run) and lacks the Debian packages' modules
case ":$PATH:" in
:/usr/bin:*) ;;
*) PATH="/usr/bin:/bin:$PATH" ;;
esac

: "${BIN:?BIN must point at the build folder}"
: "${SRC:?SRC must point at the source tree}"
SCEN="$SRC/tests/integration/scenarios"
WORK=$(mktemp -d /tmp/caucus-it.XXXXXX)
CAUCUSD_PID=""
CHILDREN=""
# the media-server split (CAUCUS_SPLIT=1, start_caucusd): the mixer
# process's address, pid and SIP port
MIXER_ADDR=127.0.0.2
MIXER_PID=""
MIXER_SIP_PORT=""
export MIXER_PID MIXER_SIP_PORT

log() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*"; }
fail() {
	log "FAIL: $*"
	if [ -f "$WORK/caucusd.log" ]; then
		echo "---- caucusd.log (last 40 lines) ----"
		tail -n 40 "$WORK/caucusd.log"
	fi
	if [ -f "$WORK/mixer.log" ]; then
		echo "---- mixer.log (last 30 lines) ----"
		tail -n 30 "$WORK/mixer.log"
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
	[ -n "$MIXER_PID" ] && kill -9 "$MIXER_PID" 2>/dev/null || true
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
# CAUCUS_SPLIT=1: the media-server split (docs/mscp.md): a mixer process
# first (start_mixer), then caucusd as its focus (--role focus --mixers),
# ready once the focus has the mixer up (wait_mixer_up); stop_caucusd
# stops both.
start_caucusd() {
	local fixed_sip=${SIP_PORT:-} fixed_http=${HTTP_PORT:-} try
	local split=()
	if [ "${CAUCUS_SPLIT:-0}" = 1 ]; then
		start_mixer
		split=(--role focus --mixers "$MIXER_ADDR:$MIXER_SIP_PORT")
	fi
	for try in 1 2 3 4 5; do
		SIP_PORT=${fixed_sip:-$(free_port)}
		HTTP_PORT=${fixed_http:-$(free_port)}
		# RTP above the ephemeral range too: 61000-64999 in blocks
		RTP_MIN=$(( 61000 + (RANDOM % 9) * 400 ))
		API="${API_SCHEME:-http}://127.0.0.1:$HTTP_PORT"
		"$BIN/caucusd" "${split[@]}" \
			--sip-port "$SIP_PORT" --http-port "$HTTP_PORT" \
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
					"${CAUCUS_RTP_SOCKETS:-}" "${split[*]}"
				[ ${#split[@]} = 0 ] || wait_mixer_up
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

# mixer_ready N0: the mixer has logged its ready line more than N0 times;
# mixer_started N0: that, or the mixer is gone (nothing more to wait for)
mixer_ready() {
	[ "$(grep -c 'msg="ready" role=mixer' "$WORK/mixer.log")" -gt "$1" ]
}
mixer_started() { mixer_ready "$1" || ! kill -0 "$MIXER_PID" 2>/dev/null; }

# start_mixer: a caucusd --role mixer on $MIXER_ADDR (SIP and RTP) taking
# INVITEs from 127.0.0.1 (the focus), logging to $WORK/mixer.log; ready
# once it logs so. Its ports are picked the first time and kept: a
# restart (after kill_mixer) is on the same ones. CAUCUS_MIXER_ARGS: more
# flags. Sets MIXER_PID, MIXER_SIP_PORT, MIXER_RTP_MIN.
start_mixer() {
	local fixed=${MIXER_SIP_PORT:-} try n0
	for try in 1 2 3 4 5; do
		MIXER_SIP_PORT=${fixed:-$(free_port)}
		# (a block of 61000-64999 apart from the focus's, whatever
		# its RTP_MIN will be: this one is on another address)
		MIXER_RTP_MIN=${MIXER_RTP_MIN:-$(( 61000 + (RANDOM % 9) * 400 ))}
		touch "$WORK/mixer.log"
		n0=$(grep -c 'msg="ready" role=mixer' "$WORK/mixer.log" || true)
		# shellcheck disable=SC2086
		"$BIN/caucusd" --role mixer --sip-addr "$MIXER_ADDR" \
			--sip-port "$MIXER_SIP_PORT" --focus-allow 127.0.0.1 \
			--rtp-port-min "$MIXER_RTP_MIN" \
			--rtp-port-max $((MIXER_RTP_MIN + 398)) \
			--log-level debug --shutdown-ms 3000 \
			${CAUCUS_RTP_SOCKETS:+--rtp-sockets "$CAUCUS_RTP_SOCKETS"} \
			${CAUCUS_MIXER_ARGS:-} >>"$WORK/mixer.log" 2>&1 &
		MIXER_PID=$!
		export MIXER_PID MIXER_SIP_PORT
		wait_for 5 mixer_started "$n0"
		if mixer_ready "$n0"; then
			log "mixer pid $MIXER_PID sip" \
				"$MIXER_ADDR:$MIXER_SIP_PORT rtp $MIXER_RTP_MIN"
			return 0
		fi
		kill -0 "$MIXER_PID" 2>/dev/null &&
			fail "the mixer did not say it is ready"
		wait "$MIXER_PID" 2>/dev/null || true
		MIXER_PID=""
		grep -q 'cannot listen' "$WORK/mixer.log" ||
			fail "the mixer died at start"
		[ -z "$fixed" ] || fail "the mixer cannot listen on its ports"
		MIXER_RTP_MIN=""
		log "mixer port taken, starting again ($try)"
	done
	fail "the mixer could not find free ports"
}

# mixers_up [N]: the focus's /v1/status lists its mixers, each "up" with
# at least N (1) media connections ready; a status without the list
# (an older focus) counts the log's msg="mixer up" lines instead
mixers_up() {
	curl -sf "$API/v1/status" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = d.get("mixers")
if m is None:
    sys.exit(2)
if isinstance(m, dict):
    m = list(m.values())
need = int(sys.argv[1])
sys.exit(0 if m and all(x.get("state") == "up" and
                        int(x.get("ready", 0)) >= need for x in m) else 1)
' "${1:-1}"
	case $? in
	0) return 0 ;;
	2) grep -q 'msg="mixer up"' "$WORK/caucusd.log" ;;
	*) return 1 ;;
	esac
}

# mixers_down: the focus's /v1/status lists no mixer "up"
mixers_down() {
	curl -sf "$API/v1/status" | python3 -c '
import json, sys
m = json.load(sys.stdin).get("mixers")
if isinstance(m, dict):
    m = list(m.values())
sys.exit(0 if m and all(x.get("state") != "up" for x in m) else 1)
'
}

# wait_mixer_up: until the focus has every mixer up with its pool of
# media connections ready (16: mixer_pool's default; SPLIT_READY), at
# most 20 s
wait_mixer_up() {
	wait_for 20 mixers_up "${SPLIT_READY:-16}" ||
		fail "the focus does not report its mixer up: $(curl -s \
			"$API/v1/status")"
	log "the focus has its mixer up"
}

# kill_mixer: kill -9 of the mixer process (what a lost media server
# looks like to the focus)
kill_mixer() {
	kill -9 "$MIXER_PID"
	wait "$MIXER_PID" 2>/dev/null || true
	log "mixer $MIXER_PID killed"
	MIXER_PID=""
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

# stop_caucusd: SIGTERM, expect exit 0 and a clean sanitizer log; in the
# split, the focus first (its BYEs end the mixer's calls), then the mixer
stop_caucusd() {
	local rc=0
	kill -TERM "$CAUCUSD_PID"
	wait "$CAUCUSD_PID" || rc=$?
	CAUCUSD_PID=""
	[ "$rc" -eq 0 ] || fail "caucusd exited $rc after SIGTERM"
	if [ -n "$MIXER_PID" ]; then
		kill -TERM "$MIXER_PID"
		wait "$MIXER_PID" || rc=$?
		MIXER_PID=""
		[ "$rc" -eq 0 ] || fail "the mixer exited $rc after SIGTERM"
	fi
	check_log_clean
}

check_log_clean() {
	local f
	for f in "$WORK/caucusd.log" "$WORK/mixer.log"; do
		[ -f "$f" ] || continue
		if grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer' \
			"$f"; then
			fail "sanitizer report in ${f#"$WORK"/}"
		fi
	done
}

alive() {
	kill -0 "$CAUCUSD_PID" 2>/dev/null || fail "caucusd is not running"
	[ -z "$MIXER_PID" ] || kill -0 "$MIXER_PID" 2>/dev/null ||
		fail "the mixer is not running"
}

# split_skip WHAT: true (and says so) when the test runs as the split
# (CAUCUS_SPLIT=1), which lacks WHAT: the caller skips that part
split_skip() {
	[ "${CAUCUS_SPLIT:-0}" = 1 ] || return 1
	log "SKIP (split: focus and mixer processes): $*"
}

# api METHOD PATH [JSON]: sets BODY and STATUS (in this shell, so call it
# plainly, not inside $(...)); API_TOKEN=T api ... sends that bearer token
api() {
	local out="$WORK/api.$BASHPID" auth=()   # (one file per process)
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
	BODY=$(<"$out")
}

# get PATH: prints the body of a GET (for use inside $(...))
get() { curl -s "$API$1"; }

expect_status() {
	[ "$STATUS" = "$1" ] || fail "$2: HTTP $STATUS, want $1"
}

# json_field JSON KEY: the first value of "KEY" (string, number or bool)
# (these and the other helpers that polls call work in the shell itself)
json_field() {
	local re="\"$2\":(\"[^\"]*\"|[^,}"$'\n'"]*)" v
	[[ $1 =~ $re ]] || return 0
	v=${BASH_REMATCH[1]}
	v=${v#\"}
	printf '%s\n' "${v%\"}"
}

count_status() { # JSON STATUS: how many participants have that status
	local pat="\"status\":\"$2\""
	local rest=${1//"$pat"/}
	echo $(( (${#1} - ${#rest}) / ${#pat} ))
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

# now_ms: the clock in milliseconds, and nap SECONDS: a pause, both
# without a process (the polls below run ten times a second in every
# test, and a fork costs milliseconds of CPU on a small VM)
now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $(( t / 1000 )); }
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ || :; }

# wait_for SECONDS COMMAND...: runs COMMAND until it succeeds
wait_for() {
	local t=$1 now
	shift
	now=${EPOCHREALTIME//[.,]/}
	local end=$(( now / 1000 + t * 1000 ))
	while [ $(( now / 1000 )) -lt $end ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		nap 0.1
		now=${EPOCHREALTIME//[.,]/}
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
	# (-timeout 180s: a caller waiting for caucusd's BYE stays through a
	# long test on a loaded machine, test_caucusctl's 74 s under ctest -j2)
	sipp -sf "$SCEN/$scen" -i 127.0.0.1 -p "$lport" -m 1 -timeout 180s \
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
# to the aubridge device play-NAME, on free ports (baresip_ports, in
# scripts/ports.sh; a client started long after, call it again on
# DIR/config); extra config lines (modules, settings) follow. The
# accounts file is the caller's.
# (BS_CODECS: more modules the accounts name, codecs, e.g. "g722.so
# opus.so", or a media encryption, "srtp.so": they must load before the
# account module reads the accounts' audio_codecs and mediaenc)
baresip_conf() {
	local d=$1 n=$2 m extra=()
	shift 2
	mkdir -p "$d"
	for m in ${BS_CODECS:-}; do extra+=("module $m"); done
	printf '%s\n' "poll_method epoll" "net_interface 127.0.0.1" \
		"sip_listen 127.0.0.1:0" \
		"audio_source aufile,$d/tone.wav" \
		"audio_player aubridge,play-$n" \
		"module_path /usr/lib/baresip/modules" "module g711.so" \
		"${extra[@]}" \
		"module account.so" "module aufile.so" "module aubridge.so" \
		"module_app menu.so" "rtp_ports 0-0" "$@" \
		>"$d/config"
	baresip_ports "$d/config" || fail "no free ports for baresip"
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

# rec_path DIR: sets REC_FILE to the WAV a baresip client made there of
# what it heard ("" while there is none), without a process for the
# polls; recording DIR prints it
rec_path() {
	local f=("$1"/dump-*-dec.wav)
	REC_FILE=""
	[ ! -e "${f[0]}" ] || REC_FILE=${f[0]}
}
recording() {
	rec_path "$1"
	[ -z "$REC_FILE" ] || printf '%s\n' "$REC_FILE"
}

# baresip_caller DIR NAME CONF CODEC TONE_HZ RATE [LINE...]: a baresip
# client in DIR (baresip_conf, extra config lines after) that calls
# sip:CONF with one codec, in baresip's words (PCMU, G722/16000/1,
# opus/48000/2), and sends a 40 s tone of TONE_HZ made at RATE (its file
# source does not resample; its Opus is two channels, so the file is made
# so too). Started in the background, its pid added to BS_PIDS and
# CHILDREN; it hangs up after BS_SECONDS (30). BS_SIP_TRACE=1: its log
# holds every SIP message it sends and gets (baresip -s).
baresip_caller() {
	local d=$1 n=$2 conf=$3 codec=$4 tone=$5 rate=$6
	shift 6
	baresip_conf "$d" "$n" "module sndfile.so" "snd_path $d" "$@"
	"$BIN/tonegen" "$d/tone.wav" "$tone" 40 "$rate" 0.3
	case $codec in opus*) wav_stereo "$d/tone.wav" ;; esac
	echo "<sip:$n@127.0.0.1>;regint=0;audio_codecs=$codec" >"$d/accounts"
	baresip -f "$d" -e "/dial sip:$conf@127.0.0.1:$SIP_PORT" \
		${BS_SIP_TRACE:+-s} \
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

# browser_deps: node and Debian's chromium (CHROME), and playwright-core
# in $BIN/browser-deps (deps), installed once per build tree exactly as
# tests/browser/package-lock.json says; browser tests that run at once
# take turns (flock), so none sees another's half-made install
browser_deps() {
	command -v node >/dev/null ||
		fail "node is missing (scripts/deps.sh installs it)"
	CHROME=$(command -v chromium || true)
	[ -n "$CHROME" ] ||
		fail "chromium is missing (scripts/deps.sh installs it)"
	deps="$BIN/browser-deps"
	(
		flock 9
		cmp -s "$SRC/tests/browser/package-lock.json" \
			"$deps/package-lock.json" 2>/dev/null &&
			[ -d "$deps/node_modules/playwright-core" ] && exit 0
		rm -rf "$deps"
		mkdir -p "$deps"
		cp "$SRC/tests/browser/package.json" \
			"$SRC/tests/browser/package-lock.json" "$deps/"
		(cd "$deps" && npm ci --no-audit --no-fund) \
			>"$WORK/npm.out" 2>&1 || { cat "$WORK/npm.out"; exit 1; }
	) 9>"$BIN/browser-deps.lock" || fail "npm ci failed"
}
