"""The door scanner `/scan` in Debian's Chromium: a fake camera showing real tickets' QR codes (read back
from real registration emails), a keyboard wedge, name search, and offline gates that sync later.

One browser with a fake camera serves the module. Chromium re-reads the camera file at every
`getUserMedia`, so a test shows the camera another code by rewriting the file and restarting the
camera with the page's own button. Screenshots go to KAPI_SCREENSHOTS (a folder) when it is set;
offline verdict times go to KAPI_SCAN_TIMINGS (a file) for the README's numbers.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import qrcode
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from chalicelib.i18n import translate
from tests.api.test_tokens import make_token
from tests.pages.conftest import CHROMIUM, PageOpener

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
TICKET_TYPES = [{"id": "std", "name": {"tr": "Standart", "az": "Standart", "en": "Standard"}},
                {"id": "vip", "name": {"tr": "VIP", "az": "VIP", "en": "VIP"}}]
# Failed requests are the point of a scanner's refusals and of offline mode; the browser logs them.
EXPECTED_CONSOLE = ("status of 400", "status of 404", "ERR_INTERNET_DISCONNECTED", "ERR_TIMED_OUT", "Failed to fetch",
                    "fetching the script")


def write_camera(path: Path, text: str | None) -> None:
    """One 640×480 Y4M frame showing `text` as a QR code (or nothing), written atomically."""
    width, height = 640, 480
    image = Image.new("L", (width, height), 255)
    if text is not None:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(text)
        matrix = code.get_matrix()
        scale = 400 // len(matrix)
        qr = Image.new("L", (len(matrix), len(matrix)), 255)
        qr.putdata([0 if dark else 255 for line in matrix for dark in line])
        qr = qr.resize((len(matrix) * scale, len(matrix) * scale), Image.NEAREST)
        image.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma = image.point(lambda v: 16 + v * 219 // 255).tobytes()
    chroma = bytes([128]) * (width * height // 4)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
                          + b"FRAME\n" + luma + chroma + chroma)
    temporary.replace(path)


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_camera(path, None)
    return path


@pytest.fixture(scope="module")
def camera_browser(playwright, camera_file):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera_file}"])
    yield browser
    browser.close()


@pytest.fixture
def open_scan(camera_browser, api):
    opener = PageOpener(camera_browser, api.base_url)
    for text in EXPECTED_CONSOLE:
        opener.tolerate(text)
    yield opener
    opener.close()


@pytest.fixture(scope="module")
def gate(api, make_event, register):
    """An event with a check-in list and a scanner token; `gate.ticket(name)` registers a real ticket."""
    event = make_event(name={"tr": "Dostluk Konseri", "az": "Dostluq Konserti", "en": "Friendship Concert"},
                       ticket_types=TICKET_TYPES)
    checkin_list = api.post(f"/api/events/{event['id']}/checkin-lists", json={"name": "Ana kapı"},
                            token=api.admin_token).json()

    class Gate:
        def __init__(self):
            self.event, self.list = event, checkin_list
            self.token = make_token(api, "scanner", [event["id"]])["token"]

        def ticket(self, name: str, **fields):
            return register(event=event, name=name, ticket_type="std", **fields)

        def status(self) -> dict:
            return api.get(f"/api/events/{event['id']}/checkin-lists/{checkin_list['id']}/status",
                           token=self.token).json()

        def attendance(self) -> dict:
            return api.get(f"/api/events/{event['id']}/attendance", token=api.admin_token).json()
    return Gate()


def sign_in(page, gate, language="en", hold="0"):
    if f"lang={language}" not in page.url:
        page.goto(f"/scan?lang={language}")
    page.fill("[name=token]", gate.token)
    page.press("[name=token]", "Enter")
    expect(page.locator("[name=list] option")).to_have_count(1)
    page.select_option("[name=event]", gate.event["id"])
    page.select_option("[name=list]", gate.list["id"])
    page.select_option("[name=hold]", hold)


def verdict_after(page, seq: int, status: str, reason: str = "", offline: str = "false"):
    """Waits for the verdict after the `seq`-th one and checks its attributes."""
    card = page.locator("#verdict")
    expect(card).to_have_attribute("data-seq", str(seq + 1), timeout=15000)
    expect(card).to_be_visible()
    assert (card.get_attribute("data-status"), card.get_attribute("data-reason"),
            card.get_attribute("data-offline")) == (status, reason, offline)
    return card


def seq(page) -> int:
    return int(page.locator("#verdict").get_attribute("data-seq"))


def wedge(page, code: str) -> None:
    """A USB/Bluetooth scanner: fast keystrokes into the focused code box, then Enter."""
    page.locator("[name=code]").focus()
    page.keyboard.type(code, delay=2)
    page.keyboard.press("Enter")


def dismiss(page) -> None:
    if page.locator("#verdict").is_visible():
        page.click("#verdict-next")


def restart_camera(page, camera_file, text):
    write_camera(camera_file, text)
    dismiss(page)
    toggle = page.locator("#camera-toggle")
    if page.evaluate("!!document.getElementById('video').srcObject"):
        toggle.click()
    toggle.click()


def assert_accessible(page):
    violations = Axe().run(page, options=WCAG_21_AA).response["violations"]
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def screenshot(page, name: str, full_page: bool = False) -> None:
    folder = os.environ.get("KAPI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"scan-{name}.png"), full_page=full_page)


def test_camera_wedge_forged_exit_and_search_online(open_scan, gate, camera_file, api):
    ayse, bora, cem, deniz, elif_ = (gate.ticket(name) for name in
                                     ("Ayşe Yıldız", "Bora Işık", "Cem Öztürk", "Dilşad İnci", "Elif Ünal"))
    page = open_scan(**PHONE)
    sign_in(page, gate)
    assert_accessible(page)

    restart_camera(page, camera_file, ayse.secret)
    card = verdict_after(page, 0, "ok")
    expect(card).to_contain_text("Ayşe Yıldız")
    expect(card).to_contain_text("Standard")
    expect(page.locator("[data-count=checkin]")).to_have_text("1")
    page.click("#verdict-next")
    card = verdict_after(page, 1, "error", "already_redeemed")  # still in view: scanned again after a pause
    expect(card).to_contain_text("Ayşe Yıldız")
    expect(card).to_contain_text(translate("checkin.reason.already_redeemed", "en"))

    forged = bora.secret[:-6] + ("AAAAAA" if not bora.secret.endswith("AAAAAA") else "BBBBBB")
    before = seq(page)
    restart_camera(page, camera_file, forged)
    verdict_after(page, before, "error", "invalid")
    restart_camera(page, camera_file, cem.secret)  # the scanner did not die on the bad code
    expect(page.locator("#verdict")).to_contain_text("Cem Öztürk", timeout=15000)
    assert page.locator("#verdict").get_attribute("data-status") == "ok"
    dismiss(page)
    page.click("#camera-toggle")
    write_camera(camera_file, None)  # the page starts the camera again after a reload

    before = seq(page)
    wedge(page, bora.secret.lower())  # a wedge in lower-case mode still reads
    expect(verdict_after(page, before, "ok")).to_contain_text("Bora Işık")
    expect(page.locator("[data-count=inside]")).to_have_text("3")

    dismiss(page)
    page.check("[name=mode][value=exit]")
    before = seq(page)
    wedge(page, bora.secret)
    expect(page.locator("#verdict-title")).to_have_text("EXIT RECORDED")
    verdict_after(page, before, "ok")
    expect(page.locator("[data-count=inside]")).to_have_text("2")
    dismiss(page)
    page.reload()  # the choices survive a reload
    expect(page.locator("[name=mode][value=exit]")).to_be_checked()
    expect(page.locator("[name=list]")).to_have_value(gate.list["id"])  # once the lists are loaded again
    page.check("[name=mode][value=entry]")

    page.fill("[name=q]", "DİLŞAD")
    page.press("[name=q]", "Enter")
    found, said = page.locator("#search-results li"), page.locator("#search-message")
    expect(found.or_(page.locator("#search-message:not(:empty)"))).not_to_have_count(0, timeout=15000)
    assert found.count() == 1, f"no result; the page said: {said.text_content()!r}"
    # An answer that is not results is said in the API's own words (here its refusal of a short query,
    # handed to the page for a longer one), not left as an empty list.
    refusal = api.get(f"/api/events/{gate.event['id']}/checkin-lists/{gate.list['id']}/search?q=ab",
                      token=gate.token, headers={"Accept-Language": "en"})
    assert refusal.status_code == 400
    page.route("**/search?*", lambda route: route.fulfill(status=400, json=refusal.json()))
    page.press("[name=q]", "Enter")
    expect(said).to_have_text(refusal.json()["details"][0]["message"])  # the reason, not "fields need attention"
    expect(found).to_have_count(0)
    page.unroute("**/search?*")
    page.press("[name=q]", "Enter")
    expect(found).to_have_count(1)
    admit = page.get_by_role("button", name="Admit Dilşad İnci")
    before = seq(page)
    admit.click()
    expect(verdict_after(page, before, "ok")).to_contain_text("Dilşad İnci")
    status = gate.status()
    assert (status["checkin_count"], status["inside_count"]) == (4, 3)

    # The browser still says it is online, but scans fail: the page decides here and queues.
    page.route("**/scans", lambda route: route.abort("timedout"))
    dismiss(page)
    before = seq(page)
    wedge(page, elif_.secret)
    expect(verdict_after(page, before, "ok", offline="true")).to_contain_text("Elif Ünal")
    assert page.evaluate("navigator.onLine") is True
    expect(page.locator("[data-queue]")).to_have_attribute("data-queue", "0", timeout=20000)  # synced when back
    assert gate.status()["checkin_count"] == 5


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_each_verdict_is_readable_and_accessible(open_scan, gate, language):
    guest = gate.ticket({"tr": "Gülşen Işıkgöz", "az": "Əli İlkin Qasımov", "en": "Mary O'Neill"}[language],
                        language=language)
    page = open_scan(**PHONE, locale=language)
    page.goto(f"/scan?lang={language}")
    expect(page.locator("#signin")).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"{language}-sign-in")
    sign_in(page, gate, language)
    page.click("#camera-toggle")  # the camera shows nothing here; stop it for a still screenshot
    screenshot(page, f"{language}-scanning", full_page=True)
    shots = [(guest.secret, "ok", ""), (guest.secret, "error", "already_redeemed"),
             (guest.secret[:-6] + "QQQQQQ", "error", "invalid")]
    for n, (code, status, reason) in enumerate(shots):
        before = seq(page)
        wedge(page, code)
        card = verdict_after(page, before, status, reason)
        if status == "ok" or reason == "already_redeemed":
            expect(card.locator(".verdict-name")).to_have_text(guest_name(language))
        title = translate({"ok": "scan.verdict.ok.entry", "already_redeemed": "scan.verdict.already_redeemed",
                           "": "scan.verdict.ok.entry", "invalid": "scan.verdict.error"}[reason or "ok"], language)
        expect(card.locator(".verdict-title")).to_have_text(title.upper() if language == "en" else
                                                            page.evaluate("([t, l]) => t.toLocaleUpperCase(l)",
                                                                          [title, language]))
        assert_accessible(page)
        screenshot(page, f"{language}-{n + 1}-{reason or status}")


SEARCHED = {"tr": ("Şükrü Güneşli", "sukru"), "az": ("Xədicə Ağayeva Şükürova", "xedice"),
            "en": ("Siobhán O'Connor", "siob")}


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_a_person_found_by_name_is_admitted_by_registration_id_never_a_secret(open_scan, gate, language):
    """SPEC §16: the search's "admit" sends `{registration_id, type, nonce}`; no secret reaches the page."""
    name, query = SEARCHED[language]
    guest = gate.ticket(name, language=language)
    page = open_scan(**PHONE, locale=language)
    sign_in(page, gate, language)
    page.click("#camera-toggle")
    searched, scans = [], []
    page.on("response", lambda response: searched.append(response.text()) if "/search?" in response.url else None)
    page.on("request", lambda request: scans.append(json.loads(request.post_data))
            if request.url.endswith("/scans") else None)
    page.fill("[name=q]", query)
    page.press("[name=q]", "Enter")
    found = page.locator("#search-results li")
    expect(found).to_have_count(1, timeout=15000)
    admit = page.get_by_role("button", name=translate("scan.search.admit", language, name=name))
    expect(admit).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"{language}-search", full_page=True)
    before = seq(page)
    admit.click()
    card = verdict_after(page, before, "ok")
    expect(card.locator(".verdict-name")).to_have_text(name)
    assert_accessible(page)
    screenshot(page, f"{language}-search-admitted")
    [sent] = scans
    assert set(sent) == {"registration_id", "type", "nonce"} and sent["registration_id"] == guest.registration["id"]
    assert searched and not any(guest.secret in text or guest.manage in text for text in searched)
    dismiss(page)
    page.press("[name=q]", "Enter")  # found again: already inside, and a second admit is refused
    expect(found).to_contain_text(translate("scan.search.inside", language), timeout=15000)
    before = seq(page)
    admit.click()
    verdict_after(page, before, "error", "already_redeemed")
    screenshot(page, f"{language}-search-again")


