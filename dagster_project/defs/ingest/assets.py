"""One raw-load asset per export contract, keyed like the dbt source it feeds.

The loads are partitioned by day like everything downstream, but a run loads every file that
arrived, whatever days it covers (the content says which days those are, never the partition):
the days whose rows changed are recorded as pending, and the run's dbt step rebuilds them.
"""

import dagster as dg

from dagster_project.defs.warehouse.partitions import daily_partitions, single_run
from dagster_project.defs.warehouse.resources import WarehouseLock
from dagster_project.defs.warehouse.retries import retry_transient
from zhongcao.config import Settings
from zhongcao.ingest.contracts import Contract, load_contracts
from zhongcao.ingest.loader import Loader, connect
from zhongcao.ingest.truth import TRUTH_FILE, load_channel_truth
from zhongcao.quality import import_gx_in_background
from zhongcao.rawparquet import export_source_tables
from zhongcao.suite_runs import start_workers


def raw_asset_key(contract: Contract) -> dg.AssetKey:
    # dagster-dbt keys a source as [source_name, table]: the same key joins lineage.
    return dg.AssetKey([contract.platform, contract.report])


CONTRACTS = load_contracts()
KEY_TO_CONTRACT = {raw_asset_key(c): c for c in CONTRACTS.values()}


def _days_text(days) -> str:
    if days is None:
        return "every day (a report without dates)"
    if not days:
        return "none"
    return f"{days[0]} .. {days[-1]} ({len(days)} days)" if len(days) > 1 else str(days[0])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=raw_asset_key(c),
            group_name="raw",
            description=f"{c.description}. Loaded from <landing>/{c.platform}/{c.report}/ "
            f"into warehouse table raw.{c.table}.",
            kinds={"duckdb"},
            metadata={"contract": f"zhongcao/contracts/{c.platform}/{c.report}.yaml", "grain": list(c.grain)},
            skippable=True,
        )
        for c in CONTRACTS.values()
    ],
    can_subset=True,
    name="load_raw_exports",
    partitions_def=daily_partitions,
    backfill_policy=single_run,
)
def load_raw_exports(context: dg.AssetExecutionContext, warehouse_lock: WarehouseLock):
    """Loads every selected report in one step: DuckDB allows a single writer process."""
    settings = Settings.from_env()
    # The checks after this step need Great Expectations here (for the run's Data Docs) and in
    # the fork server their workers come from: both import it while the load runs.
    import_gx_in_background()
    start_workers(settings)
    loader = Loader(settings, log=context.log.info)
    with retry_transient(context):
        con = connect(settings)
    changed_tables = set()
    try:
        # In contract order: a report whose days come from another loads after it.
        for key in [k for k in KEY_TO_CONTRACT if k in context.selected_asset_keys]:
            contract = KEY_TO_CONTRACT[key]
            with retry_transient(context):
                outcome = loader.load_report(con, contract)
            loaded = [f for f in outcome.files if f.status == "loaded"]
            if loaded:
                changed_tables.add(f"raw.{contract.table}")
            every_day = any(f.days is None for f in loaded)
            changed_days = sorted({day for f in loaded for day in f.days or []})
            refused = [f.message for f in outcome.files if f.status == "refused"]
            for message in refused:
                context.log.error(message)
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "files_seen": len(outcome.files),
                    "files_loaded": sum(f.status == "loaded" for f in outcome.files),
                    "files_duplicate": sum(f.status == "duplicate" for f in outcome.files),
                    "files_refused": len(refused),
                    "rows_loaded": outcome.rows_loaded,
                    "rows_rejected": outcome.rows_rejected,
                    "table_rows": dg.MetadataValue.int(outcome.table_rows),
                    "days_changed": _days_text(None if every_day else changed_days),
                    "refusals": dg.MetadataValue.md("\n".join(f"- {m}" for m in refused) or "none"),
                    "landing": dg.MetadataValue.path(str(settings.landing / contract.platform / contract.report)),
                },
            )
        if settings.raw_parquet_dir:
            export_source_tables(con, settings.raw_parquet_dir, only=changed_tables, log=context.log.info)
    finally:
        con.close()


@dg.asset(
    key=dg.AssetKey(["truth", "channel_incremental_revenue"]),
    group_name="raw",
    description=f"The simulation's true incremental revenue per channel, from <landing>/{TRUTH_FILE} "
    "(written by the generator; absent for real data, leaving the table empty).",
    kinds={"duckdb"},
)
def load_ground_truth(context: dg.AssetExecutionContext, warehouse_lock: WarehouseLock) -> dg.MaterializeResult:
    settings = Settings.from_env()
    with retry_transient(context):
        con = connect(settings)
    try:
        rows = load_channel_truth(con, settings.landing)
        if settings.raw_parquet_dir:
            export_source_tables(
                con, settings.raw_parquet_dir, only={"truth.channel_incremental_revenue"}, log=context.log.info
            )
    finally:
        con.close()
    if not rows:
        context.log.info(f"no {TRUTH_FILE} in the landing folder: attribution accuracy stays empty")
    return dg.MaterializeResult(metadata={"rows": rows})
