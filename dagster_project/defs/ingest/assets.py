"""One raw-load asset per export contract, keyed like the dbt source it feeds."""

import dagster as dg

from zhongcao.config import Settings
from zhongcao.ingest.contracts import Contract, load_contracts
from zhongcao.ingest.loader import Loader, connect
from zhongcao.ingest.truth import TRUTH_FILE, load_channel_truth


def raw_asset_key(contract: Contract) -> dg.AssetKey:
    # dagster-dbt keys a source as [source_name, table]: the same key joins lineage.
    return dg.AssetKey([contract.platform, contract.report])


CONTRACTS = load_contracts()
KEY_TO_CONTRACT = {raw_asset_key(c): c for c in CONTRACTS.values()}


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
)
def load_raw_exports(context: dg.AssetExecutionContext):
    """Loads every selected report in one step: DuckDB allows a single writer process."""
    settings = Settings.from_env()
    loader = Loader(settings, log=context.log.info)
    con = connect(settings)
    try:
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            contract = KEY_TO_CONTRACT[key]
            outcome = loader.load_report(con, contract)
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
                    "refusals": dg.MetadataValue.md("\n".join(f"- {m}" for m in refused) or "none"),
                    "landing": dg.MetadataValue.path(str(settings.landing / contract.platform / contract.report)),
                },
            )
    finally:
        con.close()


@dg.asset(
    key=dg.AssetKey(["truth", "channel_incremental_revenue"]),
    group_name="raw",
    description=f"The simulation's true incremental revenue per channel, from <landing>/{TRUTH_FILE} "
    "(written by the generator; absent for real data, leaving the table empty).",
    kinds={"duckdb"},
)
def load_ground_truth(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    con = connect(settings)
    try:
        rows = load_channel_truth(con, settings.landing)
    finally:
        con.close()
    if not rows:
        context.log.info(f"no {TRUTH_FILE} in the landing folder: attribution accuracy stays empty")
    return dg.MaterializeResult(metadata={"rows": rows})
