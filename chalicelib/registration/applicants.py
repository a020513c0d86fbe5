"""Checking what an attendee typed into the registration form, field by field."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from chalicelib.common.errors import FieldError, ValidationError
from chalicelib.common.text import fold_case, has_bidi_control
from chalicelib.forms import validation

LANGUAGES = ("tr", "az", "en")
FIELDS = ("ticket_type", "name", "email", "language", "answers", "consent")
MAX_NAME = 200


@dataclass(frozen=True)
class Applicant:
    ticket_type: str
    name: str
    email: str
    email_key: str
    language: str
    answers: dict[str, Any]


def parse(event: dict[str, Any], body: dict[str, Any]) -> Applicant:
    """The applicant, or one ValidationError listing every bad field (form answers included)."""
    problems: list[FieldError] = [FieldError(name, "error.field.unknown") for name in body if name not in FIELDS]
    ticket_type = _ticket_type(event, body.get("ticket_type"), problems)
    name = _name(body.get("name"), problems)
    email, email_key = _email(body.get("email"), problems)
    language = _language(event, body.get("language", event["languages"][0]), problems)
    answers = body.get("answers", {})
    if not isinstance(answers, dict):
        problems.append(FieldError("answers", "error.answers.not_object"))
    else:
        problems += validation.validate(_closed(event["form"]), answers, "answers")
        problems += _answer_texts(event["form"], answers, {p.field for p in problems})
    if body.get("consent") is not True:
        problems.append(FieldError("consent", "error.consent.required"))
    if problems:
        raise ValidationError("error.registration.invalid", problems)
    return Applicant(ticket_type, name, email, email_key, language, answers)


def _closed(form: dict[str, Any]) -> dict[str, Any]:
    """The form, refusing answers to questions it does not ask unless it says it takes them
    (`additionalProperties` or `unevaluatedProperties` true): JSON Schema's default would store them."""
    if "additionalProperties" in form or "unevaluatedProperties" in form:
        return form
    return {**form, "additionalProperties": False}


def _answer_texts(form: dict[str, Any], answers: dict[str, Any], told: set[str]) -> list[FieldError]:
    """Text answers (and list items) holding bidirectional controls, refused as in names; a field
    already told of another problem is not told twice."""
    found = []
    for name, value in answers.items():
        field = f"answers.{name}"
        texts = value if isinstance(value, list) else [value]
        if field not in told and any(isinstance(t, str) and has_bidi_control(t) for t in texts):
            question = form.get("properties", {}).get(name)
            found.append(validation._labelled(field, "error.answers.control_characters", validation._title(question)))
    return found


def _language(event: dict[str, Any], value: object, problems: list[FieldError]) -> str:
    """One of the event's languages: its emails and pages are written only in those."""
    offered = [language for language in event["languages"] if language in LANGUAGES]
    if value not in offered:
        problems.append(FieldError("language", "error.language.not_offered",
                                   languages=", ".join(offered)))
        return offered[0] if offered else LANGUAGES[-1]
    return value  # type: ignore[return-value]


def _ticket_type(event: dict[str, Any], value: object, problems: list[FieldError]) -> str:
    known: list[str] = [t["id"] for t in event["ticket_types"]]
    if value is None and len(known) == 1:
        return known[0]
    if value not in known:
        key = "error.ticket_type.choose" if value is None else "error.ticket_type.unknown"
        problems.append(FieldError("ticket_type", key))
        return ""
    return value


def _name(value: object, problems: list[FieldError]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldError("name", "error.name.required"))
        return ""
    name = unicodedata.normalize("NFC", " ".join(value.split()))
    if len(name) > MAX_NAME:
        problems.append(FieldError("name", "error.name.too_long", limit=MAX_NAME))
    elif any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in name):
        problems.append(FieldError("name", "error.name.control_characters"))
    return name


def _email(value: object, problems: list[FieldError]) -> tuple[str, str]:
    """The address as typed (trimmed), and the key duplicates are detected by.

    The key folds case with Turkish i handled (ALİ@ = ali@ = ALI@) and uses the ASCII (IDNA) form of
    the domain, so `ali@örnek.tr` and `ALI@xn--rnek-4qa.tr` are one attendee.
    """
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(value, str) or not value.strip():
        problems.append(FieldError("email", "error.email.required"))
        return "", ""
    typed = value.strip()
    try:
        checked = validate_email(typed, check_deliverability=False)
    except EmailNotValidError:  # its text quotes parts of the address, in English: ours does neither
        problems.append(FieldError("email", "error.email.invalid"))
        return "", ""
    return typed, f"{fold_case(checked.local_part)}@{checked.ascii_domain.lower()}"
