"""SPEC §16 "Least authority": organiser input cannot stall the service, and data that leaves is inert."""
import csv
import io
import subprocess
import sys
import time
import uuid

import pytest

from chalicelib.http import client_address
from chalicelib.i18n import translate
from chalicelib.organiser import export_csv
from chalicelib.tickets.keys import load_keyring_from_dir
from chalicelib.tickets.secrets import TicketSigner
from tests import dates
from tests.data import registration_body
from tests.stack import ROOT

BACKTRACKING = "^(a+)+$"  # Python's re: 1.14 s on 25 characters, doubling with each one more
FORM = {"type": "object", "properties": {
    "code": {"type": "string", "title": "Code", "pattern": BACKTRACKING},
    "city": {"type": "string", "title": "City", "x-kapi-labels": {"tr": "Şehir", "az": "Şəhər"}},
    "note": {"type": "string", "x-kapi-widget": "textarea"}}}  # no additionalProperties: the default


def register(api, event_id, body, **kwargs):
    return api.post(f"/api/events/{event_id}/registrations", json=body, **kwargs)


def stored_answers(api, event, registered):
    """The answers as the organiser reads them back."""
    return api.get(f"/api/events/{event['id']}/registrations/{registered.json()['id']}",
                   token=api.admin_token).json()["answers"]


def details(response):
    return {d["field"]: d["message"] for d in response.json()["details"]}


def test_a_backtracking_pattern_is_matched_in_linear_time():
    """Timed in a child process: a backtracking engine would hold it (and the GIL) for ever."""
    script = f"""
import time
from chalicelib.forms import validation
form = {{"type": "object", "properties": {{"code": {{"type": "string", "pattern": {BACKTRACKING!r}}}}}}}
validation.validate(form, {{"code": "aa!"}}, "answers")  # imports and compiles once
best = 1e9
for text in ("a" * 10_000 + "!", "a" * 10_000):
    started = time.perf_counter()
    problems = validation.validate(form, {{"code": text}}, "answers")
    best = min(best, time.perf_counter() - started)
    assert [p.field for p in problems] == (["answers.code"] if text.endswith("!") else []), problems
print(best * 1000)
"""
    try:
        run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("matching 10,000 characters against ^(a+)+$ took over a minute")
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) < 50  # milliseconds; RE2 takes well under one


def test_a_registration_against_a_backtracking_pattern_answers_at_once(api, make_event):
    event = make_event(form=FORM)
    started = time.perf_counter()
    refused = register(api, event["id"], registration_body(answers={"code": "a" * 10_000 + "!"}))
    elapsed = time.perf_counter() - started
    assert refused.status_code == 400 and list(details(refused)) == ["answers.code"]
    assert elapsed < 2, elapsed  # the whole HTTP round trip on a loaded machine; Python's re: never
    assert register(api, event["id"], registration_body(answers={"code": "a" * 10_000})).status_code == 201


def event_body(**overrides):
    return {"id": f"ev-{uuid.uuid4().hex[:10]}", "name": {"tr": "Gençlik Forumu", "az": "Gənclik Forumu"},
            "venue": "İzmir", "starts_at": dates.day_at(60, "10:00"), "ends_at": dates.day_at(60, "18:00"),
            "timezone": "Europe/Istanbul", "status": "published", **overrides}


@pytest.mark.parametrize("pattern", [r"^(a)\1$", r"^(?=\d)\w+$", r"(?<!x)y"])
def test_a_pattern_the_linear_engine_refuses_is_refused_when_the_event_is_saved(api, make_event, pattern):
    form = {"type": "object", "properties": {"code": {"type": "string", "pattern": pattern}}}
    created = api.post("/api/events", json=event_body(form=form), token=api.admin_token,
                       headers={"Accept-Language": "az"})
    assert created.status_code == 400, created.text
    assert created.json()["error"] == "validation_error"
    assert details(created) == {"form.properties.code.pattern": translate("error.form_schema.pattern", "az")}
    event = make_event()
    patched = api.patch(f"/api/events/{event['id']}", json={"form": form}, token=api.admin_token,
                        headers={"Accept-Language": "tr"})
    assert patched.status_code == 400
    assert details(patched) == {"form.properties.code.pattern": translate("error.form_schema.pattern", "tr")}


