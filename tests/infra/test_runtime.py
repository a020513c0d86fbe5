"""The Lambda runtime check `make package` runs first."""
from datetime import timedelta

import pytest

from infra import runtime


@pytest.mark.parametrize("name", sorted(runtime.DEPRECATION))
def test_a_runtime_is_usable_until_its_deprecation_day_and_warned_about_in_its_last_months(name):
    deprecated = runtime.DEPRECATION[name]

    assert runtime.check(name, deprecated - timedelta(days=400)) == (
        True, f"Lambda runtime {name}, supported until {deprecated} (400 days)")
    usable, message = runtime.check(name, deprecated - timedelta(days=30))
    assert usable and "move to a newer Python soon" in message
    usable, message = runtime.check(name, deprecated)
    assert not usable and "deprecated" in message and "make package PYTHON=" in message


def test_an_unknown_runtime_is_refused():
    usable, message = runtime.check("python2.7", runtime.DEPRECATION["python3.11"])
    assert not usable and "python3.11" in message
