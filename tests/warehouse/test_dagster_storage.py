"""Dagster's SQLite storage: no fsync per event where that is safe (WAL), connections kept open."""

import os
import uuid
from pathlib import Path
from unittest import mock

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

import dagster_project.definitions  # noqa: F401  (installs the listener, as every process of the code location does)
from dagster_project.defs.warehouse.storage import PooledSqliteEventLogStorage, PooledSqliteRunStorage
from zhongcao.cli import DAGSTER_YAML


def pragma(connection, name: str):
    return connection.execute(text(f"pragma {name}")).scalar()


def test_dagster_run_storage_connections_sync_normally(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance, instance.run_storage.connect() as connection:
        assert pragma(connection, "journal_mode") == "wal"
        assert pragma(connection, "synchronous") == 1  # NORMAL (SQLite's default is 2, FULL)


def test_a_sqlite_file_not_in_wal_mode_keeps_full_sync(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'rollback_journal.db'}")
    try:
        with engine.connect() as connection:
            assert pragma(connection, "journal_mode") == "delete"
            assert pragma(connection, "synchronous") == 2
    finally:
        engine.dispose()


def zhongcao_instance(home: Path) -> dg.DagsterInstance:
    """A Dagster instance on the dagster.yaml the CLI writes into a DAGSTER_HOME."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    with mock.patch.dict(os.environ, {"DAGSTER_HOME": str(home)}):
        return dg.DagsterInstance.get()


def test_zhongcao_dagster_home_keeps_its_sqlite_connections_open(tmp_path):
    opened = []
    listener = lambda dbapi_connection, _record: opened.append(dbapi_connection)  # noqa: E731
    event.listen(Engine, "connect", listener)
    try:
        with zhongcao_instance(tmp_path / "dagster_home") as instance:
            assert isinstance(instance.run_storage, PooledSqliteRunStorage)
            assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
            run = instance.add_run(DagsterRun(job_name="main", run_id=str(uuid.uuid4())))
            instance.report_engine_event("first", run)
            connections_after_first = len(opened)
            for number in range(50):
                instance.report_engine_event(f"event {number}", run)
            assert len(opened) == connections_after_first  # the stock storage opens one per statement
            instance.report_run_failed(run)
            messages = [record.dagster_event.message for record in instance.all_logs(run.run_id)]
            assert messages[:2] == ["first", "event 0"] and len(messages) == 52
            assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
            # Dagster's default layout: the stock storage reads what the pooled one wrote.
            files = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "dagster_home").rglob("*.db"))
            assert files == [
                "dagster_home/history/runs.db",
                f"dagster_home/history/runs/{run.run_id}.db",
                "dagster_home/history/runs/index.db",
                "dagster_home/schedules/schedules.db",
            ]
        stock = dg.DagsterInstance.from_config(str(tmp_path / "dagster_home"), config_filename="none.yaml")
        with stock:
            assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
            assert len(stock.all_logs(run.run_id)) == 52
    finally:
        event.remove(Engine, "connect", listener)


def test_only_the_last_runs_files_stay_open(tmp_path):
    with zhongcao_instance(tmp_path / "dagster_home") as instance:
        storage = instance.event_log_storage
        runs = [instance.add_run(DagsterRun(job_name="main", run_id=str(uuid.uuid4()))) for _ in range(6)]
        for run in runs:
            instance.report_engine_event("hello", run)
        kept = PooledSqliteEventLogStorage.RUN_FILES_KEPT_OPEN
        assert [shard for shard in storage._engines if shard != "index"] == [run.run_id for run in runs[-kept:]]
        assert [len(instance.all_logs(run.run_id)) for run in runs] == [1] * 6  # a closed file opens again
        instance.event_log_storage.wipe()
        assert list(storage._engines) in ([], ["index"])  # wipe reopens the index only
        assert instance.all_logs(runs[0].run_id) == []
