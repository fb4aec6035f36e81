"""What issue 5's attribution targets are up against on this machine: the cost of parts every
build must pay, measured alone on a warehouse that bench/attribution.py has built in full.

    .venv/bin/python bench/attribution_floors.py /tmp/large-home/warehouse.duckdb

1. The reference shape of ../shared/stack-facts.md: first/last/linear/time decay in one query
   (range join of orders to touches → one GROUP BY per order → join back, credits summed per
   day × channel in doubles), no row per touch, no cents. Once with the 7-day window the
   reference used, once with the 30-day window (the longest the marts keep).
2. Writing the per-touch credit mart alone: a copy of the stored fct_attribution_credits into
   a new table of the same file (every row and column, nothing computed).
3. The night's fixed cost: dbt runs the attribution models (and the order side they
   need, not counted) for a day 40 days after the last touch (no touch, no order, nothing
   changed), so every model does its work on no rows.

Parts 1–2 only read the warehouse (the copy is dropped); part 3 leaves the marts as they were
(an empty day adds and deletes nothing) but records its run in meta.model_runs.
Figures, not assertions.
"""

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attribution import MODELS, ORDER_SIDE, run_phase_or_exit  # noqa: E402
from build_marts import run_dbt  # noqa: E402

CREDITS = "marts.fct_attribution_credits"
# The reference's shape on this project's tables: the element carries time (bits 88 and up)
# and channel (bits 84–87), so the range join bounds the element as the models do.
REFERENCE_SHAPE = """
with orders as (
    select
        row_number() over () as order_serial,
        paid_at,
        paid_date,
        hash(person_key) as person_id
    from marts.fct_orders
    where is_paid and person_key is not null
),
pairs as (
    select
        orders.order_serial,
        orders.paid_at,
        orders.paid_date,
        touches.touch_element as element,
        pow(0.5, (epoch(orders.paid_at) - cast(touches.touch_element >> 88 as bigint)) / (7 * 86400.0)) as decay
    from orders
    inner join intermediate.int_attribution__touches as touches
        on orders.person_id = touches.person_id
        and touches.touch_element < ((epoch(orders.paid_at)::hugeint + 1) << 88)
        and touches.touch_element >= ((epoch(orders.paid_at - interval {window} day))::hugeint << 88)
),
per_order as (
    select order_serial, count(*) as touch_count, sum(decay) as decay_sum, min(element) as first_element,
        max(element) as last_element
    from pairs
    group by order_serial
)
select
    pairs.paid_date,
    cast((pairs.element >> 84) & 15 as integer) as channel_index,
    sum(case when pairs.element = per_order.first_element then 1 else 0 end) as first_touch,
    sum(case when pairs.element = per_order.last_element then 1 else 0 end) as last_touch,
    sum(1.0 / per_order.touch_count) as linear,
    sum(pairs.decay / per_order.decay_sum) as time_decay
from pairs
inner join per_order on pairs.order_serial = per_order.order_serial
group by all
"""


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    started = time.perf_counter()
    con.execute(sql)
    return time.perf_counter() - started


def reference_and_write(warehouse: Path, memory: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"set threads = 2; set memory_limit = '{memory}'")
        for window in (7, 30):
            query = REFERENCE_SHAPE.format(window=window)
            seconds = timed(con, f"create or replace temp table reference_shape as {query}")
            (rows,) = con.execute("select count(*) from reference_shape").fetchone()
            print(f"  reference shape, {window}-day window: {seconds:.1f} s ({rows:,} day × channel rows)")
        con.execute("drop table reference_shape")
        columns = len(con.execute(f"describe {CREDITS}").fetchall())
        con.execute("create schema if not exists bench_scratch")
        seconds = timed(con, f"create table bench_scratch.credits_copy as select * from {CREDITS}")
        (rows,) = con.execute("select count(*) from bench_scratch.credits_copy").fetchone()
        con.execute("drop schema bench_scratch cascade")
        print(f"  writing the per-touch credits alone: {seconds:.1f} s ({rows:,} rows × {columns} columns)")


def empty_night(warehouse: Path, memory: str) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (last_day,) = con.execute("select max(event_date) from intermediate.int_attribution__touches").fetchone()
    # Past the longest lookback after the last touch: no model finds a row to read.
    day = (last_day + dt.timedelta(days=40)).isoformat()
    with tempfile.TemporaryDirectory() as target:
        timings, _wall, run = run_dbt(
            warehouse,
            " ".join([*MODELS, *ORDER_SIDE]),
            memory=memory,
            target_path=Path(target),
            extra_env={"ZHONGCAO_PARTITION_START": day, "ZHONGCAO_PARTITION_END": day},
            threads=1,
        )
        run_phase = run_phase_or_exit(run, Path(target))
    total = sum(seconds for name, _, seconds in timings if name in MODELS)
    slowest = ", ".join([f"{name} {seconds:.2f}" for name, _, seconds in timings if name in MODELS][:3])
    print(f"  an empty night ({day}), {len(MODELS)} attribution models on one thread: {total:.1f} s")
    print(f"    slowest: {slowest}")
    print(f"  its run phase {run_phase:.1f} s (the order side included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path, help="a warehouse built once in full (bench/attribution.py)")
    parser.add_argument("--memory", default="4GB", help="DuckDB memory limit (default 4GB)")
    args = parser.parse_args()
    print("floors (2 DuckDB threads)")
    reference_and_write(args.warehouse, args.memory)
    empty_night(args.warehouse, args.memory)


if __name__ == "__main__":
    main()
