"""Registration forms are JSON Schema (draft 2020-12); this turns schema errors into field errors.

jsonschema is imported on first use: it costs tens of milliseconds at cold start and only the
registration and event-editing paths need it. Compiled validators are cached per schema text.
"""
from __future__ import annotations

import ast
import functools
import json
import re
from typing import Any

from chalicelib.errors import FieldError

_REQUIRED = re.compile(r"""^('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") is a required property$""")


@functools.lru_cache(maxsize=128)
def _validator(schema_json: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_json),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(schema: dict, instance: Any, prefix: str) -> list[FieldError]:
    """One FieldError per problem, its field a dotted path under `prefix` (e.g. `answers.company`)."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [FieldError(_field(prefix, error), error.message) for error in errors]


def _field(prefix: str, error: Any) -> str:
    path = [prefix, *map(str, error.absolute_path)]
    if error.validator == "required":
        # jsonschema yields one error per missing property, naming it only in the message.
        match = _REQUIRED.match(error.message)
        if match:
            path.append(ast.literal_eval(match.group(1)))
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        path.append(sorted(str(name) for name in error.instance if name not in known)[0])
    return ".".join(part for part in path if part)


def form_schema_errors(form: Any, field: str = "form") -> list[FieldError]:
    """Why `form` cannot serve as a registration form: not a valid schema, or not about an object."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(form, dict):
        return [FieldError(field, "must be a JSON Schema object")]
    try:
        Draft202012Validator.check_schema(form)
    except SchemaError as error:
        where = ".".join([field, *map(str, error.absolute_path)])
        return [FieldError(where, f"not a valid JSON Schema: {error.message}")]
    if form.get("type") != "object":
        return [FieldError(f"{field}.type", 'a form must describe an object ("type": "object")')]
    return []