def test_unicode_classes_work_as_in_the_pages_own_check(api, make_event):
    """The page checks with a `u` RegExp, where \\p{L} is any letter; so does the server now."""
    event = make_event(form={"type": "object", "properties": {
        "city": {"type": "string", "pattern": r"^\p{L}+$"}}, "additionalProperties": False})
    assert register(api, event["id"], registration_body(answers={"city": "Şəmkir"})).status_code == 201
    assert register(api, event["id"], registration_body(answers={"city": "İzmir"})).status_code == 201
    assert list(details(register(api, event["id"], registration_body(answers={"city": "İzmir 35"})))) == \
        ["answers.city"]


# --- Data that leaves is inert ------------------------------------------------------------------

TRIGGERS = ("=", "+", "-", "@")
INVISIBLE = " \n\ufeff\u200b\u2060"


def is_formula(cell):
    """Whether a spreadsheet would run `cell`: a trigger after anything it skips or does not show."""
    return cell.lstrip(INVISIBLE).startswith(TRIGGERS)


@pytest.mark.parametrize("sep,other", [(",", ";"), (";", ",")])
def test_the_export_stays_inert_whichever_separator_excel_splits_it_on(api, make_event, sep, other):
    """A comma file opened by a Turkish Excel is split on ";" (and a semicolon file by an English
    one on ","): no cell of either reading may start a formula, a leading BOM or space included."""
    event = make_event(form=FORM)
    hostile = {"city": "Bakı;=HYPERLINK(\"http://x\";\"y\")", "note": "\ufeff=1+1",
               "code": "a"}
    others = {"city": "İzmir, -5 °C; +90 232 000", "note": "x,\u200b@SUM(A1)"}
    for answers in (hostile, others):
        assert register(api, event["id"], registration_body(answers=answers)).status_code == 201
    response = api.get(f"/api/events/{event['id']}/registrations.csv", params={"sep": sep},
                       token=api.admin_token)
    assert response.status_code == 200
    text = response.content.decode("utf-8")[1:]
    for delimiter in (sep, other):
        cells = [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in row]
        assert not [cell for cell in cells if is_formula(cell)], delimiter
    rows = {row["answers.note"]: row for row in csv.DictReader(io.StringIO(text, newline=""), delimiter=sep)}
    assert set(rows) == {"'\ufeff=1+1", "x,'\u200b@SUM(A1)"}  # read with its own separator: all there
    assert rows["'\ufeff=1+1"]["answers.city"] == "Bakı;'=HYPERLINK(\"http://x\";\"y\")"
    assert rows["x,'\u200b@SUM(A1)"]["answers.city"] == "İzmir,' -5 °C;' +90 232 000"


def test_formula_guards_see_through_invisible_characters_and_separators():
    assert export_csv.safe("\ufeff=1+1") == "'\ufeff=1+1"
    assert export_csv.safe("\u200b \u2060@SUM(A1)") == "'\u200b \u2060@SUM(A1)"
    assert export_csv.safe("x;=1+1") == "x;'=1+1" and export_csv.safe("x,\ufeff-1") == "x,'\ufeff-1"
    assert export_csv.safe('x;"=1') == "x;'\"=1"  # the quote that would open a quoted cell there
    assert export_csv.safe("Aygün MMC, Bakı; Gəncə") == "Aygün MMC, Bakı; Gəncə"


def test_bidirectional_controls_are_refused_in_answers_as_in_names(api, make_event):
    event = make_event(form=FORM)
    for answers in ({"city": "İzmir\u202egpj.exe"}, {"note": "Əliyeva\u2066x\u2069"}):
        refused = register(api, event["id"], registration_body(answers=answers), headers={"Accept-Language": "az"})
        assert refused.status_code == 400, refused.text
        [(field, message)] = details(refused).items()
        assert field == f"answers.{next(iter(answers))}"
        assert translate("error.answers.control_characters", "tr") in message  # the body's language wins
    [(_, labelled)] = details(register(api, event["id"], registration_body(
        language="az", answers={"city": "Bakı\u202e"}))).items()
    assert labelled.startswith("Şəhər: ") and translate("error.answers.control_characters", "az") in labelled
    name = register(api, event["id"], registration_body(name="Ali\u202eilaV"))
    assert name.status_code == 400 and list(details(name)) == ["name"]
    kept = register(api, event["id"], registration_body(answers={"city": "Gəncə", "note": "İki satır\nı ə ğ 👩\u200d💻"}))
    assert kept.status_code == 201, kept.text
    assert stored_answers(api, event, kept) == {"city": "Gəncə", "note": "İki satır\nı ə ğ 👩\u200d💻"}


