"""The publication patches a version of the BI file with only the days (by-day marts) and the
orders (by-order marts) the dbt runs since that version was published rewrote; everything else
is copied whole. The published path links to the version written. Real DuckDB files throughout."""

import os
import subprocess
import sys
from datetime import date

import duckdb
import pytest

import zhongcao.publish as publication_module
from zhongcao.config import Settings
from zhongcao.publish import PublishedModel, publish

MODELS = [
    PublishedModel(schema="marts", name="events", description="by day", columns={}, day_column="day"),
    PublishedModel(schema="marts", name="totals", description="whole", columns={"n": "how many"}),
]


@pytest.fixture
def settings(tmp_path):
    settings = Settings(
        home=tmp_path,
        landing=tmp_path / "landing",
        warehouse=tmp_path / "warehouse.duckdb",
        published=tmp_path / "published" / "bi.duckdb",
        quarantine=tmp_path / "quarantine",
        pii_key=b"test",
    )
    con = duckdb.connect(str(settings.warehouse))
    con.execute("""
        create schema marts;
        create schema meta;
        create table marts.events as select day::date as day, 1 as v
            from range(date '2026-11-01', date '2026-11-04', interval 1 day) t(day);
        create table marts.totals as select 3 as n;
        create table meta.dbt_runs (
            invocation_id varchar, command varchar, window_start date, window_end date, started_at timestamp
        );
        insert into meta.dbt_runs values ('first', 'build', null, null, timestamp '2026-11-04 02:00:00');
    """)  # fmt: skip
    con.close()
    return settings


def warehouse(settings, sql: str) -> None:
    con = duckdb.connect(str(settings.warehouse))
    try:
        con.execute(sql)
    finally:
        con.close()


def published(settings, sql: str):
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def run(start: str | None, end: str | None, at: str) -> str:
    window = f"date '{start}', date '{end}'" if start else "null, null"
    return f"insert into meta.dbt_runs values ('{at}', 'build', {window}, timestamp '{at}');"


def test_days_rebuilt_since_the_last_publication_are_copied_and_nothing_else(settings):
    assert publish(settings, MODELS, "run-1").mode == "full"

    # A night rebuilt 11-03 (v = 2) and a killed run had started on 11-04; 11-01 also differs in
    # the warehouse, but no run since the publication rebuilt it: the BI file keeps its copy,
    # which shows the file was patched by day rather than copied.
    warehouse(
        settings,
        "update marts.events set v = 2; insert into marts.events values (date '2026-11-04', 2);"
        "update marts.totals set n = 4;"
        + run("2026-11-03", "2026-11-03", "2026-11-05 02:00:00")
        + run("2026-11-04", "2026-11-04", "2026-11-05 03:00:00"),
    )
    publication = publish(settings, MODELS, "run-2")
    assert publication.mode == "days 2026-11-03 to 2026-11-04"
    assert publication.tables == {"events": 4, "totals": 1}
    assert published(settings, "select day, v from events order by day") == [
        (date(2026, 11, 1), 1),
        (date(2026, 11, 2), 1),
        (date(2026, 11, 3), 2),
        (date(2026, 11, 4), 2),
    ]
    assert published(settings, "select n from totals") == [(4,)]
    assert published(settings, "select comment from duckdb_columns() where table_name = 'totals'") == [("how many",)]

    # Nothing rebuilt since. The next publication patches the version BI read before run-2 (the
    # spare), which lacks the days of both runs; the one after that, run-2's version: no days.
    assert publish(settings, MODELS, "run-3").mode == "days 2026-11-03 to 2026-11-04"
    assert published(settings, "select day, v from events order by day")[2:] == [
        (date(2026, 11, 3), 2),
        (date(2026, 11, 4), 2),
    ]
    assert publish(settings, MODELS, "run-4").mode == "no days"

    # A dbt run without partition vars may have rewritten any day: a full copy.
    warehouse(settings, run(None, None, "2026-11-06 02:00:00"))
    assert publish(settings, MODELS, "run-5").mode == "full"
    assert published(settings, "select count(*) from events where v = 2") == [(4,)]


def test_a_changed_column_list_copies_that_mart_whole(settings):
    publish(settings, MODELS, "run-1")
    warehouse(
        settings,
        "alter table marts.events add column w integer default 7; update marts.events set v = 5;"
        + run("2026-11-03", "2026-11-03", "2026-11-05 02:00:00"),
    )
    assert publish(settings, MODELS, "run-2").mode == "days 2026-11-03 to 2026-11-03"
    assert published(settings, "select distinct v, w from events") == [(5, 7)]


def test_a_file_published_before_runs_were_recorded_is_replaced_whole(settings):
    settings.published.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.published))
    con.execute("create table events as select date '2026-11-01' as day, 9 as v")
    con.execute("create table old_mart as select 1 as x")
    con.execute("create table _publication as select now() as published_at, 'old' as run_id, '{}' as tables")
    con.close()
    warehouse(settings, run("2026-11-03", "2026-11-03", "2026-11-05 02:00:00"))
    assert publish(settings, MODELS, "run-2").mode == "full"
    assert published(settings, "select count(*), max(v) from events") == [(3, 1)]
    assert published(settings, "select count(*) from duckdb_tables() where table_name = 'old_mart'") == [(0,)]


