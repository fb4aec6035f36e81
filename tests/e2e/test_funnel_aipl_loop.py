"""Funnel, AIPL and seeding → repurchase marts against numbers recomputed in plain Python
from the committed sample's export files (no DuckDB, no dbt SQL, no zhongcao code)."""

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.conftest import SEEDS
from tests.e2e.conftest import INTEREST, REPURCHASE_WINDOW_DAYS, Sample, only_csv, read_records

pytestmark = pytest.mark.e2e


def test_funnel_observed_stages_per_day_and_platform_match_the_event_files(built):
    con, sample = built
    expected = Counter()
    for touch in sample.touches:
        if touch["platform"] != "tmall":  # off-site events are credited to their own platform
            expected[(touch["at"].date(), touch["platform"], touch["stage"])] += 1
    got = Counter()
    for day, platform, impressions, engagements, clicks in con.execute(
        "select date_day, platform, sum(impressions), sum(engagements), sum(clicks) from mart_funnel_daily "
        "where platform not in ('tmall', 'tmall_search') group by all"
    ).fetchall():
        for stage, value in (("impression", impressions), ("engagement", engagements), ("click", clicks)):
            if value:
                got[(day, platform, stage)] = value
    assert got == expected
    assert sum(expected.values()) > 50_000


def test_store_visitors_per_content_cell_are_the_distinct_visitors_of_the_event_files(built):
    con, sample = built
    # A store visit in the Tmall store arrives through a jump link: the platform of the click
    # with its click id (Tmall's own when none).
    platform_of_click = {}
    for touch in sorted(sample.touches, key=lambda t: t["at"]):
        if touch["stage"] == "click" and touch["click_id"]:
            platform_of_click.setdefault(touch["click_id"], touch["platform"])
    visitors = defaultdict(set)
    for touch in sample.touches:
        if touch["stage"] == "store_visit":
            cell = (
                platform_of_click.get(touch["click_id"], "tmall")
                if touch["platform"] == "tmall"
                else touch["platform"],
                touch["campaign_id"] or None,
                touch["note_id"] or None,
                touch["creator_id"] or None,
            )
            visitors[(touch["at"].date(), *cell)].add(touch["oneid"])
    expected = {cell: len(people) for cell, people in visitors.items()}
    got = dict(
        ((day, platform, campaign, note, creator), count)
        for day, platform, campaign, note, creator, count in con.execute(
            "select date_day, platform, campaign_id, note_id, creator_id, store_visitors "
            "from mart_funnel_content_daily where store_visitors > 0"
        ).fetchall()
    )
    assert got == expected
    assert any(campaign is None for _, _, campaign, _, _ in expected)  # organic visits count too
    assert sum(expected.values()) < sum(1 for t in sample.touches if t["stage"] == "store_visit")  # some come twice


def test_funnel_orders_per_paid_day_and_channel_match_the_order_files(built):
    con, sample = built
    expected = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
    for order in sample.orders:
        if order["paid_at"]:
            cell = expected[(order["paid_at"].date(), order["platform"], order["category"])]
            cell[0] += 1
            cell[1] += order["paid"]
            cell[2] += order["delivered"]
            cell[3] += order["refund"]
    rows = con.execute(
        "select date_day, platform, category, sum(orders_paid), sum(paid_amount), sum(orders_delivered), "
        "sum(refund_amount) from mart_funnel_daily group by all having sum(orders_paid) > 0"
    ).fetchall()
    got = {(d, p, c): [n, paid, delivered, refund] for d, p, c, n, paid, delivered, refund in rows}
    assert got == dict(expected)
    channels = {platform for _, platform, _ in got}
    assert {"xiaohongshu", "douyin", "tmall"} <= channels and len(channels) >= 6


