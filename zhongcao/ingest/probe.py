"""Which business days would a file change? Read it the way the loader will, into a private
in-memory database, without touching the warehouse or moving the file.

The landing sensor asks this of every new file to request runs for exactly the affected days.
A snapshot of the warehouse's load log makes a byte-identical re-delivery change nothing, and a
copy of the reports that `days_from` points at gives key-covered files their days.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from zhongcao.config import Settings
from zhongcao.ingest.contracts import Contract, load_contracts
from zhongcao.ingest.loader import META_DDL, Loader, ensure_raw_table
from zhongcao.sqltext import ident, literal
from zhongcao.windows import WINDOWS_DDL


class LandingProbe:
    """Opens the warehouse read-only only while it copies what it needs (raises duckdb.IOException
    when a run holds the warehouse: look again later)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.con = duckdb.connect()
        self.con.execute("set enable_progress_bar = false")
        self.con.execute(META_DDL + WINDOWS_DDL)
        # Report -> the columns a days_from lookup reads (its key and its date), nothing more.
        lookups: dict[tuple[str, str], set[str]] = {}
        for contract in load_contracts().values():
            if contract.days_from:
                source = load_contracts()[contract.days_from]
                lookups.setdefault(contract.days_from, set()).update(
                    {source.column(contract.business_date).stored_name, source.column(source.business_date).stored_name}
                )
        if settings.warehouse.exists():
            self.con.execute(f"attach {literal(str(settings.warehouse))} as warehouse (read_only)")
            try:
                if self._in_warehouse("meta", "load_files"):
                    self.con.execute("insert into meta.load_files select * from warehouse.meta.load_files")
                for key, columns in lookups.items():
                    source = load_contracts()[key]
                    names = ", ".join(ident(c) for c in sorted(columns))
                    ensure_raw_table(self.con, source)
                    if self._in_warehouse("raw", source.table):
                        self.con.execute(
                            f"insert into raw.{ident(source.table)} ({names}) "
                            f"select {names} from warehouse.raw.{ident(source.table)}"
                        )
            finally:
                self.con.execute("detach warehouse")
        self.loader = Loader(settings, log=lambda _: None, quarantine=False)

    def _in_warehouse(self, schema: str, table: str) -> bool:
        return (
            self.con.execute(
                "select count(*) from duckdb_tables() where database_name = 'warehouse' and schema_name = ? "
                "and table_name = ?",
                [schema, table],
            ).fetchone()[0]
            > 0
        )

    def days(self, contract: Contract, path: Path) -> list[date] | None:
        """The days the file would change: [] for a refused or already-loaded file, None when they
        cannot be told (every day may change)."""
        ensure_raw_table(self.con, contract)
        outcome = self.loader.load_file(self.con, contract, path)
        return outcome.days if outcome.status == "loaded" else []

    def close(self) -> None:
        self.con.close()
