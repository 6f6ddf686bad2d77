#!/usr/bin/python3
"""Runs a sipvicious tool (svwar, svcrack, svmap) from a source address of
our choosing: sv_from.py ADDR TOOL ARGS...

sipvicious 0.3.3 (Debian 12) takes -b but its main() never hands it to the
scanner, which binds to every address and so sends from 127.0.0.1, the
tests' own (exempt) address. Every bind of the tool is made on ADDR here.
Run it with Debian's /usr/bin/python3, for which sipvicious is installed.
"""
import importlib
import socket
import sys

addr, tool = sys.argv[1], sys.argv[2]
_bind = socket.socket.bind


def bind(self, where):
    host, port = where[0], where[1]
    return _bind(self, (addr if host in ("", "0.0.0.0") else host, port))


socket.socket.bind = bind
sys.argv = [tool] + sys.argv[3:]
sys.path.insert(0, "/usr/share/sipvicious")     # where Debian puts it
sys.exit(importlib.import_module("sipvicious." + tool).main())
