"""benchmarks/bench.py: a smoke run at a few hundred meters on DuckDB prints every figure.

No timing is asserted (the benchmark is not a test); only that every figure, target
and the BENCHMARKS.md section come out, and that the 15-minute file is cut right.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench.py"


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_first_slot_lines_keeps_the_records_nearest_to_the_first_slot(tmp_path: Path) -> None:
    bench = _bench_module()
    source = tmp_path / "hour.csv"
    source.write_bytes(
        b"meter_id,timestamp,energy_value,energy_unit\n"
        b"M1,2024-01-08 00:00:00,1.5,kW\n"  # slot 00:00: kept
        b"M1,2024-01-08 00:15:00,1.6,kW\n"  # next slot
        b"M2,2024-01-08T01:00:00+01:00,2,kW\n"  # 00:00 UTC: kept
        b"M2,2024-01-08T01:15:00+01:00,2,kW\n"
        b"M3,2024-01-07T19:07:00-05,3,kW\n"  # 00:07 UTC: kept
        b"M3,2024-01-07T19:08:00-05,3,kW\n"  # 00:08 UTC, nearer 00:15
        b"M4,2024-01-08 05:30:00+05:30,4,W\n"  # 00:00 UTC: kept
        b"M4,2024-01-08T00:14:59.500Z,4,W\n"
        b"M5,yesterday,1,kW\n"  # unparseable: kept with the first slot
        b"\n"
        b"M6;2024-01-08 00:00;1;kW\n"  # malformed: kept
        b"M7,2024-01-07 23:53,1,kW\n"  # 7 minutes early: kept
    )
    target = tmp_path / "quarter.csv"
    slot = dt.datetime(2024, 1, 8, tzinfo=dt.UTC)
    assert bench._first_slot_lines(source, target, slot) == 7
    assert target.read_bytes() == (
        b"meter_id,timestamp,energy_value,energy_unit\n"
        b"M1,2024-01-08 00:00:00,1.5,kW\n"
        b"M2,2024-01-08T01:00:00+01:00,2,kW\n"
        b"M3,2024-01-07T19:07:00-05,3,kW\n"
        b"M4,2024-01-08 05:30:00+05:30,4,W\n"
        b"M5,yesterday,1,kW\n"
        b"M6;2024-01-08 00:00;1;kW\n"
        b"M7,2024-01-07 23:53,1,kW\n"
    )


@pytest.mark.slow
def test_bench_runs_small_and_prints_every_figure(tmp_path: Path) -> None:
    written = tmp_path / "BENCHMARKS.md"
    written.write_text(
        "# Benchmarks\n\nNotes kept.\n\n<!-- bench:main:begin -->\nold\n<!-- bench:main:end -->\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--meters",
            "200",
            "--history-days",
            "1,2",
            "--sizes",
            "400",
            "--skip-postgres",
            "--spark-meters",
            "0",
            "--work",
            str(tmp_path / "work"),
            "--write",
            str(written),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for figure in (
        "floor: DuckDB CSV to Parquet",
        "floor: the 15-minute file",
        "CSV input, measured day",
        "DuckDB: load ",
        "DuckDB: full build",
        "DuckDB: end to end",
        "DuckDB: end to end rate",
        "DuckDB: Parquet outputs / CSV input",
        "DuckDB, 1 day of history: history full build",
        "DuckDB, 1 day of history: 15-minute file",
        "DuckDB, 2 days of history: 15-minute file",
        "DuckDB: 15-minute file, 2 vs 1 days of history",
        "DuckDB 400 meters: rate",
        "time growth 200 -> 400 meters (meters x2)",
        "peak RSS, pipeline processes summed",
    ):
        assert f"bench: {figure}" in out, figure
    assert "the floor) [load " in out  # times carry their ratio to the floor
    for target in (
        "DuckDB end to end",
        "DuckDB end to end against the floor",
        "Parquet outputs",
        "DuckDB 15-minute file to gold, 1 day of history",
        "DuckDB 15-minute file to gold, 2 days of history",
        "DuckDB 15-minute file flat with history",
        "cost close to linear",
        "peak RSS",
    ):
        assert f"target {target}: " in out, target
    text = written.read_text()
    assert text.startswith("# Benchmarks\n\nNotes kept.\n\n<!-- bench:main:begin -->\n")
    assert "\nold\n" not in text
    for part in (
        "## Machine",
        "`nproc` = ",
        "DuckDB 2.",
        "## Commands",
        "## Figures",
        "## Targets",
    ):
        assert part in text, part
    assert not (tmp_path / "work").exists()
