"""The delivery pipeline against the real store, with transports that fail on purpose."""
import random
import threading

import pytest

from chalicelib.common.config import settings
from chalicelib.common.errors import SoldOut
from chalicelib.mail.errors import PermanentSendError, TransientSendError
from chalicelib.mail.pipeline import Pipeline
from chalicelib.registration import moves, registering
from chalicelib.storage.models import Registration
from tests.data import registration_body
from tests.stack import index_settled

SENDER = "Kapı <tickets@kapi.example>"


class Recording:
    """Keeps what it was given; fails with probability `fail_rate`, transiently or for good."""

    def __init__(self, fail_rate=0.0, permanent=False, seed=7):
        self.sent = []
        self.fail_rate = fail_rate
        self.permanent = permanent
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def send(self, message):
        with self.lock:
            if self.random.random() < self.fail_rate:
                raise (PermanentSendError if self.permanent else TransientSendError)("550 mailbox on fire")
            self.sent.append(message)


def pipeline(db, transport, **kwargs):
    return Pipeline(db, transport, SENDER, "http://kapi.test", retry_seconds=0, **kwargs)


def drain(pipe, rounds=200):
    for _ in range(rounds):
        index_settled()  # run_due finds its work through an index
        if pipe.run_due() == 0:
            return
    raise AssertionError("the outbox did not drain")


def register_many(db, event_id, count):
    return [registering.register(db, event_id, registration_body(name=f"Gülşən {i}"), client_key="t",
                                   rate_limit=0).body["id"] for i in range(count)]


def test_flaky_transport_delivers_every_message_exactly_once(db, make_event):
    event = make_event()
    ids = register_many(db, event["id"], 30)
    transport = Recording(fail_rate=0.3)
    pipe = pipeline(db, transport, max_attempts=20)
    workers = [threading.Thread(target=drain, args=(pipe,)) for _ in range(3)]  # competing workers
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    states = [db.Registration.get(rid) for rid in ids]
    recipients = [m["To"].addresses[0].addr_spec for m in transport.sent]
    assert sorted(recipients) == sorted(r.email for r in states)
    assert {r.email_status for r in states} == {"sent"}
    assert any(r.email_attempts > 1 for r in states), "30% failures should have caused retries"


def test_always_failing_transport_marks_failed_and_resend_delivers(db, make_event):
    event = make_event()
    [rid] = register_many(db, event["id"], 1)
    drain(pipeline(db, Recording(fail_rate=1.0), max_attempts=3))
    failed = db.Registration.get(rid)
    assert failed.email_status == "failed" and failed.email_attempts == 3
    assert "mailbox on fire" in failed.email_error

    moves.resend(db, event["id"], rid)
    assert db.Registration.get(rid).email_status == "queued"
    working = Recording()
    drain(pipeline(db, working))
    assert [m["To"].addresses[0].addr_spec for m in working.sent] == [db.Registration.get(rid).email]
    assert db.Registration.get(rid).email_status == "sent"


def test_permanent_failure_is_not_retried(db, make_event):
    event = make_event()
    [rid] = register_many(db, event["id"], 1)
    transport = Recording(fail_rate=1.0, permanent=True)
    drain(pipeline(db, transport, max_attempts=5))
    registration = db.Registration.get(rid)
    assert registration.email_status == "failed" and registration.email_attempts == 1


def test_nothing_is_sent_for_a_registration_that_was_not_written(db, make_event):
    event = make_event(capacity=1)
    register_many(db, event["id"], 1)
    with pytest.raises(SoldOut):
        registering.register(db, event["id"], registration_body(), client_key="t", rate_limit=0)
    transport = Recording()
    drain(pipeline(db, transport))
    assert len(transport.sent) == 1


def test_erased_registration_gets_no_email(db, make_event):
    event = make_event()
    [rid] = register_many(db, event["id"], 1)
    db.Registration(rid).update(actions=[Registration.erased.set(True)])
    transport = Recording()
    drain(pipeline(db, transport))
    assert all(rid not in m.as_string() for m in transport.sent)
    assert transport.sent == []
    index_settled()
    assert rid not in [m.registration_id for m in db.OutboxMessage.by_due.query(settings().outbox_queue)]


class ResendingWhileSending(Recording):
    """The organiser presses resend while the first email is on its way."""

    def __init__(self, db, event_id, registration_id):
        super().__init__()
        self.db = db
        self.pending = [(event_id, registration_id)]

    def send(self, message):
        if self.pending:
            moves.resend(self.db, *self.pending.pop())
        super().send(message)


def test_a_delivery_finishing_after_a_resend_leaves_the_resend_queued(db, make_event):
    event = make_event()
    [rid] = register_many(db, event["id"], 1)
    transport = ResendingWhileSending(db, event["id"], rid)
    pipe = pipeline(db, transport)
    index_settled()  # the message is found through an index
    [first] = db.OutboxMessage.by_due.query(settings().outbox_queue)
    assert pipe.deliver(first.id) == "sent"
    assert db.Registration.get(rid).email_status == "queued"  # the resent email has not gone yet
    drain(pipe)
    assert len(transport.sent) == 2 and db.Registration.get(rid).email_status == "sent"


def test_two_messages_for_one_registration_in_one_round_are_both_sent_and_the_newer_status_kept(db, make_event):
    """A resend queued before the first ticket went: one round sends both, records the outcomes of
    its messages in shared transactions, and the older message's "sent" never takes the newer one's
    place on the registration (its part is dropped, the other outcomes of its batch still written)."""
    event = make_event()
    ids = register_many(db, event["id"], 6)
    moves.resend(db, event["id"], ids[2])
    transport = Recording()
    drain(pipeline(db, transport))
    recipients = [m["To"].addresses[0].addr_spec for m in transport.sent]
    people = {rid: db.Registration.get(rid) for rid in ids}
    assert sorted(recipients) == sorted([p.email for p in people.values()] + [people[ids[2]].email])
    assert {p.email_status for p in people.values()} == {"sent"}
    index_settled()
    assert [m for m in db.OutboxMessage.by_due.query(settings().outbox_queue)] == []
