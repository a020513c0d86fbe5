"""The organiser dashboard in Debian's Chromium: signed in with a token, driven like an organiser would,
with the API (as attendees and door staff) changing things underneath it.

One event and one browser page serve the flow tests of this module (module-scoped), so the browser's
start and the sign-in are paid once.
"""
import codecs
import csv
import io
import json
import os
import re
import uuid
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from chalicelib.i18n import translate
from tests.api.test_tokens import make_token
from tests.data import registration_body
from tests.pages.conftest import FORM

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
TABLET = {"viewport": {"width": 1024, "height": 900}}
TYPES = [{"id": "std", "name": {"tr": "Standart", "az": "Standart", "en": "Standard"}},
         {"id": "vip", "name": {"tr": "Onur konuğu", "az": "Fəxri qonaq", "en": "Guest of honour"}}]
PEOPLE = ["Işıl Öztürk", "Əli Həsənov", "İlkin Çağlar"]
#: For each address in the registrations table, on how many lines its domain is drawn.
DOMAIN_LINES = """() => [...document.querySelectorAll("tr[data-registration-id] td.email")].map((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell.lastChild);
  return range.getClientRects().length;
})"""


def text(key, language="en", **params):
    return translate(f"dashboard.{key}", language, **params)


def screenshot(page, name, tmp_path_factory):
    folder = os.environ.get("KAPI_SCREENSHOTS") or tmp_path_factory.getbasetemp()
    page.screenshot(path=os.path.join(folder, f"dashboard-{name}.png"), full_page=True)


def controls(container):
    """Each answer control of a rendered form: its name, type, value and label, in page order."""
    return container.evaluate("""root => [...root.querySelectorAll("[name^='answers.']")].map(input => [
        input.name, input.type, input.value,
        (input.labels[0] || {textContent: ""}).textContent.trim().replace(/\\s+/g, " ")])""")


def sign_in(page, token, language="en"):
    page.goto(f"/dashboard?lang={language}")
    page.fill("[name=token]", token)
    page.keyboard.press("Enter")


@pytest.fixture(scope="module")
def board(browser, api, make_event):
    """An approval-only event with three registrations, and a signed-in dashboard page open on it."""
    event = make_event(name={"tr": "Işık Forumu", "az": "İşıq Forumu", "en": "Forum of Light"},
                       requires_approval=True, ticket_types=TYPES)
    people = []
    for name in PEOPLE:
        response = api.post(f"/api/events/{event['id']}/registrations",
                            json=registration_body(name=name, ticket_type="std"))
        assert response.status_code == 201 and response.json()["status"] == "pending_approval"
        people.append(response.json())
    context = browser.new_context(base_url=api.base_url, accept_downloads=True, **TABLET)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, api.admin_token)
    page.click(f"[data-event-id='{event['id']}']")
    expect(page.locator("#event-title")).to_have_text("Forum of Light")
    yield page, event, people
    context.close()
    assert errors == []


def test_sign_in_lists_the_event_and_opens_its_live_view(board):
    page, event, _ = board
    expect(page.locator("#last-updated")).to_contain_text(text("live.updated", time="")[:12])
    expect(page.locator("[data-total=pending_approval] dd")).to_have_text("3")
    assert page.evaluate("localStorage.length") == 1  # the token stays on this device


def test_a_list_made_on_the_dashboard_shows_in_the_live_view(board):
    page, event, _ = board
    page.click("[data-tab=lists]")
    page.fill("#list-name", "Ana kapı")
    page.click("#list-form button[type=submit]")
    expect(page.locator("#checkin-lists li")).to_contain_text("Ana kapı")
    page.click("[data-tab=live]")
    card = page.locator("[data-list-id]")
    expect(card).to_contain_text("Ana kapı")
    expect(card.locator("[data-count=checkin]")).to_have_text("0")


def test_approve_and_cancel_from_the_table_update_the_row_and_the_counts(board):
    page, event, people = board
    page.click("[data-tab=registrations]")
    rows = page.locator("tr[data-registration-id]")
    expect(rows).to_have_count(3)
    approve = page.locator(f"tr[data-registration-id='{people[0]['id']}'] button[data-action=approve]")
    approve.click()
    expect(page.locator("#confirm")).to_be_visible()
    page.click("#confirm button[value=yes]")
    row = page.locator(f"tr[data-registration-id='{people[0]['id']}']")
    expect(row).to_have_attribute("data-status", "confirmed")
    page.click(f"tr[data-registration-id='{people[1]['id']}'] button[data-action=cancel]")
    page.click("#confirm button[value=yes]")
    expect(page.locator(f"tr[data-registration-id='{people[1]['id']}']")).to_have_attribute("data-status", "cancelled")
    page.click("[data-tab=live]")
    expect(page.locator("[data-total=confirmed] dd")).to_have_text("1")
    expect(page.locator("[data-total=cancelled] dd")).to_have_text("1")
    expect(page.locator("[data-total=pending_approval] dd")).to_have_text("1")
    expect(page.locator("[data-list-id] .of")).to_have_text(" / 1")


