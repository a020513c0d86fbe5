"""A child process of the local run stops when its parent is gone, however the parent ended.

The parent starts the child with stdin a pipe whose write end only the parent holds (subprocess
closes inherited descriptors), so end of file on stdin means the parent closed it or died: a clean
exit, Ctrl-C, or a kill -9 of the parent alone, after which no signal would reach the child. Without
this, a launcher killed that way left its DynamoDB server running, holding the data directory's lock,
and the next `make run` could not start.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import Callable


def add_option(parser: argparse.ArgumentParser) -> None:
    """`--stop-with-parent`, for the processes that offer it (the launcher, the DynamoDB server)."""
    parser.add_argument("--stop-with-parent", action="store_true",
                        help="stdin is a pipe the parent holds: stop when it closes (devstack/lifeline.py)")


def watch_parent(on_gone: Callable[[], None]) -> None:
    """Call `on_gone`, from a daemon thread, once stdin reaches end of file."""
    def wait() -> None:
        while os.read(sys.stdin.fileno(), 4096):  # the unbuffered descriptor: nothing to lock at shutdown
            pass
        on_gone()

    threading.Thread(target=wait, name="lifeline", daemon=True).start()
