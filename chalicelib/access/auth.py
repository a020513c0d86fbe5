"""API tokens: who is calling, with which role, for which events.

A token reads `kapi_<id>_<secret>`. The id finds the record with one GetItem; only a SHA-256 of the
secret is stored, so a leaked table does not leak tokens. Records are cached per process for a few
seconds (KAPI_CACHE_SECONDS) because a door scan may spend only one read, on the registration;
a revocation therefore takes up to that long to reach other Lambda instances (this one at once).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from chalicelib.common import clock
from chalicelib.common.cache import TTLCache
from chalicelib.common.config import settings
from chalicelib.common.errors import Forbidden, NotFound, Unauthorized, ValidationError
from chalicelib.common.ids import new_id
from chalicelib.storage.models import Token, TokenGrant
from chalicelib.storage.tables import Tables

ROLES = ("admin", "organiser", "scanner")
_TOKEN = re.compile(r"^kapi_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$")
_EVENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_records = TTLCache()


@dataclass(frozen=True)
class Principal:
    id: str
    role: str
    events: tuple[str, ...] = field(default_factory=tuple)

    def may_access(self, event_id: str) -> bool:
        return not self.events or event_id in self.events

    def require(self, roles: tuple[str, ...], event_id: str | None = None) -> "Principal":
        if self.role not in roles:
            raise Forbidden("error.token.role", params={"roles": " / ".join(roles)})
        if event_id is not None and not self.may_access(event_id):
            raise Forbidden("error.token.event")
        return self


ORGANISERS = ("admin", "organiser")
DOOR = ("admin", "organiser", "scanner")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(db: Tables, authorization: str | None) -> Principal:
    """The caller behind an `Authorization: Bearer ...` header; 401 when missing, unknown or revoked."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("error.token.missing")
    presented = authorization[7:].strip()
    bootstrap = settings().admin_token
    if bootstrap and hmac.compare_digest(_hash(presented), _hash(bootstrap)):
        return Principal(id="bootstrap-admin", role="admin")
    match = _TOKEN.match(presented)
    record = _records.get_or_load((db.prefix, match.group(1)), lambda key: _load(db, key[1])) if match else None
    if record is None or record.revoked or not hmac.compare_digest(record.secret_hash, _hash(match.group(2))):  # type: ignore[union-attr]
        raise Unauthorized("error.token.unknown")
    return Principal(id=record.id, role=record.role, events=tuple(record.events))


def _load(db: Tables, token_id: str) -> Token | None:
    try:
        return db.Token.get(token_id)
    except Token.DoesNotExist:
        return None


def create_token(db: Tables, creator: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Admins create any token; organisers create scanner tokens within their own events."""
    role, events, label = _validate_token_body(body)
    if creator.role != "admin":
        if creator.role != "organiser" or role != "scanner":
            raise Forbidden("error.token.admin_only")
        outside = [e for e in events if not creator.may_access(e)]
        if outside:
            raise Forbidden("error.token.event")
    token_id, secret, now = new_id(), secrets.token_urlsafe(32), clock.iso(clock.now())
    tx = db.transaction()
    tx.put("token", db.Token(token_id, secret_hash=_hash(secret), role=role, events=events, label=label,
                          created_at=now, created_by=creator.id), condition=Token.id.does_not_exist())
    for event_id in events:
        tx.put(f"grant {event_id}", db.TokenGrant(event_id, token_id, role=role, label=label, created_at=now))
    tx.commit()
    return {"id": token_id, "token": f"kapi_{token_id}_{secret}", "role": role, "events": events,
            "label": label}


def revoke_token(db: Tables, caller: Principal, token_id: str) -> None:
    record = _load(db, token_id)
    if record is None:
        raise NotFound("error.token.not_found")
    if caller.role != "admin" and (record.role != "scanner" or not record.events
                                   or not all(caller.may_access(e) for e in record.events)):  # type: ignore[arg-type]
        raise Forbidden("error.token.revoke_scope")
    tx = db.transaction()
    tx.update("token", record, [Token.revoked.set(True)])
    for grant in db.TokenGrant.batch_get([(event_id, token_id) for event_id in record.events]):
        tx.update(f"grant {grant.event_id}", grant, [TokenGrant.revoked.set(True)])  # none for older tokens
    tx.commit()
    _records.forget((db.prefix, token_id))


def tokens_of_event(db: Tables, caller: Principal, event_id: str | None) -> list[dict[str, Any]]:
    """The tokens scoped to one event, newest first, without secrets: one Query, however many there are.
    Unscoped (all-events) admin and organiser tokens are not listed: they belong to no one event."""
    if not event_id:
        raise ValidationError.field("event", "error.form.required")
    caller.require(ORGANISERS, event_id)
    grants = sorted(db.TokenGrant.query(event_id), key=lambda grant: (grant.created_at, grant.token_id), reverse=True)
    return [{"id": grant.token_id, "role": grant.role, "label": grant.label, "created_at": grant.created_at,
             "revoked": grant.revoked} for grant in grants]


def _validate_token_body(body: dict[str, Any]) -> tuple[str, list[str], str | None]:
    role, events, label = body.get("role"), body.get("events", []), body.get("label")
    unknown = sorted(set(body) - {"role", "events", "label"})
    if unknown:
        raise ValidationError.field(unknown[0], "error.field.unknown")
    if role not in ROLES:
        raise ValidationError.field("role", "error.choose_one", choices=", ".join(ROLES))
    if not isinstance(events, list) or not all(isinstance(e, str) and _EVENT_ID.match(e) for e in events):
        raise ValidationError.field("events", "error.token.events")
    if role == "scanner" and not events:
        raise ValidationError.field("events", "error.token.scanner_events")
    if label is not None and (not isinstance(label, str) or len(label) > 200):
        raise ValidationError.field("label", "error.text.too_long", limit=200)
    return role, sorted(set(events)), label
