"""The generator's ground truth (`<landing>/_truth/`), loaded so attribution can be scored.

Real landing folders have no `_truth/`: the table is then created empty and the accuracy
mart is empty too."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb

TRUTH_FILE = Path("_truth") / "channel_incremental_revenue.csv"


def load_channel_truth(con: duckdb.DuckDBPyConnection, landing: Path) -> int:
    """Replace truth.channel_incremental_revenue with the landing folder's file; rows loaded."""
    path = landing / TRUTH_FILE
    rows = []
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as fh:
            for record in csv.DictReader(fh):
                rows.append(
                    [
                        record["platform"],
                        Decimal(record["true_incremental_revenue"]),
                        float(record["effect_per_touch"]),
                        float(record["decay_days"]),
                    ]
                )
    con.begin()
    try:
        con.execute("create schema if not exists truth")
        con.execute(
            "create or replace table truth.channel_incremental_revenue ("
            "platform varchar primary key, true_incremental_revenue decimal(18, 2), "
            "effect_per_touch double, decay_days double)"
        )
        if rows:
            con.executemany("insert into truth.channel_incremental_revenue values (?, ?, ?, ?)", rows)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return len(rows)
