"""Time `greenstream load` of one big generated file: prints rows per second.

    .venv/bin/python benchmarks/load_throughput.py [--meters 21000] [--days 1]

Generates one reading file (default 21,000 meters x 1 day x 96 readings, about 2 million
rows, with the generator's injected faults and malformed lines) and lands it in a fresh
DuckDB file in a temporary folder. Times the whole load of the file: hashing, reading
with DuckDB, line numbering, rejects, insert and commit. Wall time depends on what else
runs: the line also gives the CPU time and the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from greenstream.generate import generate
from greenstream.load import Loader, LoadOptions
from greenstream.settings import Settings
from greenstream.warehouse import Warehouse


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--meters", type=int, default=21_000)
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-throughput-") as folder:
        root = Path(folder)
        dataset = generate(
            out=root / "data",
            meters=args.meters,
            days=args.days,
            start=dt.date(2024, 1, 1),
            interval_minutes=15,
            seed=1,
            files_per="batch",
        )
        (path,) = dataset.reading_files
        os.environ["GREENSTREAM_DUCKDB_PATH"] = str(root / "bench.duckdb")
        os.environ["GREENSTREAM_DEAD_LETTER_DIR"] = str(root / "dead_letter")
        settings = Settings.from_env("duckdb")
        warehouse = Warehouse(settings)
        warehouse.ensure_raw_schema()
        loader = Loader(warehouse, settings, LoadOptions(), progress=lambda message: None)
        started, cpu_started = time.perf_counter(), time.process_time()
        outcome = loader.load_file(path, "readings")
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        loader.close()
        warehouse.close()
    print(
        f"duckdb: {outcome.status}: {outcome.records or 0:,} records "
        f"({outcome.landed:,} landed, {outcome.rejected:,} rejected) in {seconds:.2f} s: "
        f"{(outcome.records or 0) / seconds:,.0f} rows/s "
        f"(CPU {cpu_seconds:.2f} s on {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f})"
    )
    return 0 if outcome.status == "loaded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
