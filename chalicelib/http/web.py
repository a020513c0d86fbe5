"""The HTTP edge: reading requests, writing responses, and the spec's error shape everywhere.

Handlers in app.py are wrapped by `json_view`, which turns domain errors into the spec's error body.
Chalice itself answers some requests before a view runs (405, 415, binary Accept mismatches, 500s)
in its own `{"Code", "Message"}` shape; `spec_errors_middleware` rewrites those, so a client only
ever sees one error shape.
"""
from __future__ import annotations

import contextvars
import functools
import json
import logging
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from chalice.app import CaseInsensitiveMapping, Response

from chalicelib.common.errors import ApiError, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationError, render
from chalicelib.http import client_address
from chalicelib.i18n import negotiate, pick_language
from chalicelib.storage import retries

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32  # DynamoDB's own limit for nested attributes; no request of the API needs more
MAX_PATH_PARAMETER = 256  # longer than any id or ticket secret, well under DynamoDB's key limits
# Binary bodies. API Gateway sends a function's body as bytes only when the FIRST media type of the
# request's Accept matches one of the API's binary media types ("Binary media types for REST APIs"):
# a browser's <img> asks image/avif or image/webp first, its fetch() (the scanner's decoder wasm) and
# curl ask */*, which matches no type but "*/*" itself. So the API lists "*/*" (app.py), which every
# Accept matches, besides the types below. With a matching Accept, API Gateway decodes a text body
# (isBase64Encoded false) as base64 too ("Content type conversions in API Gateway": text data, a binary
# Accept, contentHandling undefined: "Base64-decoded blob"; API_CONFIGURATION_ERROR when that fails),
# so JSON and HTML must leave the function base64-encoded as well, and Chalice does encode every body
# when "*/*" is a binary type. It takes only bytes for that, except JSON ("Expected bytes type for
# body with binary Content-Type"), so `binary_safe` makes every body bytes (text as UTF-8). Chalice
# also refuses (400, after the view ran) a binary answer to a request without Accept, which means
# "any media type" (RFC 9110 §12.5.1): such a request is given "Accept: */*".
ANY_MEDIA_TYPE = "*/*"
BROWSER_IMAGE_ACCEPTS = ("image/avif", "image/webp")
JSON_TYPE = "application/json; charset=utf-8"

log = logging.getLogger("kapi")

_CHALICE_CODES = {
    400: "bad_request", 403: "not_found", 404: "not_found", 405: "method_not_allowed",
    415: "unsupported_media_type", 500: "internal_error", 502: "internal_error",
}


def respond(body: Any, status: int = 200, headers: dict[str, Any] | None = None) -> Response:
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


# Where this request's app sits on its host: "/dev" when API Gateway is reached by its own URL
# (https://<id>.execute-api.<region>.amazonaws.com/dev/t/…), "" under a custom domain, which maps the
# API at the root. Routes never see the prefix (the app matches "/t/{secret}" either way), but a page
# must put it before every URL it renders, and its scripts before every fetch (`data-base` on <html>),
# or the browser asks the host's root, where nothing answers. Set for each request by the middleware,
# like the language, so a page builds its URLs with `app_url` without the request handed down to it.
_base_path: contextvars.ContextVar[str] = contextvars.ContextVar("kapi_base_path", default="")


def base_path(context: dict[str, Any] | None) -> str:
    """The stage prefix of a request, from its API Gateway context: "/<stage>" when the path the
    caller asked for (`requestContext.path`) starts with it, else "" (a custom domain, or local)."""
    context = context or {}
    stage, path = context.get("stage"), context.get("path") or ""
    prefix = f"/{stage}" if stage else ""
    return prefix if prefix and (path == prefix or path.startswith(prefix + "/")) else ""


def request_base() -> str:
    return _base_path.get()


def app_url(path: str) -> str:
    """`path` (from the app's root, "/static/…") as the caller's browser must ask for it."""
    return _base_path.get() + path


def error_response(error: ApiError) -> Response:
    """The spec's error body, with the error's headers; `retry_after` (seconds), when an error carries
    it, is also the Retry-After header."""
    retry = error.extra.get("retry_after")
    headers = {**error.headers, **({"Retry-After": str(retry)} if retry is not None else {})}
    return respond(error.to_body(request_language()), error.status, headers)


