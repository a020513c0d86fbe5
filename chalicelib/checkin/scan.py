"""A door scan: decided with pretix's reasons (SPEC §7), recorded in one DynamoDB transaction.

A successful scan costs one GetItem (the registration: status, ticket type, name, door state) and
one TransactWriteItems holding
  - the registration's `checkins.<list>` state, conditional on the version just read (and on the
    status, revision and ticket type the decision used): of two gates that read the same version
    only one can write; the other reads again and is refused `already_redeemed`;
  - with a nonce, a claim on it that stores the answer (without the attendee's name, which is
    personal data and is read again from the registration on a replay);
  - the audit entry;
  - the list's counts and, on a ticket's first entry on any list, the event's `arrived` count.
A refused scan writes only its audit entry. A repeated nonce returns the stored answer and writes
nothing; a refused scan never claims its nonce, so a later success with that nonce still counts.

A person found by name at the door (the QR lost) is scanned with `{registration_id, type, nonce?}`
instead of a secret (SPEC §16: the door never sees secrets). It is judged like a scan of the
ticket's current secret, with the same reasons and answers, and audited as `manual` with its token.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.operand import Path

from chalicelib import i18n
from chalicelib.checkin import counts, lists, state
from chalicelib.common import clock
from chalicelib.common.errors import ApiError, FieldError, ServiceUnavailable, ValidationError
from chalicelib.common.ids import new_id, registration_id_bytes
from chalicelib.common.text import is_printable_ascii
from chalicelib.events import counters
from chalicelib.storage import shards
from chalicelib.storage.models import Claim, Registration, Scan
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import ConditionsFailed
from chalicelib.tickets.issuing import verify
from chalicelib.tickets.secrets import InvalidTicket

TYPES = ("entry", "exit")
CANCELED = frozenset({"cancelled", "rejected"})
UNAPPROVED = frozenset({"waitlisted", "pending_approval"})
MAX_ATTEMPTS = 8
MAX_BATCH = 100  # each scan is a read and a write: a batch must answer well within API Gateway's 29 s
MAX_NONCE = 200
MAX_AHEAD = timedelta(minutes=5)  # a scanner's clock may run a little fast; more is a wrong clock
_FIELDS = ("secret", "type", "nonce", "scanned_at", "force", "offline", "registration_id")
_MANUAL_FIELDS = frozenset({"registration_id", "type", "nonce"})


@dataclass(frozen=True)
class ScanRequest:
    secret: str | None  # None: a manual admission of `registration_id`
    type: str
    nonce: str | None = None
    scanned_at: str | None = None
    force: bool = False
    offline: bool = False  # admitted at the gate while offline: a refusal here is a conflict to report
    registration_id: str | None = None  # a person found by the door search, admitted without a secret

    @property
    def manual(self) -> bool:
        return self.registration_id is not None


@dataclass(frozen=True)
class Door:
    """Where and by whom scans are made, resolved once per request from the per-process caches.
    `scans_from`: no scan of this event's tickets can have been made before it."""
    event: dict[str, Any]
    checkin_list: dict[str, Any]
    token_id: str
    language: str
    scans_from: datetime


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def door(db: Tables, event_id: str, list_id: str, token_id: str, language: str) -> Door:
    return Door(lists.event(db, event_id), lists.get(db, event_id, list_id), token_id, language,
                lists.scans_from(db, event_id))


# --- Requests ---------------------------------------------------------------------------------

def parse(body: dict[str, Any], door: Door) -> ScanRequest:
    request, problems = _parse(body, "", door, clock.now())
    if problems:
        raise ValidationError("error.scan.invalid", problems)
    return request  # type: ignore[return-value]  # None only with problems, raised above


def parse_batch(body: dict[str, Any], door: Door) -> list[ScanRequest]:
    """`{scans: [...]}` from an offline scanner; 400 naming each bad field as `scans.<n>.<field>`.
    The whole batch is checked before any scan of it is applied."""
    scans = body.get("scans")
    if set(body) != {"scans"} or not isinstance(scans, list) or not 1 <= len(scans) <= MAX_BATCH:
        raise ValidationError.field("scans", "error.scan.batch", limit=MAX_BATCH)
    now = clock.now()
    parsed = [_parse(scan, f"scans.{n}.", door, now) for n, scan in enumerate(scans)]
    problems = [problem for _, found in parsed for problem in found]
    if problems:
        raise ValidationError("error.scan.batch_invalid", problems)
    return [request for request, _ in parsed]  # type: ignore[misc]  # None only with problems


