"""Retention: raw rows older than `retention_days` move to a Parquet cold archive.

Age. A raw row's age counts from `_loaded_at` (when the loader landed it), never from
the reading's own timestamp, which is text that may not parse. Age in days = today's
UTC date minus the UTC date of `_loaded_at`; a row is archived when its age exceeds
`retention_days` (N), i.e. when `_loaded_at` < 00:00 UTC of (today - N days). Rows
loaded on that day or later stay hot. A row's month is the UTC calendar month of
its `_loaded_at`.

What moves. `raw.meter_readings` and `raw.rejected_rows`. The registry stays hot (the
snapshot of issue 4 reads it whole) and so does `raw.load_ledger`: it is small and
is the record of every file, and it keeps a re-delivered archived file from landing
twice.

Archive. `LAKE/archive/raw/<table>/month=YYYY-MM/part-<run_id>.parquet` (ZSTD), the
hot table's columns and types, byte for byte the same text. One transaction per
month: the month's rows are counted, written to `part-<run_id>.parquet.tmp`, read
back (footer row count), deleted, and the three counts must agree before the commit,
with one `audit.retention_runs` row per file; the file gets its final name after the
commit. Each run also leaves one `audit.pipeline_runs` row (command 'retention' or
'restore'). Readers see only `*.parquet`; a run that dies between commit and rename is
finished by the next run (the audit row names the file).

Restore. `restore --month YYYY-MM` inserts every archived file of that month back
(same rows, lineage and text), checks that the hot month grew by exactly the file
rows, records one `audit.retention_runs` row per file (command 'restore') and then
deletes the files: a month is either hot or archived, never both. Restored rows keep
their `_loaded_at`, so the next retention run archives them again.

Bronze, silver and gold keep their history: bronze appends only the raw rows landed after the
latest it holds, and the models read bronze. A `--full-refresh` rebuilds from raw and would drop the
archived rows: restore the months first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from greenstream.errors import RunFailed, UserError
from greenstream.settings import Settings, project_dir
from greenstream.warehouse import Warehouse

UTC = dt.UTC
ARCHIVE = Path("archive") / "raw"
BATCH_ROWS = 50_000
LINEAGE: tuple[tuple[str, pa.DataType], ...] = (
    ("_batch_id", pa.string()),
    ("_source_file", pa.string()),
    ("_source_line", pa.int64()),
    ("_file_sha256", pa.string()),
    ("_loaded_at", pa.timestamp("us", tz="UTC")),
)
# The archived raw tables, with the column order and types of warehouse.RAW_DDL.
SCHEMAS = {
    "meter_readings": pa.schema(
        [
            ("meter_id", pa.string()),
            ("timestamp", pa.string()),
            ("energy_value", pa.string()),
            ("energy_unit", pa.string()),
            *LINEAGE,
        ]
    ),
    "rejected_rows": pa.schema(
        [
            *LINEAGE[:3],
            ("raw_text", pa.string()),
            ("reason", pa.string()),
            *LINEAGE[3:],
        ]
    ),
}
AUDIT_DDL = (
    """create table if not exists audit.retention_runs (
        run_id text not null,
        command text not null,
        target text not null,
        raw_table text not null,
        month text not null,
        archive_file text not null,
        rows_moved bigint not null,
        cutoff_at timestamptz,
        started_at timestamptz not null,
        finished_at timestamptz not null
    )""",
)
FULL_REFRESH_WARNING = (
    "greenstream: warning: bronze, silver and gold keep the archived rows, but "
    "`build --full-refresh` rebuilds from raw and would drop them; restore the months first "
    "(greenstream restore --month YYYY-MM)"
)


class ReconcileError(Exception):
    """Counts disagreed inside a month's transaction: it was rolled back."""


@dataclass(frozen=True)
class Moved:
    """Rows of one raw table and month moved by one run, and the archive file."""

    table: str
    month: str
    rows: int
    archive_file: str  # relative to the lake folder, '/'-separated


