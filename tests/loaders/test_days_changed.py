"""Which days a loaded file changes: recorded as pending in the file's own transaction, widened
into the next dbt window, and told in advance by the landing probe without touching anything."""

from datetime import date

import duckdb

from tests.conftest import write_export
from tests.loaders.test_loader import TMALL_HEADER, juguang, load, query
from zhongcao.ingest.contracts import load_contracts
from zhongcao.ingest.loader import connect
from zhongcao.ingest.probe import LandingProbe
from zhongcao.windows import finish_window, plan_window, window_for, window_of_run

ITEMS_HEADER = "订单编号,商品ID,SKU编码,标题,价格,购买数量,商家编码"
FIRST = date(2026, 10, 1)


def juguang_day(day: str, spend: str = "10.00") -> str:
    return juguang(f"{day},100200300,春季,11,111,n1,信息流,{spend},1000,10,1.00%,5")


def tmall_order(order_id: str, created: str) -> str:
    return (
        f'="{order_id}",张三,b1,100.00,90.00,5.00,5.00,交易成功,{created},{created},支付宝,'
        "张三,13800000000,浙江省杭州市西湖区,中通,ZT1,小红书,c1"
    )


def pending(settings):
    return query(settings, "select day, platform, report from meta.pending_days order by all")


def test_loaded_files_leave_their_days_pending_and_a_build_settles_them(workspace):
    landing = workspace.landing
    write_export(landing, "xiaohongshu", "juguang_ads", "a.csv", juguang_day("2026-10-20"), mtime=1_700_000_000)
    write_export(landing, "tmall", "orders", "o.csv", TMALL_HEADER + "\n" + tmall_order("7001", "2026-10-18 09:00:00"))
    write_export(landing, "tmall", "order_items", "i.csv", ITEMS_HEADER + '\n="7001",P1,S1,t,90.00,1,m\n')
    write_export(
        landing,
        "merchant",
        "products",
        "p.csv",
        "SKU编码,商品ID,商品名称,类目,成本价,吊牌价\nS1,P1,跑鞋,运动,40.00,100.00\n",
    )
    outcomes, _ = load(workspace)
    assert outcomes["tmall__order_items"].files[0].days == [date(2026, 10, 18)]  # its order's day
    assert outcomes["merchant__products"].files[0].days is None  # no dates: every day may change
    assert pending(workspace) == [
        (date(2026, 10, 18), "tmall", "order_items"),
        (date(2026, 10, 18), "tmall", "orders"),
        (date(2026, 10, 20), "xiaohongshu", "juguang_ads"),
        (None, "merchant", "products"),
    ]

    con = connect(workspace)
    try:
        # The product master changed: the next build is a full one, whatever days it was asked for.
        assert window_for(con, date(2026, 11, 4), date(2026, 11, 4), FIRST).full
        con.execute("delete from meta.pending_days where day is null")
        window = plan_window(con, "run-1", date(2026, 11, 4), date(2026, 11, 4), FIRST)
        assert (window.start, window.end, window.full) == (date(2026, 10, 18), date(2026, 11, 4), False)
        assert window.dbt_environment() == {
            "ZHONGCAO_PARTITION_START": "2026-10-18",
            "ZHONGCAO_PARTITION_END": "2026-11-04",
        }
        assert window_of_run(con, "run-1") == window
        assert window_for(con, FIRST, date(2026, 11, 4), FIRST).full  # a range from the first day
        finish_window(con, "run-1")
        assert con.execute("select count(*) from meta.pending_days").fetchone()[0] == 0
        assert window_for(con, date(2026, 11, 4), date(2026, 11, 4), FIRST).dbt_environment() == {
            "ZHONGCAO_PARTITION_START": "2026-11-04",
            "ZHONGCAO_PARTITION_END": "2026-11-04",
        }
        # A full build unsets them, so a window left in the caller's environment cannot narrow it.
        assert window_for(con, FIRST, date(2026, 11, 4), FIRST).dbt_environment() == {
            "ZHONGCAO_PARTITION_START": None,
            "ZHONGCAO_PARTITION_END": None,
        }
    finally:
        con.close()


def test_a_file_that_changes_nothing_leaves_nothing_pending(workspace):
    landing = workspace.landing
    write_export(landing, "xiaohongshu", "juguang_ads", "a.csv", juguang_day("2026-10-20"), mtime=1_700_000_000)
    load(workspace)
    con = connect(workspace)
    con.execute("delete from meta.pending_days")
    con.close()
    # The same bytes again, and an older export of the same day: neither changes a row.
    write_export(landing, "xiaohongshu", "juguang_ads", "copy.csv", juguang_day("2026-10-20"), mtime=1_700_000_500)
    write_export(
        landing, "xiaohongshu", "juguang_ads", "old.csv", juguang_day("2026-10-20", "9.00"), mtime=1_600_000_000
    )
    outcomes, _ = load(workspace)
    files = outcomes["xiaohongshu__juguang_ads"].files  # oldest first
    assert [(f.file_name.split("/")[-1], f.status, f.rows_older) for f in files] == [
        ("old.csv", "loaded", 1),
        ("a.csv", "duplicate", 0),
        ("copy.csv", "duplicate", 0),
    ]
    assert pending(workspace) == []


def test_the_probe_tells_a_files_days_without_touching_the_warehouse_or_the_file(workspace):
    landing = workspace.landing
    write_export(landing, "tmall", "orders", "o.csv", TMALL_HEADER + "\n" + tmall_order("7001", "2026-10-18 09:00:00"))
    loaded = write_export(landing, "xiaohongshu", "juguang_ads", "a.csv", juguang_day("2026-10-20"))
    load(workspace)
    before = workspace.warehouse.read_bytes()
    contracts = load_contracts()
    corrected = write_export(
        landing, "xiaohongshu", "juguang_ads", "b.csv", juguang_day("2026-10-20", "12.00") + "2026-10-21,x\n"
    )
    items = write_export(landing, "tmall", "order_items", "i.csv", ITEMS_HEADER + '\n="7001",P1,S1,t,90.00,1,m\n')
    broken = write_export(
        landing, "weibo", "ads", "w.csv", "日期,广告计划ID\n2026-10-20,1\n"
    )  # required columns missing
    probe = LandingProbe(workspace)
    try:
        juguang_contract = contracts[("xiaohongshu", "juguang_ads")]
        assert probe.days(juguang_contract, corrected) == [date(2026, 10, 20)]  # the short row is rejected
        assert probe.days(juguang_contract, loaded) == []  # already loaded: a re-delivery changes nothing
        assert probe.days(contracts[("tmall", "order_items")], items) == [date(2026, 10, 18)]
        assert probe.days(contracts[("weibo", "ads")], broken) == []
    finally:
        probe.close()
    assert broken.exists(), "the probe never quarantines"
    assert workspace.warehouse.read_bytes() == before
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    assert con.execute("select count(*) from meta.load_files").fetchone()[0] == 2
    con.close()
