#!/usr/bin/env python3
"""Calls that test the focus's media security, for test_tls_srtp.

  srtpcall.py PORT CONF plain
      INVITE with plain RTP/AVP; prints "final CODE REASON"
  srtpcall.py PORT CONF sdes
      INVITE with RTP/SAVP and an a=crypto; prints "final CODE REASON"
  srtpcall.py TLS_PORT CONF sips CA
      INVITE to sips:CONF over TLS (the focus's certificate checked
      against CA), SDES SDP; prints "final CODE REASON", "contact URI"
      (the focus's Contact: it must be sips:), then BYEs
  srtpcall.py PORT CONF dtls-passive CERT KEY SDP_CERT
      the same with a=setup:passive: `openssl s_server` waits at the port
      our SDP names and the focus must start the handshake (it answers
      setup:active); prints "final", "setup", then "up" or "bye"
  srtpcall.py PORT CONF dtls CERT KEY SDP_CERT
      INVITE with UDP/TLS/RTP/SAVP, a=setup:actpass and the sha-256
      fingerprint of SDP_CERT; once answered (the focus must say
      setup:passive), `openssl s_client` does the DTLS handshake from the
      port our SDP names with CERT and KEY, offering SRTP. Prints
      "final CODE", "setup ROLE", "handshake done", then either "bye
      REASON" when the focus hangs up within 10 s (it must at once when
      CERT is not SDP_CERT) or "up" once the focus shows the call keyed
      (DTLS-SRTP in the API: HTTP_PORT in the environment), and exits 0.
"""
import base64
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipauth  # noqa: E402
from sipauth import HOST, Client  # noqa: E402

USER = "srtp%d" % os.getpid()      # this run's caller
SDP_HEAD = ("v=0\no=t 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\n"
            "t=0 0\n")


def fingerprint(cert):
    der = ssl.PEM_cert_to_DER_cert(open(cert).read())
    d = hashlib.sha256(der).hexdigest().upper()
    return ":".join(d[i:i + 2] for i in range(0, len(d), 2))


def invite(cl, conf, body):
    """request() with our SDP (RTPPORT: the port it holds for RTP)"""
    saved = sipauth.SDP
    sipauth.SDP = body.replace("%", "%%").replace("RTPPORT", "%d")
    try:
        return sipauth.request(cl, "INVITE", conf, USER)
    finally:
        sipauth.SDP = saved


def keyed(conf):
    """this call (by its From: each run has its own) shows DTLS keys"""
    url = "http://127.0.0.1:%s/v1/conferences/%s" % (
        os.environ["HTTP_PORT"], conf)
    doc = json.load(urllib.request.urlopen(url, timeout=3))
    return any(p["uri"] == "sip:%s@example.com" % USER and
               p.get("media", {}).get("encryption", "").startswith(
                   "DTLS-SRTP AES") for p in doc.get("participants", []))


def wait_bye(cl, seconds, conf):
    """the focus's BYE (its Reason text), or None once it shows the call
    keyed and nothing came"""
    cl.sock.settimeout(0.2)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            first, hdrs, _ = cl.recv()
        except OSError:
            if keyed(conf):
                return None
            continue
        if first.startswith("BYE"):
            cl.reply_ok(hdrs)
            reason = hdrs.get("reason", [""])[0]
            m = re.search(r'text="([^"]*)"', reason)
            return m.group(1) if m else reason
    raise SystemExit("neither a BYE nor keys in %d s" % seconds)


class TlsClient:
    """one SIP over TLS connection, messages framed by Content-Length"""
    def __init__(self, port, ca):
        ctx = ssl.create_default_context(cafile=ca)
        raw = socket.create_connection((HOST, port), timeout=5)
        self.sock = ctx.wrap_socket(raw, server_hostname=HOST)
        self.lport = self.sock.getsockname()[1]
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.replace("\n", "\r\n").encode())

    def recv(self):
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65535) or b"\0"
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        n = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        while len(rest) < n:
            rest += self.sock.recv(65535)
        self.buf = rest[n:]
        lines = head.decode().split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        return lines[0], hdrs, rest[:n].decode()


