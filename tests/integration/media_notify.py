#!/usr/bin/env python3
"""A participant's media change, seen by a subscriber: one UDP client that
subscribes to a conference (Event: conference), calls in offering PCMU
only, waits for the NOTIFY that shows it connected with PCMU, then sends a
re-INVITE that changes nothing but the codec (PCMA only) and waits for the
partial NOTIFY that shows PCMA. Every NOTIFY body is written to
DIR/notify-N.xml, the partial one with PCMA also to DIR/partial-pcma.xml. Exits 0 when the partial NOTIFY came, 1 (saying why)
otherwise.

  media_notify.py PORT CONF DIR
"""
import random
import re
import socket
import sys
import time

HOST = "127.0.0.1"
WAIT_S = 15


class Peer:
    def __init__(self, port, conf, outdir):
        self.port, self.conf, self.outdir = port, conf, outdir
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.lport = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((HOST, 0))
        self.notifies = []          # (state, version, body)
        self.ruri = "sip:%s@%s:%d" % (conf, HOST, port)

    def send(self, text):
        self.sock.sendto(text.replace("\n", "\r\n").encode(),
                         (HOST, self.port))

    def recv(self, deadline):
        self.sock.settimeout(max(0.05, deadline - time.time()))
        data, _ = self.sock.recvfrom(65535)
        head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
        lines = head.split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        return lines[0], hdrs, body

    def reply_ok(self, hdrs):
        text = "SIP/2.0 200 OK\n"
        for k in ("via", "from", "to", "call-id", "cseq"):
            for v in hdrs.get(k, []):
                text += "%s: %s\n" % (k.title(), v)
        self.send(text + "Content-Length: 0\n\n")

    def pump(self, until, what):
        """handles what arrives (NOTIFYs answered and kept) until until()
        returns something, which is returned; exits 1 after WAIT_S"""
        deadline = time.time() + WAIT_S
        while True:
            got = until()
            if got:
                return got
            if time.time() > deadline:
                sys.exit("FAIL: no %s within %d s" % (what, WAIT_S))
            try:
                first, hdrs, body = self.recv(deadline)
            except socket.timeout:
                continue
            if first.startswith("NOTIFY"):
                self.reply_ok(hdrs)
                m = re.search(r'state="(\w+)" version="(\d+)"', body)
                if m:
                    n = len(self.notifies) + 1
                    with open("%s/notify-%d.xml" % (self.outdir, n),
                              "w") as f:
                        f.write(body)
                    self.notifies.append((m.group(1), int(m.group(2)),
                                          body))
            elif first.startswith("SIP/2.0"):
                self.responses.append((int(first.split()[1]), hdrs, body))
            elif not first.startswith("ACK"):
                self.reply_ok(hdrs)

    def request(self, method, callid, cseq, ftag, to, extra="", body=""):
        # send() turns every \n into \r\n, the body's too: its length is
        # counted as it goes out
        blen = len(body.replace("\n", "\r\n").encode())
        self.send("%s %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;"
                  "rport\nFrom: <sip:mia@example.com>;tag=%s\nTo: %s\n"
                  "Call-ID: %s\nCSeq: %d %s\nContact: <sip:mia@%s:%d>\n"
                  "Max-Forwards: 70\n%sContent-Length: %d\n\n%s"
                  % (method, self.ruri, HOST, self.lport,
                     random.getrandbits(48), ftag, to, callid, cseq, method,
                     HOST, self.lport, extra, blen, body))

    def final(self, what):
        def got():
            for r in self.responses:
                if r[0] >= 200:
                    self.responses.remove(r)
                    return r
            return None
        return self.pump(got, what)


def sdp(port, pt, name, version):
    return ("v=0\no=mia 1 %d IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\n"
            "t=0 0\nm=audio %d RTP/AVP %d\na=rtpmap:%d %s/8000\n"
            "a=sendrecv\n" % (version, port, pt, pt, name))


def codec_shown(p, codec, state=None):
    """the newest NOTIFY that shows mia's media with codec (and state)"""
    def look():
        for st, ver, body in reversed(p.notifies):
            if state and st != state:
                continue
            if "sip:mia@example.com" in body and \
               "<display-text>%s</display-text>" % codec in body:
                return st, ver, body
        return None
    return look


def main():
    port, conf, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    p = Peer(port, conf, outdir)
    p.responses = []
    rport = p.rtp.getsockname()[1]
    sub_id = "%x@watch" % random.getrandbits(48)
    p.request("SUBSCRIBE", sub_id, 1, "w%x" % random.getrandbits(32),
              "<%s>" % p.ruri, "Event: conference\nExpires: 120\n"
              "Accept: application/conference-info+xml\n")
    code = p.final("200 to SUBSCRIBE")[0]
    if code != 200:
        sys.exit("FAIL: SUBSCRIBE answered %d" % code)
    p.pump(lambda: p.notifies, "first NOTIFY")

    call_id, ftag = "%x@mia" % random.getrandbits(48), "m%x" % \
        random.getrandbits(32)
    p.request("INVITE", call_id, 1, ftag, "<%s>" % p.ruri,
              "Content-Type: application/sdp\n", sdp(rport, 0, "PCMU", 1))
    code, hdrs, answer = p.final("answer to INVITE")
    if code != 200 or "PCMU" not in answer:
        sys.exit("FAIL: INVITE answered %d:\n%s" % (code, answer))
    to = hdrs["to"][0]
    p.send("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x\n"
           "From: <sip:mia@example.com>;tag=%s\nTo: %s\nCall-ID: %s\n"
           "CSeq: 1 ACK\nMax-Forwards: 70\nContent-Length: 0\n\n"
           % (p.ruri, HOST, p.lport, random.getrandbits(48), ftag, to,
              call_id))
    p.pump(codec_shown(p, "PCMU"), "NOTIFY showing mia with PCMU")
    before = p.notifies[-1][1]

    # the same call, the same direction: only the codec changes
    p.request("INVITE", call_id, 2, ftag, to,
              "Content-Type: application/sdp\n", sdp(rport, 8, "PCMA", 2))
    code, _, answer = p.final("answer to the re-INVITE")
    if code != 200 or "PCMA" not in answer:
        sys.exit("FAIL: re-INVITE answered %d:\n%s" % (code, answer))
    p.send("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x\n"
           "From: <sip:mia@example.com>;tag=%s\nTo: %s\nCall-ID: %s\n"
           "CSeq: 2 ACK\nMax-Forwards: 70\nContent-Length: 0\n\n"
           % (p.ruri, HOST, p.lport, random.getrandbits(48), ftag, to,
              call_id))
    st, ver, body = p.pump(codec_shown(p, "PCMA", "partial"),
                           "partial NOTIFY showing mia with PCMA")
    if ver <= before:
        sys.exit("FAIL: version %d after %d" % (ver, before))
    with open("%s/partial-pcma.xml" % outdir, "w") as f:
        f.write(body)
    print("partial NOTIFY version %d (after %d) shows PCMA" % (ver, before))

    p.request("BYE", call_id, 3, ftag, to)
    p.final("answer to BYE")


if __name__ == "__main__":
    main()
