"""The one DbtProject of the code location, with its manifest kept fresh automatically."""

import shutil
import sys
import time
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

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


dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable())
