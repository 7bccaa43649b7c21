"""GreenStream at utility scale: load, build, incremental latency, memory, Parquet, floor.

    .venv/bin/python benchmarks/bench.py [--meters 50000] [--history-days 7,30]
        [--sizes 5000,200000] [--postgres-history-days 7] [--skip-postgres]
        [--spark-meters 5000]
        [--work /tmp/greenstream-bench]
        [--write BENCHMARKS.md]

What it does (every step runs the real `greenstream` command in a child process, with
its own warehouse, lake, dbt target and log folders under --work):

1. Generates `--meters` meters x (history days + 1 measured day) at 15 minutes, one
   file per history day and one file per hour of the measured day (`generate`), and a
   15-minute file: the records of the measured day's first hour file whose timestamp
   is nearest to its first slot (malformed lines stay with it).
2. Floor: DuckDB alone reads the measured day's CSV files and writes them as Parquet
   (`copy (select * from read_csv(...)) to ... (format parquet)`); the same for the
   15-minute file. Every time below is also given as a ratio to its floor.
3. Per engine (DuckDB; PostgreSQL unless --skip-postgres): end to end on a fresh
   warehouse = `greenstream load` of the registry and the measured day, then
   `greenstream build`; then event to insight, once per number of history days in
   --history-days (on PostgreSQL in --postgres-history-days), each on a fresh warehouse
   holding the last that many history days (loaded and built first): the 15-minute
   file arrives, and the time until `greenstream run` (load + incremental build) has
   updated gold. The longest history against the shortest says whether the cost of a
   file grows with history (target: at most +25 %).
4. DuckDB at each of --sizes meters x 1 day: end to end, readings per second, and for
   each size above --meters the growth of the time against that of the meters (target:
   4 times the meters in at most 4.5 times the time).
5. Spark (unless --spark-meters 0): end to end at --spark-meters meters x 1 day on a
   local Spark Thrift Server (GREENSTREAM_SPARK_HOST, else scripts/throwaway-spark.sh),
   against the DuckDB run of the same size when --sizes has it.
6. Peak memory of the pipeline: the largest sum of resident memory of this process's
   children (the `greenstream` commands) and the PostgreSQL and Spark servers' processes,
   sampled every 0.2 s; getrusage's largest child is printed but not judged (Linux charges a
   child with its parent's pages until exec, so it is at least this process's peak);
   this process (data generation, floor) is reported apart and not counted. Parquet
   outputs (the lake) against the CSV.

Prints a table and, with --write, puts it into the file between the markers
`<!-- bench:SECTION:begin -->` and `<!-- bench:SECTION:end -->` (--section, default
main; the notes outside them are kept).
When PGHOST is not set, a throwaway PostgreSQL server is started and stopped after; the
same for Spark when GREENSTREAM_SPARK_HOST is not set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg2

from greenstream.generate import generate

ROOT = Path(__file__).resolve().parents[1]
GREENSTREAM = str(Path(sys.executable).with_name("greenstream"))
START = dt.date(2024, 1, 1)
INTERVAL = 15
SEED = 5
# Full builds (issue 11) on the 2-core machine: DuckDB end to end at 10 M readings a minute
# and at most 15 times the floor, PostgreSQL at 1.5 M; 4 times the meters at most 4.5 times
# the time (the time of the run at --meters against each larger --sizes run).
TARGET_DUCKDB_PER_MIN = 10_000_000
TARGET_DUCKDB_FLOOR_RATIO = 15.0
TARGET_PG_PER_MIN = 1_500_000
TARGET_GROWTH_OVER_LINEAR = 4.5 / 4
# The 15-minute file from arrival to gold (issue 10): DuckDB at 50,000 / 5,000 meters,
# PostgreSQL; flat: the longest history at most 25 % above the shortest.
TARGET_QUARTER_DUCKDB_S = {50_000: 10.0, 5_000: 5.0}
TARGET_QUARTER_PG_S = 60.0
TARGET_FLAT_GROWTH = 1.25
TARGET_RSS_BYTES = 4 * 1024**3
TARGET_PARQUET_SHARE = 0.10
_STAMP = re.compile(
    r"^\s*(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?"
    r"(Z|[+-]\d\d(?::?\d\d)?)?\s*$"
)


@dataclass
class Figure:
    """One measured figure: what, value, unit, ratio to its floor, load average."""

    name: str
    value: float
    unit: str
    floor: float | None = None  # seconds of the matching floor
    cpu: float | None = None  # CPU seconds (user + system) of the processes timed
    load: float = field(default_factory=lambda: os.getloadavg()[0])

    def text(self) -> str:
        if self.unit == "s":
            shown = f"{self.value:.2f} s"
        elif self.unit == "B":
            shown = f"{self.value / 1024**2:,.0f} MiB"
        elif self.unit == "%":
            shown = f"{self.value:.1f} %"
        elif self.unit == "x":
            shown = f"x{self.value:.1f}"
        else:
            shown = f"{self.value:,.0f} {self.unit}"
        return shown

    def ratio(self) -> str:
        if self.floor is None or self.floor <= 0:
            return ""
        return f"{self.value / self.floor:.1f}x"


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    targets: list[tuple[str, str, bool, str]] = field(default_factory=list)
    slowest: dict[str, tuple[str, list[tuple[str, float]]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    results: Path | None = None  # where to keep each build's run_results.json

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        ratio = f" ({figure.ratio()} the floor)" if figure.ratio() else ""
        cpu = f" (CPU {figure.cpu:.1f} s)" if figure.cpu is not None else ""
        print(
            f"bench: {figure.name}: {figure.text()}{cpu}{ratio} [load {figure.load:.1f}]",
            flush=True,
        )
        return figure

    def target(self, name: str, wanted: str, met: bool, measured: str) -> None:
        self.targets.append((name, wanted, met, measured))


# ------------------------------------------------------------------ memory


def _rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        parents[int(entry)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return parents


def _tree(roots: Sequence[int], parents: dict[int, int]) -> set[int]:
    found = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


class MemorySampler:
    """Peak of the summed RSS of the pipeline: this process's children (the `greenstream`
    commands) and the given server processes. This process itself is left out: it
    generates the data and runs the floor, neither of which is the pipeline."""

    def __init__(self) -> None:
        self.roots = [os.getpid()]
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            pids = _tree(self.roots, _parents()) - {os.getpid()}
            self.peak = max(self.peak, sum(_rss_of(pid) for pid in pids))


# ------------------------------------------------------------------ data


@dataclass(frozen=True)
class Data:
    registry: Path
    history: list[Path]
    measured: list[Path]
    quarter: Path  # the 15-minute file
    measured_rows: int
    quarter_rows: int


def make_data(folder: Path, meters: int, history_days: int) -> Data:
    """History days (a file per day), the measured day (a file per hour), the 15-minute file."""
    history: list[Path] = []
    if history_days:
        past = generate(
            out=folder / "history",
            meters=meters,
            days=history_days,
            start=START,
            interval_minutes=INTERVAL,
            seed=SEED,
            files_per="day",
        )
        history = past.reading_files
    day = START + dt.timedelta(days=history_days)
    measured = generate(
        out=folder / "measured",
        meters=meters,
        days=1,
        start=day,
        interval_minutes=INTERVAL,
        seed=SEED + 1,
        files_per="hour",
    )
    quarter = folder / "quarter" / f"readings_{day.isoformat()}T0000.csv"
    quarter.parent.mkdir(parents=True, exist_ok=True)
    first_slot = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    rows = _first_slot_lines(measured.reading_files[0], quarter, first_slot)
    return Data(
        registry=measured.registry_path,
        history=history,
        measured=measured.reading_files,
        quarter=quarter,
        measured_rows=measured.rows_written,
        quarter_rows=rows,
    )


def _first_slot_lines(source: Path, target: Path, slot: dt.datetime) -> int:
    """Copy the header and the records nearest to `slot` (or unparseable) to `target`."""
    lines = source.read_bytes().split(b"\n")
    kept = [lines[0]]
    half = dt.timedelta(minutes=INTERVAL / 2)
    for line in lines[1:]:
        if not line.strip():
            continue
        fields = line.split(b",")
        instant = _instant(fields[1]) if len(fields) > 1 else None
        if instant is None or slot - half <= instant < slot + half:
            kept.append(line)
    target.write_bytes(b"\n".join(kept) + b"\n")
    return len(kept) - 1


def _instant(raw: bytes) -> dt.datetime | None:
    match = _STAMP.match(raw.decode("utf-8", "replace"))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups()[:6])
    try:
        instant = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError:
        return None
    zone = match.group(7)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        instant -= sign * offset
    return instant


def csv_bytes(files: Sequence[Path]) -> int:
    return sum(path.stat().st_size for path in files)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def floor_seconds(files: Sequence[Path], out: Path) -> tuple[float, int]:
    """DuckDB alone: read the CSV files and write them as one Parquet file."""
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    started, cpu = time.perf_counter(), time.process_time()
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * from read_csv([{listed}], header = true, all_varchar = true, "
            f"ignore_errors = true)) to '{out}' (format parquet)"
        )
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    out.unlink()
    print(f"bench: floor CPU {time.process_time() - cpu:.1f} s", flush=True)
    return seconds, size


# ------------------------------------------------------------------ runs


@dataclass
class Engine:
    """One warehouse of one engine: its environment for the `greenstream` command."""

    target: str
    folder: Path
    env: dict[str, str]
    commands: list[str]
    cpu: float = 0.0  # CPU seconds of the last command (PostgreSQL server time not included)

    def cli(self, *args: str | Path) -> float:
        argv = [GREENSTREAM, *map(str, args)]
        shown = shlex.join(["greenstream", *map(str, args)])
        self.commands.append(f"[{self.target}] {shown.replace(str(self.folder.parent), '$WORK')}")
        started, cpu = time.perf_counter(), _children_cpu()
        result = subprocess.run(
            argv, cwd=ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - started
        self.cpu = _children_cpu() - cpu
        if result.returncode != 0:
            raise SystemExit(
                f"bench: {shlex.join(argv)} exited {result.returncode}\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return seconds

    def lake_bytes(self) -> int:
        lake = self.folder / "lake"
        return sum(path.stat().st_size for path in lake.rglob("*.parquet")) if lake.exists() else 0


def start_throwaway(script_name: str) -> dict[str, str]:
    """Start a throwaway server with its script; the variables it exports."""
    script = ROOT / "scripts" / script_name
    started = subprocess.run([str(script), "start"], capture_output=True, text=True, check=True)
    exports = shlex.split(started.stdout.strip().removeprefix("export "))
    return dict(item.split("=", 1) for item in exports)


def stop_throwaway(script_name: str, folder: str) -> None:
    subprocess.run([str(ROOT / "scripts" / script_name), "stop", folder], check=False)


class Postgres:
    """Fresh databases on the server given by PG*, or on a throwaway server."""

    def __init__(self) -> None:
        self.env: dict[str, str] = {}
        self.throwaway: str | None = None
        self.version = ""

    def __enter__(self) -> Postgres:
        if os.environ.get("PGHOST"):
            keys = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD")
            self.env = {key: os.environ[key] for key in keys if key in os.environ}
        else:
            self.env = start_throwaway("throwaway-postgres.sh")
            self.throwaway = self.env.pop("GREENSTREAM_PG_DIR")
            self.env.pop("PGDATABASE", None)
        self.version = str(self._admin("show server_version") or "")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.throwaway is not None:
            stop_throwaway("throwaway-postgres.sh", self.throwaway)

    def server_pids(self) -> list[int]:
        if self.throwaway is None:
            return []
        pid_file = Path(self.throwaway) / "data" / "postmaster.pid"
        return [int(pid_file.read_text().split()[0])] if pid_file.exists() else []

    def _admin(self, sql: str) -> object:
        connection = psycopg2.connect(
            host=self.env["PGHOST"],
            port=self.env.get("PGPORT", "5432"),
            user=self.env.get("PGUSER", "postgres"),
            password=self.env.get("PGPASSWORD", ""),
            dbname="postgres",
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchone()[0] if cursor.description else None
        finally:
            connection.close()

    def fresh(self, name: str) -> dict[str, str]:
        self._admin(f"drop database if exists {name}")
        self._admin(f"create database {name}")
        return {**self.env, "PGDATABASE": name}


class Spark:
    """A Spark Thrift Server (GREENSTREAM_SPARK_HOST, or a throwaway one) whose project
    schemas are dropped before each warehouse (Spark has one catalog)."""

    SCHEMAS = ("raw", "audit", "bronze", "silver", "gold", "snapshots")

    def __init__(self) -> None:
        self.env: dict[str, str] = {}
        self.throwaway: str | None = None

    def __enter__(self) -> Spark:
        keys = ("GREENSTREAM_SPARK_HOST", "GREENSTREAM_SPARK_PORT")
        if os.environ.get("GREENSTREAM_SPARK_HOST"):
            self.env = {key: os.environ[key] for key in keys if key in os.environ}
        else:
            exports = start_throwaway("throwaway-spark.sh")
            self.throwaway = exports["GREENSTREAM_SPARK_DIR"]
            self.env = {key: exports[key] for key in keys}
        return self

    def __exit__(self, *exc: object) -> None:
        if self.throwaway is not None:
            stop_throwaway("throwaway-spark.sh", self.throwaway)

    def server_pids(self) -> list[int]:
        if self.throwaway is None:
            return []
        return [int((Path(self.throwaway) / "server.pid").read_text().strip())]

    def fresh(self) -> dict[str, str]:
        from pyhive import hive

        connection = hive.connect(
            host=self.env["GREENSTREAM_SPARK_HOST"], port=int(self.env["GREENSTREAM_SPARK_PORT"])
        )
        try:
            cursor = connection.cursor()
            for schema in self.SCHEMAS:
                cursor.execute(f"drop database if exists {schema} cascade")
        finally:
            connection.close()
        return self.env


def engine(
    target: str,
    folder: Path,
    commands: list[str],
    postgres: Postgres | None,
    name: str,
    spark: Spark | None = None,
) -> Engine:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PG", "GREENSTREAM_", "DBT_"))
    }
    env.update(
        GREENSTREAM_TARGET=target,
        GREENSTREAM_DUCKDB_PATH=str(folder / "wh.duckdb"),
        GREENSTREAM_LAKE_DIR=str(folder / "lake"),
        GREENSTREAM_DEAD_LETTER_DIR=str(folder / "dead_letter"),
        GREENSTREAM_PII_KEY="bench-key-not-a-secret",
        DBT_PROFILES_DIR=str(ROOT),
        DBT_TARGET_PATH=str(folder / "target"),
        DBT_LOG_PATH=str(folder / "logs"),
        PGTZ="UTC",
    )
    if postgres is not None:
        env.update(postgres.fresh(name))
    if spark is not None:
        env.update(spark.fresh())
    return Engine(target, folder, env, commands)


def record_nodes(report: Report, label: str, warehouse: Engine, wall: float | None = None) -> None:
    """The slowest dbt nodes of the last build, and where the build's time went."""
    results = json.loads((warehouse.folder / "target" / "run_results.json").read_text())
    timed = sorted(
        ((str(node["unique_id"]), float(node["execution_time"])) for node in results["results"]),
        key=lambda item: -item[1],
    )
    if report.results is not None:
        report.results.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_").lower()
        shutil.copyfile(
            warehouse.folder / "target" / "run_results.json", report.results / f"{name}.json"
        )
    tests = [seconds for name, seconds in timed if name.startswith("test.")]
    others = [seconds for name, seconds in timed if not name.startswith("test.")]
    elapsed = float(results["elapsed_time"])
    outside = (
        f"; {wall - elapsed:.1f} s of the command's {wall:.1f} s outside dbt's run "
        "(Python and dbt start-up, parse, load)"
        if wall is not None
        else ""
    )
    report.slowest[label] = (
        f"{len(timed)} nodes, dbt elapsed {elapsed:.1f} s{outside}; summed execution: "
        f"{len(others)} models/seeds/snapshots/hooks {sum(others):.1f} s, "
        f"{len(tests)} data tests {sum(tests):.1f} s",
        timed[:8],
    )


