"""Attribution marts on the sample, against totals recomputed from the export files."""

import csv
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from tests.conftest import SEEDS
from tests.e2e.conftest import only_csv, read_records

pytestmark = pytest.mark.e2e

MODELS = {"first_touch", "last_touch", "linear", "time_decay", "position_based", "markov", "shapley"}


def test_every_model_hands_out_each_days_net_revenue_exactly(built):
    con, sample = built
    net_per_day = defaultdict(Decimal)
    for order in sample.orders:
        if order["paid_at"]:
            net_per_day[order["paid_at"].date()] += order["paid"] + order["platform_discount"] - order["refund"]
    rows = con.execute(
        "select attribution_model, window_days, date_day, sum(attributed_net_revenue), sum(attributed_orders) "
        "from mart_attribution_daily group by all"
    ).fetchall()
    by_model = defaultdict(dict)
    orders_per_day = Counter(o["paid_at"].date() for o in sample.orders if o["paid_at"])
    for model, window, day, revenue, orders in rows:
        by_model[(model, window)][day] = revenue
        assert orders == orders_per_day[day], (model, window, day)
    assert set(by_model) == {(m, w) for m in MODELS for w in (7, 15, 30)}
    for per_day in by_model.values():
        assert per_day == dict(net_per_day)


def test_credits_of_every_order_sum_to_one(built):
    con, sample = built
    sums = ", ".join(f"sum({model}_credit) as {model}" for model in sorted(MODELS))
    totals = con.execute(
        f"select store, order_id, window_days, {sums} from fct_attribution_credits group by all"
    ).fetchall()
    paid_orders = sum(1 for o in sample.orders if o["paid_at"])
    assert len(totals) == paid_orders, "every paid order, once, in the default window"
    assert {window for _, _, window, *_ in totals} == {15}
    for store, order_id, _, *model_totals in totals:
        assert model_totals == [1] * len(MODELS), (store, order_id)
    direct = con.execute(
        "select count(*) from fct_attribution_credits where channel = 'direct_or_organic' and store = 'douyin_shop'"
    ).fetchone()[0]
    assert direct == sum(1 for o in sample.orders if o["paid_at"] and o["store"] == "douyin_shop")


def test_platform_claims_beside_reality(built):
    con, sample = built
    claimed = Counter()
    for row in read_records(only_csv(SEEDS / "xiaohongshu" / "xiaohongxing")):
        claimed[(row["日期"], "xiaohongshu")] += int(row["成交订单数"])
    for row in read_records(only_csv(SEEDS / "douyin" / "qianchuan_ads")):
        claimed[(row["日期"], "douyin")] += int(row["整体成交订单数"])
    actual = Counter(o["paid_at"].date().isoformat() for o in sample.orders if o["paid_at"])
    rows = con.execute(
        "select date_day, platform, claimed_orders, actual_orders, day_over_claim_ratio from mart_platform_claims "
        "where platform <> 'alimama'"
    ).fetchall()
    assert {(d.isoformat(), p): c for d, p, c, _, _ in rows} == dict(claimed)
    for day, platform, _, actual_orders, ratio in rows:
        assert actual_orders == actual[day.isoformat()]
        day_claims = claimed[(day.isoformat(), "xiaohongshu")] + claimed[(day.isoformat(), "douyin")]
        assert ratio == round(Decimal(day_claims) / actual_orders, 4), (day, platform)
    total_claimed, total_actual = sum(claimed.values()), sum(actual.values())
    assert total_claimed > total_actual, "the sample's platforms over-claim, as real ones do"


def test_accuracy_table_scores_every_model_against_the_generators_truth(built):
    con, _ = built
    with (SEEDS / "_truth" / "channel_incremental_revenue.csv").open(encoding="utf-8") as fh:
        truth = {r["platform"]: Decimal(r["true_incremental_revenue"]) for r in csv.DictReader(fh)}
    rows = con.execute(
        "select window_days, attribution_model, channel, true_incremental_revenue, attributed_share, model_rank "
        "from mart_attribution_accuracy"
    ).fetchall()
    assert {(w, m) for w, m, *_ in rows} == {(w, m) for m in MODELS for w in (7, 15, 30)}
    for window, model, channel, true_revenue, _, _ in rows:
        assert true_revenue == truth[channel], (window, model, channel)
    for window in (7, 15, 30):
        shares = defaultdict(Decimal)
        ranks = set()
        for w, model, _, _, share, rank in rows:
            if w == window:
                shares[model] += share
                ranks.add(rank)
        assert all(abs(total - 1) < Decimal("0.00001") for total in shares.values())
        assert min(ranks) == 1 and len(ranks) > 1


def test_roi_spend_is_the_funnels_spend_for_every_model(built):
    con, _ = built
    funnel_spend = con.execute("select sum(spend) from mart_funnel_daily").fetchone()[0]
    per_model = con.execute(
        "select attribution_model, window_days, sum(spend), sum(attributed_net_revenue) from mart_attribution_roi "
        "group by all"
    ).fetchall()
    net = con.execute("select sum(net_revenue) from fct_orders where is_paid").fetchone()[0]
    assert len(per_model) == 21
    for _, _, spend, revenue in per_model:
        assert spend == funnel_spend
        assert revenue == net
    row = con.execute(
        "select spend, attributed_gmv, attributed_net_revenue, attributed_cm2, attributed_new_buyers, platform_roi, "
        "net_roas, profit_roi, cac from mart_attribution_roi where spend > 0 and attributed_new_buyers > 0 limit 1"
    ).fetchone()
    spend, gmv, revenue, cm2, new_buyers, platform_roi, net_roas, profit_roi, cac = row
    assert platform_roi == round(gmv / spend, 4)
    assert net_roas == round(revenue / spend, 4)
    assert profit_roi == round(cm2 / spend, 4)
    assert cac == round(spend / new_buyers, 2)
    cm2_total = con.execute("select sum(cm2) from fct_order_lines where is_paid").fetchone()[0]
    for model, window, cm2_of_model in con.execute(
        "select attribution_model, window_days, sum(attributed_cm2) from mart_attribution_roi group by all"
    ).fetchall():
        assert cm2_of_model == cm2_total, (model, window)
