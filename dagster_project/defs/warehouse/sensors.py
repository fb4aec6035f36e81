"""The landing sensor: a late or corrected export for a day that was already published triggers
a run of exactly the days it changes (and, through dbt, everything downstream of them).

Files for days not yet published are left to the nightly run (or a backfill). Each new or
changed file is read the way the loader will read it (zhongcao/ingest/probe.py) to learn its
days from its content. Contiguous days become one run; the run key names the files and days,
so a re-evaluated tick never launches the same work twice.
"""

import hashlib
import json
import time
from datetime import date, timedelta

import dagster as dg
import duckdb

from dagster_project.defs.warehouse.jobs import main_job
from dagster_project.defs.warehouse.partitions import partition_tags
from zhongcao.config import Settings
from zhongcao.ingest.contracts import load_contracts
from zhongcao.ingest.loader import landing_files
from zhongcao.ingest.probe import LandingProbe

PUBLISH_KEY = dg.AssetKey("publish")
PROBE_SECONDS = 40  # a tick reads files for at most this long; the rest wait for the next tick


def fingerprints(settings: Settings) -> dict[str, str]:
    """Every export file in the landing folder: relative path -> size and modification time."""
    found = {}
    for contract in load_contracts().values():
        for path in landing_files(settings.landing, contract):
            stat = path.lstat()
            found[str(path.relative_to(settings.landing))] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return found


def contiguous(days: list[date]) -> list[tuple[date, date]]:
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def run_request(start: date, end: date, files: dict[str, str]) -> dg.RunRequest:
    """One run for the days start..end; its key names the files and their versions (a second
    correction of the same file is new work, a re-evaluated tick is not)."""
    versions = "\n".join(f"{path} {mark}" for path, mark in sorted(files.items()))
    digest = hashlib.sha256(versions.encode()).hexdigest()[:12]
    tags = {"zhongcao/trigger": "landing", "zhongcao/files": ", ".join(sorted(files))[:2000]}
    key = f"landing-{start}-{digest}" if start == end else f"landing-{start}-{end}-{digest}"
    if start == end:
        return dg.RunRequest(run_key=key, partition_key=start.isoformat(), tags=tags)
    return dg.RunRequest(run_key=key, tags=tags | partition_tags(start, end))


@dg.sensor(
    job=main_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the landing folder; a late or corrected export for an already published day "
    "re-runs exactly the days it changes.",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    settings = Settings.from_env()
    current = fingerprints(settings)
    if context.cursor is None:
        # The first look (a new deployment, or the sensor just switched on): what is there now is
        # the baseline, loaded by the nightly run or a backfill, not a wave of late files.
        context.update_cursor(json.dumps(current))
        return dg.SkipReason(f"first look at the landing folder: {len(current)} files recorded as the baseline")
    seen = json.loads(context.cursor)
    new = sorted(path for path, mark in current.items() if seen.get(path) != mark)
    if not new:
        return dg.SkipReason("no new or changed export files")
    published = {date.fromisoformat(k) for k in context.instance.get_materialized_partitions(PUBLISH_KEY)}
    if not published:
        context.update_cursor(json.dumps(current))
        return dg.SkipReason(f"{len(new)} new files, but no day is published yet: the nightly run takes them")
    newest = max(published)
    try:
        probe = LandingProbe(settings)
    except duckdb.IOException:
        return dg.SkipReason("a run is writing the warehouse; looking again at the next tick")
    contracts = load_contracts()
    affected: set[date] = set()
    every_day = False
    causes: dict[str, str] = {}
    started = time.monotonic()
    try:
        for relative in new:
            if time.monotonic() - started > PROBE_SECONDS:
                break
            platform, report = relative.split("/")[:2]
            days = probe.days(contracts[(platform, report)], settings.landing / relative)
            seen[relative] = current[relative]
            earlier = None if days is None else {d for d in days if d in published or d < newest}
            if earlier is None or earlier:
                causes[relative] = current[relative]
            every_day |= earlier is None
            affected |= earlier or set()
    finally:
        probe.close()
    context.update_cursor(json.dumps(seen))
    if every_day:
        affected = published
    if not affected:
        return dg.SkipReason(f"{len(new)} new files, none for a day already published")
    requests = [run_request(start, end, causes) for start, end in contiguous(sorted(affected))]
    for request in requests:
        context.log.info(f"re-running {request.partition_key or request.tags} for {', '.join(causes)}")
    return requests
