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

# A registration form with most of what a form may say: translated labels, a choice as radios, a
# field shown and required only for one of its answers (if/then), checkboxes, a bounded integer.
FORM = {
    "type": "object",
    "properties": {
        "company": {"type": "string", "title": "Company", "maxLength": 100,
                    "x-kapi-labels": {"tr": "Kurum", "az": "Təşkilat", "en": "Organisation"}},
        "attendance": {"type": "string", "title": "Attendance",
                       "x-kapi-labels": {"tr": "Nasıl katılacaksınız?", "az": "Necə iştirak edəcəksiniz?",
                                         "en": "How will you attend?"},
                       "oneOf": [{"const": "in_person", "title": "In person",
                                  "x-kapi-labels": {"tr": "Yerinde", "az": "Yerində", "en": "In person"}},
                                 {"const": "online", "title": "Online",
                                  "x-kapi-labels": {"tr": "Çevrim içi", "az": "Onlayn", "en": "Online"}}]},
        "diet": {"type": "string", "title": "Dietary needs", "maxLength": 200,
                 "x-kapi-labels": {"tr": "Yemek tercihi", "az": "Qida seçimi", "en": "Dietary needs"},
                 "description": "For the lunch.",
                 "x-kapi-descriptions": {"tr": "Öğle yemeği için.", "az": "Nahar üçün.", "en": "For the lunch."}},
        "sessions": {"type": "array", "title": "Sessions", "uniqueItems": True,
                     "x-kapi-labels": {"tr": "Oturumlar", "az": "Sessiyalar", "en": "Sessions"},
                     "items": {"enum": ["B2B", "Podcast", "Konser"]}},
        "guests": {"type": "integer", "title": "Guests", "minimum": 0, "maximum": 3,
                   "x-kapi-labels": {"tr": "Misafir sayısı", "az": "Qonaq sayı", "en": "Guests"}},
    },
    "required": ["attendance"],
    "if": {"properties": {"attendance": {"const": "in_person"}}, "required": ["attendance"]},
    "then": {"required": ["diet"]},
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Ticket:
    secret: str | None  # the QR code's ticket secret (None: the email had no QR code)
    manage: str  # the manage secret of the email's ticket page link: it opens the page and cancels
    event: dict
    registration: dict  # the API's 201 answer
    email: str


@pytest.fixture(scope="session")
def register(api, local_run, make_event):
    """`register(event=None, **fields)`: a registration made over HTTP, with the secrets from its email.

    A ticket email's ticket secret is read from its QR code, as a phone would; every email links the
    ticket page with the manage secret. `event` defaults to a new event named `EVENT_NAMES`.
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
        secret = None
        if confirmed:
            png = next(part for part in message.walk() if part.get_content_type() == "image/png")
            secret = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.get_content())))[0].text
        manage = re.search(r"/t/([A-Z2-7]+)", message.get_body(("plain",)).get_content()).group(1)
        return Ticket(secret, manage, event, registration, body["email"])
    return run


@pytest.fixture(scope="session")
def form_event(make_event) -> dict:
    """A published event with the form above, two ticket types and translated privacy text."""
    return make_event(name=EVENT_NAMES, form=FORM, capacity=100, waitlist=True,
                      privacy={"tr": "Verileriniz yalnızca bu etkinlik için kullanılır.",
                               "az": "Məlumatlarınız yalnız bu tədbir üçün istifadə olunur.",
                               "en": "Your data is used only for this event."},
                      ticket_types=[{"id": "general", "name": {"tr": "Genel", "az": "Ümumi", "en": "General"}},
                                    {"id": "b2b", "name": {"tr": "B2B masası", "az": "B2B masası", "en": "B2B table"},
                                     "capacity": 10}])


@pytest.fixture(scope="session")
def ticket(register) -> Ticket:
    """A confirmed ticket, registered in Turkish, for tests that only look at it."""
    return register(language="tr")


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the session (the sync API allows only one); browsers launch from it."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"no browser at {CHROMIUM}: `apt-get install chromium` (make test does it when run as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    yield browser
    browser.close()


class PageOpener:
    """`opener(**context_options)`: a fresh page in a new context of `browser`, relative URLs to `base_url`.

    Every request the page makes is checked: one for any host but 127.0.0.1 is aborted and fails
    the test (a CDN font or script would break at a gate without signal). Console errors and
    uncaught exceptions fail it too; a CSP violation shows up there. A test that breaks the network
    on purpose names the console error it expects with `opener.tolerate(text)`.
    """

    def __init__(self, browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.contexts, self.outside, self.errors, self.tolerated = [], [], [], []

    def tolerate(self, text: str) -> None:
        self.tolerated.append(text)

    def _keep_local(self, route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _console(self, message) -> None:
        # The browser logs a 404 page's own status as an error; that one is expected.
        not_found_page = "status of 404" in message.text and "/t/" in urlsplit(message.location["url"]).path
        if message.type == "error" and not not_found_page and not any(t in message.text for t in self.tolerated):
            self.errors.append(message.text)

    def __call__(self, **options):
        context = self.browser.new_context(base_url=self.base_url, **options)
        self.contexts.append(context)
        context.route("**/*", self._keep_local)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        assert self.outside == [], "requests left 127.0.0.1"
        assert self.errors == [], "console errors"


@pytest.fixture
def open_page(browser, api):
    """A `PageOpener` on the session's browser, its contexts closed and checked after the test."""
    opener = PageOpener(browser, api.base_url)
    yield opener
    opener.close()
