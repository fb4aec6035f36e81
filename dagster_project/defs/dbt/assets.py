"""dbt models as Dagster assets; dbt tests become asset checks (dagster-dbt's default).

A run's partitions (read from its tags: see warehouse/partitions.py), widened to the days whose
raw rows changed since the last build (zhongcao/windows.py), reach dbt as the environment
variables ZHONGCAO_PARTITION_START and ZHONGCAO_PARTITION_END, which the incremental models read
like the vars partition_start and partition_end (dbt/macros/partitions.sql; the environment
keeps dbt's partial parse, new --vars every night would not); table models rebuild whole. A
range starting at the first partition, or a run without partitions, is a full build.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.defs.dbt.resources import (
    BUILT_STATE,
    PARTIAL_PARSE_FILE,
    dbt_project,
    environment,
    keeping_args,
    kept_objects_exclude,
    prepare_manifest,
    project_manifest,
    prune_run_targets,
    run_target,
    save_built_state,
    save_partial_parse,
)
from dagster_project.defs.warehouse.partitions import FIRST_DAY, partition_range
from dagster_project.defs.warehouse.resources import WarehouseLock
from dagster_project.defs.warehouse.retries import retry_transient
from zhongcao.config import Settings
from zhongcao.ingest.loader import connect
from zhongcao.windows import finish_window, plan_window

prepare_manifest()


class ZhongcaoTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        # [schema, model]: marts/mart_funnel_daily reads like the table BI sees.
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("schema") or "dbt"


NIGHTLY_SKIPPED_TESTS = ["tag:skipped_at_night"]  # the staging and intermediate models' tests (dbt_project.yml)


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False  # dbt --full-refresh: incremental models rebuilt from nothing


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ZhongcaoTranslator(),
)
def zhongcao_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse_lock: WarehouseLock, config: DbtBuildConfig
):
    settings = Settings.from_env()
    settings.export_for_subprocesses()
    # A run without partitions (a model materialised by hand) builds every day.
    start, end = partition_range(context) or (FIRST_DAY, FIRST_DAY)
    built_state = settings.home / "dbt" / BUILT_STATE
    with retry_transient(context):
        con = connect(settings)
    try:
        window = plan_window(con, context.run_id, start, end, FIRST_DAY)
        kept = [] if window.full or config.full_refresh else kept_objects_exclude(built_state, con, project_manifest())
    finally:
        con.close()
    context.log.info(f"partitions {start} .. {end}; dbt rebuilds {window.describe()}")
    args = ["build"]
    if not window.full:
        # A night rebuilds a few days: the tests of the staging views and intermediate models
        # would re-read the whole history (half of a large night's dbt time); the raw tables
        # had their GX suites on the run's days, the marts keep their tests. Full builds run all.
        args += ["--exclude", " ".join(NIGHTLY_SKIPPED_TESTS + kept)]  # one argument: dagster-dbt reads it
    if kept:
        args += keeping_args(built_state)
        context.log.info(f"left as they are: views and seeds unchanged since the last build of every model ({kept})")
    if config.full_refresh:
        args.append("--full-refresh")
    op_name = context.op_execution_context.op.name
    prune_run_targets(dbt_project.project_dir / dbt_project.target_path, op_name)
    saved_parse = settings.home / "dbt" / PARTIAL_PARSE_FILE
    target = run_target(op_name, context.run_id, saved_parse)
    with retry_transient(context):
        with environment(window.dbt_environment()):
            invocation = dbt.cli(args, context=context, target_path=target)
        yield from invocation.stream()
    save_partial_parse(target, saved_parse)
    if context.selected_asset_keys == context.assets_def.keys:
        # Only a build of every model settles the pending days (a subset may skip their models)
        # and tells what the warehouse's views and seeds were built from.
        con = connect(settings)
        try:
            finish_window(con, context.run_id)
            save_built_state(target, built_state, con)
        finally:
            con.close()
