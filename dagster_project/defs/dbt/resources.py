"""The one DbtProject of the code location, with its manifest kept fresh automatically."""

import sys
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


dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable())
