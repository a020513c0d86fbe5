"""The offline bundle: what a scanner needs to decide at a gate without network.

A ticket secret is checked with the public keys (layout and signed message in tickets/secrets.py);
its payload then names the registration and the revision, which the scanner looks up in
`canceled`, `unapproved` and `revoked` and checks against the lists' rules, as pretix's
"dataless" offline check does. `tickets` gives each registration's ticket type (for the lists'
`ticket_types`) and its display name sealed under a key derived from that ticket's own secret
(SPEC §5): the bundle alone holds no readable personal data, so a lost phone leaks none, yet a
scanner that reads a real ticket can greet its holder by name. Scans decided offline are uploaded
later through the batch endpoint.

Paged and incremental (SPEC §12): a bundle is about 100 bytes a registration, so an event of 100,000
would be 10 MB, over Lambda's 6 MB answer. Each answer holds at most PAGE_SIZE registrations (about
0.5 MB) and a `next_cursor` for the rest; the last page's `sync_token` is given back as `?since=` to get
only what changed since then (registrations new, cancelled, approved, reissued or erased, and secrets
revoked), each page of that again paged. The pages' `tickets`, `canceled`, `unapproved` and `removed`
describe the registrations of that page as they are now: a scanner drops what it had for those ids and
takes the page's (static/scan/sync.js). The token is the moment the sync began less SYNC_OVERLAP, so a
change that reached the index late (it is eventually consistent) or during the paging comes again.
Changes are found by reading the event's `by_event` index with a filter on `updated_at`: the whole
index is read (its read units) but only the changes are sent.

Sealing: key = HKDF-SHA256(ikm = the secret as printed in the QR, salt = none,
info = "kapi-name-v1\\0" + event id), 32 bytes; AES-256-GCM with a random 12-byte nonce and the
registration id as associated data; sent as unpadded base64url of nonce + ciphertext. WebCrypto
does the same steps in the browser (static/scan/crypto.js).
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.checkin import lists
from chalicelib.common import clock
from chalicelib.common.errors import ValidationError
from chalicelib.events import events
from chalicelib.storage.tables import Tables
from chalicelib.tickets.issuing import signer

# Registration statuses a scanner must refuse, by the reason it answers.
REFUSED = {"canceled": ("cancelled", "rejected"), "unapproved": ("waitlisted", "pending_approval")}
NAME_INFO = b"kapi-name-v1\0"
# Registrations per answer: about 0.5 MB, well under Lambda's 6 MB and quick on a gate's network.
PAGE_SIZE = 5000
# How far before the start of a sync its token reaches back (index lag, changes made while paging).
SYNC_OVERLAP = timedelta(seconds=60)
# Registrations read (index items) for one page of changes: the changes are few, so a page reads on
# until this many or PAGE_SIZE changes (about 20 MB of items, 20 Query calls: a second or two in
# Lambda; 5 requests for an event of 100,000).
CHANGES_READ_PER_PAGE = 20_000
Key = dict[str, dict[str, str]]  # a DynamoDB key as the client sends it


def bundle(db: Tables, event_id: str, cursor: str | None = None, since: str | None = None) -> dict[str, Any]:
    """One page of the event's offline bundle: everything from the start (no `since`), or what changed
    since a `sync_token`; `cursor` (a page's `next_cursor`) continues either."""
    event = events.load(db, event_id)
    if cursor is not None:
        started, since, start_key = _read_cursor(cursor, event_id)
    else:
        started, start_key = clock.now(), None
        if since is not None:
            since = _read_since(since)
    tickets, last_key = _page(db, event_id, start_key, since)
    live = [t for t in tickets if not t.erased]
    answer = {
        "event": {name: event[name] for name in ("id", "name", "timezone", "starts_at", "ends_at")},
        "generated_at": clock.iso(clock.now()),
        "keys": signer().public_keys(),
        "ticket_types": [{"id": t["id"], "name": t["name"]} for t in event["ticket_types"]],
        "lists": lists.all_for(db, event_id),
        "revoked": [] if start_key is not None else [
            {"secret": r.secret, "registration_id": r.registration_id, "revision": r.revision}
            for r in db.RevokedSecret.query(event_id) if since is None or r.revoked_at >= since],
        **{reason: sorted(r.id for r in live if r.status in statuses) for reason, statuses in REFUSED.items()},
        "tickets": {r.id: [r.ticket_type, _sealed(event_id, r.id, r.revision, r.name)] for r in live},
        "removed": sorted(t.id for t in tickets if t.erased),
        "since": since,
        "next_cursor": _cursor(started, since, last_key) if last_key else None,
        "sync_token": None if last_key else clock.iso(started - SYNC_OVERLAP),
    }
    return answer


@dataclass(frozen=True)
class _Ticket:
    id: str
    status: str
    ticket_type: str
    name: str
    revision: int
    erased: bool


def _page(db: Tables, event_id: str, start_key: Key | None, since: str | None) -> tuple[list[_Ticket], Key | None]:
    """Up to PAGE_SIZE of the event's registrations (changed since `since`, erased ones included: up to
    CHANGES_READ_PER_PAGE read for them), read
    raw from the `by_event` index (six attributes; a model object per item would cost more than the
    sealing), and where the next page starts."""
    client = db.connection.client
    request: dict[str, Any] = {
        "TableName": db.Registration.Meta.table_name, "IndexName": "by_event",
        "KeyConditionExpression": "event_id = :e", "ExpressionAttributeValues": {":e": {"S": event_id}},
        "ProjectionExpression": "id, #s, ticket_type, #n, revision, erased",
        "ExpressionAttributeNames": {"#s": "status", "#n": "name"}}
    if since is not None:
        request["FilterExpression"] = "updated_at >= :since"
        request["ExpressionAttributeValues"][":since"] = {"S": since}
    if start_key is not None:
        request["ExclusiveStartKey"] = start_key
    found: list[_Ticket] = []
    read, budget = 0, PAGE_SIZE if since is None else CHANGES_READ_PER_PAGE
    while read < budget and len(found) < PAGE_SIZE:
        page = client.query(**request, Limit=min(budget - read, PAGE_SIZE))
        read += page.get("ScannedCount", len(page["Items"]))
        found.extend(_Ticket(item["id"]["S"], item["status"]["S"], item["ticket_type"]["S"],
                             item.get("name", {}).get("S", ""), int(item.get("revision", {}).get("N", "0")),
                             item.get("erased", {}).get("BOOL", False)) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return found, None
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return found, request["ExclusiveStartKey"]


def _cursor(started: datetime, since: str | None, key: Key) -> str:
    plain = {"t": clock.iso(started), "s": since, "k": {name: value["S"] for name, value in key.items()}}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _read_cursor(cursor: str, event_id: str) -> tuple[datetime, str | None, Key]:
    """When the sync began, since when it reads, and where its next page starts: from a cursor of
    this event's bundle, else a validation error."""
    bad = ValidationError.field("cursor", "error.cursor.invalid")
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        started, since, key = clock.parse_iso(plain["t"]), plain["s"], plain["k"]
        if since is not None:
            clock.parse_iso(since)
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise bad from None
    if (not isinstance(key, dict) or set(key) != {"id", "created_key", "event_id"} or key["event_id"] != event_id
            or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in key.values())):
        raise bad
    return started, since, {name: {"S": value} for name, value in key.items()}


def _read_since(since: str) -> str:
    try:
        return clock.iso(clock.parse_iso(since))
    except ValueError:
        raise ValidationError.field("since", "error.since.invalid") from None


@functools.lru_cache(maxsize=200_000)
def _sealed(event_id: str, registration_id: str, revision: int, name: str) -> str:
    """Kept per process: sealing needs the ticket's secret, an Ed25519 signature (most of a bundle's
    cost), and scanners fetch the bundle again every few minutes. A new name or revision is a new key."""
    return seal_name(event_id, registration_id, signer().issue(event_id, registration_id, revision), name)


def seal_name(event_id: str, registration_id: str, secret: str, name: str) -> str:
    """The name encrypted so that only the holder of `secret` (its scanner) can read it."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(name_key(event_id, secret)).encrypt(nonce, name.encode("utf-8"), registration_id.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def name_key(event_id: str, secret: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=NAME_INFO + event_id.encode("utf-8")).derive(secret.encode("ascii"))

