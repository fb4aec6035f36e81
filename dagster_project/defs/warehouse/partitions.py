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


def partition_range(context) -> tuple[date, date] | None:
    """First and last day of the run's partitions, from the run's tags, so that unpartitioned
    steps (dbt, the checks) see them too; None for a run without partitions."""
    tags = context.run.tags
    if "dagster/partition" in tags:
        day = date.fromisoformat(tags["dagster/partition"])
        return day, day
    if "dagster/asset_partition_range_start" in tags:
        return (
            date.fromisoformat(tags["dagster/asset_partition_range_start"]),
            date.fromisoformat(tags["dagster/asset_partition_range_end"]),
        )
    return None
