"""Attribution on a loaded and built warehouse: a full build of all seven models and three
windows, then the nightly increment of one day. Prints seconds per model, the data-driven
share, dbt's run phase and wall times (the project parsed once beforehand, untimed, as a
production run finds it) and dbt's peak RSS.

    .venv/bin/python bench/load_landing.py /tmp/large --home /tmp/large-home
    .venv/bin/python bench/build_marts.py /tmp/large-home/warehouse.duckdb --landing /tmp/large
    .venv/bin/python bench/attribution.py /tmp/large-home/warehouse.duckdb --day 2026-12-29

The night replays a day whose exports the full build has already read, so no order's money
would change in it; as a real night does, it first puts the net revenue of the orders refunded
in the night's refund export back to what it was before those refunds, and rebuilds fct_orders
with them, so the daily mart re-sums those orders' payment days.

The warehouse is changed in place. Figures, not assertions.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_marts import DBT_PROJECT_DIR, dbt_environment, run_dbt  # noqa: E402

MODELS = [
    "int_attribution__cells",
    "int_attribution__touches",
    "int_attribution__order_touches",
    "int_attribution__paths",
    "int_attribution__non_converting_paths",
    "int_attribution__data_driven_weights",
    "fct_attribution_credits",
    "int_attribution__recredited_orders",
    "int_attribution__affected_paid_dates",
    "mart_attribution_daily",
]
# What only Markov and Shapley need; every other model serves the rule-based ones too.
DATA_DRIVEN = {"int_attribution__non_converting_paths", "int_attribution__data_driven_weights"}
# The order side: the run's changed orders, as stored before it and rebuilt in it (the daily
# mart re-sums the payment days of those whose money changed), and the credits per order and
# channel the marketing allocation reads, which ends the models that credit by order (a night
# after a run that did not build it credits every order anew). Listed apart, not counted as
# attribution.
ORDER_SIDE = {"int_sales__changed_orders", "fct_orders", "int_attribution__order_channel_credits"}
# What the warehouse held before the night's refunds: they lowered these orders' net revenue.
BEFORE_THE_NIGHTS_REFUNDS = """
update marts.fct_orders set net_revenue = net_revenue + refund_amount
where store = 'tmall' and is_paid and refund_amount > 0
    and order_id in (select order_id from staging.stg_tmall__refunds where requested_date = ?)
"""


def run_phase_or_exit(run: subprocess.CompletedProcess, target: Path) -> float:
    """dbt's run phase (seconds) of a finished run whose files are in `target`; a failed run
    prints the end of dbt's output and ends the benchmark with its status."""
    if run.returncode != 0:
        print(run.stdout[-3000:])
        sys.exit(run.returncode)
    return json.loads((target / "run_results.json").read_text())["elapsed_time"]


def report(title: str, timings, wall: float, run_phase: float) -> None:
    print(title)
    for name, status, seconds in timings:
        print(f"  {name:<40}{status:>8}{seconds:>8.1f} s")
    total = sum(seconds for name, _, seconds in timings if name not in ORDER_SIDE)
    data_driven = sum(seconds for name, _, seconds in timings if name in DATA_DRIVEN)
    print(f"  attribution models {total:.1f} s (Markov/Shapley only: {data_driven:.1f} s)")
    print(f"  dbt's run phase {run_phase:.1f} s; wall {wall:.1f} s with dbt's start-up (partial parse)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path, help="a warehouse built once in full (bench/build_marts.py)")
    parser.add_argument("--day", required=True, help="the night to replay, YYYY-MM-DD (usually the last day)")
    parser.add_argument("--memory", default="4GB", help="DuckDB memory limit for dbt (default 4GB)")
    parser.add_argument("--threads", type=int, help="dbt threads (default: the profile's, 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as target:
        # Parsed once, untimed: production runs keep dbt's partial parse, and the night's days
        # go through the vars' environment twins, as Dagster passes them, so it still holds.
        dbt = Path(sys.executable).with_name("dbt")
        parse = [str(dbt), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        subprocess.run(
            [*parse, "--target-path", target, "--log-path", target],
            env=dbt_environment(args.warehouse, args.memory),
            check=True,
            capture_output=True,
        )
        night = {"ZHONGCAO_PARTITION_START": args.day, "ZHONGCAO_PARTITION_END": args.day}
        for title, extra_env, full_refresh in (("full build", {}, True), (f"one night ({args.day})", night, False)):
            if full_refresh:  # fct_orders as the warehouse holds it: the full build credits those orders
                select = " ".join([*MODELS, *sorted(ORDER_SIDE - {"fct_orders"})])
            else:
                select = " ".join([*MODELS, *ORDER_SIDE])
                with duckdb.connect(str(args.warehouse)) as con:
                    (refunded,) = con.execute(BEFORE_THE_NIGHTS_REFUNDS, [args.day]).fetchone()
                print(f"orders refunded in the night's refund export, put back as before: {refunded:,}")
            timings, wall, run = run_dbt(
                args.warehouse,
                select,
                full_refresh=full_refresh,
                memory=args.memory,
                target_path=Path(target),
                extra_env=extra_env,
                threads=args.threads,
            )
            report(title, timings, wall, run_phase_or_exit(run, Path(target)))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of dbt {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
