"""Landing CSV files in `raw`: readings and the meter registry, one transaction per file.

Per file: SHA-256 of the bytes as stored; skipped when that hash already has a
'loaded' ledger row; read with DuckDB's CSV reader (csvread.py); landed with the
rejected records and the ledger row in one transaction, retried on transient
warehouse errors; a file that cannot be read, lacks a required column or still
fails goes to the dead-letter folder with a sidecar `<name>.error.json`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
import stat
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import duckdb.func

from greenstream import csvread, pii
from greenstream.csvread import FileRejected, sql_literal
from greenstream.errors import UserError, WarehouseUnavailable, first_line
from greenstream.settings import Settings, SparkAddress
from greenstream.warehouse import Warehouse, is_transient

READING_COLUMNS = ("meter_id", "timestamp", "energy_value", "energy_unit")
REGISTRY_COLUMNS = ("meter_id", "neighbourhood", "tariff")
REGISTRY_OPTIONAL = ("customer_id", "valid_from")
PII_COLUMNS = ("customer_id", "customer_name", "address")
LINEAGE = ("_batch_id", "_source_file", "_source_line", "_file_sha256", "_loaded_at")
MAX_ATTEMPTS = 4  # the first try and 3 retries
BACKOFF_SECONDS = 0.5  # before retry n: BACKOFF_SECONDS * 2**(n-1), plus up to 50% jitter
CSV_SUFFIXES = (".csv", ".csv.gz")


@dataclass(frozen=True)
class LoadOptions:
    """How to read reading files: source column per standard name, constant unit."""

    mapping: dict[str, str] = field(default_factory=dict)
    unit: str | None = None
    move: bool = False  # move (not copy) files sent to the dead letter


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file: its row of raw.load_ledger."""

    path: Path
    kind: str
    sha256: str  # empty when the file could not be read
    status: str  # loaded | skipped_duplicate | dead_letter
    started_at: dt.datetime
    finished_at: dt.datetime
    seconds: float
    attempts: int
    records: int | None = None
    landed: int = 0
    rejected: int = 0
    error: str | None = None
    mapping: dict[str, object] | None = None
    ignored: list[str] | None = None
    batch_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class RetryPolicy:
    """How the loader meets transient warehouse errors: up to `attempts` tries in all, with
    waits of `backoff_seconds` between them. When the last try fails too, the file goes to
    the dead letter (`load`, `run`), or, with `dead_letter_on_outage` False (`watch`),
    WarehouseUnavailable is raised and the file stays where it is, to be tried again."""

    attempts: int = MAX_ATTEMPTS
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    dead_letter_on_outage: bool = True


@dataclass
class LoadSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def landed(self) -> int:
        return sum(outcome.landed for outcome in self.outcomes)

    @property
    def rejected(self) -> int:
        return sum(outcome.rejected for outcome in self.outcomes)


def parse_mapping(pairs: Sequence[str], unit: str | None) -> dict[str, str]:
    """`--map STD=SRC` pairs as {standard name: source column}; one-line errors."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        standard, equals, source = pair.partition("=")
        standard = standard.strip().lower()
        if not equals or not source.strip():
            raise UserError(f"--map {pair!r} is not STD=SRC; write it like --map meter_id=LCLid")
        if standard not in READING_COLUMNS:
            raise UserError(
                f"--map {pair!r}: {standard!r} is not a standard column; "
                f"use one of {', '.join(READING_COLUMNS)}"
            )
        if standard in mapping:
            raise UserError(f"--map gives {standard} twice; give each standard column once")
        mapping[standard] = source
    if unit is not None and "energy_unit" in mapping:
        raise UserError("give either --unit or --map energy_unit=SRC, not both")
    if unit is not None and not unit.strip():
        raise UserError("--unit is empty; give the unit of the energy values, like --unit kWh")
    read_by: dict[str, str] = {}  # source column (as matched) -> the standard column it feeds
    for column in READING_COLUMNS:
        if column == "energy_unit" and unit is not None:
            continue
        source = mapping.get(column, column).strip().lower()
        if source in read_by:
            raise UserError(
                f"--map: source column {source!r} would be read as both {read_by[source]} and "
                f"{column}; give each standard column its own source column"
            )
        read_by[source] = column
    return mapping


def discover(paths: Sequence[Path]) -> list[Path]:
    """Files to load: the files given, and `*.csv`/`*.csv.gz` directly in folders given
    (not in subfolders), in name order, each once."""
    found: dict[Path, Path] = {}
    for path in paths:
        if not path.exists():
            raise UserError(f"{path} does not exist; give existing CSV files or folders")
        if path.is_dir():
            files = [child for child in path.iterdir() if child.is_file() and _is_csv(child)]
            if not files:
                raise UserError(
                    f"no *.csv or *.csv.gz files in {path} (subfolders are not searched); "
                    "give the folder that holds the files"
                )
        else:
            check_regular_file(path)
            files = [path]
        for file in files:
            found.setdefault(file.resolve(), file)
    return sorted(found.values(), key=lambda file: (file.name, str(file)))


def check_regular_file(path: Path) -> None:
    """Refuse a named pipe, socket or device: reading one blocks, or never ends."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        kinds = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))
        what = next((name for test, name in kinds if test(mode)), "a device")
        raise UserError(f"{path} is {what}, not a regular file; give CSV files or folders")


