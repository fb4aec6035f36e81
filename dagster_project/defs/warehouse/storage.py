"""Dagster's SQLite storage (DAGSTER_HOME) without an fsync per event.

Dagster keeps runs and events in SQLite files in WAL mode and opens a connection per event; with
SQLite's default `synchronous = FULL` every commit waits for the disk. A night writes ~1,800
events (most of them planned and evaluated dbt tests), which cost ~4 s of fsyncs on the large
world. `NORMAL` is what SQLite advises for WAL: a killed process loses nothing, and a power cut
can lose the last events but never corrupts the file. Databases not in WAL mode keep FULL, where
NORMAL could corrupt them on a power cut. The warehouse and the BI file are DuckDB and unaffected.
"""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _normal_sync_in_wal_mode(dbapi_connection, _connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        (mode,) = cursor.execute("pragma journal_mode").fetchone()
        if mode == "wal":
            cursor.execute("pragma synchronous = normal")
    finally:
        cursor.close()


def relax_sqlite_sync() -> None:
    """Applies to every SQLAlchemy SQLite connection this process opens from now on."""
    if not event.contains(Engine, "connect", _normal_sync_in_wal_mode):
        event.listen(Engine, "connect", _normal_sync_in_wal_mode)
