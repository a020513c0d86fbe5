"""Domain errors, each carrying the HTTP status and the spec's error code.

Services raise these; one place in the HTTP layer turns them into the spec's error body
`{"error", "message", "details": [{"field", "message"}]}`, so no handler builds an error by hand.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def to_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: list[FieldError] | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])
        self.extra = extra

    def to_body(self) -> dict:
        body = {"error": self.code, "message": self.message,
                "details": [d.to_dict() for d in self.details]}
        body.update(self.extra)
        return body


class ValidationError(ApiError):
    status, code = 400, "validation_error"

    @classmethod
    def field(cls, field: str, message: str) -> "ValidationError":
        return cls(f"{field}: {message}", [FieldError(field, message)])


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
    status, code = 429, "rate_limited"


class ServiceUnavailable(ApiError):
    """The store stayed contended after bounded retries; the client may retry."""
    status, code = 503, "unavailable"