def _is_csv(path: Path) -> bool:
    return path.name.lower().endswith(CSV_SUFFIXES)


def backoff_seconds(attempt: int, jitter: float) -> float:
    """Delay after failed attempt `attempt` (1-based); `jitter` in [0, 1)."""
    base = BACKOFF_SECONDS * 2 ** (attempt - 1)
    return float(base * (1 + 0.5 * jitter))


class Landing:
    """Writes a parsed file into `raw` inside the caller's transaction.

    DuckDB target: inserts straight from the stage in the same connection.
    PostgreSQL: DuckDB writes the rows to a CSV file, which is COPYed in.
    Spark: DuckDB writes the rows to a Parquet file in the staging folder, which the
    server inserts from; Spark has no transaction, so rows a failed attempt left behind
    are deleted before a file lands again (`clear_partial`).
    """

    def __init__(
        self, warehouse: Warehouse, parser: duckdb.DuckDBPyConnection, scratch: Path
    ) -> None:
        self.warehouse = warehouse
        self.parser = parser
        self.scratch = scratch

    def insert_readings(self, select_sql: str) -> None:
        self._insert("raw.meter_readings", (*READING_COLUMNS, *LINEAGE), select_sql)

    def insert_registry(self, select_sql: str) -> None:
        columns = (*REGISTRY_ORDER, *LINEAGE)
        self._insert("raw.meter_registry", columns, select_sql)

    def insert_rejects(self, select_sql: str) -> None:
        columns = (
            "_batch_id",
            "_source_file",
            "_source_line",
            "raw_text",
            "reason",
            "_file_sha256",
            "_loaded_at",
        )
        self._insert("raw.rejected_rows", columns, select_sql)

    def clear_partial(self, sha256: str, kind: str) -> None:
        """Spark: delete the rows of a landing of this file that failed part way (the ledger
        has no `loaded` row for it: the caller checked). Elsewhere a transaction did it."""
        if self.warehouse.target != "spark":
            return
        table = "raw.meter_readings" if kind == "readings" else "raw.meter_registry"
        for landed in (table, "raw.rejected_rows"):
            self.warehouse.execute(f"delete from {landed} where _file_sha256 = ?", [sha256])

    def _insert(self, table: str, columns: Sequence[str], select_sql: str) -> None:
        quoted = [self.warehouse.quote(column) for column in columns]
        if self.warehouse.target == "duckdb":
            self.warehouse.duckdb.execute(f"insert into {table} ({', '.join(quoted)}) {select_sql}")
            return
        if self.warehouse.target == "spark":
            self._insert_from_parquet(table, quoted, select_sql)
            return
        out = self.scratch / f"{table}.csv"
        self.parser.execute(
            f"copy ({select_sql}) to {sql_literal(str(out))} (format csv, header false)"
        )
        self.warehouse.copy_in(table, quoted, out)
        out.unlink()

    def _insert_from_parquet(self, table: str, quoted: Sequence[str], select_sql: str) -> None:
        staging = SparkAddress.from_env(self.warehouse.settings.lake_dir).staging_dir
        staging.mkdir(parents=True, exist_ok=True)
        out = staging / f"{table}-{uuid.uuid4()}.parquet"
        self.parser.execute(f"copy ({select_sql}) to {sql_literal(str(out))} (format parquet)")
        try:
            # the file's columns are `quoted`, in order (their names are the select's)
            self.warehouse.execute(
                f"insert into {table} ({', '.join(quoted)}) select * from parquet.`{out}`"
            )
        finally:
            out.unlink()


