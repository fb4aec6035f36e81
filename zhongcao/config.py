"""Every setting in one place: environment variables with documented defaults.

| variable              | default                                | what it is                              |
|-----------------------|----------------------------------------|-----------------------------------------|
| ZHONGCAO_HOME         | <repo>/data                            | git-ignored working folder              |
| ZHONGCAO_LANDING      | <repo>/seeds                           | landing folder of raw platform exports  |
| ZHONGCAO_WAREHOUSE    | $ZHONGCAO_HOME/warehouse.duckdb        | private build database (dbt writes it)  |
| ZHONGCAO_PUBLISHED    | $ZHONGCAO_HOME/published/zhongcao.duckdb | the file BI tools open (read-only)    |
| ZHONGCAO_QUARANTINE   | $ZHONGCAO_HOME/quarantine              | copies of refused files                 |
| ZHONGCAO_PII_KEY      | a demo key (change it in production)   | key of the HMAC that replaces buyer PII |
| DAGSTER_HOME          | $ZHONGCAO_HOME/dagster_home            | Dagster run and event storage           |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
DEMO_PII_KEY = "zhongcao-demo-key-change-me"


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: Path
    warehouse: Path
    published: Path
    quarantine: Path
    pii_key: bytes

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("ZHONGCAO_HOME", REPO_ROOT / "data")).resolve()
        return cls(
            home=home,
            landing=Path(os.environ.get("ZHONGCAO_LANDING", REPO_ROOT / "seeds")).resolve(),
            warehouse=Path(os.environ.get("ZHONGCAO_WAREHOUSE", home / "warehouse.duckdb")).resolve(),
            published=Path(os.environ.get("ZHONGCAO_PUBLISHED", home / "published" / "zhongcao.duckdb")).resolve(),
            quarantine=Path(os.environ.get("ZHONGCAO_QUARANTINE", home / "quarantine")).resolve(),
            pii_key=os.environ.get("ZHONGCAO_PII_KEY", DEMO_PII_KEY).encode(),
        )

    def export_for_subprocesses(self) -> None:
        """dbt runs as a subprocess and reads the warehouse path from the environment."""
        os.environ["ZHONGCAO_WAREHOUSE"] = str(self.warehouse)
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
