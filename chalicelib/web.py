"""The HTTP edge: reading requests, writing responses, and the spec's error shape everywhere.

Handlers in app.py are wrapped by `json_view`, which turns domain errors into the spec's error body.
Chalice itself answers some requests before a view runs (405, 415, binary Accept mismatches, 500s)
in its own `{"Code", "Message"}` shape; `spec_errors_middleware` rewrites those, so a client only
ever sees one error shape.
"""
from __future__ import annotations

import contextvars
import functools
import hashlib
import json
import logging
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from chalice import Response

from chalicelib.errors import ApiError, PayloadTooLarge, UnsupportedMediaType, ValidationError, render
from chalicelib.i18n import negotiate, pick_language
from chalicelib.storage import retries

MAX_BODY_BYTES = 64 * 1024
# API Gateway turns a function's base64 body back into bytes only when the request's FIRST Accept type
# is a binary media type. Browsers ask for an image with image/avif (Chrome, Firefox) or image/webp
# (Safari) first; without these, a ticket's QR reached them as base64 text.
BROWSER_IMAGE_ACCEPTS = ("image/avif", "image/webp")
JSON_TYPE = "application/json; charset=utf-8"

log = logging.getLogger("kapi")

_CHALICE_CODES = {
    400: "bad_request", 403: "not_found", 404: "not_found", 405: "method_not_allowed",
    415: "unsupported_media_type", 500: "internal_error", 502: "internal_error",
}


def respond(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(body=text, status_code=status, headers={"Content-Type": JSON_TYPE, **(headers or {})})


# The language error messages are written in: the request's Accept-Language, set for each request
# by the middleware; a handler that knows better (a registration's own `language`) overrides it.
_language: contextvars.ContextVar[str] = contextvars.ContextVar("kapi_language", default="en")


def request_language() -> str:
    return _language.get()


def prefer_language(language: object) -> None:
    """Write this request's error messages in `language` if it is one of ours (else keep the header's)."""
    chosen = pick_language(language) if isinstance(language, str) else None
    if chosen:
        _language.set(chosen)


def error_response(error: ApiError) -> Response:
    return respond(error.to_body(request_language()), error.status, error.headers)


def json_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map domain errors to responses and dicts to 200 JSON; a store that stays busy is a 503 with
    Retry-After; anything else unexpected is a logged 500."""
    @functools.wraps(view)
    def wrapper(**params: Any) -> Response:
        try:
            with retries.unavailable_when_busy():
                result = view(**params)
        except ApiError as error:
            return error_response(error)
        if isinstance(result, Response):
            return result
        return respond(result)
    return wrapper


def read_json(request: Any) -> dict:
    """The request body as a JSON object: 413 over 64 KiB, 415 for another type, 400 if malformed."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(params={"limit": MAX_BODY_BYTES // 1024})
    content_type = (request.headers.get("content-type") or "application/json").lower()
    if raw and "json" not in content_type:
        raise UnsupportedMediaType()
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError.field("body", "error.body.not_json") from None
    if not isinstance(body, dict):
        raise ValidationError.field("body", "error.body.not_object")
    return body


@functools.lru_cache(maxsize=1)
def openapi_json() -> str:
    """The API's OpenAPI document (chalicelib/openapi.json): a static file, served exactly as written."""
    return (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")


def query_param(request: Any, name: str) -> str | None:
    return (request.query_params or {}).get(name)


def spec_errors_middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Rewrite Chalice's own error bodies into the spec shape and log one JSON line per request."""
    started = time.perf_counter()
    language = negotiate((event.headers or {}).get("accept-language"))
    token = _language.set(language)
    try:
        response = get_response(event)
    finally:
        _language.reset(token)
    if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
        code = _CHALICE_CODES.get(response.status_code, "bad_request")
        response = respond({"error": code, "message": render(f"error.{code}", language), "details": []},
                           response.status_code, {k: v for k, v in response.headers.items()
                                                  if k.lower() != "content-type"})
    _log_request(event, response.status_code, started)
    return response


def _log_request(request: Any, status: int, started: float) -> None:
    """Route and status only: paths carry ticket secrets and bodies carry personal data."""
    context = request.context or {}
    log.info(json.dumps({
        "msg": "request",
        "request_id": context.get("requestId") or uuid.uuid4().hex,
        "method": request.method,
        "route": context.get("resourcePath"),
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }))


def configure_logging() -> None:
    """One JSON object per line on stdout (CloudWatch in AWS), without the runtime's prefixes.

    "kapi" is also the Chalice app's own logger, which Chalice sets up when the app is created (its
    own text format, level ERROR, so request lines were silently dropped): its handler is replaced
    here, after the app exists, and the level lowered to INFO.
    """
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_JsonLines())
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


class _JsonLines(logging.Formatter):
    """Messages that are JSON already pass as they are; others (Chalice's own error reports, a
    worker's traceback) are wrapped, so every line of the log parses."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{") and not record.exc_info:
            return message
        wrapped = {"msg": message, "level": record.levelname}
        if record.exc_info:
            wrapped["exception"] = self.formatException(record.exc_info)
        return json.dumps(wrapped, ensure_ascii=False)


def client_key(request: Any, header: str | None) -> str:
    """A short hash of the caller's address, for rate limits: the address itself is personal data.

    In AWS the address is API Gateway's `sourceIp`; the local server passes it in a header it sets
    itself (`KAPI_CLIENT_IP_HEADER`), which must never be trusted behind any other proxy.
    """
    address = request.headers.get(header) if header else None
    address = address or ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"
    return hashlib.sha256(f"kapi-rate:{address}".encode()).hexdigest()[:20]
