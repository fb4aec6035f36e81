"""Loader throughput on synthetic exports built from the committed sample.

    .venv/bin/python bench/loader_throughput.py --rows 100000 --report juguang_xlsx
    .venv/bin/python bench/loader_throughput.py --rows 1000000 --report touchpoints
    .venv/bin/python bench/loader_throughput.py --rows 200000 --report orders

`touchpoints` is the data bank's event CSV (8 columns, the biggest table by far); `orders`
is Tmall's GB18030 order report (18 columns, 4 of them PII hashed at load). Prints rows,
seconds, rows/s and peak RSS. Figures, not assertions: the test suite never times anything.
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhongcao.config import REPO_ROOT, Settings  # noqa: E402
from zhongcao.ingest.contracts import load_contracts  # noqa: E402
from zhongcao.ingest.loader import Loader, connect  # noqa: E402

REPORTS = {
    # name: (platform, report, encoding, newline, line rewrite keeping the grain unique)
    "orders": (
        "tmall",
        "orders",
        "gb18030",
        "\r\n",
        lambda line, i: f'="{5000000000000000000 + i}"' + line[line.index(",") :],
    ),
    "touchpoints": ("databank", "touchpoints", "utf-8", "\n", lambda line, i: f"{i:016x}" + line[line.index(",") :]),
}


def synthesise_xlsx(rows: int, out: Path) -> None:
    """聚光 creative report as XLSX: the sample's rows repeated under fresh creative ids."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    sample = next((REPO_ROOT / "seeds" / "xiaohongshu" / "juguang_ads").glob("*.xlsx"))
    table = CalamineWorkbook.from_path(str(sample)).get_sheet_by_index(0).to_python()
    header, body = table[0], table[1:]
    creative = header.index("创意ID")
    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, header)
    for i in range(rows):
        row = list(body[i % len(body)])
        row[creative] = str(10**14 + i)
        sheet.write_row(i + 1, 0, row)
    workbook.close()


def synthesise(platform: str, report: str, encoding: str, newline: str, rewrite, rows: int, out: Path) -> None:
    sample = next((REPO_ROOT / "seeds" / platform / report).glob("*.csv"))
    lines = sample.read_bytes().decode(encoding).splitlines()
    header, body = lines[0], [line for line in lines[1:] if not line.startswith(("合计", "#"))]
    with out.open("w", encoding=encoding, newline="") as fh:
        fh.write(header + newline)
        for i in range(rows):
            fh.write(rewrite(body[i % len(body)], i) + newline)


def reference_floor(export: Path, encoding: str, tmp: Path) -> tuple[str, float]:
    """What the loader cannot beat on this machine: the parser alone, without framing, cleaning,
    typing, checks, PII hashing or lineage (a CSV straight into a DuckDB table as text; a file in
    another encoding transcoded to UTF-8 first, as the loader must, since DuckDB reads UTF-8)."""
    started = time.perf_counter()
    if export.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        CalamineWorkbook.from_path(str(export)).get_sheet_by_index(0).to_python()
        return "calamine reading the sheet alone", time.perf_counter() - started
    source = export
    if encoding != "utf-8":
        source = tmp / "utf8.csv"
        source.write_bytes(export.read_bytes().decode(encoding).encode("utf-8"))
    con = duckdb.connect(str(tmp / "floor.duckdb"))
    try:
        con.execute("create table floor as select * from read_csv(?, header = true, all_varchar = true)", [str(source)])
    finally:
        con.close()
    return "DuckDB alone reading the CSV into a table as text", time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the synthetic export (default 1000000)")
    parser.add_argument(
        "--report",
        choices=sorted([*REPORTS, "juguang_xlsx"]),
        default="touchpoints",
        help="which export (default touchpoints)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        landing = tmp / "landing"
        started = time.perf_counter()
        if args.report == "juguang_xlsx":
            platform, report, kind, encoding = "xiaohongshu", "juguang_ads", "xlsx", "xlsx"
            target = landing / platform / report
            target.mkdir(parents=True)
            export = target / "export.xlsx"
            synthesise_xlsx(args.rows, export)
        else:
            platform, report, encoding, newline, rewrite = REPORTS[args.report]
            kind = "csv"
            target = landing / platform / report
            target.mkdir(parents=True)
            export = target / "export.csv"
            synthesise(platform, report, encoding, newline, rewrite, args.rows, export)
        size_mb = export.stat().st_size / 1e6
        print(f"wrote {args.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s")
        settings = Settings(
            home=tmp,
            landing=landing,
            warehouse=tmp / "w.duckdb",
            published=tmp / "p.duckdb",
            quarantine=tmp / "q",
            pii_key=b"bench",
        )
        con = connect(settings)
        started = time.perf_counter()
        outcome = Loader(settings, log=lambda _: None).load_report(con, load_contracts()[(platform, report)])
        seconds = time.perf_counter() - started
        con.close()
        floor_label, floor_seconds = reference_floor(export, encoding, tmp)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{platform}/{report} {kind}: rows={outcome.rows_loaded:,} rejected={outcome.rows_rejected} "
        f"seconds={seconds:.2f} rows/s={outcome.rows_loaded / seconds:,.0f} peak_rss={peak_mb:,.0f} MB"
    )
    print(f"  for reference, {floor_label}: {floor_seconds:.2f} s ({args.rows / floor_seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
