"""The one DbtProject of the code location, with its manifest kept fresh automatically."""

import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path

import dbt.version
from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from zhongcao.config import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _dbt_executable() -> str:
    # The venv's dbt, even when the venv's bin/ is not on PATH (e.g. `.venv/bin/python -m pytest`).
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _sources_newer_than(path: Path) -> bool:
    if not path.exists():
        return True
    built = path.stat().st_mtime
    watched = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "reference"):
        watched += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in watched if p.exists())


@cache
def project_manifest() -> dict:
    return json.loads(prepare_manifest().read_text(encoding="utf-8"))


def prepare_manifest() -> Path:
    """`dbt parse` when the manifest is missing or older than any project file."""
    if _sources_newer_than(dbt_project.manifest_path):
        # What DbtProject's preparer does, but with the venv's dbt rather than PATH's.
        dbt_resource.cli(["--quiet", "parse"], target_path=dbt_project.target_path).wait()
    return dbt_project.manifest_path


RUN_TARGETS_KEPT = 10
RUN_TARGET_MIN_AGE_SECONDS = 3600  # younger ones may belong to a dbt step still running (tests run in parallel)


def prune_run_targets(target_dir: Path, op_name: str, keep: int = RUN_TARGETS_KEPT) -> list[Path]:
    """Delete all but the `keep` newest target folders dagster-dbt left in `target_dir` for the op
    `op_name`, sparing any touched within the last hour.

    Every dbt step writes its compiled SQL, logs and run results (about 17 MB on the sample) to a
    folder of its own, `<op name>-<run id>-<uuid>`, and nothing removes it: a nightly schedule
    would fill the disk at the pace of a folder a night. The newest few stay for whoever
    inspects a failed run. Returns the folders deleted."""
    run_targets = sorted(
        (path for path in target_dir.glob(f"{op_name}-*") if path.is_dir()),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    cutoff = time.time() - RUN_TARGET_MIN_AGE_SECONDS
    stale = [path for path in run_targets[keep:] if path.stat().st_mtime < cutoff]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def run_target(op_name: str, run_id: str, saved_parse: Path) -> Path:
    """A new target folder for one dbt step, named as dagster-dbt names its own, starting from
    the parse state the last dbt step on the same warehouse saved (`saved_parse`).

    dbt re-parses the whole project (≈ 5 s) unless the target folder holds a partial parse made
    with the same profile; the profile names the warehouse file, so the one dagster-dbt copies
    from dbt/target/ (made by `dbt parse` in whatever environment prepared the manifest) only
    serves when its warehouse path happens to match."""
    target = dbt_project.project_dir / dbt_project.target_path / f"{op_name}-{run_id[:7]}-{uuid.uuid4().hex[:7]}"
    target.mkdir(parents=True)
    if saved_parse.exists():
        shutil.copyfile(saved_parse, target / PARTIAL_PARSE_FILE)
    return target


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def save_partial_parse(target: Path, saved_parse: Path) -> None:
    """Keep the parse state a dbt step left in `target` for the next step on this warehouse (an
    atomic swap: two steps finishing together leave one whole file)."""
    parsed = target / PARTIAL_PARSE_FILE
    if not parsed.exists():
        return
    saved_parse.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(saved_parse, parsed.read_bytes())


BUILT_STATE = "built_state"  # a folder beside the saved partial parse
BUILT_MANIFEST = "manifest.json"
BUILT_ON = "built_on.json"
BUILT_DDL = "create schema if not exists meta; create table if not exists meta.dbt_built_state (build varchar not null)"


def save_built_state(target: Path, state_dir: Path, con) -> None:
    """Keep the manifest of a dbt build of every model that succeeded (what the views and seeds
    were built from, for the next night to compare with: kept_objects_exclude), and mark the
    warehouse (`con`) with the same build id. A warehouse restored from a backup, or another
    file, carries another mark or none; a crash between the two writes leaves them different."""
    manifest = target / "manifest.json"
    if not manifest.exists():
        return
    content = manifest.read_bytes()
    build = f"{dbt.version.__version__}:{hashlib.sha256(content).hexdigest()}"
    state_dir.mkdir(parents=True, exist_ok=True)
    # The stamp goes first and comes back last: a crash in between leaves no stamp, or a stamp
    # the warehouse's (old) mark does not match; never the old stamp beside a new manifest.
    (state_dir / BUILT_ON).unlink(missing_ok=True)
    _write_atomically(state_dir / BUILT_MANIFEST, content)
    _write_atomically(state_dir / BUILT_ON, json.dumps({"build": build}).encode())
    con.execute(BUILT_DDL)
    con.execute("begin")
    con.execute("delete from meta.dbt_built_state")
    con.execute("insert into meta.dbt_built_state values (?)", [build])
    con.execute("commit")


def is_view_or_seed(node: Mapping) -> bool:
    """A manifest node a night may leave as it is (hooks are `view`s in the manifest too)."""
    return node["resource_type"] == "seed" or (
        node["resource_type"] == "model" and node["config"]["materialized"] == "view"
    )


def kept_objects_exclude(state_dir: Path, con, manifest: Mapping) -> list[str]:
    """dbt selectors of the views and seeds a partitioned build may leave as they are: those
    unchanged (dbt `state:unmodified`: code, configs, macros, seed files) since the last build of
    every model, which `state_dir` recorded. Re-creating 28 unchanged views and reloading 4
    seeds cost ~5 s of a large night's dbt step (DDL commits and dbt's per-node work). Nothing is
    left out unless the warehouse (`con`) carries that build's mark, this dbt made it, and every
    view and seed table of the manifest is in the warehouse."""
    stamp = state_dir / BUILT_ON
    if not (state_dir / BUILT_MANIFEST).exists() or not stamp.exists():
        return []
    build = json.loads(stamp.read_text(encoding="utf-8")).get("build")
    if not build or build.split(":")[0] != dbt.version.__version__:
        return []
    present = set(
        con.execute(
            "select schema_name, view_name from duckdb_views() where not internal "
            "union all select schema_name, table_name from duckdb_tables()"
        ).fetchall()
    )
    if ("meta", "dbt_built_state") not in present:
        return []
    if con.execute("select build from meta.dbt_built_state").fetchall() != [(build,)]:
        return []
    wanted = {(n["schema"], n.get("alias") or n["name"]) for n in manifest["nodes"].values() if is_view_or_seed(n)}
    if not wanted <= present:
        return []
    return ["config.materialized:view,state:unmodified", "resource_type:seed,state:unmodified"]


def keeping_args(state_dir: Path) -> list[str]:
    """What dbt needs beside kept_objects_exclude's selectors: the recorded build to compare with,
    and no indirect exclusion: dbt's default drops every test with an excluded parent, which
    includes the marts' tests against staging views (totals, settlements, allocation)."""
    return ["--state", str(state_dir), "--indirect-selection", "empty"]


def _set_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """os.environ with `values` set (None: unset) for the duration, as it was afterwards: dbt
    runs as a subprocess of dagster-dbt, which passes it this process's environment only."""
    before = {name: os.environ.get(name) for name in values}
    try:
        _set_environment(values)
        yield
    finally:
        _set_environment(before)


class VenvDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, without two start-up costs of every dbt step (≈ 3 s) that buy
    this project nothing. Both override private members of the pinned dagster-dbt;
    tests/dbt/test_dbt_resource.py fails when an upgrade renames them."""

    @cached_property
    def _cli_version(self) -> version.Version:
        # dagster-dbt runs `dbt --version` (a 1.6 s subprocess) to tell dbt Core from the Fusion
        # engine; the executable is this venv's dbt (_dbt_executable), the dbt-core imported here.
        return version.parse(dbt.version.__version__)

    def _initialize_dbt_core_adapter(self, args):
        # An in-process adapter (1.3 s) serves only fetch_row_counts / fetch_column_metadata,
        # which this project does not call; dagster-dbt runs without one when this fails.
        return None


dbt_resource = VenvDbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable())
