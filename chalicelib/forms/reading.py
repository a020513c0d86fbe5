"""A registration form's JSON Schema read as the fields a page shows: the one place that knows which
schema keywords a form may use.

The registration page renders these fields, and saving an event refuses a form that uses anything
else (400 naming the keyword's place under `form`): a keyword the page cannot show, such as
`patternProperties`, would otherwise be enforced by the API on answers nobody could type.

What a form may say (README, "Registration forms"):
- the root: `type: object`, `properties`, `required`, `additionalProperties`/`unevaluatedProperties`
  (booleans), `dependentRequired`, `if`/`then`/`else` and `allOf` of such conditionals;
- a property: `type` string (`minLength`, `maxLength`, `pattern`, `format` email/date/date-time),
  number or integer (`minimum`, `maximum`), boolean (`const: true`, with or without the type, when it
  must be ticked), a choice
  (`enum` of strings, or `oneOf` of `{const, title}`), or an array of such a choice (`minItems`,
  `maxItems`, `uniqueItems`), shown as checkboxes; with `title`, `description`, `default`;
- `x-kapi-labels` / `x-kapi-descriptions`: `{tr, az, en}` maps translating the `title` /
  `description` beside them (on a property, or on a `oneOf` option for its label);
- `x-kapi-widget`: `radio` or `select` for a choice (default: radio up to 5 options), `textarea`
  for a string.

A conditional field is one that is not always required but is required by a `then`/`else` or by
`dependentRequired`: the page shows it only while its condition holds and leaves its answer out
otherwise. An `if` may test top-level fields that are not conditional themselves, with `const`,
`enum` or (for checkbox lists) `contains`, and list fields it needs answered in `required`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.common.errors import FieldError
from chalicelib.i18n import localized

LANGUAGES = ("tr", "az", "en")
RADIO_LIMIT = 5
ROOT_KEYWORDS = frozenset({"$schema", "$id", "$comment", "title", "description", "type", "properties",
                           "required", "additionalProperties", "unevaluatedProperties", "dependentRequired",
                           "if", "then", "else", "allOf"})
TEXT_KEYWORDS = frozenset({"title", "description", "x-kapi-labels", "x-kapi-descriptions", "$comment", "default"})
KEYWORDS = {
    "string": frozenset({"type", "minLength", "maxLength", "pattern", "format", "x-kapi-widget"}),
    "number": frozenset({"type", "minimum", "maximum"}),
    "integer": frozenset({"type", "minimum", "maximum"}),
    "boolean": frozenset({"type", "const"}),
    "choice": frozenset({"type", "enum", "oneOf", "x-kapi-widget"}),
    "array": frozenset({"type", "items", "minItems", "maxItems", "uniqueItems"}),
}
FORMATS = ("email", "date", "date-time")
WIDGETS = {"string": ("textarea",), "choice": ("radio", "select")}
OPTION_KEYWORDS = frozenset({"const", "title", "x-kapi-labels", "$comment"})


@dataclass(frozen=True)
class Option:
    value: str
    title: str
    labels: dict[str, str]

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.title or localized(self.labels, language) or self.value


@dataclass(frozen=True)
class Test:
    """One property test of an `if`, with JSON Schema's meaning: an absent field passes unless `present`."""
    name: str
    values: tuple[Any, ...] | None  # the answer (or, for a list, one of its items) must be one of these
    present: bool

    def holds(self, answers: dict[str, Any]) -> bool:
        if self.name not in answers:
            return not self.present
        if self.values is None:
            return True
        value = answers[self.name]
        if isinstance(value, list):
            return any(_same(item, option) for item in value for option in self.values)
        return any(_same(value, option) for option in self.values)

    def to_dict(self) -> dict[str, Any]:
        return {"field": f"answers.{self.name}", "values": None if self.values is None else list(self.values),
                "present": self.present}


@dataclass(frozen=True)
class Condition:
    tests: tuple[Test, ...]
    negate: bool = False

    def holds(self, answers: dict[str, Any]) -> bool:
        return all(test.holds(answers) for test in self.tests) != self.negate

    def to_dict(self) -> dict[str, Any]:
        return {"tests": [test.to_dict() for test in self.tests], "negate": self.negate}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, textarea, email, date, date-time, number, integer, boolean, radio, select, checkboxes
    schema: dict[str, Any]
    required: bool
    options: tuple[Option, ...] = ()
    conditions: tuple[Condition, ...] = field(default=())  # shown (and required) while any holds

    @property
    def path(self) -> str:
        return f"answers.{self.name}"

    def label(self, language: str) -> str:
        return _text(self.schema, "title", "x-kapi-labels", language) or self.name

    def help(self, language: str) -> str:
        return _text(self.schema, "description", "x-kapi-descriptions", language)

    def applies(self, answers: dict[str, Any]) -> bool:
        return not self.conditions or any(condition.holds(answers) for condition in self.conditions)


class UnrenderableForm(Exception):
    def __init__(self, problems: list[FieldError]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.text('en')}" for p in problems))
        self.problems = problems


