"""The same project on Apache Spark (a local Thrift Server with Iceberg tables): the SPEC §9
scenario of test_incremental.py on Spark, whose contract tables must equal DuckDB's.

- Spark builds the scenario in two builds: `greenstream run` lands the registry and the
  first step and builds, then the three later steps land and one build follows. The
  second build is where Spark's incremental path works: it rewrites the day the first
  built (late rows closing a gap, a conflicting re-delivery), extends the stuck run the
  first began and adds new days. Which file comes in which build, for any order and
  lateness, is test_build_scope_random.py's on DuckDB and PostgreSQL: an incremental
  build on Spark costs about a minute.
- DuckDB lands every file and builds once (12 s instead of 80 s on Spark). Spark's
  incremental result must equal it in every contract table, column and row (the
  comparison of test_engine_parity.py, and of §9); so must Spark's full refresh of the
  same warehouse (the non-incremental path, which the first build takes too).
- status, failures and report read the Spark warehouse.

Spark has one catalog, so its warehouse is the module's: it starts by dropping the
project's schemas. Statements cost Spark 0.3-2 s each whatever their size, so the scenario
is the small one; each Spark build costs a minute alone and two or three in the suite,
which is why there are three.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_incremental import (
    VARS,
    assert_same_tables,
    build_all_at_once,
    contract_tables,
    prepare_inputs,
)

from conftest import make_warehouse

pytestmark = pytest.mark.slow  # three Spark builds: not in make test-fast


@dataclass
class Scenario:
    """The §9 scenario in two builds on Spark, then a full refresh; all at once on DuckDB;
    and what status, failures and report print of the Spark warehouse."""

    incremental: dict[str, Any]
    full_refresh: dict[str, Any]
    all_at_once: dict[str, Any]
    status: str
    failures: str
    report: Path


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory, spark_server: dict[str, str] | None
) -> Scenario:
    root = tmp_path_factory.mktemp("spark_scenario")
    registry, (first, *later) = prepare_inputs(root)
    (root / "spark").mkdir()
    with make_warehouse("spark", root / "spark", None, spark_server) as spark:
        spark.cli("run", "--registry", registry, "--vars", VARS, *first)
        for path in [path for files in later for path in files]:
            spark.cli("load", path)
        spark.cli("build", "--vars", VARS)
        incremental = contract_tables(spark)
        status = spark.cli("status").stdout
        failures = spark.cli("failures").stdout
        spark.cli("report", "--out", root / "report.html")
        spark.cli("build", "--vars", VARS, "--full-refresh")
        full_refresh = contract_tables(spark)
    (root / "duckdb").mkdir()
    with make_warehouse("duckdb", root / "duckdb", None) as duck:
        all_at_once = build_all_at_once(duck, registry, [first, *later])
    return Scenario(incremental, full_refresh, all_at_once, status, failures, root / "report.html")


def test_spark_builds_duckdbs_contract_tables_one_step_after_another(scenario: Scenario) -> None:
    assert_same_tables(scenario.incremental, scenario.all_at_once)


def test_full_refresh_equals_the_incremental_result_on_spark(scenario: Scenario) -> None:
    assert_same_tables(scenario.incremental, scenario.full_refresh)


def test_status_failures_and_report_read_the_spark_warehouse(scenario: Scenario) -> None:
    meter_days = len(scenario.all_at_once["gold.meter_day_quality"][1])
    assert "spark 127.0.0.1:" in scenario.status
    assert "reading files: 8 loaded" in scenario.status  # a day file and a targeted one a step
    assert f"meter-days: {meter_days:,} from 2024-01-01 to 2024-01-04" in scenario.status
    assert "silver_meter_slots_faulty" in scenario.failures
    assert "GreenStream" in scenario.report.read_text(encoding="utf-8")