def guest_name(language: str) -> str:
    return {"tr": "Gülşen Işıkgöz", "az": "Əli İlkin Qasımov", "en": "Mary O'Neill"}[language]


def go_offline_and_reload(page, language="en"):
    expect(page.locator("#scanner")).to_have_attribute("data-offline-ready", "true", timeout=20000)
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("[data-online]")).to_have_attribute("data-online", "false")
    expect(page.locator("[data-count=checkin]")).not_to_have_text("–")  # the last counts the server gave
    expect(page.locator("#data-age")).to_have_text(translate("scan.data_age", language, minutes=0))


def test_offline_gates_decide_queue_survive_reload_and_sync_once(open_scan, gate, api):
    emin, ferda, gone = (gate.ticket(name) for name in ("Emin Ağaoğlu", "Ferda Çelik", "Gönül Şahin"))
    assert api.post(f"/api/tickets/{gone.manage}/cancel").status_code == 200
    posted: list[str] = []

    def count_uploads(request):
        if request.url.endswith("/scans/batch"):
            posted.extend(scan["nonce"] for scan in json.loads(request.post_data)["scans"])

    north, south = open_scan(**PHONE), open_scan(**PHONE)
    for page in (north, south):
        page.on("request", count_uploads)
        sign_in(page, gate)
        page.click("#camera-toggle")
        go_offline_and_reload(page)
        expect(page.locator("[name=list]")).to_have_value(gate.list["id"])
    assert_accessible(north)
    screenshot(north, "offline-scanning", full_page=True)

    wedge(north, emin.secret)
    card = verdict_after(north, 0, "ok", offline="true")
    expect(card).to_contain_text("Emin Ağaoğlu")
    expect(card.locator("#verdict-offline")).to_be_visible()
    assert_accessible(north)
    screenshot(north, "offline-ok")
    timings = [float(card.get_attribute("data-ms"))]
    wedge(north, gone.secret)
    expect(verdict_after(north, 1, "error", "canceled", offline="true")).to_contain_text("Gönül Şahin")
    wedge(north, emin.secret)  # this device knows it let Emin in
    verdict_after(north, 2, "error", "already_redeemed", offline="true")
    wedge(north, ferda.secret)
    verdict_after(north, 3, "ok", offline="true")
    timings += [float(north.locator("#verdict").get_attribute("data-ms"))]
    expect(north.locator("[data-queue]")).to_have_attribute("data-queue", "2")
    north.reload()  # still offline: the queue is on the device, not in the page
    expect(north.locator("[data-queue]")).to_have_attribute("data-queue", "2")

    wedge(south, emin.secret)  # the other gate cannot know: it admits Emin too
    verdict_after(south, 0, "ok", offline="true")
    expect(south.locator("[data-queue]")).to_have_attribute("data-queue", "1")
    assert posted == []

    north.context.set_offline(False)
    expect(north.locator("[data-queue]")).to_have_attribute("data-queue", "0", timeout=20000)
    expect(north.locator("[data-online]")).to_have_attribute("data-online", "true")
    south.context.set_offline(False)
    expect(south.locator("[data-queue]")).to_have_attribute("data-queue", "0", timeout=20000)
    conflict = south.locator("#conflict-items li")
    expect(conflict).to_have_count(1)
    assert conflict.get_attribute("data-conflict") == "already_redeemed"
    expect(conflict).to_contain_text("Emin Ağaoğlu")
    expect(north.locator("#conflicts")).to_be_hidden()
    dismiss(south)
    assert_accessible(south)
    screenshot(south, "conflict", full_page=True)

    assert gate.attendance()["offline_conflicts"] == 1
    for page in (north, south):
        page.reload()  # a second sync finds nothing to send
        expect(page.locator("[data-online]")).to_have_attribute("data-online", "true")
    north.wait_for_timeout(500)
    assert sorted(posted) == sorted(set(posted)) and len(posted) == 3
    assert gate.attendance()["offline_conflicts"] == 1
    timings_file = os.environ.get("KAPI_SCAN_TIMINGS")
    if timings_file:
        Path(timings_file).write_text(json.dumps({"offline_verdict_ms": timings}) + "\n")


