"""The contract-driven loader on small real files: each quirk, each refusal, each re-delivery."""

import os
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import write_export
from zhongcao.ingest import loader as loader_module
from zhongcao.ingest.loader import Loader, connect
from zhongcao.ingest.reader import pii_hash

JUGUANG_HEADER = "时间,计划ID,计划名称,单元ID,创意ID,笔记ID,广告类型,消费,展现量,点击量,点击率,互动量"
TMALL_HEADER = (
    "订单编号,买家会员名,买家ID,总金额,买家实际支付金额,平台优惠,商家优惠,订单状态,订单创建时间,"
    "订单付款时间,支付方式,收货人姓名,联系手机,收货地址,物流公司,物流单号,渠道来源,点击ID"
)


def juguang(*rows: str, header: str = JUGUANG_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def load(settings):
    messages = []
    outcomes = Loader(settings, log=messages.append).load_all()
    return {o.contract.key: o for o in outcomes}, messages


def query(settings, sql, params=None):
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# Cells around the two shortcuts of zc_clean (a tab after the value, Excel's ="…"): padding
# inside or beside them, several quirks at once, non-BMP and combining characters, null tokens.
# fmt: off
CELL_EDGES = [
    "a\t", "\t", "a\t\t", " a\t", "`a\t", "\na\t", "a\r\t", "a\x0b\t", "a\u3000\t", "\u00a0a\t",
    "a\u00a0\t", "ab\u0301\t", "𠮷\t", "-\t", "--\t", "\t-", '="a"', '=""', '="', '="a', '=" a"', '="a "',
    '="a""', '=""""', '="-"', '="a"\t', '="\u3000a"', '="a\u00a0"', '="\u00a0a"', '="a\nb"', '="\u0301a"',
    '="\ta"', '="a\t"', '="x"\t\t', '`="1"', '="1" ', '  ="1"  ', "=1", '="1"x"', "x", "", " ", "-", "--", None,
]
# fmt: on


def test_cleaning_shortcuts_give_what_the_full_unwrap_gives():
    con = duckdb.connect()
    con.execute(loader_module.MACROS)
    differing = con.execute(
        "select v, zc_clean(v), zc_unwrap(v) from unnest(?) as t(v) where zc_clean(v) is distinct from zc_unwrap(v)",
        [CELL_EDGES],
    ).fetchall()
    assert differing == []
    shortcut = con.execute("select zc_clean(v) from unnest(?) as t(v)", [["4100007\t", '="4100007"', "`4100007"]])
    assert shortcut.fetchall() == [("4100007",)] * 3


def test_quirky_values_are_typed_exactly(workspace):
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "a.csv",
        juguang(
            '2025/3/26,="100200300",春季,11,111,n1,信息流,"¥1,234.50","1,000",321,3.21%,50\t',
            "20250327,100200300,春季,11,111,n1,搜索,￥0.05,--,0,0.00%,0",
            "2025年3月28日 08:05,100200300,春季,11,111,n1,信息流,12,2000,10,-,5",
        ),
    )
    outcomes, _ = load(workspace)
    assert outcomes["xiaohongshu__juguang_ads"].rows_loaded == 2
    rows = query(
        workspace,
        "select date, campaign_id, placement, spend, impressions, clicks, ctr, engagements "
        "from raw.xiaohongshu__juguang_ads order by date",
    )
    assert rows == [
        (date(2025, 3, 26), "100200300", "信息流", Decimal("1234.50"), 1000, 321, Decimal("0.032100"), 50),
        (date(2025, 3, 28), "100200300", "信息流", Decimal("12.00"), 2000, 10, None, 5),
    ]
    # `--` in a required, not-null column is a rejected row, not a silent zero.
    assert query(workspace, "select line, column_name, raw_value, reason from meta.rejects") == [
        (3, "impressions", None, "required value is empty"),
    ]
    types = dict(
        query(
            workspace,
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'xiaohongshu__juguang_ads'",
        )
    )
    assert types["spend"] == "DECIMAL(18,2)" and types["ctr"] == "DECIMAL(12,6)"


