"""The raw tables as Parquet for the spark target: exact types, every row, atomic rewrites."""

from decimal import Decimal

import duckdb

from tests.conftest import write_export
from zhongcao.ingest.loader import Loader, connect
from zhongcao.rawparquet import export_source_tables, table_file

HEADER = "时间,计划ID,计划名称,单元ID,创意ID,笔记ID,广告类型,消费,展现量,点击量,点击率,互动量\n"


def loaded_juguang(workspace, row: str):
    """A connection to the workspace's warehouse after loading a 聚光 export of one row."""
    write_export(workspace.landing, "xiaohongshu", "juguang_ads", "a.csv", HEADER + row + "\n")
    con = connect(workspace)
    Loader(workspace, log=lambda _: None).load_all(con)
    return con


def test_loaded_tables_are_written_as_parquet_with_their_exact_types(workspace, tmp_path):
    con = loaded_juguang(workspace, '2025-03-26,="100200300",春季,11,111,n1,信息流,"¥1,234.50","1,000",321,3.21%,50')
    out = tmp_path / "parquet"
    written = export_source_tables(con, out, log=lambda _: None)
    con.close()

    target = table_file(out, "raw", "xiaohongshu__juguang_ads")
    assert written["raw.xiaohongshu__juguang_ads"] == 1
    assert not list(target.parent.glob(".*partial"))
    reader = duckdb.connect()
    types = {row[0]: row[1] for row in reader.execute(f"describe select * from read_parquet('{target}')").fetchall()}
    assert types["spend"] == "DECIMAL(18,2)" and types["date"] == "DATE" and types["campaign_id"] == "VARCHAR"
    assert reader.execute(f"select campaign_id, spend, impressions from read_parquet('{target}')").fetchall() == [
        ("100200300", Decimal("1234.50"), 1000)
    ]


def test_only_changed_or_missing_tables_are_rewritten(workspace, tmp_path):
    con = loaded_juguang(workspace, "2025-03-26,100200300,春季,11,111,n1,信息流,1.00,10,1,10%,0")
    out = tmp_path / "parquet"
    first = export_source_tables(con, out, log=lambda _: None)
    assert "raw.xiaohongshu__juguang_ads" in first

    again = export_source_tables(con, out, only=set(), log=lambda _: None)
    assert again == {}
    table_file(out, "raw", "xiaohongshu__juguang_ads").unlink()
    missing = export_source_tables(con, out, only=set(), log=lambda _: None)
    con.close()
    assert missing == {"raw.xiaohongshu__juguang_ads": 1}
