"""`zhongcao` command line: run the warehouse, generate sample exports, open the UI."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

from zhongcao.config import REPO_ROOT, Settings

DAGSTER_YAML = """# Written by zhongcao (rewritten while this first line stays); edit freely after removing it.
# Telemetry hosts are unreachable: never wait on them.
telemetry:
  enabled: false
# One run writes the warehouse at a time: runs launched by the schedule, the sensor, a backfill
# or the UI queue behind each other (a run started outside the queue meets the warehouse lock).
concurrency:
  runs:
    tag_concurrency_limits:
      - key: zhongcao/warehouse
        limit: 1
# A run whose process died (kill -9, out of memory) is marked failed, not left "started".
run_monitoring:
  enabled: true
# Dagster's default SQLite files in DAGSTER_HOME, written through connections kept open (an event
# cost ~6-18 ms of opening and closing SQLite files): dagster_project/defs/warehouse/storage.py.
storage:
  custom:
    module: dagster_project.defs.warehouse.storage
    class: PooledSqliteStorage
    config:
      base_dir:
        env: DAGSTER_HOME
"""


def _prepare_environment(args: argparse.Namespace) -> Settings:
    for flag, variable in (("landing", "ZHONGCAO_LANDING"), ("home", "ZHONGCAO_HOME")):
        value = getattr(args, flag, None)
        if value:
            os.environ[variable] = str(Path(value).resolve())
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    settings = Settings.from_env()
    settings.export_for_subprocesses()
    dagster_home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.home / "dagster_home")))
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8").startswith("# Written by zhongcao"):
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return settings


class NotAPartition(ValueError):
    pass


def partition_bounds() -> tuple[date, date]:
    """First and last daily partition: ZHONGCAO_FIRST_DAY .. yesterday (Shanghai)."""
    from dagster_project.defs.warehouse.partitions import daily_partitions

    keys = daily_partitions.get_partition_keys()
    return date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])


def default_range(settings: Settings, first: date, last: date) -> tuple[date, date]:
    """Every partition, or, for a landing folder the generator wrote, the days it simulated: a
    range of N days records N events per partitioned asset, so a full build of the sample should
    not grow with the calendar."""
    manifest = settings.landing / "manifest.json"
    if manifest.is_file():
        try:
            simulated = json.loads(manifest.read_text(encoding="utf-8"))
            return max(first, date.fromisoformat(simulated["start"])), min(last, date.fromisoformat(simulated["end"]))
        except (ValueError, KeyError):
            pass
    return first, last


def run_main_job(
    settings: Settings,
    *,
    quiet: bool = False,
    start: date | None = None,
    end: date | None = None,
    full_refresh: bool = False,
    tags: dict[str, str] | None = None,
):
    """Execute the `main` asset job headless in this process, recorded in DAGSTER_HOME, for the
    days start..end (default: every partition, a full build)."""
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.defs.warehouse.partitions import partition_tags

    first, last = partition_bounds()
    if start is None:
        start, end = default_range(settings, first, last)
    end = end or start
    for day in (start, end):
        if not first <= day <= last:
            raise NotAPartition(
                f"{day} is not a partition: days run from {first} (ZHONGCAO_FIRST_DAY) to {last} (yesterday, Shanghai)"
            )
    if end < start:
        raise NotAPartition(f"the range {start} .. {end} ends before it starts")
    run_tags = dict(tags or {}) | partition_tags(start, end)
    job = defs.resolve_job_def("main")
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING" if quiet else "INFO"}}}}
    if full_refresh:
        run_config["ops"] = {"zhongcao_dbt_models": {"config": {"full_refresh": True}}}
    with dg.DagsterInstance.get() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, tags=run_tags)


def summarise(result, settings: Settings) -> str:
    from dagster import AssetCheckSeverity

    lines = [
        "",
        "=" * 72,
        "zhongcao run " + ("SUCCEEDED" if result.success else "FAILED") + f"  (run {result.run_id})",
        "=" * 72,
    ]
    materialised = {
        e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    lines.append("Loaded exports (per report):")
    for key, meta in sorted(materialised.items()):
        if "rows_loaded" not in meta:
            continue
        value = {k: v.value for k, v in meta.items()}
        lines.append(
            f"  {key:<28} files: {value['files_loaded']} loaded, {value['files_duplicate']} already seen, "
            f"{value['files_refused']} refused | rows: {value['rows_loaded']} loaded, "
            f"{value['rows_rejected']} rejected | table now {value['table_rows']} rows"
        )
        if value["files_refused"]:
            lines.append("      " + value["refusals"].replace("\n", "\n      "))
    layers = {
        layer: sorted(k.split("/", 1)[1] for k in materialised if k.split("/")[0] == layer)
        for layer in ("staging", "intermediate", "marts")
    }
    lines.append(
        f"dbt models built: {sum(len(v) for v in layers.values())} ("
        + "; ".join(f"{layer}: {len(names)}" for layer, names in layers.items() if names)
        + f" — {', '.join(layers['marts']) or 'no marts'})"
    )
    evaluations = result.get_asset_check_evaluations()
    failed = [e for e in evaluations if not e.passed and e.severity != AssetCheckSeverity.WARN]
    warned = [e for e in evaluations if not e.passed and e.severity == AssetCheckSeverity.WARN]
    gx_suites = sum(1 for e in evaluations if e.check_name.startswith("gx_"))
    lines.append(
        f"Checks: {len(evaluations) - len(failed) - len(warned)} passed, {len(warned)} warnings, "
        f"{len(failed)} failed ({gx_suites} GX suites, the rest dbt tests)"
    )
    for evaluation in failed + warned:
        severity = "WARN" if evaluation in warned else "ERROR"
        lines.append(f"  [{severity}] {evaluation.asset_key.to_user_string()} :: {evaluation.check_name}")
        if evaluation.description:
            lines += ["      " + line for line in evaluation.description.splitlines()]
    docs = next(
        (e.metadata["data_docs"].value for e in evaluations if "data_docs" in e.metadata and not e.passed), None
    ) or (materialised["publish"]["data_docs"].value if "publish" in materialised else None)
    if docs:
        lines.append(f"Quality report (GX Data Docs): {docs}")
    publish = materialised.get("publish")
    if publish is not None:
        tables = publish["tables"].value
        lines.append(f"Published BI database: {settings.published}")
        for table, rows in tables.items():
            lines.append(f"  {table}: {rows} rows")
        first = "mart_funnel_daily" if "mart_funnel_daily" in tables else next(iter(tables))
        if "report" in publish:
            lines.append(f"HTML report: {publish['report'].value}")
        if "parquet" in publish:
            lines.append(f"Parquet export: {publish['parquet'].value}")
        lines.append("Connect (read-only, safe while the nightly run publishes):")
        lines.append(
            f"  python -c \"import duckdb; print(duckdb.connect('{settings.published}', "
            f"read_only=True).sql('select * from {first} limit 5'))\""
        )
    else:
        state = "unchanged" if settings.published.exists() else "not created"
        lines.append(f"NOT published: the BI database {settings.published} is {state}.")
        for failure in result.all_events:
            if failure.is_step_failure:
                error = failure.step_failure_data.error
                where = f"step {failure.step_key}"
            elif failure.event_type_value == "PIPELINE_FAILURE" and getattr(failure.event_specific_data, "error", None):
                error = failure.event_specific_data.error  # e.g. the warehouse lock refused the run
                where = "the run"
            else:
                continue
            while error is not None and error.cause is not None:  # the user's error, not Dagster's wrapper
                error = error.cause
            lines.append(f"  {where} failed: {error.message.strip() if error else '?'}")
    return "\n".join(lines)


def _execute(args: argparse.Namespace, **options) -> int:
    settings = _prepare_environment(args)
    print(
        f"zhongcao: landing folder {settings.landing}\n          warehouse      {settings.warehouse}", file=sys.stderr
    )
    try:
        result = run_main_job(settings, quiet=args.quiet, **options)
    except NotAPartition as problem:
        print(f"zhongcao: {problem}", file=sys.stderr)
        return 2
    print(summarise(result, settings))
    return 0 if result.success else 1


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_run(args: argparse.Namespace) -> int:
    return _execute(args, start=args.day, end=args.day)


def cmd_backfill(args: argparse.Namespace) -> int:
    return _execute(args, start=args.start, end=args.end, tags={"zhongcao/trigger": "backfill"})


def cmd_rebuild(args: argparse.Namespace) -> int:
    return _execute(args, full_refresh=True, tags={"zhongcao/trigger": "rebuild"})


def cmd_nightly(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    day = args.day or (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)).date()
    return _execute(args, start=day, end=day, tags={"zhongcao/trigger": "nightly"})


def cmd_generate(args: argparse.Namespace) -> int:
    from zhongcao.generate.exports import generate

    out = Path(args.out).resolve()
    if out == (REPO_ROOT / "seeds").resolve() and (args.scale != "small"):
        print("refusing to write a non-small scale into seeds/ (the committed sample)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    manifest = generate(
        out,
        date.fromisoformat(args.start),
        args.days,
        args.seed,
        args.scale,
        progress=lambda message: print(message, file=sys.stderr, flush=True),
    )
    print(f"generated in {time.perf_counter() - started:.1f} s")
    print(f"wrote {len(manifest['files'])} export files to {out} ({manifest['start']} .. {manifest['end']})")
    for table, rows in manifest["rows"].items():
        print(f"  {table}: {rows} rows")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from zhongcao.ingest.loader import Loader
    from zhongcao.runlock import WarehouseBusy, warehouse_lock

    settings = _prepare_environment(args)
    try:
        with warehouse_lock(settings.lock_path, "zhongcao load", settings.lock_wait_seconds):
            outcomes = Loader(settings).load_all()
    except WarehouseBusy as busy:
        print(f"zhongcao: {busy}", file=sys.stderr)
        return 1
    refused = sum(f.status == "refused" for o in outcomes for f in o.files)
    return 2 if refused else 0


def cmd_spark(args: argparse.Namespace) -> int:
    try:
        from zhongcao.spark import build_and_compare
    except ImportError as missing:
        print(f"zhongcao spark needs the spark extras ({missing.name} is missing): run ./zc spark", file=sys.stderr)
        return 2
    settings = _prepare_environment(args)
    if not settings.warehouse.exists():
        print(f"zhongcao: no warehouse at {settings.warehouse}: build it first (zhongcao run)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = build_and_compare(settings)
    different = [r.name for r in results if not r.equal]
    print(
        f"{len(results) - len(different)} of {len(results)} public marts equal on Spark and DuckDB "
        f"({time.perf_counter() - started:.0f} s)" + (f"; different: {', '.join(different)}" if different else "")
    )
    return 1 if different else 0


def cmd_scaffold_suite(args: argparse.Namespace) -> int:
    import json

    from zhongcao.config import EXPECTATIONS_DIR
    from zhongcao.ingest.contracts import load_contracts
    from zhongcao.quality import scaffold_suite

    platform, _, report = args.report.partition("/")
    contract = load_contracts().get((platform, report))
    if contract is None:
        print(f"no contract zhongcao/contracts/{platform}/{report}.yaml", file=sys.stderr)
        return 2
    target = EXPECTATIONS_DIR / "raw" / f"{contract.table}.json"
    if target.exists() and not args.force:
        print(f"{target} exists (use --force to overwrite)", file=sys.stderr)
        return 2
    target.write_text(json.dumps(scaffold_suite(contract), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}: add cross-column rules and volume bounds, then commit it")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    _prepare_environment(args)
    from dagster_project.defs.dbt.resources import prepare_manifest

    prepare_manifest()
    dagster = Path(sys.executable).with_name("dagster")
    argv = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-m",
        "dagster_project.definitions",
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print(f"Dagster UI on http://{args.host}:{args.port} (Ctrl-C to stop)", file=sys.stderr)
    os.chdir(REPO_ROOT)
    os.execv(argv[0], argv) if os.path.isabs(argv[0]) else os.execvp(argv[0], argv)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zhongcao",
        description="Seeding-to-purchase warehouse: platform exports -> DuckDB -> dbt -> GX -> BI file.",
        epilog="Settings come from environment variables (ZHONGCAO_HOME, ZHONGCAO_LANDING, ZHONGCAO_WAREHOUSE, "
        "ZHONGCAO_PUBLISHED, ZHONGCAO_PII_KEY, DAGSTER_HOME); see README.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--landing", help="landing folder of raw exports (default: seeds/ or $ZHONGCAO_LANDING)")
        p.add_argument("--home", help="working folder for the warehouse and published file (default: data/)")

    def job(name: str, help_text: str, description: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=description + " Prints a summary; exit status 1 when any step or blocking check "
            "failed (nothing is published then), 2 for days outside the partitions.",
        )
        common(p)
        p.add_argument("--quiet", action="store_true", help="only warnings and the summary")
        p.set_defaults(func=func)
        return p

    run = job(
        "run",
        "run the main job: load -> dbt build -> GX checks -> publish (all days: a full build)",
        "Runs the Dagster `main` job headless: loads every new export, builds every day (or one --day), "
        "checks and publishes.",
        cmd_run,
    )
    run.add_argument("--day", type=_day, help="build only this day (YYYY-MM-DD), like one nightly run")
    backfill = job(
        "backfill",
        "load, rebuild, check and publish a range of days, in one run",
        "Materialises the daily partitions FROM..TO as one run: dbt rebuilds those days (and any day a "
        "newly loaded file changed). The same as a backfill launched from the Dagster UI.",
        cmd_backfill,
    )
    backfill.add_argument("--from", dest="start", type=_day, required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--to", dest="end", type=_day, required=True, help="last day, YYYY-MM-DD")
    job(
        "rebuild",
        "full rebuild: every day, incremental models rebuilt from nothing (dbt --full-refresh)",
        "Runs the main job over every partition with dbt --full-refresh (after a model's columns changed, "
        "or to refit the data-driven attribution).",
        cmd_rebuild,
    )
    nightly = job(
        "nightly",
        "what the 02:00 schedule runs: yesterday's partition (Shanghai date), for cron without Dagster's daemon",
        "Materialises yesterday's partition (Shanghai date) end to end, as the `nightly` schedule does.",
        cmd_nightly,
    )
    nightly.add_argument("--day", type=_day, help="the day to run instead of yesterday")

    gen = sub.add_parser(
        "generate",
        help="write simulated platform exports (the sample in seeds/)",
        description="Simulates one brand and writes its platform exports in their real formats.",
    )
    gen.add_argument("--out", default=str(REPO_ROOT / "seeds"), help="output landing folder (default: seeds/)")
    gen.add_argument("--days", type=int, default=35, help="days to simulate (default: 35)")
    gen.add_argument("--start", default="2026-10-01", help="first day, YYYY-MM-DD (default: 2026-10-01)")
    gen.add_argument("--seed", type=int, default=7, help="random seed; same seed, same files (default: 7)")
    gen.add_argument(
        "--scale",
        choices=["small", "medium", "large"],
        default="small",
        help="consumers simulated: small 3k (the sample), medium 120k, large 1M (default: small)",
    )
    gen.set_defaults(func=cmd_generate)

    load = sub.add_parser("load", help="only load the landing folder into the warehouse's raw schema")
    common(load)
    load.set_defaults(func=cmd_load)

    scaffold = sub.add_parser(
        "scaffold-suite",
        help="write a starting GX suite for a new report's contract",
        description="Derives expectations/raw/<platform>__<report>.json from the contract (keys, not-null, "
        "non-negative, accepted values, hashed PII). Review and extend it before committing.",
    )
    scaffold.add_argument("report", help="platform/report, e.g. tmall/orders")
    scaffold.add_argument("--force", action="store_true", help="overwrite an existing suite")
    scaffold.set_defaults(func=cmd_scaffold_suite)

    spark = sub.add_parser(
        "spark",
        help="build the dbt project on a local Apache Spark and compare every public mart with DuckDB's",
        description="Writes the warehouse's raw tables as Parquet (<home>/spark/raw), builds the whole dbt "
        "project on Spark from them (the `spark` target: dbt-spark in session mode, always a full build) and "
        "compares each public mart with the DuckDB build, money to the cent. Needs a built warehouse and the "
        "spark extras (./zc spark installs them). Exit status 1 when a mart differs.",
    )
    common(spark)
    spark.set_defaults(func=cmd_spark)

    ui = sub.add_parser("ui", help="open the Dagster UI (asset graph, runs, checks)")
    common(ui)
    ui.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    ui.add_argument("--port", type=int, default=3000, help="port (default: 3000)")
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def console() -> None:
    """The `zhongcao` command: main(), then an exit without the interpreter's teardown. A run has
    imported some 3,000 modules (Dagster, dbt, GX) and tearing them down took 1.2-1.8 s after
    every run had finished; everything a run writes is committed and closed before main returns.
    An exception still ends the process the normal way, traceback and all."""
    status = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status or 0)


if __name__ == "__main__":
    console()
