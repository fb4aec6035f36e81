"""dbt models as Dagster assets; dbt tests become asset checks (dagster-dbt's default)."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.defs.dbt.resources import dbt_project, prepare_manifest
from zhongcao.config import Settings

prepare_manifest()


class ZhongcaoTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        # [schema, model]: marts/mart_funnel_daily reads like the table BI sees.
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("schema") or "dbt"


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=ZhongcaoTranslator())
def zhongcao_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    Settings.from_env().export_for_subprocesses()
    yield from dbt.cli(["build"], context=context).stream()
