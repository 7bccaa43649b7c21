"""End to end: hand-built files -> `greenstream run` -> contract tables, on both engines.

The scenario runs at a 60-minute interval (24 slots a day) in UTC so that every
expected figure below can be checked with pencil and paper. Deductions at
I = 60: interpolation and missing slots cost 10 points per slot (one hour).

Meters and what each one exercises (2024-01-01 is a Monday):

- M1 (n1): day 1 has hours 5-6 absent (2-slot gap -> interpolated, 2 h < 4 h) and
  hours 10-13 absent (4-slot gap, 4 h is not < 4 h -> missing); hour 0 is sent in W.
  Day 2 is silent; day 3 is complete.
    day 1: 100 - 5 (unit) - 20 (2 interpolated h) - 40 (4 missing h) = 35.00 BRONZE
    day 2: 24 missing slots -> 100 - 240, floored -> 0.00 BRONZE
    day 3: 100.00 GOLD
- M2 (n1): complete day, v_h = 1 + h/10 kW, except hour 1 sent as 1500 Wh
  (= 1.5 kW at I = 60); hour 2 re-delivered identically in a second file
  (duplicate); plus an off-grid row (12:05), an invalid value (13:00, 'abc'), an
  unknown unit (14:00, MW) -> 3 invalid readings, none removes the valid reading.
    100 - 5 (unit) = 95.00 GOLD
- M3 (n2): two different readings for hour 3 -> both duplicate_conflict -> the slot
  is a 1-slot gap, interpolated: 100 - 10 = 90.00 SILVER, 2 invalid readings.
- M4 (n2): hour 12 is -0.5 kW (negative_value -> slot interpolated) and hour 15 is
  25 kW (valid, out of bounds): 100 - 10 - 15 (once) = 75.00 SILVER.
- M5 (n3): 24 identical readings of 0.5 kW -> stuck for 24 h: 100 - 30 = 70.00 SILVER;
  one stuck episode 00:00 -> 24:00, 24 readings, active.
- E1..E5 (east): E1..E4 follow s(h) scaled by 1, 1.2, 1.4, 1.6 with
  s(h) = 1 + cos(2 pi (h - 18) / 24); E5 follows s(h + 12) = 2 - s(h). Leaving
  each meter out, E1..E4 correlate +1 with their neighbours and E5 -1:
  E5 is a neighbour_mismatch: 100 - 30 = 70.00 SILVER. The n1..n3 neighbourhoods
  have fewer than 3 other meters, so their correlation is not evaluated.

Rows that never reach a meter-day: an unparseable timestamp ('yesterday'), a row
without meter id, and a malformed line (5 fields) that the loader rejects.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import Warehouse, make_warehouse

VARS = "{reading_interval_minutes: 60}"
DAY1 = "2024-01-01"
DAY3 = "2024-01-03"

HEADER = "meter_id,timestamp,energy_value,energy_unit"


def shape(hour: int) -> float:
    return 1 + math.cos(2 * math.pi * (hour - 18) / 24)


def reading(meter: str, day: str, hour: int, value: object, unit: str = "kW") -> str:
    return f"{meter},{day} {hour:02d}:00:00,{value},{unit}"


def first_file() -> list[str]:
    lines = [HEADER]
    # M1 day 1: hour 0 in W, hours 5-6 and 10-13 absent.
    lines.append(reading("M1", DAY1, 0, 1000, "W"))
    lines += [
        reading("M1", DAY1, h, 1 + h / 10) for h in range(1, 24) if h not in (5, 6, 10, 11, 12, 13)
    ]
    # M1 day 3 complete (day 2 silent).
    lines += [reading("M1", DAY3, h, 2 + h / 10) for h in range(24)]
    # M2: complete, hour 1 in Wh.
    for h in range(24):
        lines.append(
            reading("M2", DAY1, 1, 1500, "Wh") if h == 1 else reading("M2", DAY1, h, 1 + h / 10)
        )
    lines.append(f"M2,{DAY1} 12:05:00,9,kW")  # off-grid: 300 s from its slot
    lines.append(reading("M2", DAY1, 13, "abc"))  # invalid value
    lines.append(reading("M2", DAY1, 14, 5, "MW"))  # invalid unit
    lines.append(f"M2,{DAY1} 16:00:00,1,kW,extra")  # malformed: rejected by the loader
    lines.append("M2,yesterday,1,kW")  # invalid timestamp
    lines.append(f",{DAY1} 00:00:00,1,kW")  # missing meter id
    # M3: conflicting duplicates at hour 3.
    for h in range(24):
        if h == 3:
            lines += [reading("M3", DAY1, 3, 2.0), reading("M3", DAY1, 3, 3.0)]
        else:
            lines.append(reading("M3", DAY1, h, 1 + h / 20))
    # M4: negative at 12, spike at 15.
    for h in range(24):
        value = -0.5 if h == 12 else 25 if h == 15 else 0.5 + h / 10
        lines.append(reading("M4", DAY1, h, value))
    # M5: stuck.
    lines += [reading("M5", DAY1, h, 0.5) for h in range(24)]
    # East neighbourhood.
    for meter, scale in (("E1", 1.0), ("E2", 1.2), ("E3", 1.4), ("E4", 1.6)):
        lines += [reading(meter, DAY1, h, repr(scale * shape(h))) for h in range(24)]
    lines += [reading("E5", DAY1, h, repr(shape((h + 12) % 24))) for h in range(24)]
    return lines


def second_file() -> list[str]:
    # Re-delivery of M2 hour 2 with the same value: a collapsed duplicate.
    return [HEADER, reading("M2", DAY1, 2, 1 + 2 / 10)]


REGISTRY = """meter_id,neighbourhood,tariff,customer_id,customer_name,address
M1,n1,standard,C1,Ada Lovelace,1 Analytical Row
M2,n1,economy7,C2,Charles Babbage,2 Difference Lane
M3,n2,standard,C3,Grace Hopper,3 Compiler Close
M4,n2,standard,C4,Alan Turing,4 Enigma Street
M5,n3,standard,C5,Edsger Dijkstra,5 Semaphore Square
E1,east,standard,C6,Barbara Liskov,6 Substitution Road
E2,east,standard,C7,Donald Knuth,7 Literate Lane
E3,east,standard,C8,Frances Allen,8 Optimiser Way
E4,east,standard,C9,John Backus,9 Formula Street
E5,east,ev,C10,Margaret Hamilton,10 Apollo Drive
"""


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: dict[str, str] | None,
) -> Iterator[Warehouse]:
    """The scenario landed and built once per engine, shared by this module's tests."""
    root = tmp_path_factory.mktemp(f"e2e_{request.param}")
    landing = root / "landing"
    landing.mkdir()
    (landing / "01_readings.csv").write_text("\n".join(first_file()) + "\n", encoding="utf-8")
    (landing / "02_redelivery.csv").write_text("\n".join(second_file()) + "\n", encoding="utf-8")
    registry = root / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    with make_warehouse(request.param, root, postgres_server) as warehouse:
        warehouse.cli("run", "--registry", registry, "--vars", VARS, landing)
        yield warehouse