def sign_in_link(api, gate) -> tuple[str, str]:
    """A sign-in QR code's address as the dashboard makes it (`/scan#code=…`), and its token's id."""
    created = api.post("/api/tokens", json={"role": "scanner", "events": [gate.event["id"]], "sign_in_code": True},
                       token=api.admin_token).json()
    return f"{api.base_url}/scan#code={created['sign_in']['code']}", created["id"]


def watch_addresses(page) -> list[str]:
    """Every address the page goes to or asks for, from now on."""
    addresses: list[str] = []
    page.on("framenavigated", lambda frame: addresses.append(frame.url))
    page.on("request", lambda request: addresses.append(request.url))
    return addresses


def assert_signed_in_without_the_token_in_a_url(page, api, token_id, addresses, language):
    expect(page.locator("[name=list] option")).to_have_count(1)
    token = page.evaluate("localStorage.getItem('kapi.scan.token')")
    assert token.startswith(f"kapi_{token_id}_")
    assert page.url.split("#")[0] == page.url and "code=" not in page.url  # out of the address bar
    assert not [address for address in addresses if token in address or token_id in address]
    screenshot(page, f"{language}-signed-in-by-code", full_page=True)


def test_signing_in_by_the_dashboards_qr_code_and_by_its_link(open_scan, gate, camera_file, api):
    """SPEC §16: the QR code holds a single-use code that the page trades for the token; no token in
    any URL or history entry, the code out of the address bar at once."""
    open_scan.tolerate("status of 401")  # the refused second use
    by_camera, camera_token = sign_in_link(api, gate)
    write_camera(camera_file, by_camera)
    page = open_scan(**PHONE)
    addresses = watch_addresses(page)
    page.goto("/scan?lang=tr")
    page.click("#signin-camera")
    expect(page.locator("[name=event] option")).to_have_text([gate.event["name"]["tr"]])
    assert_signed_in_without_the_token_in_a_url(page, api, camera_token, addresses, "tr")
    write_camera(camera_file, None)

    link, link_token = sign_in_link(api, gate)
    other = open_scan(**PHONE)
    addresses = watch_addresses(other)
    before = other.evaluate("history.length")
    other.goto(link.removeprefix(api.base_url))  # the QR code opened by the phone's camera app
    assert_signed_in_without_the_token_in_a_url(other, api, link_token, addresses, "en")
    assert other.evaluate("history.length") == before + 1  # the code's entry was replaced, not added to
    other.go_back()
    other.go_forward()
    assert "code=" not in other.url

    used = open_scan(**PHONE)  # the same link on a third phone: the code works once
    used.goto(link.removeprefix(api.base_url))
    expect(used.locator("#signin-error")).to_have_text(translate("scan.signin.error.code", "en"))
    assert used.evaluate("localStorage.getItem('kapi.scan.token')") is None and "code=" not in used.url
    used.goto("/scan?lang=az#token=kapi_aaaaaaaaaaaaaaaa_" + "b" * 43)  # an old link with a token: refused
    expect(used.locator("#signin-error")).to_have_text(translate("scan.signin.error.token_link", "az"))
    assert "token" not in used.url
    screenshot(used, "az-sign-in-refused-token-link")


