"""Wall time of the whole dbt project built on DuckDB and on a local Spark, from the same raw
tables, and whether every public mart comes out the same. Needs the spark extras
(`./zc spark` installs them).

    .venv/bin/python bench/load_landing.py /tmp/medium --home /tmp/medium-home
    .venv/bin/python bench/spark_vs_duckdb.py --landing /tmp/medium --home /tmp/medium-home

Steps, each timed: DuckDB `dbt build --full-refresh` of seeds and models (bench/build_marts.py);
the raw tables as Parquet; Spark `dbt seed` + `dbt run --full-refresh` (session mode,
ZHONGCAO_SPARK_CORES, default 2); the mart comparison. Figures, not assertions.
"""

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb  # noqa: E402
from build_marts import run_dbt as run_duckdb_dbt  # noqa: E402

from zhongcao.config import Settings  # noqa: E402
from zhongcao.ingest.truth import load_channel_truth  # noqa: E402
from zhongcao.spark import build_and_compare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="home of a loaded warehouse (bench/load_landing.py)")
    parser.add_argument("--landing", type=Path, help="landing folder whose _truth/ feeds the accuracy mart")
    args = parser.parse_args()
    os.environ["ZHONGCAO_HOME"] = str(args.home.resolve())
    settings = replace(Settings.from_env(), raw_parquet_dir=None)
    if args.landing:
        con = duckdb.connect(str(settings.warehouse))
        load_channel_truth(con, args.landing)
        con.close()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    touchpoints = con.execute("select count(*) from raw.databank__touchpoints").fetchone()[0]
    con.close()
    print(f"warehouse {settings.warehouse}: {touchpoints:,} touchpoints")

    _, wall, run = run_duckdb_dbt(settings.warehouse, "fqn:*", None, True)
    if run.returncode != 0:
        print(run.stdout[-3000:])
        sys.exit(1)
    figures = {"DuckDB: dbt build --full-refresh (no tests)": wall}
    results = build_and_compare(settings, log=print, seconds=figures)

    for label, seconds in figures.items():
        print(f"{label:<42}{seconds:>9.1f} s")
    equal = sum(r.equal for r in results)
    print(f"{equal} of {len(results)} public marts equal on both engines")


if __name__ == "__main__":
    main()
