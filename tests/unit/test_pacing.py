"""chalicelib/mail/pacing.py: send slots `1/rate` apart, shared by every consumer through one item in the
store. Against the store, with an injected clock and sleep (no real waiting), each test on a pace key of
its own.

tests/delivery/test_pacing.py (a thousand tickets through two pipelines and a throttling provider,
about 40 s of real sending) stays as the end-to-end proof; the spacing rules are checked here in
milliseconds.
"""
from __future__ import annotations

import time
import uuid

import pytest

from chalicelib.mail.pacing import SharedPacer


class FakeClock:
    """Seconds since the epoch that move only when someone sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = time.time()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def key():
    return f"pace#unit-{uuid.uuid4().hex[:8]}"


def pacer(db, rate: float, key: str, clock: FakeClock) -> SharedPacer:
    return SharedPacer(db, rate, key=key, clock=clock, sleep=clock.sleep)


def sends(pacer: SharedPacer, clock: FakeClock, count: int) -> list[float]:
    """When each of `count` sends may go, one after the other."""
    moments = []
    for _ in range(count):
        pacer.wait()
        moments.append(clock())
    return moments


def gaps(moments: list[float]) -> list[float]:
    ordered = sorted(moments)
    return [b - a for a, b in zip(ordered, ordered[1:])]


@pytest.mark.parametrize("rate", [2, 14, 50])
def test_one_consumer_sends_at_the_rate_from_the_first_send(db, key, rate):
    clock = FakeClock()
    start = clock()
    moments = sends(pacer(db, rate, key, clock), clock, 12)
    assert moments[0] == pytest.approx(start, abs=1e-5)  # nothing to wait for at first
    assert gaps(moments) == pytest.approx([1 / rate] * 11, abs=2e-6)


@pytest.mark.parametrize("pattern", ["ababab", "aabbab", "abbbba"])
def test_two_consumers_share_one_rate(db, key, pattern):
    clock = FakeClock()  # two consumers (two Lambda instances), one wall clock
    consumers = {"a": pacer(db, 4, key, clock), "b": pacer(db, 4, key, clock)}  # a slot per reservation
    moments = []
    for name in pattern * 2:
        consumers[name].wait()
        moments.append(clock())
    assert gaps(moments) == pytest.approx([0.25] * (len(moments) - 1), abs=2e-6)  # together, at the rate


def test_consumers_of_other_keys_do_not_slow_each_other(db, key):
    clock = FakeClock()
    sends(pacer(db, 4, key, clock), clock, 4)  # reserves a second ahead on its own key
    clock.slept.clear()
    other = pacer(db, 4, f"{key}-other", clock)
    other.wait()
    assert clock.slept == []


def test_after_a_quiet_spell_the_next_send_goes_at_once_without_a_burst_of_missed_slots(db, key):
    clock = FakeClock()
    paced = pacer(db, 4, key, clock)  # one slot per reservation at this rate
    sends(paced, clock, 3)
    clock.now += 60  # nobody sent for a minute
    back = clock()
    later = sends(paced, clock, 3)
    assert later[0] == pytest.approx(back, abs=1e-5)
    assert gaps(later) == pytest.approx([0.25, 0.25], abs=2e-6)  # the rate again, not a catch-up burst


def test_a_consumer_that_lost_a_race_for_the_slots_reads_them_and_goes_after(db, key):
    clock = FakeClock()
    late = pacer(db, 4, key, clock)
    late.wait()  # `late` believes it knows where the next slot is...
    early = pacer(db, 4, key, clock)  # ...but `early`, started meanwhile, reserves first
    early_at = sends(early, clock, 1)[0]
    late_at = sends(late, clock, 1)[0]
    assert late_at - early_at >= 0.25 - 2e-6


def test_slots_reserved_and_left_unused_are_not_spent_later_on_top_of_others(db, key):
    clock = FakeClock()
    idle, busy = pacer(db, 40, key, clock), pacer(db, 40, key, clock)  # ten slots per reservation
    moments = sends(idle, clock, 1)  # reserves ten slots, uses one, then has no more mail for a while
    clock.now += 5
    moments += sends(busy, clock, 3)
    moments += sends(idle, clock, 3)  # mail again: its nine old slots all lie in the past
    assert min(gaps(moments)) >= 1 / 40 - 2e-6
