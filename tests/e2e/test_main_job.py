"""The Dagster `main` job end to end on the committed sample: load -> dbt -> GX -> publish."""

import codecs
import csv
import http.server
import io
import json
import os
import threading
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import SEEDS, write_export
from zhongcao.cli import run_main_job, summarise
from zhongcao.quality import discover_suites

pytestmark = pytest.mark.e2e


def expected_from_raw_files(landing: Path) -> dict[date, dict[str, Decimal | int]]:
    """The funnel recomputed straight from the export files, without DuckDB or dbt."""
    days: dict[date, dict] = defaultdict(lambda: defaultdict(Decimal))
    orders_file = next((landing / "tmall" / "orders").glob("*.csv"))
    text = codecs.decode(orders_file.read_bytes(), "gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for row in rows[1:]:
        if row[0] == "合计":
            continue
        record = dict(zip(header, row, strict=True))
        days[date.fromisoformat(record["订单创建时间"][:10])]["orders_placed"] += 1
        if record["订单付款时间"] != "--":
            paid_day = days[date.fromisoformat(record["订单付款时间"][:10])]
            paid_day["orders_paid"] += 1
            paid_day["paid_amount"] += Decimal(record["买家实际支付金额"])
            paid_day["tmall_paid_amount"] += Decimal(record["买家实际支付金额"])
    shop_file = next((landing / "douyin" / "shop_orders").glob("*.csv"))
    shop_orders = defaultdict(list)
    for record in csv.DictReader(io.StringIO(codecs.decode(shop_file.read_bytes(), "utf-8"))):
        shop_orders[record["主订单编号"]].append(record)
    for lines in shop_orders.values():
        days[date.fromisoformat(lines[0]["订单提交时间"][:10])]["orders_placed"] += 1
        if lines[0]["支付完成时间"]:
            paid_day = days[date.fromisoformat(lines[0]["支付完成时间"][:10])]
            paid_day["orders_paid"] += 1
            paid_day["paid_amount"] += sum(Decimal(line["订单应付金额"]) for line in lines)
    ads_file = next((landing / "xiaohongshu" / "juguang_ads").glob("*.xlsx"))
    sheet = CalamineWorkbook.from_path(str(ads_file)).get_sheet_by_index(0).to_python()
    header = sheet[0]
    for row in sheet[1:]:
        record = dict(zip(header, row, strict=True))
        day = days[date.fromisoformat(record["时间"])]
        day["juguang_spend"] += Decimal(record["消费"])
        day["juguang_clicks"] += int(record["点击量"])
        day["juguang_impressions"] += int(record["展现量"])
    return days


def expected_identity(landing: Path) -> dict[str, int]:
    """Link rules recomputed from the export files: which Tmall buyers the data bank knows."""
    oneids, click_owner = set(), defaultdict(set)
    for path in (landing / "databank" / "touchpoints").glob("*.csv"):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
            oneids.add(row["oneid"])
            if row["event"] == "点击" and row["click_id"]:
                click_owner[row["click_id"]].add(row["oneid"])
    orders_file = next((landing / "tmall" / "orders").glob("*.csv"))
    orders = [
        row
        for row in csv.DictReader(io.StringIO(codecs.decode(orders_file.read_bytes(), "gb18030")))
        if row["订单编号"] != "合计"
    ]
    buyers_of_click = defaultdict(set)
    for row in orders:
        if row["点击ID"]:
            buyers_of_click[row["点击ID"]].add(row["买家ID"])
    linked, ambiguous = defaultdict(set), defaultdict(bool)
    for row in orders:
        click, buyer = row["点击ID"], row["买家ID"]
        linked[buyer]
        if click in click_owner:
            if len(click_owner[click]) > 1 or len(buyers_of_click[click]) > 1:
                ambiguous[buyer] = True
            else:
                linked[buyer] |= click_owner[click]
    rules = defaultdict(int)
    for buyer, oneids_of_buyer in linked.items():
        if buyer in oneids:
            rules["buyer_id_is_oneid"] += 1
        elif len(oneids_of_buyer) == 1 and not ambiguous[buyer]:
            rules["click_id"] += 1
        elif len(oneids_of_buyer) > 1 or ambiguous[buyer]:
            rules["conflicting_click_ids"] += 1
        else:
            rules["unlinked_buyer"] += 1
    rules["databank_oneid"] = len(oneids)
    return dict(rules)


def published_rows(path: Path) -> dict[date, dict]:
    """The published funnel per day: all orders, and what 聚光 reported for its ad notes."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute("""
            select
                date_day,
                sum(orders_placed) as orders_placed,
                sum(orders_paid) as orders_paid,
                sum(paid_amount) as paid_amount,
                sum(spend) filter (where platform = 'xiaohongshu' and campaign_id is not null) as juguang_spend,
                sum(reported_clicks) filter (where platform = 'xiaohongshu' and campaign_id is not null)
                    as juguang_clicks,
                sum(reported_impressions) filter (where platform = 'xiaohongshu' and campaign_id is not null)
                    as juguang_impressions
            from mart_funnel_daily
            group by date_day
            order by date_day
        """)
        names = [d[0] for d in cursor.description]
        return {row[0]: {k: v or 0 for k, v in zip(names, row, strict=True)} for row in cursor.fetchall()}
    finally:
        con.close()


def test_main_job_publishes_the_funnel_with_real_values(built_run, built_workspace):
    settings, result = built_run

    published = published_rows(settings.published)
    expected = expected_from_raw_files(settings.landing)
    assert set(published) == set(expected)
    for day, want in expected.items():
        got = published[day]
        for measure in (
            "orders_placed",
            "orders_paid",
            "paid_amount",
            "juguang_spend",
            "juguang_clicks",
            "juguang_impressions",
        ):
            assert got[measure] == want.get(measure, 0), (day, measure)
    assert isinstance(published[date(2026, 10, 1)]["paid_amount"], Decimal)
    manifest = json.loads((SEEDS / "manifest.json").read_text(encoding="utf-8"))
    generated, generated_rows = manifest["totals"], manifest["rows"]
    con = duckdb.connect(str(settings.published), read_only=True)
    tmall_paid = con.execute("select sum(paid_amount), count(*) from fct_orders where store = 'tmall' and is_paid")
    assert tmall_paid.fetchone() == (
        Decimal(generated["tmall__orders.paid_amount_of_paid_orders"]),
        generated["tmall__orders.paid_orders"],
    )
    funnel_rows = con.execute("select count(*) from mart_funnel_daily").fetchone()[0]
    con.close()

    evaluations = result.get_asset_check_evaluations()
    gx = {e.check_name for e in evaluations if e.check_name.startswith("gx_")}
    assert gx == {f"gx_{suite.table}" for suite in discover_suites()}
    assert len(gx) == 42  # 20 raw reports and 22 marts
    blocking = [e.check_name for e in evaluations if not e.passed and e.severity != dg.AssetCheckSeverity.WARN]
    assert blocking == []
    assert not list(settings.published.parent.glob(".*tmp*")), "no temporary file left beside the BI file"

    summary = summarise(result, settings)
    for table, rows in generated_rows.items():
        platform, report = table.split("__")
        line = next(line for line in summary.splitlines() if line.strip().startswith(f"{platform}/{report} "))
        assert f"rows: {rows} loaded, 0 rejected" in line
    assert f"mart_funnel_daily: {funnel_rows} rows" in summary
    assert f"duckdb.connect('{settings.published}', read_only=True)" in summary

    con = duckdb.connect(str(settings.published), read_only=True)
    rules = dict(con.execute("select link_rule, count(*) from dim_person_identifiers group by 1").fetchall())
    touchpoints = con.execute("select count(*), count(distinct touchpoint_key) from fct_touchpoints").fetchone()
    con.close()
    assert rules == expected_identity(settings.landing)
    assert rules["click_id"] > 0 and rules["unlinked_buyer"] > 0
    assert touchpoints == (generated_rows["databank__touchpoints"],) * 2

    # A second run over the same landing folder (in a copy of the workspace) changes nothing.
    again = run_main_job(built_workspace, quiet=True)
    assert again.success
    assert published_rows(built_workspace.published) == published
    assert all(meta["rows_loaded"].value == 0 for meta in materialised_loads(again))


def materialised_loads(result) -> list:
    return [
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if "rows_loaded" in e.materialization.metadata
    ]


class AlertReceiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_failing_blocking_check_keeps_the_previous_bi_file(built_workspace, monkeypatch):
    settings = built_workspace
    server = http.server.HTTPServer(("127.0.0.1", 0), AlertReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ZHONGCAO_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
    before = settings.published.read_bytes()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    mart_before = con.execute("select * from marts.mart_funnel_daily order by all").fetchall()
    con.close()

    # A corrected re-export of 2026-10-05 whose one row has more clicks than impressions:
    # the loader accepts it (each value is valid), the GX suite on the raw table must not.
    header = "时间,计划ID,计划名称,单元ID,创意ID,笔记ID,广告类型,消费,展现量,点击量,点击率,互动量"
    write_export(
        settings.landing,
        "xiaohongshu",
        "juguang_ads",
        "聚光_20261005_更正.csv",
        f"{header}\n2026-10-05,1700001117,跑鞋秋季种草,170000111701,170000111701001,n1,信息流,12.00,5,50,1000.00%,3\n",
    )
    newer = max(p.stat().st_mtime for p in settings.landing.rglob("*.*")) + 60
    os.utime(next(settings.landing.rglob("*更正.csv")), (newer, newer))

    result = run_main_job(settings, quiet=True)
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["gx_xiaohongshu__juguang_ads"]
    description = failed[0].description
    assert "raw.xiaohongshu__juguang_ads.impressions/clicks" in description
    assert "expect_column_pair_values_a_to_be_greater_than_b failed on 1 row(s), e.g. [5, 50]" in description
    metadata = failed[0].metadata
    assert metadata["table"].value == "raw.xiaohongshu__juguang_ads"
    assert metadata["errors"].value >= 1
    # A failed run publishes nothing, yet its GX Data Docs are built and linked from the check.
    docs = Path(metadata["data_docs"].value)
    assert docs.parent.name == result.run_id
    assert "raw.xiaohongshu__juguang_ads" in docs.read_text(encoding="utf-8")

    assert settings.published.read_bytes() == before, "the BI file must stay byte for byte"
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    assert con.execute("select * from marts.mart_funnel_daily order by all").fetchall() == mart_before
    con.close()
    summary = summarise(result, settings)
    assert f"NOT published: the BI database {settings.published} is unchanged." in summary
    assert "gx_xiaohongshu__juguang_ads" in summary and "e.g. [5, 50]" in summary

    # The failure hook: one alert in the alert log and at the webhook, naming the step (all raw
    # suites are one step), the failed check and the run.
    server.shutdown()
    (logged,) = [json.loads(line) for line in (settings.home / "alerts.log").read_text().splitlines()]
    assert AlertReceiver.received == [logged]
    assert logged["run_id"] == result.run_id and logged["partitions"] == "2026-10-01 .. 2026-11-04"
    assert logged["step"] == "gx_raw_checks"
    assert logged["text"].startswith("zhongcao ALERT: step gx_raw_checks failed")
    assert "xiaohongshu/juguang_ads: gx_xiaohongshu__juguang_ads" in logged["text"]


def test_publish_alone_refuses_without_checks_in_the_same_run(built_workspace):
    from dagster_project.definitions import defs

    settings = built_workspace
    before = settings.published.read_bytes()
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey("publish")],
            partition_key="2026-11-04",
            raise_on_error=False,
        )
    assert not result.success
    assert settings.published.read_bytes() == before
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.cause.message
    assert "not publishing: these quality suites did not pass in this run" in message


def test_seed_totals_match_generator_manifest():
    """The sample's own manifest states what the generator wrote; the first test checks DuckDB against the files."""
    manifest = json.loads((SEEDS / "manifest.json").read_text(encoding="utf-8"))
    expected = expected_from_raw_files(SEEDS)
    assert sum(d.get("tmall_paid_amount", 0) for d in expected.values()) == Decimal(
        manifest["totals"]["tmall__orders.paid_amount_of_paid_orders"]
    )
    assert sum(d.get("juguang_spend", 0) for d in expected.values()) == Decimal(
        manifest["totals"]["xiaohongshu__juguang_ads.spend"]
    )


def test_a_click_id_claimed_by_two_buyers_is_flagged_not_merged(built_workspace):
    settings = built_workspace
    orders_file = next((settings.landing / "tmall" / "orders").glob("*.csv"))
    text = codecs.decode(orders_file.read_bytes(), "gb18030")
    lines = text.split("\r\n")
    header = lines[0].split(",")
    buyer_col, click_col = header.index("买家ID"), header.index("点击ID")
    oneids = set()
    for path in (settings.landing / "databank" / "touchpoints").glob("*.csv"):
        oneids |= {row["oneid"] for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}
    # an order whose buyer the data bank only knows through the click id
    victim = next(
        line.split(",")
        for line in lines[1:]
        if line
        and not line.startswith("合计")
        and line.split(",")[click_col]
        and line.split(",")[buyer_col] not in oneids
    )
    stranger = list(victim)
    stranger[0] = '="4199999999999999999"'
    stranger[buyer_col] = "00000000deadbeef"
    lines.insert(1, ",".join(stranger))
    orders_file.write_bytes("\r\n".join(lines).encode("gb18030"))

    # The re-exported file changes one day, the victim's: the run a sensor asks for.
    day = date.fromisoformat(victim[header.index("订单创建时间")][:10])
    assert run_main_job(settings, quiet=True, start=day, end=day).success
    con = duckdb.connect(str(settings.published), read_only=True)
    rows = con.execute(
        "select identifier, person_key, link_rule, is_conflict from dim_person_identifiers "
        "where identifier in (?, ?) order by identifier",
        [victim[buyer_col], "00000000deadbeef"],
    ).fetchall()
    con.close()
    assert rows == sorted(
        [
            (victim[buyer_col], f"tmall:{victim[buyer_col]}", "conflicting_click_ids", True),
            ("00000000deadbeef", "tmall:00000000deadbeef", "conflicting_click_ids", True),
        ]
    )
    assert expected_identity(settings.landing)["conflicting_click_ids"] == 2
