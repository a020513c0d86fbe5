"""Loaded by every Python process of a test run under libfaketime (tests/dates.py, faketime_env).

Debian's libfaketime 0.9.10 and Python 3.11 disagree on the monotonic clock either way:
- faked (the default), threading's timed waits (sem_clockwait, which it does not intercept) get a
  deadline a year ahead of the kernel's and hang;
- not faked (FAKETIME_DONT_FAKE_MONOTONIC=1, what the suite uses), it still shifts the absolute
  deadline of `time.sleep` (clock_nanosleep with TIMER_ABSTIME), which fails with EINVAL
  (wolfcw/libfaketime#426).
So the suite keeps the monotonic clock real and sleeps with a timed wait instead. Only the calendar
moves, which is what the date tests are about.

libfaketime's "monotonic fix" (on by default) also makes every thread start take 20-50 ms instead of
0.1 ms, so the threaded local servers, which start a thread per connection, slowed ten-fold and a
burst of registrations timed out: the suite turns it off (FAKETIME_FORCE_MONOTONIC_FIX=0), which is
safe while the monotonic clock is not faked.
"""
import os
import threading
import time

if os.environ.get("FAKETIME") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        threading.Event().wait(seconds)

    time.sleep = _sleep
