"""Platform-specific framings on small real files: the exact rows that come out of each."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.conftest import write_export
from tests.loaders.test_loader import load, query
from zhongcao.generate.exports import Writer

SYCM_HEADER = [
    "来源",
    "来源明细",
    "访客数",
    "加购人数",
    "收藏人数",
    "下单买家数",
    "支付买家数",
    "支付金额",
    "支付转化率",
]


def sycm_workbook(path, preamble, rows):
    """A 生意参谋 workbook at <landing>/tmall/sycm_traffic/<name>, written like the generator's."""
    Writer(path.parents[2]).xlsx("tmall", "sycm_traffic", path.name, SYCM_HEADER, rows, preamble=preamble)


def test_sycm_day_comes_from_the_preamble(workspace):
    folder = workspace.landing / "tmall" / "sycm_traffic"
    sycm_workbook(
        folder / "d1.xlsx",
        ["统计时间：2025-03-26 ~ 2025-03-26", "终端：全部终端"],
        [["站外投放", "小红书", 120, 10, 3, 6, 5, "1,020.50", "4.17%"]],
    )
    sycm_workbook(
        folder / "week.xlsx",
        ["统计时间：2025-03-20 ~ 2025-03-26"],
        [["淘内免费", "手淘搜索", 1, 1, 1, 1, 1, "1", "1%"]],
    )
    sycm_workbook(folder / "bare.xlsx", [], [["淘内免费", "手淘搜索", 1, 1, 1, 1, 1, "1", "1%"]])
    outcomes, _ = load(workspace)
    by_name = {f.file_name.rsplit("/", 1)[1]: f for f in outcomes["tmall__sycm_traffic"].files}
    assert by_name["week.xlsx"].status == "refused"
    assert by_name["week.xlsx"].refused_line == 1
    assert "spans more than one day" in by_name["week.xlsx"].reason
    assert by_name["bare.xlsx"].status == "refused"
    assert by_name["bare.xlsx"].reason == "no 统计时间 preamble: the report's day cannot be known"
    assert query(
        workspace, "select date, source_detail, visitors, paid_amount, conversion_rate from raw.tmall__sycm_traffic"
    ) == [(date(2025, 3, 26), "小红书", 120, Decimal("1020.50"), Decimal("0.041700"))]


def test_wechat_backticks_summary_block_and_negative_refund_fee(workspace):
    text = (
        "\n".join(
            [
                "交易时间,微信订单号,商户订单号,交易状态,应结订单金额,退款金额,手续费,费率",
                "`2025-03-26 10:00:01,`4200001,`4100007000000316760,`SUCCESS,`143.10,`0.00,`0.85860,`0.60%",
                "`2025-03-28 09:00:00,`4200001,`4100007000000316760,`REFUND,`0.00,`143.10,`-0.85860,`0.60%",
                "`2025-03-28 09:00:00,`4200002,`4100007000000316761,`SUCCESS,`-1.00,`0.00,`0.10000,`0.60%",
                "总交易单数,应结订单总金额,退款总金额,手续费总金额",
                "`2,`143.10,`143.10,`0.00000",
            ]
        )
        + "\n"
    )
    write_export(workspace.landing, "wechatpay", "bill", "bill.csv", text)
    outcomes, _ = load(workspace)
    assert outcomes["wechatpay__bill"].rows_loaded == 2
    assert query(
        workspace,
        "select trade_status, settlement_amount, refund_amount, fee, fee_rate "
        "from raw.wechatpay__bill order by trade_time",
    ) == [
        ("SUCCESS", Decimal("143.10"), Decimal("0.00"), Decimal("0.858600"), Decimal("0.006000")),
        ("REFUND", Decimal("0.00"), Decimal("143.10"), Decimal("-0.858600"), Decimal("0.006000")),
    ]
    # Only the fee may be negative: a negative settlement amount is a reject.
    assert query(workspace, "select line, column_name, reason from meta.rejects") == [
        (4, "settlement_amount", "negative value in a column that cannot be negative")
    ]


def test_alipay_hash_framing_trailing_tabs_and_signed_expense(workspace):
    lines = [
        "#支付宝账务明细查询",
        "#账号：[208800000007]",
        "#起始日期：[2025年03月26日 00:00:00]   终止日期：[2025年03月27日 00:00:00]",
        "账务流水号,业务流水号,商户订单号,发生时间,收入金额（+元）,支出金额（-元）,账户余额（元）,业务类型",
        "2088001\t,20250326001\t,4100007000000316760\t,2025-03-26 10:00:01\t,143.10\t,\t,100143.10\t,交易收款\t",
        "2088002\t,20250326002\t,4100007000000316760\t,2025-03-26 10:00:02\t,\t,-0.86\t,100142.24\t,服务费\t",
        "#-----------------------------------------账务明细列表结束------------------------------------",
        "#收入合计：143.10元",
    ]
    write_export(workspace.landing, "alipay", "bill", "bill.csv", "\r\n".join(lines) + "\r\n", encoding="gb18030")
    outcomes, _ = load(workspace)
    assert outcomes["alipay__bill"].rows_loaded == 2
    assert query(
        workspace,
        "select ledger_id, order_id, occurred_at, income, expense, business_type "
        "from raw.alipay__bill order by ledger_id",
    ) == [
        ("2088001", "4100007000000316760", datetime(2025, 3, 26, 10, 0, 1), Decimal("143.10"), None, "交易收款"),
        ("2088002", "4100007000000316760", datetime(2025, 3, 26, 10, 0, 2), None, Decimal("-0.86"), "服务费"),
    ]


