"""The suite does not age: its most date-bound tests pass with the calendar a year and five years ahead.

Each run is a child pytest under libfaketime (Debian's `faketime`), which every process it starts
inherits: its own DynamoDB server and local run, the email worker, the retention run. The subset
covers what the calendar moves: registration windows, event times, tickets' calendar files,
check-in validity windows, scan times and their hours, retention. It takes about a minute per run
on an idle machine; the timeout leaves room for a loaded one. The whole suite moves the same way
(README, "The date rule for tests").
"""
import os
import subprocess
import sys

import pytest

from tests.dates import faketime_env
from tests.stack import ROOT

DATE_BOUND = [
    "tests/unit/test_registering.py::test_outside_the_registration_window_registration_is_closed",
    "tests/unit/test_events.py",
    "tests/unit/test_scan.py",
    "tests/unit/test_retention.py",
    "tests/api/test_events.py::test_created_event_gets_defaults_and_public_view",
    "tests/checkin/test_offline.py::test_a_batch_is_answered_in_request_order_applied_in_scan_order_and_idempotent",
    "tests/organiser/test_erasure.py::test_retention_erases_an_event_long_over_and_marks_it",
    "tests/tickets/test_calendar.py",
]


@pytest.mark.skipif(bool(os.environ.get("KAPI_TEST_DYNAMODB_ENDPOINT")),
                    reason="a remote endpoint refuses requests signed with a clock years off")
@pytest.mark.parametrize("days_ahead", [365, 5 * 365 + 1], ids=["one-year", "five-years"])
def test_the_date_bound_tests_pass_years_from_now(days_ahead):
    env = {name: value for name, value in os.environ.items()
           if name not in ("AWS_ENDPOINT_URL_DYNAMODB", "PYTEST_CURRENT_TEST")}  # the child starts its own
    env.update(faketime_env(days_ahead))
    child = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DATE_BOUND],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stdout[-4000:] + child.stderr[-2000:]
    assert " passed" in child.stdout and "skipped" not in child.stdout, child.stdout[-2000:]
