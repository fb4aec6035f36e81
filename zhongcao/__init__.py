"""zhongcao: a seeding-to-purchase warehouse (platform exports -> DuckDB -> dbt -> GX -> BI)."""
