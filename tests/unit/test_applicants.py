"""chalicelib/registration/applicants.py: what an attendee typed, checked field by field, and the key
their email is recognised by. Pure.

Makes the non-answer cases of tests/api/test_registration.py::test_each_bad_field_is_named_and_nothing_is_written
and ::test_ticket_type_may_be_omitted_only_when_there_is_one redundant as to which field is named.
"""
from __future__ import annotations

import pytest

from chalicelib.common.errors import ValidationError
from chalicelib.registration import applicants
from tests.data import registration_body
from tests.unit.conftest import event

FORM = {"type": "object", "properties": {"company": {"type": "string", "maxLength": 50}},
        "required": ["company"], "additionalProperties": False}
TWO_TYPES = [{"id": "std", "name": {"en": "Standard"}}, {"id": "vip", "name": {"en": "VIP"}}]


def refused_fields(the_event: dict, body: dict) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        applicants.parse(the_event, body)
    return [d.field for d in refused.value.details]


def test_a_good_body_gives_the_applicant_with_tidied_name():
    applicant = applicants.parse(event(), registration_body(name="  Şengül \t Əliyeva  ", language="az"))
    assert applicant.name == "Şengül Əliyeva" and applicant.ticket_type == "general" and applicant.language == "az"


def test_the_name_is_stored_composed():
    assert applicants.parse(event(), registration_body(name="S\u0327engu\u0308l")).name == "Şengül"


@pytest.mark.parametrize("typed,key", [
    ("ALİ@Example.org", "ali@example.org"),
    ("  ılkın@example.org ", "ilkin@example.org"),
    ("ali@örnek.com.tr", "ali@xn--rnek-4qa.com.tr"),
    ("ALI@XN--RNEK-4QA.COM.TR", "ali@xn--rnek-4qa.com.tr"),
])
def test_one_email_key_for_every_spelling_of_one_address(typed, key):
    applicant = applicants.parse(event(), registration_body(email=typed))
    assert applicant.email_key == key and applicant.email == typed.strip()


def test_the_ticket_type_may_be_left_out_only_when_there_is_one():
    assert refused_fields(event(ticket_types=TWO_TYPES), registration_body()) == ["ticket_type"]
    assert applicants.parse(event(ticket_types=TWO_TYPES), registration_body(ticket_type="vip")).ticket_type == "vip"


def test_the_language_must_be_one_the_event_offers_and_defaults_to_its_first():
    english_only = event(name={"en": "Forum"})
    assert refused_fields(english_only, registration_body(language="tr")) == ["language"]
    assert applicants.parse(english_only, registration_body(language=...)).language == "en"


@pytest.mark.parametrize("change,field", [
    ({"name": "   "}, "name"), ({"name": 42}, "name"), ({"name": "x" * 201}, "name"),
    ({"name": "Ali\u0000Veli"}, "name"), ({"name": "Ali\u200bVeli"}, "name"),
    ({"email": "ali@"}, "email"), ({"email": ["a@b.c"]}, "email"),
    ({"email": ...}, "email"), ({"consent": "yes"}, "consent"), ({"consent": ...}, "consent"),
    ({"answers": "company=x"}, "answers"), ({"answers": {}}, "answers.company"),
    ({"answers": {"company": "x", "unknown": 1}}, "answers.unknown"), ({"unexpected": 1}, "unexpected"),
    ({"ticket_type": "platinum"}, "ticket_type"),
])
def test_each_bad_field_is_named(change, field):
    body = registration_body(**{"answers": {"company": "Aygün MMC"}, **change})
    assert refused_fields(event(form=FORM), body) == [field]


def test_every_bad_field_is_named_at_once():
    body = registration_body(name="", email="nope", consent=False, answers={})
    assert sorted(refused_fields(event(form=FORM), body)) == ["answers.company", "consent", "email", "name"]