def test_bad_rows_are_rejected_with_reason_and_the_rest_loads(workspace):
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "a.csv",
        juguang(
            "2025-03-26,1,a,11,111,n1,信息流,10.00,100,5,5%,1",
            "2025-03-26,1,a,11,112,n1,信息流,-3.00,100,5,5%,1",
            "2025-03-26,1,a,11,113,n1,信息流,abc,100,5,5%,1",
            "2025-13-40,1,a,11,114,n1,信息流,1.00,100,5,5%,1",
            "2025-03-26,1,a,11,115,n1,信息流,1.005,100,5,5%,1",
            "2025-03-26,1,a,11,116,n1,展示,1.00,100,5,5%,1",
            "2025-03-26,1,a,11,117,n1,信息流,1.00,100",
            "2025-03-26,1,a,11,118,n1,信息流,1.00,100,5,5%,1",
        ),
    )
    outcomes, _ = load(workspace)
    report = outcomes["xiaohongshu__juguang_ads"]
    assert (report.rows_loaded, report.rows_rejected) == (2, 6)
    assert sorted(r[0] for r in query(workspace, "select creative_id from raw.xiaohongshu__juguang_ads")) == [
        "111",
        "118",
    ]
    assert query(workspace, "select line, column_name, raw_value, reason from meta.rejects order by line") == [
        (3, "spend", "-3.00", "negative value in a column that cannot be negative"),
        (4, "spend", "abc", "not an amount with at most 2 decimals"),
        (5, "date", "2025-13-40", "not a date in an accepted format"),
        (6, "spend", "1.005", "not an amount with at most 2 decimals"),
        (7, "placement", "展示", "not an accepted value (信息流/搜索)"),
        (8, None, None, "row has 9 fields, header has 12"),
    ]
    assert query(workspace, "select rows_in_file, rows_loaded, rows_rejected from meta.load_files") == [(8, 2, 6)]
    file_name, line = query(workspace, "select file_name, line from meta.rejects limit 1")[0]
    assert file_name == "xiaohongshu/juguang_ads/a.csv" and line == 3


def test_duplicates_within_a_file(workspace):
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "a.csv",
        juguang(
            "2025-03-26,1,a,11,111,n1,信息流,10.00,100,5,5%,1",
            "2025-03-26,1,a,11,111,n1,信息流,10.00,100,5,5%,1",
            "2025-03-26,1,a,11,222,n1,信息流,10.00,100,5,5%,1",
            "2025-03-26,1,a,11,222,n1,信息流,99.00,100,5,5%,1",
        ),
    )
    outcomes, _ = load(workspace)
    report = outcomes["xiaohongshu__juguang_ads"]
    assert (report.rows_loaded, report.rows_rejected, report.files[0].rows_duplicate) == (1, 2, 1)
    assert query(workspace, "select creative_id, spend from raw.xiaohongshu__juguang_ads") == [
        ("111", Decimal("10.00"))
    ]
    reasons = query(workspace, "select line, reason from meta.rejects order by line")
    assert reasons == [
        (4, "conflicting duplicate of grain key (date/campaign_id/unit_id/creative_id); first seen on line 4"),
        (5, "conflicting duplicate of grain key (date/campaign_id/unit_id/creative_id); first seen on line 4"),
    ]


def tmall_order(
    order_id="4100007000000316760",
    paid_at="2025-03-26 10:05:00",
    created="2025-03-26 10:00:00",
    gmv="159.00",
    name="王伟",
    phone="13812345678",
    address="浙江省杭州市西湖区文三路1号",
):
    return (
        f'="{order_id}",tb123,abcdef0123456789,{gmv},143.10,0.00,15.90,交易成功,{created},{paid_at},支付宝,'
        f'{name},{phone},{address},菜鸟,="YT123",小红书,xhs1'
    )


