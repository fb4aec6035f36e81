"""Finance marts on the sample: the P&L, the reconciliation and the periods, against the
export and bill files read in plain Python."""

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import SEEDS
from tests.e2e.conftest import only_csv, read_records

pytestmark = pytest.mark.e2e


def alipay_lines() -> list[dict[str, str]]:
    """The Alipay ledger without its `#` frame, trailing tabs stripped."""
    text = only_csv(SEEDS / "alipay" / "bill").read_bytes().decode("gb18030")
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    return [{k: v.strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO("\n".join(body)))]


def wechat_lines() -> list[dict[str, str]]:
    """The WeChat Pay bill without its summary block, backticks removed."""
    text = only_csv(SEEDS / "wechatpay" / "bill").read_text(encoding="utf-8")
    body = text.split("\n总交易单数")[0]
    return [{k: v.lstrip("`") for k, v in row.items()} for row in csv.DictReader(io.StringIO(body))]


def test_every_planted_discrepancy_is_found_and_nothing_else(built):
    con, _ = built
    with (SEEDS / "_truth" / "planted_discrepancies.csv").open(encoding="utf-8") as fh:
        planted = {(row["kind"], row["order_id"]) for row in csv.DictReader(fh)}
    found = set(con.execute("select status, order_id from fct_settlement_checks where is_discrepancy").fetchall())
    assert len(planted) == 10
    assert found == planted


def test_settlements_tie_to_the_bills_and_discrepancies_explain_the_gap(built):
    con, sample = built
    settled = Decimal(0)
    for row in alipay_lines():
        if row["业务类型"] == "交易收款":
            settled += Decimal(row["收入金额（+元）"])
        elif row["业务类型"] == "退款":
            settled += Decimal(row["支出金额（-元）"])  # negative in the bill
    for row in wechat_lines():
        settled += Decimal(row["应结订单金额"]) - Decimal(row["退款金额"])
    tmall = [o for o in sample.orders if o["store"] == "tmall" and o["paid_at"]]
    expected = sum(o["paid"] for o in tmall) - sum(o["refund"] for o in sample.orders if o["store"] == "tmall")
    payment, refund = con.execute(
        "select sum(difference) filter (where check_type = 'payment'), "
        "sum(difference) filter (where check_type = 'refund') "
        "from fct_settlement_checks where is_discrepancy"
    ).fetchone()
    assert settled == expected + payment - refund
    assert settled != expected, "the planted discrepancies must show in the totals"


def test_pnl_lines_tie_to_the_orders_and_obey_the_waterfall_on_every_row(built):
    con, sample = built
    rows = con.execute(
        "select store, order_id, gmv, paid_amount, platform_discount, refund_amount, net_revenue, commission, points, "
        "platform_fees, payment_fee, logistics_cost, cogs, cm1, cm2, marketing_cost, cm3 from fct_order_lines"
    ).fetchall()
    per_order = defaultdict(lambda: [Decimal(0)] * 4)
    for row in rows:
        store, order_id, gmv, paid, discount, refund, net, commission, points, fees, payment, freight, cogs = row[:13]
        cm1, cm2, marketing, cm3 = row[13:]
        assert net == paid + discount - refund
        assert cm1 == net - cogs
        assert fees == commission + points
        assert cm2 == cm1 - fees - payment - freight
        assert cm3 == cm2 - marketing
        totals = per_order[(store, order_id)]
        for i, value in enumerate((gmv, paid, refund, net)):
            totals[i] += value
    for order in sample.orders:
        gmv, paid, refund, net = per_order[(order["store"], order["order_id"])]
        assert (gmv, paid, refund) == (order["gmv"], order["paid"], order["refund"]), order["order_id"]
        assert net == (order["paid"] + order["platform_discount"] - order["refund"] if order["paid_at"] else 0)


def test_payment_fees_and_freight_come_from_the_bills(built):
    con, _ = built
    alipay_fee = defaultdict(Decimal)
    for row in alipay_lines():
        if row["业务类型"] == "服务费":
            alipay_fee[row["商户订单号"]] -= Decimal(row["支出金额（-元）"])
    wechat_fee = defaultdict(Decimal)
    for row in wechat_lines():
        wechat_fee[row["商户订单号"]] += Decimal(row["手续费"])
    freight = defaultdict(Decimal)
    for row in read_records(only_csv(SEEDS / "cainiao" / "bill")):
        freight[row["订单号"]] += Decimal(row["运费(元)"])
    got = {
        order_id: (fee, cost, source)
        for order_id, fee, cost, source in con.execute(
            "select order_id, sum(payment_fee), sum(logistics_cost), any_value(payment_fee_source) "
            "from fct_order_lines where store = 'tmall' group by order_id"
        ).fetchall()
    }
    checked = 0
    for order_id, fee in {**alipay_fee, **{k: round(v, 2) for k, v in wechat_fee.items()}}.items():
        if order_id in got:
            assert got[order_id][0] == fee, order_id
            assert got[order_id][2] == "bill"
            checked += 1
    for order_id, cost in freight.items():
        if order_id in got:
            assert got[order_id][1] == cost, order_id
    assert checked > 500


def test_fiscal_quarters_on_boundary_dates(built):
    con, _ = built
    labels = dict(
        con.execute(
            "select date_day, fiscal_quarter_label from dim_calendar where date_day in "
            "('2024-03-31', '2024-04-01', '2024-09-30', '2024-10-01', '2024-12-31', '2025-01-01', '2025-03-31')"
        ).fetchall()
    )
    assert labels == {
        date(2024, 3, 31): "FY2024 Q4",
        date(2024, 4, 1): "FY2025 Q1",
        date(2024, 9, 30): "FY2025 Q2",
        date(2024, 10, 1): "FY2025 Q3",  # Alibaba's FY2025 Q3 is October–December 2024
        date(2024, 12, 31): "FY2025 Q3",
        date(2025, 1, 1): "FY2025 Q4",
        date(2025, 3, 31): "FY2025 Q4",
    }


def test_every_period_grain_adds_up_to_the_same_pnl(built):
    con, sample = built
    totals = con.execute(
        "select period_grain, sum(paid_amount), sum(cm2), sum(gmv_placed) from mart_pnl_periods group by 1"
    ).fetchall()
    assert {grain for grain, *_ in totals} == {
        "day",
        "week",
        "month",
        "quarter",
        "year",
        "fiscal_quarter",
        "fiscal_year",
    }
    paid = sum(o["paid"] for o in sample.orders)
    gmv = sum(o["gmv"] for o in sample.orders)
    assert len({(p, cm2, g) for _, p, cm2, g in totals}) == 1
    assert totals[0][1] == paid and totals[0][3] == gmv
    labels = {
        label
        for (label,) in con.execute(
            "select period_label from mart_pnl_periods where period_grain = 'fiscal_quarter'"
        ).fetchall()
    }
    assert labels == {"FY2027 Q3"}  # the sample's October–November 2026


def test_cm3_carries_the_spend_of_every_channel_month_with_attributed_orders(built):
    con, _ = built
    allocated = con.execute("select sum(marketing_cost) from fct_order_lines").fetchone()[0]
    channel_months = con.execute(
        "select sum(spend) from mart_channel_profit where attribution_model = 'linear' and is_default_window "
        "and attributed_net_revenue > 0"
    ).fetchone()[0]
    assert allocated == channel_months > 0
    totals = con.execute("select sum(cm2), sum(cm3) from fct_order_lines").fetchone()
    assert totals[1] == totals[0] - allocated
