"""The same project on Apache Spark (a local Thrift Server with Iceberg tables): the engine
parity and SPEC §9 scenarios of test_engine_parity.py and test_incremental.py, on Spark.

- `greenstream run --target spark` on the engine-parity data set gives every contract
  table exactly as DuckDB does (the same comparison as DuckDB = PostgreSQL);
- the §9 scenario of test_incremental.py (files one at a time, a build after each) gives
  the same contract tables as landing them all and building once, and a full refresh of
  the incrementally built warehouse changes nothing;
- status, failures and report read the Spark warehouse.

Spark has one catalog, so its warehouses take turns on one server for the module: each
starts by dropping the project's schemas. Statements cost Spark 0.3-2 s each whatever
their size, so the scenarios are the small ones.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_engine_parity import CONTRACT_TABLES, columns, same, snapshot
from test_incremental import VARS, build_all_at_once, contract_tables, prepare_inputs

from conftest import GREENSTREAM, Warehouse, make_warehouse

pytestmark = pytest.mark.slow  # a dozen Spark builds: not in make test-fast


def parity_tables(warehouse: Warehouse) -> dict[str, Any]:
    return {
        table: (names := columns(warehouse, table), snapshot(warehouse, table, names, key))
        for table, key in CONTRACT_TABLES.items()
    }


def assert_same_tables(left: dict[str, Any], right: dict[str, Any]) -> None:
    for table in CONTRACT_TABLES:
        (left_columns, left_rows), (right_columns, right_rows) = left[table], right[table]
        assert left_columns == right_columns, table
        assert left_rows, f"{table} is empty: the data set does not exercise it"
        assert len(left_rows) == len(right_rows), table
        for one, other in zip(left_rows, right_rows, strict=True):
            assert all(same(a, b) for a, b in zip(one, other, strict=True)), (table, one, other)


@dataclass
class Results:
    """What the tests compare, read once from each warehouse the module builds."""

    duckdb_run: dict[str, Any]
    spark_run: dict[str, Any]
    status: str
    failures: str
    report: Path
    one_by_one: dict[str, Any]
    full_refresh: dict[str, Any]
    all_at_once: dict[str, Any]


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory, spark_server: dict[str, str] | None
) -> Results:
    root = tmp_path_factory.mktemp("spark")
    data = root / "data"
    subprocess.run(
        [GREENSTREAM, "generate", "--meters", "60", "--days", "3", "--seed", "11", "--out", data],
        check=True,
        capture_output=True,
    )
    run = ("run", "--registry", data / "registry.csv", data / "readings")
    (root / "duckdb").mkdir()
    with make_warehouse("duckdb", root / "duckdb", None) as duck:
        duck.cli(*run)
        duckdb_run = parity_tables(duck)
    (root / "spark_run").mkdir()
    with make_warehouse("spark", root / "spark_run", None, spark_server) as spark:
        spark.cli(*run)
        spark_run = parity_tables(spark)
        status = spark.cli("status").stdout
        failures = spark.cli("failures").stdout
        spark.cli("report", "--out", root / "report.html")

    registry, steps = prepare_inputs(root / "scenario")
    (root / "one_by_one").mkdir()
    with make_warehouse("spark", root / "one_by_one", None, spark_server) as spark:
        spark.cli("load", "--registry", registry)
        for files in steps:
            for path in files:
                spark.cli("load", path)
            spark.cli("build", "--vars", VARS)
        one_by_one = contract_tables(spark)
        spark.cli("build", "--vars", VARS, "--full-refresh")
        full_refresh = contract_tables(spark)
    (root / "all_at_once").mkdir()
    with make_warehouse("spark", root / "all_at_once", None, spark_server) as spark:
        all_at_once = build_all_at_once(spark, registry, steps)
    return Results(
        duckdb_run,
        spark_run,
        status,
        failures,
        root / "report.html",
        one_by_one,
        full_refresh,
        all_at_once,
    )


def test_greenstream_run_on_spark_gives_duckdbs_contract_tables(results: Results) -> None:
    assert_same_tables(results.duckdb_run, results.spark_run)


def test_one_by_one_equals_all_at_once_on_spark(results: Results) -> None:
    assert_same_tables(results.one_by_one, results.all_at_once)


def test_full_refresh_equals_the_incremental_result_on_spark(results: Results) -> None:
    assert_same_tables(results.one_by_one, results.full_refresh)


def test_status_failures_and_report_read_the_spark_warehouse(results: Results) -> None:
    # the parity data set has 60 meters over 3 days, and faults the warn tests count
    assert "spark 127.0.0.1:" in results.status
    assert "60 meters" in results.status
    assert "silver_meter_slots_faulty" in results.failures
    assert "GreenStream" in results.report.read_text(encoding="utf-8")