def test_a_mart_whose_paths_look_back_takes_the_days_after_the_window_too(settings):
    credits = PublishedModel(
        schema="marts", name="events", description="credits", columns={}, day_column="day", days_after=1
    )
    publish(settings, [credits], "run-1")
    # A correction of 11-01: the orders of 11-02, whose lookback reaches 11-01, were re-credited.
    warehouse(settings, "update marts.events set v = 3;" + run("2026-11-01", "2026-11-01", "2026-11-05 02:00:00"))
    assert publish(settings, [credits], "run-2").mode == "days 2026-11-01 to 2026-11-01"
    assert published(settings, "select day, v from events order by day") == [
        (date(2026, 11, 1), 3),
        (date(2026, 11, 2), 3),
        (date(2026, 11, 3), 1),
    ]


def test_a_mart_takes_the_older_days_its_runs_recorded_as_rewritten(settings):
    # A night of 11-03 also credited anew an order paid on 11-01 (its buyer was linked to a
    # person): fct_attribution_credits' post-hook recorded that day, so it is copied too; 11-02,
    # changed in the warehouse but rewritten by no run since, keeps its published copy.
    publish(settings, MODELS, "run-1")
    warehouse(
        settings,
        "update marts.events set v = 6;"
        "create table meta.rewritten_days (invocation_id varchar, model varchar, day date);"
        "insert into meta.rewritten_days values ('2026-11-05 02:00:00', 'events', date '2026-11-01'),"
        "('2026-11-05 02:00:00', 'other_mart', date '2026-11-02'), ('an older run', 'events', date '2026-11-02');"
        + run("2026-11-03", "2026-11-03", "2026-11-05 02:00:00"),
    )
    assert publish(settings, MODELS, "run-2").mode == "days 2026-11-03 to 2026-11-03"
    assert published(settings, "select day, v from events order by day") == [
        (date(2026, 11, 1), 6),
        (date(2026, 11, 2), 1),
        (date(2026, 11, 3), 6),
    ]


def test_a_mart_rewritten_by_key_takes_the_rows_of_the_runs_since_the_last_publication(settings):
    orders = PublishedModel(
        schema="marts",
        name="orders",
        description="by order",
        columns={},
        run_column="dbt_invocation_id",
        unique_key=("store", "order_id"),
    )
    warehouse(
        settings,
        "create table marts.orders as select * from (values "
        "('tmall', 'A', 1, 'first'), ('tmall', 'B', 1, 'first'), ('douyin', 'A', 1, 'first')"
        ") t(store, order_id, v, dbt_invocation_id)",
    )
    assert publish(settings, [orders], "run-1").mode == "full"
    assert published(settings, "select column_name from duckdb_columns() where table_name = 'orders'") == [
        ("store",),
        ("order_id",),
        ("v",),  # the run column stays in the warehouse
    ]

    # A night rewrote tmall A (its two lines now) and added tmall C; tmall B differs in the
    # warehouse too, but no run since the publication wrote it, so the BI file keeps its copy:
    # the mart was patched by key rather than copied. douyin A shares tmall A's order id only.
    night = "2026-11-05 02:00:00"
    warehouse(
        settings,
        f"delete from marts.orders where store = 'tmall' and order_id = 'A';"
        f"insert into marts.orders values ('tmall', 'A', 2, '{night}'), ('tmall', 'A', 3, '{night}'),"
        f" ('tmall', 'C', 2, '{night}');"
        "update marts.orders set v = 9 where order_id = 'B';" + run("2026-11-03", "2026-11-03", night),
    )
    publication = publish(settings, [orders], "run-2")
    assert publication.mode == "days 2026-11-03 to 2026-11-03"
    assert publication.tables == {"orders": 5}
    assert published(settings, "select store, order_id, v from orders order by all") == [
        ("douyin", "A", 1),
        ("tmall", "A", 2),
        ("tmall", "A", 3),
        ("tmall", "B", 1),
        ("tmall", "C", 2),
    ]

    # A full build (no partition vars) may have rewritten every order: a full copy.
    warehouse(settings, run(None, None, "2026-11-06 02:00:00"))
    assert publish(settings, [orders], "run-3").mode == "full"
    assert published(settings, "select v from orders where order_id = 'B'") == [(9,)]


READER = """
import sys, time, pathlib, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
total = lambda: con.execute("select sum(v) from events").fetchone()[0]
print(total(), flush=True)
while not pathlib.Path(sys.argv[2]).exists():
    time.sleep(0.05)
print(total(), flush=True)
"""


def versions(settings) -> set[str]:
    return {p.name for p in settings.published.parent.glob(".*.version")}


def linked(settings) -> str:
    assert settings.published.is_symlink()
    return os.readlink(settings.published)


