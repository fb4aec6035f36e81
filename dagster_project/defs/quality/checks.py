"""GX suites from expectations/ as blocking asset checks on the raw tables and marts."""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from zhongcao.config import Settings
from zhongcao.quality import Suite, SuiteResult, discover_suites, validate
from zhongcao.sqltext import ident

QUALITY_DDL = """
create schema if not exists meta;
create table if not exists meta.quality_results (
    run_id varchar not null,
    suite varchar not null,
    table_name varchar not null,
    passed boolean not null,
    rows_checked bigint not null,
    expectations bigint not null,
    errors bigint not null,
    warnings bigint not null,
    details varchar,
    checked_at timestamp not null
);
"""


def suite_asset_key(suite: Suite) -> dg.AssetKey:
    if suite.layer == "raw":
        platform, report = suite.table.split("__", 1)
        return dg.AssetKey([platform, report])
    return dg.AssetKey([suite.layer, suite.table])


def run_suite(settings: Settings, suite: Suite, run_id: str) -> SuiteResult:
    con = duckdb.connect(str(settings.warehouse))
    try:
        frame = con.execute(f"select * from {ident(suite.layer)}.{ident(suite.table)}").df()
        result = validate(frame, suite)
        con.execute(QUALITY_DDL)
        con.execute(
            "insert into meta.quality_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                suite.path.name,
                suite.qualified_table,
                result.passed,
                result.rows,
                result.evaluated,
                len(result.errors),
                len(result.warnings),
                result.summary(),
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
    finally:
        con.close()
    return result


def _build_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=suite_asset_key(suite),
        name=f"gx_{suite.table}",
        blocking=True,
        description=f"Great Expectations suite expectations/{suite.layer}/{suite.path.name} on "
        f"{suite.qualified_table}. Error-level failures block everything downstream, including publish.",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        result = run_suite(Settings.from_env(), suite, context.op_execution_context.run_id)
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
                "expectations": result.evaluated,
                "errors": len(result.errors),
                "warnings": len(result.warnings),
                "failures": dg.MetadataValue.json(failures),
            },
        )

    return _check


SUITES = discover_suites()
gx_checks = [_build_check(s) for s in SUITES]
