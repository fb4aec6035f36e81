"""GX suites from expectations/ as blocking asset checks on the raw tables and marts."""

import dagster as dg

from dagster_project.defs.warehouse.partitions import partition_range
from dagster_project.defs.warehouse.resources import WarehouseLock
from dagster_project.defs.warehouse.retries import retry_transient
from zhongcao.config import Settings
from zhongcao.quality import Suite, SuiteResult, discover_suites, run_session
from zhongcao.suite_runs import check_suites, docs_root


def suite_asset_key(suite: Suite) -> dg.AssetKey:
    if suite.layer == "raw":
        platform, report = suite.table.split("__", 1)
        return dg.AssetKey([platform, report])
    return dg.AssetKey([suite.layer, suite.table])


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
