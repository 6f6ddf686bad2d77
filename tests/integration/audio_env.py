#!/usr/bin/env python3
"""An energy envelope of a stretch of a WAV recording, for the tests that
need to know how long something was heard (an announcement's speech, a
prompt's tone) rather than only whether it was (tools/tonecheck).

    audio_env.py WAV [--from-byte A] [--to-byte B] [--frame-ms 20]
                 [--threshold DBFS] [--band LO,HI | --freq HZ]

The stretch is given in bytes of the file, as media_lib.sh's rec_bytes
marks it (the file's size at a moment); without marks, the whole data
chunk. The file may still be being written (a baresip dump whose header
is not finished yet): the samples run from the "data" chunk to the end of
what is there. Only the first channel is read.

Each frame (20 ms) gets a level in dBFS:
  - by default its RMS, after a band-pass to the speech band (--band,
    300,3400 Hz: two second-order sections, RBJ's cookbook);
  - with --freq, the level of that one frequency (Goertzel over the
    frame, as the RMS of the sine it would be: a full-scale sine is
    -3 dBFS, like its RMS).
A frame is active when its level is above --threshold (-40 dBFS). It
prints key=value lines:
  seconds     the stretch's length
  active_s    how long in all the active frames last
  first_s     where the first active frame starts (-1: none)
  last_s      where the last active frame ends (-1: none)
  span_s      last_s - first_s (0: none)
  before_db   the loudest frame before the first active one, but for the
              --guard-ms (100) just before it: the onset's ramp
              (-120: none)
  after_db    the same after the last active one
  peak_db     the loudest frame
  median_db   the median level of the active frames (-120: none)
Exit 0, or 2 on bad input.
"""
import argparse
import math
import struct
import sys

FLOOR = -120.0


def read_wav(path):
    """(rate, channels, data offset, the file's bytes)"""
    with open(path, "rb") as fh:
        b = fh.read()
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        sys.exit("%s: not a WAV file" % path)
    pos, rate, chans, bits = 12, 0, 0, 0
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack("<I", b[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            tag, chans, rate = struct.unpack("<HHI", b[pos + 8:pos + 16])
            bits = struct.unpack("<H", b[pos + 22:pos + 24])[0]
            if tag not in (1, 0xFFFE) or bits != 16:
                sys.exit("%s: not 16-bit PCM (tag %d, %d bits)" %
                         (path, tag, bits))
        elif cid == b"data":
            if not rate:
                sys.exit("%s: data before fmt" % path)
            return rate, chans, pos + 8, b
        pos += 8 + size + (size & 1)
    sys.exit("%s: no data chunk" % path)


def biquad(x, b0, b1, b2, a1, a2):
    y, x1, x2, y1, y2 = [], 0.0, 0.0, 0.0, 0.0
    for v in x:
        o = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2, x1, y2, y1 = x1, v, y1, o
        y.append(o)
    return y


def rbj(kind, f, rate, q=0.7071):
    """RBJ cookbook high- or low-pass coefficients, normalised"""
    w = 2 * math.pi * f / rate
    al = math.sin(w) / (2 * q)
    c = math.cos(w)
    if kind == "hp":
        b = ((1 + c) / 2, -(1 + c), (1 + c) / 2)
    else:
        b = ((1 - c) / 2, 1 - c, (1 - c) / 2)
    a0, a1, a2 = 1 + al, -2 * c, 1 - al
    return b[0] / a0, b[1] / a0, b[2] / a0, a1 / a0, a2 / a0


def db(power):
    return 10 * math.log10(power) if power > 1e-12 else FLOOR


def goertzel_db(frame, f, rate):
    """the RMS level (dBFS) of the sine at f in frame"""
    n = len(frame)
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for v in frame:
        s1, s2 = v + k * s1 - s2, s1
    p = s1 * s1 + s2 * s2 - k * s1 * s2     # |X|^2
    amp = 2 * math.sqrt(max(p, 0.0)) / n     # the sine's amplitude
    return db(amp * amp / 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wav")
    ap.add_argument("--from-byte", type=int, default=0)
    ap.add_argument("--to-byte", type=int, default=-1)
    ap.add_argument("--frame-ms", type=int, default=20)
    ap.add_argument("--threshold", type=float, default=-40.0)
    ap.add_argument("--band", default="300,3400")
    ap.add_argument("--freq", type=float, default=0.0)
    ap.add_argument("--guard-ms", type=int, default=100)
    o = ap.parse_args()

    rate, chans, off, b = read_wav(o.wav)
    step = 2 * chans
    a = max(o.from_byte, off)
    e = len(b) if o.to_byte < 0 else min(o.to_byte, len(b))
    a = off + (a - off) // step * step
    e = off + max(e - off, 0) // step * step
    if e <= a:
        sys.exit("nothing between the marks (%d..%d)" % (a, e))
    raw = b[a:e]
    n = len(raw) // step
    x = [v / 32768.0 for v in
         struct.unpack("<%dh" % (n * chans), raw)[::chans]]
    if not o.freq:
        lo, hi = (float(v) for v in o.band.split(","))
        x = biquad(x, *rbj("hp", lo, rate))
        if hi < rate / 2 * 0.95:
            x = biquad(x, *rbj("lp", hi, rate))
    fl = rate * o.frame_ms // 1000
    fs = o.frame_ms / 1000.0
    lv = []
    for i in range(0, n - fl + 1, fl):
        fr = x[i:i + fl]
        if o.freq:
            lv.append(goertzel_db(fr, o.freq, rate))
        else:
            lv.append(db(sum(v * v for v in fr) / fl))
    act = [i for i, v in enumerate(lv) if v > o.threshold]
    first = act[0] if act else -1
    last = act[-1] if act else -1
    g = o.guard_ms // o.frame_ms
    before = max(lv[:max(first - g, 0)], default=FLOOR) if act else FLOOR
    after = max(lv[last + 1 + g:], default=FLOOR) if act else FLOOR
    med = sorted(lv[i] for i in act)[len(act) // 2] if act else FLOOR
    print("seconds=%.3f" % (n / rate))
    print("active_s=%.3f" % (len(act) * fs))
    print("first_s=%.3f" % (first * fs if act else -1))
    print("last_s=%.3f" % ((last + 1) * fs if act else -1))
    print("span_s=%.3f" % ((last + 1 - first) * fs if act else 0))
    print("before_db=%.1f" % before)
    print("after_db=%.1f" % after)
    print("peak_db=%.1f" % max(lv, default=FLOOR))
    print("median_db=%.1f" % med)


if __name__ == "__main__":
    main()
