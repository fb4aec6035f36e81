"""The publish asset: swaps a freshly written version of the BI file into place, only behind passed checks."""

from concurrent.futures import ThreadPoolExecutor

import dagster as dg

from dagster_project.defs.dbt.resources import dbt_project
from dagster_project.defs.quality.checks import SUITES
from dagster_project.defs.warehouse.partitions import daily_partitions, single_run
from dagster_project.defs.warehouse.resources import WarehouseLock
from dagster_project.defs.warehouse.retries import retry_transient
from zhongcao.config import Settings
from zhongcao.publish import export_parquet, publish, published_models
from zhongcao.quality import run_session
from zhongcao.report import write_report
from zhongcao.suite_runs import docs_root, passed_suites

PUBLISHED_MODELS = published_models(dbt_project.manifest_path)


class PublicationBlocked(Exception):
    pass


def _unpassed_suites(settings: Settings, run_id: str) -> list[str]:
    """Suites with no passing result recorded by this run (missing counts as not passed)."""
    passed = passed_suites(settings, run_id)
    return [f"{s.layer}/{s.path.name}" for s in SUITES if s.path.name not in passed]


@dg.asset(
    key="publish",
    group_name="publish",
    deps=[dg.AssetKey([m.schema, m.name]) for m in PUBLISHED_MODELS],
    kinds={"duckdb"},
    description="Writes the public marts to the BI database (ZHONGCAO_PUBLISHED, a link to the current "
    "version) by an atomic swap of the link. Runs only when every blocking check upstream passed in the "
    "same run; otherwise the current version stays in place byte for byte. A partition is published when "
    "the file holds its day.",
    partitions_def=daily_partitions,
    backfill_policy=single_run,
)
def publish_bi_database(context: dg.AssetExecutionContext, warehouse_lock: WarehouseLock) -> dg.MaterializeResult:
    settings = Settings.from_env()
    # Dagster's blocking checks already stop this step; this guards a hand-picked
    # materialisation of `publish` alone, which would otherwise skip the checks.
    with retry_transient(context):
        missing = _unpassed_suites(settings, context.run_id)
    if missing:
        raise PublicationBlocked(
            "not publishing: these quality suites did not pass in this run: "
            + ", ".join(missing)
            + ". Materialise the whole graph (or the upstream assets with their checks) instead."
        )
    session = run_session(context.run_id, docs_root(settings))
    # Rendering the Data Docs is Python work (~1 s a night), writing the BI file mostly DuckDB's:
    # side by side on the two cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-docs") as rendering:
        rendered = rendering.submit(session.build_docs)
        with retry_transient(context):
            publication = publish(settings, PUBLISHED_MODELS, context.run_id)
        context.log.info(f"published {publication.path} with {publication.tables}")
        report = write_report(publication.path, run_id=context.run_id)
        context.log.info(f"HTML report: {report}")
        docs = rendered.result()
    context.log.info(f"quality report (GX Data Docs): {docs}")
    metadata = {
        "path": dg.MetadataValue.path(str(publication.path)),
        "tables": dg.MetadataValue.json(publication.tables),
        "connect": f"duckdb.connect('{publication.path}', read_only=True)",
        "data_docs": dg.MetadataValue.path(str(docs)),
        "report": dg.MetadataValue.path(str(report)),
    }
    if settings.parquet_dir is not None:
        exported = export_parquet(publication.path, settings.parquet_dir)
        context.log.info(f"Parquet export: {len(exported)} marts in {settings.parquet_dir}")
        metadata["parquet"] = dg.MetadataValue.path(str(settings.parquet_dir))
    return dg.MaterializeResult(metadata=metadata)
