"""Turn one export file into header + string cells, or refuse it whole.

Everything that decides whether a *file* can be trusted lives here (encoding, framing,
header, truncation, damaged ids). Typing single values is done set-wise in DuckDB by
`loader.py`; this module only splits and cleans text.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import hmac
import io
import json
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from zhongcao.ingest.contracts import Column, Contract, normalise_header

NULL_TOKENS = {"", "-", "--"}
HEADER_SEARCH_ROWS = 50
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]\d+$")  # Excel writes 2.98765E+18
_EXCEL_WRAPPED = re.compile(r'^="(.*)"$')
_REPORT_PERIOD = re.compile(r"统计时间[：:]\s*([0-9年月日/\-]+)\s*[~至]\s*([0-9年月日/\-]+)")
_PROVINCE = re.compile(r"^(.+?(?:特别行政区|自治区|省|市))")


class FileRefused(Exception):
    """The whole file cannot be trusted; nothing of it is loaded."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {reason}")


@dataclass
class RowProblem:
    line: int
    column: str | None
    raw_value: str | None
    reason: str


@dataclass
class ParsedFile:
    path: Path
    encoding: str
    header_line: int
    preamble: list[str]
    columns: list[Column]  # contract columns present in the file, in stored order
    rows: list[tuple[int, list[str | None]]]  # (line, cleaned cells aligned with columns)
    row_problems: list[RowProblem] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    # Fast path for CSV: the data rows (no preamble, header or footer) as a UTF-8 file for
    # DuckDB's reader; `rows` is then empty and the loader types and cleans in SQL.
    region: Path | None = None
    region_lines: int = 0
    width: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    numbered: bool = False  # the region's first column is the source line (spreadsheets)
    constants: dict[str, str] = field(default_factory=dict)


def pii_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def province_of(address: str) -> str | None:
    match = _PROVINCE.match(address.strip())
    return match.group(1) if match else None


