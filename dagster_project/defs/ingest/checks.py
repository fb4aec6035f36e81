"""Freshness: a platform whose export has not arrived by the morning run is flagged.

Non-blocking: the other platforms' numbers are still right, and a late file triggers its own
rebuild when it lands (the landing sensor). Checked on the data, not on when a file was
seen: a day is fresh when the raw table has rows dated that day.
"""

from datetime import date, timedelta

import dagster as dg
import duckdb

from dagster_project.defs.ingest.assets import CONTRACTS, raw_asset_key
from dagster_project.defs.warehouse.partitions import FIRST_DAY, partition_range
from dagster_project.defs.warehouse.resources import WarehouseLock
from dagster_project.defs.warehouse.retries import retry_transient
from zhongcao.config import Settings
from zhongcao.ingest.contracts import Contract
from zhongcao.sqltext import ident


def missing_days(con, contract: Contract, start: date, end: date) -> tuple[list[date], date | None]:
    """Days of [start, end - lag] without rows (from the table's first day on), and the newest day."""
    column = contract.column(contract.business_date)
    day = f"cast({ident(column.stored_name)} as date)"
    table = f"raw.{ident(contract.table)}"
    first, newest = con.execute(f"select min({day}), max({day}) from {table}").fetchone()
    last_expected = end - timedelta(days=contract.freshness_lag_days)
    if first is None:
        return ([last_expected] if last_expected >= start else []), None
    since = max(start, first)
    present = {
        d
        for (d,) in con.execute(
            f"select distinct {day} from {table} where {day} between ? and ?", [since, last_expected]
        ).fetchall()
    }
    expected = [since + timedelta(days=i) for i in range((last_expected - since).days + 1)]
    return [d for d in expected if d not in present], newest


CHECKED = [c for c in CONTRACTS.values() if c.freshness_lag_days is not None]


def _description(contract: Contract) -> str:
    lag = contract.freshness_lag_days
    return (
        f"Rows dated every day of the run's partitions{f' up to {lag} days back' if lag else ''} are in "
        f"raw.{contract.table}: a missing day means the {contract.platform} {contract.report} export for it "
        "has not arrived (warning; publication goes on)."
    )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec("freshness", asset=raw_asset_key(c), blocking=False, description=_description(c))
        for c in CHECKED
    ],
    can_subset=True,
    name="freshness_checks",
)
def freshness_checks(context: dg.AssetCheckExecutionContext, warehouse_lock: WarehouseLock):
    """One step for every report: a check is a few milliseconds of SQL, a step is not."""
    start, end = partition_range(context) or (FIRST_DAY, date.today())
    with retry_transient(context):
        con = duckdb.connect(str(Settings.from_env().warehouse), read_only=True)
    try:
        for contract in CHECKED:
            key = dg.AssetCheckKey(raw_asset_key(contract), "freshness")
            if key not in context.selected_asset_check_keys:
                continue
            missing, newest = missing_days(con, contract, start, end)
            shown = ", ".join(d.isoformat() for d in missing[:10]) + (" …" if len(missing) > 10 else "")
            description = (
                f"every expected day has rows (newest {newest})"
                if not missing
                else f"no {contract.platform}/{contract.report} rows for {shown} (newest day loaded: {newest}): "
                "the export has not arrived"
            )
            if missing:
                context.log.warning(f"freshness: {description}")
            yield dg.AssetCheckResult(
                asset_key=key.asset_key,
                check_name="freshness",
                passed=not missing,
                severity=dg.AssetCheckSeverity.WARN,
                description=description,
                metadata={
                    "missing_days": dg.MetadataValue.json([d.isoformat() for d in missing]),
                    "newest_day": str(newest),
                    "lag_days": contract.freshness_lag_days,
                },
            )
    finally:
        con.close()
