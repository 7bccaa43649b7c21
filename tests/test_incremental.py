"""SPEC §9: loading files one at a time with a build after each gives the same contract
tables as loading them all and building once, on both engines; and a full refresh of the
incrementally built warehouse changes nothing.

One scenario per engine, built once for the module. It runs at a 60-minute interval in
UTC (24 slots a day). Day files of `greenstream generate --meters 20 --days 4 --interval
60 --files-per day --seed 3 --fault-rate 4` arrive in the order day 1, 3, 2, 4 (the
generator also writes late and re-delivered rows of a day into the next day's file), each
step with one hand-made file of targeted meters that break a naive incremental build:

- STUCK reads 0.5 kW: 16 hours in step 1 (not stuck), 12 more in step 2, so the run of
  28 identical readings crosses 24 h and crosses midnight: every slot stuck, one episode.
- GAP sends hours 0-9 of 2024-01-01 in step 1 (hours 10-23 missing: no anchor after),
  hours 12-23 in step 2: hours 10 and 11 become interpolated (a 2-hour gap).
- DUP sends a complete day in step 1 (100.00 GOLD) and a different value for hour 5 in
  step 2: the stored valid reading turns into duplicate_conflict with the new one, the slot
  is interpolated, 100 - 10 = 90.00 SILVER. In step 3 an identical re-delivery of hour 7
  is a `duplicate` and changes nothing.
- N1..N4 (neighbourhood tnbh) follow s(h) = 1 + cos(2 pi (h - 18) / 24) scaled by 1, 1.2,
  1.4, 1.6 in step 1: leaving each out, the others' profile is proportional, r = 1. N5
  (3 kW before 06:00, 0.2 kW after: high when s is low) arrives in step 2: N5 is a
  mismatch, and N1..N4's correlations drop below 1 (the others' profile is no longer
  proportional to s) although nothing of theirs arrived.

The all-at-once warehouse lands the same files in the same order (the duplicate rule
keeps the earliest landing, so the order of arrival is part of the input) and builds once.
Both engines and both warehouses of each are built in parallel to keep the module fast.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from test_engine_parity import CONTRACT_TABLES, columns, same, snapshot

from conftest import GREENSTREAM, Warehouse, make_warehouse

pytestmark = pytest.mark.slow  # a build per file on each engine: not in make test-fast

VARS = "{reading_interval_minutes: 60}"
T = TypeVar("T")
HEADER = "meter_id,timestamp,energy_value,energy_unit"
D1, D2, D3 = "2024-01-01", "2024-01-02", "2024-01-03"
# Columns naming the build or the landing differ by construction.
IGNORED = {"_built_at"}
TARGETED_REGISTRY = [
    "STUCK,tstuck,standard,C900",
    "GAP,tgap,standard,C901",
    "DUP,tdup,standard,C902",
    *(f"N{n},tnbh,standard,C91{n}" for n in range(1, 6)),
]


def shape(hour: int) -> float:
    return 1 + math.cos(2 * math.pi * (hour - 18) / 24)


def line(meter: str, day: str, hour: int, value: object) -> str:
    return f"{meter},{day} {hour:02d}:00:00,{value},kW"


def targeted_files() -> list[list[str]]:
    """The hand-made file of each step (steps 1 to 4)."""
    step1 = [line("STUCK", D2, h, 0.5) for h in range(16)]
    step1 += [line("GAP", D1, h, 1 + h / 10) for h in range(10)]
    step1 += [line("DUP", D1, h, 1 + h / 10) for h in range(24)]
    for n, scale in ((1, 1.0), (2, 1.2), (3, 1.4), (4, 1.6)):
        step1 += [line(f"N{n}", D1, h, repr(scale * shape(h))) for h in range(24)]
    step2 = [line("STUCK", D2, h, 0.5) for h in range(16, 24)]
    step2 += [line("STUCK", D3, h, 0.5) for h in range(4)]
    step2 += [line("GAP", D1, h, 1 + h / 10) for h in range(12, 24)]
    step2 += [line("DUP", D1, 5, 9.9)]
    step2 += [line("N5", D1, h, 3 if h < 6 else 0.2) for h in range(24)]
    step3 = [line("DUP", D1, 7, 1 + 7 / 10)]
    step4: list[str] = []
    return [[HEADER, *rows] for rows in (step1, step2, step3, step4)]


@dataclass
class Scenario:
    """What the tests read from one engine's warehouses."""

    after_step: list[dict[str, Any]] = field(default_factory=list)
    incremental_tables: dict[str, Any] = field(default_factory=dict)
    full_refresh_tables: dict[str, Any] = field(default_factory=dict)
    full_refresh_scope_rows: int | None = None
    all_at_once_tables: dict[str, Any] = field(default_factory=dict)


