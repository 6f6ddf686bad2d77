#!/bin/bash
# The media-server split (docs/mscp.md, spec s. 6.3): caucusd --role focus
# on 127.0.0.1 drives caucusd --role mixer on 127.0.0.2 over RFC 6230/6505
# (lib.sh's CAUCUS_SPLIT=1), and the media flows caller <-> mixer.
#   0. the mixer alone: no store file open, OPTIONS answered at
#      127.0.0.2, an INVITE from an address not in its focus_allow
#      (127.0.0.3) refused 403;
#   1. three baresip callers (400, 700, 1100 Hz at -10, -16 and -22 dBFS):
#      every answer's c= line is 127.0.0.2 at a port the mixer process
#      holds, the focus has no more UDP sockets than before the calls;
#      an FFT of what each records, over four phases: everyone hears the
#      other two and not itself; a muted through the API (nobody hears
#      it, it still hears); b deaf (hears nothing, still heard);
#      max_speakers 2 (the quietest, c, is heard by nobody and hears the
#      two others);
#   2. the RFC 4575 document fetched by SUBSCRIBE (sipp) lists the three,
#      schema-valid;
#   3. kill -9 of the mixer: each call (the three and a sipp caller) ends
#      with a BYE from the focus carrying Reason: SIP;cause=503;
#      text="media server lost", the participants are failed with that
#      reason in the API, the focus answers /v1/status and OPTIONS, and a
#      new INVITE gets 503 with Retry-After while no mixer is up;
#   4. the mixer restarted on the same ports: the focus has it up again
#      and two new callers hear each other.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
CAUCUS_SPLIT=1
BFCP_PORT=$(free_port)
C=/v1/conferences/demo
REASON='Reason: SIP;cause=503;text="media server lost"'

# sipp_from NAME FROM_ADDR TARGET SCENARIO [args...]: sipp_run from
# another address, to any target (the mixer)
sipp_from() {
	local name=$1 src_addr=$2 target=$3 scen=$4
	shift 4
	sipp -sf "$SCEN/$scen" -i "$src_addr" -p "$(free_port)" -m 1 \
		-mp "$(free_media_port)" -timeout 20s -nostdin -trace_err \
		-trace_msg -error_file "$WORK/$name.err" \
		-message_file "$WORK/$name.msg" "$@" "$target" \
		>"$WORK/$name.out" 2>&1 ||
		{ tail -n 40 "$WORK/$name.msg" 2>/dev/null
		  fail "sipp $name ($scen) to $target failed"; }
	log "sipp $name ok"
}

# udp_ports PID: the UDP ports that process holds, one a line, sorted
udp_ports() {
	ss -Huanp | awk -v p="pid=$1," 'index($0, p) {
		n = split($4, a, ":"); print a[n] }' | sort -n | uniq
}

# bs_sip LOG answer|reasons: from a baresip log with its SIP trace
# (BS_SIP_TRACE): the address and port of the first INVITE's answer
# (c= and m=audio of the 200), or the Reason lines of the BYEs it got
bs_sip() {
	python3 - "$1" "$2" <<'PY'
import re, sys
t = open(sys.argv[1], errors="replace").read().replace("\r", "")
t = re.sub(r"\x1b\[[0-9;]*m", "", t)
for b in re.split(r"\n#\n", t):
    lines = [l for l in b.split("\n") if l.strip()]
    if len(lines) < 2:
        continue
    start, body = lines[1], "\n".join(lines[1:])
    if sys.argv[2] == "answer" and start.startswith("SIP/2.0 200") and \
            re.search(r"^CSeq: \d+ INVITE", body, re.M):
        c = re.search(r"^c=IN IP4 (\S+)", body, re.M)
        m = re.search(r"^m=audio (\d+)", body, re.M)
        if c and m:
            print(c.group(1), m.group(1))
            break
    if sys.argv[2] == "reasons" and start.startswith("BYE "):
        for r in re.findall(r"^Reason:.*$", body, re.M):
            print(r)
PY
}

