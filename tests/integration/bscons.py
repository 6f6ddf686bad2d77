#!/usr/bin/env python3
"""Drives one baresip through its cons module (UDP console): sends the
lines appended to CMDFILE as commands and appends what baresip prints
back (cons answers the last peer that sent a command) to OUTFILE, until
SECONDS have passed.
    bscons.py PORT CMDFILE OUTFILE SECONDS"""
import os
import socket
import sys
import time

port, cmdfile, outfile, secs = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                                float(sys.argv[4]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
s.settimeout(0.05)
sent = 0
end = time.time() + secs
with open(outfile, 'ab', buffering=0) as out:
    while time.time() < end:
        if os.path.exists(cmdfile):
            with open(cmdfile) as f:
                lines = f.read().splitlines()
            for line in lines[sent:]:
                s.sendto(line.encode() + b'\n', ('127.0.0.1', port))
            sent = len(lines)
        try:
            out.write(s.recv(65536).replace(b'\r', b'\n'))
        except socket.timeout:
            pass
