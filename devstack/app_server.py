"""The local HTTP server: Chalice's own local gateway, applying the rules of API Gateway in front of it.

1. API Gateway's REST proxy rules (SPEC §12, `devstack/gateway_rules.py`): binary bodies decided by
   the first media type of Accept against the app's binary media types, request bodies over 10 MB
   and function events over 6 MB refused (413), function answers over 6 MB turned into 502, and a
   504 for an app still running after 29 s; what API Gateway answers itself is in the API's
   gateway responses (`infra/`), the spec's error shape.
2. The caller's address reaches the app (Chalice local reports every caller as 127.0.0.1); it is put
   in a header that this server sets itself and strips from incoming requests.
3. Unknown routes answer 404 in the spec's error shape, as `infra/` configures API Gateway to do,
   instead of Chalice local's 403 "Missing Authentication Token"; methods no route can have (TRACE,
   QUERY, ...) answer 405 in that shape instead of the standard library's HTML 501.
4. Path and query parameters reach the app decoded, as API Gateway delivers them: path parameters
   percent-decoded (Chalice local leaves them encoded), and a query string typed with raw UTF-8
   (`curl '...?q=Şengül'`) read as UTF-8 (the standard library reads a request line as Latin-1).
5. Optionally (`stage_path`, KAPI_STAGE_PATH=/dev), API Gateway's URL without a custom domain: the app
   is served only under `/dev/...`, with the prefix stripped before routing and `requestContext.stage`
   and `.path` set as API Gateway sets them, so a page that links from the host's root breaks here
   as it would in AWS. Anything outside the stage is 404.
6. Every request's body is read (by Content-Length or chunked) before anything is answered, whatever
   the method or route: a body left unread on a kept-alive connection would be read as the next
   request.
Request lines are not logged: paths carry ticket secrets.
"""
from __future__ import annotations

import functools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    ThreadedHTTPServer,
)

from chalicelib.http.web import allowed_methods
from devstack import gateway_rules

CLIENT_IP_HEADER = "x-kapi-client-ip"
_NOT_ALLOWED = json.dumps({"error": "method_not_allowed", "message": "Method not allowed.", "details": []}).encode()
_PIECE = 64 * 1024  # a body is read in pieces of this size
_LINE = 1024  # the longest chunk-size or trailer line read


class _TooLarge:
    """A request body over API Gateway's limit, read and dropped."""


TOO_LARGE = _TooLarge()


class BurstTolerantServer(ThreadedHTTPServer):
    """A listen backlog for a gate's worth of phones at once (the default of 5 resets connections)."""
    request_queue_size = 256


class DecodingGateway(LocalGateway):
    """Chalice's local gateway with API Gateway's request body (text, or base64 for a binary media
    type) and decoded `pathParameters` (routes still match the encoded path, so an encoded "/" stays
    inside its parameter)."""

    def __init__(self, app_object, config, stage_path: str = ""):
        super().__init__(app_object, config)
        self.stage_path = stage_path

    def _generate_lambda_event(self, method, path, headers, body):
        event = super()._generate_lambda_event(method, path, headers, None)
        event["body"], event["isBase64Encoded"] = gateway_rules.request_body(
            body, event["headers"].get("content-type"), self._app_object.api.binary_types)
        gateway_rules.check_event(event)
        if self.stage_path:
            event["requestContext"].update(stage=self.stage_path.strip("/"),
                                           path=self.stage_path + event["requestContext"]["path"])
        event["pathParameters"] = {name: unquote(value, errors="replace")
                                   for name, value in (event["pathParameters"] or {}).items()}
        return event


