"""Atomic publication of the public marts into the separate DuckDB file BI tools read.

A BI tool holding the published file open must never block or break a run (DuckDB file locks,
see shared/stack-facts.md), so the published path is a symbolic link to a version file beside
it (`.<name>.<id>.version`), and a publication writes a version no reader holds and swaps the
link with os.replace: readers already connected keep their snapshot, new connections see the
new one, and a failure leaves the link and what it points at untouched.

The version written is, when it can be, the previous one (the spare: what the link pointed at
before the last swap, if no reader still holds it), patched in place in one transaction;
otherwise a copy of the current one, or a new file. What is patched: the marts that a
partitioned dbt run rewrites day by day (dbt meta `publish_by_day`) take only the days the dbt
runs since that version's publication rebuilt (`meta.dbt_runs`, recorded by dbt itself before
any model runs; a mart whose paths look back, meta `publish_days_after`, that many days after
them too, and the days outside those that a mart's post-hook recorded in `meta.rewritten_days`:
orders credited anew on older days); the marts a partitioned run rewrites by key (meta
`publish_by_run`: the column where each row names the dbt invocation that wrote it, which stays
in the warehouse) take the rows those runs wrote, replacing the published rows of the same
unique keys; every other mart is copied whole. Any dbt run without partition vars, a changed
column list or a file published by an older version means a full copy into a new file; that
publication then leaves a copy of its version as the spare, so the night after a full build
patches in place too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from zhongcao.config import Settings
from zhongcao.sqltext import ident, literal

PUBLISH_MEMORY = "1GB"  # DuckDB's limit while writing the BI file (see publish)


@dataclass(frozen=True)
class PublishedModel:
    schema: str
    name: str
    description: str
    columns: dict[str, str]
    day_column: str | None = None  # rebuilt by day in partitioned runs: published by day too
    days_after: int = 0  # a partitioned run also rewrites this many days after its window
    run_column: str | None = None  # names each row's dbt invocation: published by run, not published itself
    unique_key: tuple[str, ...] = ()  # what a partitioned run replaces rows by (dbt's unique_key)

    def published_columns(self, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(name, kind) for name, kind in columns if name != self.run_column]

    def select_published(self, relation: str) -> str:
        hidden = f" exclude ({ident(self.run_column)})" if self.run_column else ""
        return f"select *{hidden} from {relation}"


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]
    mode: str = "full"  # or the days copied into the big marts, e.g. "days 2026-12-01 to 2026-12-01"


@dataclass(frozen=True)
class _Plan:
    """What the dbt runs since the last publication rebuilt: `days` ranges, or None for all."""

    days: list[tuple[date, date]] | None
    runs_through: datetime | None  # the newest dbt run this publication includes
    invocations: tuple[str, ...] = ()  # the dbt runs since the last publication


def published_models(manifest_path: Path) -> list[PublishedModel]:
    """dbt models with `meta.publish: true` (all marts, via dbt_project.yml)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    models = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or not node["config"].get("meta", {}).get("publish"):
            continue
        unique_key = node["config"].get("unique_key") or ()
        models.append(
            PublishedModel(
                schema=node["schema"],
                name=node["name"],
                description=" ".join(node.get("description", "").split()),
                columns={c: " ".join(v.get("description", "").split()) for c, v in node["columns"].items()},
                day_column=node["config"]["meta"].get("publish_by_day"),
                days_after=int(node["config"]["meta"].get("publish_days_after", 0)),
                run_column=node["config"]["meta"].get("publish_by_run"),
                unique_key=(unique_key,) if isinstance(unique_key, str) else tuple(unique_key),
            )
        )
    return sorted(models, key=lambda m: m.name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _table_columns(con, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe {relation}").fetchall()]


def _plan(con, previous: str | None) -> _Plan:
    """What the dbt runs since the publication in the database `previous` (None: no previous
    publication) rebuilt; `con` has the warehouse attached as `warehouse`."""
    has_runs = con.execute(
        "select count(*) from duckdb_tables() where database_name = 'warehouse' "
        "and schema_name = 'meta' and table_name = 'dbt_runs'"
    ).fetchone()[0]
    if not has_runs:
        return _Plan(days=None, runs_through=None)
    latest = con.execute("select max(started_at) from warehouse.meta.dbt_runs").fetchone()[0]
    if previous is None:
        return _Plan(days=None, runs_through=latest)
    try:
        columns = {name for name, _ in _table_columns(con, f"{previous}.main._publication")}
    except duckdb.Error:
        return _Plan(days=None, runs_through=latest)  # nothing published there yet
    if "dbt_runs_through" not in columns:
        return _Plan(days=None, runs_through=latest)  # published before this scheme
    through = con.execute(f"select max(dbt_runs_through) from {previous}.main._publication").fetchone()[0]
    runs = con.execute(
        "select window_start, window_end, invocation_id from warehouse.meta.dbt_runs where ? is null or started_at > ?",
        [through, through],
    ).fetchall()
    if through is None or any(start is None or end is None for start, end, _ in runs):
        return _Plan(days=None, runs_through=latest)
    merged: list[tuple[date, date]] = []
    for start, end, _ in sorted(runs):
        if merged and start <= merged[-1][1] + timedelta(days=1):  # overlapping or adjacent
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return _Plan(days=merged, runs_through=latest, invocations=tuple(sorted(i for _, _, i in runs)))


def _comment(con, model: PublishedModel) -> None:
    table = f"main.{ident(model.name)}"
    con.execute(f"comment on table {table} is {literal(model.description)}")
    existing = {name for name, _ in _table_columns(con, table)}
    for column, description in model.columns.items():
        if column in existing and description:
            con.execute(f"comment on column {table}.{ident(column)} is {literal(description)}")


def _days_filter(column: str, days: list[tuple[date, date]]) -> str:
    return " or ".join(
        f"{ident(column)} between {literal(start.isoformat())} and {literal(end.isoformat())}" for start, end in days
    )


def _rewritten_days(con, model: PublishedModel, invocations: tuple[str, ...]) -> list[date]:
    """The days outside their windows that the dbt `invocations` rewrote in `model` (its
    post-hook records them in meta.rewritten_days: orders credited anew on older days)."""
    recorded = con.execute(
        "select count(*) from duckdb_tables() where database_name = 'warehouse' "
        "and schema_name = 'meta' and table_name = 'rewritten_days'"
    ).fetchone()[0]
    if not recorded or not invocations:
        return []
    runs = ", ".join(literal(i) for i in invocations)
    rows = con.execute(
        "select distinct day from warehouse.meta.rewritten_days "
        f"where model = ? and invocation_id in ({runs}) order by day",
        [model.name],
    ).fetchall()
    return [day for (day,) in rows]


def _replace_rows_of_runs(con, model: PublishedModel, source: str, table: str, invocations: tuple[str, ...]) -> None:
    """The rows the dbt `invocations` wrote replace the published rows of their unique keys, as
    dbt's delete+insert replaced them in the warehouse."""
    runs = ", ".join(literal(i) for i in invocations)
    key = ", ".join(ident(c) for c in model.unique_key)
    con.execute(
        f"create or replace temporary table rows_of_runs as "
        f"{model.select_published(source)} where {ident(model.run_column)} in ({runs})"
    )
    con.execute(f"delete from {table} where ({key}) in (select {key} from rows_of_runs)")
    con.execute(f"insert into {table} select * from rows_of_runs")
    con.execute("drop table rows_of_runs")


def _versions(target: Path) -> list[Path]:
    """The version files of the published path, newest first."""
    found = [p for p in target.parent.glob(f".{target.name}.*.version") if p.is_file() and not p.is_symlink()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _new_version(target: Path) -> Path:
    """A name for one more version file of the published path (one `_versions` finds)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.version")


def _current(target: Path) -> Path | None:
    """The file BI tools open now: the link's version, or a plain file published before links."""
    if target.is_symlink():
        version = target.parent / os.readlink(target)
        return version if version.is_file() else None
    return target if target.is_file() else None


def _prepare(con, settings: Settings) -> None:
    con.execute("set enable_progress_bar = false")
    # A copy streams: DuckDB's default limit (80 % of the machine) only filled its cache,
    # taking the run process from 3.5 to 8.8 GB on 50 M touchpoints. With 1 GB the full
    # copy took as long (66 s) and peaked at 1.1 GB.
    con.execute(f"set memory_limit = {literal(PUBLISH_MEMORY)}")
    con.execute(f"set temp_directory = {literal(str(settings.home / 'tmp' / 'duckdb'))}")
    con.execute(f"attach {literal(str(settings.warehouse))} as warehouse (read_only)")


def _open_spare(settings: Settings, spare: Path):
    """A read-write connection to the previous version and what patching it takes, or None when a
    reader still holds it (DuckDB's lock), it is unreadable (a run killed while copying it), or
    only a full copy would do. Not taken, it is removed after the swap (a reader keeps its inode)."""
    try:
        con = duckdb.connect(str(spare))
    except duckdb.Error:
        return None
    try:
        _prepare(con, settings)
        plan = _plan(con, ident(con.execute("select current_database()").fetchone()[0]))
    except BaseException:
        con.close()
        raise
    if plan.days is None:
        con.close()
        return None  # a full copy goes to a new, compact file
    return con, plan


def _remove(version: Path) -> None:
    for path in (version, version.with_name(version.name + ".wal")):
        path.unlink(missing_ok=True)


def _write(con, models: list[PublishedModel], plan: _Plan, run_id: str) -> tuple[dict[str, int], str]:
    by_day = plan.days is not None
    tables: dict[str, int] = {}
    listed = con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'main'"
    )
    present = {r[0] for r in listed.fetchall()}
    for model in models:
        source = f"warehouse.{ident(model.schema)}.{ident(model.name)}"
        table = f"main.{ident(model.name)}"
        patchable = (
            by_day
            and model.name in present
            and _table_columns(con, table) == model.published_columns(_table_columns(con, source))
        )
        if patchable and model.day_column:
            if plan.days:
                after = timedelta(days=model.days_after)
                days = [(start, end + after) for start, end in plan.days]
                days += [(day, day) for day in _rewritten_days(con, model, plan.invocations)]
                changed = _days_filter(model.day_column, days)
                con.execute(f"delete from {table} where {changed}")
                con.execute(f"insert into {table} select * from {source} where {changed}")
        elif patchable and model.run_column and model.unique_key:
            if plan.invocations:
                _replace_rows_of_runs(con, model, source, table, plan.invocations)
        else:
            con.execute(f"create or replace table {table} as {model.select_published(source)}")
        _comment(con, model)
        tables[model.name] = con.execute(f"select count(*) from {table}").fetchone()[0]
    for gone in present - set(tables) - {"_publication"}:  # a mart no longer published
        con.execute(f"drop table main.{ident(gone)}")
    if not by_day:
        mode = "full"
    else:
        mode = "days " + ", ".join(f"{start} to {end}" for start, end in plan.days) if plan.days else "no days"
    con.execute(
        "create or replace table main._publication as select ? as published_at, ? as run_id, "
        "? as tables, ? as mode, cast(? as timestamp) as dbt_runs_through",
        [datetime.now(UTC).replace(tzinfo=None), run_id, json.dumps(tables), mode, plan.runs_through],
    )
    con.execute("comment on table main._publication is 'When and by which Dagster run this file was published'")
    return tables, mode


def publish(settings: Settings, models: list[PublishedModel], run_id: str) -> Publication:
    if not models:
        raise ValueError("nothing to publish: no dbt model has meta.publish = true")
    target = settings.published
    target.parent.mkdir(parents=True, exist_ok=True)
    # One run publishes at a time (zhongcao/runlock.py): a half-written version or a link here
    # was left by a run killed while publishing (.tmp: by versions before links).
    for pattern in (".*.tmp*", ".*.partial*", ".*.link"):
        for stale in target.parent.glob(f".{target.name}{pattern}"):
            stale.unlink(missing_ok=True)
    current = _current(target)
    opened = None
    spares = [v for v in _versions(target) if v != current]
    if spares:
        opened = _open_spare(settings, spares[0])
    if opened is not None:
        version, (con, plan) = spares[0], opened
        written = version
    else:
        # A new version is written under another name, so a `.version` file is always whole.
        version = _new_version(target)
        written = version.with_suffix(".partial")
        con = duckdb.connect()
        try:
            _prepare(con, settings)
            if current is not None and not current.with_name(current.name + ".wal").exists():
                con.execute(f"attach {literal(str(current))} as previous (read_only)")
                plan = _plan(con, "previous")
            else:
                plan = _plan(con, None)
        finally:
            con.close()
        try:
            if plan.days is not None:
                shutil.copyfile(current, written)
            con = duckdb.connect(str(written))
            _prepare(con, settings)
        except BaseException:
            _remove(written)
            raise
    try:
        try:
            if opened is not None:
                # In place, the spare goes from one whole publication to the next: a run killed
                # half-way leaves it as it was, still a spare.
                con.execute("begin transaction")
            tables, mode = _write(con, models, plan, run_id)
            if opened is not None:
                con.execute("commit")
            con.execute("detach warehouse")
            con.execute("checkpoint")
        finally:
            con.close()
        _fsync(written)
        if written != version:
            os.replace(written, version)
        link = target.with_name(f".{target.name}.{uuid.uuid4().hex}.link")
        os.symlink(version.name, link)
        os.replace(link, target)
    except BaseException:
        if opened is None:
            _remove(written)
            _remove(version)
        raise
    # The version just replaced stays as the next spare (a reader may hold it; one removed keeps
    # its inode for its readers); older ones go.
    kept = {version, current}
    if plan.days is None:
        # After a full publication no spare can be patched: the next one would copy this file
        # whole first (3.2 GB, ~10 s of the first night after a full build on the large world).
        # A full build has the time; the night after it patches this copy in place instead.
        # Without room for it, published all the same: the next night copies the file whole.
        with contextlib.suppress(OSError):
            kept = {version, _copy_as_spare(version, target)}
    _fsync(target.parent)
    for old in _versions(target):
        if old not in kept:
            _remove(old)
    return Publication(path=target, tables=tables, mode=mode)


def _copy_as_spare(version: Path, target: Path) -> Path:
    """A whole copy of `version` beside it, under a version name of its own (written as
    `.partial` first, so a `.version` file is always whole)."""
    spare = _new_version(target)
    partial = spare.with_suffix(".partial")
    try:
        shutil.copyfile(version, partial)
        _fsync(partial)
        os.replace(partial, spare)
    except BaseException:
        _remove(partial)
        raise
    return spare


def export_parquet(published: Path, out_dir: Path) -> dict[str, Path]:
    """Every table of the published file as <out_dir>/<table>.parquet (ZSTD), each file swapped
    in whole, so a reader of the folder never sees half a file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(published), read_only=True)
    written = {}
    try:
        listed = con.execute("select table_name from information_schema.tables where table_schema = 'main'")
        tables = [r[0] for r in listed.fetchall()]
        for table in sorted(t for t in tables if not t.startswith("_")):
            target = out_dir / f"{table}.parquet"
            temporary = out_dir / f".{table}.{uuid.uuid4().hex}.tmp"
            con.execute(f"copy main.{ident(table)} to {literal(str(temporary))} (format parquet, compression zstd)")
            os.replace(temporary, target)
            written[table] = target
    finally:
        con.close()
    return written
