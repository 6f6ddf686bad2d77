"""The mean colour of a PNG (8-bit RGB or RGBA, as baresip's snapshot
module writes it) as "Y U V" (BT.601, limited range): what a baresip
client decoded, for the video tests and tools/vidpeer/selftest.sh.

    python3 pngyuv.py FILE
"""
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat = 8, b''
while pos < len(d):
    n, t = struct.unpack('>I4s', d[pos:pos + 8])
    c = d[pos + 8:pos + 8 + n]
    if t == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', c[:10])
    elif t == b'IDAT':
        idat += c
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw, stride = zlib.decompress(idat), w * bpp
prev, sums = bytearray(stride), [0, 0, 0]
for y in range(h):
    o = y * (stride + 1)
    f, line = raw[o], bytearray(raw[o + 1:o + 1 + stride])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pr) & 255
    for x in range(w):
        for k in range(3):
            sums[k] += line[x * bpp + k]
    prev = line
r, g, b = (s / (w * h) for s in sums)
y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
print(round(y), round(u), round(v))
