"""API tokens: who is calling, with which role, for which events.

A token reads `kapi_<id>_<secret>`. The id finds the record with one GetItem; only a SHA-256 of the
secret is stored, so a leaked table does not leak tokens. Records are cached per process for a few
seconds (KAPI_CACHE_SECONDS) because a door scan may spend only one read, on the registration;
a revocation therefore takes up to that long to reach other Lambda instances (this one at once).

Tokens age and follow their maker (SPEC §16): a token may carry `expires_at` (a scanner token's default
is the end of its last event plus one day; no token outlives the token that made it), after which it is
401; revoking a token revokes every token it minted, and theirs.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.access import audit, sign_in
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
SCANNER_GRACE = timedelta(days=1)  # a scanner token lasts until its last event ends, plus this


@dataclass(frozen=True)
class Principal:
    id: str
    role: str
    events: tuple[str, ...] = field(default_factory=tuple)
    expires_at: str | None = None

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
        audit.acting("bootstrap-admin")
        return Principal(id="bootstrap-admin", role="admin")
    match = _TOKEN.match(presented)
    record = _records.get_or_load((db.prefix, match.group(1)), lambda key: _load(db, key[1])) if match else None
    if record is None or record.revoked or not hmac.compare_digest(record.secret_hash, _hash(match.group(2))):  # type: ignore[union-attr]
        raise Unauthorized("error.token.unknown")
    if record.expires_at and clock.parse_iso(record.expires_at) <= clock.now():
        raise Unauthorized("error.token.expired")
    audit.acting(record.id)
    return Principal(id=record.id, role=record.role, events=tuple(record.events), expires_at=record.expires_at)


def _load(db: Tables, token_id: str) -> Token | None:
    try:
        return db.Token.get(token_id)
    except Token.DoesNotExist:
        return None


def create_token(db: Tables, creator: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Admins create any token; organisers create scanner tokens within their own events.

    With `sign_in_code: true` (scanner tokens) the answer carries a single-use sign-in code for the
    scanner page instead of the token itself (`sign_in`), so the token is never shown or put in a URL."""
    role, events, label, expires_at, with_code = _validate_token_body(body)
    if creator.role != "admin":
        if creator.role != "organiser" or role != "scanner":
            raise Forbidden("error.token.admin_only")
        outside = [e for e in events if not creator.may_access(e)]
        if outside:
            raise Forbidden("error.token.event")
    expires = _lifetime(db, creator, role, events, expires_at)
    token_id, secret, now = new_id(), secrets.token_urlsafe(32), clock.iso(clock.now())
    token = f"kapi_{token_id}_{secret}"
    tx = db.transaction()
    tx.put("token", db.Token(token_id, secret_hash=_hash(secret), role=role, events=events, label=label,
                          created_at=now, created_by=creator.id, expires_at=expires),
           condition=Token.id.does_not_exist())
    for event_id in events:
        tx.put(f"grant {event_id}", db.TokenGrant(event_id, token_id, role=role, label=label, created_at=now))
    code = sign_in.stage(db, tx, token, role, events, expires) if with_code else None
    tx.commit()
    audit.note(created_token_id=token_id)
    made = {"id": token_id, "role": role, "events": events, "label": label, "expires_at": expires}
    return {**made, "sign_in": code} if code else {**made, "token": token}


def _lifetime(db: Tables, creator: Principal, role: str, events: list[str], asked: str | None) -> str | None:
    """The new token's expiry: the one asked for, else (scanner tokens) the end of its last event plus a
    day; never later than its maker's own."""
    expires = asked
    if expires is None and role == "scanner":
        ends = [clock.parse_iso(record.doc["ends_at"]) for record in db.Event.batch_get(events)]
        expires = clock.iso(max(ends) + SCANNER_GRACE) if ends else None
    if creator.expires_at and (expires is None or clock.parse_iso(creator.expires_at) < clock.parse_iso(expires)):
        expires = creator.expires_at
    return expires


def revoke_token(db: Tables, caller: Principal, token_id: str) -> None:
    """Revoke the token and every token it minted, and theirs (a repeated call finishes a cascade
    that stopped half-way)."""
    record = _load(db, token_id)
    if record is None:
        raise NotFound("error.token.not_found")
    if caller.role != "admin" and (record.role != "scanner" or not record.events
                                   or not all(caller.may_access(e) for e in record.events)):  # type: ignore[arg-type]
        raise Forbidden("error.token.revoke_scope")
    minted = _minted_by(db, record.id) if record.role != "scanner" else []  # scanner tokens mint none
    for token in (record, *minted):
        if not token.revoked or token is record:
            _revoke_one(db, token)
    audit.note(revoked_token_ids=[record.id, *(token.id for token in minted)])


def _minted_by(db: Tables, token_id: str) -> list[Token]:
    """Every token made by `token_id`, directly or through tokens it made: one Query of the `by_creator`
    index per token that made any (the index is eventually consistent: a token made a moment ago may
    be missed, and a repeated revocation finds it)."""
    found: list[Token] = []
    waiting = [token_id]
    while waiting:
        for child in db.Token.by_creator.query(waiting.pop()):
            found.append(child)
            waiting.append(child.id)
    return found


def _revoke_one(db: Tables, record: Token) -> None:
    tx = db.transaction()
    tx.update("token", record, [Token.revoked.set(True)])
    for grant in db.TokenGrant.batch_get([(event_id, record.id) for event_id in record.events]):
        tx.update(f"grant {grant.event_id}", grant, [TokenGrant.revoked.set(True)])  # none for older tokens
    tx.commit()
    _records.forget((db.prefix, record.id))


def tokens_of_event(db: Tables, caller: Principal, event_id: str | None) -> list[dict[str, Any]]:
    """The tokens scoped to one event, newest first, without secrets: one Query, however many there are.
    Unscoped (all-events) admin and organiser tokens are not listed: they belong to no one event."""
    if not event_id:
        raise ValidationError.field("event", "error.form.required")
    caller.require(ORGANISERS, event_id)
    grants = sorted(db.TokenGrant.query(event_id), key=lambda grant: (grant.created_at, grant.token_id), reverse=True)
    return [{"id": grant.token_id, "role": grant.role, "label": grant.label, "created_at": grant.created_at,
             "revoked": grant.revoked} for grant in grants]


def _validate_token_body(body: dict[str, Any]) -> tuple[str, list[str], str | None, str | None, bool]:
    role, events, label = body.get("role"), body.get("events", []), body.get("label")
    unknown = sorted(set(body) - {"role", "events", "label", "expires_at", "sign_in_code"})
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
    with_code = body.get("sign_in_code", False)
    if not isinstance(with_code, bool) or (with_code and role != "scanner"):
        raise ValidationError.field("sign_in_code", "error.token.sign_in_scanner_only")
    return role, sorted(set(events)), label, _expiry(body.get("expires_at")), with_code


def _expiry(value: object) -> str | None:
    """An `expires_at` asked for: a time with offset, in the future (stored in UTC)."""
    if value is None:
        return None
    try:
        moment: datetime | None = clock.parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError.field("expires_at", "error.time.invalid")
    if moment <= clock.now():
        raise ValidationError.field("expires_at", "error.token.expires_past")
    return clock.iso(moment)
