"""Running a run's GX suites: each validated on the warehouse read-only, one at a time in this
process or side by side in worker processes, and each outcome recorded as a JSON line.

The workers come from a fork server (multiprocessing's `forkserver`): a fresh interpreter that
imports Great Expectations once and forks a worker per slot. Forking the run's own process
instead was faster to start but not safe: that process has threads and native libraries (DuckDB,
gRPC, BLAS) whose state a fork copies half-way, and a worker crashed with a segmentation fault in
one test run out of two. `start_workers` starts the server while the load step runs, so its imports
are done when the first check comes.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.forkserver
import os
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from zhongcao.config import Settings
from zhongcao.quality import GX_MODULES, Session, Suite, SuiteResult, run_session, validate_table
from zhongcao.sqltext import literal
from zhongcao.windows import window_for, window_of_run


def docs_root(settings: Settings) -> Path:
    return settings.home / "quality" / "data_docs"


def results_path(settings: Settings, run_id: str) -> Path:
    """The outcome of every suite a run validated, one JSON line each (run_id, suite, table_name,
    passed, rows_checked, expectations, errors, warnings, details, checked_at, seconds); all runs:
    `select * from read_json('<home>/quality/results/*.jsonl', ignore_errors = true)` (a run
    killed mid-line leaves a partial line). A file of its own rather than a warehouse table: a
    check then reads the warehouse read-only, and appending a line costs nothing (opening a
    database for writing and closing it cost 20-100 ms per check)."""
    return settings.home / "quality" / "results" / f"{run_id}.jsonl"


def record_result(settings: Settings, run_id: str, suite: Suite, result: SuiteResult, seconds: float = 0.0) -> None:
    record = {
        "run_id": run_id,
        "suite": suite.path.name,
        "table_name": suite.qualified_table,
        "passed": result.passed,
        "rows_checked": result.rows,
        "expectations": result.evaluated,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "details": result.summary(),
        "checked_at": datetime.now(UTC).replace(tzinfo=None).isoformat(),
        "seconds": round(seconds, 3),
    }
    path = results_path(settings, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def passed_suites(settings: Settings, run_id: str) -> set[str]:
    """Suites (file names) whose every result recorded by the run passed; a line cut short by a
    killed process counts as nothing."""
    outcomes: dict[str, bool] = {}
    for record in _records(results_path(settings, run_id)):
        outcomes[record["suite"]] = outcomes.get(record["suite"], True) and record["passed"]
    return {suite for suite, passed in outcomes.items() if passed}


def _records(path: Path | None) -> Iterator[dict]:
    """The results recorded in `path` (none when there is no such file); a line cut short by a
    killed process is skipped."""
    for line in path.read_text(encoding="utf-8").splitlines() if path is not None and path.exists() else []:
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


def validate_suite(
    settings: Settings, suite: Suite, run_id: str, days: tuple[date, date] | None, session: Session
) -> SuiteResult:
    """Validate one suite in `session`, on the rows of the days the run rebuilds (the window its
    dbt step recorded, or before that step the window it will build; suites with a
    `partition_column`) or of the whole table."""
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    con.execute(f"set memory_limit = {literal(settings.duckdb_memory)}")  # DuckDB's default: 80 % of RAM
    try:
        window = window_of_run(con, run_id) or (days and window_for(con, *days, settings.first_day))
        return validate_table(con, suite, session, window, settings.check_rows)
    finally:
        con.close()


class SuiteError(Exception):
    """A suite could not be validated (not: it failed)."""


_WORKER_SESSION: Session | None = None


def _validate_in_worker(
    settings: Settings, suite: Suite, run_id: str, days: tuple[date, date] | None, session: Session | None = None
) -> tuple[SuiteResult, list, float]:
    """A suite validated in a worker (in its own GX session, which writes nothing) or, given the
    run's `session`, in the run's process: its result, what a worker stored for the Data Docs
    (the run's session absorbs it; nothing in the run's process, which stored it already) and its
    seconds. Errors come back as plain text: a DuckDB or
    GX exception need not survive pickling."""
    global _WORKER_SESSION
    started = time.perf_counter()
    in_worker = session is None
    if in_worker:
        _WORKER_SESSION = _WORKER_SESSION or Session()
        session = _WORKER_SESSION
    before = session.stored_keys() if in_worker else set()
    try:
        result = validate_suite(settings, suite, run_id, days, session)
    except Exception as error:
        detail = traceback.format_exc()
        raise SuiteError(f"{suite.qualified_table}: {type(error).__name__}: {error}\n{detail}") from None
    stored = session.stored_since(before) if in_worker else []
    return result, stored, time.perf_counter() - started


def _watch_the_run(run_pid: int) -> None:
    """A worker of a run killed with kill -9 would wait for work forever (and keep the fork server,
    whose pipe it holds, alive): a watchdog ends it within a second of the run."""

    def watch() -> None:
        while True:
            time.sleep(1)
            try:
                os.kill(run_pid, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="run-watchdog", daemon=True).start()


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    # Not the default ["__main__"]: the server imports what a worker needs, not the run's script.
    context.set_forkserver_preload(["zhongcao.suite_runs", *GX_MODULES])
    return context


def start_workers(settings: Settings) -> None:
    """Start the fork server now, when more than one worker will validate: it imports Great
    Expectations (~2.5 s) on its own while the caller goes on."""
    if settings.check_workers > 1:
        _context()
        multiprocessing.forkserver.ensure_running()


def worker_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_watch_the_run, initargs=(os.getpid(),))


def _previous_seconds(settings: Settings, run_id: str) -> dict[str, float]:
    """Each suite's seconds in the most recent other run that recorded them."""
    folder = results_path(settings, run_id).parent
    earlier = [p for p in folder.glob("*.jsonl") if p.stem != run_id] if folder.exists() else []
    latest = max(earlier, key=lambda p: p.stat().st_mtime, default=None)
    return {
        record["suite"]: float(record["seconds"])
        for record in _records(latest)
        if isinstance(record.get("seconds"), int | float)  # runs before seconds were recorded: none
    }