class IntegrationTimer:
    """API Gateway's integration timeout: one thread for the whole server answers for every invocation
    still running after `timeout` seconds (within a tenth of a second), so that a request costs a
    lock, not a thread of its own, and the app still runs in the request's own thread."""

    TICK = 0.1

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._running: set[_Ticket] = set()
        self._wake = threading.Condition()
        threading.Thread(target=self._watch, name="integration-timeout", daemon=True).start()

    def start(self, on_timeout) -> _Ticket:
        ticket = _Ticket(time.monotonic() + self.timeout, on_timeout)
        with self._wake:
            self._running.add(ticket)
            if len(self._running) == 1:
                self._wake.notify()
        return ticket

    def finish(self, ticket: _Ticket) -> bool:
        """True when the app's own answer is still to be sent (no timeout answer went out)."""
        with self._wake:
            self._running.discard(ticket)
        return ticket.close()

    def _watch(self) -> None:
        while True:
            with self._wake:
                self._wake.wait(self.TICK if self._running else None)
                now = time.monotonic()
                expired = {ticket for ticket in self._running if ticket.deadline <= now}
                self._running -= expired
            for ticket in expired:
                ticket.expire()


class _Ticket:
    """One invocation under the timer: answered either by its own thread or, once, by the timer."""
    __slots__ = ("deadline", "_on_timeout", "_lock", "_open")

    def __init__(self, deadline: float, on_timeout) -> None:
        self.deadline, self._on_timeout = deadline, on_timeout
        self._lock, self._open = threading.Lock(), True

    def close(self) -> bool:
        with self._lock:  # waits for a timeout answer being written, so the two never interleave
            still_open, self._open = self._open, False
        return still_open

    def expire(self) -> None:
        with self._lock:
            if self._open:
                self._open = False
                self._on_timeout()


