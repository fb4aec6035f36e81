"""Load landing-folder exports into DuckDB's `raw` schema, driven by the contracts.

Per file, in one transaction (a crash leaves nothing half-loaded):
  byte-identical to a file seen before -> recorded as a duplicate delivery, nothing changes;
  refused by the reader               -> logged with file, line and reason, moved to quarantine;
  otherwise DuckDB parses the rows (an exact Python path takes over where it cannot number
  them), values are typed set-wise in SQL, bad values go to `meta.rejects`, good rows
  replace the rows of the business dates the file covers (when it is the newest file for
  those dates) and the outcome is written to `meta.load_files`.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from zhongcao.config import Settings
from zhongcao.ingest.contracts import Column, Contract, load_contracts
from zhongcao.ingest.reader import FileRefused, ParsedFile, RowProblem, read_export
from zhongcao.sqltext import ident, literal
from zhongcao.windows import WINDOWS_DDL, record_pending

META_DDL = """
create schema if not exists raw;
create schema if not exists meta;
create table if not exists meta.load_files (
    platform varchar not null,
    report varchar not null,
    file_name varchar not null,        -- path relative to the landing folder
    file_sha256 varchar not null,
    size_bytes bigint,
    modified_at timestamp,             -- the file's mtime: newer files supersede older ones
    status varchar not null,           -- loaded | duplicate | refused
    refused_line integer,
    reason varchar,
    encoding varchar,
    rows_in_file bigint,
    rows_loaded bigint,
    rows_rejected bigint,
    rows_duplicate bigint,             -- identical copies of a row within the file, kept once
    rows_older bigint,                 -- rows for dates a newer file already covers
    dates_covered varchar,
    schema_drift varchar,
    loaded_at timestamp not null
);
create table if not exists meta.rejects (
    platform varchar not null,
    report varchar not null,
    file_name varchar not null,
    file_sha256 varchar not null,
    line integer not null,
    column_name varchar,
    raw_value varchar,                 -- PII columns hold the keyed hash, never the value
    reason varchar not null,
    loaded_at timestamp not null
);
create table if not exists meta.supersessions (
    platform varchar not null,
    report varchar not null,
    covered_key varchar not null,      -- business date (or key, for reports without dates)
    old_file_sha256 varchar not null,
    new_file_sha256 varchar not null,
    rows_replaced bigint not null,
    superseded_at timestamp not null
);
"""

LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),
    ("_file_sha256", "VARCHAR"),
    ("_row_number", "INTEGER"),
    ("_loaded_at", "TIMESTAMP"),
)

SCIENTIFIC_ID = r"[+-]?[0-9]+(\.[0-9]+)?[eE][+-][0-9]+"  # how Excel rewrites long ids: 2.98765E+18

# Value parsing as SQL macros: vectorised in DuckDB, one definition for every contract.
MACROS = """
-- NULLIF and CASE copy their argument once per use, and CASE branches get no common
-- subexpression elimination: a filter over a one-element list names the value only once.
create or replace temp macro zc_null_token(x) as list_filter([x], lambda t: t not in ('', '-', '--'))[1];
-- Leading/trailing blanks (incl. U+3000, U+00A0), a WeChat backtick, an Excel ="…" wrapper.
create or replace temp macro zc_unwrap(v) as zc_null_token(regexp_replace(v,
    '^[\\s\\x{3000}\\x{a0}]*`?[\\s\\x{3000}\\x{a0}]*(?:="[\\s\\x{3000}]*(.*?)[\\s\\x{3000}]*"|(.*?))[\\s\\x{3000}\\x{a0}]*$',
    '\\1\\2', 's'));
