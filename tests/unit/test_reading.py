"""chalicelib/forms/reading.py: a form's JSON Schema read as the fields the registration page shows,
and the forms it refuses. Pure.

Tested here, not over HTTP: the HTTP tier keeps what a client sees (routes, status codes, error
shapes, emails).
"""
from __future__ import annotations

import pytest

from chalicelib.forms import reading

FORM = {
    "type": "object",
    "properties": {
        "company": {"type": "string", "maxLength": 50, "title": "Company",
                    "x-kapi-labels": {"tr": "Şirket", "az": "Şirkət"}},
        "email2": {"type": "string", "format": "email"},
        "bio": {"type": "string", "x-kapi-widget": "textarea"},
        "age": {"type": "integer", "minimum": 16},
        "role": {"enum": ["student", "speaker", "press"]},
        "city": {"enum": ["İzmir", "Bakı", "Ankara", "Gəncə", "Sumqayıt", "Bursa"]},
        "sessions": {"type": "array", "items": {"oneOf": [
            {"const": "b2b", "title": "B2B", "x-kapi-labels": {"az": "B2B görüşlər"}},
            {"const": "podcast", "title": "Podcast"}]}},
        "terms": {"const": True, "title": "I accept"},
        "press_card": {"type": "string"},
        "phone": {"type": "string"},
    },
    "required": ["company", "terms"],
    "if": {"properties": {"role": {"const": "press"}}, "required": ["role"]},
    "then": {"required": ["press_card"]},
    "dependentRequired": {"bio": ["phone"]},
    "additionalProperties": False,
}


def by_name(schema: dict = FORM) -> dict[str, reading.Field]:
    return {f.name: f for f in reading.read(schema)}


def test_fields_come_in_the_schemas_order_with_the_widget_each_needs():
    fields = reading.read(FORM)
    assert [f.name for f in fields] == list(FORM["properties"])
    assert {f.name: f.kind for f in fields} == {
        "company": "text", "email2": "email", "bio": "textarea", "age": "integer", "role": "radio",
        "city": "select", "sessions": "checkboxes", "terms": "boolean", "press_card": "text", "phone": "text"}


def test_radio_up_to_five_options_unless_the_form_asks_otherwise():
    five = {"type": "object", "properties": {"a": {"enum": list("abcde")}, "b": {"enum": list("abcdef")},
                                             "c": {"enum": list("ab"), "x-kapi-widget": "select"}}}
    assert {f.name: f.kind for f in reading.read(five)} == {"a": "radio", "b": "select", "c": "select"}


def test_labels_follow_the_readers_language_then_the_title_then_the_name():
    fields = by_name()
    assert fields["company"].label("az") == "Şirkət"
    assert fields["company"].label("en") == "Company"
    assert fields["phone"].label("tr") == "phone"
    b2b, podcast = fields["sessions"].options
    assert (b2b.value, b2b.label("az"), b2b.label("tr"), podcast.label("az")) == ("b2b", "B2B görüşlər", "B2B",
                                                                                   "Podcast")


def test_required_always_or_under_a_condition():
    fields = by_name()
    assert fields["company"].required and not fields["company"].conditions
    assert fields["press_card"].required and fields["press_card"].conditions  # only for the press
    assert fields["phone"].required and fields["phone"].conditions  # only with a bio
    assert not fields["age"].required


def test_a_conditional_field_applies_only_while_its_condition_holds():
    fields = by_name()
    assert fields["press_card"].applies({"role": "press"})
    assert not fields["press_card"].applies({"role": "student"})
    assert not fields["press_card"].applies({})  # `role` is required by the if: absent fails it
    assert fields["phone"].applies({"bio": "…"}) and not fields["phone"].applies({})
    assert fields["company"].applies({})


def test_answers_to_hidden_fields_are_left_out():
    answers = {"company": "Aygün MMC", "role": "student", "press_card": "P-1", "phone": "+994"}
    assert reading.applicable_answers(reading.read(FORM), answers) == {"company": "Aygün MMC", "role": "student"}


def test_an_if_on_a_checkbox_list_holds_when_the_list_contains_the_value():
    form = {"type": "object",
            "properties": {"sessions": {"type": "array", "items": {"enum": ["b2b", "podcast"]}},
                           "table": {"type": "string"}},
            "if": {"properties": {"sessions": {"contains": {"const": "b2b"}}}, "required": ["sessions"]},
            "then": {"required": ["table"]}}
    table = by_name(form)["table"]
    assert table.applies({"sessions": ["podcast", "b2b"]}) and not table.applies({"sessions": ["podcast"]})


def test_true_is_not_one_in_a_condition():
    form = {"type": "object", "properties": {"n": {"type": "integer"}, "x": {"type": "string"}},
            "if": {"properties": {"n": {"const": 1}}, "required": ["n"]}, "then": {"required": ["x"]}}
    x = by_name(form)["x"]
    assert x.applies({"n": 1}) and not x.applies({"n": True})


@pytest.mark.parametrize("form,where,message", [
    ({"type": "object", "patternProperties": {"^x": {}}}, "form.patternProperties", "error.form_schema.keyword"),
    ({"type": "object", "properties": {"a": {"type": "object"}}}, "form.properties.a.type", "error.form_schema.type"),
    ({"type": "object", "properties": {"a": {"type": "string", "format": "uri"}}}, "form.properties.a.format",
     "error.form_schema.format"),
    ({"type": "object", "properties": {"a": {"enum": ["x", 1]}}}, "form.properties.a.enum",
     "error.form_schema.choice_strings"),
    ({"type": "object", "properties": {"a": {"type": "boolean", "const": False}}}, "form.properties.a.const",
     "error.form_schema.tick"),
    ({"type": "object", "properties": {"a": {"type": "string", "x-kapi-labels": {"de": "Firma"}}}},
     "form.properties.a.x-kapi-labels", "error.form_schema.texts"),
    ({"type": "object", "properties": {}, "required": ["ghost"]}, "form.required", "error.form_schema.unknown_field"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "then": {"required": ["a"]}}, "form.then",
     "error.form_schema.no_if"),
], ids=["patternProperties", "object-field", "uri", "mixed-enum", "false-tick", "label-language",
        "unknown-required", "then-without-if"])
def test_a_form_the_page_cannot_show_is_refused_naming_the_place(form, where, message):
    problems = reading.problems(form)
    assert (where, message) in [(p.field, p.message) for p in problems]
    with pytest.raises(reading.UnrenderableForm):
        reading.read(form)


def test_a_condition_may_not_test_a_conditional_field():
    form = {"type": "object", "properties": {"a": {"enum": ["x", "y"]}, "b": {"enum": ["x", "y"]},
                                             "c": {"type": "string"}},
            "allOf": [{"if": {"properties": {"a": {"const": "x"}}, "required": ["a"]}, "then": {"required": ["b"]}},
                      {"if": {"properties": {"b": {"const": "x"}}, "required": ["b"]}, "then": {"required": ["c"]}}]}
    assert [(p.field, p.message) for p in reading.problems(form)] == [("form.allOf.1.then",
                                                                        "error.form_schema.conditional_test")]


def test_the_example_form_is_renderable():
    assert reading.problems(FORM) == []
