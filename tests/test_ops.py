"""`greenstream status` and `greenstream failures` on the report's hand-made scenario.

The scenario (see test_report.py) lands 640 rows and rejects 1; a file without the energy
columns goes to the dead letter. Its input-quality warnings, worked out by hand: one row
without a meter id (day1.csv line 2), one invalid value ('abc'), one out-of-bounds reading
(m4, 25 kW), 32 missing slots (m3 on D2) and 144 faulty slots (m3 stuck 96, m4 near-zero 48).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_pipeline_runs import small_project
from test_report import build_scenario

from greenstream.warehouse import AUDIT_DDL

from conftest import Warehouse, make_warehouse


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: dict[str, str] | None,
) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp(f"ops_{request.param}")
    with make_warehouse(request.param, root, postgres_server) as warehouse:
        build_scenario(warehouse)
        (root / "bad.csv").write_text("meter_id,timestamp\nm9,2024-01-01 00:00\n", encoding="utf-8")
        assert warehouse.cli("load", "bad.csv", check=False).returncode == 1  # dead letter
        yield warehouse


def _where(warehouse: Warehouse) -> str:
    if warehouse.target == "duckdb":
        return f"duckdb {warehouse.env['GREENSTREAM_DUCKDB_PATH']}"
    env = warehouse.env
    return f"postgres {env['PGHOST']}:{env['PGPORT']}/{env['PGDATABASE']}"


TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"


def test_status_without_recorded_runs(built: Warehouse) -> None:
    built.query("drop table if exists audit.pipeline_runs")
    result = built.cli("status")
    dead = built.env["GREENSTREAM_DEAD_LETTER_DIR"]
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        f"warehouse: {_where(built)}",
        "recent runs: none recorded yet (audit.pipeline_runs appears with the next build)",
        "reading files: 2 loaded, 0 skipped (already loaded), 1 to the dead letter; "
        "1 registry file loaded",
        "rows: 640 landed, 1 rejected (raw.rejected_rows)",
        "meter-days: 7 from 2024-01-01 to 2024-01-02: 3 GOLD, 2 SILVER, 2 BRONZE",
        f"dead letters: 1 in the ledger, 1 file in {dead}",
    ]
    assert re.fullmatch(
        rf"  bad\.csv \({TIME}\): missing required column\(s\) energy_value, energy_unit; "
        r"the header has 'meter_id', 'timestamp' .*",
        lines[6],
    )
    assert lines[7] == (
        f"  fix a file, then load it again; the reasons are also in {dead}/*.error.json"
    )
    assert re.fullmatch(
        rf"last build: {TIME}, 0 failed or errored, \d+ warnings: see greenstream failures",
        lines[8],
    )
    assert len(lines) == 9
    assert result.stderr == ""


def test_status_lists_recent_runs_newest_first(built: Warehouse) -> None:
    (runs_table,) = [ddl for ddl in AUDIT_DDL if "audit.pipeline_runs" in ddl]
    built.query(runs_table)  # dropped by the test above
    built.query(
        "insert into audit.pipeline_runs (run_id, command, target, started_at, finished_at, "
        "files, rows_landed, outcome, attempts, error) values "
        "('r1', 'run', 'duckdb', cast('2090-01-01 03:00:00+00' as timestamptz), "
        "cast('2090-01-01 03:00:40+00' as timestamptz), 2, 640, 'success', 1, null), "
        "('r2', 'build', 'duckdb', cast('2090-01-02 03:00:00+00' as timestamptz), "
        "cast('2090-01-02 03:00:12.5+00' as timestamptz), 0, 0, 'failed', 3, "
        "'dbt could not run: Parsing Error\nmore detail')"
    )
    lines = built.cli("status").stdout.splitlines()
    assert lines[1:4] == [
        "recent runs (newest first, up to 10):",
        "  2090-01-02 03:00 UTC  build on duckdb: failed, 12.5 s, 0 files, 0 rows landed, "
        "3 attempts: dbt could not run: Parsing Error",
        "  2090-01-01 03:00 UTC  run on duckdb: success, 40.0 s, 2 files, 640 rows landed",
    ]


WARNINGS = {
    "WARN not_null_stg_raw__meter_readings_meter_id "
    "(model stg_raw__meter_readings, column meter_id): 1 row",
    "WARN stg_raw__meter_readings_value_valid (model stg_raw__meter_readings): 1 row",
    "WARN silver_meter_readings_invalid_readings (model meter_readings): 1 row",
    "WARN silver_meter_readings_out_of_bounds (model meter_readings): 1 row",
    "WARN silver_meter_slots_missing (model meter_slots): 32 rows",
    "WARN silver_meter_slots_faulty (model meter_slots): 144 rows",
}


def test_failures_lists_the_warnings_with_sample_rows(built: Warehouse) -> None:
    result = built.cli("failures")
    lines = result.stdout.splitlines()
    assert re.fullmatch(
        rf"last build: {TIME} on {built.target}; \d+ tests: \d+ passed, \d+ warned, "
        r"0 failed, 0 errored, 0 skipped",
        lines[0],
    )
    headings = [line for line in lines if not line.startswith(" ")]
    assert set(headings) >= WARNINGS
    assert not [line for line in headings if line.startswith(("FAIL", "ERROR"))]
    # up to five sample rows each, from the audit table dbt stored
    missing = lines.index("WARN silver_meter_slots_missing (model meter_slots): 32 rows")
    assert lines[missing + 1] == "    sample rows from audit.silver_meter_slots_missing:"
    samples = lines[missing + 2 : missing + 7]
    assert all(line.startswith("    - meter_id=m3, ") for line in samples)
    assert all("source=missing, kw=NULL" in line for line in samples)
    no_meter = headings.index(
        "WARN not_null_stg_raw__meter_readings_meter_id "
        "(model stg_raw__meter_readings, column meter_id): 1 row"
    )
    sample = lines[lines.index(headings[no_meter]) + 2]
    assert sample.startswith("    - meter_id=NULL, timestamp_text=2024-01-01 00:00, ")
    assert "_source_file=day1.csv, _source_line=2, " in sample
    assert lines[-1].startswith("only warnings: the build is good")
    assert result.returncode == 0


def test_failures_shows_a_failing_test_and_exits_1(built: Warehouse) -> None:
    """Break an invariant of our own output, then run only the test that guards it."""
    built.query(
        "update gold.meter_day_quality set q_score = 150 "
        "where meter_id = 'm1' and local_date = cast('2024-01-01' as date)"
    )
    test = "gold_meter_day_quality_row_rules"
    assert built.cli("build", "--select", test, check=False).returncode == 1
    result = built.cli("failures", check=False)
    lines = result.stdout.splitlines()
    assert re.fullmatch(
        rf"last build: {TIME} on {built.target}; 1 tests: 0 passed, 0 warned, 1 failed, "
        "0 errored, 0 skipped",
        lines[0],
    )
    assert lines[1:3] == [
        f"FAIL {test} (model meter_day_quality): 1 row",
        f"    sample rows from audit.{test}:",
    ]
    # the broken rules first: only the range (m1 is GOLD that day, and 150 > 90 keeps the
    # tier's rule)
    assert lines[3].startswith(
        "    - failed_rules=q_score_in_range, meter_id=m1, neighbourhood=north, "
        "local_date=2024-01-01, "
    )
    assert len(lines) == 4
    assert result.returncode == 1


def test_the_row_rules_name_the_required_columns_found_null(built: Warehouse) -> None:
    """A model's required columns are rules of its one row_rules query, named first."""
    built.query(
        "update gold.meter_day_quality set tier = null, q_score = null "
        "where meter_id = 'm1' and local_date = cast('2024-01-01' as date)"
    )
    test = "gold_meter_day_quality_row_rules"
    assert built.cli("build", "--select", test, check=False).returncode == 1
    lines = built.cli("failures", check=False).stdout.splitlines()
    assert lines[1] == f"FAIL {test} (model meter_day_quality): 1 row"
    # a NULL tier and score also break the rule tying the tier to the score
    assert lines[3].startswith(
        "    - failed_rules=q_score_not_null, tier_not_null, tier_follows_q_score, meter_id=m1, "
    )


