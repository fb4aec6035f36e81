"""Great Expectations 1.x validations of DuckDB tables, driven by the JSON suites in expectations/.

Each expectation may carry `"meta": {"severity": "warn"}`; everything else is an error.
An error-level failure fails the suite (and blocks publication); a warn-level failure is
recorded and shown but lets the data through.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from zhongcao.config import EXPECTATIONS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Suite:
    path: Path
    layer: str  # raw | marts
    table: str  # table name inside the layer's schema

    @property
    def qualified_table(self) -> str:
        return f"{self.layer}.{self.table}"

    def definition(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))


@dataclass
class Failure:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    examples: list[Any]
    observed: Any = None

    def describe(self, table: str) -> str:
        where = f"{table}.{self.column}" if self.column else table
        text = f"{where}: {self.expectation} failed"
        if self.unexpected_count is not None:
            text += f" on {self.unexpected_count} row(s)"
        if self.examples:
            text += f", e.g. {', '.join(repr(e) for e in self.examples)}"
        elif self.observed is not None:
            text += f" (observed {self.observed!r})"
        return text


@dataclass
class SuiteResult:
    suite: Suite
    rows: int
    evaluated: int
    failures: list[Failure] = field(default_factory=list)

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "warn"]

    @property
    def passed(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.failures:
            return f"{self.suite.qualified_table}: all {self.evaluated} expectations passed on {self.rows} rows"
        lines = [f.describe(self.suite.qualified_table) + f" [{f.severity}]" for f in self.failures]
        return "\n".join(lines)


def discover_suites(directory: Path = EXPECTATIONS_DIR) -> list[Suite]:
    return [
        Suite(path=path, layer=path.parent.name, table=path.stem)
        for layer in ("raw", "marts")
        for path in sorted((directory / layer).glob("*.json"))
    ]


@cache
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_pandas("duckdb_frames")
    asset = source.add_dataframe_asset("frame")
    return gx, asset.add_batch_definition_whole_dataframe("whole_frame")


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def validate(frame: pd.DataFrame, suite: Suite) -> SuiteResult:
    gx, batch_definition = _context()
    definition = suite.definition()
    severities = [(e.get("meta") or {}).get("severity", "error") for e in definition["expectations"]]
    for severity in severities:
        if severity not in ("error", "warn"):
            raise ValueError(f"{suite.path}: severity must be 'error' or 'warn', not {severity!r}")
    expectation_suite = gx.ExpectationSuite(**definition)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        expectation_suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": MAX_EXAMPLES}
    )
    failures = []
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or (
            f"{kwargs['column_A']}/{kwargs['column_B']}" if "column_A" in kwargs else None
        )
        details = item.result or {}
        exception = (item.exception_info or {}).get("exception_message")
        failures.append(
            Failure(
                expectation=config.type,
                column=column,
                severity=(config.meta or {}).get("severity", "error"),
                unexpected_count=details.get("unexpected_count"),
                examples=[_plain(v) for v in (details.get("partial_unexpected_list") or [])][:MAX_EXAMPLES],
                observed=_plain(details.get("observed_value")) if exception is None else exception,
            )
        )
    return SuiteResult(suite=suite, rows=len(frame), evaluated=len(result.results), failures=failures)


def scaffold_suite(contract) -> dict[str, Any]:
    """A starting GX suite for a new raw report, derived from its contract; edit and commit it.

    It repeats what the loader enforces (a second line of defence if the loader changes) and
    leaves cross-column rules, volume bounds and warn-level plausibility checks to the author.
    """
    expectations: list[dict[str, Any]] = [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ]
    grain = [contract.column(g).stored_name for g in contract.grain]
    if len(grain) == 1:
        expectations.append({"type": "expect_column_values_to_be_unique", "kwargs": {"column": grain[0]}})
    else:
        expectations.append({"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": grain}})
    for col in contract.columns:
        name = col.stored_name
        if col.not_null:
            expectations.append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": name}})
        if col.type in ("int", "money", "decimal", "percent") and not col.signed:
            expectations.append(
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": name, "min_value": 0}}
            )
        if col.accepted:
            expectations.append(
                {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": name, "value_set": list(col.accepted)},
                }
            )
        if col.pii == "hash":
            expectations.append(
                {"type": "expect_column_values_to_match_regex", "kwargs": {"column": name, "regex": "^[0-9a-f]{32}$"}}
            )
    return {"name": f"raw.{contract.table}", "meta": {"notes": contract.description}, "expectations": expectations}
