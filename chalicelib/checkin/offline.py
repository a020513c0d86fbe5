"""The offline bundle: what a scanner needs to decide at a gate without network.

A ticket secret is checked with the public keys (layout and signed message in tickets/secrets.py);
its payload then names the registration and the revision, which the scanner looks up in
`canceled`, `unapproved` and `revoked` and checks against the lists' rules, as pretix's
"dataless" offline check does. `tickets` gives each registration's ticket type (for the lists'
`ticket_types`) and its display name sealed under a key derived from that ticket's own secret
(SPEC §5): the bundle alone holds no readable personal data, so a lost phone leaks none, yet a
scanner that reads a real ticket can greet its holder by name. Scans decided offline are uploaded
later through the batch endpoint. At 20,000 registrations the bundle is about 2 MB (README,
Performance); Lambda's 6 MB response limit puts the ceiling near 55,000.

Sealing: key = HKDF-SHA256(ikm = the secret as printed in the QR, salt = none,
info = "kapi-name-v1\\0" + event id), 32 bytes; AES-256-GCM with a random 12-byte nonce and the
registration id as associated data; sent as unpadded base64url of nonce + ciphertext. WebCrypto
does the same steps in the browser (static/scan/crypto.js).
"""
from __future__ import annotations

import base64
import functools
import os
from dataclasses import dataclass
from typing import Any, Iterator

from chalicelib.checkin import lists
from chalicelib.common import clock
from chalicelib.events import events
from chalicelib.storage.tables import Tables
from chalicelib.tickets.issuing import signer

# Registration statuses a scanner must refuse, by the reason it answers.
REFUSED = {"canceled": ("cancelled", "rejected"), "unapproved": ("waitlisted", "pending_approval")}
NAME_INFO = b"kapi-name-v1\0"


@dataclass(frozen=True)
class _Ticket:
    id: str
    status: str
    ticket_type: str
    name: str
    revision: int


def bundle(db: Tables, event_id: str) -> dict[str, Any]:
    event = events.load(db, event_id)
    registrations = list(_tickets(db, event_id))
    return {
        "event": {name: event[name] for name in ("id", "name", "timezone", "starts_at", "ends_at")},
        "generated_at": clock.iso(clock.now()),
        "keys": signer().public_keys(),
        "ticket_types": [{"id": t["id"], "name": t["name"]} for t in event["ticket_types"]],
        "lists": lists.all_for(db, event_id),
        "revoked": [{"secret": r.secret, "registration_id": r.registration_id, "revision": r.revision}
                    for r in db.RevokedSecret.query(event_id)],
        **{reason: sorted(r.id for r in registrations if r.status in statuses)
           for reason, statuses in REFUSED.items()},
        "tickets": {r.id: [r.ticket_type, _sealed(event_id, r.id, r.revision, r.name)] for r in registrations},
    }


def _tickets(db: Tables, event_id: str) -> Iterator[_Ticket]:
    """The event's registrations that are not erased, read raw page by page (one Query of the
    `by_event` index, five attributes): a model object per item would cost more than the sealing."""
    client = db.connection.client
    request = {"TableName": db.Registration.Meta.table_name, "IndexName": "by_event",
               "KeyConditionExpression": "event_id = :e", "ExpressionAttributeValues": {":e": {"S": event_id}},
               "ProjectionExpression": "id, #s, ticket_type, #n, revision, erased",
               "ExpressionAttributeNames": {"#s": "status", "#n": "name"}}
    while True:
        page = client.query(**request)
        for item in page["Items"]:
            if not item.get("erased", {}).get("BOOL", False):
                yield _Ticket(item["id"]["S"], item["status"]["S"], item["ticket_type"]["S"],
                              item.get("name", {}).get("S", ""), int(item.get("revision", {}).get("N", "0")))
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


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

