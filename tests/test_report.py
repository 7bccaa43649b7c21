"""`greenstream report` on a small hand-made scenario whose every number is worked out below.

Four meters, two days (2024-01-01 = D1, 2024-01-02 = D2), 15-minute slots, UTC:

- m1 (north): both days in kW, 1.0 on even slots and 1.2 on odd slots, 3.0 at 18:00.
  D1 also has an `invalid_value` row ('abc'). 100 both days: GOLD, GOLD.
- m2 (north): both days in W, 500 on even slots, 700 on odd. D1: unit conversion, 95
  GOLD. D2 misses slots 10 and 11 (interpolated, 30 min): 100 - 5 - 10 x 0.5 = 90 SILVER.
- m3 (north): D1 is 96 readings of 2.0 kW: a 24-hour stuck run, 100 - 30 = 70 SILVER.
  D2: 1.0 / 1.5 on slots 0..63, nothing after: 32 missing slots (8 h), 100 - 80 = 20 BRONZE.
- m4 (south), D1 only: 25 kW at 00:00 (out of bounds), 0.8 / 0.9 then 4.0 at 05:00, and
  0.0 for the last 48 slots (12 h near-zero, active): 100 - 15 - 30 = 55 BRONZE.
- day1.csv also holds a row without a meter id and one short line (rejected).

Tiers: D1 2 GOLD, 1 SILVER, 1 BRONZE; D2 1 GOLD, 1 SILVER, 1 BRONZE.
Deductions: unfilled 80 (1 meter-day), fault 60 (2), out of bounds 15 (1), unit conversion
10 (2), interpolation 5 (1). Rows: day1 386 landed (4 x 96 + 2), 1 rejected; day2 254.
North peaks: D1 3.0 + 0.5 + 2.0 = 5.5 kW at 18:00; D2 3.0 + 0.5 = 3.5 kW at 18:00 (m3
missing); south D1 4.0 kW at 05:00 (the 25 kW reading is out of bounds, left out).
No neighbour check: north has 2 other meters per meter, fewer than neighbour_min_meters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Warehouse, make_warehouse

HEADER = "meter_id,timestamp,energy_value,energy_unit\n"


def _slot(day: int, index: int) -> str:
    return f"2024-01-0{day} {index // 4:02d}:{index % 4 * 15:02d}"


def write_scenario(root: Path) -> None:
    """Write registry.csv, day1.csv and day2.csv of the module docstring into `root`."""
    day1 = [
        ",2024-01-01 00:00,1,kW",  # line 2: no meter id
        "m1,2024-01-01 00:00,abc,kW",  # line 3: invalid value
        "m1,2024-01-01 00:15",  # line 4: two fields, rejected
    ]
    day2 = []
    for day, rows in ((1, day1), (2, day2)):
        for index in range(96):
            m1 = 3.0 if index == 72 else (1.0 if index % 2 == 0 else 1.2)
            rows.append(f"m1,{_slot(day, index)},{m1},kW")
            if not (day == 2 and index in (10, 11)):
                rows.append(f"m2,{_slot(day, index)},{500 if index % 2 == 0 else 700},W")
            if day == 1:
                m3 = 2.0
            elif index < 64:
                m3 = 1.0 if index % 2 == 0 else 1.5
            else:
                continue
            rows.append(f"m3,{_slot(day, index)},{m3},kW")
    for index in range(96):
        if index == 0:
            m4 = 25.0
        elif index == 20:
            m4 = 4.0
        elif index < 48:
            m4 = 0.8 if index % 2 == 0 else 0.9
        else:
            m4 = 0.0
        day1.append(f"m4,{_slot(1, index)},{m4},kW")
    (root / "day1.csv").write_text(HEADER + "\n".join(day1) + "\n", encoding="utf-8")
    (root / "day2.csv").write_text(HEADER + "\n".join(day2) + "\n", encoding="utf-8")
    (root / "registry.csv").write_text(
        "meter_id,neighbourhood,tariff\nm1,north,flat\nm2,north,flat\nm3,north,dual\n"
        "m4,south,flat\n",
        encoding="utf-8",
    )


def build_scenario(warehouse: Warehouse) -> None:
    write_scenario(warehouse.root)
    warehouse.cli("run", "--registry", "registry.csv", "day1.csv", "day2.csv")


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: dict[str, str] | None,
) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp(f"report_{request.param}")
    with make_warehouse(request.param, root, postgres_server) as warehouse:
        build_scenario(warehouse)
        yield warehouse


@pytest.fixture(scope="module")
def report(built: Warehouse) -> tuple[list[str], str]:
    """The printed lines and the HTML of `greenstream report --out out/q.html`."""
    (built.root / "out").mkdir()
    result = built.cli("report", "--out", "out/q.html")
    assert result.stderr == ""
    return result.stdout.splitlines(), (built.root / "out" / "q.html").read_text(encoding="utf-8")


def test_prints_the_path_and_a_short_summary(
    built: Warehouse, report: tuple[list[str], str]
) -> None:
    lines, _ = report
    assert lines == [
        f"report written to {(built.root / 'out' / 'q.html').resolve()}",
        "days: 2024-01-01 to 2024-01-02 (2 days); 7 meter-days: 3 GOLD, 2 SILVER, 2 BRONZE",
        "top deduction cause: missing slots (unfilled), 80.00 points over 1 meter-day",
        "faults: 1 active of 2 episodes (1 near_zero, 1 stuck)",
        "files: 2 landed; rows: 640 landed, 1 rejected",
    ]


def test_is_one_self_contained_file(report: tuple[list[str], str]) -> None:
    _, html = report
    assert html.startswith("<!DOCTYPE html>")
    # nothing fetched: no scripts, links, images or URLs besides the SVG namespace
    assert re.findall(r"https?://[^\s\"']+", html) == ["http://www.w3.org/2000/svg"] * 6
    for fetch in ("<script", "<link", "<img", "src=", "url(", "@import"):
        assert fetch not in html, fetch


def test_charts_are_titled_and_described(report: tuple[list[str], str]) -> None:
    _, html = report
    titles = re.findall(
        r'<svg class="chart" role="img"[^>]*><title id="[^"]+">([^<]+)</title>', html
    )
    assert titles == [
        "Meter-days per tier and day",
        "Q-Score distribution per day",
        "Q-Score histogram, all days",
        "Q-Score points deducted per cause",
        "Neighbourhood peak demand per day",
        "Neighbourhood demand on 2024-01-02",
    ]
    assert html.count("<desc id=") == 6
    for axis in ("meter-days", "local date", "Q-Score", "kW", "time (UTC)"):
        assert f">{axis}</text>" in html, axis


def test_tiers_and_scores_per_day(report: tuple[list[str], str]) -> None:
    _, html = report
    bars = re.findall(r"<title>(2024-01-0\d: \d+ \w+ meter-days?)</title>", html)
    assert bars == [
        "2024-01-01: 2 GOLD meter-days",
        "2024-01-01: 1 SILVER meter-day",
        "2024-01-01: 1 BRONZE meter-day",
        "2024-01-02: 1 GOLD meter-day",
        "2024-01-02: 1 SILVER meter-day",
        "2024-01-02: 1 BRONZE meter-day",
    ]
    # quartiles by linear interpolation: D1 55, 70, 95, 100; D2 20, 90, 100
    assert (
        "2024-01-01: 4 meter-days, min 55.00, q1 66.25, median 82.50, q3 96.25, max 100.00"
    ) in html
    assert (
        "2024-01-02: 3 meter-days, min 20.00, q1 55.00, median 90.00, q3 95.00, max 100.00" in html
    )
    histogram = re.findall(r"<title>Q-Score (\d+ to [^:]+): (\d+) meter-days?</title>", html)
    assert [(label, int(count)) for label, count in histogram if count != "0"] == [
        ("20 to under 25", 1),
        ("55 to under 60", 1),
        ("70 to under 75", 1),
        ("90 to under 95", 1),
        ("95 to 100", 3),
    ]


def test_deduction_causes_largest_first(report: tuple[list[str], str]) -> None:
    _, html = report
    causes = re.findall(r'<rect class="bar"[^>]*fill="#d55e00"><title>([^<]+)</title>', html)
    assert causes == [
        "missing slots (unfilled): 80.00 points, 1 meter-day",
        "faults (stuck, near-zero, neighbour mismatch): 60.00 points, 2 meter-days",
        "out-of-bounds or negative readings: 15.00 points, 1 meter-day",
        "unit conversion (readings not in kW): 10.00 points, 2 meter-days",
        "interpolated slots: 5.00 points, 1 meter-day",
    ]


def _table_rows(html: str, section: str) -> list[list[str]]:
    body = html.split(f'<section id="{section}"', 1)[1].split("</section>", 1)[0]
    rows = [
        re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]
    return [row for row in rows if row]  # the header row has no <td>


def test_faulty_meters_active_first(report: tuple[list[str], str]) -> None:
    _, html = report
    assert _table_rows(html, "faults") == [
        ["m4", "near_zero", "yes", "2024-01-01 12:00", "2024-01-02 00:00", "48"],
        ["m3", "stuck", "no", "2024-01-01 00:00", "2024-01-02 00:00", "96"],
    ]


def test_peak_demand_per_neighbourhood(report: tuple[list[str], str]) -> None:
    _, html = report
    peaks = re.findall(r"<circle[^>]*><title>([^<]+ peak [^<]+)</title>", html)
    assert peaks == [
        "north, 2024-01-01: peak 5.500 kW at 2024-01-01 18:00 UTC",
        "north, 2024-01-02: peak 3.500 kW at 2024-01-02 18:00 UTC",
        "south, 2024-01-01: peak 4.000 kW at 2024-01-01 05:00 UTC",
    ]
    # the latest day's curve: m1 + m2 at 18:00 (m3 missing); m1 + m3 + interpolated m2 at 02:30
    assert "<title>north, 2024-01-02 18:00 UTC: 3.500 kW</title>" in html
    assert "<title>north, 2024-01-02 02:30 UTC: 2.633 kW</title>" in html
    assert "south, 2024-01-02" not in html  # m4 has no second day


def test_batch_audit_table(report: tuple[list[str], str]) -> None:
    _, html = report
    rows = _table_rows(html, "batches")
    by_file = {row[0]: row[2:] for row in rows}
    # records, landed, rejected, valid, out of bounds, duplicate, conflict, missing meter,
    # invalid timestamp, off grid, missing value, invalid value, invalid unit, negative,
    # meters, first and last reading
    assert by_file == {
        "day1.csv": [
            *("387", "386", "1", "384", "1", "0", "0", "1", "0", "0", "0", "1", "0", "0", "4"),
            *("2024-01-01 00:00", "2024-01-01 23:45"),
        ],
        "day2.csv": [
            *("254", "254", "0", "254", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "3"),
            *("2024-01-02 00:00", "2024-01-02 23:45"),
        ],
    }
