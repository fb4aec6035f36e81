"""One run writes the warehouse at a time.

DuckDB lets one process write a file, and a second writer fails at whatever statement first
touches it — possibly half-way through a run. So a run takes an exclusive lock on a file beside
the warehouse before its first step and holds it until its last; a second run waits up to
ZHONGCAO_LOCK_WAIT seconds and is then refused with a message naming the run that holds it.
The kernel drops the lock when the holder dies (even by kill -9): nothing to clean up.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

# Descriptors of the locks this process holds. A flock belongs to the open file, which a forked
# child shares: a process forked mid-run (by the run or a library) would hold the warehouse lock
# until it exits, and as the orphan of a killed run refuse the next one. Children close their
# copies at once.
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in _HELD:
        with suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


class WarehouseBusy(Exception):
    """Another run holds the warehouse lock."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return f"run {info.get('run_id', '?')} (pid {info.get('pid', '?')}, since {info.get('since', '?')})"


@contextmanager
def warehouse_lock(
    path: Path, run_id: str, wait_seconds: float = 0, log: Callable[[str], None] = print
) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse is being written by {_holder(path)}; this run ({run_id}) was refused "
                        f"to keep the warehouse consistent. Run it again when that run has finished, or set "
                        f"ZHONGCAO_LOCK_WAIT=<seconds> to wait (lock file {path})."
                    ) from None
                if not announced:
                    log(f"waiting up to {wait_seconds:.0f} s for {_holder(path)} to release the warehouse")
                    announced = True
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.pwrite(fd, json.dumps({"run_id": run_id, "pid": os.getpid(), "since": since}).encode(), 0)
        _HELD.add(fd)
        try:
            yield
        finally:
            _HELD.discard(fd)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