def contract_tables(warehouse: Warehouse) -> dict[str, Any]:
    tables = {}
    for table, key in CONTRACT_TABLES.items():
        names = [name for name in columns(warehouse, table) if name not in IGNORED]
        tables[table] = (names, snapshot(warehouse, table, names, key))
    return tables


def observe(warehouse: Warehouse) -> dict[str, Any]:
    """What the targeted tests check after each step."""
    return {
        "stuck": warehouse.query(
            "select count(*), sum(case when is_stuck then 1 else 0 end) from silver.meter_slots"
            " where meter_id = 'STUCK' and source = 'measured'"
        )[0],
        "stuck_episodes": warehouse.query(
            "select fault_type, started_at, ended_at, readings, is_active"
            " from gold.faulty_meters where meter_id = 'STUCK'"
        ),
        "gap": warehouse.query(
            "select cast(extract(hour from slot_start at time zone 'UTC') as integer), source, kw"
            f" from silver.meter_slots where meter_id = 'GAP' and local_date = date '{D1}'"
            " and extract(hour from slot_start at time zone 'UTC') between 9 and 12"
            " order by slot_start"
        ),
        "dup": warehouse.query(
            "select q_score, tier, invalid_readings, interpolated_slots from gold.meter_day_quality"
            f" where meter_id = 'DUP' and local_date = date '{D1}'"
        ),
        "dup_statuses": sorted(
            warehouse.query(
                "select cast(extract(hour from slot_start at time zone 'UTC') as integer), status"
                " from silver.meter_readings where meter_id = 'DUP' and status <> 'valid'"
            )
        ),
        "neighbours": dict(
            warehouse.query(
                "select meter_id, neighbour_correlation from gold.meter_day_quality"
                f" where neighbourhood = 'tnbh' and local_date = date '{D1}'"
            )
        ),
        "scope_rows": scope_rows(warehouse),
        "mismatches": warehouse.query(
            "select meter_id from gold.faulty_meters where fault_type = 'neighbour_mismatch'"
            " and meter_id like 'N%'"
        ),
    }


def prepare_inputs(root: Path) -> tuple[Path, list[list[Path]]]:
    """The registry and, per step, the files it lands (in order)."""
    data = root / "data"
    generate = "generate --meters 20 --days 4 --interval 60 --files-per day --seed 3"
    subprocess.run(
        [GREENSTREAM, *generate.split(), "--fault-rate", "4", "--out", str(data)],
        check=True,
        capture_output=True,
    )
    registry = root / "registry.csv"
    registry.write_text(
        (data / "registry.csv").read_text(encoding="utf-8")
        + "".join(f"{row},,\n" for row in TARGETED_REGISTRY),
        encoding="utf-8",
    )
    steps: list[list[Path]] = []
    for step, (day, rows) in enumerate(zip((1, 3, 2, 4), targeted_files(), strict=True), 1):
        targeted = root / f"targeted_step{step}.csv"
        targeted.write_text("\n".join(rows) + "\n", encoding="utf-8")
        steps.append([data / "readings" / f"readings_2024-01-0{day}.csv", targeted])
    return registry, steps


def scope_rows(warehouse: Warehouse) -> int:
    return int(warehouse.query("select count(*) from silver.int_build_scope")[0][0])


def build_one_by_one(warehouse: Warehouse, registry: Path, steps: list[list[Path]]) -> Scenario:
    result = Scenario()
    warehouse.cli("load", "--registry", registry)
    for files in steps:
        for path in files:  # one landing per file, in order
            warehouse.cli("load", path)
        warehouse.cli("build", "--vars", VARS)
        result.after_step.append(observe(warehouse))
    result.incremental_tables = contract_tables(warehouse)
    warehouse.cli("build", "--vars", VARS, "--full-refresh")
    result.full_refresh_tables = contract_tables(warehouse)
    result.full_refresh_scope_rows = scope_rows(warehouse)
    return result


def build_all_at_once(warehouse: Warehouse, registry: Path, steps: list[list[Path]]) -> Any:
    warehouse.cli("load", "--registry", registry)
    for path in [path for files in steps for path in files]:
        warehouse.cli("load", path)
    warehouse.cli("build", "--vars", VARS)
    return contract_tables(warehouse)


def build_engine(
    target: str, root: Path, postgres: dict[str, str] | None, pool: ThreadPoolExecutor
) -> Scenario:
    registry, steps = prepare_inputs(root)
    (root / "one_by_one").mkdir()
    (root / "all_at_once").mkdir()
    with (
        make_warehouse(target, root / "one_by_one", postgres) as one_by_one,
        make_warehouse(target, root / "all_at_once", postgres) as all_at_once,
    ):
        incremental = pool.submit(build_one_by_one, one_by_one, registry, steps)
        at_once = pool.submit(build_all_at_once, all_at_once, registry, steps)
        result = incremental.result()
        result.all_at_once_tables = at_once.result()
    return result