def _parse(body: Any, prefix: str, door: Door, now: datetime) -> tuple[ScanRequest | None, list[FieldError]]:
    if not isinstance(body, dict):
        return None, [FieldError(prefix.rstrip(".") or "body", "error.scan.not_object")]
    problems = [FieldError(prefix + name, "error.field.unknown") for name in sorted(set(body) - set(_FIELDS))]
    secret, registration_id = body.get("secret"), body.get("registration_id")
    scan_type, nonce, scanned_at = body.get("type", "entry"), body.get("nonce"), body.get("scanned_at")
    force, offline = body.get("force", False), body.get("offline", False)
    problems += _ticket_problems(body, prefix)
    if scan_type not in TYPES:
        problems.append(FieldError(prefix + "type", "error.scan.type"))
    if nonce is not None and not is_printable_ascii(nonce, MAX_NONCE):
        problems.append(FieldError(prefix + "nonce", "error.text.ascii", limit=MAX_NONCE))
    if scanned_at is not None:
        problem = _scan_time_problem(scanned_at, door, now)
        if problem:
            problems.append(FieldError(prefix + "scanned_at", problem))
    for name, flag in (("force", force), ("offline", offline)):
        if not isinstance(flag, bool):
            problems.append(FieldError(prefix + name, "error.boolean"))
    if problems:
        return None, problems
    return ScanRequest(secret, scan_type, nonce, scanned_at, force, offline, registration_id), []


def _ticket_problems(body: dict[str, Any], prefix: str) -> list[FieldError]:
    """A scan names its ticket by the scanned `secret` or, for a person found by name, by
    `registration_id` with only `type` and `nonce` beside it: it is judged now and never forced."""
    secret, registration_id = body.get("secret"), body.get("registration_id")
    if "registration_id" not in body:
        return [] if isinstance(secret, str) and secret else [FieldError(prefix + "secret", "error.scan.secret")]
    if "secret" in body:
        return [FieldError(prefix + "registration_id", "error.scan.secret_or_registration")]
    problems = [FieldError(prefix + name, "error.scan.manual_field")
                for name in sorted(set(body) & set(_FIELDS) - _MANUAL_FIELDS)]
    if not isinstance(registration_id, str) or not registration_id:
        problems.append(FieldError(prefix + "registration_id", "error.scan.registration_id"))
    return problems


def _scan_time_problem(value: Any, door: Door, now: datetime) -> str | None:
    """Why `scanned_at` cannot be the time of a scan of this event (SPEC §7), as a catalogue key, or None."""
    try:
        moment = clock.parse_iso(value if isinstance(value, str) else "")
    except ValueError:
        return "error.time.invalid"
    if moment > now + MAX_AHEAD:
        return "error.scan.future"
    if moment < door.scans_from:
        return "error.scan.too_early"
    return None


# --- Scanning ---------------------------------------------------------------------------------

def perform(db: Tables, door: Door, request: ScanRequest, at_scan_time: bool = False) -> Answer:
    """One scan. An online scan is judged at the server's time: the `scanned_at` it carries is
    stored and orders its entries and exits, but cannot move it into a list's validity window.
    A queued offline scan (`at_scan_time`, from the batch endpoint) is judged when it was made."""
    received = clock.now()
    scanned_at = request.scanned_at or clock.iso(received)
    try:
        registration_id, revision = _ticket(request, door)
    except InvalidTicket:
        return _refuse(db, door, request, scanned_at, received, "invalid", None)
    for attempt in range(MAX_ATTEMPTS):
        registration = _registration(db, registration_id, door.event["id"])
        if registration is None or (revision is not None and revision > registration.revision):
            return _refuse(db, door, request, scanned_at, received, "invalid", None)
        ticket_state = state.all_lists(registration).get(door.checkin_list["id"])
        reason = _reason(door.checkin_list, request, registration,
                         int(registration.revision) if revision is None else revision, ticket_state,
                         clock.parse_iso(scanned_at) if at_scan_time else received)
        if reason is not None and not request.force:
            return (_replay(db, door, request, registration)
                    or _refuse(db, door, request, scanned_at, received, reason, registration, ticket_state))
        try:
            return _admit(db, door, request, registration, ticket_state, scanned_at, received, reason)
        except ConditionsFailed as failure:
            if "nonce" in failure.labels:
                replay = _replay(db, door, request, registration)
                if replay:
                    return replay
        time.sleep(random.uniform(0, 0.002 * 2 ** attempt))  # the ticket changed under us: read again
    raise ServiceUnavailable("error.scan.busy")


