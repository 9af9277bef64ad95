"""One writer at a time per index directory (an advisory file lock)."""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from index.errors import IndexBusy


@contextmanager
def writer_lock(directory: Path, *, wait_s: float = 30.0, poll_s: float = 0.1) -> Iterator[None]:
    """Hold the index's writer lock; wait up to `wait_s`, then raise `IndexBusy`."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / "writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(IndexBusy.__doc__) from None
                time.sleep(poll_s)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
