"""Atomic publication of the public marts into the separate DuckDB file BI tools read.

A BI tool holding the published file open must never block or break a run (DuckDB file
locks, see shared/stack-facts.md), so the new version is written to a private temporary
file beside it and swapped in with os.replace: readers already connected keep the old
snapshot, new connections see the new one, and a failure leaves the old file untouched.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from zhongcao.config import Settings
from zhongcao.sqltext import ident, literal


@dataclass(frozen=True)
class PublishedModel:
    schema: str
    name: str
    description: str
    columns: dict[str, str]


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]


def published_models(manifest_path: Path) -> list[PublishedModel]:
    """dbt models with `meta.publish: true` (all marts, via dbt_project.yml)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    models = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or not node["config"].get("meta", {}).get("publish"):
            continue
        models.append(
            PublishedModel(
                schema=node["schema"],
                name=node["name"],
                description=" ".join(node.get("description", "").split()),
                columns={c: " ".join(v.get("description", "").split()) for c, v in node["columns"].items()},
            )
        )
    return sorted(models, key=lambda m: m.name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(settings: Settings, models: list[PublishedModel], run_id: str) -> Publication:
    if not models:
        raise ValueError("nothing to publish: no dbt model has meta.publish = true")
    target = settings.published
    target.parent.mkdir(parents=True, exist_ok=True)
    # One run publishes at a time (zhongcao/runlock.py): any temporary file here was left by a
    # run that was killed while publishing.
    for stale in target.parent.glob(f".{target.name}.*.tmp*"):
        stale.unlink(missing_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    tables: dict[str, int] = {}
    try:
        con = duckdb.connect(str(temporary))
        try:
            con.execute(f"attach {literal(str(settings.warehouse))} as warehouse (read_only)")
            for model in models:
                source = f"warehouse.{ident(model.schema)}.{ident(model.name)}"
                con.execute(f"create table main.{ident(model.name)} as select * from {source}")
                con.execute(f"comment on table main.{ident(model.name)} is {literal(model.description)}")
                existing = {r[0] for r in con.execute(f"describe main.{ident(model.name)}").fetchall()}
                for column, description in model.columns.items():
                    if column in existing and description:
                        con.execute(
                            f"comment on column main.{ident(model.name)}.{ident(column)} is {literal(description)}"
                        )
                tables[model.name] = con.execute(f"select count(*) from main.{ident(model.name)}").fetchone()[0]
            con.execute("detach warehouse")
            con.execute(
                "create table main._publication as select ? as published_at, ? as run_id, ? as tables",
                [datetime.now(UTC).replace(tzinfo=None), run_id, json.dumps(tables)],
            )
            con.execute("comment on table main._publication is 'When and by which Dagster run this file was published'")
            con.execute("checkpoint")
        finally:
            con.close()
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync(target.parent)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return Publication(path=target, tables=tables)


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
