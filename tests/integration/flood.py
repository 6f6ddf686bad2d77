#!/usr/bin/env python3
"""A hostile or merely busy source, from an address of its own on
loopback (127.0.0.2 and up: the tests' 127.0.0.1 is exempt from the
limits), for test_flood:

  flood.py burst BIND PORT CONF N
      N OPTIONS to sip:CONF at once; prints how many got 200, 503 (and
      whether each 503 had Retry-After) and nothing
  flood.py garbage BIND PORT CONF N
      N OPTIONS that libre cannot decode (CSeq abc) at once; prints how
      many got 400, anything else, and nothing
  flood.py calls BIND PORT CONF N
      N INVITEs one after the other, each call kept up (ACKed, no BYE);
      prints the final code of each, in order
  flood.py subs BIND PORT CONF N
      N SUBSCRIBEs (Event: conference), each kept; prints each code
  (calls and subs with "hold" after N: once the codes are printed, the
      source stays and answers the server's requests with 200, its
      NOTIFYs and at its shutdown its BYEs, and exits once every call it
      holds had its BYE and every subscription its final NOTIFY, at most
      180 s: a caucusd that stops does not wait for answers that never
      come)
  flood.py crack BIND PORT CONF USER PASSWORDS
      a password cracker that gets digest right (svcrack does not: it
      signs another URI): INVITEs as USER (From sip:USER@example.com)
      with each password of the file PASSWORDS in turn, MD5; prints
      "found N" (the N-th password got in), or "silent N" (the N-th
      attempt got no answer at all), or "tried N"
"""
import hashlib
import re
import random
import socket
import sys
import time

