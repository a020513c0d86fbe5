"""The event list and the registration page over plain HTTP, as a browser without JavaScript sees them:
languages (query, cookie, Accept-Language), the SPEC §8 hooks, the form posted to the page itself
(errors next to their fields, values kept, one registration per form fill, the honeypot), and the
reasons a form is not offered."""
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from chalicelib.i18n import translate
from chalicelib.pages import FORM_CONTENT_SECURITY_POLICY, LanguageChoice
from chalicelib.pages import registration as registration_pages
from tests import dates
from tests.data import registration_body
from tests.pages.conftest import EVENT_NAMES, NAME


class Elements(HTMLParser):
    """Every element's tag, attributes and own text, in document order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **{name: value if value is not None else "" for name, value in attrs}, "text": ""}
        self.elements.append(element)
        if tag not in ("input", "meta", "link", "br", "img"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open and self._open.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def find(self, **wanted) -> list[dict]:
        return [e for e in self.elements if all(e.get(k.replace("_", "-")) == v for k, v in wanted.items())]

    def one(self, **wanted) -> dict:
        [element] = self.find(**wanted)
        return element


def form_post(api, event_id, fields, language="en"):
    """The form as a browser posts it: urlencoded, repeated names for checkbox lists."""
    return api.post(f"/e/{event_id}?lang={language}", data=fields)


def filled(**overrides):
    fields = {"name": NAME, "email": f"form.{uuid.uuid4().hex[:8]}@example.org", "ticket_type": "general",
              "answers.attendance": "online", "consent": "true", "idempotency_key": str(uuid.uuid4()),
              "language": "en"}
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def registrations_of(api, event_id, email):
    """The event's registrations with exactly this address (`q` answers the best matches, not only it)."""
    items = api.get(f"/api/events/{event_id}/registrations", params={"q": email}, token=api.admin_token).json()["items"]
    return [item for item in items if item["email"] == email]


def test_the_event_list_shows_upcoming_published_events_with_room_left(api, make_event):
    listed = make_event(name=EVENT_NAMES, capacity=5)
    draft = make_event(name={"en": "Draft night"}, status="draft")
    ended = make_event(name={"en": "Yesterday's concert"}, starts_at=dates.from_now(hours=-26),
                       ends_at=dates.from_now(hours=-24))
    page = api.get("/", params={"lang": "az"})
    assert page.status_code == 200
    elements = Elements(page.text)
    names = [e["text"] for e in elements.find(tag="h2")]
    assert EVENT_NAMES["az"] in names and "Draft night" not in names and "Yesterday's concert" not in names
    # Its own card (other tests' events may share its name): the one that links to it.
    article = page.text.split(f'href="/e/{listed["id"]}?lang=az"')[0].rsplit("<article", 1)[1]
    assert translate("form.seats.other", "az", count=5) in article
    assert elements.find(tag="a", href=f"/e/{listed['id']}?lang=az")
    assert {e["hreflang"] for e in elements.find(tag="a") if "hreflang" in e} == {"tr", "az", "en"}
    assert draft["id"] not in page.text and ended["id"] not in page.text


def test_the_language_is_the_query_then_the_remembered_choice_then_the_browsers(api):
    chosen = api.get("/", params={"lang": "az"})
    assert "kapi_lang=az" in chosen.headers["Set-Cookie"] and "SameSite=Lax" in chosen.headers["Set-Cookie"]
    cookie = {"Cookie": "kapi_lang=az"}

    def lang(**headers):
        return Elements(api.get("/", headers=headers).text).one(tag="html")["lang"]

    assert lang(**cookie, **{"Accept-Language": "tr-TR,tr;q=0.9"}) == "az"
    assert lang(**{"Accept-Language": "tr-TR,tr;q=0.9"}) == "tr"
    assert lang() == "en"
    again = api.get("/", params={"lang": "en"}, headers=cookie)
    assert Elements(again.text).one(tag="html")["lang"] == "en" and "kapi_lang=en" in again.headers["Set-Cookie"]