def test_answers_not_in_the_form_are_refused_unless_the_form_allows_them(api, make_event):
    closed_by_default = make_event(form=FORM)
    refused = register(api, closed_by_default["id"], registration_body(
        language="en", answers={"city": "Bakı", "website": "http://x", "shoe_size": 42}))
    assert refused.status_code == 400
    assert refused.json()["error"] == "validation_error"
    assert details(refused) == {"answers.shoe_size": translate("error.form.unknown", "en"),
                                "answers.website": translate("error.form.unknown", "en")}
    open_form = make_event(form={**FORM, "additionalProperties": True})
    kept = register(api, open_form["id"], registration_body(answers={"city": "Bakı", "shoe_size": 42}))
    assert kept.status_code == 201 and stored_answers(api, open_form, kept) == {"city": "Bakı", "shoe_size": 42}


def test_answers_with_personal_data_are_not_cached_nor_sniffed(api, local_run, make_event):
    event = make_event(form=FORM)
    registered = register(api, event["id"], registration_body(answers={"city": "Şəki"}))
    assert registered.status_code == 201
    rid = registered.json()["id"]
    secret = TicketSigner(load_keyring_from_dir(local_run.data_dir)).manage(rid, 0)  # the ticket page's
    personal = {
        "registration": registered,
        "ticket": api.get(f"/api/tickets/{secret}"),
        "organiser's view": api.get(f"/api/events/{event['id']}/registrations/{rid}", token=api.admin_token),
        "organiser's list": api.get(f"/api/events/{event['id']}/registrations", token=api.admin_token),
        "export": api.get(f"/api/events/{event['id']}/registrations.csv", token=api.admin_token),
        "an error": api.get(f"/api/tickets/{secret[:-3]}AAA"),
    }
    for what, response in personal.items():
        assert response.headers.get("Cache-Control") == "no-store", what
        assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert personal["ticket"].status_code == 200 and personal["ticket"].json()["name"] == "Şengül Əliyeva"
    for path in ("/", f"/e/{event['id']}", "/static/form/main.js", "/api/openapi.json"):
        assert api.get(path).headers.get("X-Content-Type-Options") == "nosniff", path


# --- No amplifier ---------------------------------------------------------------------------------

def test_ipv6_clients_share_one_limit_per_64():
    secret = b"k" * 32
    home = [client_address.key(address, secret) for address in
            ("2001:db8:a:b::1", "2001:db8:a:b:1234:5678:9abc:def0", "2001:DB8:A:B::FFFF")]
    assert len(set(home)) == 1  # one subscriber's /64: every address it may pick is one client
    assert client_address.key("2001:db8:a:c::1", secret) != home[0]  # the next /64 is someone else
    assert client_address.key("::ffff:192.0.2.7", secret) == client_address.key("192.0.2.7", secret)
    assert client_address.key("192.0.2.7", secret) != client_address.key("192.0.2.8", secret)


def test_a_full_event_answers_a_registered_and_an_unknown_address_alike(api, make_event):
    """No oracle: capacity is checked first, so `already_registered` does not tell who is on a full event."""
    event = make_event(capacity=1)
    first = registration_body()
    assert register(api, event["id"], first).status_code == 201
    registered = register(api, event["id"], {**first, "name": "Başka Biri"})
    unknown = register(api, event["id"], registration_body())
    assert (registered.status_code, registered.json()) == (unknown.status_code, unknown.json())
    assert registered.status_code == 409 and registered.json()["error"] == "sold_out"

    roomy = make_event(capacity=5)  # with room, a second registration of the address is still refused as such
    assert register(api, roomy["id"], first).status_code == 201
    again = register(api, roomy["id"], {**first, "name": "Başka Biri"})
    assert again.status_code == 409 and again.json()["error"] == "already_registered"
