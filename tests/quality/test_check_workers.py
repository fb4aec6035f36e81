"""GX suites validated side by side in worker processes: the same outcomes as one after another, all
of them in the run's Data Docs, a suite that cannot be validated named without stopping the
others, and no worker outliving a run killed with kill -9."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from zhongcao.config import Settings
from zhongcao.quality import Suite, run_session
from zhongcao.suite_runs import SuiteError, check_suites, docs_root, results_path

TABLES = {
    "orders": "select i as order_id, if(i = 7, null, 'paid') as status from range(20) t(i)",
    "refunds": "select i as refund_id, i * 2 as amount from range(5) t(i)",
    "bills": "select i as bill_id, if(i < 3, -1, 1) as fee from range(10) t(i)",
}
SUITES = {
    "orders": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "status"}}],
    "refunds": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "refund_id"}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ],
    "bills": [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "fee", "min_value": 0},
            "meta": {"severity": "warn"},
        }
    ],
}


@pytest.fixture
def suites(workspace, tmp_path) -> list[Suite]:
    con = duckdb.connect(str(workspace.warehouse))
    con.execute("create schema marts")
    for table, sql in TABLES.items():
        con.execute(f"create table marts.{table} as {sql}")
    con.close()
    folder = tmp_path / "expectations" / "marts"
    folder.mkdir(parents=True)
    made = []
    for table, expectations in SUITES.items():
        path = folder / f"{table}.json"
        path.write_text(json.dumps({"name": f"marts.{table}", "expectations": expectations}), encoding="utf-8")
        made.append(Suite(path=path, layer="marts", table=table))
    return made


def outcomes(settings: Settings, suites: list[Suite], run_id: str) -> dict[str, tuple]:
    return {
        suite.table: (result.passed, result.rows, result.evaluated, [f.describe(suite.table) for f in result.failures])
        for suite, result in check_suites(settings, suites, run_id)
    }


def test_workers_report_what_one_process_does_and_their_validations_reach_the_data_docs(workspace, suites, monkeypatch):
    monkeypatch.setenv("ZHONGCAO_CHECK_WORKERS", "1")
    alone = outcomes(Settings.from_env(), suites, "run-alone")
    monkeypatch.setenv("ZHONGCAO_CHECK_WORKERS", "2")
    settings = Settings.from_env()
    side_by_side = outcomes(settings, suites, "run-workers")

    assert side_by_side == alone
    assert alone["orders"] == (
        False,
        20,
        1,
        ["orders.status: expect_column_values_to_not_be_null failed on 1 row(s), e.g. nan"],
    )
    assert alone["refunds"] == (True, 5, 2, [])
    assert alone["bills"][:3] == (True, 10, 1)  # a warning lets the data through
    # Each result recorded once, with its seconds (the next run starts with the slowest).
    records = [json.loads(line) for line in results_path(settings, "run-workers").read_text().splitlines()]
    assert sorted(r["suite"] for r in records) == ["bills.json", "orders.json", "refunds.json"]
    assert all(r["seconds"] > 0 for r in records)
    # The validations ran in the workers; the run's own session renders them all.
    session = run_session("run-workers", docs_root(settings))
    assert session.any_failed
    index = session.build_docs().read_text(encoding="utf-8")
    for table in TABLES:
        assert f"marts.{table}" in index, table


def test_the_slowest_suites_of_the_previous_run_go_first(workspace, suites, monkeypatch):
    monkeypatch.setenv("ZHONGCAO_CHECK_WORKERS", "1")  # one at a time: results come in the order given
    settings = Settings.from_env()
    assert [suite.table for suite, _ in check_suites(settings, suites, "run-1")] == ["orders", "refunds", "bills"]
    earlier = results_path(settings, "run-1")
    seconds = {"orders.json": 0.2, "refunds.json": 0.1, "bills.json": 3.0}
    records = [json.loads(line) for line in earlier.read_text().splitlines()]
    timed = "".join(json.dumps(record | {"seconds": seconds[record["suite"]]}) + "\n" for record in records)
    earlier.write_text(timed + '{"suite": "bills.json", "seco')  # and a line cut short by a kill
    assert [suite.table for suite, _ in check_suites(settings, suites, "run-2")] == ["bills", "orders", "refunds"]


def test_a_suite_that_cannot_be_validated_is_named_after_the_others_are_done(workspace, suites, monkeypatch):
    monkeypatch.setenv("ZHONGCAO_CHECK_WORKERS", "2")
    unknown_severity = [{"type": "expect_column_to_exist", "kwargs": {"column": "status"}, "meta": {"severity": "x"}}]
    suites[0].path.write_text(json.dumps({"name": "marts.orders", "expectations": unknown_severity}))
    done = []
    with pytest.raises(SuiteError, match=r"marts\.orders: ValueError: .*severity must be 'error' or 'warn'"):
        for suite, _ in check_suites(Settings.from_env(), suites, "run-broken"):
            done.append(suite.table)
    assert sorted(done) == ["bills", "refunds"]


WORKER_OF_A_RUN = textwrap.dedent(
    """
    import os, time
    from zhongcao.suite_runs import worker_pool

    pool = worker_pool(1)
    print(pool.submit(os.getpid).result(), flush=True)
    pool.submit(time.sleep, 60)
    time.sleep(60)
    """
)


def test_a_worker_dies_with_a_run_killed_with_kill_9():
    run = subprocess.Popen([sys.executable, "-c", WORKER_OF_A_RUN], stdout=subprocess.PIPE, text=True)
    worker = int(run.stdout.readline())
    assert alive(worker)
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(worker):
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the worker outlived its run")


def alive(pid: int) -> bool:
    """Running or sleeping; a killed orphan may stay a zombie until something reaps it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
