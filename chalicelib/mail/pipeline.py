"""Delivering the emails the outbox holds: claim, compose, send, record; retry with backoff.

Messages are written by the same transaction as the registration change that owes them (see
`chalicelib/storage/outbox.py`), so this side only ever sees committed work. Each delivery first takes a
short lease on the message with a conditional update, so two workers (the stream handler and the
sweeper in AWS, or two threads locally) never send it twice at once. A send that fails
transiently is retried with exponential backoff; after `max_attempts`, or at once for a permanent
failure, the message and its registration are marked `failed`, visible to organisers, who can
resend. A crash between a successful send and its record re-sends once after the lease expires:
delivery is at-least-once, and exactly-once whenever the worker survives. The outcome is written on
the registration only while it is still the message the registration last queued (`email_message`),
so a delivery finishing after a resend never turns the resend's "queued" into "sent" or "failed".

Pace and throughput: sends wait for a slot of the shared pacer (`pacing.py`) when the account has a
rate, and none is tried while the day's quota is used up. A throttled send is retried after a short
backoff without using one of its attempts. A round leases all its messages with one
TransactWriteItems, reads their registrations with one BatchGetItem and each event once, then
composes and sends on `parallel` threads, and records the outcomes, on each message and on its
registration, with one TransactWriteItems for every `RECORD_BATCH` messages: about 0.2 round trips a
message instead of five. A batch is written as soon as it is full, so a crash between a send and its
record re-sends at most the unwritten batch and the sends in flight, each once, after the lease.
"""
from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Callable

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.common import clock
from chalicelib.common.config import settings
from chalicelib.events import definition, events
from chalicelib.i18n import localized
from chalicelib.mail.compose import TICKET_KINDS, compose
from chalicelib.mail.errors import PermanentSendError, SendError, ThrottledSendError
from chalicelib.mail.pacing import SharedPacer
from chalicelib.mail.quota import CachedQuota, Quota
from chalicelib.mail.transports import Transport
from chalicelib.storage import updates
from chalicelib.storage.models import OutboxMessage, Registration
from chalicelib.storage.outbox import PENDING, is_email
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import ConditionsFailed
from chalicelib.tickets.issuing import manage_secret_for, secret_for
from chalicelib.tickets.links import ticket_links

LEASE_SECONDS = 120
MAX_CLAIM = 100  # a TransactWriteItems holds at most 100 actions
RECORD_BATCH = 10  # outcomes a transaction writes (two actions each): a tenth of a second of sending
THROTTLE_BACKOFF_SECONDS = (1.0, 60.0)  # first and longest wait after a throttled send


def _no_limits() -> Quota:
    return Quota()


