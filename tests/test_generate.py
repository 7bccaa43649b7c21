"""`greenstream generate`: layout, determinism, and every injected fault really in the files.

Pure Python: the files are read back with the csv module and checked against the
SPEC grammar (§3), statuses (§4), gap rules (§5) and fault rules (§6) written out
here independently of the generator.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from greenstream import generate as generate_module
from greenstream.cli import build_parser
from greenstream.errors import UserError
from greenstream.generate import KINDS, GeneratedDataset, generate, run_from_args

START = dt.date(2024, 1, 1)
HEADER = "meter_id,timestamp,energy_value,energy_unit"
TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?"
)
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
MISSING = {"", "null", "none", "nan", "na", "n/a"}
# kinds listed line by line in the manifest's "rows"
ROW_KINDS = {
    kind
    for kind, spec in KINDS.items()
    if spec.per == "meter_day" and spec.fault and kind not in generate_module.GAP_KINDS
}
UNITS = {
    "w": ("power", 0.001),
    "kw": ("power", 1.0),
    "wh": ("energy", 0.001),
    "kwh": ("energy", 1.0),
}


def parse_timestamp(text: str) -> dt.datetime | None:
    """SPEC §3 timestamp grammar; None when unparseable."""
    match = TIMESTAMP.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
        )
    except ValueError:
        return None
    value += dt.timedelta(seconds=float(f"0.{fraction}") if fraction else 0.0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        value -= sign * offset
    return value.replace(tzinfo=dt.UTC)


def parse_number(text: str) -> float | None:
    """SPEC §3 number grammar; None when missing or invalid."""
    text = text.strip()
    if NUMBER.fullmatch(text) is None:
        return None
    number = float(text)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Line:
    file: str  # relative to OUT
    number: int  # 1-based line number in the file
    raw: bytes


@dataclass(frozen=True)
class Reading:
    """A data line with four fields, a meter id, an on-grid timestamp and a kW value."""

    line: Line
    meter_id: str
    slot: dt.datetime
    kw: float


def lines_of(dataset: GeneratedDataset) -> Iterator[Line]:
    for path in dataset.reading_files:
        name = f"readings/{path.name}"
        for number, raw in enumerate(path.read_bytes().split(b"\n")[:-1], start=1):
            yield Line(name, number, raw)


def fields_of(line: Line) -> list[str]:
    return next(csv.reader([line.raw.decode("utf-8")]))


def reading_of(line: Line, interval: int) -> Reading | None:
    """The line as a good reading (SPEC §4 statuses 4-9 that give a kW), else None."""
    try:
        fields = fields_of(line)
    except UnicodeDecodeError:
        return None
    if len(fields) != 4 or not fields[0].strip():
        return None
    instant = parse_timestamp(fields[1])
    value = parse_number(fields[2])
    unit = UNITS.get(fields[3].strip().lower())
    if instant is None or value is None or unit is None:
        return None
    slot = nearest_slot(instant, interval)
    if abs((instant - slot).total_seconds()) > 60:
        return None
    kind, factor = unit
    kw = value * factor * (60 / interval if kind == "energy" else 1.0)
    return Reading(line, fields[0].strip(), slot, round(kw, 6))


def nearest_slot(instant: dt.datetime, interval: int) -> dt.datetime:
    seconds = instant.timestamp()
    step = interval * 60
    return dt.datetime.fromtimestamp(math.floor(seconds / step + 0.5) * step, dt.UTC)


def iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def make(out: Path, **options: Any) -> GeneratedDataset:
    arguments: dict[str, Any] = {
        "meters": 20,
        "days": 2,
        "start": START,
        "interval_minutes": 15,
        "seed": 1,
        "files_per": "day",
    }
    arguments.update(options)
    return generate(out=out, **arguments)


def manifest_of(dataset: GeneratedDataset) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(dataset.manifest_path.read_text("utf-8"))
    return result


def all_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- layout and determinism


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = all_bytes(make(tmp_path / "a").out)
    again = all_bytes(make(tmp_path / "b").out)
    other = all_bytes(make(tmp_path / "c", seed=2).out)
    assert first == again
    assert sorted(first) == sorted(other)
    for name in first:
        assert first[name] != other[name], name


def test_clean_tiny_run_has_every_slot_once_on_grid(tmp_path: Path) -> None:
    dataset = make(tmp_path / "out", meters=2, days=1, interval_minutes=60, fault_rate=0.0)
    assert dataset.registry_path == tmp_path / "out" / "registry.csv"
    assert [p.name for p in dataset.reading_files] == ["readings_2024-01-01.csv"]
    assert dataset.rows_written == 2 * 24
    text = dataset.reading_files[0].read_text("utf-8")
    assert text.startswith(HEADER + "\n")
    lines = list(lines_of(dataset))
    assert len(lines) == 1 + 48
    readings = [reading_of(line, 60) for line in lines[1:]]
    assert all(reading is not None for reading in readings)
    slots = sorted((r.meter_id, r.slot) for r in readings if r is not None)
    midnight = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    expected = [
        (m, midnight + dt.timedelta(hours=h)) for m in ("MTR000001", "MTR000002") for h in range(24)
    ]
    assert slots == expected
    assert all(0.03 <= r.kw < 20 for r in readings if r is not None)
    with dataset.registry_path.open(encoding="utf-8", newline="") as handle:
        registry = list(csv.DictReader(handle))
    assert [row["meter_id"] for row in registry] == ["MTR000001", "MTR000002"]
    assert all(row["customer_id"] and row["customer_name"] and row["address"] for row in registry)
    assert all(row["tariff"] in ("standard", "economy7", "ev") for row in registry)
    manifest = manifest_of(dataset)
    assert all(n == 0 for kind, n in manifest["counts"].items() if KINDS[kind].fault)
    assert manifest["rows"] == [] and manifest["gaps"] == [] and manifest["stuck"] == []
    assert manifest["rows_written"] == 48
    assert manifest["readings"] == [{"file": "readings/readings_2024-01-01.csv", "rows": 48}]


@pytest.mark.parametrize(
    ("files_per", "names"),
    [
        ("day", [f"readings_2024-01-0{d}.csv" for d in (1, 2, 3)]),
        ("hour", [f"readings_2024-01-0{d}T{h:02d}.csv" for d in (1, 2, 3) for h in range(24)]),
        ("batch", ["readings_batch.csv"]),
    ],
)
def test_files_per_day_hour_batch(tmp_path: Path, files_per: str, names: list[str]) -> None:
    dataset = make(tmp_path / files_per, days=3, files_per=files_per)
    assert [p.name for p in dataset.reading_files] == names
    assert sorted(p.name for p in (dataset.out / "readings").iterdir()) == names
    manifest = manifest_of(dataset)
    assert sum(entry["rows"] for entry in manifest["readings"]) == dataset.rows_written
    # the same data whichever way it is cut into files
    reference = make(tmp_path / "reference", days=3, files_per="day")
    data_lines = sorted(line.raw for line in lines_of(dataset) if line.number > 1)
    assert data_lines == sorted(line.raw for line in lines_of(reference) if line.number > 1)


def test_progress_is_reported_per_day_on_long_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[str] = []
    make(tmp_path / "quiet", days=2, progress=messages.append)
    assert messages == []
    monkeypatch.setattr(generate_module, "PROGRESS_MIN_ROWS", 1)
    make(tmp_path / "loud", days=2, progress=messages.append)
    assert len(messages) == 2 and messages[-1].startswith("generated day 2 of 2")


def test_cli_options_reach_generate(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["generate", "--meters", "3", "--days", "1", "--interval", "30", "--seed", "5",
         "--files-per", "batch", "--fault-rate", "0", "--rate", "stuck=1",
         "--out", str(tmp_path / "out")]
    )  # fmt: skip
    dataset = run_from_args(args)
    manifest = manifest_of(dataset)
    assert manifest["parameters"]["interval_minutes"] == 30
    assert manifest["parameters"]["rates"]["stuck"] == 1.0
    assert manifest["counts"]["stuck"] == 0  # fault rate 0 scales every fault away
    assert dataset.rows_written == 3 * 48
    assert dataset.describe().startswith("generated 144 reading rows for 3 meters x 1 days")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"meters": 0}, "--meters must be at least 1"),
        ({"days": 0}, "--days must be at least 1"),
        ({"interval_minutes": 7}, "--interval must divide 1440"),
        ({"seed": -1}, "--seed must be 0 or more"),
        ({"fault_rate": -1.0}, "--fault-rate must be a number >= 0"),
        ({"rates": {"gremlins": 1.0}}, "unknown kind 'gremlins'"),
        ({"rates": {"stuck": -1.0}}, "--rate stuck: the rate must be"),
    ],
)
def test_bad_options_are_user_errors(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        make(tmp_path / "out", **options)


def test_out_must_be_an_empty_writable_folder(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="is not empty"):
        make(tmp_path / "full")
    (tmp_path / "file").write_text("")
    with pytest.raises(UserError, match="is a file"):
        make(tmp_path / "file")
    with pytest.raises(UserError, match="cannot write"):
        make(tmp_path / "file" / "below")
    with pytest.raises(UserError, match="write KIND=RATE"):
        generate_module.parse_rates(["stuck"])


# ---------------------------------------------------------------- the default demo run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDataset:
    """What `make demo` generates: 200 meters x 3 days, default rates."""
    return make(tmp_path_factory.mktemp("demo") / "out", meters=200, days=3, seed=7)


@pytest.fixture(scope="module")
def demo_lines(demo: GeneratedDataset) -> dict[tuple[str, int], Line]:
    return {(line.file, line.number): line for line in lines_of(demo)}


@pytest.fixture(scope="module")
def demo_readings(demo_lines: dict[tuple[str, int], Line]) -> dict[str, list[Reading]]:
    """Good readings per meter, in delivery order."""
    by_meter: dict[str, list[Reading]] = defaultdict(list)
    for line in demo_lines.values():
        if line.number > 1 and (reading := reading_of(line, 15)) is not None:
            by_meter[reading.meter_id].append(reading)
    return by_meter


def measured(readings: list[Reading]) -> dict[dt.datetime, float]:
    """SPEC §4: per slot the kept kW (duplicates collapse, conflicts drop out)."""
    values: dict[dt.datetime, set[float]] = defaultdict(set)
    for reading in readings:
        values[reading.slot].add(reading.kw)
    return {slot: kws.pop() for slot, kws in values.items() if len(kws) == 1 and min(kws) >= 0}


def test_demo_injects_every_kind(demo: GeneratedDataset) -> None:
    counts = manifest_of(demo)["counts"]
    assert set(counts) == set(KINDS)
    assert {kind for kind, n in counts.items() if n < 1} == set()
    assert counts["jitter"] == 600  # 1 per meter-day


def test_manifest_rows_are_the_lines_in_the_files(
    demo: GeneratedDataset, demo_lines: dict[tuple[str, int], Line]
) -> None:
    rows = manifest_of(demo)["rows"]
    counts = manifest_of(demo)["counts"]
    assert len(rows) == sum(counts[kind] for kind in ROW_KINDS)
    for row in rows:
        line = demo_lines[(row["file"], row["line"])]
        assert line.raw.decode("utf-8", "backslashreplace") == row["text"]


def test_row_faults_break_exactly_the_rule_they_name(
    demo: GeneratedDataset, demo_lines: dict[tuple[str, int], Line]
) -> None:
    seen: set[str] = set()
    for row in manifest_of(demo)["rows"]:
        line = demo_lines[(row["file"], row["line"])]
        kind = row["kind"]
        seen.add(kind)
        slot = iso(row["slot"])
        if kind == "invalid_utf8":
            with pytest.raises(UnicodeDecodeError):
                line.raw.decode("utf-8")
            continue
        if kind == "blank_line":
            assert line.raw == b""
            continue
        fields = fields_of(line)
        if kind == "malformed":
            assert len(fields) != 4
            continue
        assert len(fields) == 4, row
        meter_id, stamp, value, unit = fields
        instant = parse_timestamp(stamp)
        if kind == "missing_meter_id":
            assert meter_id.strip() == ""
        else:
            assert meter_id == row["meter_id"]
        if kind == "invalid_timestamp":
            assert instant is None
            continue
        assert instant is not None
        distance = abs((instant - slot).total_seconds())
        assert nearest_slot(instant, 15) == slot
        assert (distance > 60) == (kind == "off_grid"), row
        if kind == "missing_value":
            assert value.strip().lower() in MISSING
            continue
        if kind == "invalid_value":
            assert value.strip().lower() not in MISSING and parse_number(value) is None
            continue
        number = parse_number(value)
        assert number is not None, row
        if kind == "invalid_unit":
            assert unit.strip().lower() not in UNITS
            continue
        assert unit == "kW"
        assert (number > 20) == (kind == "spike")
        assert (number < 0) == (kind == "negative")
    assert seen == ROW_KINDS


def test_duplicates_and_late_rows_are_delivered_as_stated(
    demo: GeneratedDataset, demo_readings: dict[str, list[Reading]]
) -> None:
    rows = manifest_of(demo)["rows"]
    last_file = f"readings/{demo.reading_files[-1].name}"
    for row in rows:
        if row["kind"] not in ("duplicate", "duplicate_conflict", "late_arrival"):
            continue
        same_slot = [r for r in demo_readings[row["meter_id"]] if r.slot == iso(row["slot"])]
        where = (row["file"], row["line"])
        slot_file = f"readings/readings_{row['slot'][:10]}.csv"
        if row["kind"] == "late_arrival":
            assert len(same_slot) == 1
            assert row["file"] > slot_file or row["file"] == slot_file == last_file
            continue
        assert len(same_slot) == 2
        kws = {r.kw for r in same_slot}
        assert len(kws) == (1 if row["kind"] == "duplicate" else 2)
        (original,) = [r.line for r in same_slot if (r.line.file, r.line.number) != where]
        assert original.file == slot_file
        if not row["delivered_later"]:
            assert where == (original.file, original.number + 1)
        elif original.file == last_file:  # no later file: re-delivered at its end
            assert row["file"] == last_file and row["line"] > original.number + 1
        else:
            assert row["file"] > original.file
    assert {row["delivered_later"] for row in rows if row["kind"] == "duplicate"} == {True, False}


def test_stuck_and_near_zero_meters_have_their_runs(
    demo: GeneratedDataset, demo_readings: dict[str, list[Reading]]
) -> None:
    manifest = manifest_of(demo)
    for stuck in manifest["stuck"]:
        series = sorted(measured(demo_readings[stuck["meter_id"]]).items())
        run = [
            kw for slot, kw in series if iso(stuck["started_at"]) <= slot < iso(stuck["ended_at"])
        ]
        assert len(run) == stuck["readings"] >= 96  # 24 h at 15 min
        assert set(run) == {stuck["kw"]}
        assert longest_run(series, lambda a, b: a == b) == stuck["readings"]
    for near_zero in manifest["near_zero"]:
        series = sorted(measured(demo_readings[near_zero["meter_id"]]).items())
        low = [(slot, kw) for slot, kw in series if kw <= 0.01]
        assert len(low) == near_zero["readings"] >= 48  # 12 h at 15 min
        assert longest_run(series, lambda a, b: a <= 0.01 and b <= 0.01) == near_zero["readings"]
        assert low[0][0] == iso(near_zero["started_at"])


def longest_run(series: list[tuple[dt.datetime, float]], same: Any) -> int:
    best = length = 1
    for (_, before), (_, after) in itertools.pairwise(series):
        length = length + 1 if same(before, after) else 1
        best = max(best, length)
    return best


def test_gaps_have_no_rows_and_a_reading_either_side(
    demo: GeneratedDataset, demo_readings: dict[str, list[Reading]]
) -> None:
    lengths: dict[str, list[float]] = defaultdict(list)
    for gap in manifest_of(demo)["gaps"]:
        slots = measured(demo_readings[gap["meter_id"]])
        first, stop = iso(gap["started_at"]), iso(gap["ended_at"])
        assert not [s for s in slots if first <= s < stop]
        assert first - dt.timedelta(minutes=15) in slots and stop in slots
        assert gap["slots"] * 15 == (stop - first).total_seconds() / 60
        lengths[gap["kind"]].append(gap["hours"])
    assert set(lengths["gap_single"]) == {0.25}
    assert max(lengths["gap_short"]) == 3.75 and min(lengths["gap_short"]) >= 0.5
    assert min(lengths["gap_long"]) == 4.0
    assert lengths["silent_day"] == [24.0]


def test_unit_meters_write_consistent_values(
    demo: GeneratedDataset, demo_readings: dict[str, list[Reading]]
) -> None:
    units = manifest_of(demo)["units"]
    assert sorted(units) == ["W", "Wh", "kWh"]
    for unit, meter_ids in units.items():
        for meter_id in meter_ids:
            readings = demo_readings[meter_id]
            assert {fields_of(r.line)[3] for r in readings} == {unit}
            assert 0.05 < float(np.median([r.kw for r in readings])) < 3.0


def test_registry_leaves_out_unregistered_meters(demo: GeneratedDataset) -> None:
    manifest = manifest_of(demo)
    with demo.registry_path.open(encoding="utf-8", newline="") as handle:
        registry = list(csv.DictReader(handle))
    ids = {row["meter_id"] for row in registry}
    assert len(ids) == len(registry) == 200 - len(manifest["unregistered"])
    assert not ids & set(manifest["unregistered"])
    assert len({row["customer_id"] for row in registry}) == len(registry)
    sizes: dict[str, int] = defaultdict(int)
    for row in registry:
        sizes[row["neighbourhood"]] += 1
    assert min(sizes.values()) >= 10 and max(sizes.values()) <= 50


def test_shifted_meter_mismatches_its_neighbourhood_and_healthy_meters_do_not(
    demo: GeneratedDataset, demo_readings: dict[str, list[Reading]]
) -> None:
    """SPEC §6 correlation of hourly profiles, leaving the meter out of its neighbourhood."""
    manifest = manifest_of(demo)
    with demo.registry_path.open(encoding="utf-8", newline="") as handle:
        area = {row["meter_id"]: row["neighbourhood"] for row in csv.DictReader(handle)}
    hourly: dict[tuple[str, dt.date], dict[int, float]] = {}
    for meter_id, readings in demo_readings.items():
        per_hour: dict[tuple[dt.date, int], list[float]] = defaultdict(list)
        for slot, kw in measured(readings).items():
            per_hour[(slot.date(), slot.hour)].append(kw)
        for (date, hour), kws in per_hour.items():
            hourly.setdefault((meter_id, date), {})[hour] = sum(kws) / len(kws)

    def correlation(meter_id: str, date: dt.date) -> float:
        others = [m for m in area if area[m] == area[meter_id] and m != meter_id]
        assert len(others) >= 3
        pairs = []
        for hour, kw in hourly[(meter_id, date)].items():
            means = [hourly[(m, date)][hour] for m in others if hour in hourly.get((m, date), {})]
            if means:
                pairs.append((kw, sum(means) / len(means)))
        assert len(pairs) >= 12
        return float(np.corrcoef(np.array(pairs).T)[0, 1])

    days = [START + dt.timedelta(days=d) for d in range(3)]
    shifted = [entry["meter_id"] for entry in manifest["shifted"]]
    assert shifted
    for meter_id in shifted:
        assert all(correlation(meter_id, date) < 0.2 for date in days)
    faulty = {entry["meter_id"] for entry in manifest["stuck"] + manifest["near_zero"]}
    faulty |= {gap["meter_id"] for gap in manifest["gaps"] if gap["kind"] == "silent_day"}
    healthy = [m for m in area if m not in faulty and m not in shifted]
    assert len(healthy) > 150
    worst = min(correlation(m, date) for m in healthy for date in days)
    assert worst >= 0.2