-- Most cells need no cleaning: test the first and last character (ord is the cheapest test
-- DuckDB has) before paying for the regex. Two quirks make most of the cells that do, and each
-- has an exact cheap form (the regex's result whenever the value inside is not itself padded):
-- a tab after the value (Alipay, WeChat Pay: every cell of 5 M ledger lines) and Excel's ="…"
-- (Tmall's ids). The regex took 4/5 of the time of loading an Alipay ledger.
create or replace temp macro zc_blank(c) as c in (9, 10, 11, 12, 13, 32, 12288, 160);
create or replace temp macro zc_clean(v) as case
    when v in ('', '-', '--') then null
    when not (ord(v) in (96, 61, 32, 9, 12288, 160) or ord(v[-1]) in (32, 9, 10, 13, 12288, 160)) then v
    when ord(v[-1]) = 9 and not (ord(v) in (96, 61) or zc_blank(ord(v)) or zc_blank(ord(v[-2])))
    then zc_null_token(left(v, -1))
    when starts_with(v, '="') and ends_with(v, '"') and length(v) > 3
        and not (zc_blank(ord(v[3])) or zc_blank(ord(v[-2])))
    then zc_null_token(v[3:-2])
    else zc_unwrap(v)
end;
create or replace temp macro zc_province(v) as
    nullif(regexp_extract(v, '^(.+?(?:特别行政区|自治区|省|市))', 1), '');
create or replace temp macro zc_number_text(v) as regexp_replace(v, '[¥￥,\\s]', '', 'g');
create or replace temp macro zc_date_text(v) as replace(
    regexp_replace(
        regexp_replace(v, '^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日', '\\1-\\2-\\3'),
        '^([0-9]{4})([0-9]{2})([0-9]{2})( .*)?$', '\\1-\\2-\\3\\4'),
    '/', '-');
-- The common ISO form first: one strptime instead of four regex passes.
create or replace temp macro zc_timestamp(v) as coalesce(try_strptime(v, '%Y-%m-%d %H:%M:%S'), zc_timestamp_any(v));
create or replace temp macro zc_timestamp_any(v) as case
    when regexp_full_match(zc_date_text(v),
        '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?')
    then try_strptime(zc_date_text(v), ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d'])
end;
create or replace temp macro zc_int(v) as case
    when regexp_full_match(zc_number_text(v), '[+-]?[0-9]+')
    then try_cast(zc_number_text(v) as bigint)
end;
create or replace temp macro zc_percent(v) as case
    when regexp_full_match(zc_number_text(v), '[+-]?[0-9]+(\\.[0-9]+)?%')
    then try_cast(replace(zc_number_text(v), '%', '') as decimal(18, 8)) / 100
    when regexp_full_match(zc_number_text(v), '[+-]?[0-9]+(\\.[0-9]+)?')
    then try_cast(zc_number_text(v) as decimal(18, 8))
end;
"""


def pii_macro(key: bytes) -> str:
    """HMAC-SHA256 in SQL (hex, first 32 chars): identical to reader.pii_hash for the same key."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in block).hex()
    outer = bytes(b ^ 0x5C for b in block).hex()
    return (
        "create or replace temp macro zc_pii_hash(v) as "
        f"left(sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode(v)))), 32);"
    )


def _temp_kind(con, name: str) -> str | None:
    """'view' or 'table' for a temp relation of that name, None when there is none."""
    kind = con.execute(
        "select table_type from information_schema.tables where table_name = ? and table_schema = 'main' "
        "and table_catalog = 'temp'",
        [name],
    ).fetchone()
    return None if kind is None else "view" if kind[0] == "VIEW" else "table"


def _drop_temp(con, *names: str) -> None:
    """Drop temp tables or views by name, whichever each one is."""
    for name in names:
        if kind := _temp_kind(con, name):
            con.execute(f"drop {kind} {ident(name)}")


def _rename_temp(con, old: str, new: str) -> None:
    con.execute(f"alter {_temp_kind(con, old)} {ident(old)} rename to {ident(new)}")


# A file's working relations in the temp schema, dropped after every file whatever happened.
WORK_RELATIONS = ("zc_typed", "zc_good", "zc_incoming", "zc_region", "zc_csv_errors", "zc_csv_scans")


class _UncheckedBytes(Exception):
    """DuckDB met bytes that are not UTF-8 past the head the reader checked."""


def _typed_expr(col: Column) -> tuple[str, str]:
    """SQL turning the raw text `v` into the column's type, and the reason when it cannot."""
    v = ident(col.name)
    if col.type in ("id", "text"):
        return v, ""
    if col.type == "int":
        return f"zc_int({v})", "not a whole number"
    if col.type in ("money", "decimal"):
        pattern = f"[+-]?[0-9]+(\\.[0-9]{{0,{col.scale}}})?"
        # Most amounts are plain numbers already: one regex instead of three.
        expr = (
            f"case when regexp_full_match({v}, '{pattern}') then try_cast({v} as {col.duckdb_type}) "
            f"when regexp_full_match(zc_number_text({v}), '{pattern}') "
            f"then try_cast(zc_number_text({v}) as {col.duckdb_type}) end"
        )
        return expr, f"not an amount with at most {col.scale} decimals"
    if col.type == "percent":
        return f"cast(zc_percent({v}) as {col.duckdb_type})", "not a percentage"
    if col.type == "timestamp":
        return f"zc_timestamp({v})", "not a date/time in an accepted format"
    if col.type == "date":
        return f"cast(zc_timestamp({v}) as date)", "not a date in an accepted format"
    raise AssertionError(col.type)


def _typed_columns(columns: list[Column]) -> str:
    # Raw text beside its typed value (`t_` columns): rejects quote the text as it arrived.
    return ", ".join(f"{_typed_expr(col)[0]} as {ident('t_' + col.name)}" for col in columns)


def _needs_typing(col: Column) -> bool:
    return col.type not in ("id", "text")


@dataclass
class FileOutcome:
    platform: str
    report: str
    file_name: str
    status: str
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    rows_older: int = 0
    refused_line: int | None = None
    reason: str | None = None
    drift: list[str] = field(default_factory=list)
    previously_seen: bool = False
    # Business days whose rows this file replaced; None when they cannot be told (a report keyed
    # by something other than a date, without `days_from`): every day may have changed.
    days: list[date] | None = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.status == "refused":
            where = f", line {self.refused_line}" if self.refused_line else ""
            return f"REFUSED {self.file_name}{where}: {self.reason}"
        if self.status == "duplicate":
            return f"skipped {self.file_name}: byte-identical to a file already processed"
        return (
            f"loaded {self.file_name}: {self.rows_loaded} rows, {self.rows_rejected} rejected"
            + (f", {self.rows_duplicate} identical duplicates" if self.rows_duplicate else "")
            + (f", {self.rows_older} rows older than loaded data" if self.rows_older else "")
        )


@dataclass
class ReportOutcome:
    contract: Contract
    files: list[FileOutcome]
    table_rows: int

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("set enable_progress_bar = false")  # logs, not a terminal, read the output
    # Bounded memory: big files spill to disk instead of growing the process past the budget.
    con.execute(f"set memory_limit = {literal(settings.duckdb_memory)}")
    con.execute(f"set temp_directory = {literal(str(settings.home / 'tmp' / 'duckdb'))}")
    con.execute(META_DDL + WINDOWS_DDL)
    return con


def ensure_raw_table(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    table = f"raw.{ident(contract.table)}"
    columns = [(c.stored_name, c.duckdb_type) for c in contract.columns] + list(LINEAGE_COLUMNS)
    ddl = ", ".join(f"{ident(n)} {t}" for n, t in columns)
    con.execute(f"create table if not exists {table} ({ddl})")
    existing = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [contract.table],
        ).fetchall()
    }
    for name, type_ in columns:
        if name not in existing:  # a contract gained a column since the table was created
            con.execute(f"alter table {table} add column {ident(name)} {type_}")
    con.execute(f"comment on table {table} is {literal(contract.description)}")


def landing_files(landing: Path, contract: Contract) -> list[Path]:
    folder = landing / contract.platform / contract.report
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if not p.name.startswith(".") and (p.is_file() or p.is_symlink())]
    # Newer = later modification time, ties broken by name (exports.md, loader rule 6).
    return sorted(files, key=lambda p: (p.lstat().st_mtime_ns, p.name))


def unknown_folders(landing: Path) -> list[Path]:
    """Platform/report folders in the landing area that no contract describes."""
    known = set(load_contracts())
    found = []
    if not landing.is_dir():
        return found
    # Folders starting with `.` or `_` (e.g. the generator's _truth/) are not exports.
    for platform_dir in sorted(p for p in landing.iterdir() if p.is_dir() and p.name[0] not in "._"):
        for report_dir in sorted(p for p in platform_dir.iterdir() if p.name[0] not in "._"):
            if (platform_dir.name, report_dir.name) not in known:
                found.append(report_dir)
    return found


def _check_path(path: Path, landing: Path) -> None:
    if path.is_symlink():
        raise FileRefused(path, None, "is a symbolic link; links are never followed out of the landing folder")
    resolved = path.resolve()
    if not resolved.is_relative_to(landing.resolve()):
        raise FileRefused(path, None, "resolves outside the landing folder")


class Loader:
    def __init__(self, settings: Settings, log: Callable[[str], None] = print, quarantine: bool = True):
        self.settings = settings
        self.log = log
        self.quarantine = quarantine  # False: a refused file stays where it is (probe.py reads, never moves)

    def load_all(self, con: duckdb.DuckDBPyConnection | None = None) -> list[ReportOutcome]:
        own = con is None
        con = con or connect(self.settings)
        try:
            for folder in unknown_folders(self.settings.landing):
                self.log(f"REFUSED {folder.relative_to(self.settings.landing)}: unknown platform/report folder")
            return [self.load_report(con, c) for c in load_contracts().values()]
        finally:
            if own:
                con.close()

    def load_report(self, con: duckdb.DuckDBPyConnection, contract: Contract) -> ReportOutcome:
        con.execute(META_DDL)
        ensure_raw_table(con, contract)
        outcomes = [self.load_file(con, contract, p) for p in landing_files(self.settings.landing, contract)]
        table_rows = con.execute(f"select count(*) from raw.{ident(contract.table)}").fetchone()[0]
        return ReportOutcome(contract, outcomes, table_rows)

    def load_file(self, con: duckdb.DuckDBPyConnection, contract: Contract, path: Path) -> FileOutcome:
        landing = self.settings.landing
        try:
            file_name = str(path.relative_to(landing))
        except ValueError:
            file_name = path.name
        stat = path.lstat()
        modified_at = datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None)
        now = datetime.now(UTC).replace(tzinfo=None)
        base = {"platform": contract.platform, "report": contract.report, "file_name": file_name}

        try:
            _check_path(path, landing)
        except FileRefused as refused:
            outcome = FileOutcome(**base, status="refused", reason=refused.reason)
            self._record_refusal(con, outcome, "", stat.st_size, modified_at, now)
            self.log(outcome.message)
            return outcome

        # A file already processed under this name, size and modification time is not read again
        # (the rule rsync and git use): every run walks the whole landing folder, and hashing
        # months of exports cost a night more than loading its new day.
        if outcome := self._seen_before(
            con,
            base,
            "file_name = ? and size_bytes = ? and modified_at = ? and file_sha256 <> ''",
            [file_name, stat.st_size, modified_at],
        ):
            return outcome

        data = path.read_bytes()  # read once: hashed here, framed by the reader
        digest = hashlib.sha256(data).hexdigest()

        if outcome := self._seen_before(con, base, "file_sha256 = ?", [digest]):
            return outcome

        region_dir = self.settings.home / "tmp"
        key = self.settings.pii_key
        parsed = None
        try:
            parsed = read_export(path, contract, key, region_dir, data=data)
            del data  # a big export is not held twice while DuckDB works
            con.execute(MACROS + pii_macro(key))
            try:
                fast = parsed.region is not None and self._incoming_from_region(con, contract, parsed)
            except _UncheckedBytes:
                parsed.discard_region()
                parsed = read_export(path, contract, key, region_dir, trust_head=False)
                fast = self._incoming_from_region(con, contract, parsed)
            if not fast:
                # JSON lines, or a CSV DuckDB cannot number line by line (blank lines, multi-line fields).
                parsed.discard_region()
                parsed = read_export(path, contract, key)
                self._incoming_from_rows(con, parsed)
                self._type_rows(con, parsed.columns)
        except FileRefused as refused:
            _drop_temp(con, *WORK_RELATIONS)
            outcome = FileOutcome(**base, status="refused", refused_line=refused.line, reason=refused.reason)
            self._record_refusal(con, outcome, digest, stat.st_size, modified_at, now)
            self.log(outcome.message)
            if self.quarantine:
                self._quarantine(path, contract, digest)
            return outcome
        finally:
            if parsed is not None:
                parsed.discard_region()

        con.begin()
        try:
            outcome = self._store(con, contract, parsed, base, digest, stat.st_size, modified_at, now)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            _drop_temp(con, *WORK_RELATIONS)
        for warning in outcome.drift:
            self.log(f"  schema drift in {file_name}: {warning}")
        self.log(outcome.message)
        return outcome

    def _seen_before(self, con, base: dict, condition: str, parameters: list) -> FileOutcome | None:
        """The earlier outcome of this file (matched by `condition`) as a re-delivery, or None."""
        seen = con.execute(
            f"select status, reason, refused_line from meta.load_files where platform = ? and report = ? "
            f"and {condition} order by loaded_at limit 1",
            [base["platform"], base["report"], *parameters],
        ).fetchone()
        if seen is None:
            return None
        status = "refused" if seen[0] == "refused" else "duplicate"
        outcome = FileOutcome(**base, status=status, reason=seen[1], refused_line=seen[2], previously_seen=True)
        self.log(outcome.message)
        return outcome

    def _quarantine(self, path: Path, contract: Contract, digest: str) -> None:
        target = self.settings.quarantine / contract.platform / contract.report
        target.mkdir(parents=True, exist_ok=True)
        destination = target / f"{digest[:12]}_{path.name}"
        if self.settings.quarantine_mode == "move":
            shutil.move(path, destination)
            self.log(f"  moved {path.name} to {destination}")
        else:
            shutil.copy2(path, destination)

    def _record_refusal(self, con, outcome: FileOutcome, digest, size, modified_at, now) -> None:
        con.execute(
            "insert into meta.load_files (platform, report, file_name, file_sha256, size_bytes, "
            "modified_at, status, refused_line, reason, loaded_at) values (?, ?, ?, ?, ?, ?, 'refused', ?, ?, ?)",
            [
                outcome.platform,
                outcome.report,
                outcome.file_name,
                digest,
                size,
                modified_at,
                outcome.refused_line,
                outcome.reason,
                now,
            ],
        )

    def _store(
        self,
        con,
        contract: Contract,
        parsed: ParsedFile,
        base: dict,
        digest: str,
        size: int,
        modified_at: datetime,
        now: datetime,
    ) -> FileOutcome:
        columns = parsed.columns
        rows_parsed = con.execute("select count(*) from zc_typed").fetchone()[0]

        rejects = self._collect_rejects(con, contract, columns, parsed)
        rows_duplicate = self._resolve_duplicates(con, contract, columns, rejects)
        rows_rejected = len({line for line, *_ in rejects})

        if rejects:
            con.executemany(
                "insert into meta.rejects values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [contract.platform, contract.report, base["file_name"], digest, line, column, raw, reason, now]
                    for line, column, raw, reason in sorted(rejects, key=lambda r: (r[0], r[1] or ""))
                ],
            )
        rows_loaded, rows_older, dates, days = self._replace_dates(
            con, contract, columns, base["file_name"], digest, modified_at, now
        )
        # In the file's transaction: rows that changed are never without their pending days, even
        # when the run dies before its dbt step (windows.py).
        record_pending(con, contract.platform, contract.report, base["file_name"], days)
        con.execute(
            "insert into meta.load_files values (?, ?, ?, ?, ?, ?, 'loaded', null, null, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                contract.platform,
                contract.report,
                base["file_name"],
                digest,
                size,
                modified_at,
                parsed.encoding,
                rows_parsed + len(parsed.row_problems),
                rows_loaded,
                rows_rejected,
                rows_duplicate,
                rows_older,
                ",".join(dates),
                "; ".join(parsed.drift) or None,
                now,
            ],
        )
        return FileOutcome(
            **base,
            status="loaded",
            rows_loaded=rows_loaded,
            rows_rejected=rows_rejected,
            rows_duplicate=rows_duplicate,
            rows_older=rows_older,
            drift=parsed.drift,
            days=days,
        )

    def _incoming_from_rows(self, con, parsed: ParsedFile) -> None:
        """`zc_incoming` from rows split, cleaned and PII-hashed in Python."""
        frame = pd.DataFrame(
            {"_line": pd.Series([line for line, _ in parsed.rows], dtype="int64")}
            | {
                c.name: pd.Series([values[i] for _, values in parsed.rows], dtype="object")
                for i, c in enumerate(parsed.columns)
            }
        )
        con.register("zc_frame", frame)
        try:
            casts = ", ".join(f"cast({ident(c.name)} as varchar) as {ident(c.name)}" for c in parsed.columns)
            con.execute(f"create or replace temp table zc_incoming as select _line, {casts} from zc_frame")
        finally:
            con.unregister("zc_frame")

    def _incoming_from_region(self, con, contract: Contract, parsed: ParsedFile) -> bool:
        """`zc_typed` straight from DuckDB's CSV reader: cells cleaned, PII hashed and values typed
        in the statement that reads them, so no clear PII is ever stored, not even in a temp table.
        Returns False when DuckDB's rows cannot be matched to file lines one to one."""
        slots = parsed.width + 8  # room to tell "trailing empty fields" from "too many fields"
        first = 1 if parsed.numbered else 0  # spreadsheets carry their row number in column 0
        selects = ["cast(c0 as bigint) as zc_line"] if parsed.numbered else []
        for col in parsed.columns:
            if col.name in parsed.constants:
                selects.append(f"{literal(parsed.constants[col.name])} as {ident(col.name)}")
                continue
            value = f"zc_clean(c{parsed.positions[col.name] + first})"
            if col.pii == "hash":
                value = f"zc_pii_hash({value})"
            elif col.pii == "province":
                value = f"zc_province({value})"
            selects.append(f"{value} as {ident(col.name)}")
        # Null padding fills missing fields from the right, so non-null cells form a prefix: one
        # cell tells whether a row is short or long, and only those rows have their fields counted.
        last, beyond = f"c{parsed.width - 1 + first}", f"c{parsed.width + first}"
        count = " + ".join(f"(c{i} is not null)::int" for i in range(first, slots + first))
        field_count = f"case when {last} is null or {beyond} is not null then {count} else {parsed.width} end"
        nonempty = " or ".join(f"coalesce(c{i}, '') <> ''" for i in range(parsed.width + first, slots + first))
        extra = f"case when {beyond} is null then false else ({nonempty}) end"
        slots += first
        names = ", ".join(ident(c.name) for c in parsed.columns)
        # Text and ids are their own typed value: stored once, named twice.
        typed_names = ", ".join(
            ident("t_" + c.name) if _needs_typing(c) else f"{ident(c.name)} as {ident('t_' + c.name)}"
            for c in parsed.columns
        )
        for table in ("zc_csv_errors", "zc_csv_scans"):
            con.execute(f"drop table if exists {table}")
        if parsed.region_lines == 0:
            con.execute(
                "create or replace temp table zc_typed as select "
                + ", ".join(
                    ["0 as _line"]
                    + [f"null::varchar as {ident(c.name)}" for c in parsed.columns]
                    + [f"null::{c.duckdb_type} as {ident('t_' + c.name)}" for c in parsed.columns]
                )
                + " where false"
            )
            return True
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(slots)) + "}"
        source = (
            f"read_csv({literal(str(parsed.region))}, header = false, auto_detect = false, "
            f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', nullstr = chr(1), "
            f"null_padding = true, strict_mode = true, skip = {parsed.region_skip}, store_rejects = true, "
            "rejects_table = 'zc_csv_errors', rejects_scan = 'zc_csv_scans')"
        )
        try:
            # One materialisation: text and typed value of every cell, read, cleaned and typed at once.
            con.execute(f"""
                create or replace temp table zc_region as
                select *, {_typed_columns([c for c in parsed.columns if _needs_typing(c)]) or "1 as zc_untyped"}
                from (
                    select {field_count} as zc_fields, ({extra}) as zc_too_wide, {", ".join(selects)}
                    from {source}
                )
            """)
        except duckdb.Error:
            return False  # e.g. stray quotes: the exact Python path reports them row by row
        # Lines relative to the region: DuckDB counts the lines it skipped in an export read in place.
        errors = con.execute(
            f"select line - {parsed.region_skip}, any_value(error_type), any_value(csv_line) from zc_csv_errors "
            "group by line order by line"
        ).fetchall()
        if parsed.unchecked_utf8 and any(error_type == "INVALID ENCODING" for _, error_type, _ in errors):
            _drop_temp(con, "zc_region")
            raise _UncheckedBytes
        rows = con.execute("select count(*) from zc_region").fetchone()[0]
        if not parsed.numbered and rows + len(errors) != parsed.region_lines:
            _drop_temp(con, "zc_region")
            return False
        for line, error_type, raw in errors:
            fields = next(csv.reader([raw]), [])
            original = int(fields[0]) if parsed.numbered else parsed.header_line + line
            if error_type == "TOO MANY COLUMNS":
                count = len(fields) - first
                parsed.row_problems.append(
                    RowProblem(original, None, None, f"row has {count} fields, header has {parsed.width}")
                )
            else:
                parsed.row_problems.append(RowProblem(original, None, None, f"unparsable CSV row ({error_type})"))
        lines_cte = ""
        if parsed.numbered:
            source, line = "zc_region", "zc_line"
        elif not errors:  # the common case: row k of the region is line header_line + k
            source, line = "(select rowid as zc_rn, * from zc_region)", f"{parsed.header_line + 1} + zc_rn"
        else:  # DuckDB left the rejected lines out: number the others around them
            rejected = ", ".join(str(line) for line, _, _ in errors)
            lines_cte = f"""with lines as (
                select row_number() over (order by l) - 1 as rn, l
                from range(1, {parsed.region_lines + 1}) as t(l)
                where l not in ({rejected})
            ) """
            source = "(select rowid as rn, * from zc_region) as region join lines using (rn)"
            line = f"{parsed.header_line} + lines.l"
        misfits = f"zc_fields < {parsed.width} or zc_too_wide"
        for line_number, fields in con.execute(
            f"{lines_cte}select {line}, zc_fields from {source} where {misfits} order by 1"
        ).fetchall():
            parsed.row_problems.append(
                RowProblem(line_number, None, None, f"row has {fields} fields, header has {parsed.width}")
            )
        # A view: the rows were materialised once, by the scan above.
        con.execute(
            f"create or replace temp view zc_typed as {lines_cte}"
            f"select {line} as _line, {names}, {typed_names} from {source} where not ({misfits})"
        )
        id_columns = [c for c in parsed.columns if c.type == "id" and c.name not in parsed.constants]
        if id_columns:
            firsts = con.execute(
                "select "
                + ", ".join(
                    # The sign test is the cheap half of the pattern: most ids never reach the regex.
                    f"min(_line) filter (where case when contains({ident(c.name)}, '+') or "
                    f"contains({ident(c.name)}, '-') then regexp_full_match({ident(c.name)}, '{SCIENTIFIC_ID}') end)"
                    for c in id_columns
                )
                + " from zc_typed"
            ).fetchone()
            damaged = min(
                ((line, col) for line, col in zip(firsts, id_columns, strict=True) if line is not None),
                default=None,
                key=lambda hit: hit[0],
            )
            if damaged:
                line, col = damaged
                value = con.execute(f"select {ident(col.name)} from zc_typed where _line = ?", [line]).fetchone()[0]
                header_name = parsed.header[parsed.positions[col.name]].strip()
                raise FileRefused(
                    parsed.path,
                    line,
                    f"column {col.name} ({header_name}) holds {value!r}, an id in scientific notation: "
                    "the export was damaged by a spreadsheet; re-export it",
                )
        return True

    @staticmethod
    def _type_rows(con, columns: list[Column]) -> None:
        """`zc_typed` from the rows the Python path split (the DuckDB path types as it scans)."""
        con.execute(
            f"create or replace temp table zc_typed as select _line, {', '.join(ident(c.name) for c in columns)}, "
            f"{_typed_columns(columns)} from zc_incoming"
        )

    def _collect_rejects(self, con, contract: Contract, columns: list[Column], parsed: ParsedFile):
        rejects = [(p.line, p.column, p.raw_value, p.reason) for p in parsed.row_problems]
        checks = []
        for col in columns:
            typed, raw = ident("t_" + col.name), ident(col.name)
            _, parse_reason = _typed_expr(col)
            if parse_reason:
                checks.append((col, f"{raw} is not null and {typed} is null", parse_reason))
            if col.not_null:
                checks.append((col, f"{raw} is null", "required value is empty"))
            if col.type in ("int", "money", "decimal", "percent") and not col.signed:
                checks.append((col, f"{typed} < 0", "negative value in a column that cannot be negative"))
            if col.accepted:
                allowed = ", ".join(literal(a) for a in col.accepted)
                checks.append(
                    (col, f"{typed} not in ({allowed})", "not an accepted value (" + "/".join(col.accepted) + ")")
                )
        if checks:
            union = " union all ".join(
                f"select _line, {literal(col.name)}, {ident(col.name)}, {literal(reason)} "
                f"from zc_typed where {condition}"
                for col, condition, reason in checks
            )
            rejects += [tuple(r) for r in con.execute(union).fetchall()]
        return rejects

    def _resolve_duplicates(self, con, contract: Contract, columns: list[Column], rejects: list) -> int:
        """Keep one of identical rows; reject every row of a grain key with conflicting values."""
        bad_lines = sorted({r[0] for r in rejects})
        con.execute("create or replace temp table zc_bad(_line integer)")
        if bad_lines:
            con.executemany("insert into zc_bad values (?)", [[line] for line in bad_lines])
        typed_cols = ["t_" + c.name for c in columns]
        grain = ", ".join(ident("t_" + g) for g in contract.grain)
        values = ", ".join(ident(c) for c in typed_cols)
        if bad_lines:
            con.execute(
                "create or replace temp table zc_candidates as "
                "select * from zc_typed where _line not in (select _line from zc_bad)"
            )
        else:  # the common case: no copy of a table that can hold millions of rows
            _rename_temp(con, "zc_typed", "zc_candidates")
        # Repeated grain keys are rare: distinct hashes prove there are none; otherwise find them
        # with one aggregate and rank only their rows.
        all_distinct = con.execute(f"select count(*) = count(distinct hash({grain})) from zc_candidates").fetchone()[0]
        con.execute(
            f"create or replace temp table zc_repeated as select {grain} from zc_candidates "
            f"{'where false ' if all_distinct else ''}group by all having count(*) > 1"
        )
        if con.execute("select count(*) from zc_repeated").fetchone()[0] == 0:
            _rename_temp(con, "zc_candidates", "zc_good")
            for table in ("zc_repeated", "zc_bad"):
                con.execute(f"drop table {table}")
            return 0
        key_match = " and ".join(
            f"r.{ident('t_' + g)} is not distinct from c.{ident('t_' + g)}" for g in contract.grain
        )
        con.execute(f"""
            create or replace temp table zc_ranked as
            select *,
                count(*) over (partition by {grain}) as zc_grain_rows,
                count(*) over (partition by {values}) as zc_same_rows,
                row_number() over (partition by {values} order by _line) as zc_copy,
                min(_line) over (partition by {grain}) as zc_first_line
            from zc_candidates c where exists (select 1 from zc_repeated r where {key_match})
        """)
        conflicts = con.execute("""
            select _line, zc_first_line from zc_ranked
            where zc_grain_rows > zc_same_rows order by _line
        """).fetchall()
        grain_names = "/".join(contract.grain)
        for line, first_line in conflicts:
            reason = f"conflicting duplicate of grain key ({grain_names}); first seen on line {first_line}"
            rejects.append((line, None, None, reason))
        rows_duplicate = con.execute(
            "select count(*) from zc_ranked where zc_grain_rows = zc_same_rows and zc_copy > 1"
        ).fetchone()[0]
        con.execute("""
            create or replace temp table zc_good as
            select * from zc_candidates where _line not in (select _line from zc_ranked)
            union all
            select * exclude (zc_grain_rows, zc_same_rows, zc_copy, zc_first_line) from zc_ranked
            where zc_grain_rows = zc_same_rows and zc_copy = 1
        """)
        _drop_temp(con, "zc_candidates")
        con.execute("drop table zc_repeated")
        con.execute("drop table zc_ranked")
        con.execute("drop table zc_bad")
        return rows_duplicate

    def _replace_dates(
        self,
        con,
        contract: Contract,
        columns: list[Column],
        file_name: str,
        digest: str,
        modified_at: datetime,
        now: datetime,
    ) -> tuple[int, int, list[str], list[date] | None]:
        """Replace what the file covers: its business dates (or, for reports without a date,
        its keys) unless a newer file already owns them. Set-based: one statement per step.
        Returns rows loaded, rows older than loaded data, what was covered (for the load log) and
        the business days whose rows changed (see FileOutcome.days)."""
        table = f"raw.{ident(contract.table)}"
        key_col = contract.column(contract.business_date)
        by_date = key_col.type in ("date", "timestamp")

        def key_of(column: str) -> str:
            return f"cast({ident(column)} as date)" if by_date else ident(column)

        row_key, table_key = key_of("t_" + key_col.name), key_of(key_col.stored_name)
        con.execute(f"create or replace temp table zc_keys as select distinct {row_key} as k from zc_good")
        # The same rows again as a range of constants, which DuckDB checks against each row group's
        # min/max: the raw table is stored in load order, mostly by day, so a day's file reads the
        # row groups of its days instead of the whole table (a data-bank day against 50 M rows:
        # 0.5 s -> 0.02 s, and as much again for the delete).
        first, last = con.execute("select min(k), max(k) from zc_keys").fetchone() if by_date else (None, None)

        def within(column: str) -> str:
            if first is None:
                return "true"
            return (
                f"{column} >= cast({literal(first.isoformat())} as date) "
                f"and {column} < cast({literal(last.isoformat())} as date) + 1"
            )

        stored = ident(key_col.stored_name)
        con.execute(
            f"""
            create or replace temp table zc_owners as
            select {table_key} as k, t._file_sha256 as sha, f.modified_at, f.file_name, count(*) as n
            from {table} t
            join meta.load_files f on f.file_sha256 = t._file_sha256
                and f.platform = ? and f.report = ? and f.status = 'loaded'
            where {within("t." + stored)} and {table_key} in (select k from zc_keys)
            group by all
            """,
            [contract.platform, contract.report],
        )
        # A key whose current rows come from a newer file stays as it is ("newer" = mtime, then name).
        con.execute(
            "create or replace temp table zc_older as select distinct k from zc_owners "
            "where modified_at > ? or (modified_at = ? and file_name > ?)",
            [modified_at, modified_at, file_name],
        )
        con.execute(
            "insert into meta.supersessions select ?, ?, cast(k as varchar), sha, ?, n, ? from zc_owners "
            "where k not in (select k from zc_older)",
            [contract.platform, contract.report, digest, now],
        )
        con.execute(
            f"delete from {table} where {within(stored)} and {table_key} in (select k from zc_keys) "
            f"and {table_key} not in (select k from zc_older)"
        )
        targets = ", ".join(ident(c.stored_name) for c in columns)
        sources = ", ".join(ident("t_" + c.name) for c in columns)
        con.execute(
            f"insert into {table} ({targets}, _source_file, _file_sha256, _row_number, _loaded_at) "
            f"select {sources}, ?, ?, _line, ? from zc_good where {row_key} not in (select k from zc_older)",
            [file_name, digest, now],
        )
        total = con.execute("select count(*) from zc_good").fetchone()[0]
        rows_older = con.execute(
            f"select count(*) from zc_good where {row_key} in (select k from zc_older)"
        ).fetchone()[0]
        kept = con.execute("select k from zc_keys where k not in (select k from zc_older) order by k").fetchall()
        days = [k for (k,) in kept] if by_date else self._days_of_keys(con, contract)
        for temp in ("zc_keys", "zc_owners", "zc_older"):
            con.execute(f"drop table {temp}")
        if by_date:
            covered = [k.isoformat() for (k,) in kept]
        else:
            covered = [f"{len(kept)} {key_col.name} values"] if kept else []
        return total - rows_older, rows_older, covered, days

    @staticmethod
    def _days_of_keys(con, contract: Contract) -> list[date] | None:
        """The business days of a key-covered file's keys (zc_keys, not zc_older), read from the
        report named by the contract's `days_from` (order lines take their orders' days)."""
        if contract.days_from is None:
            return None
        other = load_contracts()[contract.days_from]
        other_date = other.column(other.business_date)
        other_key = other.column(contract.business_date)
        rows = con.execute(
            f"select distinct cast({ident(other_date.stored_name)} as date) as d from raw.{ident(other.table)} "
            f"where {ident(other_key.stored_name)} in (select k from zc_keys where k not in (select k from zc_older)) "
            "order by d"
        ).fetchall()
        return [d for (d,) in rows if d is not None]