def test_a_peak_day_missing_from_meter_day_quality_fails_the_relationship_test(
    built: Warehouse,
) -> None:
    """composite_relationships returns each (meter, day) of peaks that quality lacks."""
    built.query(
        "delete from gold.meter_day_quality "
        "where meter_id = 'm2' and local_date = cast('2024-01-02' as date)"
    )
    test = "gold_peak_consumption_meter_days_in_meter_day_quality"
    assert built.cli("build", "--select", test, check=False).returncode == 1
    lines = built.cli("failures", check=False).stdout.splitlines()
    assert lines[1] == f"FAIL {test} (model peak_consumption): 1 row"
    assert lines[3] == "    - meter_id=m2, local_date=2024-01-02"


def test_raw_rows_missing_from_silver_fail_the_one_row_per_raw_row_test(
    built: Warehouse,
) -> None:
    """Two rows land and are parsed in bronze but never reach silver (only bronze is built):
    the test finds exactly those two raw rows."""
    (built.root / "late.csv").write_text(
        "meter_id,timestamp,energy_value,energy_unit\n"
        "m1,2024-01-03 00:00,1.0,kW\n"
        "m1,2024-01-03 00:15,1.0,kW\n",
        encoding="utf-8",
    )
    # the runs dated 2090 that test_status_lists_recent_runs_newest_first records would put
    # every landed row before the last successful build
    built.query("delete from audit.pipeline_runs where started_at > current_timestamp")
    built.cli("load", "late.csv")
    sha256 = hashlib.sha256((built.root / "late.csv").read_bytes()).hexdigest()[:59] + "…"
    test = "silver_meter_readings_one_row_per_raw_row"
    selected = built.cli("build", "--select", "stg_raw__meter_readings", test, check=False)
    assert selected.returncode == 1
    lines = built.cli("failures", check=False).stdout.splitlines()
    assert lines[1] == f"FAIL {test}: 2 rows"
    assert sorted(lines[3:5]) == [
        f"    - raw_rows=1, silver_rows=0, silver_rows_of_latest_build=0, _source_line={line},"
        f" _file_sha256={sha256}"
        for line in (2, 3)
    ]


