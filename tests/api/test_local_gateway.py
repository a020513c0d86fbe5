"""The local gateway applies API Gateway's rules: what it hands the app, what it refuses, what it answers.

API Gateway percent-decodes `pathParameters` and `queryStringParameters` and takes raw UTF-8 in a
query string (curl sends `?q=Şengül` as it is typed); the local run must match, or a search typed
in a terminal finds nothing and ids arrive still encoded. It refuses a request body over 10 MB (413),
turns a function's answer over 6 MB into its 502 and one later than 29 s into its 504 (SPEC §12), in
the gateway responses `infra/` gives the API. And on a kept-alive connection, every request's body
is read before the next request is: a body left unread would be taken for a request of its own.
"""
import http.client
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from chalice import Chalice, Response

from devstack.app_server import make_server
from devstack.gateway_rules import LAMBDA_PAYLOAD_LIMIT, REQUEST_LIMIT
from tests.data import registration_body

TOO_LONG = {"error": "payload_too_large", "message": "Request Too Long", "details": []}


def raw_get(api, target: bytes) -> tuple[int, dict]:
    """GET with the request line's bytes exactly as given (no client-side encoding)."""
    where = urlsplit(api.base_url)
    request = (b"GET " + target + b" HTTP/1.1\r\nHost: " + where.netloc.encode() + b"\r\nAuthorization: Bearer "
               + api.admin_token.encode() + b"\r\nConnection: close\r\n\r\n")
    with socket.create_connection((where.hostname, where.port), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_raw_utf8_in_the_query_string_is_read_as_utf8(api, make_event):
    event = make_event()
    made = api.post(f"/api/events/{event['id']}/registrations", json=registration_body(name="Şengül Gülşən")).json()
    status, found = raw_get(api, f"/api/events/{event['id']}/registrations?q=Şengül".encode())
    assert status == 200 and [item["id"] for item in found["items"]] == [made["id"]]
    status, found = raw_get(api, f"/api/events/{event['id']}/registrations?q=g%C3%BCl%C5%9F%C9%99n".encode())
    assert status == 200 and [item["id"] for item in found["items"]] == [made["id"]]


def test_path_parameters_arrive_percent_decoded(api, make_event):
    event = make_event()
    encoded = event["id"].replace("-", "%2D")
    assert encoded != event["id"]
    status, shown = raw_get(api, f"/api/events/{encoded}".encode())
    assert status == 200 and shown["id"] == event["id"]
    made = api.post(f"/api/events/{event['id']}/registrations", json=registration_body()).json()
    status, shown = raw_get(api, f"/api/events/{encoded}/registrations/{made['id']}".encode())
    assert status == 200 and shown["id"] == made["id"]


def kept_alive(api) -> http.client.HTTPConnection:
    where = urlsplit(api.base_url)
    return http.client.HTTPConnection(where.hostname, where.port, timeout=60)


def answer(connection: http.client.HTTPConnection) -> tuple[int, dict]:
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def test_a_body_over_10_mb_is_refused_and_the_connection_goes_on(api):
    connection = kept_alive(api)
    connection.request("POST", "/api/events", body=b"{" + b" " * REQUEST_LIMIT + b"}",
                       headers={"Content-Type": "application/json", "Authorization": f"Bearer {api.admin_token}"})
    assert answer(connection) == (413, TOO_LONG)
    connection.request("GET", "/api/events")
    status, listed = answer(connection)
    assert status == 200 and "items" in listed


def test_a_body_too_large_for_a_lambda_event_is_refused(api, make_event):
    # Under API Gateway's 10 MB but over Lambda's 6 MB once base64-encoded into the event.
    event = make_event()
    body = b"{" + b" " * (LAMBDA_PAYLOAD_LIMIT * 3 // 4) + b"}"
    refused = api.post(f"/api/events/{event['id']}/registrations", data=body,
                       headers={"Content-Type": "application/json"})
    assert (refused.status_code, refused.json()) == (413, TOO_LONG)


def test_a_body_sent_with_a_method_no_route_has_does_not_spill_into_the_next_request(api):
    # A fuzzer's QUERY with a body, then a plain GET on the same connection (issue 29).
    connection = kept_alive(api)
    connection.request("QUERY", "/api/events", body=b'{"q": "DELETE /api/events HTTP/1.1"}',
                       headers={"Content-Type": "application/json"})
    assert answer(connection)[0] == 405
    connection.request("QUERY", "/api/events", body=iter([b"DELETE /api/events", b" HTTP/1.1\r\n\r\n"]),
                       encode_chunked=True)
    assert answer(connection)[0] == 405
    connection.request("GET", "/api/events")
    status, listed = answer(connection)
    assert status == 200 and "items" in listed


# --- A small app through the same server: answers no route of Kapı's may give -------------------

def gateway_test_app() -> Chalice:
    app = Chalice(app_name="gateway-rules")

    @app.route("/text/{size}")
    def text(size):
        return Response(body="x" * int(size), headers={"Content-Type": "text/plain"})

    @app.route("/slow/{seconds}")
    def slow(seconds):
        time.sleep(float(seconds))
        return {"late": True}

    return app


@pytest.fixture(scope="module")
def gateway_app():
    server = make_server(gateway_test_app(), "127.0.0.1", 0, timeout=1.0)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server.server_address[1]}"
    server.server.shutdown()
    server.server.server_close()


def test_an_answer_over_6_mb_is_api_gateways_502(gateway_app):
    under = requests.get(f"{gateway_app}/text/{5 * 1024 * 1024}", timeout=60)
    assert under.status_code == 200 and len(under.content) == 5 * 1024 * 1024
    over = requests.get(f"{gateway_app}/text/{LAMBDA_PAYLOAD_LIMIT}", timeout=60)
    assert over.status_code == 502
    assert over.json() == {"error": "internal_error", "message": "Internal server error", "details": []}


def test_an_app_still_running_at_the_integration_timeout_is_api_gateways_504(gateway_app):
    started = time.monotonic()
    late = requests.get(f"{gateway_app}/slow/3", timeout=60)
    assert late.status_code == 504 and time.monotonic() - started < 2.5
    assert late.json() == {"error": "internal_error", "message": "Endpoint request timed out", "details": []}
    assert requests.get(f"{gateway_app}/slow/0", timeout=60).json() == {"late": True}
