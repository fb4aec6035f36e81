"""Great Expectations 1.x validations of DuckDB tables, driven by the JSON suites in expectations/.

Each expectation may carry `"meta": {"severity": "warn"}`; everything else is an error.
An error-level failure fails the suite (and blocks publication); a warn-level failure is
recorded and shown but lets the data through.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from zhongcao.config import EXPECTATIONS_DIR
from zhongcao.sqltext import ident, literal

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

MAX_EXAMPLES = 5

# What a Session needs imported: Great Expectations, and the parts of it it imports lazily.
GX_MODULES = (
    "great_expectations",
    "great_expectations.data_context.types.base",
    "great_expectations.execution_engine.pandas_execution_engine",
)


def import_gx_in_background() -> threading.Thread:
    """Import Great Expectations on a daemon thread: 2.5 s of Python the first check of a run
    would wait for. The load step starts it; its work is mostly DuckDB's, which releases the
    GIL, so the import runs on the core the load leaves idle (a night's first GX check went
    from 2.7 to 0.2 s, its load from 2.3 to 3.3 s). A check that comes first waits for the
    module's import lock, as with any import."""

    def import_all() -> None:
        for module in GX_MODULES:
            importlib.import_module(module)

    thread = threading.Thread(target=import_all, name="import-great-expectations", daemon=True)
    thread.start()
    return thread


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
    check: str | None = None  # the derived check (meta.derived) that failed, if not the table itself

    def describe(self, table: str) -> str:
        where = f"{table}.{self.column}" if self.column else table
        if self.check:
            where = f"{table} [{self.check}]" + (f".{self.column}" if self.column else "")
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
    scope: str = "every row"  # which rows were checked, for the check's metadata

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
            return f"{self.suite.qualified_table}: all {self.evaluated} expectations passed on {self.rows} rows" + (
                "" if self.scope == "every row" else f" ({self.scope})"
            )
        lines = [f.describe(self.suite.qualified_table) + f" [{f.severity}]" for f in self.failures]
        return "\n".join(lines)


def discover_suites(directory: Path = EXPECTATIONS_DIR) -> list[Suite]:
    return [
        Suite(path=path, layer=path.parent.name, table=path.stem)
        for layer in ("raw", "marts")
        for path in sorted((directory / layer).glob("*.json"))
    ]


class Session:
    """One GX ephemeral context per run: every validation of the run is kept in it, so one Data
    Docs site (`docs_dir`) shows the whole run. Without `docs_dir` nothing is written."""

    def __init__(self, docs_dir: Path | None = None):
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )
        from great_expectations.execution_engine import pandas_execution_engine

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            analytics_enabled=False,
        )
        # GX fingerprints every pandas batch by hashing all its values whenever the frame's shallow
        # size is under HASH_THRESHOLD (1 GB), which ours always are. The fingerprint is only a
        # batch marker in the results, nothing validates against it, yet it took 2.9 of 4.5 s of a
        # 2 M-row fct_touchpoints validation; the large world's full checks went 191 -> 103 s.
        # GX is pinned; tests/quality asserts the constant still exists and no fingerprint is made.
        pandas_execution_engine.HASH_THRESHOLD = 0
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.docs_dir = docs_dir
        if docs_dir is not None:
            self.context.add_data_docs_site(
                "zhongcao",
                {
                    "class_name": "SiteBuilder",
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        source = self.context.data_sources.add_pandas("duckdb_frames")
        self.batch_definition = source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")
        self.validations = 0
        self.any_failed = False

    def validate(self, frame: pd.DataFrame, definition: dict[str, Any]):
        gx = self.gx
        self.validations += 1
        suite = self.context.suites.add_or_update(gx.ExpectationSuite(**definition))
        name = f"{definition['name']} #{self.validations}"
        validation = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=self.batch_definition, suite=suite)
        )
        # Run directly, not through a Checkpoint: one with no actions adds nothing to the result
        # (stored for the Data Docs either way) but re-checks and re-serialises its definitions,
        # about 15 % of a small suite's validation.
        return validation.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": MAX_EXAMPLES},
        )

    def _stores(self) -> dict[str, Any]:
        """What the Data Docs are rendered from: the suites and the validation results."""
        return {
            "suites": self.context.expectations_store.store_backend,
            "results": self.context.validation_results_store.store_backend,
        }

    def stored_keys(self) -> set[tuple[str, tuple]]:
        return {
            (store, key)
            for store, backend in self._stores().items()
            for key in backend.list_keys()
            if key != backend.STORE_BACKEND_ID_KEY
        }

    def stored_since(self, keys: set[tuple[str, tuple]]) -> list[tuple[str, tuple, str]]:
        """The suites and results stored since `keys` were, as the stores hold them (JSON text)."""
        backends = self._stores()
        return [(store, key, backends[store].get(key)) for store, key in self.stored_keys() - keys]

    def absorb(self, entries: list[tuple[str, tuple, str]]) -> None:
        """Store what another session (a worker's, in another process) stored,
        so this session's Data Docs show those validations too."""
        backends = self._stores()
        for store, key, value in entries:
            backends[store].set(key, value)

    def build_docs(self) -> Path | None:
        """Render the run's Data Docs (one page per validation and an index); the index path."""
        if self.docs_dir is None:
            return None
        self.context.build_data_docs()
        return self.docs_dir / "index.html"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _check_severities(suite: Suite, expectations: list[dict[str, Any]]) -> None:
    for expectation in expectations:
        severity = (expectation.get("meta") or {}).get("severity", "error")
        if severity not in ("error", "warn"):
            raise ValueError(f"{suite.path}: severity must be 'error' or 'warn', not {severity!r}")


