"""Error messages a person reads: in their language, about the field they typed, never echoing it."""
import json

import pytest

from tests.data import registration_body

FORM = {
    "type": "object",
    "properties": {
        "company": {"type": "string", "title": "Company", "minLength": 1},
        "city": {"enum": ["İzmir", "Bakı"], "title": "City"},
        "bio": {"type": "string", "maxLength": 100},
        "birthday": {"type": "string", "format": "date"},
        "contact": {"type": "string", "format": "email"},
        "guests": {"type": "integer", "minimum": 0, "maximum": 3},
        "sessions": {"type": "array", "items": {"enum": ["b2b", "podcast"]}, "minItems": 1, "maxItems": 1},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "terms": {"type": "boolean", "const": True},
    },
    "required": ["company", "terms"],
    "additionalProperties": False,
}

BAD_ANSWERS = {"city": "Izmir", "bio": "x" * 101, "birthday": "19/05/2026", "contact": "sengul(at)example",
               "guests": 7.5, "sessions": [], "code": "abc", "extra": 1}


@pytest.fixture(scope="module")
def form_event(make_event):
    return make_event(form=FORM, languages=["tr", "az", "en"])


def register(api, event_id, body, language=None):
    headers = {"Content-Type": "application/json", **({"Accept-Language": language} if language else {})}
    data = json.dumps(body, ensure_ascii=False).encode()
    return api.post(f"/api/events/{event_id}/registrations", data=data, headers=headers)


def messages(response):
    assert response.status_code == 400, response.text
    return {d["field"]: d["message"] for d in response.json()["details"]}


def test_form_errors_speak_to_the_person_who_typed_them(api, form_event):
    body = registration_body(language=..., answers=BAD_ANSWERS)
    response = register(api, form_event["id"], body, "en")
    assert response.json()["message"] == "Some fields need attention."
    assert messages(response) == {
        "answers.company": "Company: Please fill this in.",
        "answers.terms": "Please tick this box.",
        "answers.city": "City: Please choose one of the options.",
        "answers.bio": "Please enter at most 100 characters.",
        "answers.birthday": "Please enter a date as year-month-day, like 2026-05-19.",
        "answers.contact": "Please enter a valid email address, like name@example.org.",
        "answers.guests": "Please enter a whole number.",
        "answers.sessions": "Please choose at least 1.",
        "answers.code": "This is not in the expected format.",
        "answers.extra": "This question is not part of the form.",
    }


@pytest.mark.parametrize("language, top, company, city", [
    ("tr", "Bazı alanların düzeltilmesi gerekiyor.", "Company: Lütfen bu alanı doldurun.",
     "City: Lütfen seçeneklerden birini seçin."),
    ("az", "Bəzi xanalar düzəliş tələb edir.", "Company: Zəhmət olmasa, bu xananı doldurun.",
     "City: Zəhmət olmasa, variantlardan birini seçin."),
])
def test_messages_follow_accept_language(api, form_event, language, top, company, city):
    response = register(api, form_event["id"], registration_body(language=..., answers={"city": "Izmir"}),
                        f"{language}-{language.upper()},en;q=0.5")
    assert response.json()["message"] == top
    found = messages(response)
    assert found["answers.company"] == company and found["answers.city"] == city


def test_the_registrations_own_language_wins_over_the_browsers(api, form_event):
    response = register(api, form_event["id"], registration_body(language="az", name=""), "tr")
    assert messages(response)["name"] == "Zəhmət olmasa, adınızı daxil edin."


def test_a_huge_bad_value_is_never_echoed(api, form_event):
    huge = "Ş" * 14_000  # 28 KB of UTF-8, twice: under the 64 KiB body limit
    body = registration_body(email=huge + "@", answers={"company": "Kapı", "terms": True, "bio": huge})
    response = register(api, form_event["id"], body, "tr")
    found = messages(response)
    assert set(found) == {"email", "answers.bio"}
    assert "ŞŞŞ" not in response.text and len(response.content) < 1000