def test_funnel_buyers_are_distinct_people_per_row(built):
    """Paying buyers (a person, or the order when its buyer is unknown), buyers converting and
    repurchasers per row of mart_funnel_daily, counted again from fct_orders. (No buyer of the
    sample pays twice on one row; on the large world 312 rows of 6,134 have one, and the model
    counted them as this does: checked against count(distinct ...) when it was rewritten.)"""
    con, _ = built
    grain = "date_day, platform, campaign_id, note_id, creator_id, category"
    people = defaultdict(lambda: [set(), set(), set()])
    for store, order_id, *cell, person, converted, repurchase in con.execute(
        "select store, order_id, paid_date, order_channel, campaign_id, note_id, creator_id, category, "
        "person_key, is_conversion, is_repurchase from fct_orders where is_paid"
    ).fetchall():
        paying, buyers, repurchasers = people[tuple(cell)]
        paying.add(person or f"{store}:{order_id}")
        if person and converted:
            buyers.add(person)
        if person and repurchase:
            repurchasers.add(person)
    expected = {cell: tuple(len(s) for s in sets) for cell, sets in people.items()}
    rows = con.execute(
        f"select {grain}, paying_buyers, buyers, repurchasers, orders_paid from mart_funnel_daily where orders_paid > 0"
    ).fetchall()
    assert {row[:6]: row[6:9] for row in rows} == expected
    assert sum(repurchasers for *_, repurchasers, _ in rows) > 0
    assert sum(paying for *_, paying, _, _, _ in rows) > sum(buyers for *_, buyers, _, _ in rows) > 0


def test_funnel_reports_platform_claims_beside_our_orders(built):
    con, sample = built
    claimed = sum(int(r["成交订单数"]) for r in read_records(only_csv(SEEDS / "xiaohongshu" / "xiaohongxing")))
    claimed += sum(int(r["整体成交订单数"]) for r in read_records(only_csv(SEEDS / "douyin" / "qianchuan_ads")))
    reported, ours, difference = con.execute(
        "select sum(reported_orders), sum(orders_paid) filter (where platform in ('xiaohongshu', 'douyin')), "
        "sum(orders_difference) from mart_funnel_daily where platform in ('xiaohongshu', 'douyin')"
    ).fetchone()
    paid_via = Counter(o["platform"] for o in sample.orders if o["paid_at"])
    assert reported == claimed
    assert ours == paid_via["xiaohongshu"] + paid_via["douyin"]
    assert difference == reported - ours
    assert reported > ours, "platforms over-claim: each counts orders the others also touched"


def test_funnel_content_rollup_has_both_sides_on_one_row(built):
    con, _ = built
    by_category = con.execute(
        "select sum(paid_amount), sum(store_visits), sum(spend) from mart_funnel_daily"
    ).fetchone()
    rollup = con.execute(
        "select sum(paid_amount), sum(store_visits), sum(spend) from mart_funnel_content_daily"
    ).fetchone()
    assert rollup == by_category
    visits, buyers, rate = con.execute(
        "select store_visitors, paying_buyers, conversion_rate from mart_funnel_content_daily "
        "where store_visitors > 0 and paying_buyers > 0 order by date_day, platform, campaign_id limit 1"
    ).fetchone()
    assert rate == round(Decimal(buyers) / Decimal(visits), 6)


def _states_at_end_of(day: date, sample: Sample) -> Counter:
    """Brand-wide AIPL state of every consumer at the end of `day`, from the files."""
    reached: dict[str, int] = {}
    for touch in sample.touches:
        if touch["at"].date() <= day:
            rank = 2 if touch["stage"] in INTEREST else 1
            reached[touch["oneid"]] = max(reached.get(touch["oneid"], 0), rank)
    for person, orders in sample.conversions().items():
        paid_days = [o["paid_at"].date() for o in orders if o["paid_at"].date() <= day]
        if not paid_days:
            continue
        rank = 3
        if any((b - a).days <= REPURCHASE_WINDOW_DAYS for a, b in zip(paid_days, paid_days[1:], strict=False)):
            rank = 4
        reached[person] = max(reached.get(person, 0), rank)
    return Counter("_AIPL"[rank] for rank in reached.values())


def test_aipl_state_counts_match_a_recount_from_the_files(built):
    con, sample = built
    last_day, first_day = con.execute("select max(date_day), min(date_day) from mart_aipl_daily").fetchone()
    for day in (first_day + timedelta(days=6), last_day):
        got = dict(
            con.execute(
                "select state, consumers from mart_aipl_daily where category = 'all' and date_day = ?", [day]
            ).fetchall()
        )
        expected = _states_at_end_of(day, sample)
        assert got == {state: expected.get(state, 0) for state in "AIPL"}, day
    assert expected["L"] > 0 and expected["P"] > 0