def _ticket(request: ScanRequest, door: Door) -> tuple[str, int | None]:
    """The registration a scan names and the revision of its secret (None for a manual admission, which
    stands for the current ticket). Raises InvalidTicket for a forged secret or a malformed id."""
    if request.registration_id is not None:
        try:
            registration_id_bytes(request.registration_id)
        except ValueError:
            raise InvalidTicket("not a registration id") from None
        return request.registration_id, None
    ref = verify(request.secret, door.event["id"])  # type: ignore[arg-type]  # parse: a secret or an id
    return ref.registration_id, ref.revision


def perform_batch(db: Tables, door: Door, requests: list[ScanRequest]) -> list[dict[str, Any]]:
    """Queued offline scans, applied in scan-time order and answered in request order.

    A scan that cannot be answered as a scan (e.g. a nonce already used for another ticket) gets
    the API's error body in its place; the others still count.
    """
    now = clock.now()
    order = sorted(range(len(requests)), key=lambda n: _moment(requests[n], now))
    results: list[dict[str, Any]] = [{}] * len(requests)
    for n in order:
        try:
            results[n] = perform(db, door, requests[n], at_scan_time=True).body
        except ApiError as error:
            results[n] = error.to_body(door.language)
    return results


def _moment(request: ScanRequest, default: datetime) -> datetime:
    return clock.parse_iso(request.scanned_at) if request.scanned_at else default


# What a scan reads of a registration: the door's decision and the name door staff check. The rest
# (form answers, email, consent...) stays in the store: less personal data read at the door, and a
# cheaper read (local stack, small bench registrations: GetItem p50 8.2 ms instead of 9.4-10.1 ms).
SCAN_ATTRIBUTES: list[Any] = [Registration.id, Registration.event_id, Registration.erased, Registration.revision,
                   Registration.status, Registration.ticket_type, Registration.name,
                   Registration.first_entry_at, Registration.checkins]


def _registration(db: Tables, registration_id: str, event_id: str) -> Registration | None:
    try:
        registration = db.Registration.get(registration_id, consistent_read=True, attributes_to_get=SCAN_ATTRIBUTES)
    except Registration.DoesNotExist:
        return None
    return registration if registration.event_id == event_id and not registration.erased else None


def _reason(checkin_list: dict[str, Any], request: ScanRequest, registration: Registration, revision: int,
            ticket_state: dict[str, Any] | None, moment: datetime) -> str | None:
    """Why this scan is refused, checked in SPEC §7's order; None if it is admitted.

    An exit of a genuine ticket of this event is always admitted, whatever happened to it since the
    person came in (cancelled, replaced by a reissue, another ticket type): nobody is kept inside.
    """
    if request.type == "exit":
        return None
    if revision < registration.revision:
        return "revoked"
    if registration.status in CANCELED:
        return "canceled"
    if registration.status in UNAPPROVED:
        return "unapproved"
    if not lists.admits(checkin_list, registration.ticket_type):
        return "product"
    if request.type == "entry" and not lists.open_at(checkin_list, moment):
        return "invalid_time"
    if request.type == "entry" and not state.entry_allowed(ticket_state, checkin_list):
        return "already_redeemed"
    return None


def _admit(db: Tables, door: Door, request: ScanRequest, registration: Registration,
           ticket_state: dict[str, Any] | None, scanned_at: str, received: datetime, forced_past: str | None) -> Answer:
    event_id, list_id = door.event["id"], door.checkin_list["id"]
    change = state.apply(ticket_state, request.type, scanned_at, clock.iso(received))
    stored = {"status": "ok", "type": request.type, "attendee": {"ticket_type": registration.ticket_type},
              "checkin": {"at": scanned_at, "forced": forced_past is not None},
              "list": {"id": list_id, "name": door.checkin_list["name"]}}
    conflict = request.offline and forced_past is not None
    if conflict:
        stored["conflict"] = _conflict(forced_past, ticket_state, list_id)  # type: ignore[arg-type]
    tx = db.transaction()
    tx.update("state", registration, *_state_update(registration, list_id, ticket_state, change, request, scanned_at))
    if request.nonce:
        tx.put("nonce", db.Claim(_nonce_key(event_id, list_id, request.nonce), owner=registration.id, response=stored),
               condition=Claim.pk.does_not_exist())
    tx.put("audit", _audit(db, door, request, scanned_at, received, forced_past, registration.id, ok=True))
    list_counts = counts.scan_actions(registration.ticket_type, request.type, change,
                                      clock.parse_iso(scanned_at), door.event["timezone"], conflict)
    if list_counts:
        tx.update("counts", counts.item(db, event_id, list_id), list_counts)
    if request.type == "entry" and registration.first_entry_at is None:
        tx.update("arrived", counters.item(db, event_id), shards.adds({"arrived": 1}))
    tx.commit()
    return Answer(201, _with_name(stored, registration))


