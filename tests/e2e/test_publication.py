"""What BI users get: a warn-level failure still publishes (and is recorded), a reader holding
the published file keeps its snapshot through a publish, the HTML report renders in a real
browser, GX Data Docs and the Parquet export sit beside the run."""

import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import date

import dagster as dg
import duckdb
import pytest

from tests.conftest import write_export
from zhongcao.cli import run_main_job, summarise
from zhongcao.report import REPORT_NAME
from zhongcao.suite_runs import results_path

pytestmark = pytest.mark.e2e

JUGUANG_HEADER = "时间,计划ID,计划名称,单元ID,创意ID,笔记ID,广告类型,消费,展现量,点击量,点击率,互动量"
READER = textwrap.dedent(
    """
    import sys, time, pathlib, duckdb
    published, go = sys.argv[1], pathlib.Path(sys.argv[2])
    con = duckdb.connect(published, read_only=True)
    spend = lambda: con.execute("select sum(spend) from mart_funnel_daily").fetchone()[0]
    print(spend(), flush=True)
    while not go.exists():
        time.sleep(0.1)
    print(spend(), flush=True)
    """
)


def spend_of(published):
    con = duckdb.connect(str(published), read_only=True)
    try:
        return con.execute("select sum(spend) from mart_funnel_daily").fetchone()[0]
    finally:
        con.close()


def test_a_warning_publishes_while_a_reader_keeps_its_snapshot(built_workspace, monkeypatch, tmp_path):
    settings = built_workspace
    monkeypatch.setenv("ZHONGCAO_PARQUET_DIR", str(tmp_path / "parquet"))
    old_spend = spend_of(settings.published)

    go = tmp_path / "go"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.published), str(go)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == str(old_spend)
        # A corrected 聚光 export of 2026-10-05: 30 % CTR (a warn-level expectation) and new spend.
        write_export(
            settings.landing,
            "xiaohongshu",
            "juguang_ads",
            "聚光_20261005_更正.csv",
            f"{JUGUANG_HEADER}\n2026-10-05,1700001117,跑鞋秋季种草,170000111701,170000111701001,n1,信息流,"
            "999.00,100,30,30.00%,3\n",
        )
        newer = max(p.stat().st_mtime for p in settings.landing.rglob("*.*")) + 60
        os.utime(next(settings.landing.rglob("*更正.csv")), (newer, newer))

        # The run a sensor asks for: the day the corrected export changes.
        result = run_main_job(settings, quiet=True, start=date(2026, 10, 5), end=date(2026, 10, 5))
        assert result.success, "a warning must not block publication"
        new_spend = spend_of(settings.published)
        assert new_spend != old_spend, "a new connection sees the new file"
        go.touch()
        assert reader.stdout.readline().strip() == str(old_spend), "the open connection keeps its snapshot"
        assert reader.wait(timeout=30) == 0
    finally:
        reader.kill()

    warned = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.check_name, e.severity) for e in warned] == [("gx_xiaohongshu__juguang_ads", dg.AssetCheckSeverity.WARN)]
    assert "expect_column_values_to_be_between failed on 1 row(s), e.g. 0.3" in warned[0].description
    recorded = duckdb.execute(
        "select passed, errors, warnings from read_json(?) where run_id = ? and suite = ?",
        [str(results_path(settings, result.run_id)), result.run_id, "xiaohongshu__juguang_ads.json"],
    ).fetchall()
    assert recorded == [(True, 0, 1)]
    summary = summarise(result, settings)
    assert (
        "1 warnings, 0 failed" in summary and "[WARN] xiaohongshu/juguang_ads :: gx_xiaohongshu__juguang_ads" in summary
    )

    # The Parquet export of the same publication.
    published = duckdb.connect(str(settings.published), read_only=True)
    tables = [r[0] for r in published.execute("select table_name from information_schema.tables").fetchall()]
    counts = {t: published.execute(f"select count(*) from {t}").fetchone()[0] for t in tables if t != "_publication"}
    published.close()
    exported = {p.stem: p for p in (tmp_path / "parquet").glob("*.parquet")}
    assert set(exported) == set(counts)
    for table, path in exported.items():
        assert duckdb.sql(f"select count(*) from '{path}'").fetchall()[0][0] == counts[table], table


def test_data_docs_and_the_report_sit_beside_the_run(built_settings):
    settings = built_settings
    assert (settings.published.parent / REPORT_NAME).exists()
    (run_docs,) = (settings.home / "quality" / "data_docs").iterdir()
    index = (run_docs / "index.html").read_text(encoding="utf-8")
    for suite in ("marts.fct_attribution_credits", "raw.databank__touchpoints", "credits of every order sum to 1"):
        assert suite in index, suite


def test_the_report_renders_in_headless_chromium(built_settings):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    report = built_settings.published.parent / REPORT_NAME
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and chromedriver, "Debian's chromium and chromium-driver are needed (./zc test installs them)"
    options = Options()
    options.binary_location = chromium
    # No first-run work and no background connections: this machine's network is closed.
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        driver.get(f"file://{report}")
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline and len(driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) < 6
        ):
            time.sleep(0.2)
        plots = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")
        assert [p.get_attribute("id") for p in plots] == [f"chart-{i}" for i in range(1, 7)]
        drawn = {
            selector: len(driver.find_elements(By.CSS_SELECTOR, selector))
            for selector in (
                "#chart-1 g.funnellayer g.point",  # one bar per funnel stage
                "#chart-2 g.sankey-node",  # the AIPL states
                "#chart-3 g.trace.bars",  # one series per attribution model
                "#chart-4 g.trace.bars",  # claimed beside de-duplicated
                "#chart-5 g.waterfalllayer g.point",  # GMV down to CM3
                "#chart-6 g.trace.bars",  # matched and each kind of discrepancy
            )
        }
        assert drawn == {
            "#chart-1 g.funnellayer g.point": 8,
            "#chart-2 g.sankey-node": 5,
            "#chart-3 g.trace.bars": 7,
            "#chart-4 g.trace.bars": 2,
            "#chart-5 g.waterfalllayer g.point": 11,
            "#chart-6 g.trace.bars": drawn["#chart-6 g.trace.bars"],
        }
        assert drawn["#chart-6 g.trace.bars"] >= 2
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()
