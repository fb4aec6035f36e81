"""dbt's `target` as sqlfluff sees it: the default (DuckDB) target."""

type = "duckdb"
name = "duckdb"
