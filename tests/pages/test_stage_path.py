"""Pages under API Gateway's stage path (`https://<id>.execute-api.<region>.amazonaws.com/dev/t/…`).

Without a custom domain, API Gateway serves the app under `/<stage>/` and nothing answers at the
host's root: a page that links `/static/kapi.css` loses its CSS, its QR code and its cancel button.
A second local run, sharing the session's tables and signing keys, emulates that (KAPI_STAGE_PATH,
devstack/app_server.py); the session's own run, without it, stands for a custom domain.
"""
import io
import json
import re

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from chalicelib.i18n import translate
from tests.api.test_tokens import make_token
from tests.pages.conftest import PageOpener
from tests.pages.test_scan_browser import EXPECTED_CONSOLE
from tests.stack import LocalRun

STAGE = "/dev"
# What Chrome sends for an <img>: API Gateway decodes a binary body only when the FIRST type is binary.
BROWSER_IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
URL_ATTRIBUTES = re.compile(r'\s([a-z-]+)="(/[^"]*|\?lang=[^"]*)"')  # every attribute that holds a path
POSTED_TO = {"action", "data-api", "data-url"}  # forms and buttons POST there: checked in a browser


@pytest.fixture(scope="module")
def stage_run(local_run):
    """The app as API Gateway serves it without a custom domain. Its own outbox queue keeps its
    workers off the session run's emails; the shared data dir gives it the same signing keys."""
    run = LocalRun(local_run.data_dir, {"KAPI_RATE_LIMIT": "0", "KAPI_OUTBOX_QUEUE": "stage-run",
                                        "KAPI_STAGE_PATH": STAGE}).start()
    yield run
    run.stop()


@pytest.fixture(scope="module")
def stage_page(stage_run, browser):
    """`stage_page()`: a browser page whose relative URLs go to the stage run's host (checked as `open_page`)."""
    opener = PageOpener(browser, stage_run.url)
    yield opener
    opener.close()


def rendered_urls(html: str, gets_only: bool = False) -> list[str]:
    """Every path the page holds in an attribute (links, files, form targets, script hooks), except
    the prefix itself and the language switcher's `?lang=` (relative to the page, so right anywhere);
    `gets_only` leaves out those the page POSTs to."""
    return [url.replace("&amp;", "&") for name, url in URL_ATTRIBUTES.findall(html)
            if name != "data-base" and not url.startswith("?") and not (gets_only and name in POSTED_TO)]


def assert_all_under_the_stage_and_answering(run: LocalRun, html: str) -> list[str]:
    urls = rendered_urls(html)
    assert urls and [url for url in urls if not url.startswith(STAGE + "/")] == [], urls
    for url in set(rendered_urls(html, gets_only=True)):
        assert requests.get(run.url + url, timeout=30).status_code == 200, url
    return urls


def test_outside_the_stage_nothing_answers_as_in_api_gateway(stage_run, ticket):
    assert requests.get(f"{stage_run.url}/t/{ticket.manage}", timeout=30).status_code == 404
    assert requests.get(f"{stage_run.url}{STAGE}/t/{ticket.manage}", timeout=30).status_code == 200


def test_every_url_of_the_ticket_page_is_under_the_stage_and_answers(stage_run, ticket):
    page = requests.get(f"{stage_run.url}{STAGE}/t/{ticket.manage}", timeout=30)
    assert page.status_code == 200
    assert f'data-base="{STAGE}"' in page.text
    urls = assert_all_under_the_stage_and_answering(stage_run, page.text)
    kinds = {"kapi.css", "ticket.js", "icon.svg", "qr.png", "calendar.ics", "/cancel"}
    assert all(any(kind in url for url in urls) for kind in kinds), urls


def test_the_qr_image_is_png_bytes_for_a_browsers_accept_header_under_the_stage(stage_run, ticket):
    page = requests.get(f"{stage_run.url}{STAGE}/t/{ticket.manage}", timeout=30).text
    qr_url = next(url for url in rendered_urls(page) if url.endswith("/qr.png"))
    response = requests.get(stage_run.url + qr_url, headers={"Accept": BROWSER_IMAGE_ACCEPT}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))] == [ticket.secret]