def end_to_end(
    report: Report,
    label: str,
    warehouse: Engine,
    data: Data,
    floor: float,
) -> float:
    """Load the registry and the measured day, full build; returns the total seconds."""
    load = warehouse.cli("load", "--registry", data.registry, data.measured[0].parent)
    load_cpu = warehouse.cpu
    report.add(Figure(f"{label}: load {data.measured_rows:,} readings", load, "s", floor, load_cpu))
    build = warehouse.cli("build")
    report.add(Figure(f"{label}: full build", build, "s", floor, warehouse.cpu))
    record_nodes(report, f"{label} full build", warehouse)
    total = load + build
    report.add(Figure(f"{label}: end to end", total, "s", floor, load_cpu + warehouse.cpu))
    report.add(Figure(f"{label}: end to end rate", data.measured_rows / total * 60, "readings/min"))
    return total


def incremental(
    report: Report, label: str, warehouse: Engine, data: Data, floor: float, days: int
) -> float:
    """The last `days` of history loaded and built, then the 15-minute file to gold."""
    history = data.history[-days:]
    load = warehouse.cli("load", "--registry", data.registry, *history)
    label = f"{label}, {len(history)} day" + ("s" if len(history) > 1 else "") + " of history"
    report.add(Figure(f"{label}: history load", load, "s", None, warehouse.cpu))
    build = warehouse.cli("build")
    report.add(Figure(f"{label}: history full build", build, "s", None, warehouse.cpu))
    landing = warehouse.folder / "landing"
    landing.mkdir()
    arrived = time.perf_counter()
    shutil.copyfile(data.quarter, landing / data.quarter.name)
    warehouse.cli("run", landing / data.quarter.name)
    latency = time.perf_counter() - arrived
    report.add(
        Figure(
            f"{label}: 15-minute file ({data.quarter_rows:,} readings) arrival to gold",
            latency,
            "s",
            floor,
            warehouse.cpu,
        )
    )
    record_nodes(report, f"{label}: 15-minute file", warehouse, latency)
    shutil.rmtree(warehouse.folder)
    return latency


