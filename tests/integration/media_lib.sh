# Helpers for the tests that measure what the mixer does to levels
# (test_media_gain, test_media_listener, test_media_hold), and for any
# test that times its phases by what its baresip clients record. Sourced
# after lib.sh, which gives WORK, BIN, SIP_PORT, CHILDREN and
# baresip_conf.
#
# Phases are timed by the audio itself, not by the clock: a baresip
# client's recording (its sndfile dump, written as it decodes) grows by
# 16 000 bytes per second of PCMU, so "the listener has heard 3 s more"
# is an event to wait for, and the file's length when the API changed
# something is where that change starts in the recording. (Other codecs
# record at other rates: rec_rate reads it from the WAV header.)

# pcmu_caller DIR NAME CONF TONE_HZ AMPLITUDE: a baresip client that calls
# sip:CONF with PCMU, sends a 40 s tone at that amplitude (0..1; lib.sh's
# baresip_caller always sends 0.3, too loud to raise by 6 dB without the
# limiter bending it) and records what it hears. Pid added to BS_PIDS and
# CHILDREN.
pcmu_caller() {
	local d=$1 n=$2 conf=$3 tone=$4 amp=$5
	baresip_conf "$d" "$n" "module sndfile.so" "snd_path $d" \
		"audio_alert aubridge,alert-$n"
	"$BIN/tonegen" "$d/tone.wav" "$tone" 40 8000 "$amp"
	echo "<sip:$n@127.0.0.1>;regint=0;audio_codecs=PCMU" >"$d/accounts"
	baresip -f "$d" -e "/dial sip:$conf@127.0.0.1:$SIP_PORT" \
		-t "${BS_SECONDS:-40}" >"$d/baresip.log" 2>&1 &
	BS_PIDS="$BS_PIDS $!"
	CHILDREN="$CHILDREN $!"
}

# rec_bytes DIR: the size of the client's recording so far (0: none yet)
rec_bytes() {
	rec_path "$1"
	[ -n "$REC_FILE" ] && stat -c %s "$REC_FILE" || echo 0
}

