"""Retention and restore on both engines, on files written here with answers known by hand.

The files are landed by the real loader, then their rows are back-dated with an
UPDATE of `_loaded_at`: age counts from `_loaded_at`, and the loader stamps the
current time, so this is the one way to have rows "loaded" months ago with the
lineage the loader really writes. Boundary instants (the last microsecond of a
month, the cutoff itself) are set exactly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import Warehouse

HEADER = b"meter_id,timestamp,energy_value,energy_unit\n"
READING_COLUMNS = (
    'meter_id, "timestamp", energy_value, energy_unit, '
    "_batch_id, _source_file, _source_line, _file_sha256, _loaded_at"
)
REJECT_COLUMNS = "_batch_id, _source_file, _source_line, raw_text, reason, _file_sha256, _loaded_at"
COLUMNS = {"meter_readings": READING_COLUMNS, "rejected_rows": REJECT_COLUMNS}
SOURCE_FILE = {"meter_readings": 5, "rejected_rows": 1}  # index of _source_file
ARCHIVE = Path("lake") / "archive" / "raw"

# jan.csv: tricky text that must come back byte for byte: a quoted line break, spaces,
# an escaped quote, a literal backslash-N (text, not NULL), an empty field, a tab.
JAN = HEADER + (
    b"m1,2024-01-01 00:00,1.5,kWh\n"  # line 2
    b'm2,"2024-01-01\n00:15", 2 ,"k""W"\n'  # lines 3-4
    b"m3,\\N,,W\n"  # line 5
    b"m4,2024-01-01 00:45,a\tb,kWh\n"  # line 6
    b"only,two\n"  # line 7: rejected
)
FEB = HEADER + (
    b"m1,2024-02-10 00:00,3,kWh\n"  # line 2: loaded on the last microsecond of February
    b"m1,2024-02-10 00:15,4,kWh\n"  # lines 3 and 4: loaded at 00:00 on 1 March
    b"m2,2024-02-10 00:00,5,kWh\n"
)
RECENT = HEADER + b"m1,2024-03-01 00:00,6,kWh\nbad\n"  # line 3 rejected; stays hot

BACKDATE = (
    ("meter_readings", "jan.csv", "1=1", "2024-01-15 08:00:00+00"),
    ("rejected_rows", "jan.csv", "1=1", "2024-01-31 23:59:59.999999+00"),
    ("meter_readings", "feb.csv", "_source_line = 2", "2024-02-29 23:59:59.999999+00"),
    ("meter_readings", "feb.csv", "_source_line > 2", "2024-03-01 00:00:00+00"),
)


def land(warehouse: Warehouse, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        (warehouse.root / name).write_bytes(content)
    warehouse.cli("load", *files)


def backdate(warehouse: Warehouse, table: str, source_file: str, where: str, at: str) -> None:
    warehouse.query(
        f"update raw.{table} set _loaded_at = cast('{at}' as timestamptz) "
        f"where _source_file = '{source_file}' and {where}"
    )


def hot(warehouse: Warehouse, table: str) -> list[tuple[Any, ...]]:
    return warehouse.query(
        f"select {COLUMNS[table]} from raw.{table} order by _source_file, _source_line"
    )


def archived(warehouse: Warehouse, table: str, month: str = "*") -> list[tuple[Any, ...]]:
    """The archive read by plain DuckDB; pyarrow must read the very same rows."""
    pattern = warehouse.root / ARCHIVE / table / f"month={month}" / "*.parquet"
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        by_duckdb = connection.execute(
            f"select {COLUMNS[table]} from read_parquet('{pattern}') "
            "order by _source_file, _source_line"
        ).fetchall()
    by_pyarrow = [
        tuple(row.values())
        for file in pattern.parent.parent.glob(f"month={month}/*.parquet")
        for row in pq.read_table(file).to_pylist()
    ]
    index = SOURCE_FILE[table]
    assert sorted(by_pyarrow, key=lambda row: (row[index], row[index + 1])) == by_duckdb
    return by_duckdb


def archive_files(warehouse: Warehouse) -> dict[str, str]:
    """Every file under the archive folder (published or not) and its SHA-256."""
    root = warehouse.root / ARCHIVE
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def in_month(rows: list[tuple[Any, ...]], year: int, month: int) -> list[tuple[Any, ...]]:
    return [row for row in rows if (row[-1].year, row[-1].month) == (year, month)]


def test_retention_round_trips_months_exactly(warehouse: Warehouse) -> None:
    land(warehouse, {"jan.csv": JAN, "feb.csv": FEB, "recent.csv": RECENT})
    for table, source_file, where, at in BACKDATE:
        backdate(warehouse, table, source_file, where, at)
    before = {table: hot(warehouse, table) for table in COLUMNS}
    recent = {
        table: [row for row in rows if row[SOURCE_FILE[table]] == "recent.csv"]
        for table, rows in before.items()
    }
    old = {
        table: [row for row in rows if row not in recent[table]] for table, rows in before.items()
    }
    assert [len(recent[t]) for t in COLUMNS] == [1, 1]
    assert [len(old[t]) for t in COLUMNS] == [7, 1]

    # Default retention_days (90): every back-dated row goes, one transaction per month.
    result = warehouse.cli("retention")
    lines = result.stdout.splitlines()
    assert lines[1:] == [
        "2024-01: meter_readings 4 archived = 4 deleted; rejected_rows 1 archived = 1 deleted",
        "2024-02: meter_readings 1 archived = 1 deleted",
        "2024-03: meter_readings 2 archived = 2 deleted",
        f"archived 8 rows from 3 month(s) to {warehouse.root / ARCHIVE}",
    ]
    assert "--full-refresh" in result.stderr
    assert {table: hot(warehouse, table) for table in COLUMNS} == recent
    files = archive_files(warehouse)
    assert sorted(path.rsplit("/", 1)[0] for path in files) == [
        "meter_readings/month=2024-01",
        "meter_readings/month=2024-02",
        "meter_readings/month=2024-03",
        "rejected_rows/month=2024-01",
    ]
    assert all(path.rsplit("/", 1)[1].startswith("part-") for path in files)
    assert all(path.endswith(".parquet") for path in files)
    for table in COLUMNS:
        assert archived(warehouse, table) == old[table]
    for year, month in ((2024, 1), (2024, 2), (2024, 3)):
        assert archived(warehouse, "meter_readings", f"{year}-{month:02}") == in_month(
            old["meter_readings"], year, month
        )
    first = next((warehouse.root / ARCHIVE).rglob("*.parquet"))
    assert pq.ParquetFile(first).metadata.row_group(0).column(0).compression == "ZSTD"

    # A second run changes nothing: no file, no row, no month record.
    audit_rows = warehouse.scalar("select count(*) from audit.retention_runs")
    again = warehouse.cli("retention")
    assert again.stdout.startswith("nothing to archive: no raw rows loaded before ")
    assert archive_files(warehouse) == files
    assert {table: hot(warehouse, table) for table in COLUMNS} == recent
    assert warehouse.scalar("select count(*) from audit.retention_runs") == audit_rows

    # Restore January: exactly its rows come back, and its archive files go.
    restored = warehouse.cli("restore", "--month", "2024-01")
    assert [line.split(" from ")[0] for line in restored.stdout.splitlines()] == [
        "2024-01: meter_readings 4 rows restored",
        "2024-01: rejected_rows 1 rows restored",
    ]
    for table in COLUMNS:
        expected = sorted(recent[table] + in_month(old[table], 2024, 1), key=str)
        assert sorted(hot(warehouse, table), key=str) == expected
    assert {path for path in archive_files(warehouse)} == {
        path for path in files if "month=2024-01" not in path
    }
    # ... once: a second restore finds nothing to bring back.
    twice = warehouse.cli("restore", "--month", "2024-01")
    assert twice.stdout == "2024-01: nothing archived (never archived, or already restored)\n"
    assert len(hot(warehouse, "meter_readings")) == 1 + 4

    # Retention again moves January once more, and the archive holds each row once.
    result = warehouse.cli("retention")
    assert result.stdout.splitlines()[1:-1] == [
        "2024-01: meter_readings 4 archived = 4 deleted; rejected_rows 1 archived = 1 deleted",
    ]
    assert {table: hot(warehouse, table) for table in COLUMNS} == recent
    for table in COLUMNS:
        assert archived(warehouse, table) == old[table]
    assert warehouse.query(
        "select command, raw_table, month, rows_moved from audit.retention_runs "
        "order by finished_at, command, raw_table, month"
    ) == [
        ("retention", "meter_readings", "2024-01", 4),
        ("retention", "rejected_rows", "2024-01", 1),
        ("retention", "meter_readings", "2024-02", 1),
        ("retention", "meter_readings", "2024-03", 2),
        ("restore", "meter_readings", "2024-01", 4),
        ("restore", "rejected_rows", "2024-01", 1),
        ("retention", "meter_readings", "2024-01", 4),
        ("retention", "rejected_rows", "2024-01", 1),
    ]
    # One pipeline_runs row per run: archive files written or restored, rows restored.
    assert warehouse.query(
        "select command, files, rows_landed, outcome from audit.pipeline_runs "
        "where command in ('retention', 'restore') order by started_at"
    ) == [
        ("retention", 4, 0, "success"),
        ("retention", 0, 0, "success"),
        ("restore", 2, 5, "success"),
        ("restore", 0, 0, "success"),
        ("retention", 2, 0, "success"),
    ]


def test_age_counts_whole_utc_days_from_loaded_at(warehouse: Warehouse) -> None:
    """--days 7: a row loaded one microsecond before 00:00 UTC seven days ago goes, a row
    loaded at that instant stays."""
    land(warehouse, {"a.csv": HEADER + b"m1,not a time,1,kWh\nm1,also not,2,kWh\n"})
    cutoff = dt.datetime.combine(
        dt.datetime.now(dt.UTC).date() - dt.timedelta(days=7), dt.time(), tzinfo=dt.UTC
    )
    older = cutoff - dt.timedelta(microseconds=1)
    backdate(warehouse, "meter_readings", "a.csv", "_source_line = 2", older.isoformat())
    backdate(warehouse, "meter_readings", "a.csv", "_source_line = 3", cutoff.isoformat())
    result = warehouse.cli("retention", "--days", "7")
    assert result.stdout.splitlines()[:2] == [
        f"archiving raw rows loaded before {cutoff:%Y-%m-%d} 00:00 UTC (7 days)",
        f"{older:%Y-%m}: meter_readings 1 archived = 1 deleted",
    ]
    assert [row[:3] for row in hot(warehouse, "meter_readings")] == [("m1", "also not", "2")]
    assert [row[:3] for row in archived(warehouse, "meter_readings")] == [("m1", "not a time", "1")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("retention", "--days", "-1"), "greenstream: error: --days must be 0 or more, got -1\n"),
        (
            ("restore", "--month", "2024-13"),
            "greenstream: error: --month '2024-13' is not a month; write it like --month 2024-03\n",
        ),
    ],
)
def test_bad_arguments_are_one_line_errors(
    warehouse: Warehouse, args: tuple[str, ...], message: str
) -> None:
    result = warehouse.cli(*args, check=False)
    assert (result.returncode, result.stderr) == (2, message)


def test_silver_and_gold_keep_their_history(warehouse: Warehouse) -> None:
    """Build, archive two months, build again (incrementally): every silver and gold
    table keeps its rows (but the build scope, which holds what each build recomputes)."""
    day = HEADER + b"".join(
        f"m{meter},2024-01-0{date} {hour:02}:{minute:02},{meter + minute / 60:.3f},kW\n".encode()
        for date in (1, 2)
        for meter in (1, 2)
        for hour in range(24)
        for minute in (0, 15, 30, 45)
    )
    land(warehouse, {"day.csv": day, "later.csv": HEADER + b"m1,2024-01-03 00:00,1,kW\n"})
    backdate(warehouse, "meter_readings", "day.csv", "_source_line <= 200", "2024-01-02 00:00+00")
    backdate(warehouse, "meter_readings", "day.csv", "_source_line > 200", "2024-02-02 00:00+00")
    warehouse.cli("build")
    tables = [
        f"{schema}.{name}"
        for schema, name in warehouse.query(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('silver', 'gold') order by 1, 2"
        )
        if name != "int_build_scope"
    ]
    counts = {table: warehouse.scalar(f"select count(*) from {table}") for table in tables}
    assert counts["silver.meter_readings"] == 2 * 2 * 96 + 1
    quality = "select * from gold.meter_day_quality order by meter_id, local_date"
    days = warehouse.query(quality)

    result = warehouse.cli("retention")
    assert result.stdout.splitlines()[1:3] == [
        "2024-01: meter_readings 199 archived = 199 deleted",
        "2024-02: meter_readings 185 archived = 185 deleted",
    ]
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 1
    warehouse.cli("build")
    assert {table: warehouse.scalar(f"select count(*) from {table}") for table in tables} == counts
    assert warehouse.query(quality) == days