def check_suites(
    settings: Settings, suites: list[Suite], run_id: str, days: tuple[date, date] | None = None
) -> Iterator[tuple[Suite, SuiteResult]]:
    """Validate `suites`, ZHONGCAO_CHECK_WORKERS at a time in worker processes (GX is Python and
    holds the GIL, so threads would take turns; a read-only warehouse may be opened by several
    processes), the slowest of the previous run first; each result is recorded and yielded as it
    comes. What the workers store for the Data Docs comes back into the run's session. A suite
    that cannot be validated does not stop the others: the first such error is raised once they
    are done."""
    session = run_session(run_id, docs_root(settings))
    previous = _previous_seconds(settings, run_id)
    ordered = sorted(suites, key=lambda suite: -previous.get(suite.path.name, 0.0))
    workers = min(settings.check_workers, len(suites))
    errors: list[SuiteError] = []
    pool = None
    if workers > 1:
        pool = worker_pool(workers)
    try:
        if pool is None:
            pairs = (
                (s, _outcome(lambda s=s: _validate_in_worker(settings, s, run_id, days, session))) for s in ordered
            )
        else:
            futures = {pool.submit(_validate_in_worker, settings, suite, run_id, days): suite for suite in ordered}
            pairs = ((futures[f], _outcome(f.result)) for f in as_completed(futures))
        for suite, outcome in pairs:
            if isinstance(outcome, SuiteError):
                errors.append(outcome)
                continue
            result, stored, seconds = outcome
            if pool is not None:
                session.absorb(stored)
                session.any_failed |= bool(result.errors)
            record_result(settings, run_id, suite, result, seconds)
            yield suite, result
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if errors:
        raise errors[0]


def _outcome(call) -> tuple[SuiteResult, list, float] | SuiteError:
    try:
        return call()
    except SuiteError as error:
        return error
