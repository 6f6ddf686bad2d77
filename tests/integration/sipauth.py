#!/usr/bin/env python3
"""A small SIP client over UDP that answers digest challenges itself, for
what sipp cannot do: SHA-256 (RFC 8760), replayed nonce counts, foreign
uris, forged nonces, garbage credentials, and an authenticated SUBSCRIBE
whose NOTIFY body is printed.

  sipauth.py checks PORT CONF USER PASS    every check below, exit 1 on one
  sipauth.py fetch PORT CONF USER [PASS]   SUBSCRIBE (Expires: 0), prints
                                           the NOTIFY body
  sipauth.py early PORT CONF USER          INVITE, then prints the codes of
                                           the answers (183+sdp, the final)
  sipauth.py talk PORT CONF USER SECS LOSS% REORDER%
                                           joins and sends a 440 Hz tone
                                           (PCMU) for SECS, dropping and
                                           swapping packets at random
                                           (seeded), then BYE; prints what
                                           it did
  sipauth.py talk-level PORT CONF USER SECS LEVEL
                                           the same with silence, but an
                                           RFC 6464 header extension saying
                                           -LEVEL dBov (offered in the SDP)
"""
import hashlib
import os
import random
import re
import socket
import sys
import time

import rtplib

HOST = "127.0.0.1"


class Client:
    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(3)
        self.lport = self.sock.getsockname()[1]
        # the RTP port our SDP names, bound now so nobody else takes it
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((HOST, 0))
        self.rtp_port = self.rtp.getsockname()[1]

    def send(self, text):
        self.sock.sendto(text.replace("\n", "\r\n").encode(),
                         (HOST, self.port))

    def recv(self):
        """the next message: (first line, headers dict of lists, body)"""
        data, _ = self.sock.recvfrom(65535)
        head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
        lines = head.split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        return lines[0], hdrs, body

    def final(self, want_method=None):
        """the final response (skipping 1xx, shown to self.on_provisional
        when set), answering NOTIFYs"""
        while True:
            first, hdrs, body = self.recv()
            if first.startswith("SIP/2.0 1"):
                if getattr(self, "on_provisional", None):
                    self.on_provisional(first, body)
                continue
            if first.startswith("SIP/2.0"):
                return int(first.split()[1]), first, hdrs, body
            # a request (NOTIFY): answer it and keep it
            self.reply_ok(hdrs)
            self.last_request = (first, hdrs, body)


    def reply_ok(self, hdrs):
        text = "SIP/2.0 200 OK\n"
        for k in ("via", "from", "to", "call-id", "cseq"):
            for v in hdrs.get(k, []):
                text += "%s: %s\n" % (k.title(), v)
        self.send(text + "Content-Length: 0\n\n")


def H(alg, s):
    return hashlib.new("sha256" if alg == "SHA-256" else "md5",
                       s.encode()).hexdigest()


def auth_header(chal, alg, user, pw, method, uri, nc=1, realm=None):
    m = [c for c in chal if "algorithm=%s" % alg in c]
    if not m:
        raise SystemExit("no %s challenge in %r" % (alg, chal))
    realm = realm or re.search(r'realm="([^"]*)"', m[0]).group(1)
    nonce = re.search(r'nonce="([^"]*)"', m[0]).group(1)
    cnonce = "%08x" % random.getrandbits(32)
    ha1 = H(alg, "%s:%s:%s" % (user, realm, pw))
    ha2 = H(alg, "%s:%s" % (method, uri))
    resp = H(alg, "%s:%s:%08x:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=%s, qop=auth, nc=%08x, '
            'cnonce="%s"' % (user, realm, nonce, uri, resp, alg, nc, cnonce))


SDP = ("v=0\no=t 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n"
       "m=audio %d RTP/AVP 0\na=rtpmap:0 PCMU/8000\na=sendrecv\n")


def media_dst(answer):
    """where an SDP answer wants our RTP: (its c= address, else HOST, and
    its audio port); with the media-server split that is the mixer
    process's address, not the focus's"""
    c = re.search(r"^c=IN IP4 (\S+)", answer, re.M)
    port = int(re.search(r"m=audio (\d+)", answer).group(1))
    return (c.group(1) if c else HOST, port)


