"""The local gateway hands the app what API Gateway hands a Lambda: decoded path and query parameters.

API Gateway percent-decodes `pathParameters` and `queryStringParameters` and takes raw UTF-8 in a
query string (curl sends `?q=Şengül` as it is typed); the local run must match, or a search typed
in a terminal finds nothing and ids arrive still encoded.
"""
import json
import socket
from urllib.parse import urlsplit

from tests.data import registration_body


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
