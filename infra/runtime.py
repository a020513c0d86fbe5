"""The Lambda runtime a package targets, and whether AWS still supports it.

Chalice packages for the runtime of the interpreter that runs it (and infra/bytecode.py compiles for
that interpreter too), so the runtime is chosen by the Python that runs `make package`:
`make package PYTHON=python3.12` targets python3.12. This refuses a runtime AWS has deprecated, and
warns in its last six months, so a deploy never lands on a runtime that gets no security updates.

    python -m infra.runtime    # prints the runtime and its deprecation date; exit 1 if past
"""
from __future__ import annotations

import sys
from datetime import date, timedelta

from chalicelib.common import clock

# AWS's published deprecation dates (Lambda runtimes page); a newer runtime is added when it ships.
DEPRECATION = {
    "python3.11": date(2027, 6, 30),
    "python3.12": date(2028, 10, 31),
    "python3.13": date(2029, 6, 30),
}
WARNING_PERIOD = timedelta(days=183)


def current() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def check(runtime: str, today: date) -> tuple[bool, str]:
    """(usable, message) for packaging `runtime` on `today`."""
    deprecated = DEPRECATION.get(runtime)
    if deprecated is None:
        return False, f"{runtime} is not a Lambda runtime Kapı knows; package with one of {', '.join(DEPRECATION)}"
    if today >= deprecated:
        return False, (f"{runtime} was deprecated on Lambda on {deprecated}: package with a newer Python, "
                       f"e.g. `make package PYTHON=python3.13 VENV=.venv-3.13`")
    left = (deprecated - today).days
    note = " — move to a newer Python soon" if deprecated - today <= WARNING_PERIOD else ""
    return True, f"Lambda runtime {runtime}, supported until {deprecated} ({left} days){note}"


def main() -> int:
    usable, message = check(current(), clock.now().date())
    print(message, file=sys.stdout if usable else sys.stderr)
    return 0 if usable else 1


if __name__ == "__main__":
    sys.exit(main())