def _conflict(reason: str, ticket_state: dict[str, Any] | None, list_id: str) -> dict[str, Any]:
    """What the server would have refused an offline admission for, and the entry it clashes with."""
    return {"reason": reason, "first_entry": _first_entry(ticket_state, list_id)}


def _first_entry(ticket_state: dict[str, Any] | None, list_id: str) -> dict[str, Any] | None:
    """The ticket's earliest entry on this list (`{at, list}`, `at` as its scanner sent it), if any."""
    first_at = (ticket_state or {}).get("first_at")
    return {"at": first_at, "list": list_id} if first_at else None


def _state_update(registration: Registration, list_id: str, ticket_state: dict[str, Any] | None, change: state.Change,
                  request: ScanRequest, scanned_at: str) -> tuple[list[Any], Any]:
    """The registration's update and its condition: nothing the decision read may have changed."""
    path = Path(["checkins", list_id])
    actions = [path.set(change.state)]
    condition = ((Registration.status == registration.status) & (Registration.revision == registration.revision)
                 & (Registration.ticket_type == registration.ticket_type))
    if ticket_state is None:
        condition &= path.does_not_exist()
    else:
        condition &= Path(["checkins", list_id, "version"]) == ticket_state["version"]
    if request.type == "entry" and registration.first_entry_at is None:
        actions.append(Registration.first_entry_at.set(scanned_at))
        condition &= Registration.first_entry_at.does_not_exist()
    return actions, condition


def _replay(db: Tables, door: Door, request: ScanRequest, registration: Registration) -> Answer | None:
    """The stored answer of an earlier successful scan with this nonce, if there was one."""
    if not request.nonce:
        return None
    try:
        claim = db.Claim.get(_nonce_key(door.event["id"], door.checkin_list["id"], request.nonce),
                          consistent_read=True)
    except Claim.DoesNotExist:
        return None
    if claim.owner != registration.id:
        raise ValidationError.field("nonce", "error.scan.nonce_reused")
    return Answer(201, _with_name(claim.response, registration))


def _refuse(db: Tables, door: Door, request: ScanRequest, scanned_at: str, received: datetime, reason: str,
            registration: Registration | None, ticket_state: dict[str, Any] | None = None) -> Answer:
    """Log the refusal (once per nonce, time and reason, so a re-uploaded batch adds nothing) and answer.

    An `already_redeemed` answer says when and on which list the ticket first came in (`first_entry`),
    so door staff can judge a pass-back."""
    record = _audit(db, door, request, scanned_at, received, reason,
                    registration and registration.id, ok=False)  # type: ignore[arg-type]
    try:
        record.save(condition=Scan.id.does_not_exist() if request.nonce else None)
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    body: dict[str, Any] = {"status": "error", "reason": reason,
                            "message": i18n.translate(_message_key(reason, registration), door.language)}
    if registration is not None:
        body["attendee"] = {"name": registration.name, "ticket_type": registration.ticket_type}
    if reason == "already_redeemed":
        body["first_entry"] = _first_entry(ticket_state, door.checkin_list["id"])
    return Answer(404 if reason == "invalid" else 400, body)


def _message_key(reason: str, registration: Registration | None) -> str:
    """`unapproved` covers two statuses the door staff answer differently: "wait" and "on the list"."""
    if reason == "unapproved" and registration is not None and registration.status == "waitlisted":
        return "checkin.reason.unapproved.waitlisted"
    return f"checkin.reason.{reason}"


def _audit(db: Tables, door: Door, request: ScanRequest, scanned_at: str, received: datetime, reason: str | None,
           registration_id: str | None, ok: bool) -> Scan:
    list_id = door.checkin_list["id"]
    moment = clock.iso(clock.parse_iso(scanned_at))
    return db.Scan(door.event["id"], f"{moment}#{list_id}#{request.nonce or new_id()}#{'ok' if ok else reason}",
                list_id=list_id, type=request.type, ok=ok, reason=reason, forced=ok and reason is not None,
                manual=request.manual or None, registration_id=registration_id, token_id=door.token_id,
                nonce=request.nonce, time=clock.iso(received), scanned_at=request.scanned_at)


def _with_name(stored: dict[str, Any], registration: Registration) -> dict[str, Any]:
    return {**stored, "attendee": {"name": registration.name, **stored["attendee"]}}


def _nonce_key(event_id: str, list_id: str, nonce: str) -> str:
    return f"nonce#{event_id}#{list_id}#{nonce}"
