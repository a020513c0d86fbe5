"""The DynamoDB tables, declared once as pynamodb models.

One table per kind of record keeps each model small and its access pattern obvious. Every request
path reads with GetItem or Query on a key or index; nothing here is ever scanned.

These classes declare the schema only: no table name is bound here, so importing this module needs no
configuration, and one process can act on two stages. `storage.tables.Tables` binds every model to
one stage's table names (`Tables.for_stage`), and the domain reads and writes through that object,
passed in by its entry points. Import these classes for their attributes (conditions, update actions),
which name attributes, not tables.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


def _meta(short_name: str) -> Any:  # a class pynamodb reads as its Meta (MetaProtocol)
    """`short_name` is what every stage's table name ends with; `Tables` puts the stage's prefix before it."""
    return type("Meta", (), {"short_name": short_name, "billing_mode": "PAY_PER_REQUEST"})


def _index_meta(index_name: str) -> Any:
    return type("Meta", (), {"index_name": index_name, "projection": AllProjection()})


class EventsByStatus(GlobalSecondaryIndex):  # type: ignore[type-arg, no-untyped-call]
    Meta = _index_meta("by_status")
    status = UnicodeAttribute(hash_key=True)
    starts_at = UnicodeAttribute(range_key=True)


class Event(Model):
    """An event's definition as the organiser wrote it (validated), its lifecycle status, and its
    version, which every PATCH writes conditionally (If-Match, SPEC §5)."""
    Meta = _meta("events")
    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    starts_at = UnicodeAttribute()
    doc = JSONAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    personal_data_erased_at = UnicodeAttribute(null=True)  # set once retention has erased every registration
    version = NumberAttribute(null=True)  # 1 at creation, +1 per PATCH; events older than versions have none
    by_status = EventsByStatus()


class RegistrationsByEvent(GlobalSecondaryIndex):  # type: ignore[type-arg, no-untyped-call]
    Meta = _index_meta("by_event")
    event_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class RegistrationsByEventStatus(GlobalSecondaryIndex):  # type: ignore[type-arg, no-untyped-call]
    Meta = _index_meta("by_event_status")
    event_status = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class Registration(Model):
    """One attendee's registration. `checkins` holds the per-list door state, so a scan needs one read.

    `created_key` (`created_at#id`) orders listings and the waitlist; `event_status` (`event#status`)
    is the waitlist and status-filter index key, kept in step with `status` by every write.
    """
    Meta = _meta("registrations")
    id = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute()
    event_status = UnicodeAttribute()
    created_key = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    ticket_type = UnicodeAttribute()
    status = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    email_key = UnicodeAttribute(null=True)
    email_claim = BooleanAttribute(default=False)
    idempotency_claim = UnicodeAttribute(null=True)  # its stored response holds personal data
    language = UnicodeAttribute()
    answers = JSONAttribute(null=True)
    consent_at = UnicodeAttribute(null=True)
    revision = NumberAttribute(default=0)
    # True when the current ticket was issued with a manage secret (SPEC §16: its QR opens no page).
    # Absent on tickets issued before, whose QR secret was also their page link (tickets.lookup).
    manage_links = BooleanAttribute(null=True)
    email_status = UnicodeAttribute(null=True)
    email_message = UnicodeAttribute(null=True)  # the latest outbox message: only its delivery sets email_status
    email_attempts = NumberAttribute(default=0)
    email_error = UnicodeAttribute(null=True)
    checkins: MapAttribute[str, Any] = MapAttribute(default=dict)  # type: ignore[no-untyped-call]
    first_entry_at = UnicodeAttribute(null=True)  # first entry on any check-in list (no-show figure)
    erased = BooleanAttribute(default=False)
    by_event = RegistrationsByEvent()
    by_event_status = RegistrationsByEventStatus()


class Counter(Model):
    """Counters kept in the same transactions as the writes they count, so reads are O(1).

    Attribute names are dynamic (`held__vip`, `confirmed`, ...) and written through `Path`.
    """
    Meta = _meta("counters")
    pk = UnicodeAttribute(hash_key=True)


class Claim(Model):
    """A unique value taken by a conditional put: an email per event, an idempotency key, a nonce,
    a rate-limit window. `expires_at` is the TTL attribute; readers also check it themselves because
    DynamoDB deletes expired items lazily."""
    Meta = _meta("claims")
    pk = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute(null=True)
    body_hash = UnicodeAttribute(null=True)
    response = JSONAttribute(null=True)
    count = NumberAttribute(null=True)  # type: ignore[assignment]  # shadows Model.count, a classmethod
    expires_at = NumberAttribute(null=True)


class TokensByCreator(GlobalSecondaryIndex):  # type: ignore[type-arg, no-untyped-call]
    """The tokens a token made (sparse: bootstrap-made tokens have no creator), for cascade revocation."""
    Meta = _index_meta("by_creator")
    created_by = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Token(Model):
    """An API token. Only a SHA-256 of its secret part is stored."""
    Meta = _meta("tokens")
    id = UnicodeAttribute(hash_key=True)
    secret_hash = UnicodeAttribute()
    role = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute, default=list)
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    expires_at = UnicodeAttribute(null=True)  # ISO 8601; none: until revoked (and tokens older than expiry)
    by_creator = TokensByCreator()


class TokenGrant(Model):
    """One event in a token's scope: lets organisers list an event's tokens with one Query. Written in
    the same transaction as the token, revoked with it; no secret or hash here."""
    Meta = _meta("token_grants")
    event_id = UnicodeAttribute(hash_key=True)
    token_id = UnicodeAttribute(range_key=True)
    role = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)


class OutboxByDue(GlobalSecondaryIndex):  # type: ignore[type-arg, no-untyped-call]
    Meta = _index_meta("by_due")
    queue = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class OutboxMessage(Model):
    """An email owed to an attendee, written in the same transaction as the change that owes it.

    `queue` is set only while the message waits, which makes `by_due` a sparse index of pending work.
    """
    Meta = _meta("outbox")
    id = UnicodeAttribute(hash_key=True)
    registration_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    queue = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    state = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    throttles = NumberAttribute(default=0)  # sends refused for the account's rate; not attempts
    last_error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    by_due = OutboxByDue()


class OwedPromotionsByDue(GlobalSecondaryIndex):  # type: ignore[type-arg, no-untyped-call]
    Meta = _index_meta("by_due")
    queue = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class OwedPromotion(Model):
    """A waitlist promotion an event is owed: written in the same transaction as the change that freed
    a seat or raised a capacity, deleted once the waitlist has moved (`chalicelib/registration/waitlist.py`).

    It lives in the outbox table, beside the emails owed, on its own `by_due` partition (the email
    queue's name + `#waitlist`), so the same index, stream and schedule that deliver emails find it.
    One item per event (`waitlist#<event id>`): freeings in a row merge into one owed promotion, and
    `token` says which freeing wrote it last, so settling an older one never deletes a newer one.
    """
    Meta = _meta("outbox")
    id = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute()
    queue = UnicodeAttribute()
    due_at = UnicodeAttribute()
    token = UnicodeAttribute()
    by_due = OwedPromotionsByDue()


class SearchEntry(Model):
    """One searchable word of a registration (a name word, or the email), for prefix Queries.

    `term` is `<folded word>#<registration id>`, so `begins_with(term, "sengul")` finds Şengül.
    Written and erased in the same transactions as the registration's personal data.
    """
    Meta = _meta("search")
    event_id = UnicodeAttribute(hash_key=True)
    term = UnicodeAttribute(range_key=True)
    registration_id = UnicodeAttribute()


class CheckinList(Model):
    """A door's list (SPEC §4): the ticket types it admits, its entry rules and validity window.

    Lists of one event are independent: a ticket may enter once per list. Ticket state per list
    lives on the registration (`Registration.checkins`), counts on `Counter` item `list#<event>#<id>`.
    """
    Meta = _meta("checkin_lists")
    event_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    ticket_types = ListAttribute(of=UnicodeAttribute, default=list)
    allow_multiple_entries = BooleanAttribute(default=False)
    allow_entry_after_exit = BooleanAttribute(default=True)
    valid_from = UnicodeAttribute(null=True)
    valid_until = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class Scan(Model):
    """The audit log of door scans, refused ones too. No personal data: ids, times and outcomes.

    `id` is `<scan time, UTC>#<list>#<nonce or random>#<outcome>`, so an event's log reads in scan
    order and a re-uploaded offline scan (same time, nonce and outcome) lands on the same item.
    `reason` is why the scan was refused or, with `forced`, what force overrode.
    """
    Meta = _meta("scans")
    event_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    list_id = UnicodeAttribute()
    type = UnicodeAttribute()
    ok = BooleanAttribute()
    reason = UnicodeAttribute(null=True)
    forced = BooleanAttribute(default=False)
    manual = BooleanAttribute(null=True)  # True: a person found by name, admitted by registration id
    registration_id = UnicodeAttribute(null=True)
    token_id = UnicodeAttribute()
    nonce = UnicodeAttribute(null=True)
    time = UnicodeAttribute()
    scanned_at = UnicodeAttribute(null=True)


class RevokedSecret(Model):
    """A ticket secret replaced by a reissue, for offline scanners (online, the revision decides)."""
    Meta = _meta("revoked_secrets")
    event_id = UnicodeAttribute(hash_key=True)
    secret = UnicodeAttribute(range_key=True)
    registration_id = UnicodeAttribute()
    revision = NumberAttribute()
    revoked_at = UnicodeAttribute()


ALL_MODELS: tuple[type[Model], ...] = (Event, Registration, Counter, Claim, Token, OutboxMessage,
                                       SearchEntry, CheckinList, Scan, RevokedSecret, TokenGrant)
