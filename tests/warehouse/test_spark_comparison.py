"""The Spark-vs-DuckDB comparison itself (no Spark needed): it must see a cent, a missing row
and a renamed column, and accept another engine's hash values for the same rows."""

import json
from dataclasses import replace

import duckdb

from zhongcao.spark import compare_marts, spark_dir

ROWS = [(1, 101, "2026-10-01", "12.34"), (2, 102, "2026-10-01", "0.01"), (3, 103, "2026-10-02", "5.00")]


def _setup(workspace):
    settings = replace(workspace, warehouse=workspace.home / "warehouse.duckdb")
    settings.home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("create schema marts")
    con.execute("create table marts.fct_x (touchpoint_key ubigint, n bigint, day date, amount decimal(18, 2))")
    con.executemany("insert into marts.fct_x values (?, ?, ?, ?)", ROWS)
    con.close()
    target = spark_dir(settings) / "target"
    target.mkdir(parents=True)
    node = {"resource_type": "model", "config": {"meta": {"publish": True}}, "schema": "marts", "name": "fct_x"}
    node["columns"] = {}
    (target / "manifest.json").write_text(json.dumps({"nodes": {"model.zhongcao.fct_x": node}}))
    return settings


def _spark_side(settings, tmp_path, select: str):
    out = tmp_path / "marts"
    (out / "fct_x").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    con.execute(f"copy ({select}) to '{out / 'fct_x' / 'part-0.parquet'}' (format parquet)")
    con.close()
    return out


def test_equal_rows_with_other_hash_values_are_equal(workspace, tmp_path):
    settings = _setup(workspace)
    # Another engine's hash: different values, still one per row; other column order.
    out = _spark_side(
        settings, tmp_path, "select amount, day, n, touchpoint_key * 7 + 1 as touchpoint_key from marts.fct_x"
    )
    [result] = compare_marts(settings, out, log=lambda _: None)
    assert result.equal and result.spark_rows == result.duckdb_rows == 3


def test_a_cent_a_missing_row_and_a_renamed_column_are_differences(workspace, tmp_path):
    settings = _setup(workspace)
    cent = _spark_side(
        settings,
        tmp_path,
        "select touchpoint_key, n, day, case when n = 102 then amount + 0.01 else amount end as amount "
        "from marts.fct_x",
    )
    [result] = compare_marts(settings, cent, log=lambda _: None)
    assert (result.equal, result.only_in_duckdb, result.only_in_spark) == (False, 1, 1)

    missing = _spark_side(settings, tmp_path, "select * from marts.fct_x where n <> 103")
    [result] = compare_marts(settings, missing, log=lambda _: None)
    assert (result.equal, result.only_in_duckdb, result.only_in_spark) == (False, 1, 0)

    renamed = _spark_side(settings, tmp_path, "select touchpoint_key, n, day, amount as paid from marts.fct_x")
    [result] = compare_marts(settings, renamed, log=lambda _: None)
    assert not result.equal and "columns differ" in result.problems[0]

    collapsed = _spark_side(settings, tmp_path, "select 1::ubigint as touchpoint_key, n, day, amount from marts.fct_x")
    [result] = compare_marts(settings, collapsed, log=lambda _: None)
    assert not result.equal and "touchpoint_key: 3 distinct values in duckdb, 1 in spark" in result.problems