def sips_call(port, conf, ca):
    cl = TlsClient(port, ca)
    ruri = "sips:%s@%s:%d" % (conf, HOST, port)
    key = base64.b64encode(os.urandom(30)).decode()
    body = (SDP_HEAD + "m=audio 9 RTP/SAVP 0\na=rtpmap:0 PCMU/8000\n"
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\n" % key)
    body = body.replace("\n", "\r\n")
    via = "SIP/2.0/TLS %s:%d;branch=z9hG4bK%%x" % (HOST, cl.lport)
    common = ("From: <sips:tls@example.com>;tag=%x\nTo: <%s>\n"
              "Call-ID: %x@srtpcall\n" % (os.getpid(), ruri, time.time_ns()))
    cl.send("INVITE %s SIP/2.0\nVia: %s\n%sCSeq: 1 INVITE\n"
            "Contact: <sips:tls@%s:%d;transport=tls>\nMax-Forwards: 70\n"
            "Content-Type: application/sdp\nContent-Length: %d\n\n"
            % (ruri, via % 1, common, HOST, cl.lport, len(body)) +
            body.replace("\r\n", "\n"))
    while True:
        first, hdrs, _ = cl.recv()
        if not first.startswith("SIP/2.0 1"):
            break
    print("final %s" % first.split(" ", 1)[1])
    print("contact %s" % hdrs.get("contact", ["-"])[0])
    if not first.startswith("SIP/2.0 200"):
        return
    to = hdrs["to"][0]
    common = common.replace("To: <%s>" % ruri, "To: %s" % to)
    cl.send("ACK %s SIP/2.0\nVia: %s\n%sCSeq: 1 ACK\nMax-Forwards: 70\n"
            "Content-Length: 0\n\n" % (ruri, via % 2, common))
    cl.send("BYE %s SIP/2.0\nVia: %s\n%sCSeq: 2 BYE\nMax-Forwards: 70\n"
            "Content-Length: 0\n\n" % (ruri, via % 3, common))
    while True:
        first, hdrs, _ = cl.recv()
        if hdrs.get("cseq", [""])[0].endswith("BYE"):
            print("bye %s" % first.split(" ", 1)[1])
            return


def dtls_passive(cl, conf, cert, key, sdp_cert):
    """we say setup:passive: an openssl DTLS server at the port our SDP
    names, the focus must start the handshake (setup:active) and key the
    call"""
    rtp_port = cl.rtp_port
    cl.rtp.close()
    srv = subprocess.Popen(
        ["openssl", "s_server", "-dtls1_2", "-quiet",
         "-accept", "%s:%d" % (HOST, rtp_port),
         "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-cert", cert, "-key", key],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        # the server listens once its port is bound
        end = time.monotonic() + 5
        while time.monotonic() < end and not udp_bound(rtp_port):
            time.sleep(0.02)
        code, first, _, _, _ = invite(cl, conf,
                                      dtls_offer("passive", sdp_cert))
        print("final %d" % code, flush=True)
        if code != 200:
            return
        setup = re.search(r"a=setup:(\w+)", cl.answer)
        print("setup %s" % (setup.group(1) if setup else "-"), flush=True)
        reason = wait_bye(cl, 10, conf)
        print("bye %s" % reason if reason is not None else "up", flush=True)
    finally:
        srv.kill()
        srv.wait()


def dtls_offer(setup, sdp_cert):
    """a DTLS-SRTP offer of PCMU with that a=setup and the sha-256
    fingerprint of the certificate file sdp_cert"""
    return (SDP_HEAD + "m=audio RTPPORT UDP/TLS/RTP/SAVP 0\n"
            "a=rtpmap:0 PCMU/8000\na=setup:%s\n"
            "a=fingerprint:sha-256 %s\n" % (setup, fingerprint(sdp_cert)))


def udp_bound(port):
    """something listens on UDP port (ss, as the shell tests ask)"""
    out = subprocess.run(["ss", "-Hlnu", "sport = :%d" % port],
                         capture_output=True, text=True).stdout
    return bool(out.strip())


def main():
    port, conf, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == "sips":
        sips_call(port, conf, sys.argv[4])
        return
    cl = Client(port)
    if mode == "plain":
        code, first, _, _, _ = invite(
            cl, conf, SDP_HEAD + "m=audio RTPPORT RTP/AVP 0\n"
            "a=rtpmap:0 PCMU/8000\n")
        print("final %s" % first.split(" ", 1)[1])
        return
    if mode == "sdes":
        key = base64.b64encode(os.urandom(30)).decode()
        code, first, _, _, _ = invite(
            cl, conf, SDP_HEAD + "m=audio RTPPORT RTP/SAVP 0\n"
            "a=rtpmap:0 PCMU/8000\n"
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\n" % key)
        print("final %s" % first.split(" ", 1)[1])
        return
    cert, key, sdp_cert = sys.argv[4:7]
    if mode == "dtls-passive":
        dtls_passive(cl, conf, cert, key, sdp_cert)
        return
    code, first, _, _, _ = invite(cl, conf, dtls_offer("actpass", sdp_cert))
    print("final %d" % code, flush=True)
    if code != 200:
        return
    m = re.search(r"m=audio (\d+)", cl.answer)
    setup = re.search(r"a=setup:(\w+)", cl.answer)
    print("setup %s" % (setup.group(1) if setup else "-"), flush=True)
    # the port our SDP named, for the handshake
    rtp_port = cl.rtp_port
    cl.rtp.close()
    r = subprocess.run(
        ["openssl", "s_client", "-dtls1_2", "-quiet", "-no_ign_eof",
         "-bind", "%s:%d" % (HOST, rtp_port),
         "-connect", "%s:%s" % (HOST, m.group(1)),
         "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-cert", cert, "-key", key],
        stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=10)
    if "SRTP" not in r.stderr + r.stdout and r.returncode:
        print("openssl: %s" % (r.stderr.strip()[-300:]), flush=True)
    print("handshake done", flush=True)
    reason = wait_bye(cl, 10, conf)
    print("bye %s" % reason if reason is not None else "up", flush=True)


if __name__ == "__main__":
    main()
