"""Runs that meet another writer: a transient DuckDB lock is waited out by retries; a second
zhongcao run is refused with a message naming the run that holds the warehouse."""

import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import dagster as dg
import pytest

from tests.conftest import write_export
from tests.loaders.test_loader import juguang
from zhongcao.cli import run_main_job, summarise
from zhongcao.ingest.loader import connect
from zhongcao.runlock import warehouse_lock

pytestmark = pytest.mark.e2e

JUGUANG = dg.AssetKey(["xiaohongshu", "juguang_ads"])
HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])  # a writer of the warehouse: a stray shell, a BI tool on the wrong file
    print("holding", flush=True)
    sys.stdin.readline()  # until told to let go
    """
)


def let_go(holder: subprocess.Popen) -> None:
    if holder.stdin and not holder.stdin.closed:
        holder.stdin.close()


def release_after_first_retry(instance: dg.DagsterInstance, run_id: str, holder: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and holder.poll() is None:
        if instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY):
            break
        time.sleep(0.05)
    let_go(holder)


def test_a_transient_lock_on_the_warehouse_is_retried(workspace, monkeypatch):
    from dagster_project.definitions import defs

    monkeypatch.setenv("ZHONGCAO_RETRY_WAIT", "1")
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "a.csv",
        juguang("2026-10-20,100200300,春季,11,111,n1,信息流,10.00,1000,10,1.00%,5"),
    )
    connect(workspace).close()  # the warehouse exists
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workspace.warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    run_id = str(uuid.uuid4())
    with dg.DagsterInstance.get() as instance:
        # The holder lets go once the run has met its lock and asked for a retry, not after a fixed
        # time: on a busy machine the run reached the warehouse only after a timed holder had left.
        releaser = threading.Thread(target=release_after_first_retry, args=(instance, run_id, holder), daemon=True)
        releaser.start()
        try:
            result = defs.resolve_job_def("main").execute_in_process(
                instance=instance,
                asset_selection=[JUGUANG],
                partition_key="2026-10-20",
                raise_on_error=False,
                run_id=run_id,
            )
        finally:
            let_go(holder)
            releaser.join(timeout=30)
    holder.wait(timeout=30)
    assert result.success
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retried and retried[0].step_key == "load_raw_exports"
    materialised = [e.asset_key for e in result.get_asset_materialization_events()]
    assert materialised == [JUGUANG]


def test_a_second_run_is_refused_while_one_writes(workspace):
    with warehouse_lock(workspace.lock_path, "the-nightly-run"):
        result = run_main_job(workspace, quiet=True)
    assert not result.success
    summary = summarise(result, workspace)
    assert "NOT published" in summary
    assert "the warehouse is being written by run the-nightly-run (pid" in summary
    assert "was refused to keep the warehouse consistent" in summary


def test_the_command_reports_a_refused_run_and_exits_with_its_status(workspace):
    # The console entry point leaves without the interpreter's teardown: what the run printed
    # must still be out (stdout to a pipe is block-buffered), and the status must say it failed.
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    with warehouse_lock(workspace.lock_path, "the-nightly-run"):
        done = subprocess.run(
            [sys.executable, "-m", "zhongcao.cli", "run", "--quiet"],
            capture_output=True,
            text=True,
            timeout=300,
            env=buffered,
        )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "zhongcao run FAILED" in done.stdout
    assert "was refused to keep the warehouse consistent" in done.stdout.splitlines()[-1]