def test_search_is_turkish_insensitive_and_the_detail_shows_the_door(board):
    page, event, people = board
    page.click("[data-tab=registrations]")
    page.fill("[name=q]", "ışıl")
    expect(page.locator("tr[data-registration-id]")).to_have_count(1)
    expect(page.locator("tr[data-registration-id]")).to_contain_text("Işıl Öztürk")
    page.click(f"[data-detail='{people[0]['id']}']")
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-body")).to_contain_text(text("detail.no_door"))
    page.keyboard.press("Escape")
    page.fill("[name=q]", "")


def test_a_scan_through_the_api_reaches_the_live_view_without_a_reload(board, api):
    page, event, people = board
    page.click("[data-tab=live]")
    card = page.locator("[data-list-id]")
    list_id = card.get_attribute("data-list-id")
    bars = page.locator("#arrivals-chart svg[role=img] rect.bar")
    expect(bars).to_have_count(0)
    base = f"/api/events/{event['id']}/checkin-lists/{list_id}"
    found = api.get(f"{base}/search", params={"q": "Işıl"}, token=api.admin_token).json()["items"]
    registration_id = next(item["registration_id"] for item in found if item["id"] == people[0]["id"])
    scanner = make_token(api, "scanner", [event["id"]])["token"]
    assert api.post(f"{base}/scans", json={"registration_id": registration_id, "type": "entry"},
                    token=scanner).status_code == 201
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    expect(card.locator("[data-count=checkin]")).to_have_text("1", timeout=15000)
    expect(card.locator("[data-count=inside]")).to_have_text("1")
    expect(bars).to_have_count(1)
    expect(page.locator("#arrivals-table tbody tr")).to_have_count(1)
    expect(page.locator("#arrivals-table tbody td")).to_have_text("1")
    assert navigations == []


def test_the_csv_download_keeps_turkish_and_azerbaijani_letters(board):
    page, event, _ = board
    page.click("[data-tab=registrations]")
    with page.expect_download() as download:
        page.click("[data-action=export]")
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    names = {row[rows[0].index("name")] for row in rows[1:]}
    assert names == set(PEOPLE)
    assert download.value.suggested_filename.endswith(".csv")


def test_a_scanner_token_cannot_open_the_dashboard(open_page, api, make_event, tmp_path_factory):
    event = make_event()
    scanner = make_token(api, "scanner", [event["id"]])["token"]
    page = open_page()
    page.on("console", lambda message: None)
    open_page.tolerate("403")
    sign_in(page, scanner)
    expect(page.locator("#message")).to_have_text(text("signin.not_organiser"))
    expect(page.locator("[name=token]")).to_be_visible()
    expect(page.locator("#events")).to_be_hidden()
    assert page.evaluate("localStorage.length") == 0
    screenshot(page, "signin-refused-en", tmp_path_factory)


def door_qr(page, label=None):
    """Makes a scanner token on the door tab; the URL its QR code holds (read back from the drawing)."""
    page.click("[data-tab=door]")
    if label:
        page.fill("#door-label", label)
    page.click("#door-form button[type=submit]")
    qr = page.locator("#door-qr svg[role=img]")
    expect(qr).to_be_visible()
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    return decoded.text