@pytest.mark.parametrize("mtime_order", ["newer", "older"])
def test_order_items_reexport_covers_its_orders(workspace, mtime_order):
    header = "订单编号,商品ID,SKU编码,标题,价格,购买数量,商家编码"
    write_export(
        workspace.landing,
        "tmall",
        "order_items",
        "a.csv",
        "\n".join([header, '="1001",P1,S1,t,10.00,1,m', '="1001",P2,S2,t,5.00,2,m', '="1002",P1,S1,t,10.00,1,m'])
        + "\n",
        encoding="gb18030",
        mtime=1_700_000_000,
    )
    write_export(
        workspace.landing,
        "tmall",
        "order_items",
        "b.csv",
        "\n".join([header, '="1001",P1,S1,t,10.00,3,m']) + "\n",
        encoding="gb18030",
        mtime=1_700_000_100 if mtime_order == "newer" else 1_600_000_000,
    )
    load(workspace)
    rows = query(workspace, "select order_id, sku_id, quantity from raw.tmall__order_items order by all")
    if mtime_order == "newer":  # order 1001 now has exactly the lines of the newer file
        assert rows == [("1001", "S1", 3), ("1002", "S1", 1)]
    else:
        assert rows == [("1001", "S1", 1), ("1001", "S2", 2), ("1002", "S1", 1)]


def test_databank_touchpoints_as_json_lines(workspace):
    import json as _json

    events = [
        {
            "oneid": "a1",
            "platform": "xiaohongshu",
            "event": "曝光",
            "ts": "2025-03-26 10:00:00",
            "campaign_id": 1700001117,
            "note_id": "6abc",
            "creator_id": None,
            "click_id": None,
        },
        {
            "oneid": "a1",
            "platform": "xiaohongshu",
            "event": "点击",
            "ts": "2025-03-26 10:00:09",
            "campaign_id": "1700001117",
            "note_id": "6abc",
            "click_id": "xhs1",
        },
    ]
    text = "\n".join(
        [_json.dumps(events[0], ensure_ascii=False), "{not json", _json.dumps(events[1], ensure_ascii=False)]
    )
    write_export(workspace.landing, "databank", "touchpoints", "events.jsonl", text + "\n")
    outcomes, _ = load(workspace)
    assert outcomes["databank__touchpoints"].rows_loaded == 2
    assert query(workspace, "select event, ts, campaign_id, click_id from raw.databank__touchpoints order by ts") == [
        ("曝光", datetime(2025, 3, 26, 10, 0), "1700001117", None),
        ("点击", datetime(2025, 3, 26, 10, 0, 9), "1700001117", "xhs1"),
    ]
    assert query(workspace, "select line, reason from meta.rejects") == [(2, "row has 1 fields, header has 8")]

    write_export(workspace.landing, "databank", "touchpoints", "cut.jsonl", _json.dumps(events[0]) + '\n{"oneid": "b')
    outcomes, _ = load(workspace)
    refused = [f for f in outcomes["databank__touchpoints"].files if f.status == "refused"]
    assert refused[0].refused_line == 2 and refused[0].reason.startswith("truncated last row (incomplete JSON")


def test_xlsx_rejects_name_the_sheet_row(workspace):
    folder = workspace.landing / "tmall" / "sycm_traffic"
    sycm_workbook(
        folder / "d1.xlsx",
        ["统计时间：2025-03-26 ~ 2025-03-26"],
        [
            ["站外投放", "小红书", 120, 10, 3, 6, 5, "1,020.50", "4.17%"],
            [],
            ["站外投放", "抖音", "many", 10, 3, 6, 5, "1.00", "1%"],
            ["淘内免费", "手淘搜索", 300, 20, 9, 12, 10, "2000", "3.33%"],
            ["合计", "", 420],
        ],
    )
    outcomes, _ = load(workspace)
    assert outcomes["tmall__sycm_traffic"].rows_loaded == 2
    assert query(workspace, "select line, column_name, raw_value, reason from meta.rejects") == [
        (5, "visitors", "many", "not a whole number")
    ]
    assert query(workspace, "select _row_number from raw.tmall__sycm_traffic order by 1") == [(3,), (6,)]