def test_gbk_orders_with_excel_ids_footer_and_pii_hashed(workspace):
    text = (
        "\r\n".join(
            [
                TMALL_HEADER,
                tmall_order(),
                tmall_order(order_id="4100007000000316761", paid_at="--", address="上海市浦东新区世纪大道8号"),
                "合计,,,318.00,286.20,,,,,,,,,,,,,",
            ]
        )
        + "\r\n"
    )
    write_export(workspace.landing, "tmall", "orders", "orders.csv", text, encoding="gb18030")
    outcomes, _ = load(workspace)
    assert outcomes["tmall__orders"].rows_loaded == 2
    rows = query(
        workspace,
        "select order_id, paid_at, receiver_name, receiver_phone, receiver_province, "
        "waybill_no from raw.tmall__orders order by order_id",
    )
    key = workspace.pii_key
    assert rows == [
        (
            "4100007000000316760",
            datetime(2025, 3, 26, 10, 5),
            pii_hash(key, "王伟"),
            pii_hash(key, "13812345678"),
            "浙江省",
            "YT123",
        ),
        ("4100007000000316761", None, pii_hash(key, "王伟"), pii_hash(key, "13812345678"), "上海市", "YT123"),
    ]
    assert query(workspace, "select encoding from meta.load_files") == [("gb18030",)]


def test_no_raw_pii_anywhere_in_duckdb(workspace):
    write_export(
        workspace.landing,
        "tmall",
        "orders",
        "orders.csv",
        "\n".join(
            [
                TMALL_HEADER,
                tmall_order(),
                tmall_order(order_id="4100007000000316762", gmv="oops"),  # a reject row carrying PII
            ]
        )
        + "\n",
    )
    load(workspace)
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    text_columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
    ).fetchall()
    for schema, table, column in text_columns:
        hits = con.execute(
            f'select count(*) from "{schema}"."{table}" where "{column}" similar to \'.*(王伟|13812345678|文三路).*\''
        ).fetchone()[0]
        assert hits == 0, f"raw PII in {schema}.{table}.{column}"
    con.close()


@pytest.mark.parametrize(
    ("name", "content", "line", "reason"),
    [
        (
            "sci.csv",
            juguang("2025-03-26,2.98765E+18,a,11,111,n1,信息流,1,1,1,1%,1"),
            2,
            "column campaign_id (计划ID) holds '2.98765E+18', an id in scientific notation",
        ),
        (
            "trunc.csv",
            juguang("2025-03-26,1,a,11,111,n1,信息流,1,1,1,1%,1", "2025-03-26,1,a,11,112,n1,信息")[:-1],
            3,
            "truncated last row: 7 of 12 fields and no final newline",
        ),
        (
            "dup.csv",
            juguang("2025-03-26,1,a,11,111,n1,信息流,1,1,1,1%,1", header=JUGUANG_HEADER + ",点击量"),
            1,
            "duplicate header '点击量' in columns 10 and 13",
        ),
        (
            "missing.csv",
            juguang("2025-03-26,1,a,11,111,n1,信息流,1,1", header=JUGUANG_HEADER.rsplit(",", 3)[0]),
            1,
            "missing required column(s): clicks (点击量), engagements (互动量)",
        ),
        ("empty.csv", "", None, "file is empty (0 bytes)"),
        ("bad.xlsx", "PK not a zip", None, "not a valid .xlsx workbook"),
        ("notes.txt", "hello", None, ".txt is not a format of xiaohongshu__juguang_ads"),
    ],
)
def test_untrustworthy_files_are_refused_whole(workspace, name, content, line, reason):
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", name, content)
    outcomes, messages = load(workspace)
    outcome = outcomes["xiaohongshu__juguang_ads"].files[0]
    assert outcome.status == "refused"
    assert outcome.refused_line == line
    assert outcome.reason.startswith(reason)
    assert messages[0].startswith(f"REFUSED xiaohongshu/juguang_ads/{name}" + (f", line {line}: " if line else ": "))
    assert query(workspace, "select count(*) from raw.xiaohongshu__juguang_ads") == [(0,)]
    assert query(workspace, "select status, refused_line from meta.load_files") == [("refused", line)]
    if name != "notes.txt":
        quarantined = list((workspace.quarantine / "xiaohongshu" / "juguang_ads").iterdir())
        assert [p.name.split("_", 1)[1] for p in quarantined] == [name]
        assert not (workspace.landing / "xiaohongshu" / "juguang_ads" / name).exists(), "moved out of landing"


