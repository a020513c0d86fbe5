"""The ticket's QR code as a PNG, drawn in pure Python.

qrcode computes the code's modules; the PNG is written here from that matrix with zlib, as a 1-bit
greyscale image. Neither Pillow nor PyPNG draws it: Pillow 13 has no wheel for the Lambda Python 3.11
runtime (notes/chalice.md §2.3) and at least doubles the import time, and PyPNG packs pixels one by
one in Python, which was 60 % of composing a ticket email (about 25 ms of 40 per code). A 1-bit row
of modules is built once and repeated for the module's height, so writing the image costs well under
a millisecond. zlib's default level, not 9: on these rows level 9 took 0.89 ms against 0.12 ms and
wrote a larger image (374 bytes against 362).

Error correction M is the level the secret's size was planned for (version 5, see
`tickets.secrets`). Version 5 is 37 modules wide. With an 8-pixel module and the standard
4-module quiet zone the image is (37 + 8) * 8 = 360 px square: it scans from a phone screen,
prints sharply and scales down cleanly in an email.
"""
from __future__ import annotations

import struct
import zlib

BOX_SIZE = 8
BORDER = 4
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_png(secret: str) -> bytes:
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=BOX_SIZE, border=BORDER)
    code.add_data(secret)
    code.make(fit=True)
    return _png(code.get_matrix())


def _png(matrix: list[list[bool]]) -> bytes:
    """A 1-bit greyscale PNG of the matrix (True = dark module), each module BOX_SIZE pixels square."""
    size = len(matrix) * BOX_SIZE
    rows = bytearray()
    for modules in matrix:
        bits = "".join(("0" if dark else "1") * BOX_SIZE for dark in modules)
        bits += "1" * (-len(bits) % 8)
        row = b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")  # filter type 0, then the pixels
        rows += row * BOX_SIZE
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return _SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows))) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
