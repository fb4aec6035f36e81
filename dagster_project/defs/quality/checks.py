"""GX suites from expectations/ as blocking asset checks on the raw tables and marts."""

import ctypes
import json
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.warehouse.partitions import partition_range
from dagster_project.defs.warehouse.resources import WarehouseLock
from dagster_project.defs.warehouse.retries import retry_transient
from zhongcao.config import Settings
from zhongcao.quality import Suite, SuiteResult, discover_suites, run_session, validate_table
from zhongcao.sqltext import literal
from zhongcao.windows import window_for, window_of_run


def suite_asset_key(suite: Suite) -> dg.AssetKey:
    if suite.layer == "raw":
        platform, report = suite.table.split("__", 1)
        return dg.AssetKey([platform, report])
    return dg.AssetKey([suite.layer, suite.table])


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
    path = results_path(settings, run_id)
    outcomes: dict[str, bool] = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        outcomes[record["suite"]] = outcomes.get(record["suite"], True) and record["passed"]
    return {suite for suite, passed in outcomes.items() if passed}


def validate_suite(settings: Settings, suite: Suite, run_id: str, days: tuple[date, date] | None = None) -> SuiteResult:
    """Validate one suite in the run's GX session, on the rows of the days the run rebuilds (the
    window its dbt step recorded, or before that step the window it will build; suites with a
    `partition_column`) or of the whole table."""
    session = run_session(run_id, docs_root(settings))
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    con.execute(f"set memory_limit = {literal(settings.duckdb_memory)}")  # DuckDB's default: 80 % of RAM
    try:
        window = window_of_run(con, run_id) or (days and window_for(con, *days, settings.first_day))
        return validate_table(con, suite, session, window, settings.check_rows)
    finally:
        con.close()


class SuiteError(Exception):
    """A suite could not be validated (not: it failed)."""


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _validate_in_worker(
    settings: Settings, suite: Suite, run_id: str, days: tuple[date, date] | None
) -> tuple[SuiteResult, list, float]:
    """A suite validated in a forked worker (or, with one worker, in the run's process): its
    result, what it stored for the Data Docs (the run's process absorbs it) and its seconds.
    Errors come back as plain text: a DuckDB or GX exception need not survive pickling."""
    started = time.perf_counter()
    session = run_session(run_id, docs_root(settings))
    before = session.stored_keys()
    try:
        result = validate_suite(settings, suite, run_id, days)
    except Exception as error:
        detail = traceback.format_exc()
        raise SuiteError(f"{suite.qualified_table}: {type(error).__name__}: {error}\n{detail}") from None
    return result, session.stored_since(before), time.perf_counter() - started


def _die_with_the_run(run_pid: int) -> None:
    """A worker of a run killed with kill -9 would wait for work forever: Linux kills it along."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker lives until the run's pool shuts down
        return
    if os.getppid() != run_pid:  # the run died before prctl took effect
        os._exit(1)


def _previous_seconds(settings: Settings, run_id: str) -> dict[str, float]:
    """Each suite's seconds in the most recent other run that recorded them."""
    folder = results_path(settings, run_id).parent
    earlier = [p for p in folder.glob("*.jsonl") if p.stem != run_id] if folder.exists() else []
    latest = max(earlier, key=lambda p: p.stat().st_mtime, default=None)
    seconds: dict[str, float] = {}
    for line in latest.read_text(encoding="utf-8").splitlines() if latest else []:
        try:
            record = json.loads(line)
            seconds[record["suite"]] = float(record["seconds"])
        except (ValueError, KeyError, TypeError):
            continue
    return seconds


def check_suites(
    settings: Settings, suites: list[Suite], run_id: str, days: tuple[date, date] | None = None
) -> Iterator[tuple[Suite, SuiteResult]]:
    """Validate `suites`, ZHONGCAO_CHECK_WORKERS at a time in forked processes (GX is Python
    and holds the GIL, so threads would take turns; a read-only warehouse may be opened by several
    processes), the slowest of the previous run first; each result is recorded and yielded as it
    comes. The workers are forks of this process, so they start at once with GX imported and the
    run's GX session made; what they store for the Data Docs comes back into this process's
    session. A suite that cannot be validated does not stop the others: the first such error is
    raised once they are done."""
    session = run_session(run_id, docs_root(settings))
    previous = _previous_seconds(settings, run_id)
    ordered = sorted(suites, key=lambda suite: -previous.get(suite.path.name, 0.0))
    workers = min(settings.check_workers, len(suites))
    errors: list[SuiteError] = []
    pool = None
    if workers > 1:
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_die_with_the_run,
            initargs=(os.getpid(),),
        )
    try:
        if pool is None:
            pairs = ((s, _outcome(lambda s=s: _validate_in_worker(settings, s, run_id, days))) for s in ordered)
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


def _check_key(suite: Suite) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(suite_asset_key(suite), f"gx_{suite.table}")


def _check_result(settings: Settings, run_id: str, suite: Suite, result: SuiteResult) -> dg.AssetCheckResult:
    failures = {
        f"{i + 1}. {f.expectation}": {
            "table": suite.qualified_table,
            "column": f.column,
            "severity": f.severity,
            "unexpected_count": f.unexpected_count,
            "examples": [str(e) for e in f.examples],
        }
        for i, f in enumerate(result.failures)
    }
    return dg.AssetCheckResult(
        asset_key=suite_asset_key(suite),
        check_name=f"gx_{suite.table}",
        passed=not result.failures,
        severity=dg.AssetCheckSeverity.ERROR if result.errors else dg.AssetCheckSeverity.WARN,
        description=result.summary(),
        metadata={
            "table": suite.qualified_table,
            "suite": f"expectations/{suite.layer}/{suite.path.name}",
            "rows_checked": result.rows,
            "rows_scope": result.scope,
            "expectations": result.evaluated,
            "errors": len(result.errors),
            "warnings": len(result.warnings),
            "failures": dg.MetadataValue.json(failures),
            # Built by the publish step, or by this step once a check of the run has failed.
            "data_docs": dg.MetadataValue.path(str(docs_root(settings) / run_id / "index.html")),
        },
    )


def _build_checks(layer: str, suites: list[Suite]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                f"gx_{suite.table}",
                asset=suite_asset_key(suite),
                blocking=True,
                description=f"Great Expectations suite expectations/{suite.layer}/{suite.path.name} on "
                f"{suite.qualified_table}. Error-level failures block everything downstream, including publish.",
            )
            for suite in suites
        ],
        can_subset=True,
        name=f"gx_{layer}_checks",
    )
    def _checks(context: dg.AssetCheckExecutionContext, warehouse_lock: WarehouseLock):
        """Every GX suite of the layer in one step, validated side by side (check_suites)."""
        settings = Settings.from_env()
        run_id = context.run.run_id
        selected = [suite for suite in suites if _check_key(suite) in context.selected_asset_check_keys]
        with retry_transient(context):
            for suite, result in check_suites(settings, selected, run_id, partition_range(context)):
                for failure in result.failures:
                    log = context.log.error if failure.severity == "error" else context.log.warning
                    log(failure.describe(suite.qualified_table))
                yield _check_result(settings, run_id, suite, result)
        session = run_session(run_id, docs_root(settings))
        if session.any_failed:  # a failed run publishes nothing, so nothing later builds them
            context.log.info(f"GX Data Docs of the run: {session.build_docs()}")

    return _checks


SUITES = discover_suites()
gx_checks = [_build_checks(layer, [s for s in SUITES if s.layer == layer]) for layer in ("raw", "marts")]
