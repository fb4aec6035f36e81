"""Assembles the code location; each domain under defs/ contributes its own definitions."""

import dagster as dg

from dagster_project.defs.dbt.assets import zhongcao_dbt_models
from dagster_project.defs.dbt.resources import dbt_resource
from dagster_project.defs.ingest.assets import load_ground_truth, load_raw_exports
from dagster_project.defs.ingest.checks import freshness_checks
from dagster_project.defs.publish.assets import publish_bi_database
from dagster_project.defs.quality.checks import gx_checks
from dagster_project.defs.warehouse.jobs import main_job
from dagster_project.defs.warehouse.resources import WarehouseLock
from dagster_project.defs.warehouse.schedules import nightly
from dagster_project.defs.warehouse.sensors import landing_sensor
from dagster_project.defs.warehouse.storage import relax_sqlite_sync

relax_sqlite_sync()  # before any run of this code location stores an event

defs = dg.Definitions(
    assets=[load_raw_exports, load_ground_truth, zhongcao_dbt_models, publish_bi_database],
    asset_checks=[*gx_checks, freshness_checks],
    jobs=[main_job],
    schedules=[nightly],
    sensors=[landing_sensor],
    resources={"dbt": dbt_resource, "warehouse_lock": WarehouseLock()},
    # One DuckDB file allows one writing process: steps run one after another in-process.
    executor=dg.in_process_executor,
)
