import io
import subprocess
import sys

import PIL.Image
import zxingcpp

from chalicelib.tickets.qr import qr_png


def test_the_png_decodes_back_to_the_secret(secret):
    png = qr_png(secret)

    image = PIL.Image.open(io.BytesIO(png))
    (result,) = zxingcpp.read_barcodes(image)
    assert result.text == secret
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert result.ec_level == "M"
    assert int(result.extra["Version"]) <= 7
    assert image.size == (360, 360)  # (37 modules + 2 * 4 quiet zone) * 8 px


def test_importing_the_ticket_and_mail_modules_loads_no_heavy_library():
    heavy = ("cryptography", "qrcode", "icalendar", "PIL", "png")
    code = (
        "import sys, chalicelib.tickets.secrets, chalicelib.tickets.keys, chalicelib.tickets.qr, "
        "chalicelib.tickets.calendar, chalicelib.mail.compose, chalicelib.mail.transports; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
