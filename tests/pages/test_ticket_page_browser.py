"""The ticket page in a real browser: languages, the QR code, cancelling by keyboard, accessibility, a phone.

Every test runs against the session's local run; `open_page` fails a test on any request that
leaves 127.0.0.1 and on any console error.
"""
import io
import os

import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from chalicelib.common.dates import format_event_time
from chalicelib.i18n import translate
from tests.pages.conftest import EVENT_NAMES, NAME

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id")


def assert_accessible(page):
    violations = Axe().run(page, options=WCAG_21_AA).response["violations"]
    assert violations == [], [(v["id"], [node["target"] for node in v["nodes"]]) for v in violations]


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_the_page_shows_the_ticket_in_the_language_asked_for(open_page, ticket, language):
    page = open_page()
    response = page.goto(f"/t/{ticket.manage}?lang={language}")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == language
    expect(page.locator("h1")).to_have_text(EVENT_NAMES[language])
    expect(page.locator(".details")).to_contain_text(NAME)
    event = ticket.event
    expect(page.locator(".details")).to_contain_text(
        format_event_time(event["starts_at"], event["ends_at"], event["timezone"], language))
    expect(page.locator("#status-text")).to_have_text(translate("page.ticket.status.confirmed", language))
    assert page.title() == translate("page.ticket.title", language, event=EVENT_NAMES[language])
    if os.environ.get("KAPI_SCREENSHOTS"):
        expect(page.locator(".qr img")).to_have_js_property("complete", True)
        page.screenshot(path=os.path.join(os.environ["KAPI_SCREENSHOTS"], f"ticket-page-{language}.png"),
                        full_page=True)


def test_the_registrations_language_wins_until_the_attendee_switches(open_page, ticket):
    page = open_page(locale="az-AZ")  # sets Accept-Language; the ticket was registered in Turkish
    page.goto(f"/t/{ticket.manage}")  # as the email links it
    assert page.locator("html").get_attribute("lang") == "tr"
    expect(page.locator("h1")).to_have_text(EVENT_NAMES["tr"])
    with page.expect_navigation():  # and its QR image, before the context closes
        page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text(EVENT_NAMES["en"])
    page.goto(f"/t/{ticket.manage}")  # the email link again: the switch is remembered
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_qr_code_loads_in_the_browser_and_scans_back_to_the_secret(open_page, ticket):
    page = open_page(**PHONE)
    with page.expect_response(lambda response: response.url.endswith("/qr.png")) as qr:
        page.goto(f"/t/{ticket.manage}")
    assert qr.value.status == 200 and qr.value.headers["content-type"] == "image/png"
    image = page.locator(".qr img")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    assert image.bounding_box()["width"] >= 280
    shot = Image.open(io.BytesIO(image.screenshot()))
    assert [code.text for code in zxingcpp.read_barcodes(shot)] == [ticket.secret]


def test_cancelling_with_the_keyboard_only_ends_in_the_cancelled_state(open_page, register, api):
    fresh = register(language="en")
    page = open_page()
    page.goto(f"/t/{fresh.manage}")
    for _ in range(20):
        page.keyboard.press("Tab")
        if focused_id(page) == "cancel-start":
            break
    assert focused_id(page) == "cancel-start"
    page.keyboard.press("Enter")
    expect(page.locator("#cancel-confirm")).to_be_visible()
    assert focused_id(page) == "cancel-yes"
    assert page.locator("#cancel-start").get_attribute("aria-expanded") == "true"

    page.keyboard.press("Enter")
    notice = page.locator("#notice")
    expect(notice).to_have_text(translate("page.ticket.cancel.done", "en"))
    expect(notice).to_be_focused()
    expect(page.locator("#status-text")).to_have_text(translate("page.ticket.status.cancelled", "en"))
    expect(page.locator(".qr")).to_be_hidden()
    expect(page.locator("#cancel")).to_be_hidden()
    assert api.get(f"/api/tickets/{fresh.manage}").json()["status"] == "cancelled"

    page.reload()  # the server now renders the same state
    expect(page.locator("#status-text")).to_have_text(translate("page.ticket.status.cancelled", "en"))
    assert page.locator(".qr img").count() == 0 and page.locator("#cancel").count() == 0


