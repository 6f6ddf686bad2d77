#!/bin/bash
# Announcements (POST /v1/conferences/{id}/announcements): a prompt file
# of the prompts folder (tone700.wav, 2 s of 700 Hz made by tonegen) and
# spoken text, to everyone or to one participant. Two baresip clients (a,
# b: PCMU, sending silence so that all they record is what the
# conference says) are in demo with the built-in announcements off. Each
# phase starts with a mark in both recordings (media_lib.sh), lasts until
# the server has no announcement left (caucus_announcements_active, in
# /metrics) and both clients have recorded 0.6 s more (1.5 s before the
# speech and after it: those stretches are measured quiet), and is then
# measured over its own stretch of the recordings:
#   1. the prompt to everyone: a and b hear 700 Hz (tonecheck), for as
#      long as the file lasts (audio_env.py, a Goertzel envelope);
#   2. the prompt to a alone: a hears it, b hears nothing at 700 Hz;
#   3. two prompts to everyone at once: said one after the other, never
#      over each other (700 Hz for twice as long, at one prompt's level);
#   4. text to everyone: speech (a band-passed energy envelope) for 1.5 to
#      5 s, near silence before and after;
# then the refusals: an unknown prompt (404), text and prompt both, or
# neither (400), an unknown participant (404), an unknown conference
# (404), none of which starts an announcement.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
ENV="$SRC/tests/integration/audio_env.py"
C=/v1/conferences/demo
PROMPT_S=2     # tone700.wav's length
HEARD=-30      # dBFS: the prompt heard (tonecheck: about -11) is above this
UNHEARD=-50    # and not heard, below this

mkdir -p "$WORK/prompts"
"$BIN/tonegen" "$WORK/prompts/tone700.wav" 700 $PROMPT_S 16000 0.3
start_caucusd --prompts-dir "$WORK/prompts"
api PATCH $C/policy '{"announcements":{"entry":"off","exit":"off","only_participant":false,"recording":false}}'
expect_status 200 "built-in announcements off"
# what can be named: the folder's file and the built-in set
api GET /v1/prompts
expect_status 200 "the prompts"
printf '%s' "$BODY" | grep -q '"files":\[{"name":"tone700","file":"tone700.wav"}\]' ||
	fail "the prompts folder's file is not listed: $BODY"
printf '%s' "$BODY" | grep -q '{"name":"welcome","text":"Welcome to the conference."}' ||
	fail "the built-in prompts are not listed: $BODY"

BS_PIDS=""
# silence: tonegen wants an amplitude above 0, and 1 LSB is below what
# PCMU carries (it decodes as 0)
pcmu_caller "$WORK/bs-a" a demo 1000 0.00003
pcmu_caller "$WORK/bs-b" b demo 1000 0.00003
wait_connected 15 demo 2 "two baresip clients did not connect"
api GET $C
PA=$(pid_of a)
PB=$(pid_of b)
if [ -z "$PA" ] || [ -z "$PB" ]; then fail "no participants a and b: $BODY"; fi
recording_all() {
	[ "$(rec_bytes "$WORK/bs-a")" -gt 8100 ] &&
		[ "$(rec_bytes "$WORK/bs-b")" -gt 8100 ]
}
wait_for 10 recording_all || fail "the clients do not record"
wait_all_heard 0.5 "$WORK/bs-a" "$WORK/bs-b"

# announcements being said or waiting their turn, server-wide
playing() {
	get /metrics | awk '$1 == "caucus_announcements_active" { print $2 }'
}
idle() { [ "$(playing)" = 0 ]; }

declare -A MARK
# phase NAME JSON [TIMES] [TAIL]: marks both recordings, asks for the
# announcement TIMES (1) times at once (202 with its id each time), waits
# until every one is over and both clients have heard TAIL (1.5) s more,
# marks the end. (A tail only has to hold what was still on its way when
# the server finished, a few frames; one too short leaves the prompt's end
# in the next phase, which then fails. The phase before the speech and
# the speech keep 1.5 s: a second of silence before and after the words
# is measured.)
phase() {
	local n i
	for n in a b; do MARK[$n,$1]=$(rec_bytes "$WORK/bs-$n"); done
	for i in $(seq 1 "${3:-1}"); do
		api POST $C/announcements "$2"
		expect_status 202 "announcement $1 ($i)"
		[ -n "$(json_num "$BODY" id)" ] ||
			fail "$1: 202 without an id: $BODY"
		log "phase $1: $BODY"
	done
	wait_for 20 idle || fail "$1: still announcing after 20 s ($(playing))"
	wait_all_heard "${4:-1.5}" "$WORK/bs-a" "$WORK/bs-b"
	for n in a b; do MARK[$n,$1.end]=$(rec_bytes "$WORK/bs-$n"); done
}

phase all '{"prompt":"tone700"}' 1 0.6
phase private "{\"prompt\":\"tone700\",\"to\":\"$PA\"}" 1 0.6
printf '%s' "$BODY" | grep -q "\"to\":\"$PA\"" ||
	fail "the private announcement's 202 does not name a: $BODY"
phase twice '{"prompt":"tone700"}' 2
phase speech '{"text":"This is a test of the announcement system"}'

log "refusals"
refused() { # STATUS WHAT PATH JSON
	api POST "$3" "$4"
	expect_status "$1" "$2"
	[ "$(json_field "$BODY" title)" != "" ] ||
		printf '%s' "$BODY" | grep -q '"error"\|"detail"' ||
		fail "$2: $1 without a JSON error: $BODY"
	log "  $2: $STATUS $BODY"
}
refused 404 "an unknown prompt" $C/announcements '{"prompt":"nosuchprompt"}'
refused 400 "text and prompt" $C/announcements \
	'{"text":"hello","prompt":"tone700"}'