def test_aipl_flows_add_up_to_the_states_and_name_the_platform(built):
    con, sample = built
    flows = dict(
        con.execute(
            "select flow, sum(consumers) from mart_aipl_flows_daily where category = 'all' group by 1"
        ).fetchall()
    )
    final = _states_at_end_of(date(2100, 1, 1), sample)
    # Every consumer enters once from `none`; each later move leaves one state for another.
    assert sum(v for k, v in flows.items() if k.startswith("none→")) == sum(final.values())
    into_purchase = sum(v for k, v in flows.items() if k.endswith("→P"))
    straight_to_loyal = sum(v for k, v in flows.items() if k.endswith("→L") and not k.startswith("P"))
    assert into_purchase + straight_to_loyal == final["P"] + final["L"]
    assert flows["A→I"] > 0 and flows["I→P"] > 0 and flows["P→L"] > 0
    platforms = {p for (p,) in con.execute("select distinct platform from mart_aipl_flows_daily").fetchall()}
    assert {"xiaohongshu", "douyin", "tmall"} <= platforms


def test_buyer_loop_matches_first_touch_first_and_second_purchase_from_the_files(built):
    con, sample = built
    first_touch = {}
    conversions = sample.conversions()
    for touch in sample.touches:
        orders = conversions.get(touch["oneid"])
        if orders and touch["at"] <= orders[0]["paid_at"]:
            seen = first_touch.get(touch["oneid"])
            first_touch[touch["oneid"]] = touch["at"] if seen is None else min(seen, touch["at"])
    expected = {
        person: (
            first_touch.get(person),
            orders[0]["paid_at"],
            orders[1]["paid_at"] if len(orders) > 1 else None,
            orders[0]["platform"],
            len(orders),
        )
        for person, orders in conversions.items()
    }
    got = {
        row[0]: row[1:]
        for row in con.execute(
            "select person_key, first_touch_at, first_purchase_at, second_purchase_at, acquisition_platform, "
            "purchases from dim_buyers"
        ).fetchall()
    }
    assert got == expected
    person, (touched, bought, *_) = next((p, v) for p, v in sorted(expected.items()) if v[0] is not None)
    days = con.execute("select days_first_touch_to_purchase from dim_buyers where person_key = ?", [person])
    assert days.fetchone()[0] == Decimal(str(round((bought - touched).total_seconds() / 86400, 4)))


def test_repurchase_curve_of_the_october_cohort(built):
    con, sample = built
    cohort = [o for o in sample.conversions().values() if o[0]["paid_at"].date().month == 10]
    for horizon in (7, 30):
        repurchasers = sum(
            1
            for orders in cohort
            if len(orders) > 1 and orders[1]["paid_at"] - orders[0]["paid_at"] <= timedelta(horizon)
        )
        got = con.execute(
            "select sum(cohort_buyers), sum(repurchasers) from mart_repurchase_curves "
            "where cohort_grain = 'month' and cohort_start = date '2026-10-01' and days_after_first_purchase = ?",
            [horizon],
        ).fetchone()
        assert got == (len(cohort), repurchasers), horizon
    assert repurchasers > 0


def test_search_lift_recounted_per_platform(built):
    con, sample = built
    first_exposure, searches = {}, defaultdict(list)
    for touch in sample.touches:
        if touch["stage"] == "impression":
            key = (touch["oneid"], touch["platform"])
            first_exposure[key] = min(first_exposure.get(key, touch["at"]), touch["at"])
        elif touch["stage"] == "search":
            searches[touch["oneid"]].append(touch["at"])
    expected = defaultdict(lambda: [0, 0, 0])
    window = timedelta(days=7)
    for (person, platform), exposed in first_exposure.items():
        cell = expected[platform]
        cell[0] += 1
        cell[1] += any(exposed - window <= s < exposed for s in searches[person])
        cell[2] += any(exposed < s <= exposed + window for s in searches[person])
    got = {
        platform: [exposed, before, after]
        for platform, exposed, before, after in con.execute(
            "select platform, sum(exposed_consumers), sum(searchers_before), sum(searchers_after) "
            "from mart_search_lift group by 1"
        ).fetchall()
    }
    assert got == dict(expected)
    assert all(after > before for _, before, after in got.values()), "the sample's seeding raises brand search"


def test_every_example_query_in_the_marts_guide_runs_on_the_published_file(built):
    con, _ = built
    guide = (SEEDS.parent / "docs" / "marts.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", guide, re.S)
    published = {name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    headings = re.findall(r"^## (\w+) ", guide, re.M)
    assert len(queries) == len(headings) >= 10
    assert set(headings) <= published
    for query in queries:
        con.execute(query).fetchall()
