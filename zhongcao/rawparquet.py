"""The loaded raw tables as Parquet: what another engine (the dbt project's `spark` target) reads.

One file per dbt source table, `<dir>/<schema>/<table>/part-0.parquet` (a folder per table, the
layout Spark and every other Parquet reader take as one table), written beside the old file and
renamed over it, so a reader never sees half a file. DuckDB writes the types the loader gave
the columns: DECIMAL(18, 2) money stays exact, timestamps stay without a time zone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb

from zhongcao.sqltext import ident, literal

SOURCE_SCHEMAS = ("raw", "truth")


def source_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every table of the source schemas, as (schema, table), sorted."""
    placeholders = ", ".join("?" for _ in SOURCE_SCHEMAS)
    return con.execute(
        f"select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({placeholders}) and table_type = 'BASE TABLE' order by 1, 2",
        list(SOURCE_SCHEMAS),
    ).fetchall()


def table_file(out_dir: Path, schema: str, table: str) -> Path:
    return out_dir / schema / table / "part-0.parquet"


def export_source_tables(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    only: set[str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, int]:
    """Write each source table (or those named `schema.table` in `only`, plus any whose file is
    missing) to Parquet. Returns rows written per `schema.table`."""
    written = {}
    for schema, table in source_tables(con):
        name = f"{schema}.{table}"
        target = table_file(out_dir, schema, table)
        if only is not None and name not in only and target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        con.execute(
            f"copy (select * from {ident(schema)}.{ident(table)}) to {literal(str(partial))} "
            "(format parquet, compression zstd)"
        )
        os.replace(partial, target)
        rows = con.execute(f"select count(*) from {ident(schema)}.{ident(table)}").fetchone()[0]
        written[name] = rows
        log(f"  raw Parquet: {name} → {target} ({rows:,} rows)")
    return written
