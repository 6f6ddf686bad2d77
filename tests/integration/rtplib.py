"""RTP packets for the integration tests, built in one place (RFC 3550
s. 5.1): the Python callers (sipauth.py talk, the garbage senders of
test_rtp_per_thread.sh and test_sip_malformed.sh) import it instead of
packing headers of their own.

    packet(pt, seq, ts, ssrc, payload)       a plain RTP packet
    packet(..., level=10)                    with an RFC 6464 audio level
                                             (one-byte header extension,
                                             RFC 8285, id 1: -10 dBov,
                                             voice activity set)
    packet(..., version=1)                   a wrong version, for garbage

A script run as `python3 -` (a here-document) finds this module with
PYTHONPATH set to this folder.
"""
import struct

ONE_BYTE_EXT = 0xBEDE      # RFC 8285 s. 4.2: one-byte header elements


def level_ext(level, ext_id=1, voice=True):
    """the header extension (after the fixed header): one element, id
    ext_id, one byte: V and the level in -dBov (0..127), padded to 32
    bits"""
    elem = bytes([ext_id << 4, (0x80 if voice else 0) | (level & 0x7f)])
    elem += bytes(-len(elem) % 4)
    return struct.pack("!HH", ONE_BYTE_EXT, len(elem) // 4) + elem


def packet(pt, seq, ts, ssrc, payload=b"", level=None, ext_id=1,
           voice=True, marker=False, version=2):
    """one RTP packet: no padding, no CSRCs; with level (-dBov) an RFC
    6464 header extension of id ext_id"""
    ext = b"" if level is None else level_ext(level, ext_id, voice)
    b0 = (version & 3) << 6 | (0x10 if ext else 0)
    b1 = (0x80 if marker else 0) | (pt & 0x7f)
    return struct.pack("!BBHII", b0, b1, seq & 0xffff, ts & 0xffffffff,
                       ssrc & 0xffffffff) + ext + bytes(payload)
