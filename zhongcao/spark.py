"""The dbt project on Apache Spark (the `spark` target, dbt-spark in session mode), and the check
that its public marts equal DuckDB's.

    zhongcao spark     # the warehouse's raw tables → Parquet → dbt on Spark → compare with DuckDB's marts

A build here is what it would be on a cluster's driver: dbt-spark's session mode runs a local
Spark inside the dbt process. Two things dbt-spark leaves to us:
- Python models: dbt-spark submits them to Databricks only. `session` runs the compiled model
  in this process against the active SparkSession (the data-driven attribution fit is the one
  Python model; it reads a few hundred counted rows, whatever the data size).
- Increments: Parquet tables have no DELETE, so the spark target builds in full
  (`--full-refresh`, enforced by the project's on-run-start hook).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from zhongcao.config import DBT_PROJECT_DIR, Settings
from zhongcao.publish import published_models
from zhongcao.rawparquet import export_source_tables
from zhongcao.sqltext import ident, literal

# Hash values (dbt macro hash64): DuckDB's hash and Spark's xxhash64 differ, so these columns
# are compared by their number of distinct values, not by value.
ENGINE_SPECIFIC_COLUMNS = {"touchpoint_key"}
# Doubles (shares, rates) may differ in the last bits between the engines' math libraries.
DOUBLE_DIGITS = 9


def spark_dir(settings: Settings) -> Path:
    return settings.home / "spark"


def raw_dir(settings: Settings) -> Path:
    """Where the spark target reads the raw tables: the loaders' Parquet when they write it."""
    return settings.raw_parquet_dir or spark_dir(settings) / "raw"


def _session_python_helper():
    from dbt.adapters.base import PythonJobHelper

    class SessionPythonJobHelper(PythonJobHelper):
        """Runs a compiled Python model in this process, on the SparkSession dbt-spark opened."""

        def __init__(self, parsed_model: dict, credentials) -> None:
            self.name = parsed_model["alias"]

        def submit(self, compiled_code: str):
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.getOrCreate()
            exec(compile(compiled_code, f"<dbt python model {self.name}>", "exec"), {"spark": spark})

    return SessionPythonJobHelper


def _enable_session_python_models() -> None:
    from dbt.adapters.spark.impl import SparkAdapter

    helpers = {**SparkAdapter.python_submission_helpers.fget(None), "session": _session_python_helper()}
    SparkAdapter.python_submission_helpers = property(lambda self: helpers)
    SparkAdapter.default_python_submission_method = property(lambda self: "session")


def run_dbt(settings: Settings, args: list[str], log: Callable[[str], None] = print) -> None:
    """`dbt <args>` on the spark target, in this process. Raises on failure."""
    from dbt.cli.main import dbtRunner

    _enable_session_python_models()
    target = spark_dir(settings) / "target"
    # dbt/profiles.yml and the source hook read these (the Spark session reads them once).
    os.environ["ZHONGCAO_SPARK_DIR"] = str(spark_dir(settings))
    os.environ["ZHONGCAO_RAW_PARQUET_DIR"] = str(raw_dir(settings))
    command = [
        *args,
        "--target",
        "spark",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]
    log(f"==> dbt {' '.join(args)} (spark target)")
    result = dbtRunner().invoke(command)
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(args)} failed on Spark: {result.exception or 'see the log above'}")


@dataclass(frozen=True)
class MartComparison:
    name: str
    duckdb_rows: int
    spark_rows: int
    only_in_duckdb: int
    only_in_spark: int
    problems: tuple[str, ...] = ()

    @property
    def equal(self) -> bool:
        return not self.problems and self.only_in_duckdb == 0 and self.only_in_spark == 0


def _comparable(column: str, data_type: str) -> str:
    if data_type in ("DOUBLE", "FLOAT"):
        return f"round({ident(column)}, {DOUBLE_DIGITS}) as {ident(column)}"
    return ident(column)