def test_the_link_alternates_between_two_versions_and_skips_one_a_reader_holds(settings, tmp_path):
    publish(settings, MODELS, "run-1")
    first = linked(settings)
    # A full publication leaves a copy of itself beside it, for the next one to patch in place.
    (copy,) = versions(settings) - {first}
    folder = settings.published.parent
    assert (folder / copy).read_bytes() == (folder / first).read_bytes()

    def night(v: int, at: str) -> None:
        warehouse(settings, f"update marts.events set v = {v};" + run("2026-11-03", "2026-11-03", at))

    night(2, "2026-11-05 02:00:00")
    assert publish(settings, MODELS, "run-2").mode == "days 2026-11-03 to 2026-11-03"  # the copy, patched
    second = linked(settings)
    assert second == copy and versions(settings) == {first, second}

    night(3, "2026-11-06 02:00:00")
    publication = publish(settings, MODELS, "run-3")  # the first version, patched in place
    assert linked(settings) == first and versions(settings) == {first, second}
    # It took the days of both runs since its own publication (11-03 only: 11-01 stays 1).
    assert publication.mode == "days 2026-11-03 to 2026-11-03"
    assert published(settings, "select day, v from events order by day") == [
        (date(2026, 11, 1), 1),
        (date(2026, 11, 2), 1),
        (date(2026, 11, 3), 3),
    ]

    # A BI tool connects (to the first version) and stays connected over two publications: the
    # second one finds its spare held and writes a new version beside it.
    go = tmp_path / "go"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.published), str(go)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "5"
        night(4, "2026-11-07 02:00:00")
        publish(settings, MODELS, "run-4")
        assert linked(settings) == second
        night(5, "2026-11-08 02:00:00")
        publish(settings, MODELS, "run-5")
        third = linked(settings)
        assert third not in (first, second)
        assert versions(settings) == {second, third}  # the held one is gone from the folder only
        assert published(settings, "select sum(v) from events") == [(7,)]
        go.touch()
        assert reader.stdout.readline().strip() == "5", "the reader keeps its snapshot"
        assert reader.wait(timeout=30) == 0
    finally:
        reader.kill()


def test_a_full_publication_without_room_for_its_copy_is_published_all_the_same(settings, monkeypatch):
    def no_room(source, destination):
        raise OSError("disk full")

    with monkeypatch.context() as full_disk:
        full_disk.setattr(publication_module.shutil, "copyfile", no_room)
        assert publish(settings, MODELS, "run-1").mode == "full"
    assert versions(settings) == {linked(settings)}
    assert not list(settings.published.parent.glob(".*.partial*"))
    warehouse(settings, "update marts.events set v = 2;" + run("2026-11-03", "2026-11-03", "2026-11-05 02:00:00"))
    assert publish(settings, MODELS, "run-2").mode == "days 2026-11-03 to 2026-11-03"  # copies the file first
    assert published(settings, "select sum(v) from events") == [(4,)]


def test_a_publication_that_fails_half_way_leaves_every_version_whole(settings, monkeypatch):
    publish(settings, MODELS, "run-1")
    first = linked(settings)
    warehouse(settings, "update marts.events set v = 2;" + run("2026-11-03", "2026-11-03", "2026-11-05 02:00:00"))
    publish(settings, MODELS, "run-2")
    second = linked(settings)

    def fail_on_totals(con, model):
        if model.name == "totals":  # after the days of `events` were replaced
            raise OSError("disk full")

    warehouse(settings, "update marts.events set v = 3;" + run("2026-11-03", "2026-11-03", "2026-11-06 02:00:00"))
    with monkeypatch.context() as failing:
        failing.setattr(publication_module, "_comment", fail_on_totals)
        with pytest.raises(OSError, match="disk full"):
            publish(settings, MODELS, "run-3")  # patching the first version in place
    assert linked(settings) == second
    assert versions(settings) == {first, second}
    spare = duckdb.connect(str(settings.published.parent / first), read_only=True)
    try:  # rolled back: still run-1's publication
        assert spare.execute("select run_id from _publication").fetchall() == [("run-1",)]
        assert spare.execute("select sum(v) from events").fetchall() == [(3,)]
    finally:
        spare.close()

    publish(settings, MODELS, "run-4")
    assert linked(settings) == first
    assert published(settings, "select day, v from events order by day")[2:] == [(date(2026, 11, 3), 3)]
    assert not list(settings.published.parent.glob(".*.partial*"))


def test_settings_keep_the_published_link_rather_than_the_version_it_points_at(tmp_path, monkeypatch):
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / ".bi.duckdb.1.version").write_bytes(b"")
    (folder / "bi.duckdb").symlink_to(".bi.duckdb.1.version")
    monkeypatch.setenv("ZHONGCAO_HOME", str(tmp_path))
    monkeypatch.setenv("ZHONGCAO_PUBLISHED", str(folder / "bi.duckdb"))
    assert Settings.from_env().published == folder.resolve() / "bi.duckdb"
