"""The one DbtProject of the code location, with its manifest kept fresh automatically."""

import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
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


def save_partial_parse(target: Path, saved_parse: Path) -> None:
    """Keep the parse state a dbt step left in `target` for the next step on this warehouse (an
    atomic swap: two steps finishing together leave one whole file)."""
    parsed = target / PARTIAL_PARSE_FILE
    if not parsed.exists():
        return
    saved_parse.parent.mkdir(parents=True, exist_ok=True)
    temporary = saved_parse.with_name(f".{saved_parse.name}.{uuid.uuid4().hex}.tmp")
    shutil.copyfile(parsed, temporary)
    os.replace(temporary, saved_parse)


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