REGISTRY_ORDER = (*REGISTRY_COLUMNS, "customer_key", "valid_from")


class _AlreadyLoaded(Exception):
    """Another load landed the same file meanwhile."""


@dataclass
class _Prepared:
    """A file read and checked, ready to land."""

    path: Path
    kind: str
    sha256: str
    parsed: csvread.ParsedFile
    selects: dict[str, str]  # standard column -> SQL over the stage
    mapping: dict[str, object]
    ignored: list[str]


class Loader:
    """Lands files in the warehouse, one transaction per file, and reports progress."""

    def __init__(
        self,
        warehouse: Warehouse,
        settings: Settings,
        options: LoadOptions,
        *,
        retry: RetryPolicy | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.settings = settings
        self.options = options
        self.retry = retry or RetryPolicy()
        self.progress = progress or _print_progress
        self._key: bytes | None = None
        self._scratch = tempfile.TemporaryDirectory(prefix="greenstream-")
        self._owns_parser = warehouse.target != "duckdb"
        if not self._owns_parser:
            self.parser = warehouse.duckdb
        else:
            self.parser = duckdb.connect()
            self.parser.execute("set TimeZone = 'UTC'")
        self.parser.create_function(
            "gs_customer_key",
            self._customer_key,
            ["varchar"],
            "varchar",
            null_handling=duckdb.func.SPECIAL,
        )
        self.landing = Landing(warehouse, self.parser, Path(self._scratch.name))

    def close(self) -> None:
        csvread.drop_stage(self.parser)
        self.parser.remove_function("gs_customer_key")
        if self._owns_parser:
            self.parser.close()
        self._scratch.cleanup()

    def load(self, readings: Sequence[Path], registry: Path | None = None) -> LoadSummary:
        """Land the registry (first) and the reading files, in the order given."""
        summary = LoadSummary()
        work = [(registry, "registry")] if registry is not None else []
        work += [(path, "readings") for path in readings]
        started = time.perf_counter()
        for number, (path, kind) in enumerate(work, start=1):
            outcome = self.load_file(path, kind)
            summary.outcomes.append(outcome)
            elapsed = time.perf_counter() - started
            self.progress(
                f"[{number}/{len(work)}] {path.name}: {_describe(outcome)}; "
                f"total {summary.landed:,} rows in {elapsed:.1f} s "
                f"({summary.landed / max(elapsed, 1e-9):,.0f} rows/s)"
            )
        self.progress(
            f"done: {summary.count('loaded')} loaded, {summary.count('skipped_duplicate')} "
            f"skipped (already loaded), {summary.count('dead_letter')} to the dead letter "
            f"({self.settings.dead_letter_dir}); {summary.landed:,} rows landed, "
            f"{summary.rejected:,} rejected"
        )
        return summary

    def load_file(self, path: Path, kind: str) -> FileOutcome:
        """Land one file ('readings' or 'registry') and write its ledger row."""
        started_at = _now()
        clock = time.perf_counter()
        try:
            stored = csvread.read_bytes(path)
        except OSError as error:
            reason = f"cannot read the file ({error})"
            return self._dead_letter(path, kind, "", reason, 0, started_at, clock)
        sha256 = hashlib.sha256(stored).hexdigest()
        if self._already_loaded(sha256, kind):
            return self._skipped(path, kind, sha256, started_at, clock)
        if kind == "registry":
            self._pii_key()  # checked before anything is read (a wrong key stops the load)
        try:
            prepared = self._prepare(path, kind, stored, sha256)
        except FileRejected as error:
            return self._dead_letter(path, kind, sha256, str(error), 0, started_at, clock)
        except Exception as error:  # a file nobody foresaw: it must not stop the others
            detail = "" if kind == "registry" else f": {first_line(error)}"
            reason = f"cannot read the file ({type(error).__name__}{detail})"
            return self._dead_letter(path, kind, sha256, reason, 0, started_at, clock)
        try:
            return self._land(prepared, started_at, clock)
        finally:
            csvread.drop_stage(self.parser)

    # -- reading ---------------------------------------------------------------------

    def _prepare(self, path: Path, kind: str, stored: bytes, sha256: str) -> _Prepared:
        data = csvread.decompress(path, stored)
        header = csvread.parse_header(data)
        keys = [name.strip().lower() for name in header]
        if kind == "readings":
            wanted = {
                column: self.options.mapping.get(column, column)
                for column in READING_COLUMNS
                if not (column == "energy_unit" and self.options.unit is not None)
            }
            found = _find_columns(header, keys, wanted, list(wanted), quote_header=True)
            selects = {column: f"coalesce(c{index}, '')" for column, index in found.items()}
            mapping: dict[str, object] = {"columns": {c: header[i] for c, i in found.items()}}
            if self.options.unit is not None:
                selects["energy_unit"] = sql_literal(self.options.unit)
                mapping["constants"] = {"energy_unit": self.options.unit}
            redact = None
        else:
            wanted = {column: column for column in (*REGISTRY_COLUMNS, *REGISTRY_OPTIONAL)}
            found = _find_columns(header, keys, wanted, REGISTRY_COLUMNS, quote_header=False)
            selects = {column: f"coalesce(c{index}, '')" for column, index in found.items()}
            selects["customer_key"] = (
                f"gs_customer_key(c{found['customer_id']})" if "customer_id" in found else "null"
            )
            selects.pop("customer_id", None)
            selects.setdefault("valid_from", "null")
            mapping = {"columns": {c: header[i] for c, i in found.items()}}
            has_pii = any(column in keys for column in PII_COLUMNS)
            redact = self._redact if has_pii else None
        used = set(found.values())
        ignored = [name for index, name in enumerate(header) if index not in used]
        stage = Path(self._scratch.name) / "stage.csv"
        personal = kind == "registry"
        parsed = csvread.read_csv(self.parser, stage, data, header, redact, personal)
        return _Prepared(path, kind, sha256, parsed, selects, mapping, ignored)

    def _customer_key(self, customer_id: str | None) -> str | None:
        return pii.customer_key(self._pii_key(), customer_id)

    def _redact(self, text: str) -> str:
        return pii.redacted(self._pii_key(), text)

    def _pii_key(self) -> bytes:
        if self._key is None:
            self._key = pii.checked_key(self.settings, self.warehouse)
        return self._key

    # -- landing ---------------------------------------------------------------------

    def _land(self, prepared: _Prepared, started_at: dt.datetime, clock: float) -> FileOutcome:
        parsed = prepared.parsed
        batch_id = str(uuid.uuid4())
        order = READING_COLUMNS if prepared.kind == "readings" else REGISTRY_ORDER
        columns = ", ".join(f'{prepared.selects[column]} as "{column}"' for column in order)
        landed: list[FileOutcome] = []

        def attempt(attempts: int) -> None:
            loaded_at = sql_literal(_now().isoformat())
            file = f"{sql_literal(batch_id)}, {sql_literal(prepared.path.name)}"
            lineage = (
                f"{file}, _source_line, {sql_literal(prepared.sha256)}, {loaded_at}::timestamptz"
            )
            with self.warehouse.transaction():
                self._lock(prepared.sha256)
                if self._already_loaded(prepared.sha256, prepared.kind):
                    raise _AlreadyLoaded
                self.landing.clear_partial(prepared.sha256, prepared.kind)
                select = f"select {columns}, {lineage} from {csvread.STAGE_VIEW}"
                if prepared.kind == "readings":
                    self.landing.insert_readings(select)
                else:
                    self.landing.insert_registry(select)
                self.landing.insert_rejects(
                    f"select {file}, _source_line, raw_text, reason, "
                    f"{sql_literal(prepared.sha256)}, {loaded_at}::timestamptz "
                    f"from {csvread.REJECTS_TABLE}"
                )
                outcome = self._outcome(
                    prepared.path, prepared.kind, prepared.sha256, "loaded", started_at, clock,
                    attempts=attempts, records=parsed.records, landed=parsed.landed,
                    rejected=len(parsed.rejects), mapping=prepared.mapping,
                    ignored=prepared.ignored, batch_id=batch_id,
                )  # fmt: skip
                self._ledger(outcome)
            landed.append(outcome)

        try:
            self._retrying(attempt)
        except _AlreadyLoaded:
            return self._skipped(prepared.path, prepared.kind, prepared.sha256, started_at, clock)
        except WarehouseUnavailable:
            raise  # the watcher's policy: the file stays where it is
        except _Failed as failed:  # any other failure: dead letter
            reason = _warehouse_reason(failed.error, failed.attempts)
            with suppress(Exception):  # Spark: what landed before the failure goes (the
                # ledger has no `loaded` row for the file; a next load cleans it anyway)
                self.landing.clear_partial(prepared.sha256, prepared.kind)
            return self._dead_letter(
                prepared.path, prepared.kind, prepared.sha256, reason, failed.attempts,
                started_at, clock,
            )  # fmt: skip
        return landed[-1]

    def _retrying(self, work: Callable[[int], None]) -> None:
        """Run `work(attempt)`; retry transient warehouse errors with exponential backoff and
        jitter (self.retry). A failure is raised as `_Failed`, or, when the
        policy leaves files in place on an outage, as WarehouseUnavailable."""
        attempt = 0
        while True:
            attempt += 1
            try:
                work(attempt)
                return
            except _AlreadyLoaded:
                raise
            except Exception as error:
                if not is_transient(error) or attempt >= self.retry.attempts:
                    if is_transient(error) and not self.retry.dead_letter_on_outage:
                        raise WarehouseUnavailable(first_line(error)) from error
                    raise _Failed(error, attempt) from error
                self.retry.sleep(backoff_seconds(attempt, self.retry.jitter()))
                try:
                    self.warehouse.reconnect()
                except WarehouseUnavailable:
                    continue  # still unreachable: the next attempt fails and counts

    def _lock(self, sha256: str) -> None:
        """PostgreSQL: serialise concurrent loads of the same file (DuckDB has one writer)."""
        if self.warehouse.target == "postgres":
            self.warehouse.execute("select pg_advisory_xact_lock(hashtextextended(?, 0))", [sha256])

    def _already_loaded(self, sha256: str, kind: str) -> bool:
        rows = self.warehouse.fetchall(
            "select count(*) from raw.load_ledger "
            "where file_sha256 = ? and file_kind = ? and status = 'loaded'",
            [sha256, kind],
        )
        return bool(rows[0][0])

    def _skipped(
        self, path: Path, kind: str, sha256: str, started_at: dt.datetime, clock: float
    ) -> FileOutcome:
        written: list[FileOutcome] = []

        def record(attempts: int) -> None:
            outcome = self._outcome(
                path, kind, sha256, "skipped_duplicate", started_at, clock, attempts=attempts,
                error="a file with the same SHA-256 is already loaded",
            )  # fmt: skip
            with self.warehouse.transaction():
                self._ledger(outcome)
            written.append(outcome)

        try:
            self._retrying(record)
        except _Failed as failed:
            raise failed.error from None
        return written[-1]

    def _dead_letter(
        self,
        path: Path,
        kind: str,
        sha256: str,
        reason: str,
        attempts: int,
        started_at: dt.datetime,
        clock: float,
    ) -> FileOutcome:
        """Copy (or move) the file to the dead-letter folder with its sidecar; ledger it."""
        folder = self.settings.dead_letter_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        if target.exists() and _sha256_of(target) != sha256:
            target = folder / f"{sha256[:12]}-{path.name}"
        try:
            if self.options.move:
                shutil.move(path, target)
            else:
                shutil.copyfile(path, target)
        except OSError as error:
            reason = f"{reason}; could not copy it to the dead letter ({error})"
        sidecar = target.with_name(target.name + ".error.json")
        sidecar.write_text(
            json.dumps(
                {
                    "file": path.name,
                    "source_path": str(path.resolve()),
                    "file_kind": kind,
                    "sha256": sha256,
                    "reason": reason,
                    "attempts": attempts,
                    "time": _now().isoformat(),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        outcome = self._outcome(
            path, kind, sha256, "dead_letter", started_at, clock, attempts=attempts, error=reason
        )

        def record(_: int) -> None:
            with self.warehouse.transaction():
                self._ledger(outcome)

        try:
            self._retrying(record)
        except (_Failed, WarehouseUnavailable) as error:  # the sidecar tells the story
            self.progress(f"warning: could not write the ledger row for {path.name}: {error}")
        return outcome

    @staticmethod
    def _outcome(
        path: Path,
        kind: str,
        sha256: str,
        status: str,
        started_at: dt.datetime,
        clock: float,
        **details: Any,
    ) -> FileOutcome:
        """The file's outcome, finished now."""
        seconds = time.perf_counter() - clock
        return FileOutcome(path, kind, sha256, status, started_at, _now(), seconds, **details)

    def _ledger(self, outcome: FileOutcome) -> None:
        self.warehouse.execute(
            "insert into raw.load_ledger (batch_id, file_name, source_path, file_sha256, "
            "file_kind, status, records, rows_landed, rows_rejected, column_mapping, "
            "ignored_columns, error, attempts, started_at, finished_at, duration_seconds) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                outcome.batch_id,
                outcome.path.name,
                str(outcome.path.resolve()),
                outcome.sha256,
                outcome.kind,
                outcome.status,
                outcome.records,
                outcome.landed,
                outcome.rejected,
                None if outcome.mapping is None else json.dumps(outcome.mapping),
                None if outcome.ignored is None else json.dumps(outcome.ignored),
                outcome.error,
                outcome.attempts,
                outcome.started_at,
                outcome.finished_at,
                outcome.seconds,
            ],
        )


class _Failed(Exception):
    """A warehouse step that failed for good, after `attempts` tries."""

    def __init__(self, error: Exception, attempts: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


def _find_columns(
    header: list[str],
    keys: list[str],
    wanted: dict[str, str],
    required: Sequence[str],
    *,
    quote_header: bool,
) -> dict[str, int]:
    """Position of each wanted column (header names match trimmed, case-insensitively).

    `quote_header`: the reason for a missing column may list the header's names. Never for
    a registry: without a header row its first line, a customer, is taken for the header.
    """
    found: dict[str, int] = {}
    missing: list[str] = []
    for column, source in wanted.items():
        positions = [index for index, key in enumerate(keys) if key == source.strip().lower()]
        if len(positions) > 1:
            raise FileRejected(f"column {source!r} appears {len(positions)} times in the header")
        if positions:
            found[column] = positions[0]
        elif column in required:
            missing.append(column if source == column else f"{column} (mapped from {source!r})")
    if missing and quote_header:
        raise FileRejected(
            f"missing required column(s) {', '.join(missing)}; the header has "
            f"{', '.join(repr(name) for name in header)} (map columns with --map STD=SRC, "
            "give a constant unit with --unit)"
        )
    if missing:
        raise FileRejected(
            f"missing required column(s) {', '.join(missing)}; line 1 has {len(header)} "
            "fields, none of them shown (they may be personal data): the registry's first "
            f"line must be the header {','.join((*REGISTRY_COLUMNS, *REGISTRY_OPTIONAL))}"
        )
    return found


def _warehouse_reason(error: BaseException, attempts: int) -> str:
    first = first_line(error)
    if is_transient(error):
        return f"warehouse error after {attempts} attempts: {type(error).__name__}: {first}"
    return f"warehouse refused the file: {type(error).__name__}: {first}"


def _describe(outcome: FileOutcome) -> str:
    if outcome.status == "loaded":
        return f"{outcome.landed:,} rows, {outcome.rejected:,} rejected, {outcome.seconds:.2f} s"
    if outcome.status == "skipped_duplicate":
        return "skipped, already loaded"
    return f"to the dead letter: {outcome.error}"


def _sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _print_progress(message: str) -> None:
    print(f"greenstream: {message}", file=sys.stderr, flush=True)
