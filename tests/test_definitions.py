"""Loading the code location: a broken import or a renamed asset fails here first."""

import dagster as dg

from dagster_project.definitions import defs


def test_asset_keys_snapshot():
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    assert keys == [
        "marts/mart_funnel_daily",
        "publish",
        "staging/stg_tmall__orders",
        "staging/stg_xiaohongshu__juguang_ads",
        "tmall/orders",
        "xiaohongshu/juguang_ads",
    ]


def test_gx_checks_are_blocking_and_cover_raw_and_marts():
    checks = {}
    for definition in defs.asset_checks or []:
        for spec in definition.check_specs:
            checks[spec.name] = spec
    gx = {name: spec for name, spec in checks.items() if name.startswith("gx_")}
    assert {name: spec.asset_key.to_user_string() for name, spec in gx.items()} == {
        "gx_tmall__orders": "tmall/orders",
        "gx_xiaohongshu__juguang_ads": "xiaohongshu/juguang_ads",
        "gx_mart_funnel_daily": "marts/mart_funnel_daily",
    }
    assert all(spec.blocking for spec in gx.values())


def test_publish_depends_on_every_mart_and_dbt_sources_join_raw_loads():
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("publish")).parent_keys == {dg.AssetKey(["marts", "mart_funnel_daily"])}
    assert dg.AssetKey(["tmall", "orders"]) in graph.get(dg.AssetKey(["staging", "stg_tmall__orders"])).parent_keys
    assert defs.resolve_job_def("main") is not None
