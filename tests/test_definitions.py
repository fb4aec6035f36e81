"""Loading the code location: a broken import or a renamed asset fails here first."""

import dagster as dg

from dagster_project.definitions import defs
from zhongcao.config import DBT_PROJECT_DIR

RAW_REPORTS = [
    "alimama/ads",
    "alipay/bill",
    "bilibili/ads",
    "cainiao/bill",
    "databank/touchpoints",
    "douyin/qianchuan_ads",
    "douyin/shop_orders",
    "jd_logistics/bill",
    "merchant/products",
    "tmall/order_items",
    "tmall/orders",
    "tmall/refunds",
    "tmall/sycm_traffic",
    "wechatpay/bill",
    "weibo/ads",
    "xiaohongshu/juguang_ads",
    "xiaohongshu/note_daily",
    "xiaohongshu/pugongying_orders",
    "xiaohongshu/xiaohongxing",
    "zhihu/ads",
]

MARTS = [
    "dim_person_identifiers",
    "fct_touchpoints",
    "mart_funnel_daily",
    "mart_funnel_content_daily",
    "fct_orders",
    "mart_aipl_daily",
    "mart_aipl_flows_daily",
    "dim_buyers",
    "mart_repurchase_curves",
    "mart_search_lift",
    "fct_attribution_credits",
    "mart_attribution_daily",
    "mart_attribution_roi",
    "mart_platform_claims",
    "mart_attribution_accuracy",
    "dim_calendar",
    "fct_order_lines",
    "fct_settlement_checks",
    "mart_pnl_periods",
    "mart_channel_profit",
    "mart_cohort_unit_economics",
    "mart_market_context",
]
INTERMEDIATE = [
    "int_attribution__affected_paid_dates",
    "int_attribution__cells",
    "int_attribution__data_driven_weights",
    "int_attribution__non_converting_paths",
    "int_attribution__order_touches",
    "int_attribution__path_credits",
    "int_attribution__order_channel_credits",
    "int_attribution__paths",
    "int_attribution__recredited_orders",
    "int_attribution__touchable",
    "int_attribution__touches",
    "int_finance__order_costs",
    "int_finance__order_marketing",
    "int_aipl__state_entries",
    "int_aipl__transitions",
    "int_funnel__brand_searches",
    "int_funnel__daily_measures",
    "int_funnel__daily_touchpoint_measures",
    "int_funnel__first_exposures",
    "int_funnel__person_first_touches",
    "int_identity__click_links",
    "int_identity__databank_clicks",
    "int_identity__databank_oneids",
    "int_logistics__waybills",
    "int_marketing__daily_spend",
    "int_marketing__monthly_spend",
    "int_payments__bills_by_order",
    "int_sales__changed_orders",
    "int_sales__first_clicks",
    "int_sales__order_lines",
    "int_sales__orders",
]


def test_asset_keys_snapshot():
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    assert keys == sorted(
        [
            *(f"intermediate/{name}" for name in INTERMEDIATE),
            *(f"marts/{name}" for name in MARTS),
            "publish",
            *(f"staging/stg_{key.replace('/', '__')}" for key in RAW_REPORTS),
            "staging/stg_truth__channel_incremental_revenue",
            "truth/channel_incremental_revenue",
            *(
                f"reference/{seed}"
                for seed in ("attribution_channels", "commission_rates", "market_context", "payment_fee_rates")
            ),
            *RAW_REPORTS,
        ]
    )


def test_gx_checks_are_blocking_and_cover_raw_and_marts():
    checks = {}
    for definition in defs.asset_checks or []:
        for spec in definition.check_specs:
            checks[spec.name] = spec
    gx = {name: spec for name, spec in checks.items() if name.startswith("gx_")}
    assert {name: spec.asset_key.to_user_string() for name, spec in gx.items()} == {
        **{f"gx_{key.replace('/', '__')}": key for key in RAW_REPORTS},
        **{f"gx_{name}": f"marts/{name}" for name in MARTS},
    }
    assert all(spec.blocking for spec in gx.values())


def test_publish_depends_on_every_mart_and_dbt_sources_join_raw_loads():
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("publish")).parent_keys == {dg.AssetKey(["marts", name]) for name in MARTS}
    assert dg.AssetKey(["tmall", "orders"]) in graph.get(dg.AssetKey(["staging", "stg_tmall__orders"])).parent_keys
    assert defs.resolve_job_def("main") is not None


def test_nightly_automation_partitions_and_guards():
    job = defs.resolve_job_def("main")
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert (partitions.timezone, partitions.start.date().isoformat()) == ("Asia/Shanghai", "2026-10-01")
    schedule = defs.resolve_schedule_def("nightly")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 2 * * *",
        "Asia/Shanghai",
        "main",
    )
    assert defs.resolve_sensor_def("landing_sensor").job_name == "main"
    graph = defs.resolve_asset_graph()
    partitioned = sorted(k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_partitioned)
    assert partitioned == sorted([*RAW_REPORTS, "publish"])
    freshness = sorted(
        spec.asset_key.to_user_string()
        for definition in defs.asset_checks
        for spec in definition.check_specs
        if spec.name == "freshness"
    )
    assert freshness == sorted(
        set(RAW_REPORTS)
        - {"merchant/products", "tmall/order_items", "tmall/refunds", "wechatpay/bill"}
        - {"xiaohongshu/pugongying_orders"}
    )
    assert not any(spec.blocking for d in defs.asset_checks for spec in d.check_specs if spec.name == "freshness")
    # Every step takes the warehouse lock, whichever steps a run selects.
    for node in job.graph.node_defs:
        assert "warehouse_lock" in node.required_resource_keys, node.name


def test_every_singular_dbt_test_is_a_check_of_a_mart():
    """A singular test reading several models is an asset check only when its meta names the
    asset (dagster-dbt logs it as a mere observation otherwise): the tie-outs show in the UI."""
    singular = {path.stem for path in (DBT_PROJECT_DIR / "tests" / "singular").glob("*.sql")}
    checks = {
        spec.name: spec.asset_key
        for definition in defs.assets
        if isinstance(definition, dg.AssetsDefinition)
        for spec in definition.check_specs
    }
    assert singular <= checks.keys(), singular - checks.keys()
    assert {checks[name].path[0] for name in singular} == {"marts"}
