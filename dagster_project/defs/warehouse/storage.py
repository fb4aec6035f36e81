"""Dagster's SQLite storage (DAGSTER_HOME), kept as Dagster lays it out, written faster.

Dagster keeps runs and events in SQLite files in WAL mode. Two of its habits cost a big run
minutes on this machine:

- every commit waits for an fsync (`synchronous = FULL`). `NORMAL` is what SQLite advises for
  WAL: a killed process loses nothing, and a power cut can lose the last events but never
  corrupts the file. Databases not in WAL mode keep FULL, where NORMAL could corrupt them.
- every statement opens a new engine and connection and closes it again (`NullPool`). Closing
  the last connection to a WAL database checkpoints it, so an event cost ~6 ms (~15 ms for a
  planned asset check: it touches the run's file and the index file three times each). A full
  build stores ~6,100 events, a night ~1,800. The storages below keep their connections open
  (one per file, for the life of the process) and are otherwise Dagster's own classes, files
  and schema: a DAGSTER_HOME can go back to the stock classes at any time.

The warehouse and the BI file are DuckDB and unaffected.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory, _runs_directory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool, StaticPool


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


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log with one open connection per database file.

    Dagster's class serialises every use of a connection behind one lock, so a file needs one
    connection, shared across threads. The index file's stays open; of the per-run files, those
    of the last few runs this process wrote or read (a long-lived process reads many runs)."""

    RUN_FILES_KEPT_OPEN = 4

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        relax_sqlite_sync()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            self._engines[shard] = engine
            run_files = [name for name in self._engines if name != INDEX_SHARD_NAME]
            for stale in run_files[: max(len(run_files) - self.RUN_FILES_KEPT_OPEN, 0)]:
                self._engines.pop(stale).dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _close_files(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_files()  # wipe deletes the run files
        super().wipe()

    def dispose(self) -> None:
        self._close_files()
        super().dispose()


class PooledSqliteRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage with a pool of open connections (it has no lock of its own:
    threads of the UI use it at once)."""

    def __init__(self, conn_string: str, inst_data=None):
        relax_sqlite_sync()
        self._engine = create_engine(conn_string, poolclass=QueuePool, connect_args={"check_same_thread": False})
        super().__init__(conn_string, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteRunStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self._engine.dispose()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's default storage (`storage: sqlite`, the same files under `base_dir`) with the
    pooled run and event log storages; schedules and sensor ticks stay Dagster's own. Configured
    in the dagster.yaml zhongcao writes (zhongcao/cli.py)."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data)
        self._run_storage = PooledSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
