"""One writer at a time per index: a file lock beside an embedded store, a lease inside a Chroma server.

Readers never lock. Writers (ingest, remove, check --repair) hold the lock for the whole
operation; a second writer waits up to `wait_s` and then gets `IndexBusy`.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from index.errors import IndexBusy

LEASE_S = 30.0  # a crashed writer's lease on a Chroma server frees itself after this long


@contextmanager
def file_lock(path: Path, *, wait_s: float, poll_s: float = 0.05) -> Iterator[int]:
    """Hold an advisory `flock` on `path`; wait up to `wait_s`, then raise `IndexBusy`.

    The kernel drops the lock when the holder dies, even by SIGKILL.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy() from None
                time.sleep(poll_s)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def writer_lock(directory: Path, *, wait_s: float = 30.0, poll_s: float = 0.1) -> Iterator[None]:
    """Hold the index directory's writer lock; wait up to `wait_s`, then raise `IndexBusy`."""
    with file_lock(directory / "writer.lock", wait_s=wait_s, poll_s=poll_s) as fd:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield


@contextmanager
def open_lock(directory: Path, *, wait_s: float = 120.0) -> Iterator[None]:
    """Held briefly while a process opens (and on first use creates) an embedded Chroma.

    Two processes creating the same new Chroma database at once race in its schema set-up
    ("table collections already exists"); opening one at a time avoids it.
    """
    with file_lock(directory / "open.lock", wait_s=wait_s):
        yield


def _dead(owner: str) -> bool:
    """True when a lease owner ("host:pid:nonce") is a process on this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _holder(collection: Any, name: str) -> dict[str, Any] | None:
    got = collection.get(ids=[name], include=["metadatas"])
    return dict(got["metadatas"][0] or {}) if got["ids"] else None


@contextmanager
def lease_lock(collection: Any, *, name: str = "writer", wait_s: float = 30.0, lease_s: float = LEASE_S,
               poll_s: float = 0.2) -> Iterator[None]:
    """Hold a writer lease stored as a record in a Chroma collection (shared by every app server).

    Chroma keeps the first `add` of an id and ignores later ones, so of several writers adding
    the lease record at once exactly one finds its own token there. The holder renews the lease
    every `lease_s / 3` seconds; a holder that died stops renewing and its lease expires (at once
    when it ran on this host and its process is gone).
    """
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
    deadline = time.monotonic() + wait_s
    while True:
        now = time.time()
        collection.add(ids=[name], embeddings=[[1.0]], metadatas=[{"owner": token, "expires": now + lease_s}])
        holder = _holder(collection, name)
        if holder is not None and holder.get("owner") == token:
            break
        if holder is not None and (float(holder.get("expires", 0.0)) < now or _dead(str(holder.get("owner")))):
            # Expired, or its process on this host died: delete it only if it is still that holder's
            # (another waiter may have won meanwhile).
            collection.delete(ids=[name], where={"owner": str(holder.get("owner"))})
            continue
        if time.monotonic() >= deadline:
            raise IndexBusy()
        time.sleep(poll_s)

    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_s / 3):
            try:
                holder = _holder(collection, name)
                if holder is None or holder.get("owner") != token:
                    return
                collection.update(ids=[name], metadatas=[{"owner": token, "expires": time.time() + lease_s}])
            except Exception:  # the server is gone: the lease will lapse by itself
                return

    renewer = threading.Thread(target=renew, name="sourced-lease", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=5)
        try:
            collection.delete(ids=[name], where={"owner": token})
        except Exception:  # unreachable server: the lease expires on its own
            pass
