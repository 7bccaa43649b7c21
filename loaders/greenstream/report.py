"""`greenstream report`: one self-contained HTML page on the quality of the gold marts.

Charts are inline SVG drawn here (no JavaScript, no network): tiers and Q-Score
distribution per day, the top deduction causes, the neighbourhood peak demand, plus the
faulty meters and the batch audit as tables. Each chart has a <title>, a <desc> and its
numbers in a table beside it, so screen readers and tests can read it. The same queries
run on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from greenstream.errors import RunFailed, UserError
from greenstream.ops import BUILD_HINT, Reader, open_reader
from greenstream.settings import Settings

TIERS = ("GOLD", "SILVER", "BRONZE")
TIER_COLOURS = {"GOLD": "#c9a227", "SILVER": "#8e9aa6", "BRONZE": "#a0522d"}
# Okabe-Ito: distinguishable with colour-blindness; dashes repeat them past eight lines.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#000000", "#f0e442")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
DEDUCTIONS = (
    ("deduction_unfilled", "missing slots (unfilled)"),
    ("deduction_fault", "faults (stuck, near-zero, neighbour mismatch)"),
    ("deduction_interpolation", "interpolated slots"),
    ("deduction_out_of_bounds", "out-of-bounds or negative readings"),
    ("deduction_unit_conversion", "unit conversion (readings not in kW)"),
)
HISTOGRAM_BIN = 5  # Q-Score points per histogram bar
MAX_TABLE_ROWS = 500
BATCH_COLUMNS = (
    "source_file",
    "loaded_at",
    "records",
    "rows_landed",
    "rows_rejected",
    "rows_valid",
    "rows_out_of_bounds",
    "rows_duplicate",
    "rows_duplicate_conflict",
    "rows_missing_meter_id",
    "rows_invalid_timestamp",
    "rows_off_grid_timestamp",
    "rows_missing_value",
    "rows_invalid_value",
    "rows_invalid_unit",
    "rows_negative_value",
    "meters",
    "first_reading_ts",
    "last_reading_ts",
)


@dataclass(frozen=True)
class Box:
    """Q-Score distribution of one day."""

    meter_days: int
    low: float
    q1: float
    median: float
    q3: float
    high: float


@dataclass(frozen=True)
class Deduction:
    label: str
    points: Decimal
    meter_days: int


@dataclass
class ReportData:
    """Everything the page shows, read once from the warehouse."""

    where: str
    tiers: dict[dt.date, dict[str, int]]
    boxes: dict[dt.date, Box]
    histogram: list[int]
    deductions: list[Deduction]
    fault_columns: list[str] = field(default_factory=list)
    faults: list[tuple[Any, ...]] = field(default_factory=list)
    fault_total: int = 0
    fault_active: int = 0
    fault_types: dict[str, int] = field(default_factory=dict)
    peaks: dict[str, list[tuple[dt.date, float, dt.datetime]]] = field(default_factory=dict)
    curve_date: dt.date | None = None
    curves: dict[str, list[tuple[dt.datetime, float]]] = field(default_factory=dict)
    batch_columns: list[str] = field(default_factory=list)
    batches: list[tuple[Any, ...]] = field(default_factory=list)
    files: int = 0
    rows_landed: int = 0
    rows_rejected: int = 0

    @property
    def days(self) -> list[dt.date]:
        return sorted(self.tiers)

    def tier_total(self, tier: str) -> int:
        return sum(counts.get(tier, 0) for counts in self.tiers.values())


def main(args: argparse.Namespace, settings: Settings) -> int:
    out: Path = args.out
    if not out.parent.is_dir():
        raise UserError(
            f"cannot write the report to {out}: the folder {out.parent} does not exist; "
            "create it or give another --out"
        )
    with open_reader(settings) as reader:
        data = collect(reader)
    page = render(data, dt.datetime.now(dt.UTC))
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as error:
        raise RunFailed(
            f"cannot write the report to {out} ({error.strerror}); give another --out"
        ) from None
    print(f"report written to {out.resolve()}")
    for line in summary(data):
        print(line)
    return 0


# -- reading ------------------------------------------------------------------------------


def collect(reader: Reader) -> ReportData:
    """Read every number of the report (portable SQL, both engines)."""
    where = reader.describe()
    if (
        not reader.has_table("gold", "meter_day_quality")
        or not reader.rows("select count(*) from gold.meter_day_quality")[0][0]
    ):
        raise RunFailed(f"no gold data in {where} yet: load and build first ({BUILD_HINT})")
    tiers: dict[dt.date, dict[str, int]] = {}
    for day, tier, count in reader.rows(
        "select local_date, tier, count(*) from gold.meter_day_quality group by local_date, tier"
    ):
        tiers.setdefault(day, {})[tier] = int(count)
    boxes = {
        day: Box(int(n), float(low), float(q1), float(median), float(q3), float(high))
        for day, n, low, q1, median, q3, high in reader.rows(
            "select local_date, count(*), min(score), "
            "percentile_cont(0.25) within group (order by score), "
            "percentile_cont(0.5) within group (order by score), "
            "percentile_cont(0.75) within group (order by score), max(score) "
            f"from (select local_date, cast(q_score as {reader.double_type}) as score "
            "from gold.meter_day_quality) as scores group by local_date"
        )
    }
    bins = 100 // HISTOGRAM_BIN
    histogram = [0] * bins
    for score_bin, count in reader.rows(
        f"select cast(floor(q_score / {HISTOGRAM_BIN}) as integer), count(*) "
        "from gold.meter_day_quality group by 1"
    ):
        histogram[min(int(score_bin), bins - 1)] += int(count)
    sums = ", ".join(
        f"sum({column}), sum(case when {column} > 0 then 1 else 0 end)" for column, _ in DEDUCTIONS
    )
    totals = reader.rows(f"select {sums} from gold.meter_day_quality")[0]
    deductions = [
        Deduction(label, Decimal(totals[2 * index] or 0), int(totals[2 * index + 1] or 0))
        for index, (_, label) in enumerate(DEDUCTIONS)
    ]
    deductions.sort(key=lambda deduction: -deduction.points)
    data = ReportData(where, tiers, boxes, histogram, deductions)
    if reader.has_table("gold", "faulty_meters"):
        _collect_faults(reader, data)
    if reader.has_table("gold", "peak_consumption"):
        _collect_peaks(reader, data)
    if reader.has_table("silver", "meter_slots"):
        _collect_curves(reader, data)
    if reader.has_table("gold", "batch_audit"):
        _collect_batches(reader, data)
    return data


def _collect_faults(reader: Reader, data: ReportData) -> None:
    data.fault_columns, data.faults = reader.query(
        "select meter_id, fault_type, is_active, started_at, ended_at, readings "
        "from gold.faulty_meters "
        "order by is_active desc, started_at desc, meter_id, fault_type "
        f"limit {MAX_TABLE_ROWS}"
    )
    for fault_type, active, count in reader.rows(
        "select fault_type, is_active, count(*) from gold.faulty_meters "
        "group by fault_type, is_active"
    ):
        data.fault_types[fault_type] = data.fault_types.get(fault_type, 0) + int(count)
        data.fault_total += int(count)
        data.fault_active += int(count) if active else 0


def _collect_peaks(reader: Reader, data: ReportData) -> None:
    for neighbourhood, day, peak_kw, peak_at in reader.rows(
        "select neighbourhood, local_date, peak_kw, peak_slot_start from gold.peak_consumption "
        "where grain = 'neighbourhood_day' order by neighbourhood, local_date"
    ):
        data.peaks.setdefault(neighbourhood, []).append((day, float(peak_kw), peak_at))


def _collect_curves(reader: Reader, data: ReportData) -> None:
    """Demand of each neighbourhood on the latest day: the sum of its meters' kW per slot."""
    data.curve_date = max(data.tiers)
    for neighbourhood, slot_start, kw in reader.rows(
        "select quality.neighbourhood, slots.slot_start, sum(slots.kw) "
        "from silver.meter_slots as slots "
        "inner join gold.meter_day_quality as quality "
        "on slots.meter_id = quality.meter_id and slots.local_date = quality.local_date "
        "where slots.local_date = ? and quality.neighbourhood is not null "
        "and slots.kw is not null and not slots.is_out_of_bounds "
        "group by quality.neighbourhood, slots.slot_start "
        "order by quality.neighbourhood, slots.slot_start",
        (data.curve_date,),
    ):
        data.curves.setdefault(neighbourhood, []).append((slot_start, float(kw)))


