"""The rule-based credit models in dbt SQL, on a two-order world worked out by hand: exports
loaded by the real loader, marts built by a real `dbt run` on a real DuckDB file."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import write_export
from zhongcao.config import REPO_ROOT
from zhongcao.ingest.loader import Loader

TOUCHES = """oneid,platform,event,ts,campaign_id,note_id,creator_id,click_id
p1,xiaohongshu,曝光,2026-10-03 12:00:00,,n1,,
p1,weibo,曝光,2026-10-05 11:59:59,w1,,,
p1,weibo,曝光,2026-10-05 12:00:00,w1,,,
p1,douyin,点击,2026-10-15 12:00:00,d1,,,dou000000000000001
p1,xiaohongshu,点击,2026-10-19 12:00:00,,n1,,xia000000000000001
p1,weibo,曝光,2026-10-20 13:00:00,w1,,,
"""
# p1 pays at 2026-10-20 12:00:00. Ages: 17 d, 15 d + 1 s, exactly 15 d, 5 d, 1 d, and one touch
# an hour *after* the payment, which no model may credit.
ORDERS_HEADER = (
    "订单编号,买家会员名,买家ID,总金额,买家实际支付金额,平台优惠,商家优惠,订单状态,订单创建时间,订单付款时间,"
    "支付方式,收货人姓名,联系手机,收货地址,物流公司,物流单号,渠道来源,点击ID"
)
ORDER_ROWS = [
    '="4100000000000000001",nick1,p1,120.00,100.00,0.00,20.00,交易成功,2026-10-20 11:50:00,2026-10-20 12:00:00,'
    '支付宝,张三,13800000000,浙江省杭州市西湖区1号,京东物流,="JDX000000000001",小红书,xia000000000000001',
    '="4100000000000000002",nick2,p2,50.00,50.00,0.00,0.00,交易成功,2026-10-20 14:50:00,2026-10-20 15:00:00,'
    '支付宝,李四,13900000000,浙江省杭州市西湖区2号,菜鸟,="YT0000000000001",手淘搜索,',
]
ORDERS = "\n".join([ORDERS_HEADER, *ORDER_ROWS]) + "\n"
ITEMS = """订单编号,商品ID,SKU编码,标题,价格,购买数量,商家编码
="4100000000000000001",700100200301,SKU-RUN-01,轻量跑鞋 Air,120.00,1,MC-SKU-RUN-01
="4100000000000000002",700100200402,SKU-SKIN-02,氨基酸洁面乳,50.00,1,MC-SKU-SKIN-02
"""
PRODUCTS = """SKU编码,商品ID,商品名称,类目,成本价,吊牌价
SKU-RUN-01,700100200301,轻量跑鞋 Air,运动,60.00,120.00
SKU-SKIN-02,700100200402,氨基酸洁面乳,美妆,10.00,50.00
"""

RULE_MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")
MODELS = (*RULE_MODELS, "markov", "shapley")


@pytest.fixture(scope="module")
def credits(tmp_path_factory):
    home = tmp_path_factory.mktemp("attribution")
    landing = home / "landing"
    write_export(landing, "databank", "touchpoints", "touchpoints_20261020.csv", TOUCHES)
    write_export(landing, "tmall", "orders", "订单报表.csv", ORDERS, encoding="gb18030")
    write_export(landing, "tmall", "order_items", "宝贝报表.csv", ITEMS, encoding="gb18030")
    write_export(landing, "merchant", "products", "商品档案.csv", PRODUCTS)
    settings_env = {
        "ZHONGCAO_HOME": str(home),
        "ZHONGCAO_LANDING": str(landing),
        "ZHONGCAO_WAREHOUSE": str(home / "warehouse.duckdb"),
    }
    with pytest.MonkeyPatch.context() as env:
        for name, value in settings_env.items():
            env.setenv(name, value)
        from zhongcao.config import Settings

        outcomes = Loader(Settings.from_env(), log=lambda _: None).load_all()
    assert sum(o.rows_loaded for o in outcomes) == 6 + 2 + 2 + 2
    dbt = Path(sys.executable).parent / "dbt"
    run = subprocess.run(
        [
            str(dbt),
            "build",
            "--exclude",
            "resource_type:test",  # the two-order world is for the credits, not for every mart's tests
            "--select",
            "+fct_attribution_credits",
            "+mart_attribution_daily",
            "--vars",
            "{attribution_detail_windows: [7, 15, 30]}",
            "--project-dir",
            str(REPO_ROOT / "dbt"),
            "--profiles-dir",
            str(REPO_ROOT / "dbt"),
            "--target-path",
            str(home / "dbt_target"),
            "--log-path",
            str(home / "dbt_logs"),
        ],
        env={**os.environ, **settings_env, "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    con = duckdb.connect(settings_env["ZHONGCAO_WAREHOUSE"], read_only=True)
    leftovers = con.execute("select table_name from information_schema.tables where table_schema = 'main'")
    assert leftovers.fetchall() == [], "the data-driven model must not leave its helper views behind"
    columns = ", ".join(f"{model}_credit" for model in MODELS)
    rows = con.execute(
        f"select order_id, window_days, channel, event_at, {columns} from marts.fct_attribution_credits "
        "order by order_id, window_days, touch_number"
    ).fetchall()
    daily = con.execute(
        "select attribution_model, window_days, channel, attributed_net_revenue from marts.mart_attribution_daily"
    ).fetchall()
    con.close()
    table = {}
    for order_id, window, channel, event_at, *model_credits in rows:
        for model, credit in zip(MODELS, model_credits, strict=True):
            table.setdefault((order_id[-1], window, model), []).append(
                (channel, event_at and event_at.strftime("%m-%d %H:%M:%S"), credit)
            )
    return table, daily


def credits_of(credits, order, window, model):
    table, _ = credits
    return [credit for _, _, credit in table[(order, window, model)]]


def test_window_edges(credits):
    table, _ = credits
    touches = {window: [at for _, at, _ in table[("1", window, "linear")]] for window in (7, 15, 30)}
    assert touches[7] == ["10-15 12:00:00", "10-19 12:00:00"]
    # Exactly 15 days before the payment is inside the 15-day window; one second earlier is not.
    assert touches[15] == ["10-05 12:00:00", "10-15 12:00:00", "10-19 12:00:00"]
    assert touches[30] == ["10-03 12:00:00", "10-05 11:59:59", "10-05 12:00:00", "10-15 12:00:00", "10-19 12:00:00"]
    for window in (7, 15, 30):  # the touch an hour after the payment never counts
        assert "10-20 13:00:00" not in touches[window]


def test_rule_based_credits_by_hand(credits):
    d = Decimal
    assert credits_of(credits, "1", 15, "first_touch") == [d(1), d(0), d(0)]
    assert credits_of(credits, "1", 15, "last_touch") == [d(0), d(0), d(1)]
    # 1/3 each, rounded to 12 places; the last touch takes the remainder so the sum is exactly 1.
    assert credits_of(credits, "1", 15, "linear") == [d("0.333333333333"), d("0.333333333333"), d("0.333333333334")]
    # Half-life 7 days, ages 15, 5 and 1 days: weights 0.5^(15/7), 0.5^(5/7), 0.5^(1/7) = 0.2266, 0.6095,
    # 0.9057, normalised over their sum 1.7418.
    assert credits_of(credits, "1", 15, "time_decay") == [
        d("0.130008574054"),
        d("0.349957129728"),
        d("0.520034296218"),
    ]
    assert credits_of(credits, "1", 7, "time_decay") == [d("0.402253538703"), d("0.597746461297")]
    assert credits_of(credits, "1", 15, "position_based") == [d("0.4"), d("0.2"), d("0.4")]
    assert credits_of(credits, "1", 7, "position_based") == [d("0.5"), d("0.5")]
    # Five touches: 40 % first, 40 % last, 20 % / 3 each in the middle (0.066666666667 rounded).
    assert credits_of(credits, "1", 30, "position_based") == [
        d("0.4"),
        d("0.066666666667"),
        d("0.066666666667"),
        d("0.066666666667"),
        d("0.399999999999"),
    ]


def test_attributed_revenue_is_exact_to_the_cent(credits):
    table, daily = credits
    for rows in table.values():
        assert sum(credit for _, _, credit in rows) == 1
    # Order 1 (net 100.00) split 1/3 each over weibo, douyin and xiaohongshu under linear/15 days:
    # 33.333… each, rounded down, and the cent left goes to the largest remainder - the last
    # touch's credit 0.333333333334.
    linear_15 = {channel: revenue for model, window, channel, revenue in daily if (model, window) == ("linear", 15)}
    assert linear_15 == {
        "weibo": Decimal("33.33"),
        "douyin": Decimal("33.33"),
        "xiaohongshu": Decimal("33.34"),
        "direct_or_organic": Decimal("50.00"),
    }
    per_model = {}
    for model, window, _, revenue in daily:
        per_model[(model, window)] = per_model.get((model, window), 0) + revenue
    assert per_model == {(model, window): Decimal("150.00") for model in MODELS for window in (7, 15, 30)}


def test_an_order_without_touches_goes_to_direct_or_organic_under_every_model(credits):
    table, _ = credits
    models = {model for (order, _, model) in table if order == "2"}
    assert models == set(MODELS)
    for window in (7, 15, 30):
        for model in models:
            assert table[("2", window, model)] == [("direct_or_organic", None, Decimal(1))]


def test_data_driven_models_split_a_channel_evenly_over_its_touches(credits):
    table, _ = credits
    for model in ("markov", "shapley"):
        rows = table[("1", 30, model)]
        weibo = [credit for channel, _, credit in rows if channel == "weibo"]
        assert len(weibo) == 2 and abs(weibo[0] - weibo[1]) <= Decimal("0.000000000001")
        assert sum(credit for _, _, credit in rows) == 1
