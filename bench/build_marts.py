"""Time `dbt run` of the marts on a loaded warehouse: seconds per model (from dbt's
run_results.json), total wall time and the dbt process's peak RSS.

    .venv/bin/python bench/load_landing.py /tmp/medium --home /tmp/medium-home
    .venv/bin/python bench/build_marts.py /tmp/medium-home/warehouse.duckdb --landing /tmp/medium
    .venv/bin/python bench/build_marts.py /tmp/medium-home/warehouse.duckdb --select +fct_attribution_credits
    .venv/bin/python bench/build_marts.py WAREHOUSE --vars '{attribution_windows: [15]}'

The warehouse is changed in place (models are rebuilt). Figures, not assertions.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from zhongcao.config import DBT_PROJECT_DIR  # noqa: E402
from zhongcao.ingest.truth import load_channel_truth  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path, help="a warehouse loaded by the loader (e.g. bench/load_landing.py)")
    parser.add_argument("--select", default="fqn:*", help="dbt selection (default: every model and seed)")
    parser.add_argument("--landing", type=Path, help="landing folder whose _truth/ feeds the accuracy mart")
    parser.add_argument("--memory", default="4GB", help="DuckDB memory limit for dbt (default 4GB)")
    parser.add_argument("--vars", help="dbt vars as YAML, e.g. '{attribution_windows: [15]}'")
    parser.add_argument(
        "--full-refresh", action="store_true", help="rebuild incremental models from scratch (a full build)"
    )
    args = parser.parse_args()

    con = duckdb.connect(str(args.warehouse))
    truth_rows = load_channel_truth(con, args.landing) if args.landing else None
    if truth_rows is None:
        con.execute("create schema if not exists truth")
        con.execute(
            "create table if not exists truth.channel_incremental_revenue (platform varchar, "
            "true_incremental_revenue decimal(18, 2), effect_per_touch double, decay_days double)"
        )
    con.close()

    timings, wall, run = run_dbt(args.warehouse, args.select, args.vars, args.full_refresh, args.memory)
    for name, status, seconds in timings:
        print(f"{name:<42}{status:>8}{seconds:>9.1f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{'total (wall)':<42}{'':>8}{wall:>9.1f} s   peak RSS {peak_mb:,.0f} MB")
    if run.returncode != 0:
        print(run.stdout[-3000:])
        sys.exit(run.returncode)


def dbt_environment(warehouse: Path, memory: str) -> dict[str, str]:
    """The environment every dbt call of the benchmarks runs in."""
    return {
        **os.environ,
        "ZHONGCAO_WAREHOUSE": str(warehouse.resolve()),
        "ZHONGCAO_DUCKDB_MEMORY": memory,
        "DO_NOT_TRACK": "1",
    }


def run_dbt(
    warehouse: Path,
    select: str,
    dbt_vars: str | None = None,
    full_refresh: bool = False,
    memory: str = "4GB",
    *,
    target_path: Path | None = None,
    extra_env: dict[str, str] | None = None,
    threads: int | None = None,
) -> tuple[list[tuple[str, str, float]], float, subprocess.CompletedProcess]:
    """`dbt build` (models and seeds, no tests) of `select`: (model, status, seconds) slowest first,
    the wall time and the finished process. A `target_path` kept between calls keeps dbt's partial
    parse, as production runs do; without one every call parses the whole project first."""
    dbt = Path(sys.executable).with_name("dbt")
    with tempfile.TemporaryDirectory() as scratch:
        target = str(target_path or scratch)
        command = [
            str(dbt),
            "build",
            "--exclude",
            "resource_type:test",
            "--select",
            select,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            target,
            "--log-path",
            target,
            *(["--vars", dbt_vars] if dbt_vars else []),
            *(["--full-refresh"] if full_refresh else []),
            *(["--threads", str(threads)] if threads else []),
        ]
        env = {**dbt_environment(warehouse, memory), **(extra_env or {})}
        started = time.perf_counter()
        run = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        results_path = Path(target) / "run_results.json"
        results = json.loads(results_path.read_text()) if results_path.exists() else {"results": []}
    timings = [
        (r["unique_id"].split(".")[-1], r["status"], r["execution_time"])
        for r in sorted(results["results"], key=lambda r: -r["execution_time"])
    ]
    return timings, wall, run


if __name__ == "__main__":
    main()