def _collect_batches(reader: Reader, data: ReportData) -> None:
    columns = ", ".join(BATCH_COLUMNS)
    data.batch_columns, data.batches = reader.query(
        f"select {columns} from gold.batch_audit order by loaded_at desc, source_file "
        f"limit {MAX_TABLE_ROWS}"
    )
    files, landed, rejected = reader.rows(
        "select count(*), coalesce(sum(rows_landed), 0), coalesce(sum(rows_rejected), 0) "
        "from gold.batch_audit"
    )[0]
    data.files, data.rows_landed, data.rows_rejected = int(files), int(landed), int(rejected)


# -- the text summary ------------------------------------------------------------------------


def summary(data: ReportData) -> list[str]:
    """The few lines printed after the path."""
    days = data.days
    meter_days = sum(sum(counts.values()) for counts in data.tiers.values())
    tiers = ", ".join(f"{data.tier_total(tier):,} {tier}" for tier in TIERS)
    lines = [
        f"days: {days[0]} to {days[-1]} ({_plural(len(days), 'day')}); "
        f"{_plural(meter_days, 'meter-day')}: {tiers}"
    ]
    top = data.deductions[0]
    if top.points > 0:
        lines.append(
            f"top deduction cause: {top.label}, {top.points:,.2f} points over "
            f"{_plural(top.meter_days, 'meter-day')}"
        )
    else:
        lines.append("top deduction cause: none, every meter-day scored 100")
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(data.fault_types.items()))
    lines.append(
        f"faults: {data.fault_active:,} active of {_plural(data.fault_total, 'episode')}"
        + (f" ({kinds})" if kinds else "")
    )
    lines.append(
        f"files: {data.files:,} landed; rows: {data.rows_landed:,} landed, "
        f"{data.rows_rejected:,} rejected"
    )
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


