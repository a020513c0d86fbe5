"""The CSV export as Excel and Python's csv module read it back."""
import csv
import io

from chalicelib.organiser import export_csv
from chalicelib.registration import actions
from tests.api.test_tokens import make_token
from tests.data import registration_body
from tests.organiser.conftest import bulk_register

FORM = {"type": "object", "properties": {
    "company": {"type": "string", "maxLength": 200},
    "sessions": {"type": "array", "items": {"enum": ["b2b", "podcast", "concert"]}},
    "city": {"type": "string"},
    "newsletter": {"type": "boolean"},
}, "additionalProperties": False}


def fetch(api, event_id, token=None):
    return api.get(f"/api/events/{event_id}/registrations.csv", token=token or api.admin_token)


def parse(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_bom_headers_letters_answers_and_formula_neutralised(db, api, make_day):
    day = make_day(form=FORM, ticket_types=[{"id": "b2b", "name": {"en": "B2B"}},
                                            {"id": "fest", "name": {"en": "Festival"}}])
    event = day.event
    sengul, hacker, quiet = bulk_register(db, event["id"], [
        registration_body(name="Şengül Əliyeva", ticket_type="b2b", language="az",
                          answers={"company": "Aygün MMC, Bakı", "sessions": ["b2b", "podcast"], "city": "Gəncə",
                                   "newsletter": True}),
        registration_body(name="=cmd|' /C calc'!A0", ticket_type="fest",
                          answers={"company": '=HYPERLINK("http://x","y")', "city": "+90 232 000",
                                   "sessions": []}),
        registration_body(name="İlkin Işık", ticket_type="fest", answers={"city": "-İzmir\n\"merkez\""}),
    ])
    actions.apply(db, event["id"], quiet["id"], "cancel")
    day.make_list("Ana kapı")
    day.scan(day.lists[0], sengul, "entry", "0:05")
    response = fetch(api, event["id"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{event["id"]}-registrations.csv"'
    rows = parse(response)
    assert list(rows[0]) == [*export_csv.FIXED_COLUMNS, "answers.company", "answers.sessions", "answers.city",
                             "answers.newsletter"]
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {sengul["id"], hacker["id"], quiet["id"]}
    first = by_id[sengul["id"]]
    assert (first["name"], first["language"], first["ticket_type"]) == ("Şengül Əliyeva", "az", "b2b")
    assert (first["answers.company"], first["answers.sessions"], first["answers.city"]) == \
        ("Aygün MMC, Bakı", "b2b; podcast", "Gəncə")
    assert first["answers.newsletter"] == "true" and first["email"] == sengul["email"]
    assert first["created_at"].endswith("+03:00")  # the event's zone, Europe/Istanbul
    assert (first["checked_in"], first["first_entry_at"]) == ("true", day.hours.at("0:05"))
    evil = by_id[hacker["id"]]
    assert evil["answers.company"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert evil["name"] == "'=cmd|' /C calc'!A0" and evil["answers.city"] == "'+90 232 000"
    assert evil["answers.sessions"] == "" and evil["answers.newsletter"] == ""
    assert (evil["checked_in"], evil["first_entry_at"], evil["erased"]) == ("false", "", "false")
    assert by_id[quiet["id"]]["answers.city"] == "'-İzmir\n\"merkez\""
    assert by_id[quiet["id"]]["status"] == "cancelled"


def test_every_registration_once_across_many_pages(db, api, make_event, populate, monkeypatch):
    event = make_event()
    made = {r["id"] for r in populate(event["id"], 23)}
    monkeypatch.setattr(export_csv, "PAGE_SIZE", 5)  # in-process: several Query pages
    rows = list(csv.DictReader(io.StringIO(export_csv.export(db, event["id"])[1:], newline="")))
    assert sorted(row["id"] for row in rows) == sorted(made)
    assert sorted(row["id"] for row in parse(fetch(api, event["id"]))) == sorted(made)


def test_formula_prefixes_cover_every_trigger():
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "  =1"):
        assert export_csv.safe(cell) == "'" + cell
    assert export_csv.safe("\t=1") == "' =1" and export_csv.safe("\r=1") == "'\n=1"
    assert export_csv.safe("\x00=1") == "'=1"  # a NUL cannot hide a formula from the check
    assert export_csv.safe("Şengül") == "Şengül" and export_csv.safe(None) == ""
    assert export_csv.safe(["a", "=b"]) == "a;' =b" and export_csv.safe(["=a"]) == "'=a"  # ";" splits too


def test_only_the_events_organisers_may_export(api, make_event):
    event = make_event()
    assert api.get(f"/api/events/{event['id']}/registrations.csv").status_code == 401
    scanner = make_token(api, "scanner", [event["id"]])["token"]
    assert fetch(api, event["id"], scanner).status_code == 403
    missing = fetch(api, "no-such-event")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_the_separator_is_the_one_excel_expects_in_the_organisers_language(db, api, make_event):
    event = make_event(form=FORM)
    bulk_register(db, event["id"], [registration_body(name="Aygün Məmmədova",
                                                  answers={"company": "Aygün MMC, Bakı", "sessions": ["b2b"]})])
    url = f"/api/events/{event['id']}/registrations.csv"

    def first_line(**kwargs):
        response = api.get(url, token=api.admin_token, **kwargs)
        assert response.status_code == 200, response.text
        return response.content.decode("utf-8")[1:].splitlines()

    for language, sep in (("tr-TR,tr;q=0.9", ";"), ("az", ";"), ("en-GB", ","), ("de-DE", ",")):
        lines = first_line(headers={"Accept-Language": language})
        assert lines[0].startswith(f"id{sep}status{sep}ticket_type"), language
        [row] = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=sep)
        assert (row["name"], row["answers.company"]) == ("Aygün Məmmədova", "Aygün MMC, Bakı")
    assert first_line(params={"lang": "az"}, headers={"Accept-Language": "en"})[0].startswith("id;status")
    assert first_line(params={"sep": "comma"}, headers={"Accept-Language": "tr"})[0].startswith("id,status")
    assert first_line(params={"sep": ";"})[0].startswith("id;status")
    bad = api.get(url, params={"sep": "|"}, token=api.admin_token)
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "sep"


def test_control_characters_are_stripped_from_answers(api, make_event):
    event = make_event(form=FORM)
    response = api.post(f"/api/events/{event['id']}/registrations", json=registration_body(
        answers={"company": "Kapı\x00 A.Ş.\x1b[31m", "city": "İzmir\r\nKonak\tAlsancak\x07"}))
    assert response.status_code == 201, response.text
    [row] = parse(fetch(api, event["id"]))
    assert row["answers.company"] == "Kapı A.Ş.[31m"
    assert row["answers.city"] == "İzmir\nKonak Alsancak"