@dataclass
class Pipeline:
    db: Tables
    transport: Transport
    sender: str
    public_url: str
    max_attempts: int = 8
    retry_seconds: float = 30.0
    quota: Callable[[], Quota] = _no_limits
    parallel: int = 4
    _pacer: SharedPacer | None = field(default=None, init=False, repr=False)
    _pacer_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def run_due(self, limit: int = 100) -> int:
        """Deliver up to `limit` messages whose time has come; returns how many were attempted."""
        if self.quota().exhausted():
            return 0  # they wait, pending, until the day's quota has room again
        now = clock.iso(clock.now())
        queue = settings().outbox_queue
        due = list(self.db.OutboxMessage.by_due.query(queue, OutboxMessage.due_at <= now, limit=min(limit, MAX_CLAIM)))
        if not due:
            return 0
        claimed = _claim_all(self.db, due)
        if claimed:
            found = {r.id: r for r in self.db.Registration.batch_get(list({m.registration_id for m in claimed}),
                                                               consistent_read=True)}
            event_docs = {event_id: events.load(self.db, event_id) for event_id in {m.event_id for m in claimed}}
            outcomes = _Outcomes(self.db, RECORD_BATCH)
            try:
                with ThreadPoolExecutor(min(self.parallel, len(claimed))) as pool:
                    list(pool.map(lambda m: self._deliver_claimed(m, found.get(m.registration_id),
                                                                  event_docs[m.event_id], outcomes.add), claimed))
            finally:
                outcomes.flush()
        return len(due)

    def deliver(self, message_id: str) -> str:
        """Try one message; returns its state afterwards ("sent", "pending", "failed", "skipped",
        or "busy" when another worker holds it or the day's quota is used up)."""
        if self.quota().exhausted():
            return "busy"
        message = self._claim(message_id)
        if message is None:
            return "busy"
        registration = self.db.Registration.get(message.registration_id, consistent_read=True)
        return self._deliver_claimed(message, registration, events.load(self.db, message.event_id),
                                     lambda outcome: _record(self.db, [outcome]))

    def _deliver_claimed(self, message: OutboxMessage, registration: Registration | None, event: dict[str, Any],
                         record: Callable[["_Outcome"], None]) -> str:
        if registration is None or registration.erased:
            return self._finish(record, message, registration, "skipped", None)
        try:
            composed = self._compose(message, registration, event)
            self._wait_for_slot()
            self.transport.send(composed)
        except ThrottledSendError as error:
            return self._retry_throttled(message, registration, str(error))
        except PermanentSendError as error:
            return self._finish(record, message, registration, "failed", str(error))
        except ValueError:  # an address no email header can carry; the error's text may quote it
            return self._finish(record, message, registration, "failed", "the address cannot be used in an email")
        except SendError as error:
            if message.attempts >= self.max_attempts:
                return self._finish(record, message, registration, "failed", str(error))
            return self._retry_later(record, message, registration, str(error))
        return self._finish(record, message, registration, "sent", None)

    def deliver_stream_records(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """A DynamoDB stream batch (new outbox emails); failed ones are reported for Lambda to retry."""
        failures = []
        for record in records:
            if record.get("eventName") != "INSERT" or not is_email(record["dynamodb"]["Keys"]["id"]["S"]):
                continue
            try:
                self.deliver(record["dynamodb"]["Keys"]["id"]["S"])
            except Exception:  # noqa: BLE001 - report the item, keep the batch going
                failures.append({"itemIdentifier": record["dynamodb"].get("SequenceNumber", "")})
        return {"batchItemFailures": failures}

    def _claim(self, message_id: str) -> OutboxMessage | None:
        message = self.db.OutboxMessage(message_id)
        actions, condition = _lease(clock.now())
        try:
            message.update(actions=actions, condition=condition)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return message

    def _wait_for_slot(self) -> None:
        """Take a send slot when the account has a rate (the pacer follows the rate if it changes)."""
        rate = self.quota().max_per_second
        if rate is None:
            return
        with self._pacer_lock:
            if self._pacer is None or self._pacer.rate != rate:
                self._pacer = SharedPacer(self.db, rate)
            pacer = self._pacer
        pacer.wait()

    def _compose(self, message: OutboxMessage, registration: Registration, event: dict[str, Any]) -> EmailMessage:
        ticket_type = definition.ticket_type(event, registration.ticket_type)
        return compose(
            message.kind,
            registration={"id": registration.id, "name": registration.name, "email": registration.email,
                          "ticket_type_name": localized(ticket_type["name"], registration.language)},
            event=event, language=registration.language, sender=self.sender,
            ticket={"secret": secret_for(registration)} if message.kind in TICKET_KINDS else None,
            links=ticket_links(self.public_url, manage_secret_for(registration), event["id"]))

    def _retry_later(self, record: Callable[["_Outcome"], None], message: OutboxMessage,
                     registration: Registration, error: str) -> str:
        """Make the message due again and record "queued" on the registration in one transaction: as
        two writes, "queued" had to land first, or a retried one could overwrite another worker's
        "sent" for the next attempt."""
        delay = self.retry_seconds * 2 ** (message.attempts - 1) * random.uniform(0.8, 1.2)
        record(_Outcome(message, [OutboxMessage.due_at.set(clock.iso(clock.now() + timedelta(seconds=delay))),
                                  OutboxMessage.last_error.set(error)], registration, "queued", error))
        return PENDING

    def _retry_throttled(self, message: OutboxMessage, registration: Registration, error: str) -> str:
        """Nothing was sent: try again after a backoff that doubles per throttle, keeping the attempt."""
        first, longest = THROTTLE_BACKOFF_SECONDS
        delay = min(longest, first * 2 ** (message.throttles or 0)) * random.uniform(0.5, 1.5)
        updates.update(self.db.OutboxMessage, message.id, [
            OutboxMessage.due_at.set(clock.iso(clock.now() + timedelta(seconds=delay))),
            OutboxMessage.attempts.add(-1), OutboxMessage.throttles.add(1), OutboxMessage.last_error.set(error)])
        return PENDING

    def _finish(self, record: Callable[["_Outcome"], None], message: OutboxMessage,
                registration: Registration | None, state: str, error: str | None) -> str:
        """Take the message off the due index (sparse: no queue, no due_at) and record the outcome."""
        record(_Outcome(message, [
            OutboxMessage.state.set(state), OutboxMessage.queue.remove(), OutboxMessage.due_at.remove(),
            OutboxMessage.last_error.set(error),  # type: ignore[arg-type]  # None removes a nullable attribute
            OutboxMessage.sent_at.set(clock.iso(clock.now()) if state == "sent" else None)],  # type: ignore[arg-type]
            registration if state != "skipped" else None, state, error))
        return state


def _claim_all(db: Tables, due: list[OutboxMessage]) -> list[OutboxMessage]:
    """Lease the messages a query of the due index found, in one TransactWriteItems instead of one
    UpdateItem each. Each part holds the single claim's condition (still pending, due) and also that
    `attempts` and `throttles` are what the index showed, so the counts known here are the item's
    although nothing is read back. A part whose condition failed (another worker took the message,
    or the index lagged) cancels the transaction: it is dropped and the rest tried again."""
    now = clock.now()
    actions, leasable = _lease(now)
    pending = {message.id: message for message in due}
    while pending:
        transaction = db.transaction()
        for message in pending.values():
            transaction.update(message.id, message, actions,
                               condition=leasable & (OutboxMessage.attempts == message.attempts)
                               & _throttles_are(message.throttles))
        try:
            transaction.commit()
            break
        except ConditionsFailed as failed:
            for message_id in failed.labels:
                del pending[message_id]
    until = _lease_end(now)
    for message in pending.values():
        message.attempts += 1
        message.due_at = until
    return list(pending.values())


def _lease(now: datetime) -> tuple[list[Any], Any]:
    """A claim's actions (one more attempt, due again when the lease ends) and its condition (still
    pending and due): the single claim and a round's claim lease a message alike."""
    return ([OutboxMessage.attempts.add(1), OutboxMessage.due_at.set(_lease_end(now))],
            (OutboxMessage.state == PENDING) & (OutboxMessage.due_at <= clock.iso(now)))


def _lease_end(now: datetime) -> str:
    return clock.iso(now + timedelta(seconds=LEASE_SECONDS))


def _throttles_are(count: float) -> Condition:
    """A message written before `throttles` existed has none: that is a count of 0."""
    same = OutboxMessage.throttles == count
    return same | OutboxMessage.throttles.does_not_exist() if count == 0 else same


@dataclass
class _Outcome:
    """What a delivery attempt writes: `message_actions` on the message and, unless `registration` is
    None, its state on the registration."""
    message: OutboxMessage
    message_actions: list[Any]
    registration: Registration | None
    state: str
    error: str | None


class _Outcomes:
    """A round's outcomes, written `size` at a time as the sending threads hand them in, the rest at
    the end of the round. Two outcomes for one registration never share a transaction (DynamoDB
    refuses two actions on one item): the first batch goes before the second outcome joins."""

    def __init__(self, db: Tables, size: int) -> None:
        self.db = db
        self.size = size
        self.lock = threading.Lock()
        self.pending: list[_Outcome] = []

    def add(self, outcome: _Outcome) -> None:
        earlier, ready = [], []
        with self.lock:
            if outcome.registration is not None and any(
                    other.registration is not None and other.registration.id == outcome.registration.id
                    for other in self.pending):
                earlier, self.pending = self.pending, []
            self.pending.append(outcome)
            if len(self.pending) >= self.size:
                ready, self.pending = self.pending, []
        _record(self.db, earlier)
        _record(self.db, ready)

    def flush(self) -> None:
        with self.lock:
            ready, self.pending = self.pending, []
        _record(self.db, ready)


def _record(db: Tables, outcomes: list[_Outcome]) -> None:
    """Write the outcomes in one transaction: each message's actions, and each delivery's state on its
    registration unless a newer message (a resend, a move) has been queued for it since, since that
    one's "queued" must not be overwritten by this one's "sent". A registration part whose condition
    failed is dropped and the rest written again. Retried (`Transaction.commit`) past botocore's own
    retries: a message left leased after a send is sent again, and a registration may be in an
    organiser's transaction right now."""
    superseded: set[str] = set()
    while outcomes:
        transaction = db.transaction()
        for outcome in outcomes:
            message = outcome.message
            transaction.update(f"message {message.id}", message, outcome.message_actions)
            if outcome.registration is not None and message.id not in superseded:
                own = (Registration.email_message == message.id) | Registration.email_message.does_not_exist()
                transaction.update(message.id, outcome.registration, [
                    Registration.email_status.set(outcome.state), Registration.email_attempts.set(message.attempts),
                    Registration.email_error.set(outcome.error)], condition=own)  # type: ignore[arg-type]
        try:
            transaction.commit()
            return
        except ConditionsFailed as failed:
            superseded |= failed.labels  # only the registrations' parts have conditions


def pipeline_from_settings(db: Tables) -> Pipeline:
    from chalicelib.mail.transports import transport_from_config

    cfg = settings()
    transport = transport_from_config({
        "transport": cfg.mail_transport, "outbox_dir": cfg.data_dir / "outbox", "smtp_host": cfg.smtp_host,
        "smtp_port": cfg.smtp_port, "smtp_starttls": cfg.smtp_starttls, "smtp_user": cfg.smtp_user,
        "smtp_password": cfg.smtp_password})
    account_limits = getattr(transport, "quota", None)  # SES knows its account's; others are configured
    configured = Quota(cfg.mail_rate, cfg.mail_daily)
    quota = CachedQuota(account_limits) if account_limits else (lambda: configured)
    return Pipeline(db, transport, cfg.mail_from, cfg.public_url, cfg.mail_max_attempts, cfg.mail_retry_seconds,
                    quota=quota, parallel=cfg.mail_parallel)