def test_a_scanner_token_made_on_the_dashboard_signs_in_by_its_single_use_qr_code(board, api, tmp_path_factory):
    """SPEC §16: the QR code holds a sign-in code, not the token; the code works once."""
    page, event, _ = board
    for language in ("tr", "az", "en"):  # the door tab as the organiser sees it, in each language
        page.goto(f"/dashboard?lang={language}#event={event['id']}&tab=door")
        door_qr(page)
        expect(page.locator("#door-code-expires")).to_contain_text(re.compile(r"\d:\d\d"))
        screenshot(page, f"door-qr-{language}", tmp_path_factory)
    link = door_qr(page, "Kuzey kapısı")
    url = urlsplit(link)
    assert (url.scheme, url.netloc, url.path) == ("http", urlsplit(api.base_url).netloc, "/scan")
    assert page.locator("#door-link").get_attribute("href") == link
    assert "kapi_" not in link and "token" not in link
    code = parse_qs(url.fragment)["code"][0]
    signed_in = api.post("/api/door/sign-in", json={"code": code})
    assert signed_in.status_code == 200
    token = signed_in.json()["token"]
    assert token not in page.content()  # the dashboard never had the token
    second = api.post("/api/door/sign-in", json={"code": code})
    assert second.status_code == 401 and second.json()["details"][0]["field"] == "code"
    assert api.get(f"/api/events/{event['id']}/offline-bundle", token=token).status_code == 200
    assert api.get(f"/api/events/{event['id']}/attendance", token=token).status_code == 403
    listed = page.locator("#door-tokens li", has_text="Kuzey kapısı")
    expect(listed).to_have_count(1)
    listed.locator("button[data-action=revoke]").click()
    expect(listed).to_contain_text(text("door.revoked"))
    assert api.get(f"/api/events/{event['id']}/offline-bundle", token=token).status_code == 401


def test_the_scanner_page_signs_in_from_the_qr_code_on_the_dashboard(board, browser, api):
    page, event, _ = board
    if api.get("/scan").status_code != 200:
        pytest.skip("/scan is not served on this branch")
    link = door_qr(page)
    phones = [browser.new_context(base_url=api.base_url) for _ in range(2)]  # two stewards' phones
    steward = phones[0].new_page()
    addresses = []  # every address the steward's page went to or asked for
    steward.on("framenavigated", lambda frame: addresses.append(frame.url))
    steward.on("request", lambda request: addresses.append(request.url))
    before = steward.evaluate("history.length")
    steward.goto(link)
    expect(steward.locator(f"[name=event] option[value='{event['id']}']")).to_be_attached()
    token = steward.evaluate("localStorage.getItem('kapi.scan.token')")
    assert token.startswith("kapi_")
    assert steward.url == f"{api.base_url}/scan"  # the code left the address bar
    assert steward.evaluate("history.length") == before + 1  # one entry for /scan, replaced in place:
    steward.go_back()
    steward.go_forward()
    assert steward.url == f"{api.base_url}/scan"  # no entry of history holds the code
    assert not [address for address in addresses if token in address]

    again = phones[1].new_page()  # the same QR code on another phone: refused
    again.goto(link)
    expect(again.locator("#signin-error")).to_have_text(translate("scan.signin.error.code", "en"))
    assert again.evaluate("localStorage.getItem('kapi.scan.token')") is None
    assert again.url == f"{api.base_url}/scan"
    for phone in phones:
        phone.close()


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_every_view_is_localised_and_has_no_serious_accessibility_violations(board, api, language, tmp_path_factory):
    page, event, _ = board
    page.goto(f"/dashboard?lang={language}#event={event['id']}&tab=live")
    assert page.locator("html").get_attribute("lang") == language
    expect(page.locator("#tab-live h3")).to_have_text(text("live.heading", language))
    expect(page.locator("[data-list-id] [data-count=checkin]")).to_have_text("1")
    expect(page.locator("#event-meta")).not_to_contain_text(re.compile(r"\bM\d"))  # no ICU root dates
    for tab in ("live", "registrations", "editor", "lists", "door"):
        page.click(f"[data-tab={tab}]")
        expect(page.locator(f"#tab-{tab}")).to_be_visible()
        if tab == "registrations":
            expect(page.locator("tr[data-registration-id]")).to_have_count(3)
            assert page.evaluate(DOMAIN_LINES) == [1, 1, 1]  # a narrow column wraps addresses after "@" only
        violations = [v for v in Axe().run(page, options=WCAG_21_AA).response["violations"]
                      if v["impact"] in ("serious", "critical")]
        assert violations == [], (tab, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations])
        screenshot(page, f"{tab}-{language}", tmp_path_factory)
    page.click("#back")
    expect(page.locator(f"[data-event-id='{event['id']}']")).to_be_visible()
    screenshot(page, f"events-{language}", tmp_path_factory)


