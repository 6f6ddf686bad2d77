#!/usr/bin/env python3
"""Sends each request of a corpus of malformed SIP (tests/data/
sip-malformed/*.sip, byte for byte as they are) to caucusd over UDP and
checks its answer against expected.txt: the status code and words of the
reason phrase, or no answer at all (code 0) where none may be given (no
Via, an ACK, a response); and that no answer is larger than the datagram
it answers by more than its status line and a To tag (256 bytes): a
forged source must not make the focus an amplifier. "No answer" is seen
in order, not by waiting: a valid OPTIONS follows each such datagram, and
its 200 must come first.
Prints a line per case; exits 1 on any mismatch.

  sip_strict.py PORT DIR
"""
import os
import re
import socket
import sys

HOST = "127.0.0.1"


def options(n):
    return ("OPTIONS sip:demo@127.0.0.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-ok%d;rport\r\n"
            "From: <sip:tester@example.com>;tag=ok%d\r\nTo: <sip:demo@"
            "127.0.0.1>\r\nCall-ID: ok%d@strict\r\nCSeq: 1 OPTIONS\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            % (n, n, n)).encode()


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.settimeout(5)
    bad = 0
    cases = [ln.rstrip("\n").split("\t") for ln in
             open(os.path.join(folder, "expected.txt"))
             if ln.strip() and not ln.startswith("#")]
    for n, (name, code, why) in enumerate(cases):
        data = open(os.path.join(folder, name + ".sip"), "rb").read()
        m = re.search(rb"Call-ID: ([^\r]*)", data)
        cid = m.group(1) if m and m.group(1) else None
        sock.sendto(data, (HOST, port))
        if code == "0":
            sock.sendto(options(n), (HOST, port))
            got = None
            while True:
                ans = sock.recv(65535)
                if b"ok%d@strict" % n in ans:
                    break
                got = ans.split(b"\r\n")[0].decode(errors="replace")
            ok = got is None
            print("%-22s %s" % (name, "no answer" if ok else got))
        else:
            while True:
                ans = sock.recv(65535)
                first = ans.split(b"\r\n")[0].decode(errors="replace")
                # an INVITE's final answer is sent again until ACKed:
                # skip repeats of earlier cases
                if cid is None or cid in ans or b"Call-ID" not in ans:
                    break
            ok = first.startswith("SIP/2.0 %s " % code) and why in first
            if len(ans) > len(data) + 256:
                print("  FAIL: %d bytes answer %d" % (len(ans), len(data)))
                ok = False
            print("%-22s %s" % (name, first))
        if not ok:
            print("  FAIL: want %s with '%s'" % (code, why))
            bad += 1
    print("%d cases, %d wrong" % (len(cases), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
