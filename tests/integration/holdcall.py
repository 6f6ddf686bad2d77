#!/usr/bin/env python3
"""A caller that puts the conference on hold and takes it off again, for
test_media_hold: what a phone does, measured at its own RTP port.

  holdcall.py PORT CONF USER TONE_HZ CTL OUT

Joins sip:CONF (PCMU, sendrecv) and sends a TONE_HZ tone at -20 dBFS
every 20 ms from then on, on hold too: many phones play music on hold
into a held call, and the room must not hear it. Every RTP packet that
arrives at its port is kept with its arrival time. It reads commands,
one a line, from the FIFO CTL:
  hold    re-INVITE with a=sendonly (the focus must answer recvonly)
  resume  re-INVITE with a=sendrecv
  remap   what a NAT that re-maps does: nothing is sent for REMAP_GAP_S,
          then the same stream (SSRC, sequence and timestamps running on)
          comes from a new port, where RTP is received from then on
  keys K  the keypad keys K (0-9 * #), one SIP INFO each
          (application/dtmf-relay), each answered 200
  bye     BYE, then the summary, then exit
and writes to OUT, a line each as it happens: "joined", "held",
"resumed", "remapped", "keyed K", then after the BYE "rx PHASE N" for each of
before (the join to the hold), held (0.3 s after the focus answered the
hold to the sending of the resume: the focus's last frames may be on
their way, and its first after the resume may come before its 200), after
(0.3 s after the focus answered the resume, to the BYE) and remapped
(from the new port's first packet to the BYE), and the audio of each
phase, decoded, as OUT-PHASE.wav (8 kHz, packets in arrival order).
"""
import math
import os
import random
import socket
import struct
import sys
import threading
import time
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtplib  # noqa: E402
from sipauth import HOST, Client, bye, media_dst, request, ulaw  # noqa: E402

SDP = ("v=0\r\no=t 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
       "t=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=%s\r\n")
# a frame the mixer had under way when the hold came reaches us late under
# ASan on a loaded machine; HOLD_GRACE_S (the split: the hold reaches the
# mixer process in the focus's re-INVITE, one more hop) may set it longer
GRACE_S = float(os.environ.get("HOLD_GRACE_S", "0.3"))
REMAP_GAP_S = 0.5          # the old source falls silent this long


def unulaw(b):
    """one G.711 u-law byte to a 16-bit sample"""
    b = ~b & 0xff
    t = (((b & 0x0f) << 3) + 0x84) << ((b & 0x70) >> 4)
    return (0x84 - t) if b & 0x80 else (t - 0x84)