# -- the page --------------------------------------------------------------------------------


def render(data: ReportData, now: dt.datetime) -> str:
    days = data.days
    sections = [
        _section(
            "tiers",
            "Tiers per day",
            "Meter-days per quality tier and local date. GOLD days feed forecasting, GOLD and "
            "SILVER days feed billing, BRONZE days go to quarantine.",
            tier_chart(data),
            _table(
                ["local_date", *TIERS, "meter-days"],
                [
                    (
                        day,
                        *(data.tiers[day].get(t, 0) for t in TIERS),
                        sum(data.tiers[day].values()),
                    )
                    for day in days
                ],
            ),
        ),
        _section(
            "scores",
            "Q-Score distribution per day",
            "Box per local date: whiskers at the lowest and highest score, the box from the "
            "first to the third quartile, a line at the median. Dashed lines mark the tier "
            "thresholds (SILVER from 70, GOLD above 90).",
            box_chart(data) + histogram_chart(data),
            _table(
                ["local_date", "meter-days", "min", "q1", "median", "q3", "max"],
                [
                    (day, box.meter_days, *(f"{v:.2f}" for v in _box_values(box)))
                    for day, box in sorted(data.boxes.items())
                ],
            ),
        ),
        _section(
            "deductions",
            "Top deduction causes",
            "Q-Score points deducted over all meter-days, per cause (SPEC §7).",
            deduction_chart(data),
            _table(
                ["cause", "points", "meter-days"],
                [(d.label, f"{d.points:,.2f}", d.meter_days) for d in data.deductions],
            ),
        ),
        _section(
            "faults",
            "Faulty meters",
            f"{data.fault_active:,} active of {_plural(data.fault_total, 'fault episode')} "
            "(gold.faulty_meters), active first. An episode is active when it contains the "
            "meter's latest measured slot.",
            "",
            _table(data.fault_columns, data.faults, data.fault_total) if data.faults else "",
            open_table=True,
        ),
        _section(
            "peaks",
            "Peak demand per neighbourhood",
            "Highest kW summed over a neighbourhood's meters at one slot, per local date "
            "(gold.peak_consumption; measured, valid, in-bounds readings only).",
            peak_chart(data) + curve_chart(data),
            _table(
                ["neighbourhood", "local_date", "peak_kw", "peak_slot_start"],
                [
                    (name, day, f"{kw:.3f}", peak_at)
                    for name, points in sorted(data.peaks.items())
                    for day, kw, peak_at in points
                ],
            ),
        ),
        _section(
            "batches",
            "Batch audit",
            f"{data.files:,} landed reading files (gold.batch_audit), newest first: rows "
            "landed and rejected, rows per record status, meters and the time span.",
            "",
            _table(data.batch_columns, data.batches, data.files) if data.batches else "",
            open_table=True,
        ),
    ]
    cards = "".join(
        f'<div class="card"><span class="big">{escape(value)}</span>{escape(label)}</div>'
        for value, label in (
            (f"{len(days)}", "days"),
            *((f"{data.tier_total(t):,}", f"{t} meter-days") for t in TIERS),
            (f"{data.fault_active:,}", "active faults"),
            (f"{data.rows_landed:,}", "rows landed"),
            (f"{data.rows_rejected:,}", "rows rejected"),
        )
    )
    summary_items = "".join(f"<li>{escape(line)}</li>" for line in summary(data))
    return _PAGE.format(
        title=escape(f"GreenStream quality report, {days[0]} to {days[-1]}"),
        style=_STYLE,
        where=escape(data.where),
        generated=escape(now.strftime("%Y-%m-%d %H:%M UTC")),
        cards=cards,
        summary=summary_items,
        sections="".join(sections),
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="meta">Warehouse: {where} &middot; generated {generated} &middot; times in UTC</p>
</header>
<main>
<section aria-label="Key numbers"><div class="cards">{cards}</div><ul class="summary">{summary}</ul>
</section>
{sections}
</main>
<footer><p>Made by <code>greenstream report</code>. Q-Score and tiers: SPEC §7;
failing checks: <code>greenstream failures</code>; loads and dead letters:
<code>greenstream status</code>.</p></footer>
</body>
</html>
"""

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2329;
background:#f7f8f9;line-height:1.45}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 1.2rem}
h1{font-size:1.6rem;margin:1.2rem 0 .2rem}h2{font-size:1.25rem;margin:0 0 .3rem}
.meta{color:#4b5560;margin:0 0 1rem}
section{background:#fff;border:1px solid #dde1e5;border-radius:8px;padding:1rem 1.2rem;
margin:0 0 1rem}
.cards{display:flex;flex-wrap:wrap;gap:.6rem}
.card{flex:1 1 6.5rem;border:1px solid #dde1e5;border-radius:6px;padding:.5rem .7rem;
color:#4b5560;font-size:.85rem}
.big{display:block;font-size:1.5rem;font-weight:600;color:#1d2329}
.summary{margin:.8rem 0 0;padding-left:1.2rem}
svg.chart{width:100%;height:auto;max-width:960px;display:block;margin:.6rem 0}
svg text{font-size:12px;fill:#1d2329}
.axis line,.axis path{stroke:#4b5560}.grid{stroke:#e3e6e9}
.table-wrap{overflow-x:auto;max-height:32rem}
table{border-collapse:collapse;font-size:.82rem;margin:.4rem 0}
th,td{border-bottom:1px solid #e3e6e9;padding:.25rem .5rem;text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:#f0f2f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
details summary{cursor:pointer;color:#0b5cad}
.note{color:#4b5560;font-size:.85rem}
"""


def _section(
    anchor: str,
    heading: str,
    intro: str,
    charts: str,
    table: str,
    *,
    open_table: bool = False,
) -> str:
    if open_table:
        body = table or '<p class="note">Nothing to show.</p>'
    else:
        body = f"<details><summary>The numbers behind the chart</summary>{table}</details>"
    return (
        f'<section id="{anchor}" aria-labelledby="{anchor}-h">'
        f'<h2 id="{anchor}-h">{escape(heading)}</h2><p>{escape(intro)}</p>'
        f"{charts}{body}</section>\n"
    )


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], total: int | None = None) -> str:
    head = "".join(f'<th scope="col">{escape(str(column))}</th>' for column in columns)
    body = "".join(
        "<tr>" + "".join(_td(value) for value in row) + "</tr>" for row in rows[:MAX_TABLE_ROWS]
    )
    more = ""
    if total is not None and total > len(rows):
        more = f'<p class="note">Showing {len(rows):,} of {total:,} rows.</p>'
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>{more}"
    )


