# Video test peers for the integration tests (tools/vidpeer): each is a
# caucus-vidpeer NAME in $WORK/vp-NAME, its commands through the FIFO
# $WORK/vp-NAME/ctl, its log $WORK/vp-NAME/log (one event a line).
# Sourced after lib.sh.

# vp_start NAME CONF CODEC Y,U,V [vidpeer args...]: a caller of CONF
# sending that colour (and a tone while it talks)
vp_start() {
	local n=$1 conf=$2 codec=$3 color=$4 d="$WORK/vp-$1"
	shift 4
	mkdir -p "$d"
	mkfifo "$d/ctl"
	"$BIN/caucus-vidpeer" --target "sip:$conf@127.0.0.1:$SIP_PORT" \
		--from "$n" --codec "$codec" --color "$color" \
		--log "$d/log" "$@" <"$d/ctl" 2>"$d/err" &
	CHILDREN="$CHILDREN $!"
	eval "VP_PID_$n=$!"
	# hold the FIFO open for writing: commands come and go
	exec {fd}>"$d/ctl"
	eval "VP_FD_$n=$fd"
}

# vp_cmd NAME COMMAND: sends it, waits for its "cmd ... ok=1" line
vp_cmd() {
	local fd
	eval "fd=\$VP_FD_$1"
	local before
	before=$(grep -c '^cmd ' "$WORK/vp-$1/log" 2>/dev/null || true)
	echo "$2" >&"$fd"
	wait_for 5 vp_acked "$1" "$before" ||
		fail "vidpeer $1 did not take '$2': $(tail -3 "$WORK/vp-$1/log")"
	grep '^cmd ' "$WORK/vp-$1/log" | tail -1 | grep -q 'ok=1' ||
		fail "vidpeer $1 refused '$2': $(grep '^cmd ' \
			"$WORK/vp-$1/log" | tail -1)"
}
vp_acked() { [ "$(grep -c '^cmd ' "$WORK/vp-$1/log")" -gt "$2" ]; }

# vp_has NAME REGEX: its log has a line matching
vp_has() { grep -qE "$2" "$WORK/vp-$1/log" 2>/dev/null; }

# vp_t NAME: its clock now (ms since it started: the t= of its log), from
# the last line it wrote and the time since
vp_now() { python3 "$SRC/tests/integration/vidlog.py" now "$WORK/vp-$1/log"; }

# vp_sees NAME Y,U,V [SINCE_MS]: the last picture NAME decoded (after
# SINCE_MS of its clock) has that colour (each of Y, U, V within 16)
vp_sees() {
	python3 "$SRC/tests/integration/vidlog.py" sees "$WORK/vp-$1/log" \
		"$2" "${3:-0}"
}

# vp_quit NAME: quit, wait for it to end; its summary line into SUMMARY
vp_quit() {
	local pid
	eval "pid=\$VP_PID_$1"
	vp_cmd "$1" quit
	wait_for 10 vp_has "$1" '^summary' ||
		fail "vidpeer $1 wrote no summary: $(tail -3 "$WORK/vp-$1/log")"
	wait "$pid" 2>/dev/null || fail "vidpeer $1 exited with an error"
	SUMMARY=$(grep '^summary' "$WORK/vp-$1/log")
}

# summary_is KEY VALUE: in SUMMARY
summary_is() {
	echo " $SUMMARY " | grep -q " $1=$2 " ||
		fail "summary $1 is not $2: $SUMMARY"
}

# vp_grid NAME SINCE_MS Y,U,V...: the last picture NAME decoded after
# SINCE_MS has those colours in its grid's cells, row by row (--grid)
vp_grid() {
	python3 "$SRC/tests/integration/vidlog.py" grid "$WORK/vp-$1/log" \
		"${@:2}"
}

# bs_video DIR NAME CONF MODULE: a baresip 1.0 client with video (its
# fakevideo picture, 320x240; MODULE vp8.so or avcodec.so for H.264)
# that calls sip:CONF with PCMU and a quiet tone, and saves the first
# picture it decodes as DIR/rx.png (snapshot module). baresip 1.0 takes
# RTP/AVPF only with a media encryption module: srtp.so, best effort
# (so the call is SDES-SRTP). Pid in BS_PIDS and CHILDREN.
bs_video() {
	local d=$1 n=$2 conf=$3 module=$4
	BS_CODECS="srtp.so" baresip_conf "$d" "$n" "module $module" \
		"module fakevideo.so" "module snapshot.so" \
		"video_source fakevideo,nil" "video_display fakevideo,nil" \
		"video_size 320x240"
	"$BIN/tonegen" "$d/tone.wav" 300 60 8000 0.001
	echo "<sip:$n@127.0.0.1>;regint=0;audio_codecs=PCMU;mediaenc=srtp" \
		>"$d/accounts"
	baresip -f "$d" -e "/dial sip:$conf@127.0.0.1:$SIP_PORT" \
		-e "/snapshot_recv $d/rx.png" -t 60 >"$d/baresip.log" 2>&1 &
	BS_PIDS="${BS_PIDS:-} $!"
	CHILDREN="$CHILDREN $!"
}

# png_near FILE Y,U,V: the PNG's mean colour is that one (each within 12)
png_near() {
	local yuv want i
	[ -s "$1" ] || return 1
	read -r -a yuv <<<"$(python3 "$SRC/tests/integration/pngyuv.py" "$1")"
	IFS=, read -r -a want <<<"$2"
	for i in 0 1 2; do
		[ $(( yuv[i] > want[i] ? yuv[i] - want[i] : want[i] - yuv[i] )) \
			-le 12 ] || return 1
	done
}
