"""Prints what a PNG holds, for tests that need to know a screenshot is not
blank: `width height distinct_colours non_white_pixels`. Standard library
only (zlib): the chunks are read, IDAT inflated and each row un-filtered as
the PNG specification says. 8-bit RGB or RGBA, not interlaced.

With colours as further arguments (`1e7b4a`), one more line per colour:
`count x0 y0 x1 y1`, how many pixels have exactly that colour and the box
around them (`0 -1 -1 -1 -1` when none), so a test can tell where a
coloured part of a page landed."""
import struct
import sys
import zlib


def main(path, wanted):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours, non_white = set(), 0
    found = {w: [0, -1, -1, -1, -1] for w in wanted}
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        for x in range(0, stride, bpp):
            px = bytes(line[x : x + 3])
            colours.add(px)
            if px != b"\xff\xff\xff":
                non_white += 1
            hit = found.get(px)
            if hit is not None:
                col = x // bpp
                if hit[0] == 0:
                    hit[1:] = [col, y, col, y]
                hit[0] += 1
                hit[1], hit[2] = min(hit[1], col), min(hit[2], y)
                hit[3], hit[4] = max(hit[3], col), max(hit[4], y)
        prev = line
    print(width, height, len(colours), non_white)
    for w in wanted:
        print(*found[w])


main(sys.argv[1], [bytes.fromhex(c) for c in sys.argv[2:]])