def compare_marts(settings: Settings, export_dir: Path, log: Callable[[str], None] = print) -> list[MartComparison]:
    """Each public mart as Spark built it (Parquet under export_dir) against the DuckDB
    warehouse's: the same columns, and the same rows as multisets, money to the cent."""
    models = published_models(spark_dir(settings) / "target" / "manifest.json")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    results = []
    try:
        for model in sorted(models, key=lambda m: m.name):
            relation = f"{ident(model.schema)}.{ident(model.name)}"
            spark_files = literal(str(export_dir / model.name / "*.parquet"))
            ours = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [model.schema, model.name],
            ).fetchall()
            theirs = [row[0] for row in con.execute(f"describe select * from read_parquet({spark_files})").fetchall()]
            problems = []
            # Column order is not compared: DuckDB's contracts put columns in their YAML order.
            if {name for name, _ in ours} != set(theirs):
                problems.append(f"columns differ: duckdb {sorted(n for n, _ in ours)} vs spark {sorted(theirs)}")
            # The dbt invocation that wrote a row differs between any two builds.
            compared = [(name, kind) for name, kind in ours if name in theirs and name != model.run_column]
            for name in sorted(ENGINE_SPECIFIC_COLUMNS & {n for n, _ in compared}):
                # Another hash function relabels the keys one to one: as many distinct values.
                distinct = [
                    con.execute(f"select count(distinct {ident(name)}) from {source}").fetchone()[0]
                    for source in (relation, f"read_parquet({spark_files})")
                ]
                if distinct[0] != distinct[1]:
                    problems.append(f"{name}: {distinct[0]:,} distinct values in duckdb, {distinct[1]:,} in spark")
            values = ", ".join(_comparable(n, k) for n, k in compared if n not in ENGINE_SPECIFIC_COLUMNS)
            duckdb_rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
            spark_rows = con.execute(f"select count(*) from read_parquet({spark_files})").fetchone()[0]
            only_duckdb = con.execute(
                f"select count(*) from (select {values} from {relation} "
                f"except all select {values} from read_parquet({spark_files}))"
            ).fetchone()[0]
            only_spark = con.execute(
                f"select count(*) from (select {values} from read_parquet({spark_files}) "
                f"except all select {values} from {relation})"
            ).fetchone()[0]
            outcome = MartComparison(model.name, duckdb_rows, spark_rows, only_duckdb, only_spark, tuple(problems))
            results.append(outcome)
            status = "equal" if outcome.equal else "DIFFERENT"
            log(
                f"  {model.name:<32} duckdb {duckdb_rows:>8,} rows  spark {spark_rows:>8,} rows  {status}"
                + (f" (only in duckdb {only_duckdb:,}, only in spark {only_spark:,})" if not outcome.equal else "")
                + "".join(f"; {p}" for p in problems)
            )
    finally:
        con.close()
    return results


def export_spark_marts(settings: Settings, export_dir: Path) -> None:
    """Every public mart the spark build made, as Parquet (read by compare_marts)."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    shutil.rmtree(export_dir, ignore_errors=True)
    for model in published_models(spark_dir(settings) / "target" / "manifest.json"):
        spark.table(f"{model.schema}.{model.name}").write.parquet(str(export_dir / model.name))


@contextmanager
def _timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[step] = time.perf_counter() - started


def build_and_compare(
    settings: Settings, log: Callable[[str], None] = print, seconds: dict[str, float] | None = None
) -> list[MartComparison]:
    """The DuckDB warehouse must be built (zhongcao run): its raw tables go to Parquet, the
    project is built on Spark from them, and every public mart is compared with DuckDB's.
    `seconds`, when given, receives each step's wall time (bench/spark_vs_duckdb.py)."""
    seconds = {} if seconds is None else seconds
    with _timed(seconds, "raw tables → Parquet"):
        con = duckdb.connect(str(settings.warehouse), read_only=True)
        try:
            export_source_tables(con, raw_dir(settings), log=lambda _: None)
        finally:
            con.close()
    log(f"raw tables → Parquet in {raw_dir(settings)} ({seconds['raw tables → Parquet']:.1f} s)")
    with _timed(seconds, "Spark: dbt seed + run --full-refresh"):
        run_dbt(settings, ["seed", "--full-refresh"], log)
        run_dbt(settings, ["run", "--full-refresh"], log)
    log(f"Spark build: {seconds['Spark: dbt seed + run --full-refresh']:.1f} s")
    export_dir = spark_dir(settings) / "marts"
    with _timed(seconds, "compare the public marts"):
        export_spark_marts(settings, export_dir)
        log("public marts, Spark against DuckDB:")
        return compare_marts(settings, export_dir, log)