refused 400 "neither text nor prompt" $C/announcements '{}'
refused 404 "an unknown participant" $C/announcements \
	'{"prompt":"tone700","to":"99999"}'
refused 404 "an unknown conference" /v1/conferences/nosuch/announcements \
	'{"prompt":"tone700"}'
idle || fail "a refused request started an announcement ($(playing))"
alive
# shellcheck disable=SC2086
baresip_finish $BS_PIDS

# the finished recordings; at N BYTES: how many seconds into client N's
# recording a mark is
declare -A REC OFF
for n in a b; do
	REC[$n]=$(recording "$WORK/bs-$n")
	[ -n "${REC[$n]}" ] || fail "no recording from $n"
	OFF[$n]=$(rec_offset "${REC[$n]}")
done
at() { awk -v b="$2" -v o="${OFF[$1]}" 'BEGIN { printf "%.3f", (b - o) / 16000 }'; }
# env_of N PHASE [ARGS]: audio_env.py over client N's stretch of PHASE
# (from its mark to its end mark)
env_of() {
	local n=$1 p=$2
	shift 2
	python3 "$ENV" "${REC[$n]}" --from-byte "${MARK[$n,$p]}" \
		--to-byte "${MARK[$n,$p.end]}" "$@"
}
val() { printf '%s\n' "$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
numcmp() { awk -v a="$1" -v b="$3" "BEGIN { exit !(a != \"\" && a $2 b) }"; }
between() { numcmp "$1" '>=' "$2" && numcmp "$1" '<=' "$3"; }   # V LO HI

# 700 Hz in the stretch of a phase: how long, and its level (tonecheck)
# over that time without its first and last 0.2 s
declare -A LV SPAN
tone_of() { # N PHASE
	local e first last from to
	e=$(env_of "$1" "$2" --freq 700 --threshold $UNHEARD)
	SPAN[$1,$2]=$(val "$e" active_s)
	first=$(val "$e" first_s)
	last=$(val "$e" last_s)
	if numcmp "${SPAN[$1,$2]}" '<' 0.5; then
		# nothing (or a blip): the level over where the prompt would be
		first=0.3 last=$(awk -v s=$PROMPT_S 'BEGIN { print s + 0.3 }')
	fi
	from=$(awk -v a="$(at "$1" "${MARK[$1,$2]}")" -v f="$first" \
		'BEGIN { printf "%.3f", a + f + 0.2 }')
	to=$(awk -v a="$(at "$1" "${MARK[$1,$2]}")" -v l="$last" \
		'BEGIN { printf "%.3f", a + l - 0.2 }')
	LV[$1,$2]=$(tone_level "${REC[$1]}" "--from $from --to $to" 700)
	log "  $1, $2: 700 Hz for ${SPAN[$1,$2]} s at ${LV[$1,$2]} dBFS" \
		"(from $from to $to s)"
}
for p in all private twice; do
	for n in a b; do tone_of $n $p; done
done

for n in a b; do
	numcmp "${LV[$n,all]}" '>' $HEARD ||
		fail "all: $n does not hear the prompt (${LV[$n,all]} dBFS)"
	between "${SPAN[$n,all]}" $((PROMPT_S - 1)).7 $PROMPT_S.3 ||
		fail "all: $n heard 700 Hz for ${SPAN[$n,all]} s, not $PROMPT_S"
	between "${SPAN[$n,twice]}" $((2 * PROMPT_S - 1)).6 $((2 * PROMPT_S)).4 ||
		fail "twice: $n heard 700 Hz for ${SPAN[$n,twice]} s," \
			"not $((2 * PROMPT_S)) (one after the other)"
	near "${LV[$n,twice]}" "${LV[$n,all]}" 1.5 ||
		fail "twice: $n heard ${LV[$n,twice]} dBFS, one prompt is" \
			"${LV[$n,all]}: said over each other?"
done
numcmp "${LV[a,private]}" '>' $HEARD ||
	fail "private: a does not hear its prompt (${LV[a,private]} dBFS)"
numcmp "${LV[b,private]}" '<' $UNHEARD ||
	fail "private: b hears a's prompt (${LV[b,private]} dBFS)"
numcmp "${SPAN[b,private]}" '==' 0 ||
	fail "private: b heard 700 Hz for ${SPAN[b,private]} s"

log "speech:"
for n in a b; do
	e=$(python3 "$ENV" "${REC[$n]}" --from-byte $(( MARK[$n,speech] - 16000 )) \
		--to-byte "${MARK[$n,speech.end]}")
	log "  $n: $(printf '%s' "$e" | tr '\n' ' ')"
	span=$(val "$e" span_s)
	between "$span" 1.5 5 ||
		fail "speech: $n heard speech for $span s, not 1.5 to 5"
	numcmp "$(val "$e" active_s)" '>=' 1.0 ||
		fail "speech: $n heard too little speech: $e"
	numcmp "$(val "$e" median_db)" '>' -30 ||
		fail "speech: $n heard it too quietly: $e"
	# quiet for the second before the request and 1 s after the words
	numcmp "$(val "$e" first_s)" '>=' 1.0 ||
		fail "speech: $n heard something before the request: $e"
	numcmp "$(val "$e" before_db)" '<' $UNHEARD ||
		fail "speech: $n: not silent before the words: $e"
	numcmp "$(awk -v s="$(val "$e" seconds)" -v l="$(val "$e" last_s)" \
		'BEGIN { print s - l }')" '>=' 1.0 ||
		fail "speech: $n: not 1 s of silence after the words: $e"
	numcmp "$(val "$e" after_db)" '<' $UNHEARD ||
		fail "speech: $n: not silent after the words: $e"
done
log PASS
