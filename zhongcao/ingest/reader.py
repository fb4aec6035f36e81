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
    # A UTF-8 export whose data rows run to its end is read where it lies: `region` is then the
    # export itself (never deleted) and DuckDB skips its first `region_skip` lines.
    region_skip: int = 0
    # Bytes DuckDB must still validate as UTF-8: only the head was decoded here.
    unchecked_utf8: bool = False

    @property
    def region_is_export(self) -> bool:
        return self.region is not None and self.region == self.path

    def discard_region(self) -> None:
        if self.region is not None and not self.region_is_export:
            self.region.unlink(missing_ok=True)


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


def _candidate_encodings(contract: Contract) -> list[str]:
    # Strict UTF-8 almost never accepts GBK bytes, while GB18030 decodes UTF-8 into
    # mojibake without complaint: UTF-8 must be tried first.
    return ["utf-8"] + [e for e in contract.encodings if e.lower() not in ("utf-8", "utf8")]


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
    candidates = _candidate_encodings(contract)
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


def _utf8_body(data: bytes, contract: Contract, path: Path, trust_head: bool) -> tuple[bytes, str, bool]:
    """The export as UTF-8 bytes for DuckDB: (body, encoding, only_head_checked).

    A UTF-8 file is returned as it is. With `trust_head`, only its first lines are decoded here
    (validating hundreds of MB in Python costs more than DuckDB's whole parse) and DuckDB checks
    the rest as it reads; the loader comes back with `trust_head=False` if DuckDB finds a bad
    byte. Otherwise the encodings are tried in `decode`'s order, block by block, so no decoded
    copy of the whole file is ever held; when none fits, `decode` names the problem."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if trust_head and data.startswith(codecs.BOM_UTF8):
            head_end = _after_lines(data, HEADER_SEARCH_ROWS + 2)
            try:
                data[len(codecs.BOM_UTF8) : head_end].decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                return data, "utf-8-sig", head_end < len(data)
        decode(data, contract, path)  # refuses a BOM that lies; a true one is plain UTF-8
        return data, "utf-8-sig", False
    if trust_head:
        head_end = _after_lines(data, HEADER_SEARCH_ROWS + 2)
        try:
            data[:head_end].decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return data, "utf-8", head_end < len(data)
    block = 1 << 24
    for encoding in _candidate_encodings(contract):
        decoder = codecs.getincrementaldecoder(encoding)()
        utf8 = encoding.lower() in ("utf-8", "utf8")
        try:
            chunks = []
            for offset in range(0, len(data), block):
                text = decoder.decode(data[offset : offset + block])
                if not utf8:
                    chunks.append(text.encode("utf-8"))
            text = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if utf8:
            return data, "utf-8", False
        return b"".join([*chunks, text.encode("utf-8")]), encoding, False
    decode(data, contract, path)
    raise AssertionError("decode accepted what every candidate encoding refused")


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


def read_export(
    path: Path,
    contract: Contract,
    pii_key: bytes,
    region_dir: Path | None = None,
    data: bytes | None = None,
    trust_head: bool = True,
) -> ParsedFile:
    """Frame one export (`data`: its bytes, when the caller has read them already). With
    `region_dir`, the data rows of a CSV or XLSX are handed over as a file for DuckDB to parse
    (fast); without it, or for JSON lines, every row is split and cleaned here."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in contract.formats:
        raise FileRefused(path, None, f".{suffix} is not a format of {contract.key} (expected {contract.formats})")
    if data is None:
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
    elif region_dir is None:
        text, encoding = decode(data, contract, path)
        rows_iter = _csv_rows(text, path)
        ends_with_newline = text.endswith(("\n", "\r"))
    else:
        # The fast path frames the UTF-8 bytes and parses only the head here.
        body, encoding, unchecked_utf8 = _utf8_body(data, contract, path, trust_head)
        head = body[: _after_lines(body, HEADER_SEARCH_ROWS + 2)]
        rows_iter = _csv_rows(head.decode("utf-8-sig"), path)
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
                framed.unchecked_utf8 = unchecked_utf8
                _frame_csv_region(framed, contract, body, is_export=encoding in ("utf-8", "utf-8-sig"))
        except BaseException:
            framed.discard_region()
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


def _find_footer(contract: Contract, body: bytes, start: int) -> int | None:
    """Byte offset of the first footer line at or after `start`, or None.

    A multi-line regex over a large export is slow. A footer line must contain one of its
    marker words, so let bytes.find (C speed) skip to the first occurrence of any of them and
    start the regex from that line: the answer is the regex's own, found sooner."""
    words = _footer_words(contract)
    regex = re.compile(rb"(?m)^[ \t\"`]*(?:" + b"|".join(w.encode("utf-8") for w in words) + rb")")
    if any(re.escape(word) != word for word in words if word != "#"):
        first = start  # a real regex pattern: no literal shortcut
    else:
        hits = [position for word in words if (position := body.find(word.encode("utf-8"), start)) != -1]
        if not hits:
            return None
        first = max(body.rfind(b"\n", start, min(hits)) + 1, start)
    match = regex.search(body, first)
    return match.start() if match else None


def _after_lines(data: bytes, lines: int) -> int:
    """Offset just after the first `lines` lines (the end of the data if it has fewer)."""
    offset = 0
    for _ in range(lines):
        offset = data.find(b"\n", offset) + 1
        if offset == 0:
            return len(data)
    return offset


def _region_bounds(body: bytes, start: int, end: int) -> tuple[int, int]:
    """[start, end) of the data rows without trailing blank lines, found without copying."""
    while end > start:
        while end > start and body[end - 1] in b"\r\n":
            end -= 1
        line_start = body.rfind(b"\n", start, end) + 1 or start
        if body[line_start:end].strip():
            return start, end
        end = line_start
    return start, start


def _frame_csv_region(framed: ParsedFile, contract: Contract, body: bytes, is_export: bool) -> None:
    """The CSV's data rows, as they are, for DuckDB's reader (rows numbered by position).

    `body` is the file as UTF-8 bytes (`is_export`: the very bytes of the export). When the
    rows run to the end of the export, DuckDB reads the export itself past its head;
    otherwise (a footer, trailing blank lines, another encoding) the rows are copied out."""
    data_start = _after_lines(body, framed.header_line)
    footer = _find_footer(contract, body, data_start)
    data_start, data_end = _region_bounds(body, data_start, len(body) if footer is None else footer)
    framed.region_lines = body.count(b"\n", data_start, data_end) + 1 if data_end > data_start else 0
    ends_with_newline = body.endswith((b"\n", b"\r"))
    if footer is None and framed.region_lines and not ends_with_newline:
        last = body[body.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")
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
    first_end = body.find(b"\n", data_start, data_end)
    newline = b"\r\n" if first_end > data_start and body[first_end - 1 : first_end] == b"\r" else b"\n"
    if is_export and framed.region_lines and body[data_end:] == newline:
        framed.region, framed.region_skip = framed.path, framed.header_line
        return
    chunk = 1 << 24
    with framed.region.open("wb") as fh:
        for offset in range(data_start, data_end, chunk):
            fh.write(memoryview(body)[offset : min(offset + chunk, data_end)])
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
