"""Daily partitions in Shanghai dates.

The loads and the publication are partitioned; dbt is not, but reads the run's days from its
tags (a range of N days records N events per partitioned asset in Dagster's storage, about 10 ms
each here: 70 dbt assets over a 90-day build would add a minute to every full build, and the
incremental models alternate with table models in the graph, so partitioning only them would
split one dbt build into several).
"""

from datetime import date

import dagster as dg

from zhongcao.config import Settings

SHANGHAI = "Asia/Shanghai"
FIRST_DAY = Settings.from_env().first_day

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), timezone=SHANGHAI)
# A range of days runs as one run: dbt gets the range as vars and rebuilds it in one build.
single_run = dg.BackfillPolicy.single_run()


PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_tags(start: date, end: date) -> dict[str, str]:
    """Run tags asking for the days start..end (one partition, or a range run as one run)."""
    if start == end:
        return {PARTITION_TAG: start.isoformat()}
    return {RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()}


def days_of_tags(tags) -> tuple[date, date] | None:
    """First and last day a run's tags ask for; None for a run without partitions."""
    if PARTITION_TAG in tags:
        day = date.fromisoformat(tags[PARTITION_TAG])
        return day, day
    if RANGE_START_TAG in tags:
        return date.fromisoformat(tags[RANGE_START_TAG]), date.fromisoformat(tags[RANGE_END_TAG])
    return None


def partition_range(context) -> tuple[date, date] | None:
    """The run's days, from its tags, so that unpartitioned steps (dbt, the checks) see them too."""
    return days_of_tags(context.run.tags)
