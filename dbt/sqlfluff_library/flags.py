"""dbt's `flags` as sqlfluff sees it: a plain `dbt build`."""

FULL_REFRESH = False
WHICH = "build"
