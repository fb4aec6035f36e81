"""Dagster's SQLite storage commits without an fsync per event, only where that is safe (WAL)."""

import dagster as dg
from sqlalchemy import create_engine, text

import dagster_project.definitions  # noqa: F401  (installs the listener, as every process of the code location does)


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