def test_encoding_refusals_name_the_line(workspace):
    gbk_body = juguang("2025-03-26,1,春季,11,111,n1,信息流,1,1,1,1%,1").encode("gb18030")
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "bom.csv", b"\xef\xbb\xbf" + gbk_body)
    outcomes, _ = load(workspace)
    refused = outcomes["xiaohongshu__juguang_ads"].files[0]
    assert refused.status == "refused" and refused.refused_line == 1
    assert "the BOM contradicts the bytes" in refused.reason

    latin = juguang("2025-03-26,1,a,11,111,n1,信息流,1,1,1,1%,1").encode() + b"2025-03-27,1,\xff\xfe,11\n"
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "z.csv", latin)
    outcomes, _ = load(workspace)
    refused = outcomes["xiaohongshu__juguang_ads"].files[-1]
    assert refused.status == "refused" and refused.refused_line == 3
    assert refused.reason.startswith("undecodable bytes (0xff at offset")


def test_bad_bytes_past_the_checked_head_refuse_a_large_file_by_line(workspace):
    # The reader decodes only the head of a big UTF-8 export; DuckDB meets the bad byte, and the
    # file is then refused exactly as a small one would be.
    rows = [f"2025-03-26,1,a,11,{100 + i},n1,信息流,1.00,100,5,5%,1" for i in range(3000)]
    body = juguang(*rows).encode()
    damaged = body.replace(b"11,2600,", b"11,\xff2600,")
    assert damaged != body
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "a.csv", damaged)
    outcomes, messages = load(workspace)
    refused = outcomes["xiaohongshu__juguang_ads"].files[0]
    assert refused.status == "refused" and refused.refused_line == 2502
    assert refused.reason.startswith("undecodable bytes (0xff at offset")
    assert query(workspace, "select count(*) from raw.xiaohongshu__juguang_ads") == [(0,)]


def test_gb18030_export_with_a_footer_is_transcoded_for_duckdb(workspace):
    header = "日期,计划ID,花费,展现量,点击量,成交金额"
    rows = [f"2025-03-26,{i},¥1.00,100,5,9.90" for i in range(3000)]
    text = "\r\n".join([header, *rows, "合计,,¥3000.00,300000,15000,29700.00"]) + "\r\n"
    write_export(workspace.landing, "alimama", "ads", "a.csv", text, encoding="gb18030")
    outcomes, _ = load(workspace)
    assert outcomes["alimama__ads"].rows_loaded == 3000
    assert query(workspace, "select encoding from meta.load_files") == [("gb18030",)]
    assert query(workspace, "select min(_row_number), max(_row_number), sum(spend) from raw.alimama__ads") == [
        (2, 3001, Decimal("3000.00"))
    ]


def test_missing_final_newline_is_not_truncation_and_bom_utf8_loads(workspace):
    text = "\ufeff" + juguang("2025-03-26,1,a,11,111,n1,信息流,1,1,1,1%,1").rstrip("\n")
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "a.csv", text)
    outcomes, _ = load(workspace)
    assert outcomes["xiaohongshu__juguang_ads"].rows_loaded == 1


def test_schema_drift_is_logged_not_fatal(workspace):
    header = JUGUANG_HEADER.replace("展现量", "曝光量").replace("计划名称", "计划名") + ",新指标"
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "a.csv",
        juguang("2025-03-26,1,a,11,111,n1,信息流,1,7,1,1%,1,x", header=header),
    )
    outcomes, messages = load(workspace)
    assert outcomes["xiaohongshu__juguang_ads"].rows_loaded == 1
    assert query(workspace, "select impressions from raw.xiaohongshu__juguang_ads") == [(7,)]
    drift = query(workspace, "select schema_drift from meta.load_files")[0][0]
    assert "column impressions arrived under the alias '曝光量'" in drift
    assert "extra column '计划名' (not in the contract; ignored)" in drift
    assert "extra column '新指标'" in drift
    assert "optional column campaign_name (计划名称) is missing" in drift
    assert any("schema drift" in m for m in messages)


