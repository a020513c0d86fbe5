"""The event list and the registration form in a real browser: registering end to end in each language,
errors next to their fields (found by the page, then by the API), a conditional field, the same with
JavaScript off, a double tap and a lost answer, the keyboard only, axe-core, and a phone's width.

`open_page` fails a test on any request that leaves 127.0.0.1 and on any console error.
`KAPI_SCREENSHOTS=DIR` keeps the phone-sized screenshots of `/` and `/e/{id}` in tr, az and en.
"""
import os
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from chalicelib.forms.reading import Field
from chalicelib.i18n import translate
from chalicelib.pages.form_html import answers_from
from tests import dates
from tests.delivery.test_ticket_email import has_ticket, wait_for_email
from tests.pages.conftest import EVENT_NAMES, NAME
from tests.pages.test_ticket_page_browser import PHONE, assert_accessible, focused_id

LOCALES = {"tr": "tr-TR", "az": "az-AZ", "en": "en-GB"}
DIET = "Vejetaryen; İ, ı, Ə, ə"


def new_email() -> str:
    return f"form.{uuid.uuid4().hex[:10]}@example.org"


def fill(page, email, *, name=NAME, attendance="online", diet=None):
    page.fill("[name=name]", name)
    page.fill("[name=email]", email)
    page.check("[name=ticket_type][value=general]")
    page.check(f"[name='answers.attendance'][value={attendance}]")
    if diet is not None:
        page.fill("[name='answers.diet']", diet)
    page.check("[name=consent]")


def submit(page):
    page.locator("#registration button[type=submit]").click()


def registrations_of(api, event_id, email) -> list[dict]:
    """The event's registrations with exactly this address, in full (`q` answers the best matches)."""
    items = api.get(f"/api/events/{event_id}/registrations", params={"q": email}, token=api.admin_token).json()["items"]
    return [api.get(f"/api/events/{event_id}/registrations/{item['id']}", token=api.admin_token).json()
            for item in items if item["email"] == email]


def error_for(page, path):
    return page.locator(f"[data-error-for='{path}']")


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_registering_in_each_language_ends_at_the_ticket_page_with_the_name_intact(
        open_page, api, local_run, form_event, language):
    page = open_page(locale=LOCALES[language], **PHONE)
    page.goto(f"/?lang={language}")
    link = page.locator(f"a[href='/e/{form_event['id']}?lang={language}']")
    expect(link).to_have_text(f"{translate('form.home.register', language)}: {EVENT_NAMES[language]}")
    link.click()
    expect(page.locator("h1")).to_have_text(EVENT_NAMES[language])
    email = new_email()
    fill(page, email, attendance="in_person", diet=DIET)
    submit(page)
    result = page.locator("[data-registration-status]")
    expect(result).to_have_attribute("data-registration-status", "confirmed")
    expect(result).to_be_focused()
    expect(result.locator("[data-slot=email]")).to_have_text(email)
    expect(result).to_contain_text(translate("form.result.title.confirmed", language))

    message = wait_for_email(local_run.data_dir / "outbox", email, wanted=has_ticket)
    text = message.get_body(("plain",)).get_content()
    assert NAME in text
    secret = re.search(r"/t/([A-Z2-7]+)", text).group(1)
    page.goto(f"/t/{secret}")
    assert page.locator("html").get_attribute("lang") == language
    expect(page.locator(".details")).to_contain_text(NAME)
    [registration] = registrations_of(api, form_event["id"], email)
    assert registration["name"] == NAME and registration["language"] == language
    assert registration["answers"] == {"attendance": "in_person", "diet": DIET}


def test_a_missing_name_and_a_bad_email_stand_next_to_their_fields_first_from_the_page_then_from_the_api(
        open_page, api, form_event):
    page = open_page()
    open_page.tolerate("status of 400")  # the browser logs the API's answer to the second try
    page.goto(f"/e/{form_event['id']}?lang=tr")
    sent = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    email = "ali@"
    fill(page, email, name="")
    page.fill("[name='answers.company']", "Kurum İ")
    submit(page)
    expect(error_for(page, "name")).to_have_text(translate("error.name.required", "tr"))
    expect(error_for(page, "email")).to_have_text(translate("error.email.invalid", "tr"))
    expect(page.locator("#form-alert")).to_have_text(translate("form.errors", "tr"))
    expect(page.locator("[name=name]")).to_be_focused()
    assert page.locator("[name=name]").get_attribute("aria-invalid") == "true"
    assert page.input_value("[name=email]") == email and page.input_value("[name='answers.company']") == "Kurum İ"
    assert sent == []

    page.fill("[name=name]", NAME)
    page.fill("[name=email]", "ali@exa_mple.org")  # only the server's address check refuses this one
    with page.expect_response(lambda response: response.url.endswith("/registrations")) as answer:
        submit(page)
    assert answer.value.status == 400
    expect(error_for(page, "email")).to_have_text(translate("error.email.invalid", "tr"))
    expect(error_for(page, "name")).to_have_text("")
    expect(page.locator("[name=email]")).to_be_focused()
    assert page.input_value("[name='answers.company']") == "Kurum İ"
    assert registrations_of(api, form_event["id"], "ali@exa_mple.org") == []


