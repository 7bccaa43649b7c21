"""The same project on Apache Spark (a local Thrift Server with Iceberg tables): the engine
parity and SPEC §9 scenarios of test_engine_parity.py and test_incremental.py, on Spark.

- `greenstream run --target spark` on the engine-parity data set gives every contract
  table exactly as DuckDB does (the same comparison as DuckDB = PostgreSQL);
- the §9 scenario of test_incremental.py, in two builds (its first step, then its three
  later steps at once), gives the same contract tables as landing every file and building
  once, and a full refresh of the incrementally built warehouse changes nothing. The
  second build is where Spark's incremental path works: it rewrites the day the first
  built (late rows closing a gap, a conflicting re-delivery), extends the stuck run the
  first began and adds new days. Which file comes in which build, for any order and
  lateness, is test_build_scope_random.py's on DuckDB and PostgreSQL: an incremental
  build on Spark costs about a minute. The all-at-once build is DuckDB's
  (12 s instead of 80 s on Spark): Spark's full refresh of the same raw rows (its only
  non-incremental path, that of a first build too) equals the one-by-one result, which
  equals DuckDB's all-at-once result, so Spark's full build of the scenario equals
  DuckDB's as well;
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
from test_engine_parity import CONTRACT_TABLES, columns, snapshot
from test_incremental import (
    VARS,
    assert_same_tables,
    build_all_at_once,
    contract_tables,
    prepare_inputs,
)

from conftest import GREENSTREAM, Warehouse, make_warehouse

pytestmark = pytest.mark.slow  # four Spark builds: not in make test-fast


def parity_tables(warehouse: Warehouse) -> dict[str, Any]:
    return {
        table: (names := columns(warehouse, table), snapshot(warehouse, table, names, key))
        for table, key in CONTRACT_TABLES.items()
    }


@dataclass
class Parity:
    """`greenstream run` of the parity data set on DuckDB and on Spark, and what status,
    failures and report print of the Spark warehouse."""

    duckdb: dict[str, Any]
    spark: dict[str, Any]
    status: str
    failures: str
    report: Path


@dataclass
class Scenario:
    """The §9 scenario: one file at a time on Spark, then a full refresh; all at once on
    DuckDB."""

    one_by_one: dict[str, Any]
    full_refresh: dict[str, Any]
    all_at_once: dict[str, Any]


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory, spark_server: dict[str, str] | None) -> Parity:
    root = tmp_path_factory.mktemp("spark_parity")
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
        duckdb_tables = parity_tables(duck)
    (root / "spark").mkdir()
    with make_warehouse("spark", root / "spark", None, spark_server) as spark:
        spark.cli(*run)
        return Parity(
            duckdb_tables,
            parity_tables(spark),
            spark.cli("status").stdout,
            spark.cli("failures").stdout,
            _report(spark, root / "report.html"),
        )


def _report(warehouse: Warehouse, out: Path) -> Path:
    warehouse.cli("report", "--out", out)
    return out


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory, spark_server: dict[str, str] | None
) -> Scenario:
    root = tmp_path_factory.mktemp("spark_scenario")
    registry, (first, *later) = prepare_inputs(root)
    steps = [first, [path for files in later for path in files]]
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
    with make_warehouse("duckdb", root / "all_at_once", None) as duck:
        all_at_once = build_all_at_once(duck, registry, steps)
    return Scenario(one_by_one, full_refresh, all_at_once)


# Each fixture's first test comes first: xdist gives this worker another file once two of
# the module's tests are left, and that file waits behind whatever the module still builds.


def test_greenstream_run_on_spark_gives_duckdbs_contract_tables(parity: Parity) -> None:
    assert_same_tables(parity.duckdb, parity.spark)


def test_one_by_one_on_spark_equals_all_at_once(scenario: Scenario) -> None:
    assert_same_tables(scenario.one_by_one, scenario.all_at_once)


def test_status_failures_and_report_read_the_spark_warehouse(parity: Parity) -> None:
    meter_days = len(parity.duckdb["gold.meter_day_quality"][1])
    assert "spark 127.0.0.1:" in parity.status
    assert "reading files: 3 loaded" in parity.status  # one per day of the data set
    assert f"meter-days: {meter_days:,} from 2024-01-01 to 2024-01-03" in parity.status
    assert "silver_meter_slots_faulty" in parity.failures
    assert "GreenStream" in parity.report.read_text(encoding="utf-8")


def test_full_refresh_equals_the_incremental_result_on_spark(scenario: Scenario) -> None:
    assert_same_tables(scenario.one_by_one, scenario.full_refresh)
