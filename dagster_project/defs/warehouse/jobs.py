"""The one job: load -> dbt build -> checks -> publish, for a day or a range of days."""

import dagster as dg

from dagster_project.defs.warehouse.hooks import alert_on_failure
from dagster_project.defs.warehouse.partitions import daily_partitions

# Queued runs with this tag run one at a time (dagster.yaml: concurrency.runs.tag_concurrency_limits).
WAREHOUSE_TAG = {"zhongcao/warehouse": "write"}

main_job = dg.define_asset_job(
    "main",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Load every new export from the landing folder -> dbt build of the run's days -> GX checks "
    "-> publish. A range of days is one run; a range from the first partition is a full build.",
    hooks={alert_on_failure},
    run_tags=WAREHOUSE_TAG,
)
