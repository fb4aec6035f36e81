"""A nightly (partitioned) attribution run recomputes only the new days, the payment days of
orders whose money changed in them and the orders whose lookback reaches them, and then agrees
with a full build.

The sample arrives in three deliveries: first without the last day's data-bank file, without
one refund that finished on the day before, without the Cainiao waybills picked up on the last
two days (some of older orders) and with a 10-20 data-bank export that lacks its impressions;
then the last day, the refund and the waybills (the night's run, partition 11-03..11-04); then
the corrected 10-20 export (the run a sensor asks for, partition 10-20 alone). After both runs
the rule-based models must equal the full build of the complete sample (the `built` fixture);
the night must leave the data-driven credits of untouched days as the first build made them (a
nightly run applies the stored fit; only full builds refit)."""

import os
import shutil
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import duckdb
import pytest

from tests.conftest import PUBLISHED_COLUMNS, copy_sample, isolate
from tests.e2e.conftest import dbt_build
from zhongcao.ingest.loader import Loader, connect
from zhongcao.ingest.truth import load_channel_truth

pytestmark = pytest.mark.e2e

LATE_TOUCHES = "databank/touchpoints/touchpoints_20261104.csv"
LATE_REFUND = "RF5504374774657660"  # 319.00, finished 2026-11-03 23:47:37, of an order paid days before
LATE_REFUND_ORDER = "4100007000004410883"
PARTITION = {"partition_start": "2026-11-03", "partition_end": "2026-11-04"}
RULE_MODELS = ["first_touch", "last_touch", "linear", "time_decay", "position_based"]
DATA_DRIVEN = ["markov", "shapley"]


def snapshot(settings, sql: str) -> set:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return set(con.execute(sql).fetchall())
    finally:
        con.close()


CREDITS = "select store, order_id, touch_number, paid_date, {columns} from marts.fct_attribution_credits"
DAILY = (
    "select date_day, channel, campaign_id, note_id, creator_id, attribution_model, window_days, "
    "attributed_orders, attributed_net_revenue, attributed_cm2 from marts.mart_attribution_daily "
    "where attribution_model in ({models})"
)


WEIGHTS = "select * from intermediate.int_attribution__data_driven_weights"
CHANGED_ORDERS = "select store, order_id, reason from intermediate.int_sales__changed_orders"
AFFECTED_DAYS = "select paid_date from intermediate.int_attribution__affected_paid_dates"
PREVIOUS_FIRST_PURCHASES = (
    "select order_id from intermediate.int_sales__changed_orders "
    "where reason = 'same_person' and previous_conversion_number = 1"
)
# The models that credit by order (in_attributed_orders).
ORDER_CREDITS = [
    "intermediate.int_attribution__order_touches",
    "intermediate.int_attribution__paths",
    "marts.fct_attribution_credits",
    "intermediate.int_attribution__order_channel_credits",
]
# The order marts, and the AIPL marts built from the states of those orders' people.
ORDER_MARTS = ["fct_orders", "fct_order_lines", "fct_settlement_checks", "mart_aipl_daily", "mart_aipl_flows_daily"]


def full_build_rows(con, sql: str) -> set:
    """The rows the full build's published file holds for `sql`, a query of the warehouse's marts
    (the published file keeps them in its main schema)."""
    return set(con.execute(sql.replace("marts.", "")).fetchall())


def credits_of(models) -> str:
    """The per-touch credits of `models` (CREDITS with their credit columns)."""
    return CREDITS.format(columns=", ".join(f"{m}_credit" for m in models))


CORRECTED_DAY = "2026-10-20"
STALE_DAY = "2026-10-10"  # before every run's days, no order of it changes
CORRECTED_TOUCHES = "databank/touchpoints/touchpoints_20261020.csv"
IMPRESSION = "曝光"


def partition_vars(start: str, end: str) -> str:
    return f"{{partition_start: '{start}', partition_end: '{end}'}}"


def quoted(models):
    return ", ".join(f"'{m}'" for m in models)


def waybill_fields(line: bytes) -> list[str]:
    return line.decode("utf-8").strip().split(",")


def picked_up_in_partition(line: bytes) -> bool:
    picked_up = waybill_fields(line)[2][:10]
    return PARTITION["partition_start"] <= picked_up <= PARTITION["partition_end"]


def waybill_order(line: bytes) -> str:
    return waybill_fields(line)[1].strip('="')


def waybill_freight(line: bytes) -> Decimal:
    return Decimal(waybill_fields(line)[5])