SDP = ("v=0\r\no=f 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
       "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


class Source:
    def __init__(self, bind, port, conf):
        self.bind, self.port, self.conf = bind, port, conf
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # a burst's answers all wait here
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((bind, 0))
        self.lport = self.sock.getsockname()[1]
        self.ruri = "sip:%s@127.0.0.1:%d" % (conf, port)

    def request(self, method, n, extra="", body=""):
        callid = "%d-%x@flood" % (n, random.getrandbits(40))
        ftag = "%x" % random.getrandbits(32)
        msg = ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;"
               "rport\r\nFrom: <sip:flood@%s>;tag=%s\r\nTo: <%s>\r\n"
               "Call-ID: %s\r\nCSeq: 1 %s\r\nContact: <sip:flood@%s:%d>\r\n"
               "Max-Forwards: 70\r\n%sContent-Length: %d\r\n\r\n%s"
               % (method, self.ruri, self.bind, self.lport,
                  random.getrandbits(48), self.bind, ftag, self.ruri,
                  callid, method, self.bind, self.lport, extra,
                  len(body), body))
        self.sock.sendto(msg.encode(), ("127.0.0.1", self.port))
        return callid

    def answers(self, timeout):
        """every final answer until quiet for timeout s: (first line,
        text)"""
        out = []
        self.sock.settimeout(timeout)
        while True:
            try:
                data = self.sock.recv(65535).decode(errors="replace")
            except socket.timeout:
                return out
            first = data.split("\r\n")[0]
            if first.startswith("SIP/2.0 1"):
                continue
            out.append((first, data))

    def final(self, callid, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.sock.settimeout(max(0.05, end - time.monotonic()))
            try:
                data = self.sock.recv(65535).decode(errors="replace")
            except socket.timeout:
                break
            if callid not in data or not data.startswith("SIP/2.0 ") or \
               data.startswith("SIP/2.0 1"):
                continue            # a NOTIFY, a provisional, another
            return data
        return None

    def ack(self, answer):
        hdr = dict(ln.split(": ", 1) for ln in answer.split("\r\n")[1:]
                   if ": " in ln)
        self.sock.sendto(("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch="
                          "z9hG4bK%x\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
                          "CSeq: 1 ACK\r\nMax-Forwards: 70\r\n"
                          "Content-Length: 0\r\n\r\n"
                          % (self.ruri, self.bind, self.lport,
                             random.getrandbits(48), hdr["From"],
                             hdr["To"], hdr["Call-ID"])).encode(),
                         ("127.0.0.1", self.port))


def hold(src, held, seconds=180):
    """answers every request the server sends src with 200 until held
    calls or subscriptions have ended (BYE, or NOTIFY with
    Subscription-State: terminated), at most seconds; True if they did"""
    end = time.monotonic() + seconds
    ended = set()
    while len(ended) < held and time.monotonic() < end:
        src.sock.settimeout(max(0.05, end - time.monotonic()))
        try:
            data, peer = src.sock.recvfrom(65535)
        except socket.timeout:
            break
        req = data.decode(errors="replace")
        method = req.split(" ", 1)[0]
        if req.startswith("SIP/2.0") or method == "ACK":
            continue
        head = req.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [ln for ln in head[1:] if ln.split(":", 1)[0].lower() in
                ("via", "v", "from", "f", "to", "t", "call-id", "i",
                 "cseq")]
        src.sock.sendto(("SIP/2.0 200 OK\r\n%s\r\nContent-Length: 0"
                         "\r\n\r\n" % "\r\n".join(keep)).encode(), peer)
        state = [ln for ln in head if ln.lower().startswith(
            "subscription-state:")]
        callid = [ln.split(":", 1)[1].strip() for ln in head
                  if ln.split(":", 1)[0].lower() in ("call-id", "i")]
        if method == "BYE" or (method == "NOTIFY" and state and
                               "terminated" in state[0].lower()):
            ended.add(callid[0] if callid else len(ended))
    return len(ended) >= held


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def crack(src, user, passwords):
    words = [w.strip() for w in open(passwords) if w.strip()]
    for n, pw in enumerate(words, 1):
        aor = "sip:%s@example.com" % user
        frm = "<%s>;tag=%x" % (aor, random.getrandbits(32))
        cid = "crack%d-%x" % (n, random.getrandbits(32))
        base = ("INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch="
                "z9hG4bK%%x;rport\r\nFrom: %s\r\nTo: <%s>\r\nCall-ID: "
                "%s\r\nCSeq: %%d INVITE\r\nContact: <sip:%s@%s:%d>\r\n"
                "Max-Forwards: 70\r\n%%sContent-Type: application/sdp\r\n"
                "Content-Length: %d\r\n\r\n%s"
                % (src.ruri, src.bind, src.lport, frm, src.ruri, cid, user,
                   src.bind, src.lport, len(SDP % (src.bind, src.bind,
                                                   40000)),
                   SDP % (src.bind, src.bind, 40000)))
        src.sock.sendto((base % (random.getrandbits(48), 1, "")).encode(),
                        ("127.0.0.1", src.port))
        ans = src.final(cid, 2)
        if ans is None:
            return "silent %d" % n
        m = re.search(r'WWW-Authenticate: Digest realm="([^"]+)", '
                      r'nonce="([^"]+)".*algorithm=MD5', ans)
        if not m:
            return "no MD5 challenge at %d: %s" % (n, ans.split("\r\n")[0])
        realm, nonce = m.groups()
        ha1 = md5("%s:%s:%s" % (user, realm, pw))
        ha2 = md5("INVITE:%s" % src.ruri)
        resp = md5("%s:%s:00000001:abc:auth:%s" % (ha1, nonce, ha2))
        auth = ('Authorization: Digest username="%s", realm="%s", nonce='
                '"%s", uri="%s", response="%s", algorithm=MD5, qop=auth, '
                'nc=00000001, cnonce="abc"\r\n'
                % (user, realm, nonce, src.ruri, resp))
        src.sock.sendto((base % (random.getrandbits(48), 2, auth)).encode(),
                        ("127.0.0.1", src.port))
        ans = src.final(cid, 2)
        if ans is None:
            return "silent %d" % n
        if ans.startswith("SIP/2.0 200"):
            src.ack(ans)
            return "found %d" % n
    return "tried %d" % len(words)


def main():
    what, bind, port, conf = sys.argv[1:5]
    src = Source(bind, int(port), conf)
    if what == "crack":
        print(crack(src, sys.argv[5], sys.argv[6]))
        return
    n = int(sys.argv[5])
    if what == "burst":
        for i in range(n):
            src.request("OPTIONS", i)
            if i % 50 == 49:
                # a breath every 50, or the kernel drops at the server's
                # socket before caucusd sees them (that is no test of it)
                time.sleep(0.002)
        got = src.answers(1.0)
        ok = sum(1 for f, _ in got if f.startswith("SIP/2.0 200"))
        busy = [t for f, t in got if f.startswith("SIP/2.0 503")]
        retry = sum(1 for t in busy if "\r\nRetry-After: " in t)
        print("sent %d ok %d 503 %d retry-after %d silent %d"
              % (n, ok, len(busy), retry, n - len(got)))
    elif what == "garbage":
        # requests libre cannot decode (a CSeq that is no number), each
        # with a Via: the UDP guard's 400s come out of the same bucket
        for i in range(n):
            src.sock.sendto(("OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/UDP "
                             "%s:%d;branch=z9hG4bKg%d\r\nFrom: <sip:g@x>;"
                             "tag=g%d\r\nTo: <%s>\r\nCall-ID: g%d@flood\r\n"
                             "CSeq: abc OPTIONS\r\n\r\n"
                             % (src.ruri, bind, src.lport, i, i, src.ruri,
                                i)).encode(), ("127.0.0.1", src.port))
            if i % 50 == 49:
                time.sleep(0.002)
        got = src.answers(1.0)
        bad = sum(1 for f, _ in got if f.startswith("SIP/2.0 400"))
        print("sent %d 400 %d other %d silent %d"
              % (n, bad, len(got) - bad, n - len(got)))
    elif what == "calls":
        codes = []
        for i in range(n):
            rtp = 30000 + 2 * i
            cid = src.request("INVITE", i, "Content-Type: application/sdp"
                              "\r\n", SDP % (bind, bind, rtp))
            ans = src.final(cid)
            code = ans.split(" ")[1] if ans else "none"
            if code == "200":
                src.ack(ans)
            codes.append(code)
        print(" ".join(codes), flush=True)
        if sys.argv[6:] == ["hold"] and not hold(src, codes.count("200")):
            sys.exit("the server did not end what was held")
    elif what == "subs":
        codes = []
        for i in range(n):
            cid = src.request("SUBSCRIBE", i, "Event: conference\r\n"
                              "Expires: 600\r\n")
            ans = src.final(cid)
            codes.append(ans.split(" ")[1] if ans else "none")
        print(" ".join(codes), flush=True)
        if sys.argv[6:] == ["hold"] and not hold(src, codes.count("200")):
            sys.exit("the server did not end what was held")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
