"""Which days a run rebuilds.

A run is asked for a range of daily partitions (Shanghai dates). Files are loaded whatever days
they cover, so the days dbt rebuilds are that range widened to every day whose raw rows changed
since the last finished dbt build (`meta.pending_days`): a late or corrected export, or the
files of a run killed before its dbt step finished, are never left behind. A range that starts
at the first partition, or a changed report without dates (the product master), means a full
build.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

WINDOWS_DDL = """
create schema if not exists meta;
create table if not exists meta.pending_days (
    day date,                          -- null: every day (a report without dates changed)
    platform varchar not null,
    report varchar not null,
    file_name varchar not null,
    recorded_at timestamp not null
);
create table if not exists meta.builds (
    run_id varchar not null,
    window_start date,                 -- null for a full build
    window_end date,
    full_build boolean not null,
    started_at timestamp not null,
    finished_at timestamp              -- null until dbt finished
);
"""


@dataclass(frozen=True)
class Window:
    """The days a dbt build rebuilds; `full` rebuilds every day (no partition vars)."""

    start: date | None
    end: date | None
    full: bool

    def dbt_environment(self) -> dict[str, str | None]:
        """The environment variables dbt reads the window from (dbt/macros/partitions.sql), None
        for unset: a full build must not inherit a window from the caller's environment."""
        if self.full:
            return {"ZHONGCAO_PARTITION_START": None, "ZHONGCAO_PARTITION_END": None}
        return {"ZHONGCAO_PARTITION_START": self.start.isoformat(), "ZHONGCAO_PARTITION_END": self.end.isoformat()}

    def describe(self) -> str:
        return "every day (full build)" if self.full else f"{self.start} .. {self.end}"


def _has_window_tables(con) -> bool:
    """Creates the tables unless they exist; False when they do not and `con` is read-only (a
    quality check's connection on a warehouse no run has recorded anything in yet)."""
    present = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name in ('pending_days', 'builds')"
    ).fetchone()[0]
    if present == 2:
        return True
    try:
        con.execute(WINDOWS_DDL)
    except duckdb.InvalidInputException:
        return False
    return True


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_pending(con, platform: str, report: str, file_name: str, days: list[date] | None) -> None:
    """Days whose raw rows a loaded file replaced (None: every day) wait for the next dbt build."""
    rows = [None] if days is None else days
    if not rows:
        return
    con.executemany(
        "insert into meta.pending_days values (?, ?, ?, ?, ?)",
        [[day, platform, report, file_name, _now()] for day in rows],
    )


def window_for(con, start: date, end: date, first_day: date) -> Window:
    """The partition range [start, end] widened to the pending days."""
    earliest, latest, every_day = (
        (None, None, False)
        if not _has_window_tables(con)
        else con.execute(
            "select min(day), max(day), coalesce(bool_or(day is null), false) from meta.pending_days"
        ).fetchone()
    )
    if every_day or start <= first_day:
        return Window(start=None, end=None, full=True)
    return Window(start=min(start, earliest or start), end=max(end, latest or end), full=False)


def plan_window(con, run_id: str, start: date, end: date, first_day: date) -> Window:
    """The window the run's dbt build rebuilds, recorded in meta.builds."""
    window = window_for(con, start, end, first_day)
    con.execute(
        "insert into meta.builds values (?, ?, ?, ?, ?, null)", [run_id, window.start, window.end, window.full, _now()]
    )
    return window


def finish_window(con, run_id: str) -> None:
    """dbt built the run's window: the days pending when it started are done."""
    con.execute(WINDOWS_DDL)
    started = con.execute(
        "select max(started_at) from meta.builds where run_id = ? and finished_at is null", [run_id]
    ).fetchone()[0]
    if started is None:
        return
    con.execute("delete from meta.pending_days where recorded_at <= ?", [started])
    con.execute("update meta.builds set finished_at = ? where run_id = ? and started_at = ?", [_now(), run_id, started])


def window_of_run(con, run_id: str) -> Window | None:
    """The window the run's dbt step built, None when it built none (checks then see every row)."""
    if not _has_window_tables(con):
        return None
    row = con.execute(
        "select window_start, window_end, full_build from meta.builds where run_id = ? "
        "order by started_at desc limit 1",
        [run_id],
    ).fetchone()
    return None if row is None else Window(*row)
