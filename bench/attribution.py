"""Attribution on a loaded and built warehouse: a full build of all seven models and three
windows, then the nightly increment of one day. Prints seconds per model, the data-driven
share, wall times and dbt's peak RSS.

    .venv/bin/python bench/load_landing.py /tmp/large --home /tmp/large-home
    .venv/bin/python bench/build_marts.py /tmp/large-home/warehouse.duckdb --landing /tmp/large
    .venv/bin/python bench/attribution.py /tmp/large-home/warehouse.duckdb --day 2026-12-29

The warehouse is changed in place. Figures, not assertions.
"""

import argparse
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_marts import run_dbt  # noqa: E402

MODELS = [
    "int_attribution__cells",
    "int_attribution__touches",
    "int_attribution__order_touches",
    "int_attribution__paths",
    "int_attribution__non_converting_paths",
    "int_attribution__data_driven_weights",
    "fct_attribution_credits",
    "mart_attribution_daily",
]
# What only Markov and Shapley need; every other model serves the rule-based ones too.
DATA_DRIVEN = {"int_attribution__non_converting_paths", "int_attribution__data_driven_weights"}


def report(title: str, timings, wall: float) -> None:
    print(title)
    for name, status, seconds in timings:
        print(f"  {name:<40}{status:>8}{seconds:>8.1f} s")
    total = sum(seconds for *_, seconds in timings)
    data_driven = sum(seconds for name, _, seconds in timings if name in DATA_DRIVEN)
    print(f"  models {total:.1f} s (Markov/Shapley only: {data_driven:.1f} s), wall {wall:.1f} s with dbt's start-up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path, help="a warehouse built once in full (bench/build_marts.py)")
    parser.add_argument("--day", required=True, help="the night to replay, YYYY-MM-DD (usually the last day)")
    parser.add_argument("--memory", default="4GB", help="DuckDB memory limit for dbt (default 4GB)")
    args = parser.parse_args()
    select = " ".join(MODELS)
    for title, dbt_vars, full_refresh in (
        ("full build", None, True),
        (f"one night ({args.day})", f"{{partition_start: '{args.day}', partition_end: '{args.day}'}}", False),
    ):
        timings, wall, run = run_dbt(args.warehouse, select, dbt_vars, full_refresh, args.memory)
        if run.returncode != 0:
            print(run.stdout[-3000:])
            sys.exit(run.returncode)
        report(title, timings, wall)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of dbt {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