# ------------------------------------------------------------------ report


def machine() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        total_kib = int(handle.readline().split()[1])
    return [
        f"- CPU: {cpu}, `nproc` = {os.cpu_count()}",
        f"- memory: {total_kib / 1024**2:.1f} GiB",
        f"- Python {platform.python_version()}, DuckDB {duckdb.__version__}",
    ]


def table(report: Report) -> list[str]:
    rows = [
        "| figure | value | CPU s | ratio to floor | load average |",
        "|---|---:|---:|---:|---:|",
    ]
    for figure in report.figures:
        cpu = f"{figure.cpu:.1f}" if figure.cpu is not None else ""
        rows.append(
            f"| {figure.name} | {figure.text()} | {cpu} | {figure.ratio()} | {figure.load:.1f} |"
        )
    return rows


def markers(section: str) -> tuple[str, str]:
    return f"<!-- bench:{section}:begin -->", f"<!-- bench:{section}:end -->"


def render(report: Report, header: list[str], section: str) -> str:
    begin, end = markers(section)
    lines = [begin, "", f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.", "", "## Machine", ""]
    lines += header
    lines += ["", "## Commands", "", "```"]
    lines += report.commands
    lines += ["```", "", "## Figures", ""]
    lines += table(report)
    lines += ["", "## Targets", "", "| target | wanted | measured | met |", "|---|---|---|---|"]
    for name, wanted, met, measured in report.targets:
        lines.append(f"| {name} | {wanted} | {measured} | {'yes' if met else 'NO'} |")
    for label, (summary, nodes) in report.slowest.items():
        lines += ["", f"{label}: {summary}. Slowest nodes (run_results.json):", ""]
        lines += [f"- {name}: {seconds:.2f} s" for name, seconds in nodes]
    if report.notes:
        lines += ["", *report.notes]
    lines += ["", end]
    return "\n".join(lines)


def write(path: Path, text: str, section: str) -> None:
    begin, end = markers(section)
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in old and end in old:
        before, rest = old.split(begin, 1)
        after = rest.split(end, 1)[1]
        new = before + text + after
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new)


