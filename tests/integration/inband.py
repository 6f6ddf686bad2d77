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
second the keys start at (2), or "signal": when SIGUSR1 comes (a test
keys when what it waits for has happened, not after a guessed time; the
call then lasts at least until the keys are sent); VOICE_S makes it
fall silent after that many seconds (it still sends silence, and prints
"quiet").
SIGUSR2 makes it leave at once (BYE). A BYE from the focus is answered
(200) and ends it too, with "hung up by the focus" and exit 0.
"""
import math
import os
import re
import select
import signal
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
    # (first: a signal that comes early is kept, not fatal)
    flags = {"go": False, "end": False}
    signal.signal(signal.SIGUSR1, lambda *_: flags.update(go=True))
    signal.signal(signal.SIGUSR2, lambda *_: flags.update(end=True))
    cl = Client(port)
    code, first, _, _, _ = request(cl, "INVITE", conf, user)
    if code != 200:
        raise SystemExit("INVITE: %s" % first)
    if "telephone-event" in cl.answer:
        raise SystemExit("the answer has telephone-event: %s" % cl.answer)
    focus = int(re.search(r"m=audio (\d+)", cl.answer).group(1))
    print("joined", flush=True)
    # what is sent, frame by frame: (f1, f2, amplitude) per 20 ms
    hz = int(os.environ.get("VOICE_HZ", "500"))
    voice = (hz, 0, 3277)
    keys = []
    for d in digits:
        keys += [(LOW[d], HIGH[d], 11600)] * 6     # 120 ms
        keys += [voice] * 15                       # 300 ms
    at = os.environ.get("DIGITS_AT", "2")
    # the frame the keys start at (None: not known until SIGUSR1)
    keying_at = None if at == "signal" else int(float(at) * 50)
    total = int(secs * 50)
    quiet_at = -1
    if "VOICE_S" in os.environ:
        quiet_at = int(float(os.environ["VOICE_S"]) * 50)
    start = time.monotonic()
    k = 0
    while not flags["end"]:
        if keying_at is None and flags["go"]:
            keying_at = k
        if keying_at is None or k < keying_at:
            f1, f2, amp = voice
        elif k < keying_at + len(keys):
            f1, f2, amp = keys[k - keying_at]
        elif k < total:
            f1, f2, amp = voice
        else:
            break
        if 0 <= quiet_at <= k:
            f1, f2, amp = hz, 0, 0
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
        if k == keying_at:
            print("keying", flush=True)
        if keying_at is not None and k == keying_at + len(keys):
            print("keyed", flush=True)
        if k == quiet_at:
            print("quiet", flush=True)
        if focus_bye(cl):
            print("hung up by the focus", flush=True)
            return
        k += 1
        delay = start + k * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    bye(cl)


def focus_bye(cl):
    """True when the focus has sent BYE (answered 200 here); other
    requests are left unanswered, as before"""
    while select.select([cl.sock], [], [], 0)[0]:
        first, hdrs, _ = cl.recv()
        if first.startswith("BYE "):
            cl.reply_ok(hdrs)
            return True
    return False


if __name__ == "__main__":
    main()