def test_double_delivery_and_superseding_reexport(workspace):
    first = juguang(
        "2025-03-26,1,a,11,111,n1,信息流,10.00,100,5,5%,1", "2025-03-27,1,a,11,111,n1,信息流,20.00,100,5,5%,1"
    )
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "week.csv", first, mtime=1_700_000_000)
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "week-copy.csv", first, mtime=1_700_000_100)
    outcomes, _ = load(workspace)
    assert [f.status for f in outcomes["xiaohongshu__juguang_ads"].files] == ["loaded", "duplicate"]
    assert query(workspace, "select count(*) from raw.xiaohongshu__juguang_ads") == [(2,)]

    # A corrected re-export of 03-27 only: replaces that day, leaves 03-26 alone.
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "fix-0327.csv",
        juguang("2025-03-27,1,a,11,111,n1,信息流,25.00,100,5,5%,1", "2025-03-27,1,a,11,112,n1,信息流,1.00,100,5,5%,1"),
        mtime=1_700_000_200,
    )
    # A stale file for 03-26 that arrives late but is older than what is loaded: ignored for that day.
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "stale.csv",
        juguang("2025-03-26,1,a,11,111,n1,信息流,999.00,100,5,5%,1"),
        mtime=1_600_000_000,
    )
    outcomes, _ = load(workspace)
    by_name = {f.file_name.rsplit("/", 1)[1]: f for f in outcomes["xiaohongshu__juguang_ads"].files}
    assert by_name["stale.csv"].rows_older == 1 and by_name["stale.csv"].rows_loaded == 0
    assert by_name["fix-0327.csv"].rows_loaded == 2
    assert query(
        workspace,
        "select date, creative_id, spend, _source_file from raw.xiaohongshu__juguang_ads order by date, creative_id",
    ) == [
        (date(2025, 3, 26), "111", Decimal("10.00"), "xiaohongshu/juguang_ads/week.csv"),
        (date(2025, 3, 27), "111", Decimal("25.00"), "xiaohongshu/juguang_ads/fix-0327.csv"),
        (date(2025, 3, 27), "112", Decimal("1.00"), "xiaohongshu/juguang_ads/fix-0327.csv"),
    ]
    history = query(workspace, "select covered_key, rows_replaced from meta.supersessions")
    assert history == [("2025-03-27", 1)]

    before = query(workspace, "select * exclude (_loaded_at) from raw.xiaohongshu__juguang_ads order by all")
    load(workspace)  # everything again: nothing changes
    assert query(workspace, "select * exclude (_loaded_at) from raw.xiaohongshu__juguang_ads order by all") == before


def test_a_file_seen_under_its_name_size_and_time_is_not_read_again(workspace, monkeypatch):
    rows = juguang("2025-03-26,1,a,11,111,n1,信息流,10.00,100,5,5%,1")
    path = write_export(workspace.landing, "xiaohongshu", "juguang_ads", "day.csv", rows, mtime=1_700_000_000)
    load(workspace)
    read = []
    original_read = type(path).read_bytes
    monkeypatch.setattr(type(path), "read_bytes", lambda self: read.append(self.name) or original_read(self))

    outcomes, messages = load(workspace)
    assert [(f.status, f.previously_seen) for f in outcomes["xiaohongshu__juguang_ads"].files] == [("duplicate", True)]
    assert "day.csv" not in read
    assert "skipped xiaohongshu/juguang_ads/day.csv: byte-identical to a file already processed" in messages

    # Touched (a new modification time): read and hashed again, still recognised by its bytes.
    os.utime(path, (1_700_000_500, 1_700_000_500))
    outcomes, _ = load(workspace)
    assert [f.status for f in outcomes["xiaohongshu__juguang_ads"].files] == ["duplicate"]
    assert read.count("day.csv") == 1
    assert query(workspace, "select count(*) from raw.xiaohongshu__juguang_ads") == [(1,)]


