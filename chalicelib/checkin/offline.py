"""The offline bundle: what a scanner needs to decide at a gate without network.

A ticket secret is checked with the public keys (layout and signed message in tickets/secrets.py);
its payload then names the registration and the revision, which the scanner looks up in
`canceled`, `unapproved` and `revoked` and checks against the lists' rules, as pretix's
"dataless" offline check does. The bundle holds no names or emails, so a lost phone leaks no
personal data; scans decided offline are uploaded later through the batch endpoint.
"""
from __future__ import annotations

from chalicelib import clock, events
from chalicelib.checkin import lists
from chalicelib.storage.models import Registration, RevokedSecret
from chalicelib.tickets.issuing import signer

# Registration statuses a scanner must refuse, by the reason it answers.
REFUSED = {"canceled": ("cancelled", "rejected"), "unapproved": ("waitlisted", "pending_approval")}


def bundle(event_id: str) -> dict:
    event = events.load(event_id)
    return {
        "event": {name: event[name] for name in ("id", "name", "timezone", "starts_at", "ends_at")},
        "generated_at": clock.iso(clock.now()),
        "keys": signer().public_keys(),
        "ticket_types": [{"id": t["id"], "name": t["name"]} for t in event["ticket_types"]],
        "lists": lists.all_for(event_id),
        "revoked": [{"secret": r.secret, "registration_id": r.registration_id, "revision": r.revision}
                    for r in RevokedSecret.query(event_id)],
        **{reason: _registration_ids(event_id, statuses) for reason, statuses in REFUSED.items()},
    }


def _registration_ids(event_id: str, statuses: tuple[str, ...]) -> list[str]:
    return sorted(registration.id for status in statuses
                  for registration in Registration.by_event_status.query(f"{event_id}#{status}",
                                                                         attributes_to_get=["id"]))