class KapiRequestHandler(ChaliceRequestHandler):
    # Chalice writes the headers and the body separately; with Nagle's algorithm the body then waits
    # for the client's delayed ACK, about 40 ms on every request (measured: a 404 took 47 ms, 1.8 ms
    # without). A buffered writer also sends them as one segment: one send and one wake-up of the
    # client instead of two. It is flushed after every request, also the ones the standard library
    # answers itself before any handler runs (a method no route has, a malformed request line).
    disable_nagle_algorithm = True
    wbufsize = -1

    def handle_one_request(self):
        try:
            super().handle_one_request()
        finally:
            if not self.wfile.closed:
                self.wfile.flush()

    def __init__(self, request, client_address, server, app_object, config, *,  # noqa: D107
                 stage_path: str, timer: IntegrationTimer):
        self.local_gateway = DecodingGateway(app_object, config, stage_path)
        self.timer = timer
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def _generic_handle(self):
        # The body is read first, whatever follows: one left unread would be taken for the next
        # request on this connection (issue 29).
        try:
            body = self._read_body()
        except ValueError:  # a body whose end cannot be known: the connection cannot go on
            self.close_connection = True
            super().send_error(400, "Bad request body framing")
            return
        ticket = self.timer.start(self._timed_out)
        try:
            answer = self._answer(body)
        except gateway_rules.GatewayError as error:
            answer = gateway_rules.gateway_response(error)
        if self.timer.finish(ticket):
            self._send_http_response(*answer)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _answer(self, body: bytes | None | _TooLarge) -> tuple[int, dict, bytes | None]:
        """Status, headers and body for this request, by API Gateway's rules (devstack/gateway_rules.py)."""
        if body is TOO_LARGE:
            raise gateway_rules.REQUEST_TOO_LARGE
        # The request line was read as Latin-1; raw bytes of a UTF-8 query come back as typed.
        self.path = self.path.encode("latin-1").decode("utf-8", errors="replace")
        path = _within_stage(self.path, self.local_gateway.stage_path)
        if path is None:
            raise gateway_rules.MISSING_AUTHENTICATION_TOKEN
        self.path = path
        try:
            response = self.local_gateway.handle_request(self.command, path, self._request_headers(), body)
        except ForbiddenError:  # Chalice's answer for a path no route has
            raise gateway_rules.MISSING_AUTHENTICATION_TOKEN from None
        except LocalGatewayException as error:
            return error.CODE, error.headers, error.body
        if not isinstance(response, dict) or "statusCode" not in response:  # not a proxy answer
            raise gateway_rules.INTEGRATION_FAILURE
        headers = {**(response.get("headers") or {}), **(response.get("multiValueHeaders") or {})}
        binary_types = self.local_gateway._app_object.api.binary_types
        return response["statusCode"], headers, gateway_rules.response_body(
            response, self.headers.get("accept"), binary_types)

    def _timed_out(self) -> None:
        """The 504 API Gateway answers when the app is still running (from the timer's thread). The
        connection closes once the app is done: the client's next request must not wait for it."""
        status, headers, body = gateway_rules.gateway_response(gateway_rules.INTEGRATION_TIMEOUT_ERROR)
        self._send_http_response(status, {**headers, "Connection": "close"}, body)
        self.wfile.flush()

    def _read_body(self) -> bytes | None | _TooLarge:
        """The request's body (None without one), by Content-Length or chunked; one over API
        Gateway's limit is read to its end and dropped, and TOO_LARGE returned. ValueError when
        its framing is broken."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            pieces = self._chunks()
        elif "content-length" in self.headers:
            length = int(self.headers["content-length"])
            if length < 0:
                raise ValueError(length)
            pieces = self._exactly(length)
        else:
            return None
        body, size = bytearray(), 0
        for piece in pieces:
            size += len(piece)
            if size <= gateway_rules.REQUEST_LIMIT:
                body += piece
        if size > gateway_rules.REQUEST_LIMIT:
            return TOO_LARGE
        return bytes(body) if size else None

    def _exactly(self, length: int):
        while length > 0:
            piece = self.rfile.read(min(length, _PIECE))
            if not piece:
                raise ValueError("the body ended early")
            length -= len(piece)
            yield piece

    def _chunks(self):
        while size := int(self.rfile.readline(_LINE).split(b";")[0].strip(), 16):
            yield from self._exactly(size)
            self.rfile.readline(_LINE)  # the CRLF after the chunk
        while self.rfile.readline(_LINE).strip():  # trailer fields, up to the empty line
            pass

    def _request_headers(self) -> dict[str, str]:
        headers = {k: v for k, v in self.headers.items() if k.lower() != CLIENT_IP_HEADER}
        headers[CLIENT_IP_HEADER] = self.client_address[0]
        return headers

    def send_error(self, code, message=None, explain=None):
        if code == 501:  # the standard library's answer to a method it has no do_<METHOD> for
            try:
                self._read_body()
            except ValueError:
                self.close_connection = True
            self._send_http_response(405, {"Content-Type": "application/json", "Allow": self._allowed()},
                                     _NOT_ALLOWED)
            return
        super().send_error(code, message, explain)

    def _allowed(self) -> str:
        """The methods of the route this path matches (none when it matches no route)."""
        gateway = self.local_gateway
        try:
            route = gateway.event_converter._route_matcher.match_route(
                _within_stage(self.path, gateway.stage_path) or "").route
        except ValueError:
            return ""
        return allowed_methods(gateway._app_object.routes, route)

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def _within_stage(path: str, stage_path: str) -> str | None:
    """The path the app routes (`/dev/t/X` → `/t/X`), or None when it lies outside the stage."""
    if not stage_path:
        return path
    rest = path[len(stage_path):]
    if not path.startswith(stage_path) or rest[:1] not in ("", "/", "?"):
        return None
    return rest if rest.startswith("/") else "/" + rest


def make_server(app, host: str, port: int, stage_path: str = "",
                timeout: float = gateway_rules.INTEGRATION_TIMEOUT) -> LocalDevServer:
    """A threaded server for `app`; port 0 picks a free port (see `server.server.server_address`).
    `stage_path` ("/dev") serves it as API Gateway does without a custom domain; `timeout` is the
    integration timeout (seconds).

    Chalice's `create_local_server` makes `app.current_request` thread-local by swapping the app's
    class; the same is done here so a custom request handler can be used.
    """
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    config = Config.create(chalice_stage="local", app_name=app.app_name, lambda_timeout=60)
    handler = functools.partial(KapiRequestHandler, stage_path=stage_path.rstrip("/"),
                                timer=IntegrationTimer(timeout))
    return LocalDevServer(app, config, host, port, handler_cls=handler, server_cls=BurstTolerantServer)
