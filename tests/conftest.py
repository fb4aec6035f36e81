import os
import shutil
from pathlib import Path

import pytest

from zhongcao.config import REPO_ROOT, Settings

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SEEDS = REPO_ROOT / "seeds"
# A mart's columns as the BI file has them: in the warehouse the order marts also name the dbt
# invocation that wrote each row (zhongcao/publish.py), which differs between any two builds.
PUBLISHED_COLUMNS = "columns(lambda name: name <> 'dbt_invocation_id')"


def pytest_configure(config):
    # Under pytest-xdist every worker imports the Dagster definitions, whose import parses the dbt
    # project when its manifest is stale; parse it once here, before the workers start, so that
    # two `dbt parse` never write the same target folder at once.
    if not hasattr(config, "workerinput"):
        from dagster_project.defs.dbt.resources import prepare_manifest

        prepare_manifest()


def isolate(home: Path, landing: Path, monkeypatch) -> Settings:
    """Point every zhongcao and Dagster path at `home` (telemetry off) and read the settings."""
    env = {
        "ZHONGCAO_HOME": home,
        "ZHONGCAO_LANDING": landing,
        "ZHONGCAO_WAREHOUSE": home / "warehouse.duckdb",
        "ZHONGCAO_PUBLISHED": home / "published" / "zhongcao.duckdb",
        "ZHONGCAO_QUARANTINE": home / "quarantine",
        "DAGSTER_HOME": home / "dagster_home",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    (home / "dagster_home").mkdir(parents=True, exist_ok=True)
    (home / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return Settings.from_env()


def copy_sample(landing: Path) -> None:
    for item in SEEDS.iterdir():
        if item.is_dir():
            shutil.copytree(item, landing / item.name)
    # The generator's manifest: a full build of the copy covers the sample's days (cli.default_range).
    shutil.copy2(SEEDS / "manifest.json", landing / "manifest.json")


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """An isolated home (warehouse, published file, Dagster storage) and an empty landing folder."""
    landing = tmp_path / "landing"
    landing.mkdir()
    return isolate(tmp_path / "home", landing, monkeypatch)


@pytest.fixture
def seeded_workspace(workspace):
    """The workspace with a private copy of the committed sample exports as landing folder."""
    copy_sample(workspace.landing)
    return workspace


def write_export(
    landing: Path,
    platform: str,
    report: str,
    name: str,
    text: str | bytes,
    encoding: str = "utf-8",
    mtime: float | None = None,
) -> Path:
    path = landing / platform / report / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path
