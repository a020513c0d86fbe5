"""API Gateway's REST API rules for a Lambda proxy integration, as the local server applies them (SPEC §12).

The local run hands every request to the app as API Gateway hands it to the function, and turns the
function's answer into HTTP as API Gateway does, so a page or a client that works locally works in AWS:

- binary bodies (AWS, "Binary media types for REST APIs" and "Content type conversions in API
  Gateway"). A request body whose Content-Type matches one of the API's binary media types reaches
  the function base64-encoded (`isBase64Encoded`), any other as UTF-8 text. The function's body is
  turned into bytes only when the FIRST media type of the request's Accept matches a binary media
  type: a base64 body (`isBase64Encoded`) is decoded, and a text body is decoded as base64 too (the
  conversion table's "Text data, a binary type: Base64-decoded blob"; one that is not base64 is API
  Gateway's 500 "API configuration error"). Otherwise the body goes out as it came, base64 text
  included. A binary media type matches a media type equal to it, `type/*` any subtype of its type,
  `*/*` anything; an Accept of `*/*` (a browser's `fetch()`) matches only `*/*`. A request without
  Accept asks for any media type (RFC 9110 §12.5.1), so it is taken as `*/*`; AWS does not document
  that case (README, "The local gateway");
- limits: a request body over 10 MB (API Gateway's payload quota) and a function event over 6 MB
  (Lambda's synchronous invocation payload) are refused with 413 "Request Too Long"; a function's
  answer over 6 MB (Lambda reports "Response payload size exceeded maximum allowed payload size
  (6291556 bytes)") is 502 "Internal server error"; an integration that runs past 29 s is 504
  "Endpoint request timed out";
- what API Gateway answers itself takes the API's gateway responses, the ones `infra/` deploys
  (`infra.template.gateway_responses`): the spec's error shape.
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass

REQUEST_LIMIT = 10 * 1024 * 1024
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024 + 100  # the 6291556 bytes of Lambda's own error message
INTEGRATION_TIMEOUT = 29.0
# The event's parts other than the body are small (API Gateway caps a REST request's headers at
# 10 KB), so an event is measured only when its body could take it near the limit.
_MEASURE_FROM = LAMBDA_PAYLOAD_LIMIT // 2


@dataclass(eq=False)
class GatewayError(Exception):
    """An answer API Gateway gives itself: a gateway response type, its status and its message."""
    response_type: str
    status: int
    message: str


REQUEST_TOO_LARGE = GatewayError("REQUEST_TOO_LARGE", 413, "Request Too Long")
INTEGRATION_FAILURE = GatewayError("INTEGRATION_FAILURE", 502, "Internal server error")
INTEGRATION_TIMEOUT_ERROR = GatewayError("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out")
NOT_BASE64 = GatewayError("API_CONFIGURATION_ERROR", 500, "Internal server error")
MISSING_AUTHENTICATION_TOKEN = GatewayError("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")


def first_media_type(header: str | None) -> str:
    """The first media type of an Accept or Content-Type value, lower case, without parameters;
    `*/*` for a header that is absent or empty."""
    first = (header or "").split(",")[0].split(";")[0].strip().lower()
    return first or "*/*"


def is_binary(media_type: str, binary_types: list[str]) -> bool:
    kind = media_type.split("/")[0]
    for entry in map(first_media_type, binary_types):
        if entry == "*/*" or entry == media_type or (entry.endswith("/*") and entry[:-2] == kind):
            return True
    return False


def request_body(body: bytes | None, content_type: str | None, binary_types: list[str]) -> tuple[str | None, bool]:
    """The event's `body` and `isBase64Encoded` for a request body."""
    if body is None:
        return None, False
    if is_binary(first_media_type(content_type), binary_types):
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", errors="replace"), False


def check_event(event: dict) -> None:
    """Raises REQUEST_TOO_LARGE for an event Lambda would not take."""
    if len(event.get("body") or "") > _MEASURE_FROM and len(json.dumps(event)) > LAMBDA_PAYLOAD_LIMIT:
        raise REQUEST_TOO_LARGE


def response_body(response: dict, accept: str | None, binary_types: list[str]) -> bytes | None:
    """The bytes API Gateway sends for a function's proxy answer; raises GatewayError where it fails."""
    body = response.get("body")
    if body is not None and not isinstance(body, str):  # bytes: the runtime cannot send it as JSON
        raise INTEGRATION_FAILURE
    if body is not None and len(body) > _MEASURE_FROM and len(json.dumps(response)) > LAMBDA_PAYLOAD_LIMIT:
        raise INTEGRATION_FAILURE
    if body is None:
        return None
    if not is_binary(first_media_type(accept), binary_types):
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise NOT_BASE64 from None


def gateway_response(error: GatewayError) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of what API Gateway answers for `error`: the API's gateway response
    of that type, else its DEFAULT_4XX or DEFAULT_5XX, else API Gateway's own `{"message": ...}`."""
    responses = _gateway_responses()
    default = "DEFAULT_4XX" if error.status < 500 else "DEFAULT_5XX"
    configured = responses.get(error.response_type) or responses.get(default) or {}
    template = (configured.get("ResponseTemplates") or {}).get("application/json",
                                                               '{"message":$context.error.messageString}')
    body = template.replace("$context.error.messageString", json.dumps(error.message))
    status = int(configured.get("StatusCode") or error.status)
    return status, {"Content-Type": "application/json"}, body.encode()


@functools.cache
def _gateway_responses() -> dict:
    from infra.template import gateway_responses

    return gateway_responses()