def test_crash_mid_file_leaves_no_partial_rows(workspace, monkeypatch):
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "a.csv",
        juguang("2025-03-26,1,a,11,111,n1,信息流,10.00,100,5,5%,1", "2025-03-26,1,a,11,112,n1,信息流,1,1,1,1%,1"),
    )
    original = loader_module.Loader._replace_dates

    def crash_after_insert(self, con, *args):
        original(self, con, *args)
        assert con.execute("select count(*) from raw.xiaohongshu__juguang_ads").fetchone()[0] == 2
        raise KeyboardInterrupt("killed mid-load")

    monkeypatch.setattr(loader_module.Loader, "_replace_dates", crash_after_insert)
    with pytest.raises(KeyboardInterrupt):
        load(workspace)
    assert query(workspace, "select count(*) from raw.xiaohongshu__juguang_ads") == [(0,)]
    assert query(workspace, "select count(*) from meta.load_files where status = 'loaded'") == [(0,)]

    monkeypatch.setattr(loader_module.Loader, "_replace_dates", original)
    outcomes, _ = load(workspace)
    assert outcomes["xiaohongshu__juguang_ads"].rows_loaded == 2


def test_symlinks_and_unknown_folders_are_refused(workspace, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text(juguang("2025-03-26,1,a,11,111,n1,信息流,1,1,1,1%,1"))
    folder = workspace.landing / "xiaohongshu" / "juguang_ads"
    folder.mkdir(parents=True)
    os.symlink(outside, folder / "link.csv")
    (workspace.landing / "taobao_unknown" / "report").mkdir(parents=True)
    outcomes, messages = load(workspace)
    refused = outcomes["xiaohongshu__juguang_ads"].files[0]
    assert refused.status == "refused" and "symbolic link" in refused.reason
    assert "REFUSED taobao_unknown/report: unknown platform/report folder" in messages
    assert query(workspace, "select count(*) from raw.xiaohongshu__juguang_ads") == [(0,)]


def test_hostile_file_names_never_reach_sql(workspace):
    name = "x'; drop table meta.load_files; --.csv"
    write_export(
        workspace.landing, "xiaohongshu", "juguang_ads", name, juguang("2025-03-26,1,a,11,111,n1,信息流,1,1,1,1%,1")
    )
    load(workspace)
    assert query(workspace, "select file_name from meta.load_files") == [(f"xiaohongshu/juguang_ads/{name}",)]


def test_xlsx_sample_loads_with_text_ids(workspace):
    from tests.conftest import SEEDS

    source = next((SEEDS / "xiaohongshu" / "juguang_ads").glob("*.xlsx"))
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", source.name, source.read_bytes())
    outcomes, _ = load(workspace)
    assert outcomes["xiaohongshu__juguang_ads"].rows_rejected == 0
    con = connect(workspace)
    ids = con.execute("select min(length(creative_id)), count(*) from raw.xiaohongshu__juguang_ads").fetchone()
    con.close()
    assert ids[0] == 15 and ids[1] > 0


def test_multiline_quoted_field_keeps_exact_line_numbers(workspace):
    # DuckDB's fast path cannot number rows when a field spans lines; the exact path takes over.
    write_export(
        workspace.landing,
        "xiaohongshu",
        "juguang_ads",
        "a.csv",
        juguang(
            '2025-03-26,1,"春季\n种草",11,111,n1,信息流,1.00,100,5,5%,1',
            "2025-03-26,1,a,11,112,n1,信息流,oops,100,5,5%,1",
        ),
    )
    outcomes, _ = load(workspace)
    assert outcomes["xiaohongshu__juguang_ads"].rows_loaded == 1
    assert query(workspace, "select campaign_name from raw.xiaohongshu__juguang_ads") == [("春季\n种草",)]
    assert query(workspace, "select line, raw_value from meta.rejects") == [(4, "oops")]
    assert list((workspace.home / "tmp").glob("*.csv")) == [], "the fast path's region file is cleaned up"


def test_large_csv_takes_the_duckdb_path_with_exact_lines(workspace, monkeypatch):
    rows = [f"2025-03-26,1,a,11,{100 + i},n1,信息流,1.00,100,5,5%,1" for i in range(3000)]
    rows[2500] = rows[2500].replace("1.00", "-1.00")
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "a.csv", juguang(*rows))
    fallback = []
    original = loader_module.Loader._incoming_from_rows
    monkeypatch.setattr(
        loader_module.Loader,
        "_incoming_from_rows",
        lambda self, con, parsed: fallback.append(1) or original(self, con, parsed),
    )
    outcomes, _ = load(workspace)
    assert fallback == []
    assert (workspace.landing / "xiaohongshu" / "juguang_ads" / "a.csv").exists(), "read in place, never removed"
    assert list((workspace.home / "tmp").glob("*.csv")) == [], "a UTF-8 export running to its end is not copied"
    assert outcomes["xiaohongshu__juguang_ads"].rows_loaded == 2999
    assert query(workspace, "select line, raw_value from meta.rejects") == [(2502, "-1.00")]
    assert query(workspace, "select min(_row_number), max(_row_number) from raw.xiaohongshu__juguang_ads") == [
        (2, 3001)
    ]


