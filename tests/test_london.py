"""The 25 London households (../shared/data/london/) run through the whole pipeline.

The export is mapped to the standard columns (`LCLid`, `tstp`, `energy(kWh/hh)`,
constant unit kWh) and built at a 30-minute interval. The figures below were
read off the files: 349,595 readings, all on the half-hour grid, no duplicate
(meter, timestamp), no unreadable value; the meters' spans add up to 7,292
meter-days (18 meters x 365 days + 15 + 52 + 56 + 273 + 47 + 261 + 18), that is
7,292 x 48 = 350,016 slots, 421 of which have no reading.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import IN_CI, ROOT, Warehouse

pytestmark = pytest.mark.slow  # builds 25 households' real data: not in make test-fast

LONDON = ROOT.parent / "shared" / "data" / "london"
MAPPING = ("meter_id=LCLid", "timestamp=tstp", "energy_value=energy(kWh/hh)")


@pytest.fixture
def london() -> Path:
    if not (LONDON / "MAC000128.csv").exists():
        if IN_CI:
            pytest.fail(f"the London data set is missing at {LONDON}")
        pytest.skip(f"the London data set is not at {LONDON}")
    return LONDON


def test_london_households_are_accounted_for_to_the_reading(
    warehouse: Warehouse, london: Path
) -> None:
    maps = [arg for pair in MAPPING for arg in ("--map", pair)]
    warehouse.cli("run", *maps, "--unit", "kWh", "--vars", "{reading_interval_minutes: 30}", london)
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 349_595
    assert warehouse.scalar("select count(*) from raw.rejected_rows") == 0
    assert warehouse.query(
        "select status, count(*) from silver.meter_readings group by status"
    ) == [("valid", 349_595)]
    days, expected, measured, unfilled = warehouse.query(
        """
        select count(*), sum(expected_slots), sum(measured_slots),
               sum(interpolated_slots + missing_slots)
        from gold.meter_day_quality
        """
    )[0]
    assert (days, expected, measured, unfilled) == (7_292, 350_016, 349_595, 421)
    # kWh per half hour becomes kW: the first reading of MAC000128 is 0.163 kWh.
    assert warehouse.scalar(
        """
        select kw from silver.meter_readings
        where meter_id = 'MAC000128' and slot_start = timestamptz '2013-01-01 00:00:00+00'
        """
    ) == pytest.approx(0.326)
    assert episodes_found(warehouse) == episodes_in_files(london)


def episodes_in_files(folder: Path) -> dict[tuple[str, str], int]:
    """Stuck and near-zero episodes counted straight from the CSV files (SPEC §6).

    Every London row is a valid reading, so the measured slots of a meter are its
    rows in time order; kW = kWh x 1 x 60 / 30, computed in that order as the
    pipeline does.
    """
    found: dict[tuple[str, str], int] = {}
    for path in sorted(folder.glob("*.csv")):
        rows = [line.split(",") for line in path.read_text().splitlines()[1:]]
        rows.sort(key=lambda row: row[1])
        kws = [float(row[2]) * 1.0 * 60 / 30 for row in rows]
        meter = rows[0][0]
        for fault, same_run, min_readings in (
            ("stuck", lambda a, b: round(a, 6) == round(b, 6), 48),
            ("near_zero", lambda a, b: a <= 0.01 and b <= 0.01, 24),
        ):
            length = 0
            for index, kw in enumerate(kws):
                in_run = fault == "stuck" or kw <= 0.01
                continues = index > 0 and in_run and same_run(kws[index - 1], kw)
                length = length + 1 if continues else (1 if in_run else 0)
                ends = index == len(kws) - 1 or not same_run(kw, kws[index + 1])
                if ends and length >= min_readings:
                    found[(meter, fault)] = found.get((meter, fault), 0) + 1
    return found


def episodes_found(warehouse: Warehouse) -> dict[tuple[str, str], int]:
    rows = warehouse.query(
        """
        select meter_id, fault_type, count(*) from gold.faulty_meters
        where fault_type in ('stuck', 'near_zero')
        group by meter_id, fault_type
        """
    )
    return {(meter, fault): count for meter, fault, count in rows}