@pytest.fixture(scope="module")
def increment(tmp_path_factory):
    home = tmp_path_factory.mktemp("increment")
    landing = home / "landing"
    landing.mkdir()
    copy_sample(landing)
    late_touches = home / "late.csv"
    shutil.move(landing / LATE_TOUCHES, late_touches)
    (refund_file,) = (landing / "tmall" / "refunds").glob("*.csv")
    full_refunds = refund_file.read_bytes()
    kept = [line for line in full_refunds.split(b"\r\n") if LATE_REFUND.encode() not in line]
    assert len(kept) == full_refunds.count(b"\r\n"), "exactly one refund held back"
    refund_file.write_bytes(b"\r\n".join(kept))
    os.utime(refund_file, (1_700_000_000, 1_700_000_000))
    (waybill_file,) = (landing / "cainiao" / "bill").glob("*.csv")
    full_waybills = waybill_file.read_bytes()
    header, *waybills = full_waybills.split(b"\n")
    picked_up_late = [line for line in waybills if line.strip() and picked_up_in_partition(line)]
    waybill_file.write_bytes(b"\n".join([header, *(line for line in waybills if line not in picked_up_late)]))
    os.utime(waybill_file, (1_700_000_000, 1_700_000_000))
    corrected = landing / CORRECTED_TOUCHES
    complete = corrected.read_bytes()
    lines = complete.decode("utf-8").splitlines(keepends=True)
    corrected.write_text("".join(line for line in lines if f",{IMPRESSION}," not in line), encoding="utf-8")
    os.utime(corrected, (1_700_000_000, 1_700_000_000))

    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = isolate(home / "home", landing, monkeypatch)
        con = connect(settings)
        Loader(settings, log=lambda _: None).load_all(con)
        load_channel_truth(con, landing)
        con.close()
        dbt_build(settings, home / "target")
        first = {
            "credits": snapshot(settings, credits_of(DATA_DRIVEN)),
            "daily": snapshot(settings, DAILY.format(models=quoted([*DATA_DRIVEN, "linear"]))),
            "weights": snapshot(settings, WEIGHTS),
        }
        # The second delivery: the late day's file and a corrected, newer refund export.
        shutil.move(late_touches, landing / LATE_TOUCHES)
        refund_file.write_bytes(full_refunds)
        os.utime(refund_file, (1_800_000_000, 1_800_000_000))
        waybill_file.write_bytes(full_waybills)
        os.utime(waybill_file, (1_800_000_000, 1_800_000_000))
        Loader(settings, log=lambda _: None).load_all()
        dbt_build(settings, home / "target", "--vars", partition_vars(*PARTITION.values()))
        night = {
            "credits": snapshot(settings, credits_of(DATA_DRIVEN)),
            "daily": snapshot(settings, DAILY.format(models=quoted([*DATA_DRIVEN, "linear"]))),
            "rule_credits": snapshot(settings, credits_of(RULE_MODELS)),
            "changed_orders": snapshot(settings, CHANGED_ORDERS),
            "affected_days": {day for (day,) in snapshot(settings, AFFECTED_DAYS)},
            "previous_first_purchases": {order_id for (order_id,) in snapshot(settings, PREVIOUS_FIRST_PURCHASES)},
            "late_waybills": {waybill_order(line): waybill_freight(line) for line in picked_up_late},
        }
        # The third: the corrected 10-20 export, and the run of that day alone.
        corrected.write_bytes(complete)
        os.utime(corrected, (1_900_000_000, 1_900_000_000))
        Loader(settings, log=lambda _: None).load_all()
        dbt_build(settings, home / "target", "--vars", partition_vars(CORRECTED_DAY, CORRECTED_DAY))
        yield settings, first, night


def test_partitioned_runs_keep_the_stored_data_driven_fit(increment):
    settings, first, _ = increment
    assert snapshot(settings, WEIGHTS) == first["weights"]


def test_rule_based_models_agree_with_a_full_build(built, increment):
    con, _ = built
    settings, _, _ = increment
    assert snapshot(settings, credits_of(RULE_MODELS)) == full_build_rows(con, credits_of(RULE_MODELS))
    daily = DAILY.format(models=quoted(RULE_MODELS))
    assert snapshot(settings, daily) == full_build_rows(con, daily)