def request(cl, method, conf, user, auth=None, cseq=1, callid=None,
            extra=""):
    ruri = "sip:%s@%s:%d" % (conf, HOST, cl.port)
    callid = callid or "%x@sipauth" % random.getrandbits(48)
    body = ""
    if method == "INVITE":
        body = (SDP % cl.rtp_port).replace("\n", "\r\n")
        if getattr(cl, "extmap", False):
            body += ("a=extmap:1 urn:ietf:params:rtp-hdrext:"
                     "ssrc-audio-level\r\n")
        extra += "Content-Type: application/sdp\n"
    if method == "SUBSCRIBE":
        extra += "Event: conference\nExpires: 0\n" \
                 "Accept: application/conference-info+xml\n"
    text = ("%s %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;rport\n"
            "From: <sip:%s@example.com>;tag=%x\nTo: <%s>\nCall-ID: %s\n"
            "CSeq: %d %s\nContact: <sip:%s@%s:%d>\nMax-Forwards: 70\n%s"
            % (method, ruri, HOST, cl.lport, random.getrandbits(48), user,
               random.getrandbits(32), ruri, callid, cseq, method, user,
               HOST, cl.lport, extra))
    if auth:
        text += "Authorization: %s\n" % auth
    cl.send(text + "Content-Length: %d\n\n" % len(body.encode()) +
            body.replace("\r\n", "\n"))
    code, first, hdrs, abody = cl.final()
    cl.answer = abody
    cl.last_final = first
    if method == "INVITE" and code >= 200:
        to = hdrs["to"][0]
        ack = ("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x\n"
               "From: %s\nTo: %s\nCall-ID: %s\nCSeq: %d ACK\n"
               "Max-Forwards: 70\nContent-Length: 0\n\n"
               % (ruri, HOST, cl.lport, random.getrandbits(48),
                  hdrs["from"][0], to, callid, cseq))
        cl.send(ack)
        if code == 200:
            cl.dialog = (ruri, hdrs["from"][0], to, callid, cseq)
    return code, first, hdrs, ruri, callid


def bye(cl):
    ruri, frm, to, callid, cseq = cl.dialog
    cl.send("BYE %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x\n"
            "From: %s\nTo: %s\nCall-ID: %s\nCSeq: %d BYE\nMax-Forwards: 70\n"
            "Content-Length: 0\n\n" % (ruri, HOST, cl.lport,
                                       random.getrandbits(48), frm, to,
                                       callid, cseq + 1))
    code = cl.final()[0]
    if code != 200:
        raise SystemExit("BYE answered %d" % code)


FAILS = []


def expect(what, got, want):
    ok = got == want
    print("%-58s %s (want %s)%s" % (what, got, want, "" if ok else "  FAIL"))
    if not ok:
        FAILS.append(what)


def challenge(cl, conf, user, method="INVITE"):
    code, first, hdrs, ruri, _ = request(cl, method, conf, user)
    if code != 401:
        raise SystemExit("%s without credentials: %s" % (method, first))
    return hdrs.get("www-authenticate", []), ruri


def checks(port, conf, user, pw):
    cl = Client(port)
    chal, ruri = challenge(cl, conf, user)
    expect("challenge offers SHA-256 and MD5",
           [bool(re.search("algorithm=SHA-256", " ".join(chal))),
            bool(re.search("algorithm=MD5", " ".join(chal)))], [True, True])
    a = auth_header(chal, "SHA-256", user, pw, "INVITE", ruri)
    code = request(cl, "INVITE", conf, user, a, cseq=2)[0]
    expect("INVITE with SHA-256 credentials", code, 200)
    if code == 200:
        time.sleep(0.3)
        bye(cl)
    # the very same Authorization again (a replay on a new call)
    expect("replayed nonce count", request(cl, "INVITE", conf, user, a)[0],
           403)
    a2 = auth_header(chal, "SHA-256", user, pw, "INVITE", ruri, nc=2)
    code = request(cl, "INVITE", conf, user, a2)[0]
    expect("the next nonce count on the same nonce", code, 200)
    if code == 200:
        bye(cl)
    chal, ruri = challenge(cl, conf, user)
    a = auth_header(chal, "MD5", user, pw, "INVITE", "sip:other@127.0.0.1")
    expect("uri that is not the Request-URI",
           request(cl, "INVITE", conf, user, a)[0], 400)
    a = auth_header(chal, "SHA-256", user, pw + "x", "INVITE", ruri)
    wrong = request(cl, "INVITE", conf, user, a)
    expect("wrong password", wrong[0], 403)
    a = auth_header(chal, "SHA-256", user, pw, "INVITE", ruri,
                    realm="elsewhere")
    expect("credentials for another realm",
           request(cl, "INVITE", conf, user, a)[0], 401)
    forged = re.sub(r'nonce="([0-9a-f]{24})[0-9a-f]{16}"',
                    r'nonce="\g<1>0000000000000000"', chal[0])
    a = auth_header([forged], "SHA-256" if "SHA-256" in forged else "MD5",
                    user, pw, "INVITE", ruri)
    code, first, hdrs, _, _ = request(cl, "INVITE", conf, user, a)
    expect("forged nonce: challenged again, stale=true",
           [code, "stale=true" in " ".join(hdrs.get("www-authenticate",
                                                     []))], [401, True])
    for g in ['Digest', 'Digest username="%s"' % user, 'Basic Zm9vOmJhcg==',
              'Digest username="a", username="b", realm="r", nonce="n", '
              'uri="u", response="r"', 'Digest \x01\x02 garbage',
              'Digest username="%s", realm="x' % user]:
        code = request(cl, "INVITE", conf, user, g)[0]
        expect("garbage Authorization %r" % g[:30], code in (400, 401),
               True)
    # credentials of another user for this From
    a = auth_header(chal, "SHA-256", "nobody", pw, "INVITE", ruri)
    unknown = request(cl, "INVITE", conf, user, a)
    expect("credentials of an unknown user", unknown[0], 403)
    # and nothing else in the answer tells them apart either: the same
    # status line, the same headers but those that name the request
    def telling(r):
        return r[1], sorted((k, v) for k, vs in r[2].items() for v in vs
                            if k not in ("via", "from", "to", "call-id",
                                         "cseq"))
    expect("unknown user and wrong password answered alike",
           telling(unknown) == telling(wrong), True)
    # MESSAGE and REFER outside a call are challenged too
    for method in ("MESSAGE", "REFER"):
        code = request(cl, method, conf, user,
                       extra="Refer-To: <sip:x@127.0.0.1>\n"
                       if method == "REFER" else "Content-Type: "
                       "text/plain\n")[0]
        expect("%s without credentials" % method, code, 401)
    return 1 if FAILS else 0


