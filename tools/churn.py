#!/usr/bin/env python3
"""Participants that join and leave without end, for the soak benchmark
(bench/soak.sh) and its short form (tests/integration/test_soak.sh).

  churn.py --sip PORT --confs a,b,c --n 400 --hold 5:15 --seconds S
           [--status FILE]

N callers over SIP/UDP from 127.0.0.1, spread over the conferences. Each
joins (INVITE, PCMU), sends RTP every 20 ms while in the call (one in ten
a loud noise, the others quiet), stays a random time within --hold
seconds, hangs up (BYE) and joins again at once, until --seconds have
passed; then everyone hangs up.

A failure is: a join answered with anything but 200 (but for a 503
"overloaded" with Retry-After: the caller comes back when it says, as a
phone would, and it is counted as refused_overload), or not answered in
8 s; a BYE not answered 200; a BYE from the focus; a call that has been
up 3 s without one RTP packet from the focus. Each is printed as it
happens.

SIGUSR2: the server is about to go (kill -9): stop everything, forget
every call. SIGUSR1: the server is back: everyone joins again at once;
the time until all are in is reported ("rejoined N in S s").

Every 10 s a status line (to --status, else stderr); at the end one JSON
object on stdout: joins, leaves, failures, refused_overload, rtp_sent,
rtp_received, rejoin_s (one per SIGUSR1), and failures_list (the first 20).
"""
import argparse
import json
import os
import random
import re
import selectors
import signal
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
TICK = 0.02
JOIN_TIMEOUT = 8.0
RTP_GRACE = 3.0


class Leg:
    __slots__ = ("idx", "conf", "rtp", "rtp_port", "state", "callid",
                 "ftag", "to", "cseq", "branch", "sent_at", "tries",
                 "deadline", "dst", "seq", "ts", "ssrc", "loud", "up_at",
                 "rx", "msg", "retry_at")

    def __init__(self, idx, conf):
        self.idx, self.conf = idx, conf
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((HOST, 0))
        self.rtp.setblocking(False)
        self.rtp_port = self.rtp.getsockname()[1]
        self.state = "idle"
        self.retry_at = 0.0        # refused for load: not before then
        self.loud = idx % 10 == 0
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)