def test_the_night_recomputed_its_days_and_those_of_orders_whose_money_changed_only(built, increment):
    con, _ = built
    _, first, now = increment
    refunded_day, refund = con.execute(
        "select paid_date, refund_amount from fct_orders where order_id = ?", [LATE_REFUND_ORDER]
    ).fetchone()
    assert refunded_day.isoformat() < PARTITION["partition_start"] and refund == 319
    # A partitioned run re-sums its days and the payment days of the orders whose money or
    # first-purchase flag it changed: some of those refunded in it, listed by its exports (a
    # waybill picked up in it changes an older order's CM2) or renumbered as their buyer's first.
    refunded_or_new = {
        day
        for (day,) in con.execute(
            "select distinct paid_date from fct_orders where is_paid and (paid_date between ? and ? "
            "or cast(refunded_at as date) between ? and ?)",
            [*PARTITION.values(), *PARTITION.values()],
        ).fetchall()
    }
    listed = {order_id for _, order_id, reason in now["changed_orders"] if reason != "same_person"}
    renumbered = {order_id for _, order_id, reason in now["changed_orders"] if reason == "same_person"}
    paid_days = dict(con.execute("select order_id, paid_date from fct_orders where is_paid").fetchall())
    first_purchases = con.execute("select order_id from fct_orders where conversion_number = 1").fetchall()
    first_purchases = {order_id for (order_id,) in first_purchases}
    flipped = {o for o in renumbered if (o in now["previous_first_purchases"]) != (o in first_purchases)}
    candidates = refunded_or_new | {paid_days[o] for o in listed | flipped if o in paid_days}
    late_days = {paid_days[o] for o in now["late_waybills"]} - refunded_or_new
    assert late_days, "some waybills of the night are of orders paid before it"
    affected = now["affected_days"]
    partition = {date.fromisoformat(day) for day in PARTITION.values()}
    assert partition | {refunded_day} | late_days <= affected <= candidates
    # Bills and waybills that confirm what was estimated or already known re-sum nothing.
    assert affected < candidates
    # Credits do not depend on money: only the partition's orders were credited anew, with the
    # stored fit, so every older order keeps its data-driven credits, refunded or not.
    partition_days = {r[3] for r in now["credits"] if r[3].isoformat() in PARTITION.values()}
    assert partition_days
    assert {r for r in now["credits"] if r[3] not in partition_days} == {
        r for r in first["credits"] if r[3] not in partition_days
    }
    # The daily mart rebuilt those days, nothing else.
    kept_now = {r for r in now["daily"] if r[0] not in affected}
    assert kept_now and kept_now == {r for r in first["daily"] if r[0] not in affected}
    assert {r for r in now["daily"] if r[0] == refunded_day} != {r for r in first["daily"] if r[0] == refunded_day}

    def linear_revenue(rows):
        return sum(r[8] for r in rows if r[0] == refunded_day and r[5] == "linear" and r[6] == 15)

    assert linear_revenue(first["daily"]) - linear_revenue(now["daily"]) == refund, "the late refund reached its day"
    # An older order's waybill, picked up in the night, lowers its payment day's CM2 by its freight.
    for day in late_days:
        freight = sum(f for o, f in now["late_waybills"].items() if paid_days[o] == day)
        cm2_before, cm2_now = (
            sum(r[9] for r in rows if r[0] == day and r[5] == "linear" and r[6] == 15)
            for rows in (first["daily"], now["daily"])
        )
        assert freight > 0 and cm2_before - cm2_now == freight, day


def test_a_corrected_earlier_day_re_credits_the_orders_whose_lookback_reaches_it(built, increment):
    con, _ = built
    settings, _, night = increment
    now = snapshot(settings, credits_of(RULE_MODELS))
    # The impressions of 10-20 changed the paths of orders paid on later days, not only that day's.
    later_days = {r[3] for r in now ^ night["rule_credits"] if r[3].isoformat() > CORRECTED_DAY}
    assert later_days, "the correction must reach orders paid after the corrected day"
    assert max(later_days).isoformat() <= "2026-11-19"  # 30 days, the longest window
    assert now == full_build_rows(con, credits_of(RULE_MODELS))


def test_the_order_marts_rebuilt_changed_orders_only_and_agree_with_a_full_build(built, increment):
    con, _ = built
    settings, _, night = increment
    for mart in ORDER_MARTS:
        warehouse_rows = snapshot(settings, f"select {PUBLISHED_COLUMNS} from marts.{mart}")
        assert warehouse_rows == set(con.execute(f"select * from {mart}").fetchall()), mart
    # The night listed the late refund's order (its refund export is of the partition's days)
    # and the partition's new orders, not the history.
    listed = night["changed_orders"]
    created = {
        order_id
        for (order_id,) in con.execute(
            "select order_id from fct_orders where order_date between ? and ?", list(PARTITION.values())
        ).fetchall()
    }
    exported = {order_id for _, order_id, reason in listed if reason == "exported"}
    assert LATE_REFUND_ORDER in exported and created <= exported
    (orders,) = con.execute("select count(*) from fct_orders").fetchone()
    assert len(listed) < orders / 3


def copy_of(increment, tmp_path) -> SimpleNamespace:
    """A private copy of the increment's warehouse, for a test that changes it."""
    settings, _, _ = increment
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.warehouse, warehouse)
    return SimpleNamespace(warehouse=warehouse)


