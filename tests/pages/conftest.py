"""Ticket-page fixtures: real tickets from the local run's emails, and Debian's Chromium driven by Playwright.

The browser is Debian's `chromium` (`make test` installs it when missing, as root), launched through
`executable_path`: Playwright's own browser download is never used, since its CDN is out of reach
here and in CI. Without the browser these tests skip, except under CI, where they fail.
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from tests.data import registration_body
from tests.delivery.test_ticket_email import has_ticket, wait_for_email

CHROMIUM = os.environ.get("KAPI_CHROMIUM", "/usr/bin/chromium")

NAME = "Əli İlkin Işık"
EVENT_NAMES = {"tr": "İzmir–Bakü Işık Gecesi", "az": "İzmir–Bakı İşıq Gecəsi",
               "en": "İzmir–Baku Night of Lights"}


@dataclass(frozen=True)
class Ticket:
    secret: str
    event: dict
    registration: dict  # the API's 201 answer
    email: str


@pytest.fixture(scope="session")
def register(api, local_run, make_event):
    """`register(event=None, **fields)`: a registration made over HTTP, with the secret from its email.

    A ticket email's secret is read from its QR code, as a phone would; other emails only link the
    ticket page, so theirs comes from the link. `event` defaults to a new event named `EVENT_NAMES`.
    """
    outbox = local_run.data_dir / "outbox"

    def run(event: dict | None = None, **fields) -> Ticket:
        event = event or make_event(name=EVENT_NAMES)
        body = registration_body(**{"name": NAME, **fields})
        response = api.post(f"/api/events/{event['id']}/registrations", json=body)
        assert response.status_code == 201, response.text
        registration = response.json()
        confirmed = registration["status"] == "confirmed"
        message = wait_for_email(outbox, body["email"], wanted=has_ticket if confirmed else lambda m: True)
        if confirmed:
            png = next(part for part in message.walk() if part.get_content_type() == "image/png")
            secret = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.get_content())))[0].text
        else:
            secret = re.search(r"/t/([A-Z2-7]+)", message.get_body(("plain",)).get_content()).group(1)
        return Ticket(secret, event, registration, body["email"])
    return run


@pytest.fixture(scope="session")
def ticket(register) -> Ticket:
    """A confirmed ticket, registered in Turkish, for tests that only look at it."""
    return register(language="tr")


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        message = f"no browser at {CHROMIUM}: `apt-get install chromium` (make test does it when run as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, api):
    """`open_page(**context_options)`: a fresh page whose relative URLs go to the local run (or to
    the `base_url` option's).

    Every request the page makes is checked: one for any host but 127.0.0.1 is aborted and fails
    the test (a CDN font or script would break at a gate without signal). Console errors and
    uncaught exceptions fail it too; a CSP violation shows up there. A test that breaks the network
    on purpose names the console error it expects with `open_page.tolerate(text)`.
    """
    contexts, outside, errors, tolerated = [], [], [], []

    def keep_local(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def console(message):
        # The browser logs a 404 page's own status as an error; that one is expected.
        not_found_page = "status of 404" in message.text and "/t/" in urlsplit(message.location["url"]).path
        if message.type == "error" and not not_found_page and not any(t in message.text for t in tolerated):
            errors.append(message.text)

    def run(**options):
        context = browser.new_context(**{"base_url": api.base_url, **options})
        contexts.append(context)
        context.route("**/*", keep_local)
        page = context.new_page()
        page.on("console", console)
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    run.tolerate = tolerated.append
    yield run
    for context in contexts:
        context.close()
    assert outside == [], "requests left 127.0.0.1"
    assert errors == [], "console errors"