def test_a_sign_in_link_opened_in_a_tab_already_on_the_scanner_signs_it_in(open_scan, gate, api):
    """Only the fragment changes (hashchange): the page must still trade the code."""
    page = open_scan(**PHONE)
    addresses = watch_addresses(page)
    page.goto("/scan?lang=az")
    expect(page.locator("#signin")).to_be_visible()
    link, token_id = sign_in_link(api, gate)
    page.goto("/scan?lang=az#" + link.split("#")[1])
    assert_signed_in_without_the_token_in_a_url(page, api, token_id, addresses, "az")
    assert page.url.endswith("/scan?lang=az")


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_signing_out_is_named_apart_from_the_exit_mode_and_asks_first(open_scan, gate, language):
    """Issue 28 #2: "Çıkış yap" beside the mode "Çıkış" signed a steward out in one tap."""
    sign_out = translate("scan.signout", language)
    exit_mode = translate("scan.mode.exit", language)
    assert exit_mode.casefold()[:4] not in sign_out.casefold(), (sign_out, exit_mode)
    page = open_scan(**PHONE, locale=language)
    sign_in(page, gate, language)
    page.click("#camera-toggle")
    expect(page.locator("#signout")).to_have_text(sign_out)
    page.click("#signout")
    dialog = page.locator("#signout-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(translate("scan.signout.confirm", language))
    expect(page.locator("#signout-queue")).to_be_hidden()  # nothing waits to upload
    expect(page.locator("#signout-no")).to_be_focused()  # the safe choice first
    assert_accessible(page)
    screenshot(page, f"{language}-signout-confirm")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#signout")).to_be_focused()
    assert page.evaluate("localStorage.getItem('kapi.scan.token')") == gate.token
    expect(page.locator("#door")).to_be_visible()


def test_signing_out_with_scans_waiting_says_how_many_and_keeps_them(open_scan, gate):
    """The question counts the queue; sign-out keeps it, and the next sign-in here uploads it."""
    guest = gate.ticket("Nərmin Çağlayan")
    page = open_scan(**PHONE)
    sign_in(page, gate)
    page.click("#camera-toggle")
    go_offline_and_reload(page)
    wedge(page, guest.secret)
    verdict_after(page, 0, "ok", offline="true")
    dismiss(page)
    expect(page.locator("[data-queue]")).to_have_attribute("data-queue", "1")
    page.click("#signout")
    queued = page.locator("#signout-queue")
    expect(queued).to_be_visible()
    expect(queued).to_have_text(translate("scan.signout.queue", "en", count=1))
    assert_accessible(page)
    screenshot(page, "en-signout-queued")
    page.click("#signout-yes")
    expect(page.locator("#signin")).to_be_visible()
    assert page.evaluate("localStorage.getItem('kapi.scan.token')") is None
    before = gate.status()["checkin_count"]
    page.context.set_offline(False)
    sign_in(page, gate)
    expect(page.locator("#queue")).to_have_attribute("data-queue", "0", timeout=20000)  # kept, then uploaded
    assert gate.status()["checkin_count"] == before + 1


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_a_scan_for_an_event_without_a_check_in_list_says_so(open_scan, api, make_event, language):
    """Issue 28 #3: a typed or scanned code used to vanish with no verdict and no message."""
    bare = make_event(name={"tr": "Listesiz Gece", "az": "Siyahısız Gecə", "en": "Night Without a List"})
    token = make_token(api, "scanner", [bare["id"]])["token"]
    page = open_scan(**PHONE, locale=language)
    page.goto(f"/scan?lang={language}")
    page.fill("[name=token]", token)
    page.press("[name=token]", "Enter")
    expect(page.locator("[name=event] option")).to_have_count(1)
    expect(page.locator("#no-list")).to_have_text(translate("scan.no_list", language))
    page.click("#camera-toggle")
    page.select_option("[name=hold]", "0")
    wedge(page, "KAPI-NO-LIST-1")
    card = verdict_after(page, 0, "error", "no_list")
    expect(card.locator(".verdict-reason")).to_have_text(translate("scan.no_list", language))
    expect(card.locator(".verdict-title")).to_have_text(
        page.evaluate("([t, l]) => t.toLocaleUpperCase(l)", [translate("scan.verdict.cannot_check", language), language]))
    assert_accessible(page)
    screenshot(page, f"{language}-no-list")


PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}
#: Whether the element is on screen and on top (not under the verdict) at its centre.
SHOWN_ON_SCREEN = """selector => {
  const element = document.querySelector(selector);
  const box = element.getBoundingClientRect();
  if (!box.height || box.top < 0 || box.bottom > innerHeight) return false;
  return element.contains(document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2));
}"""
CONFLICT = """([event, list]) => new Promise((resolve, reject) => {
  const opening = indexedDB.open('kapi-scan', 1);
  opening.onerror = reject;
  opening.onsuccess = () => {
    const tx = opening.result.transaction(['conflicts'], 'readwrite');
    tx.objectStore('conflicts').put({nonce: 'n-conflict', event, list, scanned_at: new Date().toISOString(),
      name: 'Zərifə Kılıç', reason: 'already_redeemed', first_entry: {at: new Date().toISOString(), list}});
    tx.oncomplete = resolve;
    tx.onerror = reject;
  };
})"""


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_on_a_phone_the_connection_the_queue_and_conflicts_stay_in_view_and_counts_move_offline(open_scan, gate,
                                                                                               language):
    """Issue 28 #4: scrolled to the camera or the code box, or under a verdict, a steward on a 390×844
    phone still sees "offline", what waits to upload and the conflicts; offline counts are not frozen."""
    guest = gate.ticket({"tr": "Sebahat Güler", "az": "Səbinə Güler", "en": "Sabine Guler"}[language])
    page = open_scan(**PHONE_390, locale=language)
    sign_in(page, gate, language)
    page.click("#camera-toggle")
    go_offline_and_reload(page, language)
    checkin = int(page.locator("[data-count=checkin]").text_content())
    inside = int(page.locator("[data-count=inside]").text_content())
    wedge(page, guest.secret)
    verdict_after(page, 0, "ok", offline="true")
    for selector in ("#online", "#queue"):
        assert page.evaluate(SHOWN_ON_SCREEN, selector), f"{selector} hidden under the verdict"
    expect(page.locator("#queue")).to_have_attribute("data-queue", "1")
    screenshot(page, f"{language}-phone-offline-verdict")
    dismiss(page)
    expect(page.locator("[data-count=checkin]")).to_have_text(str(checkin + 1))  # counted here, offline
    expect(page.locator("[data-count=inside]")).to_have_text(str(inside + 1))
    page.evaluate(CONFLICT, [gate.event["id"], gate.list["id"]])
    page.reload()  # offline: the page comes from the service worker
    expect(page.locator("#conflict-count")).to_have_text(translate("scan.conflicts.count", language, count=1))
    expect(page.locator("[data-count=checkin]")).to_have_text(str(checkin + 1))  # still, after a reload
    for target in ("[name=code]", "#camera-toggle", "#signout"):
        page.locator(target).scroll_into_view_if_needed()
        for selector in ("#online", "#queue", "#conflict-count"):
            assert page.evaluate(SHOWN_ON_SCREEN, selector), f"{selector} out of view at {target}"
    expect(page.locator("#online")).to_have_attribute("data-online", "false")
    assert_accessible(page)
    screenshot(page, f"{language}-phone-offline-scrolled")
    page.click("#conflict-count")
    expect(page.locator("#conflict-items li")).to_contain_text("Zərifə Kılıç")
    page.evaluate("""() => new Promise((resolve) => {
      const opening = indexedDB.open('kapi-scan', 1);
      opening.onsuccess = () => {
        const tx = opening.result.transaction(['conflicts'], 'readwrite');
        tx.objectStore('conflicts').delete('n-conflict');
        tx.oncomplete = resolve;
      };
    })""")
    page.context.set_offline(False)
    expect(page.locator("#queue")).to_have_attribute("data-queue", "0", timeout=20000)
    expect(page.locator("[data-count=checkin]")).to_have_text(str(gate.status()["checkin_count"]))