def _applicable_rows(item) -> int:
    """The rows a share ("mostly") is taken over: all of them for not-null, else the non-null ones."""
    details = item.result or {}
    rows = details.get("element_count") or 0
    if item.expectation_config.type != "expect_column_values_to_not_be_null":
        rows -= details.get("missing_count") or 0
    return rows


def _failures(result, check: str | None, skip=lambda config: False) -> list[Failure]:
    failures = []
    for item in result.results:
        if item.success or skip(item.expectation_config):
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
                check=check,
            )
        )
    return failures


_SESSIONS: dict[str, Session] = {}


def run_session(run_id: str, docs_root: Path) -> Session:
    """The Session of a Dagster run (its checks run in one process, one after another), with
    its Data Docs under docs_root/<run id>; the Data Docs of all but the last 20 runs are removed."""
    if run_id not in _SESSIONS:
        for stale in sorted(docs_root.glob("*"), key=lambda p: p.stat().st_mtime)[:-19] if docs_root.exists() else []:
            shutil.rmtree(stale, ignore_errors=True)
        while len(_SESSIONS) >= 4:  # a long-lived process (the UI, a test run) runs many jobs
            _SESSIONS.pop(next(iter(_SESSIONS)))
        docs_root.mkdir(parents=True, exist_ok=True)
        _SESSIONS[run_id] = Session(docs_root / run_id)
    return _SESSIONS[run_id]


# Whole-table expectations that say nothing about a slice of days: a scoped run skips them (a
# day without rows is the freshness check's business, and row-count bounds hold for the table).
WHOLE_TABLE_ONLY = {"expect_table_row_count_to_be_between"}
# Expectations on the table's column names, not on its values: checked once on a frame with no rows.
COLUMN_NAMES_ONLY = {
    "expect_table_columns_to_match_ordered_list",
    "expect_table_columns_to_match_set",
    "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between",
    "expect_column_to_exist",
}
# Rows GX validates at once: pandas holds them as Python objects (50 M data-bank events in one
# frame took more than 20 GB), so a suite with a partition column is validated in slices of days.
CHUNK_ROWS = 2_000_000
# GX on pandas needs about 2-3 s per million rows here, the fetch included: outside a run's own
# days (a full build), a partitioned table bigger than this is checked on its most recent days up
# to this many rows; each day is checked in full by the nightly run that builds it (ZHONGCAO_CHECK_ROWS).
FULL_CHECK_ROWS = 5_000_000


def validate(frame: pd.DataFrame, suite: Suite, session: Session | None = None, scoped: bool = False) -> SuiteResult:
    """The suite's expectations on one frame (the table's rows, or the rows of a run's days)."""
    session = session or Session()
    definition = suite.definition()
    _check_severities(suite, definition["expectations"])
    expectations = [e for e in definition["expectations"] if not (scoped and e["type"] in WHOLE_TABLE_ONLY)]
    result = session.validate(frame, _page(definition, expectations))
    outcome = SuiteResult(suite=suite, rows=len(frame), evaluated=len(result.results), failures=_failures(result, None))
    session.any_failed |= bool(outcome.errors)
    return outcome


def _page(definition: dict[str, Any], expectations: list[dict[str, Any]], part: str = "") -> dict[str, Any]:
    """The suite as GX gets it: these expectations, `part` naming a slice of days in the Data Docs;
    meta.derived holds checks of their own (validate_table), not notes for this suite's page."""
    meta = {k: v for k, v in (definition.get("meta") or {}).items() if k != "derived"}
    name = f"{definition['name']} · {part}" if part else definition["name"]
    return definition | {"name": name, "meta": meta, "expectations": expectations}


