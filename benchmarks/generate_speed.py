"""Time `greenstream generate`: prints seconds and rows per second.

    .venv/bin/python benchmarks/generate_speed.py [--meters 50000] [--days 1] [--files-per day]

Writes into a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from greenstream.generate import generate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--interval", type=int, default=15)
    parser.add_argument("--files-per", choices=("day", "hour", "batch"), default="day")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="generate-speed-") as folder:
        started = time.perf_counter()
        dataset = generate(
            out=Path(folder) / "out",
            meters=args.meters,
            days=args.days,
            start=dt.date(2024, 1, 1),
            interval_minutes=args.interval,
            seed=1,
            files_per=args.files_per,
            progress=lambda message: print(message, file=sys.stderr),
        )
        seconds = time.perf_counter() - started
        size = sum(path.stat().st_size for path in dataset.reading_files)
    print(dataset.describe())
    print(
        f"{seconds:.2f} s, {dataset.rows_written / seconds:,.0f} rows/s, "
        f"{size / seconds / 1e6:.0f} MB/s of CSV"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
