"""SPEC §9: DuckDB and PostgreSQL produce the same contract tables from the same input.

A generated data set with every fault kind the generator injects goes through
`greenstream run` on both engines; every contract table is then compared row by
row. Columns that name the load or the build itself (`_batch_id`, `_loaded_at`, the
audit's batch id and load time, `_built_at`) differ by construction and are left out;
doubles are compared to 1e-9 relative, everything else exactly.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import GREENSTREAM, Warehouse, make_warehouse

pytestmark = pytest.mark.slow  # builds the demo data on both engines: not in make test-fast

CONTRACT_TABLES = {
    "silver.meter_readings": ("reading_id",),
    "silver.meter_slots": ("meter_id", "slot_start"),
    "gold.meter_day_quality": ("meter_id", "local_date"),
    "gold.faulty_meters": ("meter_id", "fault_type", "started_at"),
    "gold.peak_consumption": ("grain", "neighbourhood", "meter_id", "local_date"),
    "gold.billing_daily": ("meter_id", "local_date"),
    "gold.ml_features": ("meter_id", "slot_start"),
    "gold.quarantine": ("meter_id", "local_date"),
    "gold.batch_audit": ("source_file",),
}
LOAD_IDENTITY = {"_batch_id", "_loaded_at", "batch_id", "loaded_at", "_built_at"}


def columns(warehouse: Warehouse, table: str) -> list[str]:
    if warehouse.target == "spark":  # no information_schema; a blank row ends the columns
        described = [str(row[0]) for row in warehouse.query(f"describe {table}")]
        listed = described[: described.index("")] if "" in described else described
        return [column for column in listed if column not in LOAD_IDENTITY]
    schema, name = table.split(".")
    rows = warehouse.query(
        f"""
        select column_name from information_schema.columns
        where table_schema = '{schema}' and table_name = '{name}'
        order by ordinal_position
        """
    )
    return [column for (column,) in rows if column not in LOAD_IDENTITY]


def normalised(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # an instant as its UTC wall clock: Spark gives every timestamp so
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def snapshot(warehouse: Warehouse, table: str, names: list[str], key: tuple[str, ...]) -> list[Any]:
    """Every row, normalised and sorted by `key` in Python (collations differ)."""
    rows = warehouse.query(f"select {', '.join(names)} from {table}")
    positions = [names.index(column) for column in key]
    ordered = sorted(rows, key=lambda row: [(row[i] is None, str(row[i])) for i in positions])
    return [tuple(normalised(value) for value in row) for row in ordered]


def same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right)


def test_every_contract_table_is_identical_on_both_engines(
    tmp_path: Path, postgres_server: dict[str, str] | None
) -> None:
    data = tmp_path / "data"
    subprocess.run(
        [GREENSTREAM, "generate", "--meters", "60", "--days", "3", "--seed", "11", "--out", data],
        check=True,
        capture_output=True,
    )
    results = {}
    for target in ("duckdb", "postgres"):
        root = tmp_path / target
        root.mkdir()
        with make_warehouse(target, root, postgres_server) as warehouse:
            warehouse.cli("run", "--registry", data / "registry.csv", data / "readings")
            results[target] = {
                table: (names := columns(warehouse, table), snapshot(warehouse, table, names, key))
                for table, key in CONTRACT_TABLES.items()
            }
    duck, pg = results["duckdb"], results["postgres"]
    for table in CONTRACT_TABLES:
        (duck_columns, duck_rows), (pg_columns, pg_rows) = duck[table], pg[table]
        assert duck_columns == pg_columns, table
        assert duck_rows, f"{table} is empty: the data set does not exercise it"
        assert len(duck_rows) == len(pg_rows), table
        for left, right in zip(duck_rows, pg_rows, strict=True):
            assert all(same(a, b) for a, b in zip(left, right, strict=True)), (
                table,
                left,
                right,
            )
