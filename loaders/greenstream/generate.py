"""`greenstream generate`: realistic synthetic smart-meter exports with known faults.

Writes `OUT/registry.csv`, `OUT/readings/readings_*.csv` (name order = delivery
order) and `OUT/manifest.json`, the ground truth of every injected fault. The same
arguments always give byte-identical files.

How it works: a plan is drawn first (neighbourhoods, households, which meters and
slots get which fault), then the data is made one UTC day at a time (numpy for the
load, Arrow for turning millions of values into CSV text), so memory stays bounded
by one day of all meters. Ordinary readings are written vectorised; every injected
line is built in Python and merged into place, and its file and line number go to
the manifest.

Fault kinds and their rates (`rates`, expected occurrences per meter or per
meter-day, multiplied by `fault_rate`) are listed in `KINDS`. A kind whose scaled
rate is above zero occurs at least once when the data allows it, so a small demo
shows every kind. Variations (`jitter`, `value_format`) are valid data written
unusually; `fault_rate` does not scale them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenstream.errors import UserError
from greenstream.fakedata import neighbourhood_names, registry_csv
from greenstream.loadshape import TARIFFS, Households, Ints, Neighbourhoods, day_kw

HEADER = b"meter_id,timestamp,energy_value,energy_unit\n"
FILES_PER = ("day", "hour", "batch")
PROGRESS_MIN_ROWS = 500_000

# SPEC defaults the injected faults are sized against.
MAX_KW = 20.0
NEAR_ZERO_KW = 0.01
STUCK_MIN_HOURS = 24
NEAR_ZERO_MIN_HOURS = 12
MAX_FILL_HOURS = 4
TOLERANCE_SECONDS = 60
SHIFT_HOURS = 8.0  # a night-shift household: its day runs 8 h later than its neighbours'


@dataclass(frozen=True)
class Kind:
    """One kind of injected fault or variation."""

    rate: float  # default expected occurrences per `per`
    per: str  # "meter" or "meter_day"
    fault: bool  # scaled by fault_rate
    description: str


KINDS: dict[str, Kind] = {
    "stuck": Kind(0.005, "meter", True, "meter repeats one value for >= 24 h"),
    "near_zero": Kind(0.005, "meter", True, "meter reads <= 0.01 kW for >= 12 h"),
    "shifted": Kind(0.005, "meter", True, "profile runs 8 h later than its neighbourhood"),
    "unregistered": Kind(0.005, "meter", True, "meter absent from the registry"),
    "unit_w": Kind(0.02, "meter", True, "meter reports power in W"),
    "unit_wh": Kind(0.02, "meter", True, "meter reports energy per slot in Wh"),
    "unit_kwh": Kind(0.02, "meter", True, "meter reports energy per slot in kWh"),
    "gap_single": Kind(0.02, "meter_day", True, "one slot without a row"),
    "gap_short": Kind(0.01, "meter_day", True, "2+ slots without rows, under 4 h"),
    "gap_long": Kind(0.005, "meter_day", True, "4 h or more without rows"),
    "silent_day": Kind(0.002, "meter_day", True, "a whole UTC day without rows mid-range"),
    "missing_value": Kind(0.02, "meter_day", True, "empty/null/NaN/N/A value"),
    "invalid_value": Kind(0.01, "meter_day", True, "abc, 1.2.3, inf, ... as value"),
    "duplicate": Kind(0.01, "meter_day", True, "identical row again (half in a later file)"),
    "duplicate_conflict": Kind(
        0.005, "meter_day", True, "same meter and slot, other value (half in a later file)"
    ),
    "off_grid": Kind(0.01, "meter_day", True, "timestamp more than 60 s from its slot"),
    "invalid_timestamp": Kind(0.005, "meter_day", True, "unparseable timestamp"),
    "spike": Kind(0.003, "meter_day", True, "value above 20 kW"),
    "negative": Kind(0.005, "meter_day", True, "negative value"),
    "missing_meter_id": Kind(0.003, "meter_day", True, "empty meter id"),
    "invalid_unit": Kind(0.005, "meter_day", True, "unit not in W/kW/Wh/kWh, or empty"),
    "malformed": Kind(0.003, "meter_day", True, "line with the wrong number of fields"),
    "invalid_utf8": Kind(0.002, "meter_day", True, "line that is not valid UTF-8"),
    "blank_line": Kind(0.001, "meter_day", True, "empty line (not a record)"),
    "late_arrival": Kind(0.005, "meter_day", True, "row delivered in the next file instead"),
    "jitter": Kind(1.0, "meter_day", False, "timestamp off its slot by 1-45 s (valid)"),
    "value_format": Kind(0.02, "meter_day", False, "valid number written unusually"),
}
METER_KINDS = ("stuck", "near_zero", "shifted", "unregistered", "unit_w", "unit_wh", "unit_kwh")
GAP_KINDS = ("gap_single", "gap_short", "gap_long", "silent_day")
EXTRA_LINE_KINDS = ("duplicate", "duplicate_conflict", "blank_line")
UNLISTED_KINDS = ("jitter", "value_format")  # counted in the manifest, not listed

UNITS = ("kW", "W", "Wh", "kWh")
_UNIT_OF_KIND = {"unit_w": 1, "unit_wh": 2, "unit_kwh": 3}

_TOKENS: dict[str, tuple[str, ...]] = {
    "missing_value": ("", "null", "NULL", "NaN", "nan", "N/A", "NA", "none", "  "),
    "invalid_value": ("abc", "1.2.3", "inf", "-Infinity", '"1,5"', "0x1F", "12kW", "1e999"),
    "invalid_timestamp": (
        "2024-13-01 00:00",
        "yesterday",
        "2024-02-30T10:00",
        "01/02/2024 10:00",
        "2024-01-01 24:30:00",
        "",
        "2024-01-01T10:00:00+2:00",
        "2024-01-01T10:00:00 UTC",
    ),
    "missing_meter_id": ("", "   "),
    "invalid_unit": ("kVArh", "MWh", "", "kw h", "°C", "J"),
    "malformed": ("too_few", "too_many", "semicolons"),
    "invalid_utf8": ("latin1_unit", "bad_byte_value", "truncated_sequence"),
    "value_format": ("padded", "plus", "exponent", "quoted", "trailing_zero"),
}

# Timestamp styles: how a meter's head-end writes its timestamps (name, share).
_STYLES = (
    ("space", 0.55),
    ("zulu", 0.18),
    ("iso_naive", 0.05),
    ("offset_plus_01_00", 0.06),
    ("offset_plus_0100", 0.04),
    ("offset_minus_05", 0.04),
    ("offset_plus_05_30", 0.02),
    ("minutes", 0.03),
    ("milliseconds", 0.03),
)
_STYLE_OFFSETS = {
    "offset_plus_01_00": (dt.timedelta(hours=1), "+01:00", "T"),
    "offset_plus_0100": (dt.timedelta(hours=1), "+0100", " "),
    "offset_minus_05": (dt.timedelta(hours=-5), "-05", "T"),
    "offset_plus_05_30": (dt.timedelta(hours=5, minutes=30), "+05:30", "T"),
}


def format_timestamp(instant: dt.datetime, style: str) -> str:
    """`instant` (UTC, whole milliseconds) written as `style` of `_STYLES`."""
    if style in _STYLE_OFFSETS:
        offset, suffix, sep = _STYLE_OFFSETS[style]
        return (instant + offset).strftime(f"%Y-%m-%d{sep}%H:%M:%S") + suffix
    if style == "zulu":
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "iso_naive":
        return instant.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "minutes":
        return instant.strftime("%Y-%m-%d %H:%M")
    if style == "milliseconds":
        return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"
    return instant.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class GeneratedDataset:
    """What `generate` wrote."""

    out: Path
    registry_path: Path
    manifest_path: Path
    reading_files: list[Path]  # in name order = delivery order
    rows_written: int  # records in the reading files (header and blank lines excluded)
    meters: int
    days: int
    injected: int  # injected faults, variations not counted

    def describe(self) -> str:
        return (
            f"generated {self.rows_written:,} reading rows for {self.meters:,} meters x "
            f"{self.days} days in {len(self.reading_files)} files with {self.injected:,} "
            f"injected faults; registry, readings and manifest in {self.out}"
        )


@dataclass
class _Row:
    """One injected line (a replaced reading, an extra line, or a moved one)."""

    kind: str
    meter: int
    slot: int  # global slot index
    token: str = ""
    offset_ms: int = 0  # off_grid, jitter
    kw: float = 0.0  # spike, negative
    later: bool = False  # delivered in the next file
    file: str = ""
    line: int = 0
    text: str = ""


@dataclass(frozen=True)
class _Gap:
    kind: str
    meter: int
    start: int  # first missing slot
    length: int


@dataclass
class _Plan:
    meter_ids: list[str]
    areas: Neighbourhoods
    area_names: list[str]
    homes: Households
    unit: Ints  # index into UNITS, per meter
    style: Ints  # index into _STYLES, per meter
    stuck: dict[int, tuple[int, int, float]] = field(default_factory=dict)
    near_zero: dict[int, tuple[int, int]] = field(default_factory=dict)
    unregistered: list[int] = field(default_factory=list)
    gaps: list[_Gap] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Grid:
    start: dt.date
    days: int
    interval: int  # minutes

    @property
    def per_day(self) -> int:
        return 1440 // self.interval

    @property
    def slots(self) -> int:
        return self.days * self.per_day

    def instant(self, slot: int) -> dt.datetime:
        midnight = dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)
        return midnight + dt.timedelta(minutes=slot * self.interval)

    def iso(self, slot: int) -> str:
        return self.instant(slot).strftime("%Y-%m-%dT%H:%M:%SZ")

    def hours_to_slots(self, hours: float) -> int:
        """Fewest slots covering at least `hours`."""
        return math.ceil(hours * 60 / self.interval)


@dataclass(frozen=True)
class _Segment:
    """Part of one reading file made from one day (a batch file has one per day)."""

    file: int
    name: str
    day: int
    first: int  # slot within the day
    stop: int


def generate(
    out: Path,
    meters: int,
    days: int,
    start: dt.date,
    interval_minutes: int,
    seed: int,
    files_per: str,
    fault_rate: float = 1.0,
    rates: Mapping[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> GeneratedDataset:
    """Write a registry, reading files and a manifest of injected faults to `out`."""
    effective = _check(meters, days, interval_minutes, seed, files_per, fault_rate, rates)
    grid = _Grid(start, days, interval_minutes)
    readings_dir = _prepare(out)
    report = progress if progress is not None and meters * grid.slots >= PROGRESS_MIN_ROWS else None

    plan = _draw_plan(np.random.default_rng([seed, 0]), meters, grid, fault_rate, effective)
    registry_path = out / "registry.csv"
    _write_registry(np.random.default_rng([seed, 1]), plan, registry_path)

    segments = list(_segments(grid, files_per))
    files, rows_written = _write_readings(seed, plan, grid, segments, readings_dir, report)

    manifest_path = out / "manifest.json"
    parameters = {
        "meters": meters,
        "days": days,
        "start": start.isoformat(),
        "interval_minutes": interval_minutes,
        "seed": seed,
        "files_per": files_per,
        "fault_rate": fault_rate,
        "rates": effective,
    }
    manifest = _manifest(plan, grid, parameters, files, rows_written)
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return GeneratedDataset(
        out=out,
        registry_path=registry_path,
        manifest_path=manifest_path,
        reading_files=[readings_dir / name for name, _ in files],
        rows_written=rows_written,
        meters=meters,
        days=days,
        injected=sum(n for kind, n in plan.counts.items() if KINDS[kind].fault),
    )


def run_from_args(args: argparse.Namespace) -> GeneratedDataset:
    """`generate` with the options of the CLI's `generate` verb; progress goes to stderr."""
    return generate(
        out=args.out,
        meters=args.meters,
        days=args.days,
        start=args.start,
        interval_minutes=args.interval,
        seed=args.seed,
        files_per=args.files_per,
        fault_rate=args.fault_rate,
        rates=parse_rates(args.rate),
        progress=_print_progress,
    )


