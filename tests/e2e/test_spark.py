"""Issue 9: the same dbt project on Apache Spark, each public mart compared with DuckDB's.

Opt-in (marker `spark`, deselected by default): `./zc spark-test` installs the spark extras and
Java, then runs it. About three minutes on the sample: Spark's start-up and 70 models.
"""

import pytest

from zhongcao.spark import build_and_compare

pytestmark = [pytest.mark.e2e, pytest.mark.spark]


def test_public_marts_built_on_spark_equal_the_duckdb_build(built_workspace):
    results = {r.name: r for r in build_and_compare(built_workspace, log=print)}

    assert len(results) == 22
    different = {
        name: (r.duckdb_rows, r.spark_rows, r.only_in_duckdb, r.only_in_spark, r.problems)
        for name, r in results.items()
        if not r.equal
    }
    assert different == {}
    # Not vacuous: the comparison saw the sample's rows on both sides.
    assert results["fct_touchpoints"].spark_rows == results["fct_touchpoints"].duckdb_rows > 70_000
    assert results["fct_attribution_credits"].spark_rows > 8_000
    assert results["mart_attribution_daily"].spark_rows > 20_000