def fetch(port, conf, user, pw=None):
    cl = Client(port)
    cl.last_request = None
    code, first, hdrs, ruri, callid = request(cl, "SUBSCRIBE", conf, user)
    if code == 401 and pw:
        a = auth_header(hdrs["www-authenticate"], "SHA-256", user, pw,
                        "SUBSCRIBE", ruri)
        code, first, hdrs, ruri, callid = request(cl, "SUBSCRIBE", conf,
                                                  user, a, cseq=2)
    if code // 100 != 2:
        print("SUBSCRIBE: %s" % first, file=sys.stderr)
        return 2
    while cl.last_request is None:
        first, hdrs, body = cl.recv()
        if first.startswith("NOTIFY"):
            cl.reply_ok(hdrs)
            cl.last_request = (first, hdrs, body)
    sys.stdout.write(cl.last_request[2])
    return 0


def early(port, conf, user):
    """an INVITE that may wait long: prints every answer's code as it
    comes, and whether it carried SDP (a 183 with early media)"""
    def show(first, body):
        print(first + (" +sdp" if "m=audio" in body else ""))
        sys.stdout.flush()

    cl = Client(port)
    cl.sock.settimeout(30)
    cl.on_provisional = show
    request(cl, "INVITE", conf, user)
    show(cl.last_final, cl.answer)
    return 0


def ulaw(x):
    """one 16-bit sample to G.711 u-law"""
    sign = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 132
    exp = 7
    for e in range(8):
        if x < (1 << (e + 8)):
            exp = e
            break
    mant = (x >> (exp + 3)) & 0x0f
    return ~(sign | (exp << 4) | mant) & 0xff


def talk(port, conf, user, secs, loss, reorder, level=None):
    """level: send silence, but say in an RFC 6464 header extension
    (id 1, offered in the SDP) that the audio is at -level dBov"""
    import math
    rnd = random.Random(4575)
    cl = Client(port)
    cl.extmap = level is not None
    code, first, hdrs, ruri, callid = request(cl, "INVITE", conf, user)
    if code != 200:
        print("INVITE: %s" % first, file=sys.stderr)
        return 2
    # where the focus wants our RTP: its SDP answer
    rtp = cl.rtp
    dst = media_dst(cl.answer)
    frames = int(secs * 50)
    order = list(range(frames))
    swapped = dropped = 0
    k = 0
    while k < frames - 1:
        if rnd.random() < reorder / 100.0:
            order[k], order[k + 1] = order[k + 1], order[k]
            swapped += 1
            k += 2
        else:
            k += 1
    start = time.monotonic()
    for slot, k in enumerate(order):
        if level is not None:
            # silence (u-law 0xff), and the level in the extension
            pkt = rtplib.packet(0, k, k * 160, 0x4575, bytes([0xff] * 160),
                                level=level)
        else:
            pcm = [int(12000 * math.sin(2 * math.pi * 440 *
                                        (k * 160 + i) / 8000))
                   for i in range(160)]
            pkt = rtplib.packet(0, k, k * 160, 0x4575,
                                bytes(ulaw(v) for v in pcm))
        if rnd.random() < loss / 100.0:
            dropped += 1
        else:
            rtp.sendto(pkt, dst)
        delay = start + (slot + 1) * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("sent %d frames, dropped %d, swapped %d pairs" %
          (frames - dropped, dropped, swapped))
    rtp.close()
    bye(cl)
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 7 and sys.argv[1] == "talk-level":
        sys.exit(talk(int(sys.argv[2]), sys.argv[3], sys.argv[4],
                      float(sys.argv[5]), 0, 0, int(sys.argv[6])))
    if len(sys.argv) >= 8 and sys.argv[1] == "talk":
        sys.exit(talk(int(sys.argv[2]), sys.argv[3], sys.argv[4],
                      float(sys.argv[5]), float(sys.argv[6]),
                      float(sys.argv[7])))
    if len(sys.argv) >= 5 and sys.argv[1] == "early":
        sys.exit(early(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
    if len(sys.argv) >= 5 and sys.argv[1] == "checks":
        sys.exit(checks(int(sys.argv[2]), sys.argv[3], sys.argv[4],
                        sys.argv[5]))
    if len(sys.argv) >= 5 and sys.argv[1] == "fetch":
        sys.exit(fetch(int(sys.argv[2]), sys.argv[3], sys.argv[4],
                       sys.argv[5] if len(sys.argv) > 5 else None))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