def test_a_model_whose_columns_changed_asks_for_a_rebuild(increment, tmp_path):
    # A warehouse built by a version whose touches table had one more column: a night stops
    # with dbt's message and leaves the table as it was; a full refresh rebuilds it.
    older = copy_of(increment, tmp_path)
    con = duckdb.connect(str(older.warehouse))
    con.execute("alter table intermediate.int_attribution__touches add column touchpoint_key ubigint")
    stored = con.execute("select count(*) from intermediate.int_attribution__touches").fetchone()
    con.close()
    select = ("--select", "int_attribution__touches")
    night = dbt_build(older, tmp_path / "target", *select, "--vars", partition_vars(*PARTITION.values()), check=False)
    assert night.returncode != 0
    assert "out of sync" in night.stdout and "touchpoint_key" in night.stdout
    assert snapshot(older, "select count(*) from intermediate.int_attribution__touches") == {stored}
    dbt_build(older, tmp_path / "target", *select, "--full-refresh")
    columns = snapshot(older, "select column_name from (describe intermediate.int_attribution__touches)")
    assert columns == {("person_id",), ("event_date",), ("touch_element",)}


def test_a_night_after_a_run_that_stopped_before_the_daily_mart_re_sums_every_day(built, increment, tmp_path):
    # A run killed (or failed) between fct_orders and mart_attribution_daily leaves the mart behind
    # orders it already rebuilt: the next run finds them unchanged since it, yet must re-sum them.
    con, _ = built
    copy = copy_of(increment, tmp_path)
    behind = duckdb.connect(str(copy.warehouse))
    behind.execute(
        "update marts.mart_attribution_daily set attributed_net_revenue = attributed_net_revenue + 1 "
        "where date_day = ?",
        [STALE_DAY],
    )
    behind.close()
    night = partition_vars(*PARTITION.values())
    dbt_build(copy, tmp_path / "target", "--select", "+fct_orders", "--vars", night)  # stopped before the mart
    dbt_build(copy, tmp_path / "target", "--vars", night)
    affected = snapshot(copy, AFFECTED_DAYS)
    paid_days = set(con.execute("select distinct paid_date from fct_orders where is_paid").fetchall())
    assert affected == paid_days
    daily = DAILY.format(models=quoted(RULE_MODELS))
    assert snapshot(copy, daily) == full_build_rows(con, daily)


def test_older_orders_whose_buyer_a_night_links_to_a_person_are_credited_anew(built, increment, tmp_path):
    # A click of the night can name the buyer of older orders (the link rule click_id): those
    # orders, stored without a person and credited to direct_or_organic, now belong to someone
    # with touches. The night credits them anew on their own, older payment days, as a full
    # build would, and re-sums those days.
    con, _ = built
    copy = copy_of(increment, tmp_path)
    before_the_link = duckdb.connect(str(copy.warehouse))
    before_the_link.execute(
        "create table main.unlinked as select store, order_id, paid_date "
        "from intermediate.int_attribution__paths where window_days = 15 and paid_date < ? "
        "qualify row_number() over (partition by paid_date order by order_id) = 1 order by paid_date limit 4",
        [STALE_DAY],
    )
    unlinked = set(before_the_link.execute("select store, order_id, paid_date from main.unlinked").fetchall())
    assert len({day for _, _, day in unlinked}) == 4
    listed = "(store, order_id) in (select store, order_id from main.unlinked)"
    before_the_link.execute(f"update marts.fct_orders set person_key = null where {listed}")
    for model in ORDER_CREDITS:
        before_the_link.execute(f"delete from {model} where {listed}")
    before_the_link.execute(
        "insert into marts.fct_attribution_credits by name select store, order_id, 15 as window_days, "
        "true as is_default_window, 1 as touch_number, 1 as touch_count, 'direct_or_organic' as channel, paid_at, "
        f"paid_date, {', '.join(f'1 as {m}_credit' for m in [*RULE_MODELS, *DATA_DRIVEN])} "
        f"from marts.fct_orders where {listed}"
    )
    before_the_link.execute("drop table main.unlinked")
    before_the_link.close()
    dbt_build(copy, tmp_path / "target", "--vars", partition_vars(*PARTITION.values()))
    recredited = "select store, order_id, paid_date from intermediate.int_attribution__recredited_orders"
    assert snapshot(copy, recredited) == unlinked
    assert {day for _, _, day in unlinked} <= {day for (day,) in snapshot(copy, AFFECTED_DAYS)}
    rewritten = snapshot(
        copy,
        "select day from meta.rewritten_days where invocation_id = "
        "(select invocation_id from meta.dbt_runs order by started_at desc limit 1)",
    )
    assert rewritten == {(day,) for _, _, day in unlinked}
    assert snapshot(copy, credits_of(RULE_MODELS)) == full_build_rows(con, credits_of(RULE_MODELS))
    daily = DAILY.format(models=quoted(RULE_MODELS))
    assert snapshot(copy, daily) == full_build_rows(con, daily)
