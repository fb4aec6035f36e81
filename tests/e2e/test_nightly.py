"""Production nights on the sample, through Dagster's own schedule and sensor APIs.

The story: a backfill of 2026-10-01..11-03 finds an incomplete data-bank export of 11-03 and
no files of 11-04 yet. Day 11-04's data-bank file arrives; the 02:00 schedule asks for
partition 11-04; its first run is killed (kill -9, process group and all) in the middle of
dbt, which must leave the published file as it was; the same request then runs to the end,
flagging the 生意参谋 export of 11-04, which has not arrived. Then the late 生意参谋 file and a
corrected 11-03 data-bank file land; the sensor asks for exactly 11-03..11-04, and after that
run the published file equals a full build of the complete sample (`built`), except for the
data-driven credits, which only full builds refit (test_attribution_increment.py).
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.dbt.resources import is_view_or_seed, project_manifest
from tests.conftest import SEEDS, copy_sample, isolate
from zhongcao.cli import run_main_job
from zhongcao.config import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e

LAST_TOUCHES = "databank/touchpoints/touchpoints_20261104.csv"
LATE_SYCM = "tmall/sycm_traffic/流量来源_20261104.xlsx"
CORRECTED_TOUCHES = "databank/touchpoints/touchpoints_20261103.csv"
DROPPED_FROM_FIRST_EXPORT = 300  # rows the incomplete first 11-03 export lacked
DATA_DRIVEN = ("markov", "shapley")


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def deliver(landing, relative: str, mtime: float) -> None:
    target = landing / relative
    shutil.copy2(SEEDS / relative, target)
    os.utime(target, (mtime, mtime))


def published_partitions(result) -> set[str]:
    return {
        e.partition
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("publish") and e.partition
    }


def comparable(con, table: str) -> Counter:
    """A published table's rows, without what only a full build refits."""
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]
    kept = [c for c in columns if not c.startswith(DATA_DRIVEN)]
    where = f" where attribution_model not in {DATA_DRIVEN}" if "attribution_model" in columns else ""
    return Counter(con.execute(f"select {', '.join(kept)} from {table}{where}").fetchall())