def test_the_form_carries_the_spec_hooks_labels_and_error_slots(api, form_event):
    page = api.get(f"/e/{form_event['id']}", params={"lang": "az"})
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == FORM_CONTENT_SECURITY_POLICY
    elements = Elements(page.text)
    form = elements.one(tag="form", id="registration")
    assert form["method"] == "post" and form["action"] == f"/e/{form_event['id']}?lang=az"
    controls = [e for e in elements.find() if e["tag"] in ("input", "select", "textarea")
                and e.get("type") != "hidden" and e.get("name") != "website"]
    assert {c["name"] for c in controls} == {"name", "email", "ticket_type", "consent", "answers.company",
                                             "answers.attendance", "answers.diet", "answers.sessions",
                                             "answers.guests"}
    labels = {e["for"]: e["text"] for e in elements.find(tag="label")}
    for control in controls:
        assert labels.get(control["id"], "").strip(), control
        slot = elements.one(data_error_for=control["name"])
        assert slot["id"] in control["aria-describedby"].split(), control
    assert "Qida seçimi" in labels["f-answers-diet"] and "Onlayn" in labels["f-answers-attendance-1"]
    assert labels["f-ticket_type-1"] == "B2B masası · " + translate("form.seats.other", "az", count=10)
    assert "Məlumatlarınız yalnız bu tədbir üçün istifadə olunur." in page.text
    assert elements.one(id="f-answers-guests")["type"] == "number"


def test_posted_without_javascript_errors_stand_next_to_their_fields_and_values_stay(api, form_event):
    fields = filled(name="", email="ali@", **{"answers.company": "Şirkət İ<b>", "answers.attendance": "in_person",
                                             "answers.sessions": ["B2B", "Konser"], "answers.guests": "9"})
    response = form_post(api, form_event["id"], fields, language="tr")
    assert response.status_code == 400
    elements = Elements(response.text)
    errors = {e["data-error-for"]: e["text"].strip() for e in elements.find() if "data-error-for" in e}
    assert {path for path, text in errors.items() if text} == {"name", "email", "answers.diet", "answers.guests"}
    assert elements.one(id="f-answers-diet-field").get("hidden") is None  # shown: its condition holds
    assert elements.one(name="email")["value"] == "ali@"
    assert elements.one(name="answers.company")["value"] == "Şirkət İ<b>"
    assert elements.one(name="answers.guests")["value"] == "9"
    assert "checked" in elements.one(name="answers.attendance", value="in_person")
    assert [e["value"] for e in elements.find(name="answers.sessions") if "checked" in e] == ["B2B", "Konser"]
    assert elements.one(name="name")["aria-invalid"] == "true"
    assert elements.one(id="form-alert")["text"].startswith(translate("form.errors", "tr"))
    assert elements.one(name="idempotency_key")["value"] == fields["idempotency_key"]
    assert registrations_of(api, form_event["id"], fields["email"]) == []


def test_posted_without_javascript_registers_once_per_form_fill(api, form_event):
    fields = filled(**{"answers.diet": "vegan, left out: online guests eat at home", "answers.guests": "2",
                       "answers.sessions": ["Podcast"]})
    first = form_post(api, form_event["id"], fields, language="az")
    again = form_post(api, form_event["id"], fields, language="az")  # a double tap, or a reload
    for response in (first, again):
        assert response.status_code == 200
        result = Elements(response.text).one(data_registration_status="confirmed")
        assert result["tag"] == "section"
        assert fields["email"] in response.text
    [registration] = registrations_of(api, form_event["id"], fields["email"])
    full = api.get(f"/api/events/{form_event['id']}/registrations/{registration['id']}", token=api.admin_token).json()
    assert full["name"] == NAME and full["language"] == "az"
    assert full["answers"] == {"attendance": "online", "guests": 2, "sessions": ["Podcast"]}


@pytest.mark.parametrize("status, options", [("waitlisted", {"capacity": 1, "waitlist": True}),
                                             ("pending_approval", {"requires_approval": True})])
def test_the_waiting_list_and_approval_results_say_what_happens_next(api, make_event, status, options):
    event = make_event(name=EVENT_NAMES, **options)
    if status == "waitlisted":
        assert api.post(f"/api/events/{event['id']}/registrations", json=registration_body()).status_code == 201
    fields = filled(ticket_type=None, **{"answers.attendance": None})
    response = form_post(api, event["id"], fields, language="az")
    assert response.status_code == 200
    result = Elements(response.text).one(data_registration_status=status)
    assert translate(f"form.result.title.{status}", "az") in response.text
    assert fields["email"] in result["text"]


def test_a_filled_honeypot_looks_like_success_and_registers_nothing(api, form_event):
    fields = filled(website="http://spam.example")
    response = form_post(api, form_event["id"], fields)
    assert response.status_code == 200
    assert Elements(response.text).find(data_registration_status="confirmed")
    assert registrations_of(api, form_event["id"], fields["email"]) == []