def test_an_event_made_in_the_editor_previews_its_form_as_the_registration_page_shows_it(board, api,
                                                                                          tmp_path_factory):
    page, _, _ = board
    page.goto("/dashboard?lang=en")
    page.click("#new-event")
    event_id = f"forum-{uuid.uuid4().hex[:8]}"
    year = datetime.now().year + 1
    page.fill("#ev-id", event_id)
    page.fill("#ev-name-tr", "Bakü Gençlik Forumu")
    page.fill("#ev-name-az", "Bakı Gənclik Forumu")
    page.fill("#ev-name-en", "Baku Youth Forum")
    page.fill("#ev-venue", "Heydər Əliyev Sarayı, Bakı")
    page.fill("#ev-timezone", "Asia/Baku")
    page.fill("#ev-starts", f"{year}-06-01T10:00")
    page.fill("#ev-ends", f"{year}-06-01T18:00")
    page.select_option("#ev-status", "published")
    page.fill("#ev-form", json.dumps(FORM, ensure_ascii=False, indent=1))
    preview = page.locator("#preview")
    expect(preview).to_contain_text("How will you attend?")
    previewed = controls(preview)
    assert [c[0] for c in previewed if c[1] == "text"][:1] == ["answers.company"], previewed
    page.fill("#ev-form", "{ not json")
    expect(page.locator("#ev-form-error")).to_contain_text(text("editor.form_not_json", error="")[:20])
    page.fill("#ev-form", json.dumps(FORM, ensure_ascii=False))
    expect(page.locator("#ev-form-error")).to_be_empty()
    expect(preview).to_contain_text("How will you attend?")
    screenshot(page, "editor-preview-en", tmp_path_factory)
    page.click("#save-event")
    expect(page.locator("#editor-status")).to_have_text(text("editor.saved"))
    expect(page.locator("#event-title")).to_have_text("Baku Youth Forum")

    saved = api.get(f"/api/events/{event_id}", token=api.admin_token).json()
    assert saved["form"] == FORM and saved["timezone"] == "Asia/Baku"
    assert saved["starts_at"] == f"{year}-06-01T10:00:00+04:00"
    assert saved["name"] == {"tr": "Bakü Gençlik Forumu", "az": "Bakı Gənclik Forumu", "en": "Baku Youth Forum"}
    attendee = page.context.new_page()
    attendee.goto(f"/e/{event_id}?lang=en")
    assert controls(attendee.locator("form#registration")) == previewed
    attendee.close()


def test_an_edit_over_someone_elses_newer_save_is_refused_with_the_412_explained(board, api):
    page, event, _ = board
    page.goto(f"/dashboard?lang=en#event={event['id']}&tab=editor")
    expect(page.locator("#ev-venue")).to_have_value(event["venue"])
    elsewhere = api.patch(f"/api/events/{event['id']}", json={"venue": "Ahmed Adnan Saygun, Güzelyalı"},
                          token=api.admin_token)
    assert elsewhere.status_code == 200
    page.fill("#ev-venue", "Kültürpark, İzmir")
    page.click("#save-event")
    expect(page.locator("#editor-error [data-error=precondition_failed]")).to_have_text(
        text("error.precondition_failed"))
    expect(page.locator("#editor-error")).to_be_focused()
    assert api.get(f"/api/events/{event['id']}", token=api.admin_token).json()["venue"] == "Ahmed Adnan Saygun, Güzelyalı"
    page.click("#editor-error button")
    expect(page.locator("#ev-venue")).to_have_value("Ahmed Adnan Saygun, Güzelyalı")
    page.fill("#ev-venue", "Kültürpark, İzmir")
    page.click("#save-event")
    expect(page.locator("#editor-status")).to_have_text(text("editor.saved"))
    assert api.get(f"/api/events/{event['id']}", token=api.admin_token).json()["venue"] == "Kültürpark, İzmir"


def test_reissue_with_another_ticket_type_updates_the_row(board, api):
    page, event, people = board
    page.goto(f"/dashboard?lang=en#event={event['id']}&tab=registrations")
    row = page.locator(f"tr[data-registration-id='{people[0]['id']}']")
    row.locator("button[data-action=reissue]").click()
    page.select_option("#reissue-select", "vip")
    page.click("#confirm button[value=yes]")
    expect(row).to_contain_text("Guest of honour")
    expect(page.locator("#table-status")).to_have_text(text("done.reissue", name=PEOPLE[0]))
    found = api.get(f"/api/events/{event['id']}/registrations/{people[0]['id']}", token=api.admin_token).json()
    assert found["ticket_type"] == "vip" and found["status"] == "confirmed"


def test_figures_that_stop_refreshing_are_marked_stale(board):
    page, event, _ = board
    page.goto(f"/dashboard?lang=en#event={event['id']}&tab=live")
    expect(page.locator("#last-updated")).to_contain_text("Last updated")
    expect(page.locator("#stale")).to_be_hidden()
    page.route("**/attendance", lambda route: route.abort())
    page.click("#refresh")
    expect(page.locator("#stale")).to_contain_text(text("live.stale"))
    expect(page.locator("#stale")).to_contain_text(text("error.offline"))
    expect(page.locator("[data-list-id] [data-count=checkin]")).to_have_text("1")  # the last figures stay
    page.unroute("**/attendance")
    page.click("#refresh")
    expect(page.locator("#stale")).to_be_hidden()


