"""A registration form as HTML, and a browser's form data read back into the API's registration body.

`fields_html` is the one renderer of a form schema's fields: the registration page `/e/{id}` uses it,
and so does the organisers' live preview (`POST /api/forms/preview`), so a preview is the page.
Which schemas can be shown, and how, is `chalicelib.forms.reading`' business; this module only draws.

Every control carries the hooks of SPEC §8: `name` is the field's path (`answers.<property>`), a
`<label for>` names it, and an always-present `[data-error-for=<path>]` element, referenced by the
control's `aria-describedby`, holds its error. The wrapper's `data-*` attributes tell the page's
script what to check before sending (`data-schema`, `data-required`) and when to show a conditional
field (`data-conditions`); without the script every field shows and the server does the checks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.common.errors import FieldError, ValidationError
from chalicelib.common.templates import Markup
from chalicelib.forms import reading, validation
from chalicelib.forms.reading import Field
from chalicelib.i18n import DEFAULT, SUPPORTED, pick_language, translate
from chalicelib.pages import attributes, render

FormData = Mapping[str, list[str]]  # a posted form: each name with its values, in order
INPUT_TYPES = {"text": "text", "email": "text", "date": "date", "date-time": "datetime-local",
               "number": "number", "integer": "number"}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    disabled: bool = False


@dataclass(frozen=True)
class Control:
    """One thing to fill in, whether it comes from the schema (`answers.*`) or is fixed (name, email...)."""
    path: str
    kind: str  # as in reading.Field.kind
    label: str
    help: str = ""
    required: bool = False  # now, for the values shown
    requirable: bool = False  # a conditional field: required whenever it shows
    schema: Mapping[str, Any] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    conditions: tuple[reading.Condition, ...] = ()
    input: Mapping[str, object] = field(default_factory=dict)  # more attributes of the input itself
    prompt: str = ""  # a select's empty choice
    messages: Mapping[str, str] = field(default_factory=dict)  # JSON Schema keyword → what the script says


def fields_html(schema: dict[str, Any], language: str, values: FormData, errors: Mapping[str, str],
                timezone: str | None = None) -> Markup:
    """The form schema's fields, filled with `values` (else the schema's defaults) and showing `errors`
    (path → message). UnrenderableForm for a schema the page cannot show."""
    fields = reading.read(schema)
    values = values or default_values(fields)
    return controls_html(answer_controls(fields, language, values, timezone), values, errors)


def preview(body: dict[str, Any]) -> Markup:
    """The organisers' live preview (`POST /api/forms/preview`): `{form, language?, values?, errors?,
    timezone?}` → the fields as the registration page shows them. A form that is not a valid schema,
    or that the page cannot show, is a 400 naming its place under `form`, as saving the event would be.
    `values` maps field paths to a value or a list (checkboxes); `errors` maps field paths to messages."""
    schema: Any = body.get("form")  # unchecked JSON until form_schema_errors has looked
    problems = validation.form_schema_errors(schema) or reading.problems(schema)
    values, errors = body.get("values", {}), body.get("errors", {})
    if not isinstance(values, dict) or not all(_shown_value(v) for v in values.values()):
        problems.append(FieldError("values", "error.answers.not_object"))
    if not isinstance(errors, dict) or not all(isinstance(m, str) for m in errors.values()):
        problems.append(FieldError("errors", "error.answers.not_object"))
    if "language" in body and body["language"] not in SUPPORTED:
        problems.append(FieldError("language", "error.language.not_offered", languages=", ".join(SUPPORTED)))
    if "timezone" in body and not isinstance(body["timezone"], str):
        problems.append(FieldError("timezone", "error.form.type.text"))
    if problems:
        raise ValidationError(details=problems)
    posted = {path: [str(v) for v in (value if isinstance(value, list) else [value])] for path, value in values.items()}
    return fields_html(schema, pick_language(body.get("language")) or DEFAULT, posted,
                       {str(path): str(message) for path, message in errors.items()}, _zone(body.get("timezone")))


def _shown_value(value: object) -> bool:
    """A value a field can show: text, a number, a tick, or a list of texts (checkboxes)."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return isinstance(value, (str, int, float, bool))


def _zone(name: object) -> str | None:
    """The event's time zone for date-time hints, if `name` is one (a preview may not know it yet)."""
    try:
        return name if isinstance(name, str) and ZoneInfo(name) else None
    except (ValueError, ZoneInfoNotFoundError):
        return None


def answer_controls(fields: list[Field], language: str, values: FormData, timezone: str | None) -> list[Control]:
    answers = answers_from(fields, values, timezone)
    return [control(f, language, answers, timezone) for f in fields]


def default_values(fields: list[Field]) -> FormData:
    """The schema's `default`s as the browser would post them."""
    def posted(value: object) -> list[str]:
        if isinstance(value, list):
            return [str(item) for item in value]
        return [json.dumps(value) if isinstance(value, bool) else str(value)]
    return {f.path: posted(f.schema["default"]) for f in fields if "default" in f.schema}


def controls_html(controls: list[Control], values: FormData, errors: Mapping[str, str]) -> Markup:
    return Markup("".join(_control_html(c, _dom_id(c.path), values.get(c.path, []), errors.get(c.path, ""))
                          for c in controls))


def control(f: Field, language: str, answers: dict[str, Any], timezone: str | None) -> Control:
    """A schema field as a control. A checkbox can only be required to be ticked (`const: true`)."""
    needed = f.schema.get("const") is True if f.kind == "boolean" else f.required
    help_text = f.help(language)
    if f.kind == "date-time" and timezone:
        help_text = " ".join(filter(None, [help_text, translate("form.timezone_hint", language, zone=timezone)]))
    attrs: dict[str, object] = {}
    if f.kind in ("text", "email", "textarea"):
        attrs.update(minlength=f.schema.get("minLength"), maxlength=f.schema.get("maxLength"))
    if f.kind in ("number", "integer"):
        attrs.update(min=f.schema.get("minimum"), max=f.schema.get("maximum"),
                     step="1" if f.kind == "integer" else "any",
                     inputmode="numeric" if f.kind == "integer" else "decimal")
    if f.kind == "email":
        attrs.update(inputmode="email", autocomplete="email", autocapitalize="off", spellcheck="false")
    return Control(f.path, f.kind, f.label(language), help_text, needed and f.applies(answers),
                   needed and bool(f.conditions), f.schema,
                   tuple(Choice(o.value, o.label(language)) for o in f.options), f.conditions, attrs,
                   translate("form.choose", language) if f.kind == "select" else "", _messages(f, language))


def _messages(f: Field, language: str) -> dict[str, str]:
    """The words for each keyword an answer can fail before it is sent: the catalogue keys the API's
    own form errors use (`validation.validate` picks them the same way), without the label the field shows."""
    schema = f.schema

    def text(key: str, **params: object) -> str:
        return translate(key, language, **params)

    messages = {"required": text("error.form.required"), "invalid": text("error.form.invalid")}
    if f.kind == "boolean":
        messages["const"] = text("error.form.const.tick")
    if f.kind in ("number", "integer"):
        messages["type"] = text(f"error.form.type.{f.kind}")
    if schema.get("format") in reading.FORMATS:
        messages["format"] = text(f"error.form.format.{schema['format'].replace('-', '_')}")
    if "pattern" in schema:
        messages["pattern"] = text("error.form.pattern")
    for keyword in ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"):
        if keyword in schema:
            messages[keyword] = text(f"error.form.{keyword}", limit=_number(schema[keyword]))
    if schema.get("minLength") == 1:
        messages["minLength"] = messages["required"]
    return messages


def _number(value: object) -> str:
    return str(int(value)) if isinstance(value, (int, float)) and float(value).is_integer() else str(value)


def answers_from(fields: list[Field], data: FormData, timezone: str | None) -> dict[str, Any]:
    """What the browser posted for the schema's fields, typed as the schema says; blanks left out.

    Numbers that do not parse stay strings, so the schema names the problem; a date-time from the
    browser's clock-less picker is read in the event's time zone.
    """
    answers: dict[str, Any] = {}
    for f in fields:
        raw = [value.strip() for value in data.get(f.path, [])]
        if f.kind == "boolean":
            answers[f.name] = "true" in raw
        elif f.kind == "checkboxes":
            chosen = [o.value for o in f.options if o.value in raw]
            if chosen:
                answers[f.name] = chosen
        elif raw and raw[0]:
            answers[f.name] = _typed(f.kind, raw[0], timezone)
    return answers


def place_errors(details: list[dict[str, Any]], paths: list[str]) -> tuple[dict[str, str], list[str]]:
    """Each error on the field it is about (the longest path that starts it: `answers.days.0` is about
    `answers.days`), first message per field; and the messages that belong to no field shown."""
    placed: dict[str, str] = {}
    elsewhere: list[str] = []
    for detail in details:
        path = str(detail.get("field", ""))
        owner = max((p for p in paths if path == p or path.startswith(p + ".")), key=len, default=None)
        if owner is None:
            elsewhere.append(str(detail.get("message", "")))
        else:
            placed.setdefault(owner, str(detail.get("message", "")))
    return placed, elsewhere


def _typed(kind: str, value: str, timezone: str | None) -> object:
    if kind in ("number", "integer"):
        try:
            number = float(value.replace(",", ".")) if kind == "number" else int(value)
        except ValueError:
            return value
        return int(number) if kind == "number" and number.is_integer() else number  # type: ignore[union-attr]
    if kind == "date-time" and timezone:
        try:
            return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone)).isoformat()
        except ValueError:
            return value
    return value


def _dom_id(path: str) -> str:
    """An id from a field path (`answers.city` → `f-answers-city`); properties may hold any character,
    so any but ASCII letters, digits and `_` is written as its code point."""
    return "f-" + "".join("-" if ch == "." else ch if ch.isascii() and (ch.isalnum() or ch == "_")
                          else f"_{ord(ch):x}_" for ch in path)


def _control_html(c: Control, dom_id: str, raw: list[str], error: str) -> Markup:
    help_id, error_id = f"{dom_id}-help", f"{dom_id}-error"
    described = " ".join(filter(None, [help_id if c.help else "", error_id]))
    wrapper = attributes(id=f"{dom_id}-field", data_path=c.path, data_kind=c.kind,
                         data_required="true" if c.required and not c.requirable else "false",
                         data_schema=json.dumps(dict(c.schema), ensure_ascii=False, separators=(",", ":")),
                         data_messages=json.dumps(dict(c.messages), ensure_ascii=False, separators=(",", ":")),
                         data_conditions=json.dumps([condition.to_dict() for condition in c.conditions],
                                                    ensure_ascii=False, separators=(",", ":"))
                         if c.conditions else None)
    common = dict(
        id=dom_id, path=c.path, label=c.label, wrapper=wrapper,
        mark=render("mark.html", hidden=Markup(" hidden") if not c.required else "")
        if c.required or c.requirable else "",
        help=render("help.html", id=help_id, text=c.help) if c.help else "",
        error=render("field_error.html", id=error_id, path=c.path, message=error),
    )
    invalid = "true" if error else None
    if c.kind in ("radio", "checkboxes"):
        kind = "radio" if c.kind == "radio" else "checkbox"
        options = "".join(
            render("choice.html", id=f"{dom_id}-{n}", path=c.path, label=choice.label, attrs=attributes(
                type=kind, value=choice.value, checked=choice.value in raw, disabled=choice.disabled,
                required=c.required and kind == "radio", aria_describedby=described, aria_invalid=invalid))
            for n, choice in enumerate(c.choices))
        return render("field_choices.html", **{**common, "id": dom_id}, options=Markup(options))
    value = raw[0] if raw else ""
    attrs = dict(c.input, required=c.required, aria_describedby=described, aria_invalid=invalid)
    if c.kind == "select":
        options = render("option.html", attrs=attributes(value=""), label=c.prompt)
        options += "".join(render("option.html", label=choice.label, attrs=attributes(
            value=choice.value, selected=choice.value == value, disabled=choice.disabled)) for choice in c.choices)
        return render("field_select.html", **common, options=Markup(options), attrs=attributes(**attrs))
    if c.kind == "boolean":
        return render("field_check.html", **common,
                      attrs=attributes(type="checkbox", value="true", checked="true" in raw, **attrs))
    if c.kind == "textarea":
        return render("field_textarea.html", **common, value=value, attrs=attributes(rows=4, **attrs))
    if c.kind == "date-time":
        value = value[:16]  # the picker shows local minutes; an offset would make it blank
    return render("field_input.html", **common, attrs=attributes(type=INPUT_TYPES[c.kind], value=value, **attrs))