def on_both_engines(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: dict[str, str] | None,
    build_engine: Callable[[str, Path, dict[str, str] | None, ThreadPoolExecutor], T],
    prefix: str,
) -> dict[str, T]:
    """`build_engine` for DuckDB and PostgreSQL, all their warehouses in parallel."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {
            target: pool.submit(
                build_engine,
                target,
                tmp_path_factory.mktemp(f"{prefix}_{target}"),
                postgres_server,
                pool,
            )
            for target in ("duckdb", "postgres")
        }
        return {target: future.result() for target, future in futures.items()}


@pytest.fixture(scope="module")
def scenarios(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: dict[str, str] | None
) -> dict[str, Scenario]:
    """Both engines' scenarios, built once for the module, all warehouses in parallel."""
    return on_both_engines(tmp_path_factory, postgres_server, build_engine, "incremental")


@pytest.fixture(params=["duckdb", "postgres"])
def scenario(request: pytest.FixtureRequest, scenarios: dict[str, Scenario]) -> Scenario:
    return scenarios[request.param]


def assert_same_tables(left: dict[str, Any], right: dict[str, Any]) -> None:
    for table in CONTRACT_TABLES:
        (left_columns, left_rows), (right_columns, right_rows) = left[table], right[table]
        assert left_columns == right_columns, table
        assert left_rows, f"{table} is empty: the scenario does not exercise it"
        assert len(left_rows) == len(right_rows), table
        for one, other in zip(left_rows, right_rows, strict=True):
            assert all(same(a, b) for a, b in zip(one, other, strict=True)), (table, one, other)


def test_one_by_one_equals_all_at_once(scenario: Scenario) -> None:
    assert_same_tables(scenario.incremental_tables, scenario.all_at_once_tables)


def test_full_refresh_equals_the_incremental_result(scenario: Scenario) -> None:
    assert_same_tables(scenario.incremental_tables, scenario.full_refresh_tables)


def test_the_scope_is_left_empty_when_every_table_is_rebuilt_whole(scenario: Scenario) -> None:
    # a first build and a full refresh rebuild every scoped table (macro scope_is_read);
    # each later step lands readings of meters whose tables exist
    first, *later = [step["scope_rows"] for step in scenario.after_step]
    assert first == 0
    assert later and all(rows > 0 for rows in later)
    assert scenario.full_refresh_scope_rows == 0


def test_stuck_run_grows_across_builds_past_24_hours(scenario: Scenario) -> None:
    first, second = scenario.after_step[0], scenario.after_step[1]
    assert first["stuck"] == (16, 0)
    assert first["stuck_episodes"] == []
    assert second["stuck"] == (28, 28)
    start = datetime(2024, 1, 2, tzinfo=UTC)
    end = datetime(2024, 1, 3, 4, tzinfo=UTC)
    assert second["stuck_episodes"] == [("stuck", start, end, 28, True)]


def test_gap_closed_by_a_later_file_is_interpolated(scenario: Scenario) -> None:
    first, second = scenario.after_step[0], scenario.after_step[1]
    assert first["gap"] == [
        (9, "measured", pytest.approx(1.9)),
        (10, "missing", None),
        (11, "missing", None),
        (12, "missing", None),
    ]
    assert second["gap"] == [
        (9, "measured", pytest.approx(1.9)),
        (10, "interpolated", pytest.approx(2.0)),
        (11, "interpolated", pytest.approx(2.1)),
        (12, "measured", pytest.approx(2.2)),
    ]


def test_conflicting_duplicate_arriving_later_demotes_the_stored_reading(
    scenario: Scenario,
) -> None:
    first, second, third = scenario.after_step[:3]
    assert first["dup"] == [(Decimal("100.00"), "GOLD", 0, 0)]
    assert first["dup_statuses"] == []
    assert second["dup"] == [(Decimal("90.00"), "SILVER", 2, 1)]
    assert second["dup_statuses"] == [(5, "duplicate_conflict"), (5, "duplicate_conflict")]
    assert third["dup"] == second["dup"]
    assert third["dup_statuses"] == [*second["dup_statuses"], (7, "duplicate")]


def test_neighbour_arriving_later_changes_the_others_correlations(scenario: Scenario) -> None:
    first, second = scenario.after_step[0], scenario.after_step[1]
    assert first["neighbours"] == {f"N{n}": pytest.approx(1.0) for n in range(1, 5)}
    assert first["mismatches"] == []
    later = second["neighbours"]
    assert later["N5"] < 0.2
    assert second["mismatches"] == [("N5",)]
    for n in range(1, 5):
        assert 0.2 < later[f"N{n}"] < 0.999  # changed by N5's arrival alone
