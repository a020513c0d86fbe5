"""A freed seat reaches the waitlist even when the process that freed it dies right after its commit.

The crash is simulated in this process (the follow-up raises, as if the process died there); the
recovery is the local run's own workers, found over HTTP and in the outbox folder.
"""
import email
from email import policy

import pytest

from chalicelib.common.config import settings
from chalicelib.events import events
from chalicelib.registration import actions, waitlist
from chalicelib.storage.outbox import promotion_key
from tests.data import registration_body
from tests.delivery.test_ticket_email import has_ticket
from tests.waiting import eventually


class Crash(BaseException):
    """The process dying: nothing in the code catches it."""


@pytest.fixture
def in_local_run_queue(monkeypatch):
    """Work written here is owed to the local run's workers (its KAPI_OUTBOX_QUEUE)."""
    monkeypatch.setenv("KAPI_OUTBOX_QUEUE", "local-run")
    settings.cache_clear()
    yield
    settings.cache_clear()


def one_full_with_one_waiting(api, make_event):
    event = make_event(capacity=1, waitlist=True)
    path = f"/api/events/{event['id']}/registrations"
    first = api.post(path, json=registration_body()).json()
    second_body = registration_body()
    second = api.post(path, json=second_body).json()
    assert (first["status"], second["status"]) == ("confirmed", "waitlisted")
    return event, first, second, second_body["email"]


def assert_promoted_and_emailed_once(db, api, local_run, event, registration_id, address):
    """The waits allow for the emails other tests queued before (the mail worker sends in order)."""
    path = f"/api/events/{event['id']}/registrations/{registration_id}"
    view = lambda: api.get(path, token=api.admin_token).json()  # noqa: E731
    eventually("the waiting registration is confirmed", lambda: view()["status"] == "confirmed", timeout=300)
    eventually("its email is sent and the debt settled", lambda: view()["email_status"] == "sent"
               and db.OwedPromotion.count(promotion_key(event["id"])) == 0, timeout=300)
    tickets = [m for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default)
                           for p in (local_run.data_dir / "outbox").glob("*.eml"))
               if address in str(m["To"]) and has_ticket(m)]
    assert len(tickets) == 1


def test_a_crash_right_after_a_cancel_still_promotes_and_emails_once(db, api, local_run, make_event, monkeypatch,
                                                                      in_local_run_queue):
    event, first, second, address = one_full_with_one_waiting(api, make_event)

    def crash(db, event_id):
        raise Crash()

    with monkeypatch.context() as patched:
        patched.setattr(waitlist, "promote_waitlist", crash)
        with pytest.raises(Crash):
            actions.apply(db, event["id"], first["id"], "cancel")
    assert api.get(f"/api/events/{event['id']}/registrations/{first['id']}",
                   token=api.admin_token).json()["status"] == "cancelled"
    assert_promoted_and_emailed_once(db, api, local_run, event, second["id"], address)


def test_a_crash_right_after_raising_the_capacity_still_promotes(db, api, local_run, make_event, in_local_run_queue):
    event, _, second, address = one_full_with_one_waiting(api, make_event)
    events.patch(db, event["id"], {"capacity": 2})  # committed; the handler's follow-up never runs
    assert_promoted_and_emailed_once(db, api, local_run, event, second["id"], address)