def main(args: argparse.Namespace, settings: Settings) -> int:
    warehouse = Warehouse(settings)
    started = dt.datetime.now(UTC)
    run_id = _run_id(started)
    moved: list[Moved] = []
    try:
        if args.verb == "retention":
            days = retention_days() if args.days is None else args.days
            if days < 0:
                raise UserError(f"--days must be 0 or more, got {days}")
            moved = archive(warehouse, settings.lake_dir, days, started, run_id)
            if moved:
                print(FULL_REFRESH_WARNING, file=sys.stderr)
        else:
            moved = restore(warehouse, settings.lake_dir, parse_month(args.month), run_id)
    except ReconcileError as error:
        _record_run(warehouse, run_id, args.verb, started, moved, str(error))
        print(f"greenstream: error: {error}", file=sys.stderr)
        return 1
    else:
        _record_run(warehouse, run_id, args.verb, started, moved, None)
    finally:
        warehouse.close()
    return 0


def retention_days() -> int:
    """The `retention_days` var of dbt_project.yml (dbt itself is slow to import)."""
    with (project_dir() / "dbt_project.yml").open(encoding="utf-8") as handle:
        return int(yaml.safe_load(handle)["vars"]["retention_days"])


def parse_month(text: str) -> dt.datetime:
    """'YYYY-MM' as 00:00 UTC on the first of that month."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise UserError(f"--month {text!r} is not a month; write it like --month 2024-03")
    return dt.datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)


def cutoff_for(now: dt.datetime, days: int) -> dt.datetime:
    """Rows loaded before this instant are older than `days` whole UTC days."""
    today = now.astimezone(UTC).date()
    return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), tzinfo=UTC)


def archive(
    warehouse: Warehouse, lake: Path, days: int, now: dt.datetime, run_id: str
) -> list[Moved]:
    """Move every raw row loaded before the cutoff to the archive, one month per transaction."""
    _ensure_audit(warehouse)
    _finish_interrupted(warehouse, lake)
    cutoff = cutoff_for(now, days)
    months = _months_before(warehouse, cutoff)
    if not months:
        print(f"nothing to archive: no raw rows loaded before {cutoff:%Y-%m-%d} (UTC)")
        return []
    print(f"archiving raw rows loaded before {cutoff:%Y-%m-%d} 00:00 UTC ({days} days)")
    moved: list[Moved] = []
    for start in months:
        moved += _archive_month(warehouse, lake, run_id, start, cutoff)
    total = sum(item.rows for item in moved)
    print(f"archived {total} rows from {len(months)} month(s) to {lake / ARCHIVE}")
    return moved


def restore(warehouse: Warehouse, lake: Path, start: dt.datetime, run_id: str) -> list[Moved]:
    """Bring every archived file of one month back into raw, in one transaction."""
    _ensure_audit(warehouse)
    _finish_interrupted(warehouse, lake)
    month = f"{start:%Y-%m}"
    files = warehouse.fetchall(
        "select raw_table, archive_file, rows_moved from audit.retention_runs "
        "where command = 'retention' and month = ? and archive_file not in "
        "(select archive_file from audit.retention_runs where command = 'restore') "
        "order by raw_table, archive_file",
        [month],
    )
    if not files:
        print(f"{month}: nothing archived (never archived, or already restored)")
        return []
    for _, archive_file, _ in files:
        if not (lake / archive_file).is_file():
            raise RunFailed(
                f"{month}: archive file {lake / archive_file} is missing; "
                "put the archive back (GREENSTREAM_LAKE_DIR) and run restore again"
            )
    started = dt.datetime.now(UTC)
    restored: list[Moved] = []
    with warehouse.transaction():
        for table, archive_file, rows in files:
            path = lake / archive_file
            in_file = pq.ParquetFile(path).metadata.num_rows
            before = _count(warehouse, table, start, _next_month(start))
            _insert_file(warehouse, table, path)
            after = _count(warehouse, table, start, _next_month(start))
            if not rows == in_file == after - before:
                raise ReconcileError(
                    f"{month} {table}: {archive_file} should hold {rows} rows, holds {in_file}, "
                    f"and {after - before} came back; rolled back, nothing restored"
                )
            restored.append(Moved(table, month, in_file, archive_file))
        _record(warehouse, run_id, "restore", restored, None, started)
    for item in restored:
        (lake / item.archive_file).unlink()
        print(f"{month}: {item.table} {item.rows} rows restored from {item.archive_file}")
    _prune_empty_folders(lake / ARCHIVE)
    return restored


def _archive_month(
    warehouse: Warehouse, lake: Path, run_id: str, start: dt.datetime, cutoff: dt.datetime
) -> list[Moved]:
    """One transaction: count, write, read back, delete, check, record; then publish."""
    month = f"{start:%Y-%m}"
    end = min(_next_month(start), cutoff)
    started = dt.datetime.now(UTC)
    moved: list[Moved] = []
    written: list[Path] = []
    try:
        with warehouse.transaction():
            for table, schema in SCHEMAS.items():
                hot = _count(warehouse, table, start, end)
                if hot == 0:
                    continue
                relative = ARCHIVE / table / f"month={month}" / f"part-{run_id}.parquet"
                temporary = _temporary(lake / relative)
                written.append(temporary)
                _write_parquet(warehouse, table, schema, start, end, temporary)
                archived = pq.ParquetFile(temporary).metadata.num_rows
                deleted = _delete(warehouse, table, start, end)
                if not hot == archived == deleted:
                    raise ReconcileError(
                        f"{month} {table}: {hot} rows hot, {archived} archived, {deleted} "
                        "deleted; rolled back, nothing moved for this month"
                    )
                moved.append(Moved(table, month, archived, relative.as_posix()))
            _record(warehouse, run_id, "retention", moved, cutoff, started)
    except BaseException:
        for temporary in written:
            temporary.unlink(missing_ok=True)
        raise
    for item in moved:
        _temporary(lake / item.archive_file).rename(lake / item.archive_file)
    counts = "; ".join(f"{item.table} {item.rows} archived = {item.rows} deleted" for item in moved)
    print(f"{month}: {counts}")
    return moved


def _ensure_audit(warehouse: Warehouse) -> None:
    """raw and audit.pipeline_runs (warehouse.py), and audit.retention_runs."""
    warehouse.ensure_raw_schema()
    with warehouse.transaction():
        for statement in AUDIT_DDL:
            warehouse.execute(statement)


def _finish_interrupted(warehouse: Warehouse, lake: Path) -> None:
    """Publish files whose month committed but was not renamed; delete restored files."""
    rows = warehouse.fetchall("select command, archive_file from audit.retention_runs")
    archived = {name for command, name in rows if command == "retention"}
    restored = {name for command, name in rows if command == "restore"}
    root = lake / ARCHIVE
    for temporary in sorted(root.glob("*/month=*/*.parquet.tmp")):
        final = temporary.with_suffix("")
        name = final.relative_to(lake).as_posix()
        if name in archived and name not in restored and not final.exists():
            temporary.rename(final)
            print(f"finished an interrupted run: {name}")
        else:
            print(
                f"greenstream: warning: {temporary} is left from an interrupted run; delete it",
                file=sys.stderr,
            )
    for name in sorted(restored):
        if (lake / name).exists():
            (lake / name).unlink()
            print(f"finished an interrupted restore: removed {name}")


def _months_before(warehouse: Warehouse, cutoff: dt.datetime) -> list[dt.datetime]:
    months: set[dt.datetime] = set()
    for table in SCHEMAS:
        for (month,) in warehouse.fetchall(
            "select distinct date_trunc('month', _loaded_at at time zone 'UTC') "
            f"from raw.{table} where _loaded_at < ?",
            [cutoff],
        ):
            months.add(dt.datetime(month.year, month.month, 1, tzinfo=UTC))
    return sorted(months)


def _run_id(now: dt.datetime) -> str:
    """Names a run and its archive files: UTC start time and a random suffix."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _next_month(start: dt.datetime) -> dt.datetime:
    return (start + dt.timedelta(days=32)).replace(day=1)