def kill_mid_dbt(day: str) -> int:
    """Start `zhongcao run --day` in its own process group; kill -9 the group once dbt builds."""
    process = subprocess.Popen(
        [sys.executable, "-m", "zhongcao.cli", "run", "--day", day],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            if "START sql incremental model" in line:  # dbt is writing the warehouse
                os.killpg(process.pid, signal.SIGKILL)
                break
        else:
            pytest.fail("dbt never started:\n" + "".join(seen[-40:]))
    finally:
        process.stdout.close()
    return process.wait(timeout=60)


def publication_mode(settings) -> str:
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        return con.execute("select mode from _publication").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """Runs the nights once; the tests below read what happened."""
    from dagster_project.defs.warehouse.schedules import nightly
    from dagster_project.defs.warehouse.sensors import landing_sensor

    home = tmp_path_factory.mktemp("nightly-home")
    landing = tmp_path_factory.mktemp("nightly-landing")
    copy_sample(landing)
    for held_back in (LAST_TOUCHES, LATE_SYCM):
        (landing / held_back).unlink()
    lines = (SEEDS / CORRECTED_TOUCHES).read_text(encoding="utf-8").splitlines(keepends=True)
    (landing / CORRECTED_TOUCHES).write_text("".join(lines[:-DROPPED_FROM_FIRST_EXPORT]), encoding="utf-8")
    now = time.time()
    told = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = isolate(home, landing, monkeypatch)
        with dg.DagsterInstance.get() as instance:
            backfill = run_main_job(settings, quiet=True, start=date(2026, 10, 1), end=date(2026, 11, 3))
            told["backfill"] = backfill
            told["publications"] = [publication_mode(settings)]
            sensor_context = dg.build_sensor_context(instance=instance)
            told["first_look"] = landing_sensor(sensor_context)
            published_before = digest(settings.published)

            deliver(landing, LAST_TOUCHES, now + 10)
            tick = datetime(2026, 11, 5, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
            request = nightly(dg.build_schedule_context(instance=instance, scheduled_execution_time=tick))
            told["request"] = request
            told["request_again"] = nightly(dg.build_schedule_context(instance=instance, scheduled_execution_time=tick))
            told["killed_status"] = kill_mid_dbt(request.partition_key)
            told["published_after_kill"] = digest(settings.published) == published_before
            day = date.fromisoformat(request.partition_key)
            told["night"] = run_main_job(settings, quiet=True, start=day, end=day, tags=request.tags)
            told["publications"].append(publication_mode(settings))
            told["spare"] = [os.readlink(settings.published)]  # the night's version: kept as the spare

            deliver(landing, LATE_SYCM, now + 20)
            deliver(landing, CORRECTED_TOUCHES, now + 20)
            sensor_context = dg.build_sensor_context(instance=instance, cursor=sensor_context.cursor)
            requests = landing_sensor(sensor_context)
            told["sensor_requests"] = requests
            told["sensor_runs"] = [
                run_main_job(
                    settings,
                    quiet=True,
                    start=date.fromisoformat(r.tags["dagster/asset_partition_range_start"]),
                    end=date.fromisoformat(r.tags["dagster/asset_partition_range_end"]),
                    tags=r.tags,
                )
                for r in requests
            ]
            told["publications"].append(publication_mode(settings))
            told["quiet_tick"] = landing_sensor(
                dg.build_sensor_context(instance=instance, cursor=sensor_context.cursor)
            )
            told["published_partitions"] = set(instance.get_materialized_partitions(dg.AssetKey("publish")))
    told["settings"] = settings
    return told


def test_the_schedule_asks_for_yesterday_once(story):
    request = story["request"]
    assert request.partition_key == "2026-11-04"
    assert request.run_key == "nightly-2026-11-04"
    assert story["request_again"].run_key == request.run_key  # a re-evaluated tick launches nothing new
    assert story["backfill"].success
    assert published_partitions(story["backfill"]) == {f"2026-10-{d:02d}" for d in range(1, 32)} | {
        f"2026-11-{d:02d}" for d in range(1, 4)
    }


def test_a_run_killed_mid_dbt_leaves_the_bi_file_and_the_next_run_completes(story):
    assert story["killed_status"] == -signal.SIGKILL
    assert story["published_after_kill"], "the killed run must not touch the published file"
    night = story["night"]
    assert night.success
    assert published_partitions(night) == {"2026-11-04"}
    settings = story["settings"]
    assert not list(settings.published.parent.glob(".*tmp*"))


def test_an_export_missing_by_morning_is_flagged_without_blocking(story):
    night = story["night"]
    flagged = {
        e.asset_key.to_user_string(): e.description
        for e in night.get_asset_check_evaluations()
        if e.check_name == "freshness" and not e.passed
    }
    assert flagged == {
        "tmall/sycm_traffic": "no tmall/sycm_traffic rows for 2026-11-04 (newest day loaded: 2026-11-03): "
        "the export has not arrived"
    }
    assert any(e.asset_key == dg.AssetKey("publish") for e in night.get_asset_materialization_events())


def test_a_night_checks_the_marts_as_a_full_build_does(story):
    """Nights skip the tests of the staging and intermediate models, not the marts' tests that
    read them: the tie-outs of orders, refunds and touchpoints to the staged exports."""

    def mart_checks(result):
        return {
            (e.asset_key.to_user_string(), e.check_name): e.passed
            for e in result.get_asset_check_evaluations()
            if e.asset_key.path[0] == "marts"
        }

    night, full = mart_checks(story["night"]), mart_checks(story["backfill"])
    assert night.keys() == full.keys()
    tie_outs = {key for key in night if "stg_" in key[1]}
    assert {asset for asset, _ in tie_outs} >= {"marts/fct_orders", "marts/fct_touchpoints"}
    assert all(night[key] for key in tie_outs)


def test_the_sensor_reruns_exactly_the_days_late_files_changed(story):
    assert isinstance(story["first_look"], dg.SkipReason)
    assert "baseline" in story["first_look"].skip_message
    (request,) = story["sensor_requests"]
    assert request.tags["dagster/asset_partition_range_start"] == "2026-11-03"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-04"
    assert request.run_key.startswith("landing-2026-11-03-2026-11-04-")
    assert set(request.tags["zhongcao/files"].split(", ")) == {LATE_SYCM, CORRECTED_TOUCHES}
    (run,) = story["sensor_runs"]
    assert run.success
    assert published_partitions(run) == {"2026-11-03", "2026-11-04"}
    assert story["quiet_tick"].skip_message == "no new or changed export files"
    assert len(story["published_partitions"]) == 35


def test_nights_publish_only_the_days_they_rebuilt_into_the_big_marts(story):
    # The backfill starts at the first day (a full build); the killed night's dbt run and the
    # one that completed both rebuilt 11-04; the sensor's run rebuilt 11-03 and 11-04. The
    # test below shows the file so patched equals a full build.
    assert story["publications"] == ["full", "days 2026-11-04 to 2026-11-04", "days 2026-11-03 to 2026-11-04"]
    # The BI path links to one of two whole versions beside it (the third publication patched
    # the backfill's in place).
    link = story["settings"].published
    assert link.is_symlink()
    version = link.parent / os.readlink(link)
    assert version.is_file() and not version.is_symlink()
    assert sorted(p.name for p in link.parent.glob(".*.version")) == sorted([version.name, *story["spare"]])


def dbt_file(result, name: str) -> str:
    (path,) = (DBT_PROJECT_DIR / "target").glob(f"zhongcao_dbt_models-{result.run_id[:7]}-*/{name}")
    return path.read_text(encoding="utf-8")


def test_nights_keep_dbt_partial_parse(story):
    """The window reaches dbt in the environment, not as --vars (new vars make dbt re-parse the
    whole project), and each dbt step starts from what the last one on this warehouse parsed."""
    for night in (story["night"], *story["sensor_runs"]):
        log = dbt_file(night, "dbt.log")
        assert "Partial parsing enabled" in log
        assert "Unable to do partial parsing" not in log


def test_nights_leave_the_views_and_seeds_the_backfill_built(story):
    """The backfill (a full build) creates every view and loads every seed; the nights after it,
    with no code or seed changed, build neither, and their results still equal a full build's
    (test_after_the_nights_the_bi_file_equals_a_full_build)."""
    nodes = project_manifest()["nodes"]
    kept_kinds = Counter(
        node["resource_type"].replace("model", "view") for node in nodes.values() if is_view_or_seed(node)
    )

    def built(result) -> Counter:
        kinds = Counter()
        for node in json.loads(dbt_file(result, "run_results.json"))["results"]:
            kind = node["unique_id"].split(".")[0]
            kinds["view" if kind == "model" and is_view_or_seed(nodes[node["unique_id"]]) else kind] += 1
        return kinds

    assert kept_kinds["view"] > 20 and kept_kinds["seed"] >= 4
    backfill = built(story["backfill"])
    assert (backfill["view"], backfill["seed"]) == (kept_kinds["view"], kept_kinds["seed"])
    for night in (story["night"], *story["sensor_runs"]):
        kinds = built(night)
        assert kinds["view"] == 0 and kinds["seed"] == 0
        assert kinds["model"] > 30  # the tables and incremental models are rebuilt


def test_after_the_nights_the_bi_file_equals_a_full_build(story, built):
    full, _ = built
    con = duckdb.connect(str(story["settings"].published), read_only=True)
    try:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        assert tables == [
            t for (t,) in full.execute("select table_name from information_schema.tables order by 1").fetchall()
        ]
        touches = con.execute("select count(*) from fct_touchpoints where event_date = '2026-11-03'").fetchone()[0]
        assert (
            touches
            == full.execute("select count(*) from fct_touchpoints where event_date = '2026-11-03'").fetchone()[0]
        )
        for table in tables:
            if table != "_publication":
                assert comparable(con, table) == comparable(full, table), table
    finally:
        con.close()
