"""Write a file so that a reader sees either nothing or all of it.

A crash or a concurrent reader must never meet half a signing key or half an email. The bytes
go to a temporary file in the same directory. That file is fsynced and then renamed into place.
The rename is atomic on POSIX file systems.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, overwrite: bool = True) -> bool:
    """Write `data` to `path` with mode 0600: these files hold keys and personal data.

    With `overwrite=False` an existing file is left alone and the call returns False. Two
    processes that race to create the same file then agree on whichever wrote first.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # unlike os.replace, fails if the file already exists
            except FileExistsError:
                return False
            finally:
                os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(path.parent)
    return True


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable, not just the file's bytes."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