def _temporary(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


_IN_RANGE = "where _loaded_at >= ? and _loaded_at < ?"


def _count(warehouse: Warehouse, table: str, start: dt.datetime, end: dt.datetime) -> int:
    [(count,)] = warehouse.fetchall(f"select count(*) from raw.{table} {_IN_RANGE}", [start, end])
    return int(count)


def _delete(warehouse: Warehouse, table: str, start: dt.datetime, end: dt.datetime) -> int:
    sql = f"delete from raw.{table} {_IN_RANGE}"
    if warehouse.target == "duckdb":
        [(deleted,)] = warehouse.duckdb.execute(sql, [start, end]).fetchall()
        return int(deleted)
    with warehouse.pg.cursor() as cursor:
        cursor.execute(sql.replace("?", "%s"), [start, end])
        return int(cursor.rowcount)


def _write_parquet(
    warehouse: Warehouse,
    table: str,
    schema: pa.Schema,
    start: dt.datetime,
    end: dt.datetime,
    path: Path,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f'"{name}"' for name in schema.names)
    sql = f"select {columns} from raw.{table} {_IN_RANGE} order by _source_file, _source_line"
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in _batches(warehouse, sql, [start, end], schema):
            writer.write_batch(batch)


def _batches(
    warehouse: Warehouse, sql: str, params: list[Any], schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    """The query's rows as Arrow batches of `schema`, streamed (a month may be large)."""
    if warehouse.target == "duckdb":
        reader = warehouse.duckdb.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            yield batch.cast(schema)
        return
    # A named (server-side) cursor streams inside the month's transaction.
    with warehouse.pg.cursor(name=f"archive_{uuid.uuid4().hex}") as cursor:
        cursor.itersize = BATCH_ROWS
        cursor.execute(sql.replace("?", "%s"), params)
        while rows := cursor.fetchmany(BATCH_ROWS):
            columns = list(zip(*rows, strict=True))
            yield pa.record_batch(
                [
                    pa.array(values, type=field.type)
                    for values, field in zip(columns, schema, strict=True)
                ],
                schema=schema,
            )


def _insert_file(warehouse: Warehouse, table: str, path: Path) -> None:
    names = SCHEMAS[table].names
    columns = ", ".join(f'"{name}"' for name in names)
    if warehouse.target == "duckdb":
        warehouse.duckdb.execute(
            f"insert into raw.{table} ({columns}) select {columns} from read_parquet(?)",
            [str(path)],
        )
        return
    with warehouse.pg.cursor() as cursor:
        for batch in pq.ParquetFile(path).iter_batches(BATCH_ROWS, columns=names):
            cursor.copy_expert(
                f"copy raw.{table} ({columns}) from stdin", io.StringIO(_copy_text(batch))
            )


def _copy_text(batch: pa.RecordBatch) -> str:
    """Rows in PostgreSQL's COPY text format: tab-separated, \\N for NULL, escaped text."""
    lines = []
    for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
        lines.append("\t".join(_copy_field(value) for value in row))
    return "".join(line + "\n" for line in lines)


def _copy_field(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _record(
    warehouse: Warehouse,
    run_id: str,
    command: str,
    moved: list[Moved],
    cutoff: dt.datetime | None,
    started: dt.datetime,
) -> None:
    finished = dt.datetime.now(UTC)
    for item in moved:
        warehouse.execute(
            "insert into audit.retention_runs (run_id, command, target, raw_table, month, "
            "archive_file, rows_moved, cutoff_at, started_at, finished_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                command,
                warehouse.target,
                item.table,
                item.month,
                item.archive_file,
                item.rows,
                cutoff,
                started,
                finished,
            ],
        )


def _record_run(
    warehouse: Warehouse,
    run_id: str,
    command: str,
    started: dt.datetime,
    moved: list[Moved],
    error: str | None,
) -> None:
    """One audit.pipeline_runs row per run (the month detail is in audit.retention_runs):
    files = archive files written or restored; rows_landed = rows restored into raw
    (0 for retention, which lands nothing)."""
    with warehouse.transaction():
        warehouse.execute(
            "insert into audit.pipeline_runs (run_id, command, target, started_at, "
            "finished_at, files, rows_landed, outcome, attempts, error) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            [
                run_id,
                command,
                warehouse.target,
                started,
                dt.datetime.now(UTC),
                len(moved),
                sum(item.rows for item in moved) if command == "restore" else 0,
                "failed" if error else "success",
                error,
            ],
        )


def _prune_empty_folders(root: Path) -> None:
    for folder in sorted(root.glob("*/month=*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
