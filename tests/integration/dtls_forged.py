#!/usr/bin/env python3
"""A DTLS-SRTP caller whose handshake strangers try to spoil first, for
test_tls_srtp.

  dtls_forged.py PORT CONF CERT KEY N
      INVITE as `srtpcall.py PORT CONF dtls CERT KEY CERT` does. Once
      answered and in its conference (the API shows it waiting for
      its handshake), N datagrams that only look like DTLS (first byte 22,
      DTLS 1.2, an epoch, a sequence number and a length, then junk) go
      to the focus's RTP port from N sockets of ours that are not the
      port our SDP names (a spoofer can show any source), and only then
      does `openssl s_client` do the genuine handshake from our port.
      Prints "final CODE", "forged N", "handshake done", then "up" once
      the focus shows the call keyed (HTTP_PORT in the environment) or
      "bye REASON" when it hangs up.

Why the API first: with per-thread sockets a record for a stream the
mixer does not have yet is nobody's, and the stream is added right
after the answer goes out. Why nothing is awaited between the forgeries
and the handshake: on
loopback a datagram is in the receiving socket's queue when sendto
returns, and the focus reads its RTP port in order and hands DTLS to its
signalling thread in order, so all N are handled before the ClientHello
that s_client, started after them, sends to the same port.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import srtpcall  # noqa: E402
from sipauth import HOST, Client  # noqa: E402


def waiting(conf):
    """this call shows in the API, waiting for its DTLS keys"""
    url = "http://127.0.0.1:%s/v1/conferences/%s" % (
        os.environ["HTTP_PORT"], conf)
    doc = json.load(urllib.request.urlopen(url, timeout=3))
    return any(p["uri"] == "sip:%s@example.com" % srtpcall.USER and
               p.get("media", {}).get("encryption") ==
               "DTLS-SRTP (handshake)" for p in doc.get("participants", []))


def record(seq, body):
    """a DTLS 1.2 handshake record of epoch 0 (RFC 6347 s. 4.1)"""
    return bytes([22, 0xfe, 0xfd, 0, 0]) + seq.to_bytes(6, "big") + \
        len(body).to_bytes(2, "big") + body


def client_hello(length, frag):
    """the header of a ClientHello of length bytes (RFC 6347 s. 4.2.2)
    and its first fragment: frag, from offset 0"""
    return bytes([1]) + length.to_bytes(3, "big") + bytes(2) + bytes(3) + \
        len(frag).to_bytes(3, "big") + frag


def forgery(i):
    """the i-th forged record; of each 4: junk after the record header, a
    ClientHello of junk (OpenSSL refuses it at once), and twice the start
    of a ClientHello whose rest never comes (OpenSSL waits for it: each
    holds one of the call's handshake places)"""
    junk = os.urandom(40)
    kind = i % 4
    if kind == 0:
        return record(i, junk)
    if kind == 1:
        return record(i, client_hello(len(junk), junk))
    return record(i, client_hello(400, junk))


def forge(port, n):
    """n forged records, each from a socket of its own: n strangers"""
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((HOST, 0))
        s.sendto(forgery(i), (HOST, port))
        socks.append(s)
    for s in socks:
        s.close()


def main():
    port, conf, cert, key, n = sys.argv[1:6]
    cl = Client(int(port))
    code, _, _, _, _ = srtpcall.invite(cl, conf,
                                       srtpcall.dtls_offer("actpass", cert))
    print("final %d" % code, flush=True)
    if code != 200:
        return
    focus_port = int(re.search(r"m=audio (\d+)", cl.answer).group(1))
    end = time.monotonic() + 5
    while not waiting(conf):
        if time.monotonic() > end:
            raise SystemExit("the call is not in the API, waiting for keys")
        time.sleep(0.02)
    forge(focus_port, int(n))
    print("forged %s" % n, flush=True)
    rtp_port = cl.rtp_port
    cl.rtp.close()
    try:
        r = subprocess.run(
            ["openssl", "s_client", "-dtls1_2", "-quiet", "-no_ign_eof",
             "-bind", "%s:%d" % (HOST, rtp_port),
             "-connect", "%s:%d" % (HOST, focus_port),
             "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-cert", cert,
             "-key", key],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=10)
    except subprocess.TimeoutExpired:
        print("no handshake in 10 s", flush=True)   # the focus ignored it
    else:
        if "SRTP" not in r.stderr + r.stdout and r.returncode:
            print("openssl: %s" % r.stderr.strip()[-300:], flush=True)
        print("handshake done", flush=True)
    reason = srtpcall.wait_bye(cl, 10, conf)
    print("bye %s" % reason if reason is not None else "up", flush=True)


if __name__ == "__main__":
    main()
