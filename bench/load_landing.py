"""Load a whole landing folder (e.g. the generator's large scale) and print, per report:
files, rows, seconds, rows/s, and the peak RSS of the process.

    ./zc generate --scale large --days 90 --out /tmp/large      # ≈50 M touchpoints, ~8 min
    .venv/bin/python bench/load_landing.py /tmp/large --home /tmp/large-home

Figures, not assertions: the test suite never times anything.
"""

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhongcao.config import Settings  # noqa: E402
from zhongcao.ingest.contracts import load_contracts  # noqa: E402
from zhongcao.ingest.loader import Loader, connect  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path, help="landing folder to load")
    parser.add_argument("--home", type=Path, required=True, help="scratch folder for the warehouse (emptied first)")
    args = parser.parse_args()
    shutil.rmtree(args.home, ignore_errors=True)
    settings = Settings(
        home=args.home.resolve(),
        landing=args.landing.resolve(),
        warehouse=args.home.resolve() / "warehouse.duckdb",
        published=args.home.resolve() / "published.duckdb",
        quarantine=args.home.resolve() / "quarantine",
        pii_key=b"bench",
        quarantine_mode="copy",
    )
    con = connect(settings)
    loader = Loader(settings, log=lambda _: None)
    total_rows, total_seconds = 0, 0.0
    print(f"{'report':<34}{'files':>6}{'rows':>13}{'seconds':>9}{'rows/s':>12}")
    # In contract order, as the loader's load_all: order lines take their days from the orders.
    for contract in load_contracts().values():
        started = time.perf_counter()
        outcome = loader.load_report(con, contract)
        seconds = time.perf_counter() - started
        rows = outcome.rows_loaded
        total_rows, total_seconds = total_rows + rows, total_seconds + seconds
        rate = f"{rows / seconds:,.0f}" if seconds > 0 else "-"
        print(f"{contract.key:<34}{len(outcome.files):>6}{rows:>13,}{seconds:>9.1f}{rate:>12}", flush=True)
    con.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'total':<34}{'':>6}{total_rows:>13,}{total_seconds:>9.1f}{total_rows / total_seconds:>12,.0f}")
    print(f"peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