def test_a_wedge_scan_after_tapping_the_mode_or_the_hold_setting_reaches_the_code_box(open_scan, gate):
    """Issue 28 #5: the keystrokes went to the radio button or the select, and the scan was lost."""
    first, second, third = (gate.ticket(name) for name in ("Tural Şıxəliyev", "Gökçe Ilgaz", "Leyla Ağazadə"))
    page = open_scan(**PHONE)
    sign_in(page, gate, hold="0")
    page.click("#camera-toggle")
    page.locator("label", has=page.locator("[name=mode][value=entry]")).click()  # the steward taps "Entry"
    assert page.evaluate("document.activeElement.name") == "mode"
    page.keyboard.type(first.secret, delay=2)  # a wedge types wherever the focus is
    page.keyboard.press("Enter")
    expect(verdict_after(page, 0, "ok")).to_contain_text("Tural Şıxəliyev")
    dismiss(page)

    page.select_option("[name=hold]", "0")  # the steward taps the hold setting
    page.locator("[name=hold]").focus()
    page.keyboard.type(second.secret, delay=2)
    page.keyboard.press("Enter")
    expect(verdict_after(page, 1, "ok")).to_contain_text("Gökçe Ilgaz")
    expect(page.locator("[name=hold]")).to_have_value("0")  # the letters did not pick another option
    dismiss(page)

    page.locator("#camera-toggle").focus()  # a button tapped last
    page.keyboard.type(third.secret, delay=2)
    page.keyboard.press("Enter")
    expect(verdict_after(page, 2, "ok")).to_contain_text("Leyla Ağazadə")
    expect(page.locator("[name=mode][value=entry]")).to_be_checked()