def json_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map domain errors to responses and dicts to 200 JSON; a store that stays busy is a 503 with
    Retry-After; anything else unexpected is a logged 500.

    A path parameter that is empty (`/checkin-lists//scans`) or longer than any id names nothing:
    404 before the view runs (DynamoDB would refuse such a key with an error of its own).
    """
    @functools.wraps(view)
    def wrapper(**params: Any) -> Response:
        try:
            if any(isinstance(value, str) and not 0 < len(value) <= MAX_PATH_PARAMETER
                   for value in params.values()):
                raise NotFound()
            with retries.unavailable_when_busy():
                result = view(**params)
        except ApiError as error:
            return error_response(error)
        if isinstance(result, Response):
            return result
        return respond(result)
    return wrapper


def read_json(request: Any) -> dict[str, Any]:
    """The request body as a JSON object: 413 over 64 KiB, 415 for another type, 400 if malformed,
    nested deeper than MAX_DEPTH, or holding an integer too long to convert (Python's 4,300 digits)."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(params={"limit": MAX_BODY_BYTES // 1024})
    content_type = (request.headers.get("content-type") or "application/json").lower()
    if raw and "json" not in content_type:
        raise UnsupportedMediaType()
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, int digits
        raise ValidationError.field("body", "error.body.not_json") from None
    if not isinstance(body, dict):
        raise ValidationError.field("body", "error.body.not_object")
    if _depth(body) > MAX_DEPTH:
        raise ValidationError.field("body", "error.body.too_deep", limit=MAX_DEPTH)
    return body


def _depth(value: Any) -> int:
    """How deeply `value` nests objects and arrays, without recursion (it may be thousands deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


@functools.lru_cache(maxsize=1)
def openapi_json() -> str:
    """The API's OpenAPI document (chalicelib/http/openapi.json): a static file, served exactly as written."""
    return (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")


def query_param(request: Any, name: str) -> str | None:
    return (request.query_params or {}).get(name)


def allowed_methods(routes: dict[str, Any], resource_path: str | None) -> str:
    """The `Allow` header of a 405 (RFC 9110): the methods the matched route has."""
    return ", ".join(sorted((routes.get(resource_path) or {}).keys()))  # type: ignore[arg-type]


def spec_errors_middleware(routes: dict[str, Any]) -> Callable[[Any, Callable[[Any], Response]], Response]:
    """Middleware that rewrites Chalice's own error bodies into the spec shape (a 405 with its
    `Allow` header, from the app's `routes`), in the caller's language, adds the headers of `protect`
    to every answer, and logs one JSON line per request."""
    def middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
        started = time.perf_counter()
        if "accept" not in event.headers:
            event.headers = CaseInsensitiveMapping({**event.headers, "accept": ANY_MEDIA_TYPE})
        language = negotiate((event.headers or {}).get("accept-language"))
        token, base_token = _language.set(language), _base_path.set(base_path(event.context))
        try:
            response = get_response(event)
        finally:
            _language.reset(token)
            _base_path.reset(base_token)
        if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
            code = _CHALICE_CODES.get(response.status_code, "bad_request")
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
            if response.status_code == 405:
                headers["Allow"] = allowed_methods(routes, (event.context or {}).get("resourcePath"))
            response = respond({"error": code, "message": render(f"error.{code}", language), "details": []},
                               response.status_code, headers)
        protect(response, (event.context or {}).get("resourcePath") or event.path or "")
        _log_request(event, response.status_code, started)
        return binary_safe(response)
    return middleware


def binary_safe(response: Response) -> Response:
    """`response` with a body of bytes, which Chalice base64-encodes whatever its type (see ANY_MEDIA_TYPE)."""
    if isinstance(response.body, str):
        response.body = response.body.encode("utf-8")
    return response


def protect(response: Response, route: str) -> Response:
    """SPEC §16's headers on an answer: `X-Content-Type-Options: nosniff` on every one (a browser
    never runs an answer as another type than it says), and `Cache-Control: no-store` on every API
    answer whose route did not choose its own caching. API answers hold personal data (registrations,
    tickets, the door's search and scans, the CSV export) or secrets (a new token), or counts that
    change by the minute; a list of the exceptions would miss the next route added."""
    names = {name.lower() for name in response.headers}
    if "x-content-type-options" not in names:
        response.headers["X-Content-Type-Options"] = "nosniff"
    if route.startswith("/api/") and "cache-control" not in names:
        response.headers["Cache-Control"] = "no-store"
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
    """The caller's address keyed with a secret of the deployment (`client_address`), for rate limits:
    the address itself is personal data.

    In AWS the address is API Gateway's `sourceIp`; the local server passes it in a header it sets
    itself (`KAPI_CLIENT_IP_HEADER`), which must never be trusted behind any other proxy.
    """
    address = request.headers.get(header) if header else None
    address = address or ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"
    return client_address.key(address)
