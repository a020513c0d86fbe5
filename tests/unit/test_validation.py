"""chalicelib/forms/validation.py: answers checked against a form, as one field error per bad field in
words for the person who typed them. Pure.

Makes the answer cases of tests/api/test_registration.py::test_each_bad_field_is_named_and_nothing_is_written
(answers.*) and the field/key part of
tests/api/test_error_messages.py::test_form_errors_speak_to_the_person_who_typed_them redundant; the
latter still proves the rendered, localised text.
"""
from __future__ import annotations

import pytest

from chalicelib.common.errors import FieldError
from chalicelib.forms import validation

FORM = {
    "type": "object",
    "properties": {
        "company": {"type": "string", "minLength": 1, "maxLength": 5, "title": "Company",
                    "x-kapi-labels": {"tr": "Şirket"}},
        "city": {"type": "string", "minLength": 2, "title": "  City \n name "},
        "age": {"type": "integer", "minimum": 16.0, "maximum": 99},
        "contact": {"type": "string", "format": "email"},
        "born": {"type": "string", "format": "date"},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "sessions": {"type": "array", "items": {"enum": ["b2b", "podcast"]}, "uniqueItems": True, "maxItems": 2},
        "terms": {"const": True, "title": "Terms"},
    },
    "required": ["company", "terms"],
    "dependentRequired": {"code": ["age"]},
    "additionalProperties": False,
}
GOOD = {"company": "Aygün", "terms": True}


def problems(answers: dict) -> dict[str, FieldError]:
    found = validation.validate(FORM, answers, "answers")
    assert [p.field for p in found] == sorted(p.field for p in found)  # sorted by field, one each
    return {p.field: p for p in found}


def test_good_answers_have_no_problem():
    assert validation.validate(FORM, GOOD, "answers") == []
    assert validation.validate(FORM, {**GOOD, "age": 16, "born": "2001-09-30", "code": "IZM", "contact": "a@b.az",
                                      "sessions": ["b2b"]}, "answers") == []


def test_a_missing_answer_is_required_and_named_by_its_label():
    found = problems({"terms": True})
    assert found["answers.company"].message == "error.form.required"
    assert found["answers.company"].params == {"label": {"": "Company", "tr": "Şirket"}}


def test_an_unticked_box_that_must_be_ticked_says_so_whether_missing_or_false():
    assert problems({"company": "x"})["answers.terms"].message == "error.form.const.tick"
    assert problems({"company": "x", "terms": False})["answers.terms"].message == "error.form.const.tick"


def test_the_most_basic_problem_of_a_field_is_told_first():
    assert problems({**GOOD, "company": 7})["answers.company"].message == "error.form.type.text"
    assert problems({**GOOD, "company": ""})["answers.company"].message == "error.form.required"  # minLength 1
    assert problems({**GOOD, "city": "İ"})["answers.city"].message == "error.form.minLength"


@pytest.mark.parametrize("answers,field,message,params", [
    ({"company": "Aygün MMC"}, "answers.company", "error.form.maxLength", {"limit": "5"}),
    ({"age": 15}, "answers.age", "error.form.minimum", {"limit": "16"}),
    ({"age": 16.5}, "answers.age", "error.form.type.integer", {}),
    ({"contact": "not-an-email"}, "answers.contact", "error.form.format.email", {}),
    ({"born": "30.09.2001"}, "answers.born", "error.form.format.date", {}),
    ({"code": "izm", "age": 20}, "answers.code", "error.form.pattern", {}),
    ({"sessions": ["karaoke"]}, "answers.sessions.0", "error.form.enum", {}),
    ({"sessions": ["b2b", "b2b"]}, "answers.sessions", "error.form.uniqueItems", {}),
], ids=["maxLength", "minimum", "integer", "email", "date", "pattern", "enum", "unique"])
def test_each_kind_of_wrong_answer_has_its_own_message(answers, field, message, params):
    found = problems({**GOOD, **answers})
    assert list(found) == [field]
    assert found[field].message == message
    assert {k: v for k, v in found[field].params.items() if k != "label"} == params


def test_a_label_is_cleaned_of_extra_spaces():
    assert problems({**GOOD, "city": "İ"})["answers.city"].params["label"] == "City name"


def test_unknown_answers_are_named_each():
    found = problems({**GOOD, "zeta": 1, "alpha": 2})
    assert [(f, p.message) for f, p in found.items()] == [("answers.alpha", "error.form.unknown"),
                                                          ("answers.zeta", "error.form.unknown")]


def test_an_answer_that_needs_another_names_the_missing_one():
    found = problems({**GOOD, "code": "IZM"})
    assert list(found) == ["answers.age"] and found["answers.age"].message == "error.form.required"


def test_a_huge_bad_value_is_never_quoted():
    found = problems({**GOOD, "company": "ə" * 10_000})
    assert "ə" not in repr(found)


@pytest.mark.parametrize("form,where", [
    ([], "form"),
    ({"type": "object", "properties": {"a": {"type": "strang"}}}, "form.properties.a.type"),
    ({"type": "array"}, "form.type"),
    ({"properties": {}}, "form.type"),
])
def test_a_form_must_be_a_valid_schema_of_an_object(form, where):
    assert [p.field for p in validation.form_schema_errors(form)] == [where]


def test_a_valid_form_has_no_schema_error():
    assert validation.form_schema_errors(FORM) == []
