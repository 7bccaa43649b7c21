"""Registry history (issue 4.4): marts join the registry as it was on the reading's date,
and an incremental build recomputes the past meter-days a registry change reaches.

At a 60-minute interval in UTC, six meters send complete days 2024-01-01 to 2024-01-04
(a Monday to a Thursday), kW = base + slope x hour:

    A north 1 + h/10    B north 2 + h/10    C north 1.5 + h/20    D north 0.5 + h/10
    S1 south 1 + h/10   S2 south 1 + h/5

The first registry has no valid_from (it takes effect on its load date, after the
readings, so as the first version it applies to every day). After the first build a
second registry moves B to south and gives A the tariff `ev`, both from 2024-01-03. After
the next build:

- billing_daily: A is `standard` on 01-01 and 01-02, `ev` on 01-03 and 01-04;
- peak_consumption: B's meter-days are in north before 01-03, in south from 01-03; the
  north peak (hour 23, the sum over its meters) is A 3.3 + B 4.3 + C 2.65 + D 2.8 =
  13.05 kW on 01-02 and 8.75 kW without B on 01-03; south is S1 3.3 + S2 5.6 = 8.9 kW on
  01-02 and 13.2 kW with B on 01-03;
- the neighbourhood check places B in north (3 other meters) before and in south (2
  other meters) after; A has 3 other meters before and 2 after;
- the snapshot holds two versions of A and of B, one of the others;
- a full refresh gives the same contract tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from test_engine_parity import CONTRACT_TABLES, columns, same, snapshot

from conftest import Warehouse, make_warehouse

pytestmark = pytest.mark.slow  # three builds per engine: not in make test-fast

VARS = "{reading_interval_minutes: 60}"
DAYS = ("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04")
METERS = {
    "A": (1.0, 0.1),
    "B": (2.0, 0.1),
    "C": (1.5, 0.05),
    "D": (0.5, 0.1),
    "S1": (1.0, 0.1),
    "S2": (1.0, 0.2),
}
FIRST_REGISTRY = """meter_id,neighbourhood,tariff,customer_id
A,north,standard,C1
B,north,standard,C2
C,north,standard,C3
D,north,standard,C4
S1,south,standard,C5
S2,south,standard,C6
"""
SECOND_REGISTRY = """meter_id,neighbourhood,tariff,customer_id,valid_from
A,north,ev,C1,2024-01-03
B,south,standard,C2,2024-01-03
"""


def readings() -> str:
    rows = ["meter_id,timestamp,energy_value,energy_unit"]
    for meter, (base, slope) in METERS.items():
        rows += [
            f"{meter},{day} {hour:02d}:00:00,{base + slope * hour!r},kW"
            for day in DAYS
            for hour in range(24)
        ]
    return "\n".join(rows) + "\n"


@dataclass
class History:
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    incremental_tables: dict[str, Any] = field(default_factory=dict)
    full_refresh_tables: dict[str, Any] = field(default_factory=dict)


def observe(warehouse: Warehouse) -> dict[str, Any]:
    return {
        "tariffs": warehouse.query(
            "select cast(local_date as varchar), tariff from gold.billing_daily"
            " where meter_id = 'A' order by local_date"
        ),
        "b_peak_neighbourhoods": warehouse.query(
            "select cast(local_date as varchar), neighbourhood from gold.peak_consumption"
            " where grain = 'meter_day' and meter_id = 'B' order by local_date"
        ),
        "neighbourhood_peaks": sorted(
            (neighbourhood, day, round(float(peak_kw), 6))
            for neighbourhood, day, peak_kw in warehouse.query(
                "select neighbourhood, cast(local_date as varchar), peak_kw"
                " from gold.peak_consumption where grain = 'neighbourhood_day'"
                " and local_date in (date '2024-01-02', date '2024-01-03')"
            )
        ),
        "checks": sorted(
            warehouse.query(
                "select meter_id, cast(local_date as varchar), neighbourhood, other_meters"
                " from silver.int_meter_days_neighbour_checked where meter_id in ('A', 'B')"
                " and local_date in (date '2024-01-02', date '2024-01-03')"
            )
        ),
        "quality_neighbourhoods": warehouse.query(
            "select cast(local_date as varchar), neighbourhood from gold.meter_day_quality"
            " where meter_id = 'B' order by local_date"
        ),
        "versions": dict(
            warehouse.query(
                "select meter_id, count(*) from snapshots.meter_registry_snapshot group by meter_id"
            )
        ),
    }


def contract_tables(warehouse: Warehouse) -> dict[str, Any]:
    tables = {}
    for table, key in CONTRACT_TABLES.items():
        names = [name for name in columns(warehouse, table) if name != "_built_at"]
        tables[table] = (names, snapshot(warehouse, table, names, key))
    return tables


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def history(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: dict[str, str] | None,
) -> Iterator[History]:
    root = tmp_path_factory.mktemp(f"registry_{request.param}")
    (root / "readings.csv").write_text(readings(), encoding="utf-8")
    (root / "registry_1.csv").write_text(FIRST_REGISTRY, encoding="utf-8")
    (root / "registry_2.csv").write_text(SECOND_REGISTRY, encoding="utf-8")
    with make_warehouse(request.param, root, postgres_server) as warehouse:
        result = History()
        warehouse.cli("load", "--registry", root / "registry_1.csv", root / "readings.csv")
        warehouse.cli("build", "--vars", VARS)
        result.before = observe(warehouse)
        warehouse.cli("load", "--registry", root / "registry_2.csv")
        warehouse.cli("build", "--vars", VARS)
        result.after = observe(warehouse)
        result.incremental_tables = contract_tables(warehouse)
        warehouse.cli("build", "--vars", VARS, "--full-refresh")
        result.full_refresh_tables = contract_tables(warehouse)
        yield result


def test_billing_uses_the_tariff_of_each_date(history: History) -> None:
    assert history.before["tariffs"] == [(day, "standard") for day in DAYS]
    assert history.after["tariffs"] == [
        ("2024-01-01", "standard"),
        ("2024-01-02", "standard"),
        ("2024-01-03", "ev"),
        ("2024-01-04", "ev"),
    ]


def test_peaks_use_the_neighbourhood_of_each_date(history: History) -> None:
    assert history.before["b_peak_neighbourhoods"] == [(day, "north") for day in DAYS]
    assert history.after["b_peak_neighbourhoods"] == [
        ("2024-01-01", "north"),
        ("2024-01-02", "north"),
        ("2024-01-03", "south"),
        ("2024-01-04", "south"),
    ]
    assert history.before["neighbourhood_peaks"] == [
        ("north", "2024-01-02", 13.05),
        ("north", "2024-01-03", 13.05),
        ("south", "2024-01-02", 8.9),
        ("south", "2024-01-03", 8.9),
    ]
    assert history.after["neighbourhood_peaks"] == [
        ("north", "2024-01-02", 13.05),
        ("north", "2024-01-03", 8.75),
        ("south", "2024-01-02", 8.9),
        ("south", "2024-01-03", 13.2),
    ]


def test_neighbourhood_check_uses_the_neighbourhood_of_each_date(history: History) -> None:
    assert history.before["checks"] == [
        ("A", "2024-01-02", "north", 3),
        ("A", "2024-01-03", "north", 3),
        ("B", "2024-01-02", "north", 3),
        ("B", "2024-01-03", "north", 3),
    ]
    assert history.after["checks"] == [
        ("A", "2024-01-02", "north", 3),
        ("A", "2024-01-03", "north", 2),
        ("B", "2024-01-02", "north", 3),
        ("B", "2024-01-03", "south", 2),
    ]
    assert history.after["quality_neighbourhoods"] == [
        ("2024-01-01", "north"),
        ("2024-01-02", "north"),
        ("2024-01-03", "south"),
        ("2024-01-04", "south"),
    ]


def test_snapshot_keeps_both_versions_of_the_changed_meters(history: History) -> None:
    assert history.before["versions"] == dict.fromkeys(METERS, 1)
    assert history.after["versions"] == {**dict.fromkeys(METERS, 1), "A": 2, "B": 2}


def test_full_refresh_equals_the_incremental_result(history: History) -> None:
    for table in CONTRACT_TABLES:
        (names, rows), (other_names, other_rows) = (
            history.incremental_tables[table],
            history.full_refresh_tables[table],
        )
        assert names == other_names, table
        assert len(rows) == len(other_rows), table
        for one, other in zip(rows, other_rows, strict=True):
            assert all(same(a, b) for a, b in zip(one, other, strict=True)), (table, one, other)
