"""Registration forms are JSON Schema (draft 2020-12); this turns schema errors into field errors.

jsonschema is imported on first use: it costs tens of milliseconds at cold start and only the
registration and event-editing paths need it. Compiled validators are cached per schema text.

A form's `pattern` is written by an organiser and matched against what attendees type, so it is
matched by RE2 (google-re2), whose time grows linearly with the text: Python's `re` backtracks, and
`^(a+)+$` took over a second on 25 characters. RE2 refuses what it cannot match in linear time
(back-references, look-arounds); such a pattern is refused when the event is saved (`form_fields`).
"""
from __future__ import annotations

import ast
import functools
import json
import re
from typing import Any

from chalicelib.common.errors import FieldError

_MISSING = re.compile(r"""^('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") is a (?:required property$|dependency of )""")


class PatternRefused(ValueError):
    """RE2 cannot match this pattern in linear time, or it is not a regular expression at all."""


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """`pattern` compiled by RE2; PatternRefused if RE2 refuses it."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    try:
        return re2.compile(pattern, options=options)
    except re2.error as error:
        raise PatternRefused(pattern) from error


def _re2_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    """jsonschema's `pattern` keyword (JSON Schema: unanchored search), matched by RE2."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "string"):
        return
    try:
        matched = compile_pattern(pattern).search(instance) is not None
    except PatternRefused:  # a form saved before patterns were checked by RE2: nothing can match it
        matched = False
    if not matched:
        yield ValidationError(f"does not match {pattern!r}")


@functools.lru_cache(maxsize=1)
def _validator_class() -> Any:
    """Draft 2020-12 with `pattern` matched by RE2."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"pattern": _re2_pattern})


@functools.lru_cache(maxsize=1)
def _format_checker() -> Any:
    """jsonschema's format checks, with `regex` (a schema's own `pattern`s) compiled by RE2."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker()
    checker.checkers = {**Draft202012Validator.FORMAT_CHECKER.checkers}
    checker.checks("regex", raises=PatternRefused)(lambda value: not isinstance(value, str) or bool(
        compile_pattern(value)))
    return checker


@functools.lru_cache(maxsize=128)
def _validator(schema_json: str) -> Any:
    return _validator_class()(json.loads(schema_json), format_checker=_format_checker())


def validate(schema: dict[str, Any], instance: Any, prefix: str) -> list[FieldError]:
    """One FieldError per bad field, its path dotted under `prefix` (e.g. `answers.company`).

    The messages are written for the person who typed the answer (`error.form.*` keys), never
    jsonschema's own text, which quotes the value whole and speaks of "properties". A field with
    several problems gets the most basic one (missing before wrong type before too short).
    """
    validator = _validator(json.dumps(schema, sort_keys=True))
    chosen: dict[str, tuple[int, FieldError]] = {}
    for error in validator.iter_errors(instance):
        rank = _RANK.get(error.validator, len(_RANK))
        for problem in _problems(prefix, error):
            if problem.field not in chosen or rank < chosen[problem.field][0]:
                chosen[problem.field] = (rank, problem)
    return [chosen[field][1] for field in sorted(chosen)]


# Which of a field's problems to tell first: the one a person fixes first.
_RANK = {name: rank for rank, name in enumerate((
    "required", "dependentRequired", "additionalProperties", "unevaluatedProperties", "type", "const",
    "enum", "format", "minLength", "maxLength", "pattern", "minimum", "exclusiveMinimum", "maximum",
    "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems"))}

_TYPES = {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean",
          "array": "array", "object": "object", "null": "null"}
_LIMITS = ("minLength", "maxLength", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
           "multipleOf", "minItems", "maxItems", "minProperties", "maxProperties")
_FORMATS = {"email": "email", "idn-email": "email", "date": "date", "date-time": "date_time", "time": "time",
            "uri": "link", "iri": "link", "uri-reference": "link", "iri-reference": "link"}


def _problems(prefix: str, error: Any) -> list[FieldError]:
    path = [prefix, *map(str, error.absolute_path)]
    kind = error.validator
    if kind in ("required", "dependentRequired"):
        # jsonschema yields one error per missing property, naming it only in the message.
        match = _MISSING.match(error.message)
        name = ast.literal_eval(match.group(1)) if match else ""
        wanted = error.schema.get("properties", {}).get(name) if isinstance(error.schema, dict) else None
        # A box that must be ticked ("const": true) is "missing" when left unticked.
        ticked = isinstance(wanted, dict) and wanted.get("const") is True
        key = "error.form.const.tick" if ticked else "error.form.required"
        return [_labelled(_join(path + [name]), key, _title(wanted))]
    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        return [FieldError(_join(path + [name]), "error.form.unknown")
                for name in sorted(map(str, error.instance)) if name not in known]
    field = _join(path)
    title = _title(error.schema)
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else next(
            (t for t in error.validator_value if t != "null"), "null")
        return [_labelled(field, f"error.form.type.{_TYPES.get(expected, 'object')}", title)]
    if kind == "const":
        key = "error.form.const.tick" if error.validator_value is True else "error.form.const"
        return [_labelled(field, key, title)]
    if kind == "enum":
        return [_labelled(field, "error.form.enum", title)]
    if kind == "format":
        return [_labelled(field, f"error.form.format.{_FORMATS.get(error.validator_value, 'other')}", title)]
    if kind == "minLength" and error.validator_value == 1:
        return [_labelled(field, "error.form.required", title)]
    if kind in _LIMITS:
        return [_labelled(field, f"error.form.{kind}", title, limit=_number(error.validator_value))]
    if kind in ("pattern", "uniqueItems"):
        return [_labelled(field, f"error.form.{kind}", title)]
    return [_labelled(field, "error.form.invalid", title)]


def _labelled(field: str, key: str, title: str | dict[str, str] | None, **params: Any) -> FieldError:
    """The message, naming the field by its form label when the schema gives one (`title`)."""
    return FieldError(field, key, **({"label": title} if title else {}), **params)


def _title(schema: Any) -> str | dict[str, str] | None:
    """The field's label: its `title`, or with `x-kapi-labels` a map of language → label ("" for the
    title), which `errors.render` reads in the reader's language."""
    if not isinstance(schema, dict):
        return None
    texts: dict[str, Any] = {"": schema.get("title")}
    if isinstance(schema.get("x-kapi-labels"), dict):
        texts.update(schema["x-kapi-labels"])
    texts = {lang: " ".join(text.split())[:80] for lang, text in texts.items()
             if isinstance(text, str) and text.strip()}
    if set(texts) <= {""}:
        return texts.get("")
    texts.setdefault("", next(iter(texts.values())))
    return texts


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _join(path: list[str]) -> str:
    return ".".join(part for part in path if part)


def form_schema_errors(form: Any, field: str = "form") -> list[FieldError]:
    """Why `form` cannot serve as a registration form: not a valid schema, or not about an object."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(form, dict):
        return [FieldError(field, "error.form_schema.not_object")]
    try:
        Draft202012Validator.check_schema(form, format_checker=_format_checker())
    except SchemaError as error:
        where = ".".join([field, *map(str, error.absolute_path)])
        message = "error.form_schema.pattern" if error.validator == "format" and error.validator_value == "regex" \
            else "error.form_schema.invalid"
        return [FieldError(where, message)]
    if form.get("type") != "object":
        return [FieldError(f"{field}.type", "error.form_schema.not_object")]
    return []