def first_entry_minute(api, gate, ticket) -> str:
    """The minute (":MM") of the ticket's first entry on the gate's list, as the server keeps it."""
    found = api.get(f"/api/events/{gate.event['id']}/registrations/{ticket.registration['id']}",
                    token=api.admin_token).json()
    return ":" + found["checkins"][gate.list["id"]]["first_at"][14:16]


def test_already_checked_in_says_when_and_on_which_list_online_and_offline(open_scan, gate, api):
    """Issue 28 #7: the amber verdict says when and where the first entry was, so a steward can judge
    a pass-back: online from the API's `first_entry`, offline from this device's own record."""
    known, fresh = gate.ticket("Rəna Yılmaz"), gate.ticket("Oğuz Əliyev")
    page = open_scan(**PHONE)
    sign_in(page, gate)
    page.click("#camera-toggle")
    wedge(page, known.secret)
    verdict_after(page, 0, "ok")
    dismiss(page)
    wedge(page, known.secret)
    card = verdict_after(page, 1, "error", "already_redeemed")
    first = card.locator("#verdict-first")
    expect(first).to_contain_text(translate("scan.verdict.first_entry", "en", time="", list="")[:12])
    expect(first).to_contain_text(gate.list["name"])
    expect(first).to_contain_text(first_entry_minute(api, gate, known))
    screenshot(page, "en-already-first-entry")
    dismiss(page)

    go_offline_and_reload(page)
    wedge(page, known.secret)  # admitted online before: this device remembers when
    card = verdict_after(page, 0, "error", "already_redeemed", offline="true")
    expect(first).to_contain_text(gate.list["name"])
    expect(first).to_contain_text(first_entry_minute(api, gate, known))
    dismiss(page)
    wedge(page, fresh.secret)
    verdict_after(page, 1, "ok", offline="true")
    dismiss(page)
    wedge(page, fresh.secret)  # admitted offline here a moment ago
    card = verdict_after(page, 2, "error", "already_redeemed", offline="true")
    expect(first).to_contain_text(gate.list["name"])
    expect(first).to_contain_text(re.compile(r"\d\d:\d\d"))
    assert_accessible(page)
    screenshot(page, "en-already-first-entry-offline")
