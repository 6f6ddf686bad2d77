#!/usr/bin/env python3
"""A phone that keys digits as tones in its audio (no telephone-event in
its SDP), for test_keypad: what the in-band receiver must hear and the
room must not.

  inband.py PORT CONF USER DIGITS SECS

Joins sip:CONF (PCMU) and talks for SECS: a 500 Hz "voice" at -20 dBFS,
except where it keys: after 2 s, each of DIGITS as its two DTMF
frequencies (-9 dBFS each, 120 ms) followed by 300 ms of voice. Prints
"joined", "keying" as the first digit starts, "keyed" once the digits are
sent, then leaves (BYE).
VOICE_HZ in the environment changes the voice's pitch; DIGITS_AT the
second the keys start at (2); VOICE_S makes it
fall silent after that many seconds (it still sends silence, and prints
"quiet").
"""
import math
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtplib  # noqa: E402
from sipauth import HOST, Client, bye, request, ulaw  # noqa: E402

LOW = {"1": 697, "2": 697, "3": 697, "4": 770, "5": 770, "6": 770,
       "7": 852, "8": 852, "9": 852, "*": 941, "0": 941, "#": 941}
HIGH = {"1": 1209, "2": 1336, "3": 1477, "4": 1209, "5": 1336, "6": 1477,
        "7": 1209, "8": 1336, "9": 1477, "*": 1209, "0": 1336, "#": 1477}


def main():
    port, conf, user, digits, secs = (int(sys.argv[1]), sys.argv[2],
                                      sys.argv[3], sys.argv[4],
                                      float(sys.argv[5]))
    cl = Client(port)
    code, first, _, _, _ = request(cl, "INVITE", conf, user)
    if code != 200:
        raise SystemExit("INVITE: %s" % first)
    if "telephone-event" in cl.answer:
        raise SystemExit("the answer has telephone-event: %s" % cl.answer)
    focus = int(re.search(r"m=audio (\d+)", cl.answer).group(1))
    print("joined", flush=True)
    # what is sent, sample by sample: (f1, f2, amplitude) per 20 ms
    hz = int(os.environ.get("VOICE_HZ", "500"))
    voice = (hz, 0, 3277)
    plan = [voice] * int(float(os.environ.get("DIGITS_AT", "2")) * 50)
    for d in digits:
        plan += [(LOW[d], HIGH[d], 11600)] * 6     # 120 ms
        plan += [voice] * 15                       # 300 ms
    plan += [voice] * max(0, int(secs * 50) - len(plan))
    quiet_at = -1
    if "VOICE_S" in os.environ:
        quiet = int(float(os.environ["VOICE_S"]) * 50)
        plan = [p if k < quiet else (hz, 0, 0) for k, p in enumerate(plan)]
        quiet_at = quiet
    start = time.monotonic()
    keyed_at = int(float(os.environ.get("DIGITS_AT", "2")) * 50) + \
        21 * len(digits)
    for k, (f1, f2, amp) in enumerate(plan):
        pcm = []
        for i in range(160):
            t = (k * 160 + i) / 8000
            v = amp * math.sin(2 * math.pi * f1 * t)
            if f2:
                v += amp * math.sin(2 * math.pi * f2 * t)
            pcm.append(int(v))
        cl.rtp.sendto(rtplib.packet(0, k, k * 160, 0x1b4d,
                                    bytes(ulaw(v) for v in pcm)),
                      (HOST, focus))
        if k == keyed_at - 21 * len(digits):
            print("keying", flush=True)
        if k == keyed_at:
            print("keyed", flush=True)
        if k == quiet_at:
            print("quiet", flush=True)
        delay = start + (k + 1) * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    bye(cl)


if __name__ == "__main__":
    main()
