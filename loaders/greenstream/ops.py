"""`greenstream failures` and `greenstream status`: what data ops look at every morning.

Both read the warehouse itself, never dbt's `target/run_results.json` (which every
warehouse of a checkout shares): `failures` the dbt results of the last build
(`audit.build_results`, written by pipeline.py) and the failing rows dbt stored in
`audit.<test name>`; `status` the recent runs (`audit.pipeline_runs`), the load ledger,
the tiers of `gold.meter_day_quality`, the dead-letter folder and the last build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg2

from greenstream.errors import RunFailed, WarehouseUnavailable, first_line
from greenstream.settings import PostgresAddress, Settings, SparkAddress
from greenstream.warehouse import Warehouse, spark_errors

SAMPLE_ROWS = 5
RECENT_RUNS = 10
DEAD_LETTERS_LISTED = 10
BUILD_HINT = "greenstream run --registry REGISTRY.csv READINGS_FOLDER"


class Reader:
    """Read-only queries on the warehouse (DuckDB opened read-only, PostgreSQL autocommit,
    Spark through its Thrift Server)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._warehouse: Warehouse | None = None
        if settings.target == "duckdb":
            self._duck = _connect_duckdb_read_only(settings.duckdb_path)
        else:
            self._warehouse = Warehouse(settings)
            if settings.target == "postgres":
                self._warehouse.pg.autocommit = True

    def describe(self) -> str:
        """Where the data lives, for people (never a password)."""
        if self.settings.target == "duckdb":
            return f"duckdb {self.settings.duckdb_path}"
        if self.settings.target == "spark":
            spark = SparkAddress.from_env(self.settings.lake_dir)
            return f"spark {spark.host}:{spark.port}"
        address = PostgresAddress.from_env()
        return f"postgres {address.host}:{address.port}/{address.database}"

    @property
    def double_type(self) -> str:
        """The engine's name of a double (Spark has no `double precision`)."""
        return "double" if self.settings.target == "spark" else "double precision"

    def quote(self, name: str) -> str:
        return self._warehouse.quote(name) if self._warehouse is not None else f'"{name}"'

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.query(sql, params)[1]

    def query(
        self, sql: str, params: Sequence[Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of one query."""
        try:
            if self._duck is not None:
                cursor = self._duck.execute(sql, params)
                names = [column[0] for column in cursor.description or []]
                return names, cursor.fetchall()
            assert self._warehouse is not None
            return self._warehouse.query(sql, params)
        except (duckdb.Error, psycopg2.Error, *spark_errors()) as error:
            first = first_line(error)
            raise RunFailed(
                f"the warehouse refused a query ({type(error).__name__}: {first}); "
                "rebuild it with greenstream build and try again"
            ) from None

    def has_table(self, schema: str, name: str) -> bool:
        if self._warehouse is not None and self.settings.target == "spark":
            return f"{schema}.{name}" in self._warehouse.tables([schema])
        found = self.rows(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            (schema, name),
        )
        return bool(found[0][0])

    def close(self) -> None:
        if self._duck is not None:
            self._duck.close()
        if self._warehouse is not None:
            self._warehouse.close()


@contextmanager
def open_reader(settings: Settings) -> Iterator[Reader]:
    reader = Reader(settings)
    try:
        yield reader
    finally:
        reader.close()


def _connect_duckdb_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise RunFailed(
            f"no DuckDB warehouse at {path}: load and build first ({BUILD_HINT}), "
            "or point GREENSTREAM_DUCKDB_PATH at your warehouse"
        )
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise WarehouseUnavailable(
            f"cannot open the DuckDB file {path}: {first}; "
            "close the other program using it (a DuckDB CLI, a notebook, a running watch) "
            "and try again"
        ) from None
    connection.execute("set TimeZone = 'UTC'")
    return connection


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.verb == "failures":
        return failures(settings)
    return status(settings)


# -- failures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TestResult:
    """One dbt test of the last build that did not pass."""

    name: str
    status: str  # fail | warn | error
    failures: int | None
    message: str
    relation: tuple[str, str] | None  # (schema, table) where dbt stored the failing rows
    subject: str  # "model x, column y"
    column: str | None  # the column the test checks, shown first in the sample rows


@dataclass(frozen=True)
class LastBuild:
    """The last recorded build of this warehouse: its pipeline run and its dbt nodes
    (audit.build_results, written by pipeline.py)."""

    finished_at: Any
    nodes: list[dict[str, Any]]

    def tests(self) -> list[dict[str, Any]]:
        return [node for node in self.nodes if node["resource_type"] == "test"]

    def others(self) -> list[dict[str, Any]]:
        return [node for node in self.nodes if node["resource_type"] != "test"]


_NODE_COLUMNS = (
    "unique_id",
    "resource_type",
    "name",
    "status",
    "failures",
    "message",
    "relation_name",
    "attached_node",
    "column_name",
)


def last_build(reader: Reader) -> LastBuild | None:
    """The newest run of this warehouse that recorded dbt results, if any."""
    if not reader.has_table("audit", "build_results"):
        return None
    runs = reader.rows(
        "select run_id, build_finished_at from audit.build_results "
        "order by build_finished_at desc limit 1"
    )
    if not runs:
        return None
    run_id, finished_at = runs[0]
    rows = reader.rows(
        f"select {', '.join(_NODE_COLUMNS)} from audit.build_results where run_id = ? "
        "order by unique_id",
        (run_id,),
    )
    return LastBuild(finished_at, [dict(zip(_NODE_COLUMNS, row, strict=True)) for row in rows])


def failures(settings: Settings) -> int:
    """Print the failing and warning tests of the last build; 1 when any test failed."""
    with open_reader(settings) as reader:
        build = last_build(reader)
        if build is None:
            raise RunFailed(
                f"no dbt build recorded in {reader.describe()} yet: run greenstream build "
                "(or greenstream run) first"
            )
        return _report_failures(reader, build, settings.target)


def _report_failures(reader: Reader, build: LastBuild, target: str) -> int:
    tests = build.tests()
    counts = {name: sum(node["status"] == name for node in tests) for name in _TEST_STATUSES}
    print(
        f"last build: {_when(build.finished_at)} on {target}; {len(tests)} tests: "
        f"{counts['pass']} passed, {counts['warn']} warned, {counts['fail']} failed, "
        f"{counts['error']} errored, {counts['skipped']} skipped"
    )
    broken = [node for node in build.others() if node["status"] == "error"]
    for node in broken:
        print(f"ERROR {_node_label(node['unique_id'])}: {_first_line(node['message'])}")
    bad = [_test_result(node) for node in tests if node["status"] in _SEVERITY_ORDER]
    bad.sort(key=lambda result: (_SEVERITY_ORDER[result.status], result.name))
    if not bad and not broken:
        if counts["skipped"]:
            print(
                f"{counts['skipped']} tests were skipped (an upstream model failed); "
                "fix it and build again"
            )
            return 1
        print("all tests passed")
        return 0
    for result in bad:
        _print_result(reader, result)
    if not any(result.status != "warn" for result in bad) and not broken:
        print(
            "only warnings: the build is good; the rows above are input problems that are "
            "flagged and counted in the marts"
        )
        return 0
    return 1


_TEST_STATUSES = ("pass", "warn", "fail", "error", "skipped")
_SEVERITY_ORDER = {"error": 0, "fail": 1, "warn": 2}
_LABELS = {"error": "ERROR", "fail": "FAIL", "warn": "WARN"}


def _test_result(node: dict[str, Any]) -> TestResult:
    subject = ""
    if node["attached_node"]:
        subject = _node_label(str(node["attached_node"]))
        if node["column_name"]:
            subject += f", column {node['column_name']}"
    failures = node["failures"]
    return TestResult(
        name=str(node["name"]),
        status=str(node["status"]),
        failures=None if failures is None else int(failures),
        message=_first_line(node["message"]),
        relation=_relation(node["relation_name"]),
        subject=subject,
        column=str(node["column_name"]) if node["column_name"] else None,
    )


def _relation(relation_name: Any) -> tuple[str, str] | None:
    """`"db"."audit"."name"` (Spark: `audit.name`) -> ("audit", "name")."""
    if not isinstance(relation_name, str):
        return None
    parts = [
        quoted.replace('""', '"') or bare
        for quoted, bare in re.findall(r'"((?:[^"]|"")*)"|([^."]+)', relation_name)
    ]
    return (parts[-2], parts[-1]) if len(parts) >= 2 else None


def _print_result(reader: Reader, result: TestResult) -> None:
    count = "" if result.failures is None else f": {_plural(result.failures, 'row')}"
    where = f" ({result.subject})" if result.subject else ""
    print(f"{_LABELS[result.status]} {result.name}{where}{count}")
    if result.status == "error":
        print(f"    the test could not run: {result.message}")
        return
    if result.relation is None or not reader.has_table(*result.relation):
        print("    no stored failing rows")
        return
    schema, table = result.relation
    names, rows = reader.query(f"select * from {schema}.{reader.quote(table)} limit {SAMPLE_ROWS}")
    print(f"    sample rows from {schema}.{table}:")
    # the tested column (or the rules broken, test row_rules), the row's own columns, where
    # it came from, the other lineage columns
    order = sorted(range(len(names)), key=lambda index: _column_rank(names[index], result))
    for row in rows:
        pairs = ", ".join(f"{names[index]}={_cell(row[index])}" for index in order)
        print(f"    - {_clip(pairs, 400)}")


def _column_rank(name: str, result: TestResult) -> int:
    if name in (result.column, "failed_rules"):
        return 0
    if name in ("_source_file", "_source_line"):
        return 2
    return 3 if name.startswith("_") else 1


def _node_label(unique_id: str) -> str:
    """`model.greenstream.x` -> `model x`."""
    parts = unique_id.split(".")
    return f"{parts[0]} {parts[-1]}" if len(parts) >= 3 else unique_id


# -- status ------------------------------------------------------------------------------


def status(settings: Settings) -> int:
    """Recent runs, files, rows, tiers and dead letters."""
    with open_reader(settings) as reader:
        if (
            not reader.has_table("raw", "load_ledger")
            or not reader.rows("select count(*) from raw.load_ledger")[0][0]
        ):
            raise RunFailed(
                f"nothing loaded yet in {reader.describe()}: load files first ({BUILD_HINT})"
            )
        print(f"warehouse: {reader.describe()}")
        _print_runs(reader)
        _print_files(reader)
        _print_tiers(reader)
        _print_dead_letters(reader, settings.dead_letter_dir)
        _print_last_build(reader)
    return 0


def _print_runs(reader: Reader) -> None:
    if not reader.has_table("audit", "pipeline_runs"):
        print("recent runs: none recorded yet (audit.pipeline_runs appears with the next build)")
        return
    runs = reader.rows(
        "select command, target, started_at, finished_at, files, rows_landed, outcome, "
        f"attempts, error from audit.pipeline_runs order by started_at desc limit {RECENT_RUNS}"
    )
    if not runs:
        print("recent runs: none recorded yet")
        return
    print(f"recent runs (newest first, up to {RECENT_RUNS}):")
    for command, target, started, finished, files, rows, outcome, attempts, error in runs:
        took = (
            f"{(finished - started).total_seconds():.1f} s"
            if isinstance(started, dt.datetime) and isinstance(finished, dt.datetime)
            else "running"
        )
        line = (
            f"  {_when(started)}  {command} on {target}: {outcome or 'running'}, {took}, "
            f"{_count(files)} files, {_count(rows)} rows landed"
        )
        if attempts and attempts > 1:
            line += f", {attempts} attempts"
        if error:
            line += f": {_clip(_first_line(error), 160)}"
        print(line)


def _print_files(reader: Reader) -> None:
    by_status = dict(
        reader.rows(
            "select status, count(*) from raw.load_ledger where file_kind = 'readings' "
            "group by status"
        )
    )
    registry = reader.rows(
        "select count(*) from raw.load_ledger where file_kind = 'registry' and status = 'loaded'"
    )[0][0]
    landed, rejected = reader.rows(
        "select coalesce(sum(rows_landed), 0), coalesce(sum(rows_rejected), 0) "
        "from raw.load_ledger where status = 'loaded' and file_kind = 'readings'"
    )[0]
    print(
        f"reading files: {_count(by_status.get('loaded', 0))} loaded, "
        f"{_count(by_status.get('skipped_duplicate', 0))} skipped (already loaded), "
        f"{_count(by_status.get('dead_letter', 0))} to the dead letter; "
        f"{_plural(int(registry), 'registry file')} loaded"
    )
    print(f"rows: {_count(landed)} landed, {_count(rejected)} rejected (raw.rejected_rows)")


def _print_tiers(reader: Reader) -> None:
    if not reader.has_table("gold", "meter_day_quality"):
        print("meter-days: none yet: run greenstream build")
        return
    tiers = dict(reader.rows("select tier, count(*) from gold.meter_day_quality group by tier"))
    first, last = reader.rows(
        "select min(local_date), max(local_date) from gold.meter_day_quality"
    )[0]
    total = sum(tiers.values())
    if not total:
        print("meter-days: none yet: run greenstream build")
        return
    print(
        f"meter-days: {_count(total)} from {first} to {last}: "
        + ", ".join(f"{_count(tiers.get(tier, 0))} {tier}" for tier in ("GOLD", "SILVER", "BRONZE"))
    )


def _print_dead_letters(reader: Reader, folder: Path) -> None:
    ledger = reader.rows(
        "select file_name, error, finished_at from raw.load_ledger "
        "where status = 'dead_letter' order by finished_at desc"
    )
    files = (
        sorted(
            (path for path in folder.glob("*") if path.is_file() and not _is_sidecar(path)),
            key=lambda path: path.stat().st_mtime,
            reverse=True,
        )
        if folder.is_dir()
        else []
    )
    print(
        f"dead letters: {_count(len(ledger))} in the ledger, "
        f"{_plural(len(files), 'file')} in {folder}"
    )
    listed = [(name, error, _when(when)) for name, error, when in ledger]
    in_ledger = {name for name, _, _ in ledger}
    for path in files:
        if path.name not in in_ledger:
            listed.append((path.name, _sidecar_reason(path), "not in this warehouse's ledger"))
    for name, error, when in listed[:DEAD_LETTERS_LISTED]:
        print(f"  {name} ({when}): {_clip(_first_line(error), 200)}")
    if len(listed) > DEAD_LETTERS_LISTED:
        print(f"  ... and {len(listed) - DEAD_LETTERS_LISTED} more")
    if listed:
        print(f"  fix a file, then load it again; the reasons are also in {folder}/*.error.json")


def _is_sidecar(path: Path) -> bool:
    return path.name.endswith(".error.json")


def _sidecar_reason(path: Path) -> str:
    sidecar = path.with_name(path.name + ".error.json")
    try:
        return str(json.loads(sidecar.read_text(encoding="utf-8"))["reason"])
    except (OSError, ValueError, KeyError, TypeError):
        return "no reason recorded"


def _print_last_build(reader: Reader) -> None:
    build = last_build(reader)
    if build is None:
        print("last build: none yet: run greenstream build")
        return
    statuses = [str(node["status"]) for node in build.nodes]
    bad = sum(status in ("fail", "error") for status in statuses)
    warned = statuses.count("warn")
    verdict = "see greenstream failures" if bad or warned else "all tests passed"
    print(
        f"last build: {_when(build.finished_at)}, {bad} failed or errored, "
        f"{warned} warnings: {verdict}"
    )


# -- formatting ---------------------------------------------------------------------------


def _when(value: Any) -> str:
    """A UTC time for people: `2024-01-01 12:00 UTC`."""
    moment: dt.datetime | None = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if moment is None:
        return "unknown time"
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _count(value: Any) -> str:
    return f"{int(value or 0):,}"


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, dt.datetime):
        return _when(value) if value.tzinfo is not None else value.isoformat(sep=" ")
    return _clip(str(value), 60)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0].strip() if lines else ""