class Holder:
    def __init__(self, port, conf, user, tone_hz, out):
        self.cl = Client(port)
        self.conf, self.user, self.tone_hz = conf, user, tone_hz
        self.out = open(out, "w", buffering=1)
        self.outname = out
        self.rx = []               # (arrival, payload) of each packet
        self.marks = {}            # event name: monotonic time
        self.remapped_sock = None
        self.running = True
        self.paused = False
        self.version = 1

    def say(self, what):
        self.marks[what] = time.monotonic()
        self.out.write(what + "\n")

    def join(self):
        code, first, _, _, _ = request(self.cl, "INVITE", self.conf,
                                       self.user)
        if code != 200:
            raise SystemExit("INVITE: %s" % first)
        self.focus_rtp = media_dst(self.cl.answer)
        self.cseq = self.cl.dialog[4]
        threading.Thread(target=self.send_tone, daemon=True).start()
        threading.Thread(target=self.receive, daemon=True).start()
        self.say("joined")

    def send_tone(self):
        start, k = time.monotonic(), 0
        while self.running:
            pcm = (int(3277 * math.sin(2 * math.pi * self.tone_hz *
                                       (k * 160 + i) / 8000))
                   for i in range(160))
            pkt = rtplib.packet(0, k, k * 160, 0x40ed,
                                bytes(ulaw(v) for v in pcm))
            if not self.paused:
                self.cl.rtp.sendto(pkt, self.focus_rtp)
            k += 1
            delay = start + k * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def receive(self):
        self.cl.rtp.settimeout(0.2)
        while self.running:
            try:
                data = self.cl.rtp.recv(2048)
            except OSError:
                continue
            if len(data) > 12 and data[1] & 0x7f == 0:
                if self.remapped_sock is self.cl.rtp and \
                   "remapped" not in self.marks:
                    self.say("remapped")   # the focus follows
                self.rx.append((time.monotonic(), data[12:]))

    def reinvite(self, direction):
        """a re-INVITE in the dialog; returns the answer's SDP"""
        ruri, frm, to, callid, _ = self.cl.dialog
        self.cseq += 1
        self.version += 1
        body = SDP % (self.version, self.cl.rtp_port, direction)
        via = "SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;rport" % (
            HOST, self.cl.lport, random.getrandbits(48))
        self.cl.send(
            "INVITE %s SIP/2.0\nVia: %s\nFrom: %s\nTo: %s\nCall-ID: %s\n"
            "CSeq: %d INVITE\nContact: <sip:%s@%s:%d>\nMax-Forwards: 70\n"
            "Content-Type: application/sdp\nContent-Length: %d\n\n"
            % (ruri, via, frm, to, callid, self.cseq, self.user, HOST,
               self.cl.lport, len(body)) + body.replace("\r\n", "\n"))
        code, first, _, answer = self.cl.final()
        self.cl.send("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK"
                     "%x\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: %d ACK\n"
                     "Max-Forwards: 70\nContent-Length: 0\n\n"
                     % (ruri, HOST, self.cl.lport, random.getrandbits(48),
                        frm, to, callid, self.cseq))
        if code != 200:
            raise SystemExit("re-INVITE %s: %s" % (direction, first))
        self.cl.dialog = (ruri, frm, to, callid, self.cseq)
        return answer

    def remap(self):
        """the NAT re-maps: silence, then the same stream from a new
        port (the caller's part of the gap is the event under test)"""
        self.paused = True
        time.sleep(REMAP_GAP_S)
        new = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        new.bind((HOST, 0))
        new.settimeout(0.2)
        self.remapped_sock = new
        self.cl.rtp = new
        self.paused = False

    def keys(self, digits):
        """one INFO per key, in the dialog"""
        ruri, frm, to, callid, _ = self.cl.dialog
        for d in digits:
            self.cseq += 1
            body = "Signal=%s\nDuration=100\n" % d
            via = "SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;rport" % (
                HOST, self.cl.lport, random.getrandbits(48))
            self.cl.send(
                "INFO %s SIP/2.0\nVia: %s\nFrom: %s\nTo: %s\n"
                "Call-ID: %s\nCSeq: %d INFO\nContact: <sip:%s@%s:%d>\n"
                "Max-Forwards: 70\nContent-Type: application/dtmf-relay\n"
                "Content-Length: %d\n\n%s"
                % (ruri, via, frm, to, callid, self.cseq, self.user, HOST,
                   self.cl.lport, len(body.replace("\n", "\r\n")), body))
            code, first, _, _ = self.cl.final()
            if code != 200:
                raise SystemExit("INFO %s: %s" % (d, first))
        self.cl.dialog = (ruri, frm, to, callid, self.cseq)
        self.say("keyed " + digits)

    def hold(self):
        answer = self.reinvite("sendonly")
        if "a=recvonly" not in answer:
            raise SystemExit("hold answered without recvonly:\n" + answer)
        self.say("held")

    def resume(self):
        # the held phase ends as the resume is sent: the focus may send
        # its first frame before its 200 is read here
        self.marks["resuming"] = time.monotonic()
        answer = self.reinvite("sendrecv")
        if "a=sendrecv" not in answer:
            raise SystemExit("resume answered without sendrecv:\n" + answer)
        self.say("resumed")

    def finish(self):
        self.say("bye")
        self.running = False
        bye(self.cl)
        m = self.marks
        held_end = m.get("resuming", m["bye"])
        phases = [("before", m["joined"], m.get("held", m["bye"])),
                  ("held", m.get("held", 0) + GRACE_S, held_end),
                  ("after", m.get("resumed", m["bye"]) + GRACE_S,
                   m["bye"]),
                  ("remapped", m.get("remapped", m["bye"]), m["bye"])]
        if "held" in m:
            # how long after the hold's answer the last packet came
            late = [t for t, p in self.rx
                    if m["held"] <= t < held_end]
            self.out.write("held_last_ms %d\n" %
                           ((late[-1] - m["held"]) * 1000 if late else -1))
        for name, a, b in phases:
            pkts = [p for t, p in self.rx if a <= t < b]
            self.out.write("rx %s %d\n" % (name, len(pkts)))
            w = wave.open("%s-%s.wav" % (self.outname, name), "wb")
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"".join(struct.pack("<%dh" % len(p),
                                               *(unulaw(x) for x in p))
                                   for p in pkts))
            w.close()
        self.out.write("done\n")


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 2
    port, conf, user, tone, ctl, out = sys.argv[1:]
    h = Holder(int(port), conf, user, float(tone), out)
    h.join()
    while True:
        with open(ctl) as f:          # one writer at a time: reopen
            for line in f:
                cmd = line.strip()
                if cmd == "hold":
                    h.hold()
                elif cmd == "resume":
                    h.resume()
                elif cmd == "remap":
                    h.remap()
                elif cmd.startswith("keys "):
                    h.keys(cmd[5:])
                elif cmd == "bye":
                    h.finish()
                    return 0
                elif cmd:
                    raise SystemExit("unknown command %r" % cmd)


if __name__ == "__main__":
    sys.exit(main())
