"""Email at the account's pace: 400 queued tickets through a provider that throttles above its rate.

Two pipelines stand for two consumers (two Lambda instances), each with its own threads; they share
the rate through the pacer's item in the store. The provider refuses any send over its rate the way
SES does, so every refusal the pipelines provoke is counted.
"""
import threading
import time
import uuid

from chalicelib.common import clock
from chalicelib.common.ids import new_registration_id
from chalicelib.mail.errors import ThrottledSendError
from chalicelib.mail.pacing import PACE_KEY
from chalicelib.mail.pipeline import Pipeline
from chalicelib.mail.quota import Quota
from chalicelib.storage import outbox

RATE = 25  # sends a second the account allows: below what two consumers can compose, so the pacer is the limit
TICKETS = 400  # 15 s at RATE; the pacer's rules themselves are in tests/unit/test_pacing.py


class ThrottlingProvider:
    """Accepts at most RATE sends in any second (a token bucket with one second of burst)."""

    def __init__(self, rate: float):
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()
        self.sent, self.throttled = [], 0
        self.lock = threading.Lock()

    def send(self, message):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens < 1:
                self.throttled += 1
                raise ThrottledSendError("SES Throttling")
            self.tokens -= 1
            self.sent.append((now, message["To"].addresses[0].addr_spec))


def queue_tickets(db, event_id: str, count: int) -> list[str]:
    """`count` confirmed registrations with their ticket email queued, as registering leaves them,
    written in batches (registering them one transaction at a time is not what is measured here)."""
    now = clock.iso(clock.now())
    people = [db.Registration(new_registration_id(), event_id=event_id, event_status=f"{event_id}#confirmed",
                           created_key=f"{now}#{n:04d}", created_at=now, updated_at=now, ticket_type="general",
                           status="confirmed", name=f"Gülşən Əliyeva {n}", email=f"gulsen.{n}.{uuid.uuid4().hex[:6]}@example.org",
                           language="az", consent_at=now, revision=0, email_status="queued", email_attempts=0)
              for n in range(count)]
    with db.Registration.batch_write() as batch:
        for person in people:
            batch.save(person)
    with db.OutboxMessage.batch_write() as batch:
        for person in people:
            batch.save(outbox.message(db, person.id, event_id, "confirmed"))
    return [person.id for person in people]


def test_queued_tickets_go_out_once_each_at_the_accounts_rate(db, make_event):
    ids = queue_tickets(db, make_event()["id"], TICKETS)
    db.Counter(PACE_KEY).delete()  # a fresh account: no slots reserved by an earlier test
    provider = ThrottlingProvider(RATE)
    consumers = [Pipeline(db, provider, "Kapı <tickets@kapi.example>", "http://kapi.test", retry_seconds=0,
                          quota=lambda: Quota(max_per_second=RATE), parallel=4) for _ in range(2)]

    def drain(pipeline):
        idle_rounds = 0
        while idle_rounds < 20:  # throttled ones come back due within seconds
            idle_rounds = 0 if pipeline.run_due() else idle_rounds + 1
            time.sleep(0 if idle_rounds == 0 else 0.1)

    workers = [threading.Thread(target=drain, args=(pipeline,)) for pipeline in consumers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    recipients = [address for _, address in provider.sent]
    people = list(db.Registration.batch_get(ids, consistent_read=True))
    assert sorted(recipients) == sorted(person.email for person in people)  # every ticket, none twice
    assert len(people) == TICKETS and {person.email_status for person in people} == {"sent"}
    times = [at for at, _ in provider.sent]
    assert times[-1] - times[0] >= (TICKETS - RATE) / RATE  # at the account's pace, not faster
    assert provider.throttled <= TICKETS // 20, "the pacer kept the consumers under the rate"
    print(f"pacing: {len(times)} sent over {times[-1] - times[0]:.1f} s, {provider.throttled} throttled")