class Churn:
    def __init__(self, a):
        self.a = a
        self.dst = (HOST, a.sip)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((HOST, 0))
        self.sock.setblocking(False)
        self.lport = self.sock.getsockname()[1]
        confs = a.confs.split(",")
        self.legs = [Leg(i, confs[i % len(confs)]) for i in range(a.n)]
        self.by_callid = {}
        self.sel = selectors.DefaultSelector()
        for leg in self.legs:
            self.sel.register(leg.rtp, selectors.EVENT_READ, leg)
        self.hmin, self.hmax = (float(x) for x in a.hold.split(":"))
        self.paused = False
        self.asked = None
        self.rejoin_from = None
        self.stats = {"joins": 0, "leaves": 0, "failures": 0,
                      "refused_overload": 0,
                      "rtp_sent": 0, "rtp_received": 0, "rejoin_s": []}
        self.fail_list = []
        self.quiet = b"\xff" * 160
        self.out = open(a.status, "a", buffering=1) if a.status else \
            sys.stderr

    # ------------------------------------------------------------ SIP
    def send(self, text):
        self.sock.sendto(text.replace("\n", "\r\n").encode(), self.dst)

    def ruri(self, leg):
        return "sip:%s@%s:%d" % (leg.conf, HOST, self.a.sip)

    def fail(self, leg, what):
        self.stats["failures"] += 1
        line = "failure: leg %d (%s) %s" % (leg.idx, leg.conf, what)
        if len(self.fail_list) < 20:
            self.fail_list.append(line)
        print(line, file=self.out)

    def invite(self, leg, now):
        leg.callid = "%x.%d@churn" % (random.getrandbits(64), leg.idx)
        leg.ftag = "%x" % random.getrandbits(32)
        leg.branch = "z9hG4bK%x" % random.getrandbits(48)
        leg.cseq = 1
        leg.to = "<%s>" % self.ruri(leg)
        leg.state = "inviting"
        leg.tries = 0
        leg.deadline = now + JOIN_TIMEOUT
        leg.rx = 0
        self.by_callid[leg.callid] = leg
        sdp = ("v=0\r\no=churn %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
               "t=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
               "a=sendrecv\r\n" % (leg.idx, HOST, HOST, leg.rtp_port))
        leg.msg = (
            "INVITE %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\n"
            "From: <sip:churn%d@churn.invalid>;tag=%s\nTo: %s\n"
            "Call-ID: %s\nCSeq: 1 INVITE\nContact: <sip:churn%d@%s:%d>\n"
            "Max-Forwards: 70\nContent-Type: application/sdp\n"
            "Content-Length: %d\n\n" % (
                self.ruri(leg), HOST, self.lport, leg.branch, leg.idx,
                leg.ftag, leg.to, leg.callid, leg.idx, HOST, self.lport,
                len(sdp))) + sdp.replace("\r\n", "\n")
        self.send(leg.msg)
        leg.sent_at = now

    def ack(self, leg, branch):
        self.send("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s\n"
                  "From: <sip:churn%d@churn.invalid>;tag=%s\nTo: %s\n"
                  "Call-ID: %s\nCSeq: 1 ACK\nMax-Forwards: 70\n"
                  "Content-Length: 0\n\n" % (
                      self.ruri(leg), HOST, self.lport, branch, leg.idx,
                      leg.ftag, leg.to, leg.callid))

    def bye(self, leg, now):
        leg.state = "byeing"
        leg.cseq = 2
        leg.branch = "z9hG4bK%x" % random.getrandbits(48)
        leg.tries = 0
        leg.deadline = now + JOIN_TIMEOUT
        leg.msg = ("BYE %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\n"
                   "From: <sip:churn%d@churn.invalid>;tag=%s\nTo: %s\n"
                   "Call-ID: %s\nCSeq: 2 BYE\nMax-Forwards: 70\n"
                   "Content-Length: 0\n\n" % (
                       self.ruri(leg), HOST, self.lport, leg.branch,
                       leg.idx, leg.ftag, leg.to, leg.callid))
        self.send(leg.msg)
        leg.sent_at = now

    def reply(self, hdrs, code="200 OK", body=""):
        text = "SIP/2.0 %s\n" % code
        for k in ("via", "from", "to", "call-id", "cseq"):
            for v in hdrs.get(k, []):
                text += "%s: %s\n" % (k.title(), v)
        if body:
            text += ("Contact: <sip:churn@%s:%d>\nContent-Type: "
                     "application/sdp\n" % (HOST, self.lport))
        self.send(text + "Content-Length: %d\n\n" % len(body) +
                  body.replace("\r\n", "\n"))

    def handle(self, data, now):
        head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
        lines = head.split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        callid = hdrs.get("call-id", [""])[0]
        leg = self.by_callid.get(callid)
        first = lines[0]
        if not first.startswith("SIP/2.0"):
            method = first.split(" ", 1)[0]
            if method == "ACK":
                return
            if method == "BYE":
                self.reply(hdrs)
                if leg and leg.state == "up" and not self.paused:
                    reason = hdrs.get("reason", [""])[0]
                    self.fail(leg, "BYE from the focus %s" % reason)
                    self.drop(leg)
                return
            if method == "INVITE" and leg:     # a re-INVITE: same SDP
                sdp = ("v=0\r\no=churn %d 2 IN IP4 %s\r\ns=-\r\n"
                       "c=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n" % (
                           leg.idx, HOST, HOST, leg.rtp_port))
                self.reply(hdrs, body=sdp)
                return
            self.reply(hdrs)
            return
        if not leg:
            return                 # a call forgotten (SIGUSR2)
        code = int(first.split()[1])
        cseq = hdrs.get("cseq", [""])[0]
        if cseq.endswith("INVITE"):
            if code < 200:
                return
            if code >= 300:
                self.ack(leg, leg.branch)
                retry = hdrs.get("retry-after", [""])[0].split(";")[0]
                if (leg.state == "inviting" and code == 503 and
                        "overloaded" in first and retry.strip().isdigit()):
                    # refused for load, as a phone is told to come back:
                    # it does, once Retry-After has passed
                    self.stats["refused_overload"] += 1
                    print("refused for load: leg %d (%s), again in %s s" %
                          (leg.idx, leg.conf, retry.strip()), file=self.out)
                    self.drop(leg)
                    leg.retry_at = now + int(retry)
                elif leg.state == "inviting":
                    self.fail(leg, "join answered %s" % first[8:])
                    self.drop(leg)
                return
            leg.to = hdrs["to"][0]
            self.ack(leg, "z9hG4bK%x" % random.getrandbits(48))
            if leg.state != "inviting":
                return                 # a 200 again: ACKed again
            m = re.search(r"m=audio (\d+)", body)
            c = re.search(r"c=IN IP4 ([\d.]+)", body)
            if not m or not c:
                self.fail(leg, "200 without audio")
                self.bye(leg, now)
                return
            leg.dst = (c.group(1), int(m.group(1)))
            leg.state = "up"
            leg.up_at = now
            leg.deadline = now + random.uniform(self.hmin, self.hmax)
            self.stats["joins"] += 1
        elif cseq.endswith("BYE") and leg.state == "byeing":
            if code < 200:
                return
            if code != 200:
                self.fail(leg, "BYE answered %s" % first[8:])
            else:
                self.stats["leaves"] += 1
            self.drop(leg)

    def drop(self, leg):
        self.by_callid.pop(leg.callid, None)
        leg.state = "idle"

    # ------------------------------------------------------------ media
    def rtp_send(self):
        for leg in self.legs:
            if leg.state != "up":
                continue
            payload = os.urandom(160) if leg.loud else self.quiet
            pkt = struct.pack("!BBHII", 0x80, 0, leg.seq & 0xffff,
                              leg.ts & 0xffffffff, leg.ssrc) + payload
            leg.seq += 1
            leg.ts += 160
            try:
                leg.rtp.sendto(pkt, leg.dst)
                self.stats["rtp_sent"] += 1
            except OSError:
                pass

    def rtp_drain(self):
        for key, _ in self.sel.select(0):
            leg = key.data
            while True:
                try:
                    leg.rtp.recv(2048)
                except OSError:
                    break
                leg.rx += 1
                self.stats["rtp_received"] += 1

    # ------------------------------------------------------------ loop
    def timers(self, now, ending):
        for leg in self.legs:
            if leg.state == "idle":
                if not ending and not self.paused and now >= leg.retry_at:
                    self.invite(leg, now)
            elif leg.state == "up":
                if (leg.rx == 0 and now - leg.up_at > RTP_GRACE):
                    self.fail(leg, "no RTP from the focus in %.0f s" %
                              RTP_GRACE)
                    leg.rx = -1           # once
                if ending or now >= leg.deadline:
                    self.bye(leg, now)
            elif now >= leg.deadline:
                self.fail(leg, "%s: no answer in %.0f s" %
                          (leg.state, JOIN_TIMEOUT))
                self.drop(leg)
            elif now - leg.sent_at > 0.5 * (2 ** min(leg.tries, 3)):
                leg.tries += 1             # retransmission (RFC 3261 T1)
                leg.sent_at = now
                self.send(leg.msg)

    # the handlers only ask: the loop acts between its steps
    def on_pause(self, *_):
        self.asked = "pause"

    def on_resume(self, *_):
        self.asked = "resume"

    def act(self):
        asked, self.asked = self.asked, None
        if asked == "pause":
            self.paused = True
            for leg in self.legs:
                self.drop(leg)
                leg.retry_at = 0.0     # a new server: no Retry-After
            self.by_callid.clear()
            print("paused: every call forgotten", file=self.out)
        elif asked == "resume":
            self.paused = False
            self.rejoin_from = time.monotonic()
            print("resumed: everyone joins again", file=self.out)

    def run(self):
        signal.signal(signal.SIGUSR2, self.on_pause)
        signal.signal(signal.SIGUSR1, self.on_resume)
        start = time.monotonic()
        next_tick = start
        next_status = start + 10
        ending = False
        while True:
            if self.asked:
                self.act()
            now = time.monotonic()
            if not ending and now - start >= self.a.seconds:
                ending = True
            while True:
                try:
                    data = self.sock.recv(65535)
                except OSError:
                    break
                self.handle(data, now)
            if not self.paused:
                self.rtp_send()
            self.rtp_drain()
            self.timers(now, ending)
            up = sum(1 for leg in self.legs if leg.state == "up")
            if self.rejoin_from is not None and up == len(self.legs):
                self.stats["rejoin_s"].append(
                    round(now - self.rejoin_from, 2))
                print("rejoined %d in %.2f s" % (up, now -
                                                 self.rejoin_from),
                      file=self.out)
                self.rejoin_from = None
            if now >= next_status:
                next_status += 10
                print("t=%.0f up=%d joins=%d leaves=%d failures=%d "
                      "rtp_rx=%d" % (now - start, up, self.stats["joins"],
                                     self.stats["leaves"],
                                     self.stats["failures"],
                                     self.stats["rtp_received"]),
                      file=self.out)
            if ending and all(leg.state == "idle" for leg in self.legs):
                break
            next_tick += TICK
            delay = next_tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_tick = time.monotonic()
        self.stats["failures_list"] = self.fail_list
        print(json.dumps(self.stats))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sip", type=int, required=True)
    p.add_argument("--confs", required=True)
    p.add_argument("--n", type=int, default=400)
    p.add_argument("--hold", default="5:15")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--status")
    Churn(p.parse_args()).run()


if __name__ == "__main__":
    main()
