"""The ticket's QR code as a PNG, drawn in pure Python.

qrcode's PyPNG image factory is used instead of Pillow, for two reasons. Pillow 13 has no wheel
for the Lambda Python 3.11 runtime, so `chalice package` would build it against the host's
libraries (notes/chalice.md §2.3). Pillow also at least doubles the import time: importing
and drawing one code took 45 ms with pypng against 117 ms with Pillow, measured without bytecode
caches, as in Chalice's zip. qrcode picks Pillow whenever no factory is given, so the factory is
always passed explicitly.

Error correction M is the level the secret's size was planned for (version 5, see
`tickets.secrets`). Version 5 is 37 modules wide. With an 8-pixel module and the standard
4-module quiet zone the image is (37 + 8) * 8 = 360 px square: it scans from a phone screen,
prints sharply and scales down cleanly in an email.
"""
from __future__ import annotations

import io

BOX_SIZE = 8
BORDER = 4


def qr_png(secret: str) -> bytes:
    import qrcode
    from qrcode.image.pure import PyPNGImage

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=BOX_SIZE,
        border=BORDER,
        image_factory=PyPNGImage,
    )
    code.add_data(secret)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