def quality(warehouse: Warehouse) -> dict[tuple[str, str], tuple[object, ...]]:
    rows = warehouse.query(
        """
        select meter_id, cast(local_date as varchar), expected_slots, measured_slots,
               interpolated_slots, missing_slots, invalid_readings, has_unit_conversion,
               has_out_of_bounds, has_fault, fault_types, q_score, tier
        from gold.meter_day_quality
        """
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def test_meter_day_quality_matches_the_hand_computed_scores(built: Warehouse) -> None:
    got = quality(built)
    d2 = "2024-01-02"
    # expected, measured, interpolated, missing, invalid, unit, oob, fault, types, score, tier
    expected = {
        ("M1", DAY1): (24, 18, 2, 4, 0, True, False, False, "", Decimal("35.00"), "BRONZE"),
        ("M1", d2): (24, 0, 0, 24, 0, False, False, False, "", Decimal("0.00"), "BRONZE"),
        ("M1", DAY3): (24, 24, 0, 0, 0, False, False, False, "", Decimal("100.00"), "GOLD"),
        ("M2", DAY1): (24, 24, 0, 0, 3, True, False, False, "", Decimal("95.00"), "GOLD"),
        ("M3", DAY1): (24, 23, 1, 0, 2, False, False, False, "", Decimal("90.00"), "SILVER"),
        ("M4", DAY1): (24, 23, 1, 0, 1, False, True, False, "", Decimal("75.00"), "SILVER"),
        ("M5", DAY1): (24, 24, 0, 0, 0, False, False, True, "stuck", Decimal("70.00"), "SILVER"),
        ("E1", DAY1): (24, 24, 0, 0, 0, False, False, False, "", Decimal("100.00"), "GOLD"),
        ("E5", DAY1): (
            24,
            24,
            0,
            0,
            0,
            False,
            False,
            True,
            "neighbour_mismatch",
            Decimal("70.00"),
            "SILVER",
        ),
    }
    for key, row in expected.items():
        assert got[key] == row, key
    assert len(got) == 12  # M1 x 3 days, M2..M5, E1..E5


def test_interpolated_slots_lie_on_the_line_between_their_anchors(built: Warehouse) -> None:
    rows = built.query(
        f"""
        select extract(hour from slot_start at time zone 'UTC'), kw, source
        from silver.meter_slots
        where meter_id = 'M1' and local_date = date '{DAY1}'
          and extract(hour from slot_start at time zone 'UTC') between 4 and 14
        order by slot_start
        """
    )
    by_hour = {int(hour): (kw, source) for hour, kw, source in rows}
    assert by_hour[4] == (pytest.approx(1.4), "measured")
    assert by_hour[5] == (pytest.approx(1.5), "interpolated")
    assert by_hour[6] == (pytest.approx(1.6), "interpolated")
    assert by_hour[9] == (pytest.approx(1.9), "measured")
    assert [by_hour[h] for h in (10, 11, 12, 13)] == [(None, "missing")] * 4
    assert by_hour[14] == (pytest.approx(2.4), "measured")


def test_statuses_follow_the_order_of_checks(built: Warehouse) -> None:
    counts = dict(built.query("select status, count(*) from silver.meter_readings group by status"))
    assert counts == {
        "valid": 18 + 24 + 24 + 23 + 23 + 24 + 5 * 24,  # M1 d1, M1 d3, M2, M3, M4, M5, E*
        "duplicate": 1,
        "duplicate_conflict": 2,
        "negative_value": 1,
        "off_grid_timestamp": 1,
        "invalid_value": 1,
        "invalid_unit": 1,
        "invalid_timestamp": 1,
        "missing_meter_id": 1,
    }
    kept, dropped = built.query(
        """
        select _source_file, status from silver.meter_readings
        where meter_id = 'M2' and slot_start = timestamptz '2024-01-01 02:00:00+00'
        order by _source_file
        """
    )
    assert kept == ("01_readings.csv", "valid")
    assert dropped == ("02_redelivery.csv", "duplicate")
    assert built.scalar("select count(*) from raw.rejected_rows") == 1
    assert built.scalar("select count(*) from silver.meter_readings where is_out_of_bounds") == 1


def test_faulty_meters_lists_the_stuck_run_and_the_mismatch(built: Warehouse) -> None:
    rows = built.query(
        """
        select meter_id, fault_type, started_at, ended_at, readings, is_active
        from gold.faulty_meters order by meter_id, fault_type
        """
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime(2024, 1, 2, tzinfo=UTC)
    assert [(m, f, s, e, r, a) for m, f, s, e, r, a in rows] == [
        ("E5", "neighbour_mismatch", start, end, 24, True),
        ("M5", "stuck", start, end, 24, True),
    ]
    correlations = dict(
        built.query(
            f"""
            select meter_id, neighbour_correlation from gold.meter_day_quality
            where local_date = date '{DAY1}' and neighbour_correlation is not null
            """
        )
    )
    assert correlations == {
        "E1": pytest.approx(1.0),
        "E2": pytest.approx(1.0),
        "E3": pytest.approx(1.0),
        "E4": pytest.approx(1.0),
        "E5": pytest.approx(-1.0),
    }


def test_billing_and_peaks_use_the_right_days_and_readings(built: Warehouse) -> None:
    # M2: v_h = 1 + h/10 except hour 1 = 1.5; peak 17..20 = 2.7+2.8+2.9+3.0 = 11.4 kWh;
    # total = 24 + 27.6 + 0.4 = 52.0 kWh.
    total, peak, off_peak, estimated, tariff = built.query(
        f"""
        select total_kwh, peak_kwh, off_peak_kwh, estimated_kwh, tariff
        from gold.billing_daily where meter_id = 'M2' and local_date = date '{DAY1}'
        """
    )[0]
    assert (float(total), float(peak), float(off_peak), float(estimated), tariff) == (
        pytest.approx(52.0),
        pytest.approx(11.4),
        pytest.approx(40.6),
        0.0,
        "economy7",
    )
    # Billing holds GOLD and SILVER days only: all but M1's two BRONZE days.
    assert built.scalar("select count(*) from gold.billing_daily") == 10
    # M4's peak ignores the 25 kW out-of-bounds spike: max of 0.5 + h/10 is 2.8 at 23:00.
    peak_kw, peak_slot = built.query(
        f"""
        select peak_kw, peak_slot_start from gold.peak_consumption
        where grain = 'meter_day' and meter_id = 'M4' and local_date = date '{DAY1}'
        """
    )[0]
    assert (float(peak_kw), peak_slot) == (
        pytest.approx(2.8),
        datetime(2024, 1, 1, 23, tzinfo=UTC),
    )


def test_quarantine_and_ml_features_split_the_tiers(built: Warehouse) -> None:
    quarantined = built.query(
        "select meter_id, cast(local_date as varchar) from gold.quarantine order by 2"
    )
    assert quarantined == [("M1", DAY1), ("M1", "2024-01-02")]
    # GOLD days: M1 day 3, M2, E1..E4 -> 6 meter-days x 24 slots.
    assert built.scalar("select count(*) from gold.ml_features") == 6 * 24


def test_batch_audit_accounts_for_every_line(built: Warehouse) -> None:
    rows = built.query(
        "select source_file, rows_landed, rows_rejected from gold.batch_audit order by 1"
    )
    first_records = len(first_file()) - 1
    assert rows == [
        ("01_readings.csv", first_records - 1, 1),
        ("02_redelivery.csv", 1, 0),
    ]


def warehouse_comments(warehouse: Warehouse, schema: str) -> dict[tuple[str, str], str | None]:
    """The comment of each relation (column "") and column of `schema`, as the warehouse
    holds it."""
    if warehouse.target == "duckdb":
        rows = warehouse.query(
            f"""
            select table_name, '', comment from duckdb_tables() where schema_name = '{schema}'
            union all
            select view_name, '', comment from duckdb_views() where schema_name = '{schema}'
            union all
            select table_name, column_name, comment from duckdb_columns()
            where schema_name = '{schema}'
            """
        )
    else:
        rows = warehouse.query(
            f"""
            select relation.relname, '', obj_description(relation.oid, 'pg_class')
            from pg_class as relation
            where relation.relnamespace = '{schema}'::regnamespace
                and relation.relkind in ('r', 'v')
            union all
            select relation.relname, attribute.attname,
                   col_description(relation.oid, attribute.attnum)
            from pg_class as relation
            inner join pg_attribute as attribute on attribute.attrelid = relation.oid
            where relation.relnamespace = '{schema}'::regnamespace
                and relation.relkind in ('r', 'v')
                and attribute.attnum > 0 and not attribute.attisdropped
            """
        )
    return {(table, column): comment for table, column, comment in rows}


def test_gold_marts_and_columns_carry_their_descriptions(built: Warehouse) -> None:
    """An analyst's SQL client shows each gold mart's and column's description (the
    warehouse's comments); bronze and silver keep theirs on the docs site."""
    manifest = json.loads((Path(built.env["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    described = {
        (node["name"], column): (
            node["description"] if column == "" else node["columns"][column]["description"]
        ).strip()
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "gold"
        for column in ["", *node["columns"]]
    }
    comments = warehouse_comments(built, "gold")
    assert {key: (comments.get(key) or "").strip() for key in described} == described
    assert comments["meter_day_quality", "measured_slots"] == "Slots with a `valid` reading."
    assert len({table for table, _ in described}) == 7
    assert not any(warehouse_comments(built, "silver").values())