def test_a_silver_row_repeated_in_the_latest_build_fails_the_one_row_per_raw_row_test(
    built: Warehouse,
) -> None:
    """The same test holds each key once among the rows the latest build wrote, whenever
    they landed (it stands for a `unique` test on reading_id). A successful build recorded
    first puts every raw row before the scope of the landed rows, the two of the test above
    included."""
    built.query(
        "insert into audit.pipeline_runs (run_id, command, target, started_at, finished_at, "
        "files, rows_landed, outcome, attempts, error) values ('r3', 'build', 'duckdb', "
        "current_timestamp, current_timestamp, 0, 0, 'success', 1, null)"
    )
    latest = "(select max(_built_at) from silver.meter_readings)"
    key = built.query(
        "select _file_sha256, _source_line from silver.meter_readings"
        f" where _built_at = {latest} and meter_id = 'm2' order by _source_line limit 1"
    )[0]
    built.query(
        "insert into silver.meter_readings select * from silver.meter_readings"
        f" where _file_sha256 = '{key[0]}' and _source_line = {key[1]}"
    )
    test = "silver_meter_readings_one_row_per_raw_row"
    assert built.cli("build", "--select", test, check=False).returncode == 1
    lines = built.cli("failures", check=False).stdout.splitlines()
    assert lines[1:] == [
        f"FAIL {test}: 1 row",
        f"    sample rows from audit.{test}:",
        "    - raw_rows=0, silver_rows=0, silver_rows_of_latest_build=2,"
        f" _source_line={key[1]}, _file_sha256={key[0][:59]}…",
    ]


def test_two_warehouses_of_one_checkout_each_report_their_own_build(
    warehouse: Warehouse, tmp_path: Path, postgres_server: dict[str, str] | None
) -> None:
    """dbt's target/ folder is the checkout's; each warehouse keeps its own build results.

    Warehouse A builds a project whose one singular test fails (2 rows); warehouse B, on the
    same engine and the same dbt target folder, then builds only a seed (all passes).
    """
    project = small_project(warehouse)
    (warehouse.root / "r.csv").write_text("meter_id,timestamp,energy_value,energy_unit\n")
    warehouse.cli("load", "r.csv")
    assert warehouse.cli("build", check=False).returncode == 1  # always_fails fails
    (tmp_path / "b").mkdir()
    with make_warehouse(warehouse.target, tmp_path / "b", postgres_server) as other:
        other.env["GREENSTREAM_PROJECT_DIR"] = str(project)
        other.env["DBT_TARGET_PATH"] = warehouse.env["DBT_TARGET_PATH"]  # one checkout
        (other.root / "r.csv").write_text("meter_id,timestamp,energy_value,energy_unit\n")
        other.cli("load", "r.csv")
        other.cli("build", "--select", "unit_conversions")

        mine = warehouse.cli("failures", check=False)
        assert mine.returncode == 1
        lines = mine.stdout.splitlines()
        assert re.fullmatch(
            rf"last build: {TIME} on {warehouse.target}; (\d+) tests: \d+ passed, 0 warned, "
            r"1 failed, 0 errored, 0 skipped",
            lines[0],
        )
        assert "FAIL always_fails: 2 rows" in lines
        assert "    sample rows from audit.always_fails:" in lines
        status = warehouse.cli("status").stdout.splitlines()
        assert re.fullmatch(
            rf"last build: {TIME}, 1 failed or errored, 0 warnings: see greenstream failures",
            status[-1],
        )

        theirs = other.cli("failures")
        assert re.fullmatch(
            rf"last build: {TIME} on {other.target}; \d+ tests: \d+ passed, 0 warned, "
            r"0 failed, 0 errored, 0 skipped",
            theirs.stdout.splitlines()[0],
        )
        assert theirs.stdout.splitlines()[1:] == ["all tests passed"]
        assert (
            other.scalar(
                "select count(*) from audit.build_results where unique_id like 'test.%always_fails'"
            )
            == 0
        )
    results = warehouse.query(
        "select unique_id, resource_type, name, status, failures, message "
        "from audit.build_results where unique_id = 'test.greenstream.always_fails'"
    )
    assert results == [
        (
            "test.greenstream.always_fails",
            "test",
            "always_fails",
            "fail",
            2,
            "Got 2 results, configured to fail if != 0",
        )
    ]
