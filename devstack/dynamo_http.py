"""HTTP/1.1 keep-alive for the local DynamoDB server.

werkzeug's development server answers every request with ``Connection: close``, so each
boto3 call opened a new TCP connection (connect, getaddrinfo and close were about a fifth
of the app process's time) and the server started a thread for each. It closes because
it cannot tell where a request ends: after answering it drains whatever the socket holds
for 10 ms, which on a kept-alive connection would swallow the client's next request and
leave that client waiting forever (the "hung clients" of an earlier attempt).

This handler keeps connections open safely by owning both ends of that framing:

* the whole request body (``Content-Length`` bytes, or a chunked body to its end) is read
  before the application runs, so an answer the application gives without looking at the
  body (an injected fault, a 4xx) never leaves bytes behind to be mistaken for the next
  request;
* every answer is buffered and sent with its own ``Content-Length`` (the application's
  framing headers are dropped), so the client always knows where it ends.

The connection closes when the client asks for it (``Connection: close``, HTTP/1.0), after
an answer the server could not produce, and after ``IDLE_SECONDS`` without a request.
"""

import io
import logging
from typing import Any

from werkzeug.serving import WSGIRequestHandler

log = logging.getLogger("devstack.dynamo_server")

#: How long an idle kept-alive connection (and its thread) waits for the next request.
#: Longer than botocore's pool keeps a connection it does not use, in practice.
IDLE_SECONDS = 120
FRAMING_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive"})
#: DynamoDB's answer to a request it failed on; never quotes the request.
INTERNAL_FAILURE = b'{"__type":"com.amazon.coral.service#InternalFailure","message":"internal error"}'
JSON = "application/x-amz-json-1.0"


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's request handler (its environ) with framing that lets connections be reused."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    #: An answer larger than a segment must not wait for the client's delayed ACK (up to 40 ms)
    #: of its first part once the connection is reused.
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        self.environ = environ = self.make_environ()
        if environ.get("wsgi.input_terminated"):  # chunked: read to the last chunk
            body = environ["wsgi.input"].read()
        else:
            body = self.rfile.read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return lambda data: None  # the server's application never writes this way

        try:
            chunks = self.server.app(environ, start_response)
            try:
                payload = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
            status, headers = answer
        except Exception:
            log.exception("request failed")  # frames and exception type only: see _RedactingFormatter
            status, headers, payload = "500 INTERNAL SERVER ERROR", [("Content-Type", JSON)], INTERNAL_FAILURE
            self.close_connection = True
        lines = [f"{self.protocol_version} {status}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() not in FRAMING_HEADERS]
        lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)

    def log_error(self, format: str, *args: Any) -> None:
        """Keep quiet about idle connections timing out, which is how they end."""
        if not format.startswith("Request timed out"):
            super().log_error(format, *args)
