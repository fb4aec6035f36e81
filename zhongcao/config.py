"""Every setting in one place: environment variables with documented defaults.

| variable              | default                                | what it is                              |
|-----------------------|----------------------------------------|-----------------------------------------|
| ZHONGCAO_HOME         | <repo>/data                            | git-ignored working folder              |
| ZHONGCAO_LANDING      | <repo>/seeds                           | landing folder of raw platform exports  |
| ZHONGCAO_WAREHOUSE    | $ZHONGCAO_HOME/warehouse.duckdb        | private build database (dbt writes it)  |
| ZHONGCAO_PUBLISHED    | $ZHONGCAO_HOME/published/zhongcao.duckdb | the file BI tools open (read-only)    |
| ZHONGCAO_QUARANTINE   | $ZHONGCAO_HOME/quarantine              | where refused files are moved           |
| ZHONGCAO_QUARANTINE_MODE | move (copy when landing is seeds/)  | move or copy refused files there        |
| ZHONGCAO_PII_KEY      | a demo key (change it in production)   | key of the HMAC that replaces buyer PII |
| ZHONGCAO_DUCKDB_MEMORY | 4GB                                   | DuckDB memory limit of the loader; spills beyond |
| ZHONGCAO_PARQUET_DIR  | unset (no export)                      | after each publish: <dir>/<mart>.parquet |
| ZHONGCAO_RAW_PARQUET_DIR | unset (no export)                   | after each load: <dir>/<schema>/<table>/ (spark) |
| ZHONGCAO_FIRST_DAY    | 2026-10-01 (the sample's first day)    | first daily partition: your first data day |
| ZHONGCAO_LOCK_WAIT    | 0                                      | seconds a run waits for another's lock |
| ZHONGCAO_ALERT_WEBHOOK | unset                                 | URL POSTed a JSON alert on a failed step |
| ZHONGCAO_RETRY_WAIT   | 20                                     | seconds before a transient failure is retried |
| ZHONGCAO_CHECK_ROWS   | 5000000                                | rows a full build checks of a big table |
| DAGSTER_HOME          | $ZHONGCAO_HOME/dagster_home            | Dagster run and event storage           |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
DEMO_PII_KEY = "zhongcao-demo-key-change-me"


def _resolved_folder(path: Path) -> Path:
    """An absolute path with its folder resolved but not the file itself: the published path is a
    link to the current version (zhongcao/publish.py), and the link is what gets replaced."""
    return path.absolute().parent.resolve() / path.name


def _default_check_workers() -> int:
    """GX suites validated at once: one per core this process may use, at most four (each holds
    a slice of up to two million rows in pandas)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 4))


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: Path
    warehouse: Path
    published: Path
    quarantine: Path
    pii_key: bytes
    quarantine_mode: str = "move"
    duckdb_memory: str = "4GB"
    parquet_dir: Path | None = None
    raw_parquet_dir: Path | None = None
    first_day: date = date(2026, 10, 1)
    lock_wait_seconds: float = 0
    alert_webhook: str | None = None
    retry_wait_seconds: float = 20
    check_rows: int = 5_000_000
    check_workers: int = field(default_factory=_default_check_workers)

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("ZHONGCAO_HOME", REPO_ROOT / "data")).resolve()
        landing = Path(os.environ.get("ZHONGCAO_LANDING", REPO_ROOT / "seeds")).resolve()
        # A refused file leaves a real landing folder, but the committed sample is never edited.
        default_mode = "copy" if landing == (REPO_ROOT / "seeds").resolve() else "move"
        return cls(
            home=home,
            landing=landing,
            warehouse=Path(os.environ.get("ZHONGCAO_WAREHOUSE", home / "warehouse.duckdb")).resolve(),
            published=_resolved_folder(
                Path(os.environ.get("ZHONGCAO_PUBLISHED", home / "published" / "zhongcao.duckdb"))
            ),
            quarantine=Path(os.environ.get("ZHONGCAO_QUARANTINE", home / "quarantine")).resolve(),
            pii_key=os.environ.get("ZHONGCAO_PII_KEY", DEMO_PII_KEY).encode(),
            quarantine_mode=os.environ.get("ZHONGCAO_QUARANTINE_MODE", default_mode),
            duckdb_memory=os.environ.get("ZHONGCAO_DUCKDB_MEMORY", "4GB"),
            parquet_dir=Path(os.environ["ZHONGCAO_PARQUET_DIR"]).resolve()
            if os.environ.get("ZHONGCAO_PARQUET_DIR")
            else None,
            raw_parquet_dir=Path(os.environ["ZHONGCAO_RAW_PARQUET_DIR"]).resolve()
            if os.environ.get("ZHONGCAO_RAW_PARQUET_DIR")
            else None,
            first_day=date.fromisoformat(os.environ.get("ZHONGCAO_FIRST_DAY", "2026-10-01")),
            lock_wait_seconds=float(os.environ.get("ZHONGCAO_LOCK_WAIT", "0")),
            alert_webhook=os.environ.get("ZHONGCAO_ALERT_WEBHOOK") or None,
            retry_wait_seconds=float(os.environ.get("ZHONGCAO_RETRY_WAIT", "20")),
            check_rows=int(os.environ.get("ZHONGCAO_CHECK_ROWS", "5000000")),
            check_workers=int(os.environ.get("ZHONGCAO_CHECK_WORKERS", str(_default_check_workers()))),
        )

    def __post_init__(self) -> None:
        if self.quarantine_mode not in ("move", "copy"):
            raise ValueError(f"ZHONGCAO_QUARANTINE_MODE must be move or copy, not {self.quarantine_mode!r}")

    @property
    def lock_path(self) -> Path:
        """Held by the run writing the warehouse (zhongcao/runlock.py)."""
        return self.warehouse.with_name(self.warehouse.name + ".run.lock")

    def export_for_subprocesses(self) -> None:
        """dbt runs as a subprocess and reads the warehouse path from the environment."""
        os.environ["ZHONGCAO_WAREHOUSE"] = str(self.warehouse)
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
