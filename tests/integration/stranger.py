#!/usr/bin/env python3
"""A stranger at participants' media ports (the "RTP bleed" attack): sends
a TONE_HZ tone as PCMU RTP, louder than anyone in the room (-10 dBFS),
every 20 ms to each PORT, from two sources of its own (127.0.0.1 and
127.0.0.2, each with its own random SSRC and sequence), and a receiver
report to each PORT + 1, until it is killed. The focus must mix none of
it and steer none of its RTCP by it.

  stranger.py TONE_HZ PORT...
"""
import math
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtplib  # noqa: E402
from sipauth import ulaw  # noqa: E402

HOST = "127.0.0.1"


def main():
    tone, ports = float(sys.argv[1]), [int(p) for p in sys.argv[2:]]
    socks = []
    for addr in ("127.0.0.1", "127.0.0.2"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, 0))
        socks.append((s, random.getrandbits(32), random.getrandbits(16)))
    start, k = time.monotonic(), 0
    while True:
        pcm = (int(10362 * math.sin(2 * math.pi * tone * (k * 160 + i) /
                                    8000)) for i in range(160))
        payload = bytes(ulaw(v) for v in pcm)
        for s, ssrc, seq in socks:
            for p in ports:
                s.sendto(rtplib.packet(0, seq + k, k * 160, ssrc, payload),
                         (HOST, p))
                if k % 50 == 0:      # an RR now and then
                    s.sendto(struct.pack("!BBHI", 0x80, 201, 1, ssrc),
                             (HOST, p + 1))
        k += 1
        delay = start + k * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)


if __name__ == "__main__":
    main()
