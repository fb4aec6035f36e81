"""Loader throughput on a synthetic Tmall order export (GB18030 CSV) of --rows rows.

    .venv/bin/python bench/loader_throughput.py --rows 1000000

Prints rows, seconds, rows/s and peak RSS. Figures, not assertions: the test suite never times.
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhongcao.config import REPO_ROOT, Settings  # noqa: E402
from zhongcao.ingest.contracts import load_contracts  # noqa: E402
from zhongcao.ingest.loader import Loader, connect  # noqa: E402


def synthesise(sample: Path, rows: int, out: Path) -> None:
    lines = sample.read_bytes().decode("gb18030").splitlines()
    header, body = lines[0], [line for line in lines[1:] if not line.startswith("合计")]
    with out.open("w", encoding="gb18030", newline="") as fh:
        fh.write(header + "\r\n")
        for i in range(rows):
            line = body[i % len(body)]
            # unique 19-digit order ids so the grain stays unique
            fh.write(f'="{5000000000000000000 + i}"' + line[line.index(",") :] + "\r\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the synthetic export (default 200000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        landing = tmp / "landing"
        target = landing / "tmall" / "orders"
        target.mkdir(parents=True)
        sample = next((REPO_ROOT / "seeds" / "tmall" / "orders").glob("*.csv"))
        started = time.perf_counter()
        synthesise(sample, args.rows, target / "orders.csv")
        print(
            f"wrote {args.rows:,} rows ({(target / 'orders.csv').stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
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
        outcome = Loader(settings, log=lambda _: None).load_report(con, load_contracts()[("tmall", "orders")])
        seconds = time.perf_counter() - started
        con.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"tmall/orders csv: rows={outcome.rows_loaded:,} rejected={outcome.rows_rejected} "
        f"seconds={seconds:.2f} rows/s={outcome.rows_loaded / seconds:,.0f} peak_rss={peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