# secs_ms SECONDS: a decimal number of seconds (3, 0.8, 1.25) in ms,
# in the shell's own arithmetic
secs_ms() {
	local i=${1%%.*} f=000
	[ "$i" != "$1" ] && f="${1#*.}000"
	echo $(( 10#${i:-0} * 1000 + 10#${f:0:3} ))
}

# rec_grown DIR FROM_BYTES SECONDS: true once the recording holds SECONDS
# of 8 kHz 16-bit mono audio beyond FROM_BYTES
rec_grown() {
	[ "$(rec_bytes "$1")" -ge $(( $2 + $(secs_ms "$3") * 16 )) ]
}

# wait_heard DIR FROM_BYTES SECONDS: waits (at most SECONDS + 10 s) until
# the client has recorded SECONDS more, failing the test otherwise
wait_heard() {
	wait_for $(( ${3%.*} + 10 )) rec_grown "$1" "$2" "$3" ||
		fail "$1 recorded nothing more for ${3} s"
}

# rec_offset WAV: the byte offset of the samples in a finished recording
rec_offset() {
	python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read(4096)
print(b.index(b"data") + 8)
PY
}

# rec_window WAV FROM_BYTES TO_BYTES SKIP_S [OFFSET]: tonecheck's
# --from/--to for the audio recorded between two marks, without the first
# SKIP_S seconds (the change travelling through the mixer and baresip's
# jitter buffer) and the last 0.1 s; OFFSET: rec_offset's, if known
rec_window() {
	awk -v o="${5:-$(rec_offset "$1")}" -v a="$2" -v b="$3" -v k="$4" 'BEGIN {
		printf "--from %.3f --to %.3f", (a - o) / 16000 + k,
			(b - o) / 16000 - 0.1 }'
}

# tone_level WAV WINDOW FREQ: the tone's level in dBFS in that window
# (tonecheck's FFT; a tone nobody sends measures far below -60)
tone_level() {
	# shellcheck disable=SC2086
	"$BIN/tonecheck" "$1" $2 --expect "$3" |
		awk '$1 == "expect" { print $4 }'
}

# near GOT WANT TOL: true when |GOT - WANT| <= TOL (dB)
near() {
	awk -v g="$1" -v w="$2" -v t="$3" \
		'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= t) }'
}

# json_num JSON KEY: the first number after "KEY": (within media too)
json_num() {
	local re="\"$2\":(-?[0-9.]*)"
	[[ $1 =~ $re ]] || return 0
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# rec_rate DIR: bytes per second of the client's recording, from its WAV
# header (16 000 for PCMU and PCMA, 32 000 for G.722, 192 000 for
# baresip's two-channel Opus at 48 kHz); 0 while there is none
rec_rate() {
	local f r=""
	f=$(recording "$1")
	[ -n "$f" ] && r=$(od -An -t u4 -j 28 -N 4 "$f" 2>/dev/null | tr -d ' ')
	echo "${r:-0}"
}

# rec_has DIR FROM_BYTES SECONDS: true once the recording holds SECONDS
# of audio beyond FROM_BYTES at its own rate (rec_grown for any codec)
rec_has() {
	local r
	r=$(rec_rate "$1")
	[ "$r" -gt 0 ] && [ "$(rec_bytes "$1")" -ge $(( $2 + $(awk \
		-v s="$3" -v r="$r" 'BEGIN { printf "%.0f", s * r }') )) ]
}

# wait_all_heard SECONDS DIR...: from where each client's recording is
# now (nothing yet counts as 0), waits until every one has recorded
# SECONDS more at its own rate, at most SECONDS + 10 s for each, failing
# the test otherwise
wait_all_heard() {
	local s=$1 d
	shift
	local -A from
	for d in "$@"; do from[$d]=$(rec_bytes "$d"); done
	for d in "$@"; do
		wait_for $(( ${s%.*} + 10 )) rec_has "$d" "${from[$d]}" "$s" ||
			fail "$d recorded $(rec_bytes "$d") bytes, not $s s" \
				"more than ${from[$d]}"
	done
}

# rec_db DIR FROM_BYTES TO_BYTES: the RMS level in dBFS of what a client
# recorded between two of its marks (rec_bytes), read while it still
# records (the WAV header is only finished when the call ends)
rec_db() {
	python3 - "$(recording "$1")" "$2" "$3" <<'PY'
import math, struct, sys
f, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f, "rb") as fh:
    o = fh.read(4096).index(b"data") + 8
    a = o + max(a - o, 0) // 2 * 2     # whole 16-bit samples
    fh.seek(a)
    d = fh.read(max(b - a, 0) // 2 * 2)
n = len(d) // 2
if not n:
    sys.exit("nothing recorded between the marks")
e = sum(v * v for v in struct.unpack("<%dh" % n, d)) / n
print("%.1f" % (10 * math.log10(e / 32768.0 ** 2 + 1e-12)))
PY
}

# holdcall_start CONF TONE_HZ: h, a caller of our own (holdcall.py) that
# sends TONE_HZ and takes commands (hold, resume, remap, bye) from the
# FIFO $WORK/h.ctl, answering each in $WORK/h.out; pid in HPID and
# CHILDREN
holdcall_start() {
	mkfifo "$WORK/h.ctl"
	python3 "$SRC/tests/integration/holdcall.py" "$SIP_PORT" "$1" h "$2" \
		"$WORK/h.ctl" "$WORK/h.out" 2>"$WORK/h.err" &
	HPID=$!
	CHILDREN="$CHILDREN $HPID"
}
h_said() { grep -qx "$1" "$WORK/h.out"; }
# h_cmd COMMAND REPLY: tells h, waits for it to be done (a FIFO: a writer
# waits for its reader, so not for ever)
h_cmd() {
	# shellcheck disable=SC2016
	timeout 5 bash -c 'echo "$1" >"$2"' _ "$1" "$WORK/h.ctl" ||
		fail "h does not read its commands: $(cat "$WORK/h.err")"
	wait_for 10 h_said "$2" ||
		fail "h did not say $2: $(cat "$WORK/h.err" "$WORK/h.out")"
}

# Phases timed by the audio, for tests with baresip clients bs-NAME for
# each NAME in $NAMES and a silent listener bs-l (test_sidebar_media,
# test_floor_media): recording_all is true once every client records;
# mark PHASE notes in MARK[NAME,PHASE] where PHASE starts in each
# recording; phase PHASE marks it and waits until l has 2.5 s more.
declare -A MARK
recording_all() {
	local n
	for n in $NAMES; do
		[ "$(rec_bytes "$WORK/bs-$n")" -gt 8100 ] || return 1
	done
}
mark() {
	local n
	for n in $NAMES; do MARK[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
}
# END[NAME,N]: where each recording stood once phase N had been heard,
# before the test asks for the next phase's changes (a change is heard
# within a few frames, and on a loaded machine those frames are recorded
# before a mark taken after the API has answered: a phase's window ends
# here, not at the next phase's mark)
declare -A END
phase() {
	local n
	mark "$1"
	log "phase $1"
	wait_heard "$WORK/bs-l" "${MARK[l,$1]}" 2.5
	for n in $NAMES; do END[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
}

# expect_level LISTENER SPEAKER PHASE CHANGE_DB WHY: in LV (levels in
# dBFS by LV[LISTENER,PHASE,SPEAKER]), the level in PHASE is phase 1's
# plus CHANGE_DB within TOL; CHANGE_DB "off": not heard at all (below
# -45 dBFS)
expect_level() {
	local lv=${LV[$1,$3,$2]} got
	if [ "$4" = off ]; then
		awk -v x="$lv" 'BEGIN { exit !(x < -45) }' ||
			fail "$5: $1 hears $2 at $lv dBFS in phase $3, want silence"
		log "ok: $5: $1 does not hear $2 ($lv dBFS)"
		return
	fi
	got=$(awk -v a="$lv" -v b="${LV[$1,1,$2]}" \
		'BEGIN { printf "%.1f", a - b }')
	near "$got" "$4" "$TOL" ||
		fail "$5: $1 hears $2 ${got} dB from phase 1 in phase $3, want $4"
	log "ok: $5: $1 hears $2 ${got} dB (want $4)"
}
