"""The nightly run: at 02:00 Shanghai time, yesterday's partition, end to end."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.defs.warehouse.jobs import main_job
from dagster_project.defs.warehouse.partitions import SHANGHAI


@dg.schedule(
    job=main_job,
    cron_schedule="0 2 * * *",
    execution_timezone=SHANGHAI,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Materialises yesterday's partition (Shanghai date) at 02:00: loads what arrived, rebuilds the "
    "day (and any day a late file changed), checks and publishes.",
)
def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # The tick's own time, not the clock: a tick evaluated late or twice asks for the same day, and
    # the run key makes Dagster launch it once.
    yesterday = context.scheduled_execution_time.astimezone(ZoneInfo(SHANGHAI)) - timedelta(days=1)
    day = yesterday.date().isoformat()
    return dg.RunRequest(partition_key=day, run_key=f"nightly-{day}", tags={"zhongcao/trigger": "nightly"})
