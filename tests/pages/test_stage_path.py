"""Pages under API Gateway's stage path (`https://<id>.execute-api.<region>.amazonaws.com/dev/t/…`).

Without a custom domain, API Gateway serves the app under `/<stage>/` and nothing answers at the
host's root: a page that links `/static/kapi.css` loses its CSS, its QR code and its cancel button.
A second local run, sharing the session's tables and signing keys, emulates that (KAPI_STAGE_PATH,
devstack/app_server.py); the session's own run, without it, stands for a custom domain.
"""
import io
import re

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from chalicelib.i18n import translate
from tests.stack import LocalRun

STAGE = "/dev"
# What Chrome sends for an <img>: API Gateway decodes a binary body only when the FIRST type is binary.
BROWSER_IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
URL_ATTRIBUTES = re.compile(r'\b(?:href|src|data-url|action)="([^"]*)"')


@pytest.fixture(scope="module")
def stage_run(local_run):
    """The app as API Gateway serves it without a custom domain. Its own outbox queue keeps its
    workers off the session run's emails; the shared data dir gives it the same signing keys."""
    run = LocalRun(local_run.data_dir, {"KAPI_RATE_LIMIT": "0", "KAPI_OUTBOX_QUEUE": "stage-run",
                                        "KAPI_STAGE_PATH": STAGE}).start()
    yield run
    run.stop()


def rendered_urls(html: str) -> list[str]:
    """Every URL the page links or fetches, except the language switcher's `?lang=` (relative to the
    page itself, so right under any prefix)."""
    return [url.replace("&amp;", "&") for url in URL_ATTRIBUTES.findall(html) if not url.startswith("?")]


def test_outside_the_stage_nothing_answers_as_in_api_gateway(stage_run, ticket):
    assert requests.get(f"{stage_run.url}/t/{ticket.secret}", timeout=30).status_code == 404
    assert requests.get(f"{stage_run.url}{STAGE}/t/{ticket.secret}", timeout=30).status_code == 200


def test_every_url_of_the_ticket_page_is_under_the_stage_and_answers(stage_run, ticket):
    page = requests.get(f"{stage_run.url}{STAGE}/t/{ticket.secret}", timeout=30)
    assert page.status_code == 200
    assert f'data-base="{STAGE}"' in page.text
    urls = rendered_urls(page.text)
    kinds = {"kapi.css", "ticket.js", "icon.svg", "qr.png", "calendar.ics", "/cancel"}
    assert all(any(kind in url for url in urls) for kind in kinds), urls
    assert [url for url in urls if not url.startswith(STAGE + "/")] == []
    for url in urls:
        if not url.endswith("/cancel"):  # a POST; the browser test below presses it
            assert requests.get(stage_run.url + url, timeout=30).status_code == 200, url


def test_the_qr_image_is_png_bytes_for_a_browsers_accept_header_under_the_stage(stage_run, ticket):
    page = requests.get(f"{stage_run.url}{STAGE}/t/{ticket.secret}", timeout=30).text
    qr_url = next(url for url in rendered_urls(page) if url.endswith("/qr.png"))
    response = requests.get(stage_run.url + qr_url, headers={"Accept": BROWSER_IMAGE_ACCEPT}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))] == [ticket.secret]


def test_without_a_stage_the_same_page_links_from_the_root(api, ticket):
    page = api.get(f"/t/{ticket.secret}").text
    assert 'data-base=""' in page
    urls = rendered_urls(page)
    assert urls and all(url.startswith(("/static/", "/api/tickets/")) for url in urls), urls


def test_under_the_stage_the_browser_gets_the_css_the_qr_and_cancels(open_page, stage_run, register, api):
    fresh = register(language="en")
    page = open_page(base_url=stage_run.url, viewport={"width": 360, "height": 740})
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page.goto(f"{STAGE}/t/{fresh.secret}")
    # kapi.css styles the cancel button: 20 px each side, where a bare button has 6.
    assert page.locator("#cancel-start").evaluate("b => parseFloat(getComputedStyle(b).paddingLeft)") == 20
    image = page.locator(".qr img")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    shot = Image.open(io.BytesIO(image.screenshot()))
    assert [code.text for code in zxingcpp.read_barcodes(shot)] == [fresh.secret]

    page.locator("#cancel-start").click()
    page.locator("#cancel-yes").click()
    expect(page.locator("#notice")).to_have_text(translate("page.ticket.cancel.done", "en"))
    assert api.get(f"/api/tickets/{fresh.secret}").json()["status"] == "cancelled"
    assert failed == []