def read(schema: dict[str, Any]) -> list[Field]:
    """The form's fields in the schema's order; UnrenderableForm if the page could not show it."""
    problems: list[FieldError] = []
    fields = _read(schema, problems)
    if problems:
        raise UnrenderableForm(problems)
    return fields


def problems(schema: dict[str, Any], where: str = "form") -> list[FieldError]:
    """Why the page could not render `schema` (an already valid JSON Schema of an object), if it could not."""
    found: list[FieldError] = []
    _read(schema, found)
    return [FieldError(f"{where}.{p.field}" if p.field else where, p.message, **p.params) for p in found]


def applicable_answers(fields: list[Field], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers without those of conditional fields whose condition does not hold (the page hides them)."""
    hidden = {f.name for f in fields if not f.applies(answers)}
    return {name: value for name, value in answers.items() if name not in hidden}


def _read(schema: dict[str, Any], problems: list[FieldError]) -> list[Field]:
    def refuse(where: str, message: str, **params: object) -> None:
        problems.append(FieldError(where, message, **params))

    for keyword in sorted(set(schema) - ROOT_KEYWORDS):
        refuse(keyword, "error.form_schema.keyword")
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if not isinstance(schema.get(keyword, False), bool):
            refuse(keyword, "error.form_schema.boolean")
    properties = schema.get("properties", {})
    always = set(schema.get("required", []))
    for name in sorted(always - set(properties)):
        refuse("required", "error.form_schema.unknown_field", name=name)
    kinds = {name: _kind(sub, f"properties.{name}", refuse) for name, sub in properties.items()}
    rules = _conditionals(schema, properties, refuse)
    conditions: dict[str, list[Condition]] = {}
    for condition, names, where in rules:
        for name in names:
            if name not in properties:
                refuse(where, "error.form_schema.unknown_field", name=name)
            elif name not in always:
                conditions.setdefault(name, []).append(condition)
    for condition, _, where in rules:
        for test in condition.tests:
            if test.name in conditions:
                refuse(where, "error.form_schema.conditional_test", name=test.name)
    return [Field(name, kinds[name], sub if isinstance(sub, dict) else {}, name in always or name in conditions,
                  _options(sub) if kinds[name] in ("radio", "select", "checkboxes") else (),
                  tuple(conditions.get(name, ())))
            for name, sub in properties.items()]


def _kind(schema: Any, where: str, refuse: Callable[..., None]) -> str:
    if not isinstance(schema, dict):
        refuse(where, "error.form_schema.field_object")
        return "text"
    declared = schema.get("type")
    if declared is None and schema.get("const") is True:
        declared = "boolean"  # {"const": true}: a box that must be ticked
    if "enum" in schema or "oneOf" in schema:
        kind, allowed = _choice_widget(schema, where, refuse), KEYWORDS["choice"]
        if declared not in (None, "string"):
            refuse(f"{where}.type", "error.form_schema.choice_strings")
    elif declared in ("number", "integer", "boolean"):
        kind, allowed = declared, KEYWORDS[declared]
    elif declared == "array":
        kind, allowed = "checkboxes", KEYWORDS["array"]
        items = schema.get("items")
        if not isinstance(items, dict) or not ("enum" in items or "oneOf" in items) or (
                set(items) - KEYWORDS["choice"] - TEXT_KEYWORDS - {"x-kapi-widget"}):
            refuse(f"{where}.items", "error.form_schema.list")
        else:
            _choice_widget(items, f"{where}.items", refuse)
    elif declared == "string":
        kind, allowed = _string_kind(schema, where, refuse), KEYWORDS["string"]
    else:
        refuse(f"{where}.type", "error.form_schema.type")
        return "text"
    for keyword in sorted(set(schema) - allowed - TEXT_KEYWORDS):
        refuse(f"{where}.{keyword}", "error.form_schema.keyword")
    if declared == "boolean" and schema.get("const", True) is not True:
        refuse(f"{where}.const", "error.form_schema.tick")
    for keyword in ("x-kapi-labels", "x-kapi-descriptions"):
        _check_texts(schema, keyword, f"{where}.{keyword}", refuse)
    return kind


def _string_kind(schema: dict[str, Any], where: str, refuse: Callable[..., None]) -> str:
    fmt = schema.get("format")
    if fmt is not None and fmt not in FORMATS:
        refuse(f"{where}.format", "error.form_schema.format")
    widget = schema.get("x-kapi-widget")
    if widget is not None and widget not in WIDGETS["string"]:
        refuse(f"{where}.x-kapi-widget", "error.form_schema.text_widget")
    return fmt if fmt in FORMATS else widget or "text"


def _choice_widget(schema: dict[str, Any], where: str, refuse: Callable[..., None]) -> str:
    options = _options(schema)
    if "enum" in schema and "oneOf" in schema:
        refuse(where, "error.form_schema.enum_or_one_of")
    if "enum" in schema and not all(isinstance(v, str) for v in schema["enum"]):
        refuse(f"{where}.enum", "error.form_schema.choice_strings")
    for index, option in enumerate(schema.get("oneOf", [])):
        if not isinstance(option, dict) or not isinstance(option.get("const"), str) or set(option) - OPTION_KEYWORDS:
            refuse(f"{where}.oneOf.{index}", "error.form_schema.option")
        else:
            _check_texts(option, "x-kapi-labels", f"{where}.oneOf.{index}.x-kapi-labels", refuse)
    widget = schema.get("x-kapi-widget")
    if widget is not None and widget not in WIDGETS["choice"]:
        refuse(f"{where}.x-kapi-widget", "error.form_schema.choice_widget")
    return widget or ("radio" if len(options) <= RADIO_LIMIT else "select")


def _options(schema: dict[str, Any]) -> tuple[Option, ...]:
    choice = schema.get("items", schema) if schema.get("type") == "array" else schema
    if "oneOf" in choice:
        return tuple(Option(o["const"], o.get("title") or "", dict(o.get("x-kapi-labels") or {}))
                     for o in choice["oneOf"] if isinstance(o, dict) and isinstance(o.get("const"), str))
    return tuple(Option(v, "", {}) for v in choice.get("enum", []) if isinstance(v, str))


def _conditionals(schema: dict[str, Any], properties: dict[str, Any],
                  refuse: Callable[..., None]) -> list[tuple[Condition, list[str], str]]:
    """(condition, the fields it requires, where it is written) for every conditional of the form."""
    rules = []
    clauses = [("", schema)] if "if" in schema else []
    for index, item in enumerate(schema.get("allOf", [])):
        if not isinstance(item, dict) or "if" not in item or set(item) - {"if", "then", "else", "$comment"}:
            refuse(f"allOf.{index}", "error.form_schema.all_of")
        else:
            clauses.append((f"allOf.{index}.", item))
    for prefix, clause in clauses:
        tests = _tests(clause["if"], f"{prefix}if", properties, refuse)
        for branch, negate in (("then", False), ("else", True)):
            if branch in clause:
                rules.append((Condition(tests, negate), _branch(clause[branch], f"{prefix}{branch}", refuse),
                              f"{prefix}{branch}"))
    if "if" not in schema and ("then" in schema or "else" in schema):
        refuse("then" if "then" in schema else "else", "error.form_schema.no_if")
    for trigger, names in (schema.get("dependentRequired") or {}).items():
        if trigger not in properties:
            refuse(f"dependentRequired.{trigger}", "error.form_schema.unknown_field", name=trigger)
        rules.append((Condition((Test(trigger, None, True),)), list(names), f"dependentRequired.{trigger}"))
    return rules


def _tests(clause: Any, where: str, properties: dict[str, Any], refuse: Callable[..., None]) -> tuple[Test, ...]:
    if not isinstance(clause, dict) or set(clause) - {"properties", "required"}:
        refuse(where, "error.form_schema.if")
        return ()
    needed = set(clause.get("required", []))
    tests = []
    for name, check in (clause.get("properties") or {}).items():
        if name not in properties:
            refuse(f"{where}.properties.{name}", "error.form_schema.unknown_field", name=name)
        values = _values(check.get("contains") if isinstance(check, dict) and set(check) == {"contains"} else check)
        if values is None:
            refuse(f"{where}.properties.{name}", "error.form_schema.test")
        tests.append(Test(name, values, name in needed))
    tests += [Test(name, None, True) for name in sorted(needed - set(clause.get("properties") or {}))]
    return tuple(tests)


def _values(check: Any) -> tuple[Any, ...] | None:
    if not isinstance(check, dict) or len(check) != 1:
        return None
    if "const" in check:
        return (check["const"],)
    if isinstance(check.get("enum"), list):
        return tuple(check["enum"])
    return None


def _branch(branch: Any, where: str, refuse: Callable[..., None]) -> list[str]:
    if not isinstance(branch, dict) or set(branch) != {"required"}:
        refuse(where, "error.form_schema.branch")
        return []
    return list(branch["required"])


def _check_texts(schema: dict[str, Any], keyword: str, where: str, refuse: Callable[..., None]) -> None:
    texts = schema.get(keyword)
    if texts is None:
        return
    if not isinstance(texts, dict) or set(texts) - set(LANGUAGES) or not all(
            isinstance(t, str) and t.strip() for t in texts.values()):
        refuse(where, "error.form_schema.texts")


def _text(schema: dict[str, Any], plain: str, translated: str, language: str) -> str:
    texts = schema.get(translated)
    texts = texts if isinstance(texts, dict) else {}
    plain_text = schema.get(plain) if isinstance(schema.get(plain), str) else ""
    return texts.get(language) or plain_text or localized(texts, language)


def _same(answer: Any, option: Any) -> bool:
    """JSON equality: true is not 1 (Python says it is)."""
    return type(answer) is type(option) and answer == option if isinstance(option, bool) else (
        not isinstance(answer, bool) and answer == option)
