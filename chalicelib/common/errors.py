"""Domain errors, each carrying the HTTP status and the spec's error code.

Services raise these; one place in the HTTP layer turns them into the spec's error body
`{"error", "message", "details": [{"field", "message"}]}`, so no handler builds an error by hand.
Messages are catalogue keys (`chalicelib/i18n/messages/error.<lang>.json`) with their parameters,
rendered in the reader's language only when the body is written: the code that finds a problem
does not know who will read about it. A message that is not a catalogue key is shown as it is.
"""
from __future__ import annotations

from typing import Any

from chalicelib.i18n import catalogue, pick_language, translate

# A message that is not a catalogue key may quote what was sent (a parser's own text): cut short.
MAX_PLAIN = 200


def render(message: str, language: str | None, params: dict[str, Any] | None = None,
           labelled: bool = True) -> str:
    """A catalogue key in `language`, its placeholders filled; any other text as written (cut short).

    A `label` parameter (a form field's title) is put before the message ("City: Enter at most 100
    characters."), unless `labelled` is false: a form shows the message under the label already.
    """
    if message not in catalogue("en"):  # not yet a key: shown as written, never at length
        return message if len(message) <= MAX_PLAIN else message[:MAX_PLAIN - 1] + "…"
    params = dict(params or {})
    label = params.pop("label", None)
    if isinstance(label, dict):  # a form field's label in several languages (forms._title)
        label = label.get(pick_language(language) or "") or label.get("")
    text = translate(message, language, **params)
    return translate("error.labelled", language, label=label, message=text) if label and labelled else text


class FieldError:
    """One bad field: its dotted path and a catalogue key (e.g. `error.field.required`) with parameters."""

    __slots__ = ("field", "message", "params")

    def __init__(self, field: str, message: str, **params: Any) -> None:
        self.field = field
        self.message = message
        self.params = params

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldError) and (self.field, self.message, self.params) == (
            other.field, other.message, other.params)

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {self.message!r}, **{self.params!r})"

    def text(self, language: str | None, labelled: bool = True) -> str:
        """The message for a person, in `language`; a form page passes `labelled=False` to show it
        under the field's own label."""
        return render(self.message, language, self.params, labelled)

    def to_dict(self, language: str | None = None) -> dict[str, Any]:
        return {"field": self.field, "message": self.text(language)}


class ApiError(Exception):
    """`message` is a catalogue key (default `error.<code>`); `params` fill its placeholders;
    `extra` are more top-level members of the body."""
    status = 400
    code = "bad_request"
    headers: dict[str, str] = {}

    def __init__(self, message: str | None = None, details: list[FieldError] | None = None, *,
                 params: dict[str, Any] | None = None, **extra: Any) -> None:
        self.message = message or f"error.{self.code}"
        super().__init__(self.message)
        self.details = list(details or [])
        self.params = params or {}
        self.extra = extra

    def to_body(self, language: str | None = None) -> dict[str, Any]:
        body = {"error": self.code, "message": render(self.message, language, self.params),
                "details": [d.to_dict(language) for d in self.details]}
        body.update(self.extra)
        return body


class ValidationError(ApiError):
    status, code = 400, "validation_error"

    @classmethod
    def field(cls, field: str, message: str, **params: Any) -> "ValidationError":
        return cls("error.validation_error", [FieldError(field, message, **params)])


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"


class Conflict(ApiError):
    status, code = 409, "conflict"


class AlreadyRegistered(ApiError):
    status, code = 409, "already_registered"


class RegistrationClosed(ApiError):
    status, code = 409, "registration_closed"


class SoldOut(ApiError):
    status, code = 409, "sold_out"


class InvalidState(ApiError):
    status, code = 409, "invalid_state"


class PreconditionFailed(ApiError):
    status, code = 412, "precondition_failed"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class RateLimited(ApiError):
    """Too many registrations from one client address in the current rate window; the answer says in
    how many seconds the window turns (`retry_after`, also the Retry-After header), which the raiser
    knows: the window is its rule."""
    status, code = 429, "rate_limited"


class ServiceUnavailable(ApiError):
    """The store stayed busy (conflicts, throttling, 5xx) after bounded retries; the client may retry."""
    status, code = 503, "unavailable"
    headers = {"Retry-After": "1"}