def test_rows_with_too_many_fields_keep_every_line_number_exact(workspace):
    rows = [f"2025-03-26,1,a,11,{100 + i},n1,信息流,1.00,100,5,5%,1" for i in range(6)]
    rows[1] += ",x,y"  # two extra fields: within what the fast path reads
    rows[3] += "," + ",".join(["z"] * 13)  # far too many: DuckDB itself rejects the row
    rows[4] += ",,,"  # trailing empty fields are tolerated
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "a.csv", juguang(*rows))
    outcomes, _ = load(workspace)
    assert outcomes["xiaohongshu__juguang_ads"].rows_loaded == 4
    assert query(workspace, "select line, reason from meta.rejects order by line") == [
        (3, "row has 14 fields, header has 12"),
        (5, "row has 25 fields, header has 12"),
    ]
    assert query(workspace, "select creative_id, _row_number from raw.xiaohongshu__juguang_ads order by 2") == [
        ("100", 2),
        ("102", 4),
        ("104", 6),
        ("105", 7),
    ]


def test_reexport_replaces_its_days_to_the_edges_of_the_day(workspace):
    """A re-export replaces the rows of its days from 00:00:00 to 23:59:59 (the loader also
    narrows the rows it reads to its days by a range on the stored timestamp) and leaves the
    neighbouring days, whose first and last second sit right beside that range, alone."""
    header = "oneid,platform,event,ts,campaign_id,note_id,creator_id,click_id\n"

    def touches(*rows: str) -> str:
        return header + "".join(f"{row},c1,,,\n" for row in rows)

    write_export(
        workspace.landing,
        "databank",
        "touchpoints",
        "old.csv",
        touches(
            "p0,xiaohongshu,曝光,2026-11-19 23:59:59",
            "p1,xiaohongshu,曝光,2026-11-20 00:00:00",
            "p2,xiaohongshu,曝光,2026-11-21 23:59:59",
            "p3,xiaohongshu,曝光,2026-11-22 00:00:00",
        ),
        mtime=1_700_000_000,
    )
    load(workspace)
    write_export(
        workspace.landing,
        "databank",
        "touchpoints",
        "fix.csv",
        touches("q1,douyin,点击,2026-11-20 00:00:01", "q2,douyin,点击,2026-11-21 23:59:58"),
        mtime=1_700_000_100,
    )
    outcomes, _ = load(workspace)
    assert [f.days for f in outcomes["databank__touchpoints"].files if f.status == "loaded"] == [
        [date(2026, 11, 20), date(2026, 11, 21)]
    ]
    assert query(workspace, "select oneid, ts from raw.databank__touchpoints order by ts") == [
        ("p0", datetime(2026, 11, 19, 23, 59, 59)),
        ("q1", datetime(2026, 11, 20, 0, 0, 1)),
        ("q2", datetime(2026, 11, 21, 23, 59, 58)),
        ("p3", datetime(2026, 11, 22, 0, 0, 0)),
    ]
    assert query(workspace, "select covered_key, rows_replaced from meta.supersessions order by 1") == [
        ("2026-11-20", 1),
        ("2026-11-21", 1),
    ]
