"""Durability for the local DynamoDB server: a write-ahead journal plus snapshots.

moto keeps everything in memory, and the local run must lose no acknowledged write,
not even on ``kill -9``. So the server appends every successful mutating request to
``journal.jsonl`` and fsyncs it *before* answering; on start it loads the last
snapshot and replays the journal through moto, which rebuilds the same state.

Files under DATA_DIR:

``snapshot.jsonl``
    ``{"snapshot": 1, "seq": S}``, then for each table a ``{"table": {...}}`` line
    (what moto needs to create it again) followed by one ``{"item": {...}}`` line per
    item, in DynamoDB JSON.
``journal.jsonl``
    One ``{"seq": N, "target": ..., "account": ..., "region": ..., "body": {...}}``
    line per acknowledged request.

Compaction writes a fresh snapshot to a temporary file, fsyncs it, renames it over
the old one and only then truncates the journal. Each journal line carries a
sequence number and the snapshot records the last one it contains, because a crash
between the rename and the truncation would otherwise replay writes the snapshot
already holds, and an ``ADD`` applied twice is a wrong counter.

Each line is written with its newline last and fsynced before the next one, so a
line cut short by ``kill -9`` is the last one and has no newline: it is ignored,
its request was never acknowledged. A complete line that does not parse is real
corruption and stops the start.
"""

import base64
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

SNAPSHOT = "snapshot.jsonl"
JOURNAL = "journal.jsonl"


class DataDirInUse(Exception):
    """Another server process holds this data directory."""


class CorruptJournal(Exception):
    """A complete journal line does not parse: damage, not an interrupted write."""


class Store:
    """The journal and snapshot files of one data directory, locked to one server at a time."""

    def __init__(self, data_dir: str) -> None:
        os.makedirs(data_dir, exist_ok=True)
        self.data_dir = data_dir
        self.seq = 0
        self._snapshot_path = os.path.join(data_dir, SNAPSHOT)
        self._journal_path = os.path.join(data_dir, JOURNAL)
        self._journal_fd = _private(self._journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:  # a second server on the same directory would truncate this one's journal
            fcntl.flock(self._journal_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._journal_fd)
            raise DataDirInUse(f"{data_dir} is used by another server") from None
        self.journal_bytes = os.fstat(self._journal_fd).st_size

    def read_snapshot(self) -> Iterator[dict[str, Any]]:
        """Yield the snapshot's table and item records; remembers its sequence number."""
        if not os.path.exists(self._snapshot_path):
            return
        with open(self._snapshot_path, "rb") as f:
            self.seq = json.loads(f.readline())["seq"]
            for line in f:
                yield json.loads(line)

    def read_journal(self) -> Iterator[dict[str, Any]]:
        """Yield the journal entries the snapshot does not contain yet, in order.

        Call after read_snapshot() has been consumed.
        """
        with open(self._journal_path, "rb") as f:
            for number, line in enumerate(f, start=1):
                if not line.endswith(b"\n"):
                    return  # torn by a kill during the write: never acknowledged
                try:
                    entry = json.loads(line)
                except ValueError:
                    raise CorruptJournal(f"{self._journal_path}: line {number} is damaged") from None
                if entry["seq"] > self.seq:
                    self.seq = entry["seq"]
                    yield entry

    def append(self, entry: dict[str, Any]) -> None:
        """Make one acknowledged request durable: write, then fsync, before answering."""
        self.seq += 1
        data = json.dumps({"seq": self.seq, **entry}, separators=(",", ":")).encode() + b"\n"
        view = memoryview(data)
        while view:
            view = view[os.write(self._journal_fd, view):]
        os.fsync(self._journal_fd)
        self.journal_bytes += len(data)

    def compact(self, records: Iterable[dict[str, Any]]) -> None:
        """Replace the snapshot with ``records`` (the whole current state), then empty the journal."""
        temporary = self._snapshot_path + ".tmp"
        with open(temporary, "wb", opener=_private) as f:
            f.write(json.dumps({"snapshot": 1, "seq": self.seq}).encode() + b"\n")
            for record in records:
                f.write(json.dumps(record, separators=(",", ":"), default=_base64).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self._snapshot_path)
        directory = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(directory)  # makes the rename itself durable
        finally:
            os.close(directory)
        os.ftruncate(self._journal_fd, 0)
        os.fsync(self._journal_fd)
        self.journal_bytes = 0

    def close(self) -> None:
        os.close(self._journal_fd)


def _base64(value: Any) -> str:
    """moto holds binary attribute values as bytes; DynamoDB JSON writes them in base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} to a snapshot")


def _private(path: str, flags: int) -> int:
    """Open with owner-only permissions: the files hold attendees' personal data."""
    return os.open(path, flags, 0o600)
