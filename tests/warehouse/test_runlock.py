"""One run writes the warehouse at a time: a second one waits or is refused by name."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from zhongcao.runlock import WarehouseBusy, warehouse_lock


def test_a_second_run_is_refused_with_the_holder_named(tmp_path):
    lock = tmp_path / "warehouse.duckdb.run.lock"
    with warehouse_lock(lock, "run-a"):
        holder = json.loads(lock.read_text())
        assert holder["run_id"] == "run-a"
        with (
            pytest.raises(WarehouseBusy, match=r"being written by run run-a \(pid \d+, since .*\); this run \(run-b\)"),
            warehouse_lock(lock, "run-b"),
        ):
            pass
    with warehouse_lock(lock, "run-b"):  # released: the next run goes ahead
        assert json.loads(lock.read_text())["run_id"] == "run-b"
    assert lock.read_text() == ""


def test_a_second_run_waits_when_told_to(tmp_path):
    lock = tmp_path / "warehouse.duckdb.run.lock"
    released = threading.Event()
    messages = []

    def first():
        with warehouse_lock(lock, "run-a"):
            released.wait(5)

    holder = threading.Thread(target=first)
    holder.start()
    while not lock.exists() or not lock.read_text():
        time.sleep(0.01)
    threading.Timer(0.5, released.set).start()
    started = time.monotonic()
    with warehouse_lock(lock, "run-b", wait_seconds=10, log=messages.append):
        waited = time.monotonic() - started
    holder.join()
    assert 0.3 < waited < 5
    assert messages and messages[0].startswith("waiting up to 10 s for run run-a")


KILLED_WITH_A_CHILD = """
import os, sys, time
from pathlib import Path
from zhongcao.runlock import warehouse_lock

with warehouse_lock(Path(sys.argv[1]), "run-a"):
    child = os.fork()
    if child == 0:
        os.write(1, b"child running\\n")  # one write each: lines of the two processes never interleave
        time.sleep(30)
        os._exit(0)
    os.write(1, f"{child}\\n".encode())
    time.sleep(30)
"""


def test_a_forked_child_does_not_keep_the_lock_of_a_killed_run(tmp_path):
    """A run killed with kill -9 while a forked check worker lives: the next run gets the lock."""
    lock = tmp_path / "warehouse.duckdb.run.lock"
    run = subprocess.Popen([sys.executable, "-c", KILLED_WITH_A_CHILD, str(lock)], stdout=subprocess.PIPE, text=True)
    # Both lines, in either order: the parent's (the child's pid) and the child's own, printed
    # once fork() returned in it — after its fork handler. Killing the parent before the child
    # ran at all left the lock held for that instant (seen once on a loaded CI machine).
    lines = [run.stdout.readline().strip(), run.stdout.readline().strip()]
    (child,) = (int(line) for line in lines if line != "child running")
    run.send_signal(signal.SIGKILL)
    run.wait()
    try:
        with warehouse_lock(lock, "run-b"):
            os.kill(child, 0)  # still there
    finally:
        os.kill(child, signal.SIGKILL)