def test_an_address_already_registered_gets_a_clear_message(api, form_event):
    body = registration_body(ticket_type="general", answers={"attendance": "online"})
    assert api.post(f"/api/events/{form_event['id']}/registrations", json=body).status_code == 201
    response = form_post(api, form_event["id"], filled(email=body["email"]), language="tr")
    assert response.status_code == 409
    elements = Elements(response.text)
    assert elements.one(id="form-alert")["text"].startswith(translate("form.failure.already_registered", "tr"))
    assert elements.one(data_error_for="email")["text"].strip()


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_closed_and_sold_out_events_say_why_and_offer_no_form(api, make_event, language):
    closed = make_event(name=EVENT_NAMES, status="closed")
    page = api.get(f"/e/{closed['id']}", params={"lang": language})
    assert page.status_code == 200 and 'id="registration"' not in page.text
    assert translate("form.seats.closed", language) in page.text

    sold_out = make_event(name=EVENT_NAMES, capacity=1)
    assert api.post(f"/api/events/{sold_out['id']}/registrations", json=registration_body()).status_code == 201
    page = api.get(f"/e/{sold_out['id']}", params={"lang": language})
    assert 'id="registration"' not in page.text and translate("form.seats.full", language) in page.text

    missing = api.get("/e/no-such-event", params={"lang": language})
    assert missing.status_code == 404 and translate("form.not_found.title", language) in missing.text


def test_too_many_registrations_say_when_to_try_again(db, local_run, form_event):
    """The page in this process, on the local run's tables, with a limit of one a minute."""
    choice = LanguageChoice("az", None, None)
    if time.time() % 60 > 55:  # the window is the clock minute: start both in the same one
        time.sleep(61 - time.time() % 60)
    posts = [registration_pages.submit(db, form_event["id"], choice, _urlencoded(filled()), client_key="rate-test",
                                       rate_limit=1) for _ in range(2)]
    assert [p.status_code for p in posts] == [200, 429]
    seconds = [int(word) for word in Elements(posts[1].body).one(id="form-alert")["text"].split() if word.isdigit()]
    assert len(seconds) == 1 and 1 <= seconds[0] <= 60


def test_a_form_the_page_cannot_show_is_refused_when_the_event_is_saved(api, make_event):
    unrenderable = {"type": "object", "patternProperties": {"^x-": {"type": "string"}},
                    "properties": {"size": {"type": "string", "format": "uri"}}}
    created = api.post("/api/events", token=api.admin_token, json={
        "id": f"ev-{uuid.uuid4().hex[:10]}", "name": {"en": "Unshowable"}, "venue": "Bakı",
        "starts_at": dates.day_at(30, "19:00", "Asia/Baku"), "ends_at": dates.day_at(30, "23:00", "Asia/Baku"),
        "timezone": "Asia/Baku", "form": unrenderable})
    assert created.status_code == 400
    fields = {d["field"] for d in created.json()["details"]}
    assert fields == {"form.patternProperties", "form.properties.size.format"}

    event = make_event()
    patched = api.patch(f"/api/events/{event['id']}", token=api.admin_token, json={"form": {
        "type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "if": {"properties": {"a": {"minLength": 3}}}, "then": {"required": ["b"]}}})
    assert patched.status_code == 400 and [d["field"] for d in patched.json()["details"]] == ["form.if.properties.a"]
    assert api.get(f"/api/events/{event['id']}").json()["form"] == event["form"]


def _urlencoded(fields: dict) -> bytes:
    return urlencode(fields, doseq=True).encode()


def test_the_organisers_preview_is_the_pages_own_rendering(api, form_event):
    preview = api.post("/api/forms/preview", token=api.admin_token, json={
        "form": form_event["form"], "language": "az", "timezone": form_event["timezone"]})
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "text/html; charset=utf-8"
    page = api.get(f"/e/{form_event['id']}", params={"lang": "az"}).text
    assert preview.text.strip() and preview.text in page

    shown = api.post("/api/forms/preview", token=api.admin_token, json={
        "form": form_event["form"], "language": "tr",
        "values": {"answers.sessions": ["B2B"], "answers.company": "Kurum <İ>"},
        "errors": {"answers.company": "Çok uzun"}})
    elements = Elements(shown.text)
    assert elements.one(name="answers.company")["value"] == "Kurum <İ>"
    assert elements.one(data_error_for="answers.company")["text"] == "Çok uzun"
    assert [e["value"] for e in elements.find(name="answers.sessions") if "checked" in e] == ["B2B"]

    refused = api.post("/api/forms/preview", token=api.admin_token, headers={"Accept-Language": "az"},
                       json={"form": {"type": "object", "patternProperties": {"^a": {}}}})
    assert refused.status_code == 400
    assert refused.json()["details"] == [{"field": "form.patternProperties",
                                          "message": translate("error.form_schema.keyword", "az")}]
    assert api.post("/api/forms/preview", json={"form": form_event["form"]}).status_code == 401
