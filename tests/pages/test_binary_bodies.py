"""Every file the pages load, and the ticket's QR image, arrive as their exact bytes through API Gateway.

API Gateway sends a function's body as bytes only when the FIRST media type of the request's Accept
is one of the API's binary media types, and the local run applies that rule (devstack/gateway_rules.py).
A browser's <img> asks for image/avif first, its fetch() (the scanner loading its QR decoder,
zxing_reader.wasm) for */*, and some clients send no Accept at all: each must get the file itself,
not its base64 text, while JSON and HTML answers stay readable text.
"""
import io

import pytest
import zxingcpp
from PIL import Image

from chalicelib.pages import static
from chalicelib.tickets.qr import qr_png

ACCEPTS = {"fetch": "*/*", "browser image": "image/avif,image/webp,*/*", "none": None}
DECODER = "vendor/zxing-wasm/zxing_reader.wasm"


@pytest.mark.parametrize("accept", ACCEPTS.values(), ids=ACCEPTS)
def test_every_static_file_arrives_as_its_exact_bytes(api, accept):
    assert DECODER in static.paths()
    wrong = []
    for name in sorted(static.paths()):
        response = api.get(f"/static/{name}", headers={"Accept": accept})
        on_disk = (static._DIRECTORY / name).read_bytes()
        if (response.status_code, response.headers.get("Content-Type"), response.content) != (
                200, static.content_type(name), on_disk):
            wrong.append((name, response.status_code, response.content[:40]))
    assert wrong == []


@pytest.mark.parametrize("accept", ACCEPTS.values(), ids=ACCEPTS)
def test_the_scanners_decoder_is_webassembly(api, accept):
    response = api.get(static.url(DECODER), headers={"Accept": accept})
    assert response.headers["Content-Type"] == "application/wasm"
    assert response.content.startswith(b"\0asm")


@pytest.mark.parametrize("accept", ACCEPTS.values(), ids=ACCEPTS)
def test_the_ticket_qr_is_a_png_of_the_secret(api, ticket, accept):
    response = api.get(f"/api/tickets/{ticket.manage}/qr.png", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.content == qr_png(ticket.secret)
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))] == [ticket.secret]


@pytest.mark.parametrize("accept", ACCEPTS.values(), ids=ACCEPTS)
def test_json_and_html_answers_stay_text(api, ticket, accept):
    shown = api.get(f"/api/tickets/{ticket.manage}", headers={"Accept": accept})
    assert shown.status_code == 200 and shown.json()["status"] == "confirmed"
    missing = api.get("/api/events/no-such-event", headers={"Accept": accept})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    page = api.get(f"/t/{ticket.manage}", headers={"Accept": accept})
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.text.startswith("<!DOCTYPE html>") and f"/api/tickets/{ticket.manage}/qr.png" in page.text