def test_a_registration_is_approved_with_the_keyboard_alone(board, api):
    page, event, people = board
    page.goto(f"/dashboard?lang=en#event={event['id']}&tab=registrations")
    row = page.locator(f"tr[data-registration-id='{people[2]['id']}']")
    expect(row).to_have_attribute("data-status", "pending_approval")
    page.locator("[name=q]").focus()
    focused = "[document.activeElement.dataset.action, document.activeElement.closest('tr')?.dataset.registrationId]"
    for _ in range(60):  # other rows may hold an approve button too (equal creation times sort either way)
        page.keyboard.press("Tab")
        if page.evaluate(focused) == ["approve", people[2]["id"]]:
            break
    assert page.evaluate(focused) == ["approve", people[2]["id"]]
    page.keyboard.press("Enter")
    expect(page.locator("#confirm button[value=no]")).to_be_focused()  # the safe choice comes first
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#confirm button[value=yes]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row).to_have_attribute("data-status", "confirmed", timeout=20_000)  # the approval's round trip
    assert page.evaluate("document.activeElement.closest('tr').dataset.registrationId") == people[2]["id"]
    assert api.get(f"/api/events/{event['id']}/registrations/{people[2]['id']}",
                   token=api.admin_token).json()["status"] == "confirmed"


def test_pressing_enter_again_and_again_never_undoes_an_approval(board, api):
    """Issue 28 #1: Enter on "Approve", then Enter three more times, used to approve and then cancel.
    The dialog now starts on "No", and after a move focus rests on the person's name, never on a
    destructive button."""
    page, event, _ = board
    pending = api.post(f"/api/events/{event['id']}/registrations",
                       json=registration_body(name="Enter Zinciri", ticket_type="std")).json()
    assert pending["status"] == "pending_approval"
    page.goto(f"/dashboard?lang=en#event={event['id']}&tab=registrations")
    page.reload()  # the same address as an earlier test's: load the table afresh
    row = page.locator(f"tr[data-registration-id='{pending['id']}']")
    row.locator("button[data-action=approve]").focus()
    for _ in range(4):
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
    expect(row).to_have_attribute("data-status", "pending_approval")
    expect(row.locator("button[data-action=approve]")).to_be_focused()
    stored = api.get(f"/api/events/{event['id']}/registrations/{pending['id']}", token=api.admin_token).json()
    assert stored["status"] == "pending_approval"

    page.keyboard.press("Enter")  # this time the organiser means it
    expect(page.locator("#confirm button[value=no]")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(row).to_have_attribute("data-status", "confirmed", timeout=20_000)
    expect(row.locator(f"[data-detail='{pending['id']}']")).to_be_focused()
    for _ in range(3):  # Enter opens the person's detail and closes it: nothing else
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
    page.keyboard.press("Escape")
    expect(row).to_have_attribute("data-status", "confirmed")
    stored = api.get(f"/api/events/{event['id']}/registrations/{pending['id']}", token=api.admin_token).json()
    assert stored["status"] == "confirmed"


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_a_door_token_for_an_event_without_a_check_in_list_comes_with_a_warning(board, api, make_event, language,
                                                                               tmp_path_factory):
    """Issue 28 #3: the dashboard made door tokens for an event without a list and said nothing."""
    page, _, _ = board
    bare = make_event(name={"tr": "Listesiz Gece", "az": "Siyahısız Gecə", "en": "Night Without a List"})
    page.goto(f"/dashboard?lang={language}#event={bare['id']}&tab=door")
    page.reload()
    warning = page.locator("#door-no-list")
    expect(warning).to_contain_text(text("door.no_list", language))
    door_qr(page)
    expect(warning).to_contain_text(text("door.no_list", language))
    axe = [v for v in Axe().run(page, options=WCAG_21_AA).response["violations"] if v["impact"] in ("serious", "critical")]
    assert axe == []
    screenshot(page, f"door-no-list-{language}", tmp_path_factory)
    warning.get_by_role("button", name=text("door.no_list_action", language)).click()
    expect(page.locator("#tab-lists")).to_be_visible()
    page.fill("#list-name", "Ana kapı")
    page.click("#list-form button[type=submit]")
    expect(page.locator("#checkin-lists li")).to_contain_text("Ana kapı")
    page.click("[data-tab=door]")
    expect(page.locator("#door-tokens li")).to_have_count(1)
    expect(warning).to_be_empty()
    expect(warning).to_be_hidden()