def test_a_cancel_that_does_not_reach_the_server_says_so_and_can_be_retried(open_page, ticket, api):
    page = open_page()
    page.goto(f"/t/{ticket.manage}")
    page.locator("#cancel-start").click()
    open_page.tolerate("ERR_INTERNET_DISCONNECTED")
    page.context.set_offline(True)
    page.locator("#cancel-yes").click()  # the page speaks the registration's language, Turkish
    expect(page.get_by_role("alert")).to_have_text(translate("page.ticket.cancel.failed", "tr"))
    expect(page.locator("#cancel-yes")).to_be_enabled()
    assert focused_id(page) == "cancel-yes"
    expect(page.locator("#status-text")).to_have_text(translate("page.ticket.status.confirmed", "tr"))
    assert api.get(f"/api/tickets/{ticket.manage}").json()["status"] == "confirmed"


def test_the_cancel_link_focuses_the_cancel_section_and_no_keeps_the_ticket(open_page, ticket, api):
    page = open_page(**PHONE)
    page.goto(f"/t/{ticket.manage}#cancel")
    section = page.locator("#cancel")
    expect(section).to_be_focused()
    expect(page.locator("#cancel-start")).to_be_in_viewport()
    page.keyboard.press("Tab")
    assert focused_id(page) == "cancel-start"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused_id(page) == "cancel-no"
    page.keyboard.press("Enter")
    expect(page.locator("#cancel-confirm")).to_be_hidden()
    assert focused_id(page) == "cancel-start"
    assert api.get(f"/api/tickets/{ticket.manage}").json()["status"] == "confirmed"


def test_a_forged_secret_gets_a_localised_404_page(open_page, ticket):
    forged = ticket.manage[:-4] + ("AAAA" if not ticket.manage.endswith("AAAA") else "BBBB")
    page = open_page(locale="tr-TR")
    response = page.goto(f"/t/{forged}")
    assert response.status == 404 and response.headers["content-type"] == "text/html; charset=utf-8"
    assert page.locator("html").get_attribute("lang") == "tr"
    expect(page.locator("h1")).to_have_text("Bilet bulunamadı")
    page.goto(f"/t/{forged}?lang=az")
    expect(page.locator("h1")).to_have_text("Bilet tapılmadı")
    assert_accessible(page)


def test_no_wcag_21_aa_violations_on_the_ticket_page(open_page, ticket, register, make_event):
    page = open_page()
    page.goto(f"/t/{ticket.manage}?lang=az")
    expect(page.locator(".qr img")).to_have_js_property("complete", True)
    assert_accessible(page)
    page.locator("#cancel-start").click()  # the confirmation step as well
    assert_accessible(page)

    full = make_event(name=EVENT_NAMES, capacity=1, waitlist=True)
    register(event=full)
    waitlisted = register(event=full)
    page.goto(f"/t/{waitlisted.manage}")  # in Azerbaijani, the language switched to above
    expect(page.locator("#status-text")).to_have_text(translate("page.ticket.status.waitlisted", "az"))
    assert_accessible(page)


def test_on_a_phone_nothing_overflows_and_every_control_is_a_large_target(open_page, ticket, tmp_path):
    page = open_page(**PHONE)
    page.goto(f"/t/{ticket.manage}")
    expect(page.locator(".qr img")).to_have_js_property("complete", True)
    page.locator("#cancel-start").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for control in page.locator(".button, .languages a").all():
        assert control.bounding_box()["height"] >= 44, control.inner_text()
    shots = os.environ.get("KAPI_SCREENSHOTS")
    page.screenshot(path=os.path.join(shots or tmp_path, "ticket-page-phone.png"), full_page=True)
