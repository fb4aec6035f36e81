"""GX suites from expectations/ as blocking asset checks on the raw tables and marts."""

import json
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
    passed, rows_checked, expectations, errors, warnings, details, checked_at); all runs:
    `select * from read_json('<home>/quality/results/*.jsonl', ignore_errors = true)` (a run
    killed mid-line leaves a partial line). A file of its own rather than a warehouse table: a
    check then reads the warehouse read-only, and appending a line costs nothing (opening a
    database for writing and closing it cost 20-100 ms per check)."""
    return settings.home / "quality" / "results" / f"{run_id}.jsonl"


def record_result(settings: Settings, run_id: str, suite: Suite, result: SuiteResult) -> None:
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


def run_suite(
    settings: Settings, suite: Suite, run_id: str, days: tuple[date, date] | None = None
) -> tuple[SuiteResult, Path | None]:
    """Validate one suite in the run's GX session, on the rows of the days the run rebuilds (the
    window its dbt step recorded, or before that step the window it will build; suites with a
    `partition_column`) or of the whole table. The run's Data Docs are rebuilt when this or an
    earlier check of the run failed (a failed run publishes nothing, so nothing later builds them)."""
    session = run_session(run_id, docs_root(settings))
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    con.execute(f"set memory_limit = {literal(settings.duckdb_memory)}")  # DuckDB's default: 80 % of RAM
    try:
        window = window_of_run(con, run_id) or (days and window_for(con, *days, settings.first_day))
        result = validate_table(con, suite, session, window, settings.check_rows)
    finally:
        con.close()
    record_result(settings, run_id, suite, result)
    docs = session.build_docs() if session.any_failed else None
    return result, docs


def _build_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=suite_asset_key(suite),
        name=f"gx_{suite.table}",
        blocking=True,
        description=f"Great Expectations suite expectations/{suite.layer}/{suite.path.name} on "
        f"{suite.qualified_table}. Error-level failures block everything downstream, including publish.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse_lock: WarehouseLock) -> dg.AssetCheckResult:
        settings = Settings.from_env()
        run_id = context.op_execution_context.run_id
        with retry_transient(context):
            result, docs = run_suite(settings, suite, run_id, partition_range(context))
        for failure in result.failures:
            log = context.log.error if failure.severity == "error" else context.log.warning
            log(failure.describe(suite.qualified_table))
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
                # Built by the publish step, or right here once a check of the run has failed.
                "data_docs": dg.MetadataValue.path(str(docs or docs_root(settings) / run_id / "index.html")),
            },
        )

    return _check


SUITES = discover_suites()
gx_checks = [_build_check(s) for s in SUITES]
