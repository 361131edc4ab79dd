#!/usr/bin/env python3
"""Checks that a PNG screenshot is a real rendering, not a blank page.

usage: pngcheck.py FILE WIDTH HEIGHT [RRGGBB...]

Decodes the PNG with zlib only (8-bit RGB/RGBA, non-interlaced, as
Chromium writes them), then requires the given dimensions, at least 16
distinct colours, at least 2% of pixels that are not the background
colour, and at least 20 pixels of each RRGGBB colour given (e.g. the
report's pass badge or histogram bars).  Prints one line; exit 0 if ok.
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d, interlace %d)" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev, off = [], bytearray(stride), 0
    for _ in range(h):
        f, cur = raw[off], bytearray(raw[off + 1:off + 1 + stride])
        off += 1 + stride
        for i in range(stride):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                cur[i] = (cur[i] + a) & 255
            elif f == 2:
                cur[i] = (cur[i] + b) & 255
            elif f == 3:
                cur[i] = (cur[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif f != 0:
                raise ValueError("bad filter %d" % f)
        rows.append(bytes(cur))
        prev = cur
    return w, h, bpp, rows


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    want = [tuple(int(c[i:i + 2], 16) for i in (0, 2, 4)) for c in sys.argv[4:]]
    w, h, bpp, rows = decode(path)
    counts = {}
    for r in rows:
        for x in range(0, w * bpp, bpp):
            px = r[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    bg, bgn = max(counts.items(), key=lambda kv: kv[1])
    fg = 1 - bgn / float(w * h)
    problems = []
    if (w, h) != (want_w, want_h):
        problems.append("size %dx%d, wanted %dx%d" % (w, h, want_w, want_h))
    if len(counts) < 16:
        problems.append("only %d distinct colours" % len(counts))
    if fg < 0.02:
        problems.append("only %.2f%% of pixels differ from the background" % (fg * 100))
    for c in want:
        n = counts.get(bytes(c), 0)
        if n < 20:
            problems.append("colour #%02x%02x%02x: %d pixels" % (c + (n,)))
    summary = "%dx%d, %d colours, %.1f%% non-background" % (w, h, len(counts), fg * 100)
    if problems:
        print("FAIL " + summary + ": " + "; ".join(problems))
        return 1
    print("ok " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
