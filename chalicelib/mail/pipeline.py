"""Delivering the emails the outbox holds: claim, compose, send, record; retry with backoff.

Messages are written by the same transaction as the registration change that owes them (see
`chalicelib/outbox.py`), so this side only ever sees committed work. Each delivery first takes a
short lease on the message with a conditional update, so two workers (the stream handler and the
sweeper in AWS, or two threads locally) never send it twice at once. A send that fails
transiently is retried with exponential backoff; after `max_attempts`, or at once for a permanent
failure, the message and its registration are marked `failed`, visible to organisers, who can
resend. A crash between a successful send and its record re-sends once after the lease expires:
delivery is at-least-once, and exactly-once whenever the worker survives. The outcome is written on
the registration only while it is still the message the registration last queued (`email_message`),
so a delivery finishing after a resend never turns the resend's "queued" into "sent" or "failed".
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import UpdateError

from chalicelib import clock, events
from chalicelib.config import settings
from chalicelib.i18n import localized
from chalicelib.mail.compose import TICKET_KINDS, compose
from chalicelib.mail.errors import PermanentSendError, SendError
from chalicelib.mail.transports import Transport
from chalicelib.outbox import PENDING, is_email
from chalicelib.storage.models import OutboxMessage, Registration
from chalicelib.tickets.issuing import secret_for
from chalicelib.tickets.links import ticket_links

LEASE_SECONDS = 120


@dataclass
class Pipeline:
    transport: Transport
    sender: str
    public_url: str
    max_attempts: int = 8
    retry_seconds: float = 30.0

    def run_due(self, limit: int = 50) -> int:
        """Deliver up to `limit` messages whose time has come; returns how many were attempted."""
        now = clock.iso(clock.now())
        queue = settings().outbox_queue
        due = list(OutboxMessage.by_due.query(queue, OutboxMessage.due_at <= now, limit=limit))
        for message in due:
            self.deliver(message.id)
        return len(due)

    def deliver(self, message_id: str) -> str:
        """Try one message; returns its state afterwards ("sent", "pending", "failed", "skipped",
        or "busy" when another worker holds it)."""
        message = self._claim(message_id)
        if message is None:
            return "busy"
        registration = Registration.get(message.registration_id, consistent_read=True)
        if registration.erased:
            return self._finish(message, registration, "skipped", None)
        try:
            self.transport.send(self._compose(message, registration))
        except PermanentSendError as error:
            return self._finish(message, registration, "failed", str(error))
        except ValueError:  # an address no email header can carry; the error's text may quote it
            return self._finish(message, registration, "failed", "the address cannot be used in an email")
        except SendError as error:
            if message.attempts >= self.max_attempts:
                return self._finish(message, registration, "failed", str(error))
            return self._retry_later(message, registration, str(error))
        return self._finish(message, registration, "sent", None)

    def deliver_stream_records(self, records: list[dict]) -> dict:
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
        now = clock.now()
        message = OutboxMessage(message_id)
        try:
            message.update(
                actions=[OutboxMessage.attempts.add(1),
                         OutboxMessage.due_at.set(clock.iso(now + timedelta(seconds=LEASE_SECONDS)))],
                condition=(OutboxMessage.state == PENDING) & (OutboxMessage.due_at <= clock.iso(now)))
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return message

    def _compose(self, message: OutboxMessage, registration: Registration):
        event = events.load(message.event_id)
        secret = secret_for(registration)
        ticket_type = events.ticket_type(event, registration.ticket_type)
        return compose(
            message.kind,
            registration={"id": registration.id, "name": registration.name, "email": registration.email,
                          "ticket_type_name": localized(ticket_type["name"], registration.language)},
            event=event, language=registration.language, sender=self.sender,
            ticket={"secret": secret} if message.kind in TICKET_KINDS else None,
            links=ticket_links(self.public_url, secret))

    def _retry_later(self, message: OutboxMessage, registration: Registration, error: str) -> str:
        delay = self.retry_seconds * 2 ** (message.attempts - 1) * random.uniform(0.8, 1.2)
        message.update(actions=[OutboxMessage.due_at.set(clock.iso(clock.now() + timedelta(seconds=delay))),
                                OutboxMessage.last_error.set(error)])
        _record_on_registration(registration, message, "queued", error)
        return PENDING

    def _finish(self, message: OutboxMessage, registration: Registration, state: str, error: str | None) -> str:
        """Take the message off the due index (sparse: no queue, no due_at) and record the outcome."""
        message.update(actions=[OutboxMessage.state.set(state), OutboxMessage.queue.remove(),
                                OutboxMessage.due_at.remove(), OutboxMessage.last_error.set(error),
                                OutboxMessage.sent_at.set(clock.iso(clock.now()) if state == "sent" else None)])
        if state != "skipped":
            _record_on_registration(registration, message, state, error)
        return state


def _record_on_registration(registration: Registration, message: OutboxMessage, state: str, error: str | None) -> None:
    """Record a delivery's outcome on the registration unless a newer message (a resend, a move) has
    been queued for it since: that one's "queued" must not be overwritten by this one's "sent"."""
    own = (Registration.email_message == message.id) | Registration.email_message.does_not_exist()
    try:
        registration.update(actions=[Registration.email_status.set(state),
                                     Registration.email_attempts.set(message.attempts),
                                     Registration.email_error.set(error)], condition=own)
    except UpdateError as error_:
        if error_.cause_response_code != "ConditionalCheckFailedException":
            raise


def pipeline_from_settings() -> Pipeline:
    from chalicelib.mail.transports import transport_from_config

    cfg = settings()
    transport = transport_from_config({
        "transport": cfg.mail_transport, "outbox_dir": cfg.data_dir / "outbox", "smtp_host": cfg.smtp_host,
        "smtp_port": cfg.smtp_port, "smtp_starttls": cfg.smtp_starttls, "smtp_user": cfg.smtp_user,
        "smtp_password": cfg.smtp_password})
    return Pipeline(transport, cfg.mail_from, cfg.public_url, cfg.mail_max_attempts, cfg.mail_retry_seconds)


@functools.lru_cache(maxsize=1)
def default_pipeline() -> Pipeline:
    """The process's pipeline, built once from settings (a transport may hold connections)."""
    return pipeline_from_settings()