# a baresip caller (PCMU) with a 90 s tone at AMPLITUDE, its SIP traced
split_caller() { # NAME TONE_HZ AMPLITUDE
	local d="$WORK/bs-$1"
	baresip_conf "$d" "$1" "module sndfile.so" "snd_path $d" \
		"audio_alert aubridge,alert-$1"
	"$BIN/tonegen" "$d/tone.wav" "$2" 90 8000 "$3"
	echo "<sip:$1@127.0.0.1>;regint=0;audio_codecs=PCMU" >"$d/accounts"
	baresip -f "$d" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" -s -t 90 \
		>"$d/baresip.log" 2>&1 &
	BS_PIDS="$BS_PIDS $!"
	CHILDREN="$CHILDREN $!"
}

start_caucusd
M="$MIXER_ADDR:$MIXER_SIP_PORT"

log "0. the mixer alone"
# no store: the focus has its SQLite file open, the mixer none
open_files() { local fd; for fd in "/proc/$1"/fd/*; do readlink "$fd"; done; }
db_open() { open_files "$1" | grep -qE '\.db(-wal|-shm)?$'; }
db_open "$CAUCUSD_PID" || fail "the focus has no store open: the check sees nothing"
! db_open "$MIXER_PID" ||
	fail "the mixer has a store file open: $(open_files "$MIXER_PID")"
sipp_from m_options 127.0.0.3 "$M" split_options.xml -s mixer
sipp_from m_stray 127.0.0.3 "$M" uac_join_refused_403.xml -s demo \
	-key who stray -key host 127.0.0.3

log "1. three callers"
FOCUS_UDP=$(udp_ports "$CAUCUSD_PID")
BS_PIDS=""
split_caller a 400 0.3
split_caller b 700 0.15
split_caller c 1100 0.08
ABC=$BS_PIDS
wait_connected 15 demo 3 "three baresip callers did not connect"
api GET $C
PA=$(pid_of a)
PB=$(pid_of b)
[ -n "$PA" ] && [ -n "$PB" ] && [ -n "$(pid_of c)" ] ||
	fail "participant ids not found: $BODY"
for n in a b c; do
	read -r addr port <<<"$(bs_sip "$WORK/bs-$n/baresip.log" answer)"
	log "$n: the answer says c=$addr m=audio $port"
	[ "$addr" = "$MIXER_ADDR" ] ||
		fail "$n's answer does not send its RTP to the mixer: c=$addr"
	udp_ports "$MIXER_PID" | grep -qx "$port" ||
		fail "$n's answer names port $port, not one of the mixer's"
done
[ "$(udp_ports "$CAUCUSD_PID")" = "$FOCUS_UDP" ] ||
	fail "the focus holds UDP sockets for the calls: before" \
		"$(tr '\n' ' ' <<<"$FOCUS_UDP")now" \
		"$(udp_ports "$CAUCUSD_PID" | tr '\n' ' ')"
recording_all() {
	local n
	for n in a b c; do
		[ "$(rec_bytes "$WORK/bs-$n")" -gt 8100 ] || return 1
	done
}
wait_for 10 recording_all || fail "the clients do not record"

PHASE=3
declare -A MARK
mark() {
	local n
	for n in a b c; do MARK[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
}
# a phase's audio ends where the recordings stood before the next
# phase's changes were asked for: a change is heard within a few frames,
# and on a slow machine those frames were recorded before a mark taken
# after the API had answered (b, deaf, heard the others again)
declare -A END
mark_end() {
	local n
	for n in a b c; do END[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
}
phase() {
	local n
	mark "$1"
	log "phase $1"
	for n in a b c; do
		wait_heard "$WORK/bs-$n" "${MARK[$n,$1]}" "$PHASE"
	done
}
phase 1
mark_end 1
api PATCH "$C/participants/$PA" '{"muted":true}'
expect_status 200 "mute a"
phase 2
mark_end 2
api PATCH "$C/participants/$PA" '{"muted":false}'
expect_status 200 "unmute a"
api PATCH "$C/participants/$PB" '{"deaf":true}'
expect_status 200 "deafen b"
phase 3
mark_end 3
api PATCH "$C/participants/$PB" '{"deaf":false}'
expect_status 200 "b hears again"
api PATCH $C '{"max_speakers":2}'
expect_status 200 "max_speakers 2"
phase 4
mark_end 4

log "2. the RFC 4575 document"
sipp_run fetch split_fetch.xml -s demo
awk -v out="$WORK/info.xml" '/<\?xml/ { on = 1 } on { print > out }
	/<\/conference-info>/ { on = 0 }' "$WORK/fetch.msg"
xmllint --noout --schema "$SRC/tests/schemas/conference-info.xsd" \
	"$WORK/info.xml" || fail "the fetched document is not valid"
for n in a b c; do
	grep -q "<user entity=\"sip:$n@127.0.0.1\"" "$WORK/info.xml" ||
		fail "the document does not list $n"
done

log "3. the mixer lost"
sipp_bg s split_wait_bye.xml -s demo -key who s
S=$SIPP_PID
wait_connected 10 demo 4 "the sipp caller did not join"
grep -q "^c=IN IP4 $MIXER_ADDR" "$WORK/s.msg" ||
	fail "the sipp caller's answer does not name the mixer"
api GET $C
PS=$(pid_of s)
kill_mixer
sipp_wait "$S" s       # (its scenario checks the BYE's Reason)
bye_reason() { bs_sip "$WORK/bs-$1/baresip.log" reasons | grep -qF "$REASON"; }
for n in a b c; do
	wait_for 10 bye_reason $n ||
		fail "$n got no BYE with $REASON: $(bs_sip \
			"$WORK/bs-$n/baresip.log" reasons)"
done
log "every caller got a BYE with $REASON"
failed_lost() { # PID: failed, 503, media server lost
	api GET "$C/participants/$1"
	[ "$(json_field "$BODY" status)" = failed ] &&
		[ "$(json_field "$BODY" sip_code)" = 503 ] &&
		printf '%s' "$BODY" | grep -q 'media server lost'
}
for p in "$PA" "$PB" "$(pid_of c)" "$PS"; do
	wait_for 5 failed_lost "$p" ||
		fail "participant $p is not failed (503 media server lost): $BODY"
done
# (the recordings end with the calls: phases checked below)
# shellcheck disable=SC2086
wait_for 10 recordings_closed $ABC ||
	fail "baresip still records 10 s after the BYEs"
alive
api GET /v1/status
expect_status 200 "the focus's status without its mixer"
wait_for 10 mixers_down || fail "the status shows the mixer up: $BODY"
sipp_run options split_options.xml -s demo
sipp_run busy split_503.xml -s demo -key who late

log "4. the mixer back"
start_mixer
wait_mixer_up
BS_PIDS=""
split_caller d 500 0.3
split_caller e 900 0.3
wait_connected 15 demo 2 "two new callers did not connect"
wait_all_heard 4 "$WORK/bs-d" "$WORK/bs-e"
# shellcheck disable=SC2086
baresip_finish $BS_PIDS
tone_check "$(recording "$WORK/bs-d")" --expect 900 --absent 500 ||
	fail "d does not hear e alone after the mixer came back"
tone_check "$(recording "$WORK/bs-e")" --expect 500 --absent 900 ||
	fail "e does not hear d alone after the mixer came back"

rec() { recording "$WORK/bs-$1"; }
for n in a b c; do
	[ -n "$(rec $n)" ] || fail "no recording from $n"
done
check() { # who phase args...
	local who=$1 w
	w=$(rec_window "$(rec "$1")" "${MARK[$1,$2]}" "${END[$1,$2]}" 1.2)
	shift 2
	# shellcheck disable=SC2086
	"$BIN/tonecheck" "$(rec "$who")" $w "$@" || fail "$who: ${*}"
}
log "phase 1: everyone hears the others"
check a 1 --expect 700,1100 --absent 400
check b 1 --expect 400,1100 --absent 700
check c 1 --expect 400,700 --absent 1100
log "phase 2: a muted"
check a 2 --expect 700,1100 --absent 400
check b 2 --expect 1100 --absent 400,700
check c 2 --expect 700 --absent 400,1100
log "phase 3: b deaf"
check b 3 --silent --absent 400,700,1100
check a 3 --expect 700,1100 --absent 400
check c 3 --expect 400,700 --absent 1100
log "phase 4: the two loudest mixed"
check a 4 --expect 700 --absent 400,1100
check b 4 --expect 400 --absent 700,1100
check c 4 --expect 400,700 --absent 1100
log PASS
