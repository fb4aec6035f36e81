"""Production at scale: a full build of a generated world, then one nightly increment, each as
a real headless Dagster run of the `main` job (load -> dbt -> checks -> publish).

    .venv/bin/python bench/nightly.py /tmp/large --home /tmp/large-home --generate   # ≈50 M touchpoints
    .venv/bin/python bench/nightly.py /tmp/large --home /tmp/large-home              # landing already there

The last day's data-bank and 生意参谋 files are held back from the full build (every other
report of the generator covers the whole period in one file) and delivered for the nightly
run of that day. Prints, per run and stage: rows, seconds, rows/s, and the peak RSS of the run
(its process and the dbt process it starts), then dbt's slowest models and tests; each run's
output goes to HOME/logs/. Figures, not assertions.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def sh(command: list[str], env: dict[str, str], log: Path) -> tuple[float, int, int]:
    """Run a command under GNU time, its output (dbt's log lines among it) into `log`: wall
    seconds, peak RSS in MB of it and its waited-for children (dbt), exit status."""
    stats = Path(env["ZHONGCAO_HOME"]) / "time.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", str(stats), *command], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    seconds = time.perf_counter() - started
    peak_kb = int(stats.read_text().split()[-1]) if stats.exists() else 0
    return seconds, peak_kb // 1024, done.returncode


def stage_figures(env: dict[str, str]) -> list[tuple[str, int | None, float]]:
    """(stage, rows, seconds) of the latest run, from Dagster's own step records."""
    code = """
import json, sys, dagster as dg
with dg.DagsterInstance.get() as instance:
    run = instance.get_runs(limit=1)[0]
    steps = {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(run.run_id)}
    # A range run records each load once per day: count the first day's records.
    first = run.tags.get("dagster/partition") or run.tags.get("dagster/asset_partition_range_start")
    loaded = 0
    records = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    for record in records:
        event = record.event_log_entry.dagster_event
        meta = event.step_materialization_data.materialization.metadata
        if "rows_loaded" in meta and event.partition == first:
            loaded += meta["rows_loaded"].value
    print(json.dumps({"steps": steps, "loaded": loaded}))
"""
    out = subprocess.run([str(VENV_BIN / "python"), "-c", code], env=env, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    steps = data["steps"]
    checks = sum(s for k, s in steps.items() if k not in ("load_raw_exports", "zhongcao_dbt_models", "publish"))
    return [
        ("load", data["loaded"], steps.get("load_raw_exports", 0.0)),
        ("dbt build", None, steps.get("zhongcao_dbt_models", 0.0)),
        ("checks (GX + freshness)", None, checks),
        ("publish", None, steps.get("publish", 0.0)),
    ]


# dbt's line for a finished model or test: "281 of 564 OK created sql incremental model
# marts.fct_touchpoints ...... [OK in 54.70s]" (colour codes stripped first).
DBT_NODE = re.compile(r"^\d+ of \d+ (?:OK|PASS|WARN|FAIL|ERROR)\b.*? ([\w.]+) [ .]*\[\w+ in ([\d.]+)s\]$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def slowest_dbt_nodes(log: Path, count: int = 8) -> tuple[list[tuple[str, float]], float]:
    """The `count` slowest dbt models and tests of a run's log, and the seconds of all of them."""
    nodes = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = DBT_NODE.match(ANSI.sub("", line).strip())
        if match:
            nodes.append((match.group(1), float(match.group(2))))
    nodes.sort(key=lambda node: -node[1])
    return nodes[:count], sum(seconds for _, seconds in nodes)


def report(
    title: str, seconds: float, peak_mb: int, status: int, env: dict[str, str], window_rows: int, log: Path
) -> None:
    outcome = "OK" if status == 0 else f"FAILED (exit {status})"
    print(f"\n{title}: {outcome}, {seconds:.0f} s wall, peak RSS {peak_mb:,} MB")
    for stage, rows, stage_seconds in stage_figures(env):
        rows = window_rows if rows is None else rows
        rate = f"{rows / stage_seconds:>12,.0f}" if stage_seconds and rows else f"{'':>12}"
        print(f"  {stage:<26}{rows:>14,} rows{stage_seconds:>9.1f} s{rate} rows/s")
    print("  (dbt, checks and publish: rows = data-bank events in the days the run rebuilt)")
    slowest, total = slowest_dbt_nodes(log)
    if slowest:
        print(f"  dbt models and tests: {total:.0f} s on dbt's threads; slowest:")
        for name, node_seconds in slowest:
            print(f"    {node_seconds:>7.1f} s  {name}")
    print(f"  log: {log}")


def touchpoints_between(warehouse: Path, start: date, end: date) -> int:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select count(*) from raw.databank__touchpoints where cast(ts as date) between ? and ?", [start, end]
        ).fetchone()[0]
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path, help="landing folder (the generator's output)")
    parser.add_argument("--home", type=Path, required=True, help="scratch folder for warehouse and Dagster (emptied)")
    parser.add_argument("--generate", action="store_true", help="generate the world into LANDING first")
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--days", type=int, default=90)
    # Ends before today, so that every day is a partition (partitions end yesterday).
    parser.add_argument("--start", default="2026-09-03", help="first day to generate (default 2026-09-03)")
    parser.add_argument("--memory", default="4GB", help="DuckDB memory limit (default 4GB)")
    parser.add_argument(
        "--again",
        action="store_true",
        help="only another night on a HOME built before: the last day's data-bank file is re-delivered "
        "as a corrected re-export (same rows, new bytes) and that day runs again",
    )
    args = parser.parse_args()
    landing, home = args.landing.resolve(), args.home.resolve()
    zhongcao = str(VENV_BIN / "zhongcao")
    if not args.again:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "ZHONGCAO_HOME": str(home),
        "ZHONGCAO_LANDING": str(landing),
        "ZHONGCAO_QUARANTINE_MODE": "copy",
        "ZHONGCAO_DUCKDB_MEMORY": args.memory,
        "DAGSTER_HOME": str(home / "dagster_home"),
        "DO_NOT_TRACK": "1",
    }
    if args.generate:
        shutil.rmtree(landing, ignore_errors=True)
        command = [zhongcao, "generate", "--scale", args.scale, "--days", str(args.days), "--start", args.start]
        seconds, peak_mb, status = sh([*command, "--out", str(landing)], env, home / "logs" / "generate.log")
        print(f"generate: {seconds:.0f} s, peak RSS {peak_mb:,} MB" + ("" if status == 0 else " FAILED"))
        if status:
            sys.exit(status)
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    first, last = date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"])
    env["ZHONGCAO_FIRST_DAY"] = first.isoformat()
    if last >= datetime.now().date():
        sys.exit(f"the world ends {last}: partitions end yesterday; generate with an earlier --start")

    if args.again:
        touches = landing / "databank" / "touchpoints" / f"touchpoints_{last:%Y%m%d}.csv"
        header, *rows = touches.read_text(encoding="utf-8").splitlines(keepends=True)
        # The same events in another order: new bytes every time (a repeated order would be
        # recognised as a re-delivery and load nothing).
        turn = int(time.time()) % max(len(rows), 1)
        touches.write_text(header + "".join(rows[turn:] + rows[:turn]), encoding="utf-8")
        night(zhongcao, env, home, last, "a corrected re-export of its data-bank file")
        return
    held = home / "held_back"
    day_files = [
        landing / "databank" / "touchpoints" / f"touchpoints_{last:%Y%m%d}.csv",
        landing / "tmall" / "sycm_traffic" / f"流量来源_{last:%Y%m%d}.xlsx",
    ]
    held.mkdir()
    for path in day_files:
        if path.exists():
            shutil.move(path, held / path.name)
    try:
        log = home / "logs" / "full-build.log"
        seconds, peak_mb, status = sh([zhongcao, "run", "--quiet"], env, log)
        report(
            f"full build {first} .. {last} (without the last day's data-bank and 生意参谋 files)",
            seconds,
            peak_mb,
            status,
            env,
            touchpoints_between(home / "warehouse.duckdb", first, last),
            log,
        )
    finally:
        for path in day_files:
            if (held / path.name).exists():
                shutil.move(held / path.name, path)
                os.utime(path)  # delivered now: newer than everything loaded
    if status:
        sys.exit(status)
    night(zhongcao, env, home, last, "its data-bank and 生意参谋 files")


def night(zhongcao: str, env: dict[str, str], home: Path, day: date, delivered: str) -> None:
    log = home / "logs" / f"night-{datetime.now():%Y%m%d-%H%M%S}.log"
    seconds, peak_mb, status = sh([zhongcao, "nightly", "--day", day.isoformat(), "--quiet"], env, log)
    report(
        f"nightly increment {day} ({delivered})",
        seconds,
        peak_mb,
        status,
        env,
        touchpoints_between(home / "warehouse.duckdb", day, day),
        log,
    )


if __name__ == "__main__":
    main()