def test_a_conditional_field_appears_with_its_answer_and_is_then_required(open_page, api, form_event):
    page = open_page()
    page.goto(f"/e/{form_event['id']}?lang=az")
    diet = page.locator("[name='answers.diet']")
    expect(diet).to_be_hidden()
    email = new_email()
    fill(page, email, attendance="in_person")
    expect(diet).to_be_visible()
    expect(page.locator("label[for=f-answers-diet]")).to_contain_text("Qida seçimi *")
    submit(page)
    expect(error_for(page, "answers.diet")).to_have_text(translate("error.form.required", "az"))
    expect(diet).to_be_focused()

    diet.fill(DIET)
    page.check("[name='answers.attendance'][value=online]")
    expect(diet).to_be_hidden()
    page.check("[name='answers.attendance'][value=in_person]")
    expect(diet).to_have_value(DIET)
    submit(page)
    expect(page.locator("[data-registration-status]")).to_have_attribute("data-registration-status", "confirmed")
    [registration] = registrations_of(api, form_event["id"], email)
    assert registration["answers"]["diet"] == DIET


def test_without_javascript_the_server_checks_keeps_the_values_and_registers(open_page, api, form_event):
    page = open_page(java_script_enabled=False)
    open_page.tolerate("status of 400")  # the browser logs the page's own status
    page.goto(f"/e/{form_event['id']}?lang=az")
    expect(page.locator("[name='answers.diet']")).to_be_visible()  # no script to show it on demand
    email = new_email()
    fill(page, "ali@", name="", attendance="in_person")
    page.fill("[name='answers.company']", "Təşkilat Ə")
    with page.expect_navigation() as posted:
        submit(page)
    assert posted.value.status == 400
    expect(error_for(page, "name")).to_have_text(translate("error.name.required", "az"))
    expect(error_for(page, "email")).to_have_text(translate("error.email.invalid", "az"))
    expect(error_for(page, "answers.diet")).to_have_text(translate("error.form.required", "az"))
    assert page.input_value("[name='answers.company']") == "Təşkilat Ə"
    assert page.input_value("[name=email]") == "ali@"
    expect(page.locator("[name='answers.attendance'][value=in_person]")).to_be_checked()
    expect(page.locator("[name=consent]")).to_be_checked()

    page.fill("[name=name]", NAME)
    page.fill("[name=email]", email)
    page.fill("[name='answers.diet']", DIET)
    with page.expect_navigation():
        submit(page)
    result = page.locator("[data-registration-status]")
    expect(result).to_have_attribute("data-registration-status", "confirmed")
    expect(result.locator("[data-slot=email]")).to_have_text(email)
    [registration] = registrations_of(api, form_event["id"], email)
    assert registration["name"] == NAME
    assert registration["answers"] == {"attendance": "in_person", "company": "Təşkilat Ə", "diet": DIET}


def test_a_double_tap_and_a_retry_after_a_lost_answer_register_once(open_page, api, form_event):
    page = open_page()
    page.goto(f"/e/{form_event['id']}?lang=en")
    email = new_email()
    fill(page, email)
    sent, heard = [], []
    page.on("request", lambda request: sent.append(request.headers.get("idempotency-key"))
            if request.url.endswith("/registrations") else None)

    def lose_the_answer(route):  # the server registers; the phone never hears back
        heard.append(route.fetch().status)
        route.abort()

    page.route("**/api/events/*/registrations", lose_the_answer, times=1)
    open_page.tolerate("net::ERR_FAILED")
    page.locator("#registration button[type=submit]").dblclick()
    expect(page.locator("#form-alert")).to_have_text(translate("form.failure.network", "en"))
    expect(page.locator("#form-alert")).to_be_focused()
    submit(page)
    expect(page.locator("[data-registration-status]")).to_have_attribute("data-registration-status", "confirmed")
    assert heard == [201]
    assert len(sent) == 2 and sent[0] == sent[1] and sent[0]
    assert len(registrations_of(api, form_event["id"], email)) == 1


