"""Parquet exports by partition on DuckDB (issue 10 item 4).

At a 60-minute interval in UTC: G1 and G2 send complete days on 2024-01-01 (GOLD), G1
also on 2024-01-02 (GOLD); Q1 sends six hours of 2024-02-10 (18 missing hours: BRONZE).
After the first build, `ml_features` has the partitions 2024-01-01 and 2024-01-02, and
`quarantine` the month 2024-02. Then conflicting re-deliveries of G1's hours 12-23 on
2024-01-02 leave that day with 12 missing hours (BRONZE): its `ml_features` partition
loses all its rows and is removed, the quarantine gains the month 2024-01, and the
partitions nothing changed in (2024-01-01, 2024-02) are not written again.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import Warehouse

pytestmark = pytest.mark.slow  # three builds in a row: not in make test-fast

VARS = "{reading_interval_minutes: 60}"
HEADER = "meter_id,timestamp,energy_value,energy_unit"


def day(meter: str, date: str, hours: range, offset: float = 0.0) -> list[str]:
    return [f"{meter},{date} {hour:02d}:00:00,{1 + hour / 10 + offset},kW" for hour in hours]


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def partitions(folder: Path) -> dict[str, int]:
    """Partition folder name -> modification time (ns) of its one Parquet file."""
    found = {}
    for partition in sorted(folder.iterdir()):
        (file,) = partition.glob("*.parquet")
        found[partition.name] = file.stat().st_mtime_ns
    return found


def test_only_changed_partitions_are_written_and_emptied_ones_removed(
    duckdb_warehouse: Warehouse,
) -> None:
    warehouse = duckdb_warehouse
    lake = Path(warehouse.env["GREENSTREAM_LAKE_DIR"])
    first = write(
        warehouse.root / "first.csv",
        day("G1", "2024-01-01", range(24))
        + day("G2", "2024-01-01", range(24))
        + day("G1", "2024-01-02", range(24))
        + day("Q1", "2024-02-10", range(6)),
    )
    warehouse.cli("load", first)
    warehouse.cli("build", "--vars", VARS)
    features, quarantine = partitions(lake / "ml_features"), partitions(lake / "quarantine")
    assert list(features) == ["local_date=2024-01-01", "local_date=2024-01-02"]
    assert list(quarantine) == ["local_month=2024-02"]

    second = write(warehouse.root / "second.csv", day("G1", "2024-01-02", range(12, 24), 5))
    warehouse.cli("load", second)
    warehouse.cli("build", "--vars", VARS)
    features_after = partitions(lake / "ml_features")
    quarantine_after = partitions(lake / "quarantine")
    assert features_after == {"local_date=2024-01-01": features["local_date=2024-01-01"]}
    assert list(quarantine_after) == ["local_month=2024-01", "local_month=2024-02"]
    assert quarantine_after["local_month=2024-02"] == quarantine["local_month=2024-02"]

    assert warehouse.query(
        "select meter_id, local_date, count(*) from gold.ml_features group by 1, 2 order by 1"
    ) == [("G1", date(2024, 1, 1), 24), ("G2", date(2024, 1, 1), 24)]
    assert warehouse.query(
        "select meter_id, local_date, tier from gold.quarantine order by local_date"
    ) == [("G1", date(2024, 1, 2), "BRONZE"), ("Q1", date(2024, 2, 10), "BRONZE")]

    warehouse.cli("build", "--vars", VARS, "--full-refresh")
    assert list(partitions(lake / "ml_features")) == ["local_date=2024-01-01"]
    assert list(partitions(lake / "quarantine")) == ["local_month=2024-01", "local_month=2024-02"]