def parse_rates(items: list[str]) -> dict[str, float]:
    """`["stuck=0.1", ...]` from `--rate` options as a mapping."""
    rates: dict[str, float] = {}
    for item in items:
        kind, sep, value = item.partition("=")
        try:
            rates[kind.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UserError(f"--rate {item!r}: write KIND=RATE, e.g. --rate stuck=0.01")
    return rates


def _print_progress(message: str) -> None:
    print(f"greenstream: {message}", file=sys.stderr, flush=True)


def _check(
    meters: int,
    days: int,
    interval: int,
    seed: int,
    files_per: str,
    fault_rate: float,
    rates: Mapping[str, float] | None,
) -> dict[str, float]:
    if meters < 1:
        raise UserError(f"--meters must be at least 1 (got {meters})")
    if days < 1:
        raise UserError(f"--days must be at least 1 (got {days})")
    if not 1 <= interval <= 1440 or 1440 % interval:
        raise UserError(f"--interval must divide 1440 minutes, e.g. 15, 30 or 60 (got {interval})")
    if seed < 0:
        raise UserError(f"--seed must be 0 or more (got {seed})")
    if files_per not in FILES_PER:
        raise UserError(f"--files-per must be one of {', '.join(FILES_PER)} (got {files_per!r})")
    if not math.isfinite(fault_rate) or fault_rate < 0:
        raise UserError(f"--fault-rate must be a number >= 0 (got {fault_rate})")
    effective = {kind: spec.rate for kind, spec in KINDS.items()}
    for kind, rate in (rates or {}).items():
        if kind not in KINDS:
            raise UserError(f"--rate: unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
        if not math.isfinite(rate) or rate < 0:
            raise UserError(f"--rate {kind}: the rate must be a number >= 0 (got {rate})")
        effective[kind] = rate
    return effective


def _prepare(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file: give a folder to write into")
    if out.is_dir() and any(out.iterdir()):
        raise UserError(f"--out {out} is not empty: remove it or choose a new folder")
    readings = out / "readings"
    try:
        readings.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UserError(f"cannot write to --out {out}: {error.strerror or error}") from None
    return readings


# ---------------------------------------------------------------- the plan


def _draw_plan(
    rng: np.random.Generator,
    meters: int,
    grid: _Grid,
    fault_rate: float,
    rates: Mapping[str, float],
) -> _Plan:
    width = max(6, len(str(meters)))
    sizes = _neighbourhood_sizes(rng, meters)
    areas = Neighbourhoods.draw(rng, len(sizes))
    area_of_meter = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
    shares = np.array([share for _, share in _STYLES])
    plan = _Plan(
        meter_ids=[f"MTR{n + 1:0{width}d}" for n in range(meters)],
        areas=areas,
        area_names=neighbourhood_names(rng, len(sizes)),
        homes=Households.draw(rng, area_of_meter),
        unit=np.zeros(meters, dtype=np.int64),
        style=rng.choice(len(_STYLES), size=meters, p=shares / shares.sum()).astype(np.int64),
    )

    def count(kind: str) -> int:
        scaled = rates[kind] * (fault_rate if KINDS[kind].fault else 1.0)
        base = meters if KINDS[kind].per == "meter" else meters * grid.days
        return max(1, round(scaled * base)) if scaled > 0 else 0

    ordinary = _assign_meter_kinds(rng, plan, grid, count, sizes)
    taken: dict[int, list[tuple[int, int]]] = {}
    for kind in GAP_KINDS:
        _place_gaps(rng, plan, grid, kind, count(kind), ordinary, taken)
    for kind, spec in KINDS.items():
        if spec.per == "meter_day" and kind not in GAP_KINDS:
            _place_rows(rng, plan, grid, kind, count(kind), ordinary, taken)
    return plan


def _neighbourhood_sizes(rng: np.random.Generator, meters: int) -> list[int]:
    """Neighbourhoods of 10-50 meters (a remainder under 10 joins the last one)."""
    sizes: list[int] = []
    left = meters
    while left > 0:
        size = int(rng.integers(10, 51))
        if left - size < 10:
            size = left if left <= 50 else left - 10
        sizes.append(size)
        left -= size
    return sizes


def _assign_meter_kinds(
    rng: np.random.Generator,
    plan: _Plan,
    grid: _Grid,
    count: Callable[[str], int],
    sizes: list[int],
) -> Ints:
    """Give meter-level faults to distinct meters (at most half of them); return the rest."""
    meters = len(plan.meter_ids)
    order = [int(n) for n in rng.permutation(meters)]
    budget = meters // 2
    chosen: set[int] = set()
    area_size = np.repeat(sizes, sizes)
    for kind in METER_KINDS:
        wanted = count(kind)
        picked: list[int] = []
        for meter in order:
            if len(picked) == wanted or len(chosen) == budget:
                break
            # a shifted meter needs enough neighbours for a correlation (SPEC §6)
            if meter in chosen or (kind == "shifted" and area_size[meter] < 5):
                continue
            picked.append(meter)
            chosen.add(meter)
        plan.counts[kind] = len(picked)
        for meter in sorted(picked):
            _give_meter_kind(rng, plan, grid, kind, meter)
    return np.array([n for n in range(meters) if n not in chosen], dtype=np.int64)


def _give_meter_kind(
    rng: np.random.Generator, plan: _Plan, grid: _Grid, kind: str, meter: int
) -> None:
    if kind == "stuck":
        low = grid.hours_to_slots(STUCK_MIN_HOURS)
        length = int(rng.integers(low, min(grid.slots, 2 * low) + 1))
        first = int(rng.integers(0, grid.slots - length + 1))
        value = round(float(rng.uniform(0.15, 1.2)), 3)
        plan.stuck[meter] = (first, first + length, value)
    elif kind == "near_zero":
        low = grid.hours_to_slots(NEAR_ZERO_MIN_HOURS)
        length = int(rng.integers(low, min(grid.slots, low * 3 // 2) + 1))
        first = int(rng.integers(0, grid.slots - length + 1))
        plan.near_zero[meter] = (first, first + length)
    elif kind == "shifted":
        plan.homes.shift_hours[meter] = SHIFT_HOURS
    elif kind == "unregistered":
        plan.unregistered.append(meter)
    else:
        plan.unit[meter] = _UNIT_OF_KIND[kind]


def _claim(taken: dict[int, list[tuple[int, int]]], meter: int, first: int, stop: int) -> bool:
    """Reserve slots [first, stop) of a meter plus one slot either side, if free."""
    spans = taken.setdefault(meter, [])
    if any(first - 1 < other_stop and other_first < stop + 1 for other_first, other_stop in spans):
        return False
    spans.append((first, stop))
    return True


def _place_gaps(
    rng: np.random.Generator,
    plan: _Plan,
    grid: _Grid,
    kind: str,
    wanted: int,
    ordinary: Ints,
    taken: dict[int, list[tuple[int, int]]],
) -> None:
    """Gaps sit inside a meter's range: a reading right before and right after."""
    fill_max = (MAX_FILL_HOURS * 60 - 1) // grid.interval  # longest gap that is filled
    long_min = grid.hours_to_slots(MAX_FILL_HOURS)
    placed = 0
    for _ in range(wanted * 20 if len(ordinary) else 0):
        if placed == wanted:
            break
        meter = int(ordinary[rng.integers(len(ordinary))])
        if kind == "silent_day":
            if grid.days < 3:
                break
            day = int(rng.integers(1, grid.days - 1))
            first, length = day * grid.per_day, grid.per_day
        else:
            low, high = {"gap_single": (1, 1), "gap_short": (2, fill_max)}.get(
                kind, (long_min, 3 * long_min)
            )
            high = min(high, grid.slots - 2)
            if low > high:
                break
            # the first gap of a kind sits on the boundary of what gets filled
            boundary = high if kind == "gap_short" else low
            length = boundary if placed == 0 else int(rng.integers(low, high + 1))
            first = int(rng.integers(1, grid.slots - length))
        if _claim(taken, meter, first, first + length):
            plan.gaps.append(_Gap(kind, meter, first, length))
            placed += 1
    plan.counts[kind] = placed


def _place_rows(
    rng: np.random.Generator,
    plan: _Plan,
    grid: _Grid,
    kind: str,
    wanted: int,
    ordinary: Ints,
    taken: dict[int, list[tuple[int, int]]],
) -> None:
    """Draw candidates in bulk (fast for many meters), keep those whose slot is free."""
    half_slot_s = grid.interval * 30
    evening = np.arange(17 * 60 // grid.interval, 21 * 60 // grid.interval)
    seconds_range = {
        "off_grid": (TOLERANCE_SECONDS + 15, half_slot_s - 15),
        "jitter": (1, min(45, half_slot_s - 1)),
    }.get(kind, (0, 0))
    if seconds_range[0] > seconds_range[1]:
        wanted = 0  # with slots this short no timestamp is more than 60 s from one
    tokens = _TOKENS.get(kind, ("",))
    placed = 0
    for _ in range(10 if len(ordinary) else 0):
        if placed == wanted:
            break
        size = 2 * (wanted - placed) + 8
        meters = ordinary[rng.integers(len(ordinary), size=size)]
        if kind == "spike" and len(evening):  # at the evening peak, like a real overload
            days = rng.integers(grid.days, size=size)
            slots = days * grid.per_day + evening[rng.integers(len(evening), size=size)]
        else:
            slots = rng.integers(grid.slots, size=size)
        token = rng.integers(len(tokens), size=size)
        offset_ms = rng.integers(seconds_range[0], seconds_range[1] + 1, size=size) * 1000
        offset_ms *= rng.choice(np.array([-1, 1]), size=size)
        kw = {
            "spike": np.round(rng.uniform(MAX_KW + 0.5, 35.0, size), 2),
            "negative": -np.round(rng.uniform(0.01, 1.5, size), 3),
        }.get(kind, np.zeros(size))
        for i in range(size):
            meter, slot = int(meters[i]), int(slots[i])
            if placed == wanted:
                break
            if not _claim(taken, meter, slot, slot + 1):
                continue
            # half of the duplicates are re-delivered in the next file
            redelivered = kind in ("duplicate", "duplicate_conflict") and placed % 2 == 1
            plan.rows.append(
                _Row(
                    kind,
                    meter,
                    slot,
                    token=tokens[token[i]],
                    offset_ms=int(offset_ms[i]),
                    kw=float(kw[i]),
                    later=kind == "late_arrival" or redelivered,
                )
            )
            placed += 1
    plan.counts[kind] = placed


# ---------------------------------------------------------------- writing


def _write_registry(rng: np.random.Generator, plan: _Plan, path: Path) -> None:
    unregistered = set(plan.unregistered)
    registered = [n for n in range(len(plan.meter_ids)) if n not in unregistered]
    text = registry_csv(
        rng,
        [plan.meter_ids[n] for n in registered],
        [int(plan.homes.neighbourhood[n]) for n in registered],
        plan.area_names,
        [TARIFFS[plan.homes.tariff[n]] for n in registered],
    )
    path.write_text(text, encoding="utf-8", newline="")


def _segments(grid: _Grid, files_per: str) -> Iterator[_Segment]:
    for day in range(grid.days):
        date = grid.start + dt.timedelta(days=day)
        if files_per == "batch":
            yield _Segment(0, "readings_batch.csv", day, 0, grid.per_day)
        elif files_per == "day":
            yield _Segment(day, f"readings_{date.isoformat()}.csv", day, 0, grid.per_day)
        else:
            for hour in range(24):
                first = -(-hour * 60 // grid.interval)
                stop = -(-(hour + 1) * 60 // grid.interval)
                if first < stop:
                    name = f"readings_{date.isoformat()}T{hour:02d}.csv"
                    yield _Segment(day * 24 + hour, name, day, first, stop)


def _write_readings(
    seed: int,
    plan: _Plan,
    grid: _Grid,
    segments: list[_Segment],
    folder: Path,
    report: Callable[[str], None] | None,
) -> tuple[list[tuple[str, int]], int]:
    """Write every reading file; return (name, records) per file and the total."""
    meters = len(plan.meter_ids)
    segment_of_slot = np.empty(grid.slots, dtype=np.int64)
    first_segment_of_file: dict[int, int] = {}
    for index, segment in enumerate(segments):
        day_start = segment.day * grid.per_day
        segment_of_slot[day_start + segment.first : day_start + segment.stop] = index
        first_segment_of_file.setdefault(segment.file, index)
    tail_key = meters * grid.slots * 8
    pending: dict[int, list[tuple[int, _Row]]] = {}
    for row in plan.rows:
        index = int(segment_of_slot[row.slot])
        key = (row.meter * grid.slots + row.slot) * 8 + _SUB.get(row.kind, 0)
        if row.later:
            following = first_segment_of_file.get(segments[index].file + 1)
            if following is None:
                index, key = len(segments) - 1, tail_key + len(pending.get(len(segments) - 1, []))
            else:
                index = following
        pending.setdefault(index, []).append((key, row))

    rows_by_day: dict[int, list[_Row]] = {}
    for row in plan.rows:
        rows_by_day.setdefault(row.slot // grid.per_day, []).append(row)
    replaced = [row for row in plan.rows if row.kind not in EXTRA_LINE_KINDS]
    replaced_cells = np.array([row.meter * grid.slots + row.slot for row in replaced], np.int64)

    files: list[tuple[str, int]] = []
    total = 0
    handle = None
    line = 0
    for day in range(grid.days):
        today = [(index, s) for index, s in enumerate(segments) if s.day == day]
        windows = [(segment.first, segment.stop) for _, segment in today]
        lines, cells, removed = _day_lines(seed, plan, grid, day, windows, replaced_cells)
        _render_rows(plan, grid, lines, cells, rows_by_day.get(day, []))
        low = 0
        for index, segment in today:
            if not files or files[-1][0] != segment.name:
                if handle is not None:
                    handle.close()
                handle = (folder / segment.name).open("wb")
                handle.write(HEADER)
                files.append((segment.name, 0))
                line = 1
            assert handle is not None
            high = low + meters * (segment.stop - segment.first)
            day_cells = cells[low:high]
            keys = (day_cells // grid.per_day * grid.slots + day * grid.per_day) * 8
            keys += day_cells % grid.per_day * 8
            records, line = _write_segment(
                handle,
                segment.name,
                lines.slice(low, high - low),
                keys,
                removed[low:high],
                pending.pop(index, []),
                line,
            )
            low = high
            files[-1] = (segment.name, files[-1][1] + records)
            total += records
        if report is not None:
            report(f"generated day {day + 1} of {grid.days}: {total:,} rows so far")
    if handle is not None:
        handle.close()
    return files, total


_SUB = {"duplicate": 1, "duplicate_conflict": 2, "blank_line": 3}


def _day_lines(
    seed: int,
    plan: _Plan,
    grid: _Grid,
    day: int,
    windows: list[tuple[int, int]],
    replaced_cells: Ints,
) -> tuple[Any, Ints, Any]:
    """The ordinary lines of one day, every meter and slot, as one Arrow large_binary array.

    Lines run window by window (slots [first, stop) of the day), meter-major inside
    each, so every file segment is one contiguous range. Also returns each line's cell
    (meter x slots-per-day + slot of the day) and whether the line is left out (a gap,
    or a reading whose line is an injected one).
    """
    rng = np.random.default_rng([seed, 2, day])
    per_day = grid.per_day
    day_start = day * per_day
    date = grid.start + dt.timedelta(days=day)
    hours = np.arange(per_day, dtype=np.float64) * grid.interval / 60.0
    kw = day_kw(rng, plan.areas, plan.homes, hours, date.isoweekday() >= 6)
    for meter, (first, stop, value) in plan.stuck.items():
        low, high = max(first - day_start, 0), min(stop - day_start, per_day)
        if low < high:
            kw[meter, low:high] = value
    for meter, (first, stop) in plan.near_zero.items():
        low, high = max(first - day_start, 0), min(stop - day_start, per_day)
        if low < high:
            kw[meter, low:high] = rng.integers(0, 11, high - low) / 1000.0
    kw = np.round(kw, 3)

    per_slot_hours = grid.interval / 60.0
    values = kw.copy()
    for unit, factor, digits in ((1, 1000.0, 1), (2, 1000.0 * per_slot_hours, 2)):
        chosen = plan.unit == unit
        values[chosen] = np.round(kw[chosen] * factor, digits)
    chosen = plan.unit == 3
    values[chosen] = np.round(kw[chosen] * per_slot_hours, 5)

    meters = len(plan.meter_ids)
    stamps = [
        format_timestamp(grid.instant(day_start + slot), name)
        for name, _ in _STYLES
        for slot in range(per_day)
    ]
    cells = np.concatenate(
        [
            (np.arange(meters, dtype=np.int64)[:, None] * per_day + np.arange(first, stop)).ravel()
            for first, stop in windows
        ]
    )
    meter_of_cell = cells // per_day
    large = pa.large_string()
    ids = pa.array(plan.meter_ids, large).take(meter_of_cell)
    times = pa.array(stamps, large).take(plan.style[meter_of_cell] * per_day + cells % per_day)
    text = pc.cast(pa.array(values.ravel()[cells]), large)
    units = pa.array([f"{unit}\n" for unit in UNITS], large).take(plan.unit[meter_of_cell])
    lines = pc.binary_join_element_wise(ids, times, text, units, pa.scalar(",", large))

    removed = np.zeros((meters, per_day), dtype=bool)
    for gap in plan.gaps:
        low = max(gap.start - day_start, 0)
        high = min(gap.start + gap.length - day_start, per_day)
        if low < high:
            removed[gap.meter, low:high] = True
    row_meter, row_slot = np.divmod(replaced_cells, grid.slots)
    today = (row_slot >= day_start) & (row_slot < day_start + per_day)
    removed[row_meter[today], row_slot[today] - day_start] = True
    return lines.view(pa.large_binary()), cells, removed.ravel()[cells]


def _render_rows(plan: _Plan, grid: _Grid, lines: Any, cells: Ints, rows: list[_Row]) -> None:
    """Fill in the text of the injected rows of one day from its ordinary lines."""
    if not rows:
        return
    per_day = grid.per_day
    line_of_cell = np.empty_like(cells)
    line_of_cell[cells] = np.arange(len(cells))
    wanted = line_of_cell[[row.meter * per_day + row.slot % per_day for row in rows]]
    ordinary = [line.decode("utf-8") for line in lines.take(pa.array(wanted)).to_pylist()]
    for row, line in zip(rows, ordinary, strict=True):
        meter_id, stamp, value, unit = line.rstrip("\n").split(",")
        style = _STYLES[plan.style[row.meter]][0]
        if row.offset_ms:
            instant = grid.instant(row.slot) + dt.timedelta(milliseconds=row.offset_ms)
            stamp = format_timestamp(instant, "space" if style == "minutes" else style)
        row.text = _row_text(row, meter_id, stamp, value, unit, line.rstrip("\n"))


def _row_text(row: _Row, meter_id: str, stamp: str, value: str, unit: str, line: str) -> str:
    kind, token = row.kind, row.token
    if kind in ("duplicate", "late_arrival"):
        return line
    if kind == "blank_line":
        return ""
    if kind == "duplicate_conflict":
        value = f"{float(value) * 1.5 + 0.1:.3f}"
    elif kind in ("spike", "negative"):
        value = f"{row.kw}"
    elif kind == "missing_value" or kind == "invalid_value":
        value = token
    elif kind == "invalid_timestamp":
        stamp = token
    elif kind == "missing_meter_id":
        meter_id = token
    elif kind == "invalid_unit":
        unit = token
    elif kind == "value_format":
        value = _VALUE_FORMATS[token](value)
    elif kind == "malformed":
        return {
            "too_few": f"{meter_id},{stamp},{value}",
            "too_many": f"{meter_id},{stamp},{value},{unit},{value}",
            "semicolons": f"{meter_id};{stamp};{value};{unit}",
        }[token]
    elif kind == "invalid_utf8":
        # \udcxx are lone surrogates: encoded with surrogateescape they become the raw bytes
        return {
            "latin1_unit": f"{meter_id},{stamp},{value},k\udce9W",
            "bad_byte_value": f"{meter_id},{stamp},{value}\udcff,{unit}",
            "truncated_sequence": f"{meter_id},{stamp},{value},{unit}\udce2\udc82",
        }[token]
    return f"{meter_id},{stamp},{value},{unit}"


_VALUE_FORMATS: dict[str, Callable[[str], str]] = {
    "padded": lambda value: f" {value} ",
    "plus": lambda value: f"+{value}",
    "exponent": lambda value: f"{value}e0",
    "quoted": lambda value: f'"{value}"',
    "trailing_zero": lambda value: f"{value}0" if "." in value else f"{value}.",
}


def _write_segment(
    handle: BinaryIO,
    name: str,
    lines: Any,
    keys: Ints,
    removed: Any,
    injected: list[tuple[int, _Row]],
    line: int,
) -> tuple[int, int]:
    """Write one segment: its ordinary `lines` (ascending `keys`) less the `removed` ones,
    with the `injected` rows merged in by key.

    Ordinary lines are written as slices of the Arrow buffer, so the cost is one pass
    over the bytes plus a little per injected row. Returns the records written and the
    last line number, and notes each injected row's file and line.
    """
    injected = sorted(injected, key=lambda item: item[0])
    inserts = np.searchsorted(keys, np.array([key for key, _ in injected], np.int64), "right")
    removals = np.flatnonzero(removed)
    positions = np.concatenate([inserts, removals])
    order = np.lexsort((np.arange(len(positions)) >= len(inserts), positions)).tolist()
    all_offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
    offsets = all_offsets[lines.offset : lines.offset + len(lines) + 1].tolist()
    data = memoryview(lines.buffers()[2])
    pieces: list[bytes | memoryview] = []
    cursor = 0
    records = len(lines) - len(removals)
    for event in order:
        position = int(positions[event])
        if position > cursor:
            pieces.append(data[offsets[cursor] : offsets[position]])
            line += position - cursor
            cursor = position
        if event >= len(inserts):
            cursor = position + 1
            continue
        row = injected[event][1]
        line += 1
        row.file, row.line = name, line
        pieces.append((row.text + "\n").encode("utf-8", "surrogateescape"))
        records += row.kind != "blank_line"
    pieces.append(data[offsets[cursor] : offsets[len(lines)]])
    line += len(lines) - cursor
    handle.writelines(pieces)
    return records, line


def _manifest(
    plan: _Plan,
    grid: _Grid,
    parameters: dict[str, Any],
    files: list[tuple[str, int]],
    rows_written: int,
) -> dict[str, Any]:
    ids = plan.meter_ids
    areas = plan.homes.neighbourhood
    return {
        "generator": "greenstream generate",
        "parameters": parameters,
        "spec_defaults": {
            "max_kw": MAX_KW,
            "near_zero_kw": NEAR_ZERO_KW,
            "stuck_min_hours": STUCK_MIN_HOURS,
            "near_zero_min_hours": NEAR_ZERO_MIN_HOURS,
            "max_interpolation_gap_hours": MAX_FILL_HOURS,
            "timestamp_tolerance_seconds": TOLERANCE_SECONDS,
        },
        "registry": "registry.csv",
        "readings": [{"file": f"readings/{name}", "rows": rows} for name, rows in files],
        "rows_written": rows_written,
        "counts": {kind: plan.counts.get(kind, 0) for kind in KINDS},
        "stuck": [
            {
                "meter_id": ids[meter],
                "started_at": grid.iso(first),
                "ended_at": grid.iso(stop),
                "readings": stop - first,
                "kw": value,
            }
            for meter, (first, stop, value) in sorted(plan.stuck.items())
        ],
        "near_zero": [
            {
                "meter_id": ids[meter],
                "started_at": grid.iso(first),
                "ended_at": grid.iso(stop),
                "readings": stop - first,
            }
            for meter, (first, stop) in sorted(plan.near_zero.items())
        ],
        "shifted": [
            {
                "meter_id": ids[meter],
                "neighbourhood": plan.area_names[areas[meter]],
                "shift_hours": SHIFT_HOURS,
            }
            for meter in np.flatnonzero(plan.homes.shift_hours)
        ],
        "unregistered": [ids[meter] for meter in sorted(plan.unregistered)],
        "units": {
            UNITS[unit]: [ids[meter] for meter in np.flatnonzero(plan.unit == unit)]
            for unit in range(1, len(UNITS))
        },
        "gaps": [
            {
                "kind": gap.kind,
                "meter_id": ids[gap.meter],
                "started_at": grid.iso(gap.start),
                "ended_at": grid.iso(gap.start + gap.length),
                "slots": gap.length,
                "hours": gap.length * grid.interval / 60,
            }
            for gap in sorted(plan.gaps, key=lambda gap: (gap.meter, gap.start))
        ],
        "rows": [
            {
                "kind": row.kind,
                "meter_id": ids[row.meter],
                "slot": grid.iso(row.slot),
                "file": f"readings/{row.file}",
                "line": row.line,
                "delivered_later": bool(row.later),
                "text": row.text.encode("utf-8", "surrogateescape").decode(
                    "utf-8", "backslashreplace"
                ),
            }
            for row in sorted(plan.rows, key=lambda row: (row.file, row.line))
            if row.kind not in UNLISTED_KINDS
        ],
    }