def test_without_a_stage_the_same_page_links_from_the_root(api, ticket):
    page = api.get(f"/t/{ticket.manage}").text
    assert 'data-base=""' in page
    urls = rendered_urls(page)
    assert urls and all(url.startswith(("/static/", "/api/tickets/")) for url in urls), urls


def test_under_the_stage_the_browser_gets_the_css_the_qr_and_cancels(stage_page, register, api):
    fresh = register(language="en")
    page = stage_page(viewport={"width": 360, "height": 740})
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page.goto(f"{STAGE}/t/{fresh.manage}")
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
    assert api.get(f"/api/tickets/{fresh.manage}").json()["status"] == "cancelled"
    assert failed == []


@pytest.mark.parametrize("path, kinds", [
    ("/", {"kapi.css", "/e/"}),
    ("/e/{event}", {"kapi.css", "form/main.js", "/api/events/{event}/registrations", "/e/{event}?lang="}),
    ("/dashboard", {"kapi.css", "dashboard/main.js", "dashboard/dashboard.css", "/scan"}),
    ("/scan", {"kapi.css", "scan/main.js", "scan/decoder.js", "zxing_reader.wasm", "/scan/sw.js"}),
])
def test_every_url_of_each_page_is_under_the_stage_and_answers(stage_run, make_event, path, kinds):
    event = make_event()["id"]
    page = requests.get(f"{stage_run.url}{STAGE}{path.format(event=event)}", timeout=30)
    assert page.status_code == 200 and f'data-base="{STAGE}"' in page.text
    urls = assert_all_under_the_stage_and_answering(stage_run, page.text)
    assert all(any(kind.format(event=event) in url for url in urls) for kind in kinds), urls


def test_the_scanners_service_worker_covers_and_precaches_the_stage_paths(stage_run):
    worker = requests.get(f"{stage_run.url}{STAGE}/scan/sw.js", timeout=30)
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == f"{STAGE}/scan"
    assert f'const SCOPE = "{STAGE}/scan";' in worker.text and f'const STATIC = "{STAGE}/static/";' in worker.text
    precache = json.loads(worker.text.split("const PRECACHE = ", 1)[1].split(";\n", 1)[0])
    assert precache and [url for url in precache if not url.startswith(STAGE + "/")] == []
    for url in precache:
        assert requests.get(stage_run.url + url, timeout=30).status_code == 200, url


def test_the_scanner_signs_in_fetches_its_bundle_and_registers_its_worker_under_the_stage(
        stage_page, api, make_event):
    event = make_event()
    checkin_list = api.post(f"/api/events/{event['id']}/checkin-lists", json={"name": "Ana kapı"},
                            token=api.admin_token).json()
    for text in EXPECTED_CONSOLE:
        stage_page.tolerate(text)
    page = stage_page()
    page.goto(f"{STAGE}/scan?lang=en")
    page.fill("[name=token]", make_token(api, "scanner", [event["id"]])["token"])
    page.press("[name=token]", "Enter")  # shared/api.js: GET /api/door/events
    expect(page.locator("[name=list] option")).to_have_count(1)
    page.select_option("[name=event]", event["id"])
    page.select_option("[name=list]", checkin_list["id"])
    # The offline bundle came through shared/api.js and the worker installed with its stage scope.
    expect(page.locator("#scanner")).to_have_attribute("data-offline-ready", "true", timeout=30000)
    scope = page.evaluate("navigator.serviceWorker.getRegistration(document.getElementById('scanner').dataset.scope)"
                          ".then(registration => registration.scope)")
    assert scope == page.evaluate("location.origin") + f"{STAGE}/scan"


def test_the_dashboards_api_calls_go_under_the_stage(stage_page, api, make_event):
    event = make_event()
    page = stage_page()
    page.goto(f"{STAGE}/dashboard?lang=en")
    module = page.locator('script[type="module"]').get_attribute("src").split("main.js")[0] + "session.js"
    assert module.startswith(f"{STAGE}/static/dashboard/")
    found = page.evaluate("""([module, token, id]) => import(module).then(api => {
        api.session.keep(token);
        return api.get(`/api/events/${encodeURIComponent(id)}`);
    })""", [module, api.admin_token, event["id"]])
    assert found["id"] == event["id"]