def _merge(failures: list[Failure]) -> list[Failure]:
    """One failure per expectation and column across slices: counts add up, examples are kept."""
    merged: dict[tuple, Failure] = {}
    for failure in failures:
        key = (failure.expectation, failure.column, failure.check)
        if key not in merged:
            merged[key] = failure
            continue
        first = merged[key]
        if first.unexpected_count is not None and failure.unexpected_count is not None:
            first.unexpected_count += failure.unexpected_count
        first.examples = (first.examples + failure.examples)[:MAX_EXAMPLES]
    return list(merged.values())


def _day_slices(con, rows: str, column: str) -> list[tuple[str, str]]:
    """(label, WHERE condition) cutting `rows` into runs of whole days of at most CHUNK_ROWS rows
    (a day is never split: the grain of a partitioned table determines its day, so uniqueness
    within a slice is uniqueness within the table)."""
    day = f"cast({column} as date)"
    counts = con.execute(f"select {day} as d, count(*) from {rows} group by 1 order by 1 nulls last").fetchall()
    slices, start, end, size = [], None, None, 0
    for value, count in (c for c in counts if c[0] is not None):
        if start is not None and size + count > CHUNK_ROWS:
            slices.append((f"{start} to {end}", f"{day} between {literal(str(start))} and {literal(str(end))}"))
            start, size = None, 0
        start, end, size = start or value, value, size + count
    if start is not None:
        slices.append((f"{start} to {end}", f"{day} between {literal(str(start))} and {literal(str(end))}"))
    if any(value is None for value, _ in counts):
        slices.append(("no day", f"{column} is null"))
    return slices or [("", "false")]


def _recent_days(con, table: str, column: str, budget: int) -> tuple[date | None, date | None]:
    """The most recent days of a table holding at most `budget` rows (at least one day), or
    (None, None) when the whole table fits."""
    if con.execute(f"select count(*) from {table}").fetchone()[0] <= budget:
        return None, None
    day = f"cast({column} as date)"
    counts = con.execute(
        f"select {day}, count(*) from {table} where {column} is not null group by 1 order by 1 desc"
    ).fetchall()
    kept, first = 0, None
    for value, n in counts:
        if first is not None and kept + n > budget:
            break
        kept, first = kept + n, value
    return first, counts[0][0]


def _columns_read(expectations: list[dict[str, Any]], names: list[str]) -> list[str]:
    """The columns of `names` (in their order) that `expectations` read: those they name, and any
    a pandas row_condition mentions as a word (a superset is harmless); every column when one of
    them names none (an expectation this does not know)."""
    wanted: set[str] = set()
    for expectation in expectations:
        kwargs = expectation["kwargs"]
        named = {kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs}
        named |= set(kwargs.get("column_list") or [])
        if not named:
            return names
        wanted |= named
        if kwargs.get("row_condition"):
            wanted |= {name for name in names if re.search(rf"\b{re.escape(name)}\b", kwargs["row_condition"])}
    return [name for name in names if name in wanted]


