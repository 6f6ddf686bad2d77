#!/bin/bash
# Loss and reordering on the way in: a caller (sipauth.py talk) sends a
# 440 Hz tone for 6 s and drops 5 % of its packets and swaps 5 % of
# neighbouring pairs (seeded, so every run is the same); a baresip
# listener records the conference. The jitter buffer puts swapped packets
# back in order and conceals the lost ones, so the tone the listener hears
# has no hole longer than one 20 ms frame, and the loss shows in /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/media_lib.sh"
start_caucusd
d="$WORK/ear"
baresip_conf "$d" ear "module sndfile.so" "snd_path $d"
"$BIN/tonegen" "$d/tone.wav" 1000 30 8000 0.0005    # (near) silence
echo "<sip:ear@127.0.0.1>;regint=0;audio_codecs=PCMU" >"$d/accounts"
baresip -f "$d" -e "/dial sip:demo@127.0.0.1:$SIP_PORT" -t 30 \
	>"$d/baresip.log" 2>&1 &
EAR=$!
CHILDREN="$CHILDREN $EAR"
wait_connected 10 demo 1 "the listener did not join"
python3 "$SRC/tests/integration/sipauth.py" talk "$SIP_PORT" demo lossy 6 5 5 ||
	fail "the lossy caller"
lost=$(curl -s "$API/metrics" | awk '/^caucus_rtp_packets_lost_total/ { print $2 }')
log "caucusd counted $lost packets lost"
[ "${lost:-0}" -gt 0 ] || fail "no loss counted"
# the tone's last frames (the caller has just hung up) still travel
# through caucusd's and baresip's jitter buffers: the listener records
# half a second more before the BYE ends its recording
wait_heard "$d" "$(rec_bytes "$d")" 0.5
baresip_finish "$EAR"
rec=$(recording "$d")
[ -n "$rec" ] || fail "no recording"
python3 - "$rec" <<'PY' || fail "holes in the concealed audio"
import math, struct, sys, wave
w = wave.open(sys.argv[1]); n = w.getnframes(); rate = w.getframerate()
s = struct.unpack("<%dh" % n, w.readframes(n))
blk = rate // 100                                   # 10 ms
db = []
for i in range(0, n - blk, blk):
    e = sum(v * v for v in s[i:i + blk]) / blk
    db.append(10 * math.log10(e / 32768.0 ** 2 + 1e-12))
on = [i for i, v in enumerate(db) if v > -30]
if not on:
    print("no tone heard"); sys.exit(1)
a, b = on[0] + 30, on[-1] - 30                      # 0.3 s in from each end
run = worst = 0
for v in db[a:b]:
    run = run + 1 if v < -45 else 0
    worst = max(worst, run)
print("tone for %.1f s; longest quiet stretch inside it: %d ms"
      % ((on[-1] - on[0]) / 100.0, worst * 10))
sys.exit(0 if worst <= 2 and (on[-1] - on[0]) > 400 else 1)
PY
log PASS
