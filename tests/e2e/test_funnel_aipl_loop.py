"""Funnel, AIPL and seeding → repurchase marts against numbers recomputed in plain Python
from the committed sample's export files (no DuckDB, no dbt SQL, no zhongcao code)."""

import codecs
import csv
import io
import re
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import SEEDS
from zhongcao.cli import run_main_job
from zhongcao.config import Settings

pytestmark = pytest.mark.e2e

STAGES = {"曝光": "impression", "互动": "engagement", "点击": "click", "搜索": "search", "进店": "store_visit"}
STAGES["加购"] = "add_to_cart"
INTEREST = {"engagement", "click", "search", "store_visit", "add_to_cart"}
REPURCHASE_WINDOW_DAYS = 90


def _text(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _records(path: Path) -> list[dict[str, str]]:
    rows = csv.DictReader(io.StringIO(_text(path)))
    return [
        {k: v.strip().removeprefix('="').removesuffix('"') for k, v in row.items()}
        for row in rows
        if not next(iter(row.values())).startswith("合计")
    ]


def _only(folder: Path) -> Path:
    (path,) = folder.glob("*.csv")
    return path


def _at(text: str) -> datetime | None:
    return None if text in ("", "--") else datetime.fromisoformat(text)


@dataclass
class Sample:
    """The sample, read the way an analyst with a spreadsheet would."""

    touches: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)  # both stores, one dict per order
    person_of_buyer: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, landing: Path) -> "Sample":
        sample = cls()
        for path in sorted((landing / "databank" / "touchpoints").glob("*.csv")):
            for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
                row["stage"], row["at"] = STAGES[row["event"]], datetime.fromisoformat(row["ts"])
                sample.touches.append(row)
        click_platform, click_owners = {}, defaultdict(set)
        for touch in sorted(sample.touches, key=lambda t: t["at"]):
            if touch["stage"] == "click" and touch["click_id"]:
                click_platform.setdefault(touch["click_id"], touch["platform"])
                click_owners[touch["click_id"]].add(touch["oneid"])

        category_of_sku, category_of_product, price_of_product = {}, {}, {}
        for row in _records(_only(landing / "merchant" / "products")):
            category_of_sku[row["SKU编码"]] = category_of_product[row["商品ID"]] = row["类目"]
            price_of_product[row["商品ID"]] = Decimal(row["吊牌价"])
        line_amounts = defaultdict(Counter)
        for row in _records(_only(landing / "tmall" / "order_items")):
            amount = Decimal(row["价格"]) * int(row["购买数量"])
            line_amounts[row["订单编号"]][category_of_sku[row["SKU编码"]]] += amount
        signed = set()
        for row in _records(_only(landing / "cainiao" / "bill")):
            if row["签收时间"]:
                signed.add(row["订单号"])
        (jd_bill,) = (landing / "jd_logistics" / "bill").glob("*.xlsx")
        sheet = CalamineWorkbook.from_path(str(jd_bill)).get_sheet_by_index(0).to_python()
        signed |= {row[sheet[0].index("订单号")] for row in sheet[1:] if row[sheet[0].index("签收时间")]}
        refunds = defaultdict(Decimal)
        for row in _records(_only(landing / "tmall" / "refunds")):
            if row["退款状态"] == "退款成功":
                refunds[row["订单编号"]] += Decimal(row["退款金额"])

        tmall = _records(_only(landing / "tmall" / "orders"))
        oneids = {t["oneid"] for t in sample.touches}
        buyers_of_click = defaultdict(set)
        for row in tmall:
            if row["点击ID"]:
                buyers_of_click[row["点击ID"]].add(row["买家ID"])
        links, conflicted = defaultdict(set), set()
        for row in tmall:
            buyer, click = row["买家ID"], row["点击ID"]
            if click in click_owners:
                if len(click_owners[click]) > 1 or len(buyers_of_click[click]) > 1:
                    conflicted.add(buyer)
                else:
                    links[buyer] |= click_owners[click]
        for row in tmall:
            buyer = row["买家ID"]
            if buyer in oneids:
                person = buyer
            elif len(links[buyer]) == 1 and buyer not in conflicted:
                person = next(iter(links[buyer]))
            else:
                person = f"tmall:{buyer}"
            sample.person_of_buyer[buyer] = person
            paid_at = _at(row["订单付款时间"])
            paid = Decimal(row["买家实际支付金额"]) if paid_at else Decimal(0)
            amounts = line_amounts[row["订单编号"]]
            top = max(amounts.values())
            sample.orders.append(
                {
                    "store": "tmall",
                    "person": person,
                    "created": _at(row["订单创建时间"]),
                    "paid_at": paid_at,
                    "paid": paid,
                    "gmv": Decimal(row["总金额"]),
                    "refund": refunds[row["订单编号"]],
                    "category": min(c for c, a in amounts.items() if a == top),
                    "platform": click_platform.get(row["点击ID"], "tmall"),
                    "delivered": row["订单编号"] in signed,
                }
            )

        douyin = defaultdict(list)
        for row in _records(_only(landing / "douyin" / "shop_orders")):
            douyin[row["主订单编号"]].append(row)
        for lines in douyin.values():
            paid_at = _at(lines[0]["支付完成时间"])
            paid = sum(Decimal(line["订单应付金额"]) for line in lines) if paid_at else Decimal(0)
            amounts = Counter()
            for line in lines:
                amounts[category_of_product[line["商品ID"]]] += price_of_product[line["商品ID"]] * int(line["商品数量"])
            top = max(amounts.values())
            sample.orders.append(
                {
                    "store": "douyin_shop",
                    "person": None,
                    "created": _at(lines[0]["订单提交时间"]),
                    "paid_at": paid_at,
                    "paid": paid,
                    "gmv": sum(amounts.values()),
                    "refund": paid if paid_at and lines[0]["订单状态"] == "已关闭" else Decimal(0),
                    "category": min(c for c, a in amounts.items() if a == top),
                    "platform": "douyin",
                    "delivered": lines[0]["订单状态"] == "已完成",
                }
            )
        return sample

    def conversions(self) -> dict[str, list[dict]]:
        """Orders that stayed bought (paid, not refunded in full), per identified person, in order."""
        by_person = defaultdict(list)
        for order in self.orders:
            if order["person"] and order["paid_at"] and order["refund"] < order["paid"]:
                by_person[order["person"]].append(order)
        for orders in by_person.values():
            orders.sort(key=lambda o: o["paid_at"])
        return by_person


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One main-job run over a copy of the sample, shared by this module's tests."""
    home = tmp_path_factory.mktemp("home")
    landing = tmp_path_factory.mktemp("landing")
    for item in SEEDS.iterdir():
        if item.is_dir():
            shutil.copytree(item, landing / item.name)
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "ZHONGCAO_HOME": home,
            "ZHONGCAO_LANDING": landing,
            "ZHONGCAO_WAREHOUSE": home / "warehouse.duckdb",
            "ZHONGCAO_PUBLISHED": home / "published" / "zhongcao.duckdb",
            "ZHONGCAO_QUARANTINE": home / "quarantine",
            "DAGSTER_HOME": home / "dagster_home",
        }.items():
            env.setenv(name, str(value))
        (home / "dagster_home").mkdir()
        (home / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        settings = Settings.from_env()
        assert run_main_job(settings, quiet=True).success
    con = duckdb.connect(str(settings.published), read_only=True)
    yield con, Sample.read(landing)
    con.close()


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


def test_funnel_reports_platform_claims_beside_our_orders(built):
    con, sample = built
    claimed = sum(int(r["成交订单数"]) for r in _records(_only(SEEDS / "xiaohongshu" / "xiaohongxing")))
    claimed += sum(int(r["整体成交订单数"]) for r in _records(_only(SEEDS / "douyin" / "qianchuan_ads")))
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
