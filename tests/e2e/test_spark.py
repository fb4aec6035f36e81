"""Issue 9: the same dbt project on Apache Spark, each public mart compared with DuckDB's.

Opt-in (marker `spark`, deselected by default): `./zc spark-test` installs the spark extras and
Java, then runs it. About three minutes on the sample: Spark's start-up and 70 models.
"""

import pytest

from zhongcao.spark import build_and_compare

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

# Marts Spark does not yet build to the cent, and why (docs/spark.md, "What differs"). The test
# fails when one of them starts to match (take it off the list) or any other mart differs.
KNOWN_DIFFERENT = {
    # Shares are DuckDB DOUBLE divisions (DECIMAL / DECIMAL) but Spark DECIMAL ones, so the
    # largest-remainder allocation of marketing spend moves a cent between orders.
    "fct_order_lines": "allocation shares",
    "mart_channel_profit": "allocation shares (marketing cost per order line)",
    "mart_pnl_periods": "allocation shares (marketing cost per order line)",
    # Spark narrows SUM(credit × money) × 100 to fewer decimals before the cent apportionment.
    "mart_attribution_daily": "apportionment precision",
    "mart_attribution_roi": "apportionment precision (reads mart_attribution_daily)",
    "mart_attribution_accuracy": "apportionment precision (reads mart_attribution_daily)",
    # Money per day and cost ratios divide DECIMALs: DOUBLE in DuckDB, DECIMAL in Spark.
    "mart_market_context": "decimal division",
    "mart_funnel_daily": "decimal division",
    "mart_funnel_content_daily": "decimal division",
}


def test_public_marts_built_on_spark_equal_the_duckdb_build(built_workspace):
    results = {r.name: r for r in build_and_compare(built_workspace, log=print)}

    assert len(results) == 22
    # Every mart has the same rows on both engines, including those not yet equal to the cent.
    assert {name: (r.duckdb_rows, r.spark_rows) for name, r in results.items() if r.duckdb_rows != r.spark_rows} == {}
    assert all(not r.problems for r in results.values()), [r.problems for r in results.values() if r.problems]
    assert {name for name, r in results.items() if not r.equal} == set(KNOWN_DIFFERENT)
    assert results["fct_touchpoints"].duckdb_rows > 70_000
    assert results["fct_attribution_credits"].equal
