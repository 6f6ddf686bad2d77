"""Reads a caucus-vidpeer log (tools/vidpeer/main.c says its lines) for
the video tests (video_lib.sh):
  now LOG                      the peer's clock now, in ms
  sees LOG Y,U,V SINCE         exit 0 when the last picture decoded after
                               SINCE (ms) has that colour (within 16)
  first LOG Y,U,V SINCE        "T KEY" of the first picture of that
                               colour after SINCE (exit 1: none)
  grid LOG SINCE Y,U,V...       exit 0 when the last picture decoded after
                               SINCE has those colours in its grid cells
                               (vidpeer --grid), row by row
  cmdt LOG TEXT                the t of the last command TEXT taken
  latency LOG TEXT RLOG Y,U,V  ms from the last command TEXT that LOG's
                               peer took to the first picture of that
                               colour RLOG's peer decoded after it (both
                               peers' clocks from their start lines)
  kfreq LOG SINCE              exit 0 when a keyframe was asked of the
                               peer after SINCE (ms) and it sent one
"""
import os
import shlex
import sys
import time

TOL = 16


def lines(path):
    with open(path) as f:
        for line in f:
            try:
                words = shlex.split(line)
            except ValueError:
                continue
            if not words:
                continue
            kv = dict(w.split('=', 1) for w in words[1:] if '=' in w)
            yield words[0], kv


def colour(kv):
    return int(kv['y']), int(kv['u']), int(kv['v'])


def near(c, want):
    return all(abs(a - b) <= TOL for a, b in zip(c, want))


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == 'now':
        # the last t in the log plus the time since the log was written
        last = 0
        for kind, kv in lines(path):
            if 't' in kv:
                last = int(kv['t'])
        age = (time.time() - os.path.getmtime(path)) * 1000
        print(int(last + age))
        return 0
    want = tuple(int(x) for x in sys.argv[3].split(',')) \
        if cmd in ('sees', 'first') else None
    if cmd == 'sees':
        since, last = int(sys.argv[4]), None
        for kind, kv in lines(path):
            if kind == 'frame' and int(kv['t']) >= since:
                last = colour(kv)
        return 0 if last and near(last, want) else 1
    if cmd == 'first':
        since = int(sys.argv[4])
        for kind, kv in lines(path):
            if kind == 'frame' and int(kv['t']) >= since and \
                    near(colour(kv), want):
                print(kv['t'], kv['key'])
                return 0
        return 1
    if cmd == 'grid':
        since, last = int(sys.argv[3]), None
        want = [tuple(int(x) for x in c.split(',')) for c in sys.argv[4:]]
        for kind, kv in lines(path):
            if kind == 'frame' and int(kv['t']) >= since and 'grid' in kv:
                last = [tuple(int(x) for x in c.split(':'))
                        for c in kv['grid'].split('/')]
        if not last or len(last) != len(want):
            return 1
        return 0 if all(near(g, w) for g, w in zip(last, want)) else 1
    if cmd == 'cmdt':
        t = None
        for kind, kv in lines(path):
            if kind == 'cmd' and kv.get('line') == sys.argv[3]:
                t = kv['t']
        if t is None:
            return 1
        print(t)
        return 0
    if cmd == 'latency':
        def start(p):
            for kind, kv in lines(p):
                if kind == 'start':
                    return int(kv['mono_ms'])
            return None
        rpath = sys.argv[4]
        want = tuple(int(x) for x in sys.argv[5].split(','))
        t = None
        for kind, kv in lines(path):
            if kind == 'cmd' and kv.get('line') == sys.argv[3]:
                t = int(kv['t'])
        s0, r0 = start(path), start(rpath)
        if t is None or s0 is None or r0 is None:
            return 1
        since = t + s0 - r0          # in the receiver's clock
        for kind, kv in lines(rpath):
            if kind == 'frame' and int(kv['t']) >= since and \
                    near(colour(kv), want):
                print(int(kv['t']) - since)
                return 0
        return 1
    if cmd == 'kfreq':
        since, asked = int(sys.argv[3]), False
        for kind, kv in lines(path):
            if kind == 'kfreq' and int(kv['t']) >= since:
                asked = True
            if kind == 'keyframe_sent' and asked:
                return 0
        return 1
    return 2


if __name__ == '__main__':
    sys.exit(main())