def test_registering_with_the_keyboard_only(open_page, api, form_event):
    page = open_page()
    page.goto(f"/e/{form_event['id']}?lang=tr")

    def tab_to(name, value=None):
        for _ in range(40):
            page.keyboard.press("Tab")
            active = page.evaluate("[document.activeElement.name, document.activeElement.value]")
            if active[0] == name and (value is None or active[1] == value):
                return
        raise AssertionError(f"Tab never reached {name}")

    email = new_email()
    tab_to("name")
    page.keyboard.type(NAME)
    tab_to("email")
    page.keyboard.type(email)
    tab_to("ticket_type")
    page.keyboard.press("Space")
    tab_to("answers.attendance")
    page.keyboard.press("Space")  # the first choice, in person: its diet question appears next
    tab_to("answers.diet")
    page.keyboard.type(DIET)
    tab_to("answers.sessions", "Podcast")
    page.keyboard.press("Space")
    tab_to("consent")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    expect(page.locator("[data-registration-status]")).to_have_attribute("data-registration-status", "confirmed")
    [registration] = registrations_of(api, form_event["id"], email)
    assert registration["answers"] == {"attendance": "in_person", "diet": DIET, "sessions": ["Podcast"]}


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_accessible_and_phone_sized_in_each_language_with_errors_showing(open_page, form_event, tmp_path, language):
    shots = os.environ.get("KAPI_SCREENSHOTS") or str(tmp_path)
    page = open_page(**PHONE)
    page.goto(f"/?lang={language}")
    assert_accessible(page)
    page.screenshot(path=os.path.join(shots, f"events-{language}.png"), full_page=True)

    page.goto(f"/e/{form_event['id']}?lang={language}")
    page.screenshot(path=os.path.join(shots, f"form-{language}.png"), full_page=True)
    page.check("[name='answers.attendance'][value=in_person]")
    page.fill("[name=email]", "ali@")
    submit(page)
    expect(error_for(page, "answers.diet")).not_to_be_empty()
    assert focused_id(page) == "f-name"
    assert_accessible(page)
    page.screenshot(path=os.path.join(shots, f"form-errors-{language}.png"), full_page=True)

    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    for control in page.locator("#registration input:visible, #registration select:visible, .button, .languages a").all():
        assert control.bounding_box()["height"] >= 24, control.evaluate("e => e.outerHTML")


def test_a_date_time_is_read_in_the_events_zone_as_the_server_reads_it(open_page, form_event):
    """Every day of the coming year, at the hours clocks change, in zones with and without summer time."""
    page = open_page()
    page.goto(f"/e/{form_event['id']}")
    fields = [Field("when", "date-time", {"type": "string", "format": "date-time"}, False)]
    today = dates.now("UTC").date()
    walls = [f"{today + timedelta(days=n)}T{hhmm}" for n in range(366) for hhmm in ("00:30", "02:30", "03:30")]
    for zone in ("Europe/Istanbul", "Asia/Baku", "Europe/Berlin", "America/New_York"):
        server = [answers_from(fields, {"answers.when": [wall]}, zone)["when"] for wall in walls]
        browser = page.evaluate("""async ([walls, zone]) => {
            const {withOffset} = await import("/static/form/datetime.js");
            return walls.map((wall) => withOffset(wall, zone));
        }""", [walls, zone])
        assert browser == server, zone


def test_a_pattern_that_could_backtrack_is_left_to_the_api_and_a_simple_one_checked_by_the_page(
        open_page, api, make_event):
    """SPEC §16: the page's RegExp backtracks, so it tests only patterns that cannot backtrack badly
    (`^[A-Z]{3}$`); `^(a+)+$`, which RE2 matches in linear time, is left to the API."""
    event = make_event(form={"type": "object", "additionalProperties": False, "properties": {
        "plate": {"type": "string", "title": "Plate", "pattern": "^[A-Z]{3}$"},
        "code": {"type": "string", "title": "Code", "pattern": "^(a+)+$"}}})
    page = open_page()
    open_page.tolerate("status of 400")  # the API's answer to the second try
    page.goto(f"/e/{event['id']}?lang=en")
    sent = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    page.fill("[name=name]", NAME)
    page.fill("[name=email]", new_email())
    page.check("[name=consent]")
    page.fill("[name='answers.plate']", "abc")
    page.fill("[name='answers.code']", "a" * 24 + "!")  # ~2^24 steps for a backtracking engine
    submit(page)
    expect(error_for(page, "answers.plate")).to_have_text(translate("error.form.pattern", "en"))
    expect(error_for(page, "answers.code")).to_have_text("")  # the page did not test this one
    assert sent == []

    page.fill("[name='answers.plate']", "ABC")
    with page.expect_response(lambda response: response.url.endswith("/registrations")) as answer:
        submit(page)
    assert answer.value.status == 400
    expect(error_for(page, "answers.code")).to_contain_text(translate("error.form.pattern", "en"))
    expect(error_for(page, "answers.plate")).to_have_text("")