def _td(value: Any) -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int | float | Decimal):
        return f'<td class="num">{escape(_number(value))}</td>'
    return f"<td>{escape(_text(value))}</td>"


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3f}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo is not None else value
        return moment.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _box_values(box: Box) -> tuple[float, float, float, float, float]:
    return box.low, box.q1, box.median, box.q3, box.high


# -- SVG charts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Plot area of one chart: pixel box plus the y scale."""

    width: float
    height: float
    left: float = 64
    right: float = 24
    top: float = 40
    bottom: float = 64
    y_max: float = 1

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float) -> float:
        return self.top + self.plot_height * (1 - value / self.y_max)


def _svg(frame: Frame, title: str, desc: str, body: str) -> str:
    ident = "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())
    return (
        f'<svg class="chart" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'viewBox="0 0 {frame.width:.0f} {frame.height:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        f'<text x="{frame.left}" y="20" font-weight="600">{escape(title)}</text>{body}</svg>'
    )


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 up to at least `maximum`."""
    if maximum <= 0:
        return [0.0, 1.0]
    rough = maximum / count
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    ticks = [0.0]
    while ticks[-1] < maximum - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _y_axis(frame: Frame, ticks: list[float], label: str) -> str:
    parts = []
    for tick in ticks:
        y = frame.y(tick)
        text = f"{tick:g}"
        parts.append(
            f'<line class="grid" x1="{frame.left}" x2="{frame.width - frame.right}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>'
        )
    middle = frame.top + frame.plot_height / 2
    parts.append(
        f'<text transform="translate(16 {middle:.1f}) rotate(-90)" text-anchor="middle">'
        f"{escape(label)}</text>"
    )
    bottom = frame.top + frame.plot_height
    parts.append(
        f'<g class="axis"><line x1="{frame.left}" x2="{frame.left}" y1="{frame.top}" '
        f'y2="{bottom:.1f}"/><line x1="{frame.left}" x2="{frame.width - frame.right}" '
        f'y1="{bottom:.1f}" y2="{bottom:.1f}"/></g>'
    )
    return "".join(parts)


def _x_label(frame: Frame, label: str) -> str:
    x = frame.left + frame.plot_width / 2
    return (
        f'<text x="{x:.1f}" y="{frame.height - 8:.1f}" text-anchor="middle">{escape(label)}</text>'
    )


def _x_ticks(frame: Frame, positions: Sequence[tuple[float, str]], every: int = 1) -> str:
    bottom = frame.top + frame.plot_height
    shown = [text for index, (_, text) in enumerate(positions) if not index % every]
    room = frame.plot_width / max(len(shown), 1)
    rotate = room < 7 * max(len(text) for text in shown) + 8 if shown else False
    parts = []
    for index, (x, text) in enumerate(positions):
        if index % every:
            continue
        if rotate:
            parts.append(
                f'<text transform="translate({x:.1f} {bottom + 14:.1f}) rotate(-35)" '
                f'text-anchor="end">{escape(text)}</text>'
            )
        else:
            parts.append(
                f'<text x="{x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle">'
                f"{escape(text)}</text>"
            )
    return "".join(parts)


def _legend(frame: Frame, items: Sequence[tuple[str, str, str]]) -> str:
    """Legend along the top right: (label, colour, dash) per series."""
    parts = []
    x = frame.width - frame.right
    for label, colour, dash in reversed(items):
        width = 30 + 8.5 * len(label)
        x -= width
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x:.1f}" x2="{x + 16:.1f}" y1="28" y2="28" stroke="{colour}" '
            f'stroke-width="6"{dashes}/><text x="{x + 20:.1f}" y="32">{escape(label)}</text>'
        )
    return "".join(parts)


CHART_WIDTH = 960.0  # every chart's viewBox width, so text keeps one size on the page


def tier_chart(data: ReportData) -> str:
    days = data.days
    totals = [sum(data.tiers[day].values()) for day in days]
    ticks = nice_ticks(max(totals))
    frame = Frame(CHART_WIDTH, 320, y_max=ticks[-1])
    step = frame.plot_width / len(days)
    bar = min(step * 0.7, 60)
    parts = [_y_axis(frame, ticks, "meter-days")]
    positions = []
    for index, day in enumerate(days):
        x = frame.left + index * step + (step - bar) / 2
        base = 0
        for tier in TIERS:
            count = data.tiers[day].get(tier, 0)
            if not count:
                continue
            top, bottom = frame.y(base + count), frame.y(base)
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                f'height="{bottom - top:.1f}" fill="{TIER_COLOURS[tier]}">'
                f"<title>{day}: {_plural(count, tier + ' meter-day')}</title></rect>"
            )
            base += count
        positions.append((x + bar / 2, str(day)))
    parts.append(_x_ticks(frame, positions, every=max(1, math.ceil(len(days) / 20))))
    parts.append(_x_label(frame, "local date"))
    parts.append(_legend(frame, [(tier, TIER_COLOURS[tier], "") for tier in TIERS]))
    total = sum(totals)
    desc = (
        f"Stacked bars, one per local date from {days[0]} to {days[-1]}; "
        + ", ".join(f"{data.tier_total(t):,} {t}" for t in TIERS)
        + f" of {total:,} meter-days."
    )
    return _svg(frame, "Meter-days per tier and day", desc, "".join(parts))


def box_chart(data: ReportData) -> str:
    days = sorted(data.boxes)
    frame = Frame(CHART_WIDTH, 320, y_max=100)
    step = frame.plot_width / len(days)
    width = min(step * 0.5, 40)
    parts = [_y_axis(frame, [0, 20, 40, 60, 80, 100], "Q-Score")]
    for threshold, label in ((70, "SILVER from 70"), (90, "GOLD above 90")):
        y = frame.y(threshold)
        parts.append(
            f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#a0522d" stroke-dasharray="5 4"/>'
            f'<text x="{frame.width - frame.right - 4}" y="{y - 4:.1f}" text-anchor="end">'
            f"{label}</text>"
        )
    positions = []
    for index, day in enumerate(days):
        box = data.boxes[day]
        middle = frame.left + index * step + step / 2
        left = middle - width / 2
        title = (
            f"{day}: {box.meter_days:,} meter-days, min {box.low:.2f}, q1 {box.q1:.2f}, "
            f"median {box.median:.2f}, q3 {box.q3:.2f}, max {box.high:.2f}"
        )
        parts.append(
            f'<g class="box"><title>{escape(title)}</title>'
            f'<line x1="{middle:.1f}" x2="{middle:.1f}" y1="{frame.y(box.high):.1f}" '
            f'y2="{frame.y(box.low):.1f}" stroke="#1d2329"/>'
            f'<rect x="{left:.1f}" y="{frame.y(box.q3):.1f}" width="{width:.1f}" '
            f'height="{max(frame.y(box.q1) - frame.y(box.q3), 1):.1f}" fill="#56b4e9" '
            f'stroke="#1d2329"/>'
            f'<line x1="{left:.1f}" x2="{left + width:.1f}" y1="{frame.y(box.median):.1f}" '
            f'y2="{frame.y(box.median):.1f}" stroke="#1d2329" stroke-width="3"/></g>'
        )
        positions.append((middle, str(day)))
    parts.append(_x_ticks(frame, positions, every=max(1, math.ceil(len(days) / 20))))
    parts.append(_x_label(frame, "local date"))
    desc = (
        f"Box plot of the Q-Score per local date from {days[0]} to {days[-1]}; "
        "the table below gives every day's quartiles."
    )
    return _svg(frame, "Q-Score distribution per day", desc, "".join(parts))


def histogram_chart(data: ReportData) -> str:
    counts = data.histogram
    ticks = nice_ticks(max(counts))
    frame = Frame(CHART_WIDTH, 280, y_max=ticks[-1])
    step = frame.plot_width / len(counts)
    parts = [_y_axis(frame, ticks, "meter-days")]
    positions = []
    for index, count in enumerate(counts):
        low = index * HISTOGRAM_BIN
        high = low + HISTOGRAM_BIN
        label = f"{low} to under {high}" if high < 100 else f"{low} to 100"
        x = frame.left + index * step
        top = frame.y(count)
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{top:.1f}" width="{step - 2:.1f}" '
            f'height="{frame.y(0) - top:.1f}" fill="#0072b2">'
            f"<title>Q-Score {label}: {_plural(count, 'meter-day')}</title></rect>"
        )
        positions.append((x, str(low)))
    positions.append((frame.left + frame.plot_width, "100"))
    parts.append(_x_ticks(frame, positions, every=2))
    parts.append(_x_label(frame, f"Q-Score ({HISTOGRAM_BIN}-point bins)"))
    desc = (
        f"Histogram of all {sum(counts):,} meter-day Q-Scores in bins of {HISTOGRAM_BIN} points; "
        f"{counts[-1]:,} meter-days score 95 or more."
    )
    return _svg(frame, "Q-Score histogram, all days", desc, "".join(parts))


def deduction_chart(data: ReportData) -> str:
    deductions = data.deductions
    largest = max(float(d.points) for d in deductions)
    ticks = nice_ticks(largest)
    frame = Frame(CHART_WIDTH, 70 + 36 * len(deductions), left=300, right=190, top=36, bottom=34)
    scale = frame.plot_width / ticks[-1]
    parts = []
    for index, deduction in enumerate(deductions):
        y = frame.top + index * 36
        width = float(deduction.points) * scale
        text = f"{deduction.points:,.2f} points, {_plural(deduction.meter_days, 'meter-day')}"
        parts.append(
            f'<text x="{frame.left - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(deduction.label)}</text>"
            f'<rect class="bar" x="{frame.left}" y="{y + 4}" width="{max(width, 0.5):.1f}" '
            f'height="20" fill="#d55e00"><title>{escape(deduction.label)}: {text}</title></rect>'
            f'<text x="{frame.left + width + 6:.1f}" y="{y + 18}">{escape(text)}</text>'
        )
    bottom = frame.top + 36 * len(deductions)
    for tick in ticks:
        x = frame.left + tick * scale
        parts.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" y2="{bottom}"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{tick:g}</text>'
        )
    parts.append(
        f'<text x="{frame.left + frame.plot_width / 2:.1f}" y="{bottom + 32}" '
        'text-anchor="middle">Q-Score points deducted (all meter-days)</text>'
    )
    top = deductions[0]
    desc = (
        f"Horizontal bars, largest first; the top cause is {top.label} with "
        f"{top.points:,.2f} points over {_plural(top.meter_days, 'meter-day')}."
    )
    return _svg(frame, "Q-Score points deducted per cause", desc, "".join(parts))


def _series_style(index: int) -> tuple[str, str]:
    return PALETTE[index % len(PALETTE)], DASHES[(index // len(PALETTE)) % len(DASHES)]


def _line_chart(
    title: str,
    desc: str,
    series: dict[str, list[tuple[float, float, str]]],
    x_range: tuple[float, float],
    x_ticks: list[tuple[float, str]],
    x_label: str,
) -> str:
    """Lines with a marker per point: series name -> (x, kW, point title)."""
    largest = max((kw for points in series.values() for _, kw, _ in points), default=0.0)
    ticks = nice_ticks(largest)
    legend_rows = math.ceil(len(series) / 6)
    frame = Frame(
        CHART_WIDTH, 330 + 18 * legend_rows, right=48, top=40 + 18 * legend_rows, y_max=ticks[-1]
    )
    low, high = x_range
    span = (high - low) or 1.0

    def x_of(value: float) -> float:
        return frame.left + frame.plot_width * (value - low) / span

    parts = [_y_axis(frame, ticks, "kW")]
    parts.append(_x_ticks(frame, [(x_of(value), text) for value, text in x_ticks]))
    parts.append(_x_label(frame, x_label))
    legend = []
    for index, (name, points) in enumerate(sorted(series.items())):
        colour, dash = _series_style(index)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        path = " ".join(f"{x_of(x):.1f},{frame.y(kw):.1f}" for x, kw, _ in points)
        radius = 3.5 if len(points) <= 31 else 2  # a day of slots: small dots
        markers = "".join(
            f'<circle cx="{x_of(x):.1f}" cy="{frame.y(kw):.1f}" r="{radius}" fill="{colour}">'
            f"<title>{escape(point)}</title></circle>"
            for x, kw, point in points
        )
        parts.append(
            f'<g class="series"><title>{escape(name)}</title>'
            f'<polyline class="line" points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dashes}/>{markers}</g>'
        )
        legend.append((name, colour, dash))
    for row in range(legend_rows):
        items = _legend(frame, legend[row * 6 : row * 6 + 6])
        parts.append(f'<g transform="translate(0 {18 * row})">{items}</g>')
    return _svg(frame, title, desc, "".join(parts))


def peak_chart(data: ReportData) -> str:
    if not data.peaks:
        return (
            '<p class="note">No neighbourhood peaks yet (no meter has a known neighbourhood).</p>'
        )
    first = min(day for points in data.peaks.values() for day, _, _ in points)
    last = max(day for points in data.peaks.values() for day, _, _ in points)
    series = {
        name: [
            (
                float(day.toordinal()),
                kw,
                f"{name}, {day}: peak {kw:.3f} kW at {_text(peak_at)} UTC",
            )
            for day, kw, peak_at in points
        ]
        for name, points in data.peaks.items()
    }
    span = last.toordinal() - first.toordinal()
    every = max(1, math.ceil((span + 1) / 12))
    ticks = [
        (float(first.toordinal() + offset), str(first + dt.timedelta(days=offset)))
        for offset in range(0, span + 1, every)
    ]
    x_range = (float(first.toordinal()), float(max(last.toordinal(), first.toordinal() + 1)))
    desc = (
        f"One line per neighbourhood ({len(series)}) of its daily peak kW from {first} to "
        f"{last}; the table below lists every point."
    )
    return _line_chart(
        "Neighbourhood peak demand per day", desc, series, x_range, ticks, "local date"
    )


def curve_chart(data: ReportData) -> str:
    if not data.curves or data.curve_date is None:
        return ""
    starts = [slot for points in data.curves.values() for slot, _ in points]
    first = min(starts).astimezone(dt.UTC)
    last = max(starts).astimezone(dt.UTC)
    day_start = first  # the first slot of the local day (UTC midnight only in UTC)
    series = {
        name: [
            (
                slot.timestamp(),
                kw,
                f"{name}, {_text(slot)} UTC: {kw:.3f} kW",
            )
            for slot, kw in points
        ]
        for name, points in data.curves.items()
    }
    hours = math.ceil((last - day_start).total_seconds() / 3600)
    ticks = [
        (
            (day_start + dt.timedelta(hours=hour)).timestamp(),
            (day_start + dt.timedelta(hours=hour)).strftime("%H:%M"),
        )
        for hour in range(0, hours + 1, 3)
    ]
    x_range = (day_start.timestamp(), max(last.timestamp(), day_start.timestamp() + 86400))
    desc = (
        f"Demand curve of {data.curve_date}, the latest local date: per neighbourhood, the sum "
        "of its meters' kW per slot (measured and interpolated, out-of-bounds readings left out)."
    )
    return _line_chart(
        f"Neighbourhood demand on {data.curve_date}", desc, series, x_range, ticks, "time (UTC)"
    )