def _validate_in_slices(
    con, suite: Suite, session: Session, rows: str, column: str | None, scoped: bool, joined_day: bool = False
) -> SuiteResult:
    """A suite on `rows`, slice by slice of days (_day_slices) of its partition `column` (one
    slice when it has none); whole-table expectations on the table's length unless `scoped` to a
    run's days. A `joined_day` column was joined in from another table for slicing; the frames GX
    sees leave it out. A slice is fetched with the columns its expectations read only (fetching
    into pandas costs about as much as validating); the column names are checked with the first
    slice, the row count with the only slice (else each on a frame of its own)."""
    definition = suite.definition()
    row_level = [e for e in definition["expectations"] if e["type"] not in WHOLE_TABLE_ONLY | COLUMN_NAMES_ONLY]
    names_only = [e for e in definition["expectations"] if e["type"] in COLUMN_NAMES_ONLY]
    whole = [e for e in definition["expectations"] if e["type"] in WHOLE_TABLE_ONLY and not scoped]
    total = con.execute(f"select count(*) from {rows}").fetchone()[0]
    outcome = SuiteResult(suite=suite, rows=total, evaluated=len(row_level) + len(names_only) + len(whole))
    names = [d[0] for d in con.execute(f"select * from {rows} limit 0").description]
    if joined_day:
        names = names[:-1]  # validate_table appends the joined day last
    columns = ", ".join(ident(name) for name in _columns_read(row_level, names))
    slices = [] if not row_level else _day_slices(con, rows, column) if column else [("", "true")]
    shares: dict[str, list] = {}  # expectation -> [its config, rows it applies to, unexpected, examples]
    for number, (label, condition) in enumerate(slices):
        frame = con.execute(f"select {columns} from {rows} where {condition}").df()
        part = label if len(slices) > 1 else ""
        expectations = row_level
        # Column names ride along with the first slice, and the row count with the only one: a
        # GX validation costs ~0.05 s before it reads a row. Columns nothing reads stay empty.
        if number == 0 and names_only:
            frame, expectations = frame.reindex(columns=names), expectations + names_only
        if len(slices) == 1:
            expectations = expectations + whole
        result = session.validate(frame, _page(definition, expectations, part))
        outcome.failures += _failures(result, None, skip=lambda config: "mostly" in config.kwargs)
        for item in result.results:
            config = item.expectation_config
            if "mostly" in config.kwargs:
                key = json.dumps([config.type, config.kwargs], sort_keys=True, default=str)
                counted = shares.setdefault(key, [config, 0, 0, []])
                counted[1] += _applicable_rows(item)
                counted[2] += (item.result or {}).get("unexpected_count") or 0
                examples = (item.result or {}).get("partial_unexpected_list") or []
                counted[3] = (counted[3] + [_plain(v) for v in examples])[:MAX_EXAMPLES]
    # Same expectation, several slices: one failure. A share ("mostly") holds for the rows as
    # a whole, not for each slice of them.
    outcome.failures = _merge(outcome.failures)
    for config, applicable, unexpected, examples in shares.values():
        if applicable and 1 - unexpected / applicable < config.kwargs["mostly"]:
            outcome.failures.append(
                Failure(
                    expectation=config.type,
                    column=config.kwargs.get("column"),
                    severity=(config.meta or {}).get("severity", "error"),
                    unexpected_count=unexpected,
                    examples=examples,
                    observed=f"{unexpected / applicable:.2%} of {applicable} rows unexpected",
                )
            )
    if names_only and not slices:
        frame = pd.DataFrame(columns=names)
        outcome.failures += _failures(session.validate(frame, _page(definition, names_only, "columns")), None)
    if whole and len(slices) != 1:  # a frame of the table's length and no columns: what a row count needs
        frame = pd.DataFrame(index=pd.RangeIndex(total))
        outcome.failures += _failures(session.validate(frame, _page(definition, whole, "rows")), None)
    return outcome


def validate_table(
    con, suite: Suite, session: Session | None = None, window=None, full_check_rows: int | None = None
) -> SuiteResult:
    """The suite on its DuckDB table, then each derived check (`meta.derived`: a query over the
    table and others, e.g. an identity that must hold per order, with expectations on its rows).

    A suite whose meta names a `partition_column` is checked in slices of whole days
    (CHUNK_ROWS) on the rows of `window`, the days a partitioned run rebuilt, so a nightly run
    validates its new days, not the whole history; without such a window (a full build), on the
    most recent days up to `full_check_rows` rows (FULL_CHECK_ROWS). A table without a day of its
    own takes it from another (`partition_via`: {"table", "key"}, e.g. order lines the creation
    time of their order). In a derived check's SQL, `{table}` is those rows and `{all_rows}` the
    whole table (a day against the week before it)."""
    session = session or Session()
    table = f"{ident(suite.layer)}.{ident(suite.table)}"
    definition = suite.definition()
    meta = definition.get("meta") or {}
    _check_severities(suite, definition["expectations"])
    column = ident(meta["partition_column"]) if meta.get("partition_column") else None
    source, via = table, meta.get("partition_via")
    if column is not None and via:
        key = ident(via["key"])
        other = ".".join(ident(part) for part in via["table"].split("."))
        source = (
            f"(select own.*, days.{column} from {table} as own "
            f"left join (select {key}, {column} from {other}) as days using ({key}))"
        )
    rows, scope = source, "every row"
    scoped = column is not None and window is not None and not window.full
    if scoped:
        first, last = window.start, window.end
        scope = f"the run's days {first} to {last}"
    elif column is not None:
        budget = full_check_rows or FULL_CHECK_ROWS
        first, last = _recent_days(con, source, column, budget)
        if first is not None:
            scope = f"the most recent days {first} to {last}, {budget:,} rows at most"
    if scope != "every row":
        rows = (
            f"(select * from {source} where cast({column} as date) "
            f"between {literal(first.isoformat())} and {literal(last.isoformat())})"
        )
    outcome = _validate_in_slices(con, suite, session, rows, column, scoped, joined_day=bool(via))
    outcome.scope = scope
    for derived in meta.get("derived", []):
        _check_severities(suite, derived["expectations"])
        result_rows = con.execute(derived["sql"].format(table=rows, all_rows=table)).df()
        result = session.validate(
            result_rows,
            {"name": f"{suite.qualified_table} · {derived['name']}", "expectations": derived["expectations"]},
        )
        outcome.evaluated += len(result.results)
        outcome.failures += _failures(result, derived["name"])
    session.any_failed |= bool(outcome.errors)
    return outcome


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