# ------------------------------------------------------------------ main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--meters", type=int, default=50_000)
    parser.add_argument(
        "--history-days",
        default="7,30",
        help="history days under the DuckDB 15-minute file, comma-separated ('' for none)",
    )
    parser.add_argument(
        "--sizes",
        default="5000,200000",
        help="other meter counts x 1 day for DuckDB scaling, comma-separated ('' for none)",
    )
    parser.add_argument(
        "--postgres-history-days",
        default="7,30",
        help="history days under the PostgreSQL 15-minute file, comma-separated",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--spark-meters",
        type=int,
        default=5000,
        help="meters x 1 day end to end on a local Spark (0: no Spark run)",
    )
    parser.add_argument(
        "--skip-duckdb", action="store_true", help="no DuckDB run at --meters (sizes still run)"
    )
    parser.add_argument(
        "--section", default="main", help="name of the section of --write to replace (main)"
    )
    parser.add_argument("--results", type=Path, help="keep each build's run_results.json here")
    parser.add_argument("--work", type=Path, default=Path("/tmp/greenstream-bench"))
    parser.add_argument("--write", type=Path, help="put the results into this Markdown file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    return parser.parse_args(argv)


@contextmanager
def step(name: str) -> Iterator[None]:
    print(f"bench: {name} ...", flush=True)
    yield


def quarter_targets(
    report: Report,
    label: str,
    history_days: list[int],
    target_s: float | None,
    measure: Callable[[int], float],
) -> None:
    """The 15-minute file on each history, its target, and how flat it stays."""
    latencies = {days: measure(days) for days in sorted(history_days)}
    for days, latency in latencies.items():
        report.target(
            f"{label} 15-minute file to gold, {days} day{'s' if days > 1 else ''} of history",
            f"<= {target_s:.0f} s" if target_s is not None else "(no target at this size)",
            target_s is not None and latency <= target_s,
            f"{latency:.1f} s",
        )
    if len(latencies) > 1:
        shortest, longest = min(latencies), max(latencies)
        growth = latencies[longest] / latencies[shortest]
        report.add(
            Figure(f"{label}: 15-minute file, {longest} vs {shortest} days of history", growth, "x")
        )
        report.target(
            f"{label} 15-minute file flat with history",
            f"{longest} days at most +{100 * (TARGET_FLAT_GROWTH - 1):.0f} % over {shortest}",
            growth <= TARGET_FLAT_GROWTH,
            f"x{growth:.2f}",
        )


def run(args: argparse.Namespace) -> Report:
    report = Report(results=args.results)
    work: Path = args.work
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    history_days = [int(days) for days in args.history_days.split(",") if days.strip()]
    pg_history_days = (
        []
        if args.skip_postgres
        else [int(days) for days in args.postgres_history_days.split(",") if days.strip()]
    )
    most_days = max(history_days + pg_history_days, default=0)
    with step(f"generating {args.meters:,} meters x ({most_days} + 1) days"):
        data = make_data(work / "data", args.meters, most_days)
    measured_csv = csv_bytes(data.measured)
    floor, floor_parquet = floor_seconds(data.measured, work / "floor.parquet")
    report.add(Figure(f"floor: DuckDB CSV to Parquet, {data.measured_rows:,} readings", floor, "s"))
    quarter_floor, _ = floor_seconds([data.quarter], work / "floor-quarter.parquet")
    report.add(
        Figure(f"floor: the 15-minute file ({data.quarter_rows:,} readings)", quarter_floor, "s")
    )
    report.add(Figure("CSV input, measured day", measured_csv, "B"))
    report.add(Figure("floor Parquet / CSV", 100 * floor_parquet / measured_csv, "%"))

    main_run: tuple[float, float] | None = None  # DuckDB at --meters: seconds, readings/s
    if not args.skip_duckdb:
        duck = engine("duckdb", work / "duckdb", report.commands, None, "")
        duck_total = end_to_end(report, "DuckDB", duck, data, floor)
        lake = duck.lake_bytes()
        share = lake / measured_csv
        report.add(Figure("DuckDB: Parquet outputs (lake)", lake, "B"))
        report.add(Figure("DuckDB: Parquet outputs / CSV input", 100 * share, "%"))
        duck_rate = data.measured_rows / duck_total * 60
        report.target(
            "DuckDB end to end",
            f">= {TARGET_DUCKDB_PER_MIN / 1e6:.0f} M readings/min",
            duck_rate >= TARGET_DUCKDB_PER_MIN,
            f"{duck_rate / 1e6:.2f} M/min ({duck_total:.1f} s for {data.measured_rows:,})",
        )
        report.target(
            "DuckDB end to end against the floor",
            f"<= {TARGET_DUCKDB_FLOOR_RATIO:.0f}x the floor",
            duck_total <= TARGET_DUCKDB_FLOOR_RATIO * floor,
            f"{duck_total / floor:.1f}x ({duck_total:.1f} s against {floor:.2f} s)",
        )
        report.target(
            "Parquet outputs",
            "<= 10 % of CSV",
            share <= TARGET_PARQUET_SHARE,
            f"{100 * share:.1f} %",
        )
        shutil.rmtree(duck.folder)
        quarter_targets(
            report,
            "DuckDB",
            history_days,
            TARGET_QUARTER_DUCKDB_S.get(args.meters),
            lambda days: incremental(
                report,
                "DuckDB",
                engine("duckdb", work / f"duckdb-incr-{days}", report.commands, None, ""),
                data,
                quarter_floor,
                days,
            ),
        )
        main_run = (duck_total, data.measured_rows / duck_total)

    if not args.skip_postgres:
        with Postgres() as postgres:
            args.header.append(
                f"- PostgreSQL {postgres.version}"
                + (" (throwaway server)" if postgres.throwaway else " (server from PG*)")
            )
            args.sampler.roots += postgres.server_pids()
            pg = engine("postgres", work / "postgres", report.commands, postgres, "gs_bench_e2e")
            pg_total = end_to_end(report, "PostgreSQL", pg, data, floor)
            pg_rate = data.measured_rows / pg_total * 60
            report.target(
                "PostgreSQL end to end",
                f">= {TARGET_PG_PER_MIN / 1e6:.1f} M readings/min",
                pg_rate >= TARGET_PG_PER_MIN,
                f"{pg_rate / 1e6:.2f} M/min ({pg_total:.1f} s)",
            )
            quarter_targets(
                report,
                "PostgreSQL",
                pg_history_days,
                TARGET_QUARTER_PG_S,
                lambda days: incremental(
                    report,
                    "PostgreSQL",
                    engine(
                        "postgres",
                        work / f"postgres-incr-{days}",
                        report.commands,
                        postgres,
                        f"gs_bench_incr_{days}",
                    ),
                    data,
                    quarter_floor,
                    days,
                ),
            )

    duck_at_size: dict[int, float] = {}  # meters -> DuckDB end-to-end seconds
    for meters in sizes:
        with step(f"scaling: {meters:,} meters x 1 day on DuckDB"):
            sized = make_data(work / f"data-{meters}", meters, 0)
            sized_floor, _ = floor_seconds(sized.measured, work / "floor-size.parquet")
            report.add(Figure(f"floor at {meters:,} meters", sized_floor, "s"))
            warehouse = engine("duckdb", work / f"duckdb-{meters}", report.commands, None, "")
            total = end_to_end(report, f"DuckDB {meters:,} meters", warehouse, sized, sized_floor)
            duck_at_size[meters] = total
            report.add(
                Figure(f"DuckDB {meters:,} meters: rate", sized.measured_rows / total, "readings/s")
            )
            shutil.rmtree(warehouse.folder)
            shutil.rmtree(work / f"data-{meters}")
            if main_run is not None and meters > args.meters:
                scaling_target(report, args.meters, main_run, meters, total, sized.measured_rows)
    if args.spark_meters:
        spark_figure(report, args, work, duck_at_size.get(args.spark_meters))
    return report


def spark_figure(
    report: Report, args: argparse.Namespace, work: Path, duck_seconds: float | None
) -> None:
    """End to end on a local Spark at --spark-meters x 1 day (issue 13: a size that fits
    one machine), beside DuckDB's time for the same data when it was measured."""
    meters = args.spark_meters
    with step(f"Spark: {meters:,} meters x 1 day"), Spark() as spark:
        args.sampler.roots += spark.server_pids()
        sized = make_data(work / f"data-spark-{meters}", meters, 0)
        sized_floor, _ = floor_seconds(sized.measured, work / "floor-spark.parquet")
        report.add(Figure(f"floor at {meters:,} meters (Spark run)", sized_floor, "s"))
        label = f"Spark (local[2]) {meters:,} meters"
        warehouse = engine(
            "spark", work / f"spark-{meters}", report.commands, None, "", spark=spark
        )
        total = end_to_end(report, label, warehouse, sized, sized_floor)
        if duck_seconds is not None:
            report.add(Figure(f"{label}: time against DuckDB's", total / duck_seconds, "x"))
        shutil.rmtree(work / f"data-spark-{meters}")


def scaling_target(
    report: Report,
    meters: int,
    main_run: tuple[float, float],
    more_meters: int,
    seconds: float,
    readings: int,
) -> None:
    """Time at `more_meters` against the run at `meters`: near-linear (issue 11)."""
    main_seconds, main_rate = main_run
    ratio = more_meters / meters
    growth = seconds / main_seconds
    report.add(
        Figure(f"time growth {meters:,} -> {more_meters:,} meters (meters x{ratio:g})", growth, "x")
    )
    report.target(
        "cost close to linear",
        f"time x{ratio * TARGET_GROWTH_OVER_LINEAR:.3g} or less for meters x{ratio:g}",
        growth <= ratio * TARGET_GROWTH_OVER_LINEAR,
        f"time x{growth:.2f}; {main_rate:,.0f} -> {readings / seconds:,.0f} readings/s",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sampler = MemorySampler()
    args.sampler = sampler
    header = machine()
    args.header = header
    with sampler:
        report = run(args)
    report.commands.insert(
        0, f"$ make bench  # {shlex.join(['benchmarks/bench.py', *(argv or sys.argv[1:])])}"
    )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report.add(Figure("peak RSS, pipeline processes summed (sampled)", sampler.peak, "B"))
    # Linux charges a child, from fork to exec, with its parent's pages, so getrusage's
    # largest child is at least this process's own peak: printed, not judged.
    report.add(Figure("peak RSS, largest child (getrusage, >= the bench's own)", children, "B"))
    report.add(Figure("peak RSS of the benchmark itself (generator, floor; not counted)", own, "B"))
    peak = sampler.peak
    report.target("peak RSS", "<= 4 GiB", peak <= TARGET_RSS_BYTES, f"{peak / 1024**3:.2f} GiB")
    print("\n".join(table(report)))
    for name, wanted, met, measured in report.targets:
        print(f"target {name}: {wanted}: {measured}: {'met' if met else 'NOT met'}")
    if args.write is not None:
        write(args.write, render(report, header, args.section), args.section)
        print(f"bench: results written to {args.write}")
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