def test_errors_outside_registration_are_localised_too(api):
    assert api.get("/api/events/no-such-event", headers={"Accept-Language": "tr"}).json()["message"] == \
        "Böyle bir etkinlik yok."
    response = api.post("/api/events", json={}, headers={"Accept-Language": "az"})
    assert response.status_code == 401 and response.json()["message"] == "Açar göndərin: Authorization: Bearer …."
    response = api.request("PUT", "/api/events", headers={"Accept-Language": "tr"})
    assert response.status_code == 405 and response.json()["message"] == "Bu adres bu yöntemi kabul etmiyor."


def test_a_language_the_event_does_not_offer_is_refused(api, make_event):
    event = make_event(languages=["tr", "en"])
    response = register(api, event["id"], registration_body(language="az"), "en")
    # Told in the language the person picked: they read it, even if the event does not offer it.
    assert messages(response) == {"language": "Zəhmət olmasa, bu tədbirin dillərindən birini seçin (tr, en)."}
    assert register(api, event["id"], registration_body(language="en")).status_code == 201


def test_no_error_quotes_a_huge_value_whole(api):
    huge = "2027-" + "9" * 30_000  # twice: under the 64 KiB body limit
    response = api.post("/api/events", token=api.admin_token, json={
        "id": "huge-values", "name": {"en": "Huge"}, "venue": "İzmir", "timezone": "Europe/Istanbul",
        "starts_at": huge, "ends_at": huge})
    assert response.status_code == 400
    assert {d["field"] for d in response.json()["details"]} >= {"starts_at", "ends_at"}
    assert len(response.content) < 2000


def test_door_and_event_errors_are_localised(api, make_event):
    """A scanner in Bakı and an organiser in İzmir read every field's problem in their own language."""
    event = make_event()
    gate = api.post(f"/api/events/{event['id']}/checkin-lists", json={"name": "Ana kapı"}, token=api.admin_token)
    assert gate.status_code == 201, gate.text
    bad_scans = {"scans": [{"secret": "", "type": "inside", "nonce": "ə", "force": "yes",
                            "scanned_at": "dün"}, "not a scan"]}
    response = api.post(f"/api/events/{event['id']}/checkin-lists/{gate.json()['id']}/scans/batch",
                        json=bad_scans, token=api.admin_token, headers={"Accept-Language": "az"})
    assert response.json()["message"] == "Bəzi skanlar düzgün deyil."
    assert messages(response) == {
        "scans.0.secret": "Tələb olunur: skan edilmiş kod, mətn kimi.",
        "scans.0.type": "entry (giriş) və ya exit (çıxış) olmalıdır.",
        "scans.0.nonce": "1-dən 200-dək çap oluna bilən ASCII simvolu olmalıdır.",
        "scans.0.force": "true və ya false olmalıdır.",
        "scans.0.scanned_at": "Saat fərqi ilə ISO 8601 vaxtı olmalıdır, məsələn 2026-05-19T18:00:00+03:00.",
        "scans.1": "Hər skan JSON obyekti olmalıdır.",
    }

    response = api.post("/api/events", token=api.admin_token, headers={"Accept-Language": "tr"}, json={
        "id": "yerel-hatalar", "name": {"tr": "Hatalar"}, "venue": "İzmir", "timezone": "Avrupa/İzmir",
        "starts_at": event["ends_at"], "ends_at": event["starts_at"],
        "ticket_types": [{"id": "std", "name": {"tr": "Genel"}}, {"id": "std", "name": {"tr": "Genel"}}]})
    assert messages(response) == {
        "ends_at": "starts_at zamanından sonra olmalı.",
        "timezone": "Europe/Istanbul ya da Asia/Baku gibi bir IANA saat dilimi olmalı.",
        "ticket_types": "Bilet türü kimlikleri benzersiz olmalı.",
    }