def clean_cell(raw: str | None) -> str | None:
    """Undo the text quirks exports wrap values in; empty markers become None."""
    if raw is None:
        return None
    value = raw.strip()
    if value.startswith("`"):  # WeChat Pay prefixes every field with a backtick
        value = value[1:].strip()
    wrapped = _EXCEL_WRAPPED.match(value)
    if wrapped:  # ="123456789012345678" keeps Excel from mangling long ids
        value = wrapped.group(1).strip()
    return None if value in NULL_TOKENS else value


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, contract: Contract, path: Path) -> tuple[str, str]:
    """Return (text, encoding). Strict: undecodable bytes refuse the file."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            offset = exc.start + len(codecs.BOM_UTF8)
            raise FileRefused(
                path,
                _line_of(data, offset),
                f"starts with a UTF-8 byte-order mark but byte 0x{data[offset]:02x} at offset "
                f"{offset} is not UTF-8 (the BOM contradicts the bytes)",
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(path, 1, "is UTF-16 encoded; expected one of " + ", ".join(contract.encodings))
    # Strict UTF-8 almost never accepts GBK bytes, while GB18030 decodes UTF-8 into
    # mojibake without complaint: UTF-8 must be tried first.
    candidates = ["utf-8"] + [e for e in contract.encodings if e.lower() not in ("utf-8", "utf8")]
    first_error: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    from charset_normalizer import from_bytes

    guess = from_bytes(data[:65536]).best()
    hint = f"; it looks like {guess.encoding}" if guess else ""
    offset = first_error.start
    raise FileRefused(
        path,
        _line_of(data, offset),
        f"undecodable bytes (0x{data[offset]:02x} at offset {offset}) for every expected "
        f"encoding ({', '.join(candidates)}){hint}",
    )


def _csv_rows(text: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    try:
        for cells in reader:
            yield previous_end + 1, cells
            previous_end = reader.line_num
    except csv.Error as exc:
        at_end = reader.line_num >= text.count("\n") + (0 if text.endswith("\n") else 1)
        if at_end:
            raise FileRefused(path, previous_end + 1, f"truncated last row (open quote at end of file: {exc})") from exc
        raise FileRefused(path, previous_end + 1, f"malformed CSV: {exc}") from exc


def _jsonl_rows(text: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """JSON lines as rows: a synthetic header (the first object's keys) on line 0, then values.

    A line that is not a JSON object becomes a row of one unparsable cell (rejected for its
    field count); a last line cut off mid-object refuses the file as truncated."""
    lines = text.split("\n")
    header: list[str] | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            if number == len(lines) and not text.endswith("\n"):
                raise FileRefused(path, number, f"truncated last row (incomplete JSON object: {exc.msg})") from exc
            yield number, [raw.strip()[:200]]
            continue
        if not isinstance(record, dict):
            yield number, [raw.strip()[:200]]
            continue
        if header is None:
            header = list(record)
            yield 0, header
        # Keys the first object lacked are ignored like extra CSV columns; missing keys are empty.
        yield number, ["" if record.get(k) is None else _json_cell(record.get(k)) for k in header]


def _json_cell(value: object) -> str:
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken zips/XML
        raise FileRefused(path, None, f"not a valid .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    for index, cells in enumerate(rows, start=1):
        yield index, [c if type(c) is str else _xlsx_cell(c) for c in cells]


def _looks_like_header(cells: list[str], aliases: dict[str, Column]) -> bool:
    names = [normalise_header(c) for c in cells if c.strip()]
    matches = sum(1 for n in names if n in aliases)
    return matches >= 2 and matches * 2 >= len(names)


def _is_footer(cells: list[str], patterns: list[re.Pattern]) -> bool:
    first = next((c.strip() for c in cells if c.strip()), "")
    return first.startswith("#") or any(p.search(first) for p in patterns)


def read_export(path: Path, contract: Contract, pii_key: bytes, region_dir: Path | None = None) -> ParsedFile:
    """Frame one export. With `region_dir`, the data rows of a CSV or XLSX are handed over as a
    file for DuckDB to parse (fast); without it, or for JSON lines, every row is split and
    cleaned here."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in contract.formats:
        raise FileRefused(path, None, f".{suffix} is not a format of {contract.key} (expected {contract.formats})")
    data = path.read_bytes()
    if not data:
        raise FileRefused(path, None, "file is empty (0 bytes)")
    if suffix == "xlsx":
        encoding = "xlsx"
        rows_iter = _xlsx_rows(path)
        ends_with_newline = True
    elif suffix == "jsonl":
        text, encoding = decode(data, contract, path)
        rows_iter = _jsonl_rows(text, path)
        ends_with_newline = True  # a cut-off last object is caught while parsing
        region_dir = None  # JSON lines are parsed here, not by DuckDB's CSV reader
    else:
        text, encoding = decode(data, contract, path)
        # The fast path only needs the first lines parsed here; copying a multi-GB text into a
        # StringIO just to find the header would double the memory of a big export.
        rows_iter = _csv_rows(text if region_dir is None else _head(text), path)
        ends_with_newline = text.endswith(("\n", "\r"))
    # A UTF-8 export's data rows can be handed to DuckDB as the very bytes that arrived.
    raw_utf8 = data if encoding in ("utf-8", "utf-8-sig") else None
    del data

    aliases = contract.alias_index()
    footer_patterns = [re.compile(p) for p in contract.footer_patterns]
    preamble: list[str] = []
    header: list[str] | None = None
    header_line = 0
    for line, cells in rows_iter:
        if _looks_like_header(cells, aliases):
            header, header_line = cells, line
            break
        if line > HEADER_SEARCH_ROWS:
            break
        preamble.append(",".join(cells).strip())
    if header is None:
        expected = ", ".join(c.aliases[0] for c in contract.columns if c.required and c.aliases)
        raise FileRefused(path, None, f"no header row in the first {HEADER_SEARCH_ROWS} lines (expected {expected})")

    positions, drift = _map_header(path, contract, header, header_line, aliases)
    constants: dict[str, str] = {}
    if contract.preamble_date:
        constants[contract.preamble_date] = _preamble_day(path, preamble)
        drift = [d for d in drift if not d.startswith(f"optional column {contract.preamble_date} ")]
    present = [c for c in contract.columns if c.name in positions or c.name in constants]
    width = len(header)
    if region_dir is not None:
        framed = ParsedFile(
            path=path,
            encoding=encoding,
            header_line=header_line,
            preamble=preamble,
            columns=present,
            rows=[],
            drift=drift,
            width=width,
            positions=positions,
            header=header,
            constants=constants,
        )
        region_dir.mkdir(parents=True, exist_ok=True)
        framed.region = region_dir / f"{uuid.uuid4().hex}.csv"
        try:
            if suffix == "xlsx":
                _write_numbered_region(framed, contract, rows_iter)
            else:
                _write_csv_region(framed, contract, text, raw_utf8)
        except BaseException:
            framed.region.unlink(missing_ok=True)
            raise
        return framed
    pii_columns = {c.name: c for c in present if c.pii}

    rows: list[tuple[int, list[str | None]]] = []
    problems: list[RowProblem] = []
    pending: list[tuple[int, list[str]]] = []
    for line, cells in rows_iter:
        if not any(c.strip() for c in cells):
            continue
        if _is_footer(cells, footer_patterns):
            break
        pending.append((line, cells))

    for index, (line, cells) in enumerate(pending):
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            cells = cells[:width]  # trailing separators / tabs after the last column
        if len(cells) != width:
            is_last = index == len(pending) - 1
            if is_last and not ends_with_newline and len(cells) < width:
                raise FileRefused(
                    path, line, f"truncated last row: {len(cells)} of {width} fields and no final newline"
                )
            problems.append(RowProblem(line, None, None, f"row has {len(cells)} fields, header has {width}"))
            continue
        values: list[str | None] = []
        for col in present:
            if col.name in constants:
                values.append(constants[col.name])
                continue
            value = clean_cell(cells[positions[col.name]])
            if value is not None and col.type == "id" and _SCIENTIFIC.match(value):
                raise FileRefused(
                    path,
                    line,
                    f"column {col.name} ({header[positions[col.name]].strip()}) holds {value!r}, an id "
                    "in scientific notation: the export was damaged by a spreadsheet; re-export it",
                )
            if value is not None and col.name in pii_columns:
                value = pii_hash(pii_key, value) if col.pii == "hash" else province_of(value)
            values.append(value)
        rows.append((line, values))

    return ParsedFile(
        path=path,
        encoding=encoding,
        header_line=header_line,
        preamble=preamble,
        columns=present,
        rows=rows,
        row_problems=problems,
        drift=drift,
    )


def _footer_words(contract: Contract) -> list[str]:
    return ["#", *(p[1:] if p.startswith("^") else p for p in contract.footer_patterns)]


def _footer_regex(contract: Contract) -> re.Pattern:
    return re.compile(r"(?m)^[ \t\"`]*(?:" + "|".join(_footer_words(contract)) + ")")


def _find_footer(contract: Contract, text: str, start: int) -> int | None:
    """Offset of the first footer line at or after `start`, or None.

    A multi-line regex over a large export is slow. A footer line must contain one of its
    marker words, so let str.find (C speed) skip to the first occurrence of any of them and
    start the regex from that line: the answer is the regex's own, found sooner."""
    regex = _footer_regex(contract)
    words = _footer_words(contract)
    if any(re.escape(word) != word for word in words if word != "#"):
        first = start  # a real regex pattern: no literal shortcut
    else:
        hits = [position for word in words if (position := text.find(word, start)) != -1]
        if not hits:
            return None
        first = max(text.rfind("\n", start, min(hits)) + 1, start)
    match = regex.search(text, first)
    return match.start() if match else None


def _after_lines(text: str, lines: int) -> int:
    """Offset just after the first `lines` lines (the end of the text if it has fewer)."""
    offset = 0
    for _ in range(lines):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return len(text)
    return offset


def _head(text: str, lines: int = HEADER_SEARCH_ROWS + 2) -> str:
    return text[: _after_lines(text, lines)]


def _region_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) of the data rows without trailing blank lines, found without copying."""
    while end > start:
        while end > start and text[end - 1] in "\r\n":
            end -= 1
        line_start = text.rfind("\n", start, end) + 1 or start
        if text[line_start:end].strip():
            return start, end
        end = line_start
    return start, start


def _write_csv_region(framed: ParsedFile, contract: Contract, text: str, raw_utf8: bytes | None = None) -> None:
    """The CSV's data rows, as they are, for DuckDB's reader (rows numbered by position).

    With `raw_utf8` (the file's bytes, when it is UTF-8) the rows are copied as bytes: encoding
    hundreds of MB of text back to UTF-8 would cost more than DuckDB's whole parse."""
    data_start = _after_lines(text, framed.header_line)
    footer = _find_footer(contract, text, data_start)
    data_start, data_end = _region_bounds(text, data_start, len(text) if footer is None else footer)
    framed.region_lines = text.count("\n", data_start, data_end) + 1 if data_end > data_start else 0
    if footer is None and framed.region_lines and not text.endswith(("\n", "\r")):
        last = text[text.rfind("\n") + 1 :]
        line = framed.header_line + framed.region_lines
        try:
            cells = next(csv.reader([last], strict=True))
        except (csv.Error, StopIteration) as exc:
            raise FileRefused(framed.path, line, f"truncated last row (open quote at end of file: {exc})") from exc
        if len(cells) < framed.width:
            raise FileRefused(
                framed.path, line, f"truncated last row: {len(cells)} of {framed.width} fields and no final newline"
            )
    # DuckDB's strict reader wants one line ending throughout, the last line included.
    first_end = text.find("\n", data_start, data_end)
    newline = "\r\n" if first_end > data_start and text[first_end - 1] == "\r" else "\n"
    chunk = 1 << 24
    if raw_utf8 is not None:
        bom = len(codecs.BOM_UTF8) if raw_utf8.startswith(codecs.BOM_UTF8) else 0
        # Byte offsets from the (short) head and tail only: never re-encode the body.
        byte_start = bom + len(text[:data_start].encode("utf-8"))
        byte_end = len(raw_utf8) - len(text[data_end:].encode("utf-8"))
        body = memoryview(raw_utf8)
        with framed.region.open("wb") as fh:
            for offset in range(byte_start, byte_end, chunk):
                fh.write(body[offset : min(offset + chunk, byte_end)])
            if framed.region_lines:
                fh.write(newline.encode())
        return
    with framed.region.open("w", encoding="utf-8", newline="") as fh:
        for offset in range(data_start, data_end, chunk):
            fh.write(text[offset : min(offset + chunk, data_end)])
        if framed.region_lines:
            fh.write(newline)


def _write_numbered_region(framed: ParsedFile, contract: Contract, rows_iter) -> None:
    """Spreadsheet rows for DuckDB as CSV, each prefixed with its sheet row number."""
    footer_patterns = [re.compile(p) for p in contract.footer_patterns]
    width = framed.width
    written = 0
    with framed.region.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for line, cells in rows_iter:
            if not any(cells):
                continue
            if _is_footer(cells, footer_patterns):
                break
            if len(cells) > width and not any(cells[width:]):
                cells = cells[:width]
            elif len(cells) < width:  # a sheet has no field count: missing cells are empty
                cells = cells + [""] * (width - len(cells))
            writer.writerow([line, *cells])
            written += 1
    framed.region_lines = written
    framed.numbered = True


def _preamble_day(path: Path, preamble: list[str]) -> str:
    """The one day a report covers, from a `统计时间：2025-03-26 ~ 2025-03-26` preamble line."""
    for index, line in enumerate(preamble, start=1):
        match = _REPORT_PERIOD.search(line)
        if match:
            first, last = match.groups()
            if first != last:
                raise FileRefused(
                    path, index, f"统计时间 {first} ~ {last} spans more than one day; export one file per day"
                )
            return first
    raise FileRefused(path, None, "no 统计时间 preamble: the report's day cannot be known")


def _map_header(
    path: Path, contract: Contract, header: list[str], header_line: int, aliases: dict[str, Column]
) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    seen: dict[str, int] = {}
    drift: list[str] = []
    for index, raw_name in enumerate(header):
        name = normalise_header(raw_name)
        if not name:
            continue
        if name in seen:
            raise FileRefused(
                path,
                header_line,
                f"duplicate header {raw_name.strip()!r} in columns {seen[name] + 1} and {index + 1}",
            )
        seen[name] = index
        col = aliases.get(name)
        if col is None:
            drift.append(f"extra column {raw_name.strip()!r} (not in the contract; ignored)")
            continue
        if col.name in positions:
            first = header[positions[col.name]].strip()
            raise FileRefused(
                path,
                header_line,
                f"headers {first!r} and {raw_name.strip()!r} both map to column {col.name}",
            )
        positions[col.name] = index
        if normalise_header(raw_name) != normalise_header(col.aliases[0] if col.aliases else col.name):
            drift.append(f"column {col.name} arrived under the alias {raw_name.strip()!r}")
    missing_required = [c for c in contract.columns if c.required and c.name not in positions]
    if missing_required:
        names = ", ".join(f"{c.name} ({'/'.join(c.aliases)})" for c in missing_required)
        raise FileRefused(path, header_line, f"missing required column(s): {names}")
    for col in contract.columns:
        if col.name not in positions:
            drift.append(f"optional column {col.name} ({'/'.join(col.aliases)}) is missing")
    return positions, drift
