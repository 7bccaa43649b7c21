"""Connections to the warehouse (DuckDB, PostgreSQL or Spark) and the loader-owned `raw` schema."""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import psycopg2.errors

from greenstream.errors import UserError, WarehouseUnavailable, first_line
from greenstream.settings import PostgresAddress, Settings, SparkAddress

# The loader owns `raw`: every field as the text that was read, plus lineage.
RAW_DDL = (
    "create schema if not exists raw",
    """create table if not exists raw.meter_readings (
        meter_id text,
        "timestamp" text,
        energy_value text,
        energy_unit text,
        _batch_id text not null,
        _source_file text not null,
        _source_line bigint not null,
        _file_sha256 text not null,
        _loaded_at timestamptz not null
    )""",
    """create table if not exists raw.rejected_rows (
        _batch_id text not null,
        _source_file text not null,
        _source_line bigint not null,
        raw_text text,
        reason text not null,
        _file_sha256 text not null,
        _loaded_at timestamptz not null
    )""",
    """create table if not exists raw.meter_registry (
        meter_id text,
        neighbourhood text,
        tariff text,
        customer_key text,
        valid_from text,
        _batch_id text not null,
        _source_file text not null,
        _source_line bigint not null,
        _file_sha256 text not null,
        _loaded_at timestamptz not null
    )""",
    """create table if not exists raw.load_ledger (
        batch_id text not null,
        file_name text not null,
        source_path text not null,
        file_sha256 text not null,
        file_kind text not null,
        status text not null,
        records bigint,
        rows_landed bigint,
        rows_rejected bigint,
        column_mapping text,
        ignored_columns text,
        error text,
        attempts integer not null,
        started_at timestamptz not null,
        finished_at timestamptz not null,
        duration_seconds double precision not null
    )""",
    # One row: a fingerprint of the PII key the registry was loaded with (pii.py).
    """create table if not exists raw.pii_key_fingerprint (
        fingerprint text not null,
        created_at timestamptz not null
    )""",
)

# Audit tables (dbt also stores failing test rows in `audit`): one row per build, run or
# watch cycle, dbt's node results, the log of complete builds and alerts for data ops.
# Created together with raw, so that the transformer role needs no create privilege.
AUDIT_DDL = (
    "create schema if not exists audit",
    """create table if not exists audit.pipeline_runs (
        run_id text not null,
        command text not null,
        target text not null,
        started_at timestamptz not null,
        finished_at timestamptz not null,
        files integer not null,
        rows_landed bigint not null,
        outcome text not null,
        attempts integer not null,
        error text,
        latency_seconds double precision,
        file_latencies text
    )""",
    # One row per dbt node of a build (pipeline.py): what status and failures read.
    """create table if not exists audit.build_results (
        run_id text not null,
        build_finished_at timestamptz not null,
        unique_id text not null,
        resource_type text not null,
        name text not null,
        status text not null,
        failures bigint,
        rows_affected bigint,
        message text,
        relation_name text,
        attached_node text,
        column_name text,
        started_at timestamptz,
        completed_at timestamptz,
        execution_seconds double precision not null
    )""",
    # One row per complete dbt build, written by the project's on-run-end hook: what the
    # next build's scope counts as new (doc build_scope_design).
    """create table if not exists audit.build_log (
        built_at timestamptz not null,
        loaded_through timestamptz not null
    )""",
    """create table if not exists audit.alerts (
        alert_id text not null,
        raised_at timestamptz not null,
        source text not null,
        severity text not null,
        subject text not null,
        message text not null
    )""",
)


class Warehouse:
    """A thin, engine-neutral wrapper over one DuckDB, PostgreSQL or Spark connection.

    Spark (a Thrift Server, through PyHive) runs one statement at a time and has no
    transactions: `transaction()` groups nothing there, and the loader makes a file's
    landing all-or-nothing itself (load.py)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.target = settings.target
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._pg: Any = None
        self._spark: Any = None
        if self.target == "duckdb":
            self._duck = _connect_duckdb(settings)
        elif self.target == "postgres":
            self._pg = _connect_postgres()
        else:
            self._spark = _connect_spark(settings)

    @property
    def duckdb(self) -> duckdb.DuckDBPyConnection:
        assert self._duck is not None, "not a DuckDB warehouse"
        return self._duck

    @property
    def pg(self) -> Any:
        assert self._pg is not None, "not a PostgreSQL warehouse"
        return self._pg

    def quote(self, name: str) -> str:
        """An identifier quoted for the engine (Spark quotes with backticks)."""
        return f"`{name}`" if self._spark is not None else f'"{name}"'

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        if self._duck is not None:
            self._duck.execute(sql, params)
            return
        cursor = (self._pg or self._spark).cursor()
        try:
            cursor.execute(*self._with_params(sql, params))
        finally:
            cursor.close()

    def _with_params(
        self, sql: str, params: Sequence[Any] | None
    ) -> tuple[str, Sequence[Any] | None]:
        """psycopg2 takes `%s` placeholders; on Spark the values are written into the
        statement as literals, timestamps typed (Iceberg tables refuse text for them)."""
        if self._spark is None:
            return _pg_params(sql), params
        if not params:
            return sql, None
        literals = iter(_spark_literal(value) for value in params)
        return re.sub(r"\?", lambda _: next(literals), sql), None

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.query(sql, params)[1]

    def query(
        self, sql: str, params: Sequence[Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of one query."""
        if self._duck is not None:
            cursor = self._duck.execute(sql, params)
            return [column[0] for column in cursor.description or []], cursor.fetchall()
        cursor = (self._pg or self._spark).cursor()
        try:
            cursor.execute(*self._with_params(sql, params))
            description = cursor.description or []
            rows = [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
        if self._spark is not None:
            rows = spark_typed(description, rows)
        return [column[0] for column in description], rows

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all."""
        if self._spark is not None:
            yield
        elif self._duck is not None:
            self._duck.execute("begin transaction")
            try:
                yield
                self._duck.execute("commit")
            except BaseException:
                with suppress(duckdb.Error):  # already rolled back by a failed commit
                    self._duck.execute("rollback")
                raise
        else:
            try:
                yield
                self._pg.commit()
            except BaseException:
                with suppress(psycopg2.Error):  # a lost connection has nothing to roll back
                    self._pg.rollback()
                raise

    def copy_in(self, table: str, columns: Sequence[str], csv_path: Path) -> None:
        """PostgreSQL: COPY a headerless CSV file (empty unquoted field = NULL) into `table`."""
        with self._pg.cursor() as cursor, csv_path.open("r", encoding="utf-8", newline="") as data:
            cursor.copy_expert(
                f"copy {table} ({', '.join(columns)}) from stdin with (format csv)", data
            )

    def reconnect(self) -> None:
        """After a lost PostgreSQL connection: open a new one (DuckDB needs nothing)."""
        if self._pg is not None and self._pg.closed:
            self._pg = _connect_postgres()

    def ensure_raw_schema(self) -> None:
        """Create the loader's `raw` and `audit` tables that do not exist yet.

        Nothing is run when they all exist: PostgreSQL checks the privilege of a
        `create ... if not exists` before it looks, and the loader and transformer
        roles may not create schemas.
        """
        statements: tuple[str, ...] = (*RAW_DDL, *AUDIT_DDL)
        if self._spark is not None:
            statements = tuple(_spark_ddl(statement) for statement in statements)
        existing = self.tables(("raw", "audit"))
        if all(name in existing for name in _created_tables(statements)):
            return
        with self.transaction():
            for statement in statements:
                self.execute(statement)

    def tables(self, schemas: Sequence[str]) -> set[str]:
        """The tables and views of these schemas, as `schema.table`."""
        if self._spark is not None:
            existing = {str(row[0]) for row in self.fetchall("show schemas")}
            return {
                f"{schema}.{row[1]}"
                for schema in schemas
                if schema in existing
                for row in self.fetchall(f"show tables in {schema}")
            }
        # pg_tables lists the tables a role may not read too (information_schema hides them)
        catalog = "information_schema.tables" if self._duck else "pg_catalog.pg_tables"
        columns = "table_schema, table_name" if self._duck else "schemaname, tablename"
        listed = ", ".join(f"'{schema}'" for schema in schemas)
        return {
            f"{schema}.{table}"
            for schema, table in self.fetchall(
                f"select {columns} from {catalog} where {columns.split(',')[0]} in ({listed})"
            )
        }

    def close(self) -> None:
        if self._duck is not None:
            self._duck.close()
        if self._pg is not None:
            self._pg.close()
        if self._spark is not None:
            self._spark.close()


def _spark_ddl(statement: str) -> str:
    """A create statement of RAW_DDL or AUDIT_DDL in Spark's words: its type names, its
    quotes, and Apache Iceberg tables (the loader's idempotent retry and retention delete
    rows)."""
    for standard, spark in (
        (r"\btext\b", "string"),
        (r"\btimestamptz\b", "timestamp"),
        (r"\bdouble precision\b", "double"),
        (r"\binteger\b", "int"),
        (r'"(\w+)"', r"`\1`"),
    ):
        statement = re.sub(standard, spark, statement)
    return statement + " using iceberg" if statement.startswith("create table") else statement


# PyHive returns these Spark types as text (timestamps it parses itself, naive at UTC).
_SPARK_TEXT_TYPES: dict[str, Callable[[str], Any]] = {
    "DATE_TYPE": dt.date.fromisoformat,
    "DECIMAL_TYPE": Decimal,
}


def spark_typed(
    description: Sequence[Sequence[Any]], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Rows from PyHive with dates and decimals typed as the other engines give them."""
    parsers = [_SPARK_TEXT_TYPES.get(column[1]) for column in description]
    return [
        tuple(
            parse(value) if parse and isinstance(value, str) else value
            for parse, value in zip(parsers, row, strict=True)
        )
        for row in rows
    ]


def _spark_literal(value: Any) -> str:
    from pyhive.hive import _escaper

    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC) if value.tzinfo else value
        return f"timestamp '{utc:%Y-%m-%d %H:%M:%S.%f}'"
    return str(_escaper.escape_item(value))


def _created_tables(statements: Sequence[str]) -> list[str]:
    prefix = "create table if not exists "
    return [
        statement[len(prefix) :].split(maxsplit=1)[0]
        for statement in statements
        if statement.startswith(prefix)
    ]


def time_zone_names(settings: Settings) -> set[str]:
    """The time zone names the target engine knows: DuckDB's ICU (asked in memory, so the
    warehouse file is not touched), or the PostgreSQL server's `pg_timezone_names`."""
    query = "select name from pg_timezone_names"
    if settings.target == "spark":
        return set(zoneinfo.available_timezones())  # Spark reads zones with Java's tz data
    if settings.target == "duckdb":
        with duckdb.connect() as connection:
            return {str(name) for (name,) in connection.execute(f"{query}()").fetchall()}
    connection = _connect_postgres()
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return {str(name) for (name,) in cursor.fetchall()}
    finally:
        connection.close()


def spark_errors() -> tuple[type[BaseException], ...]:
    """The errors a Spark query raises (none when the `spark` extra is not installed)."""
    try:
        from pyhive.exc import Error
        from thrift.Thrift import TException
    except ImportError:
        return ()
    return (Error, TException)


def _spark_lost_connection() -> tuple[type[BaseException], ...]:
    """The error of a lost Thrift connection to Spark (none without the `spark` extra)."""
    try:
        from thrift.transport.TTransport import TTransportException
    except ImportError:
        return ()
    return (TTransportException,)


def is_transient(error: BaseException) -> bool:
    """Errors worth retrying: lock or I/O conflicts, lost connections, serialization failures."""
    if isinstance(error, duckdb.TransactionException | duckdb.IOException):
        return True
    if isinstance(error, psycopg2.OperationalError | psycopg2.InterfaceError):
        return True
    if isinstance(error, _spark_lost_connection()):
        return True
    return isinstance(
        error, psycopg2.errors.SerializationFailure | psycopg2.errors.DeadlockDetected
    )


def _pg_params(sql: str) -> str:
    """Queries are written with DuckDB's `?` placeholders; psycopg2 wants `%s`."""
    return sql.replace("%", "%%").replace("?", "%s")


def _connect_duckdb(settings: Settings) -> duckdb.DuckDBPyConnection:
    path = settings.duckdb_path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = duckdb.connect(str(path))
    except duckdb.IOException as error:
        raise WarehouseUnavailable(
            f"cannot open the DuckDB file {path}: {first_line(error)}; "
            "close the other program using it (a DuckDB CLI, a notebook) and try again"
        ) from error
    connection.execute("set TimeZone = 'UTC'")
    return connection


def _connect_postgres() -> Any:
    address = PostgresAddress.from_env()
    host, port = address.host, address.port
    try:
        connection = psycopg2.connect(
            host=host,
            port=port,
            user=os.environ.get("PGUSER", "postgres"),
            password=os.environ.get("PGPASSWORD", ""),
            dbname=address.database,
            connect_timeout=10,
            options="-c TimeZone=UTC",
        )
    except psycopg2.OperationalError as error:
        raise WarehouseUnavailable(
            f"cannot reach PostgreSQL at {host}:{port} ({first_line(error)}); "
            "start the server or set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE"
        ) from error
    return connection


def _connect_spark(settings: Settings) -> Any:
    try:
        from pyhive import hive
        from thrift.transport.TTransport import TTransportException
    except ImportError as error:
        raise UserError(
            "the spark target needs the optional packages: pip install -e '.[spark]'"
        ) from error

    address = SparkAddress.from_env(settings.lake_dir)
    try:
        connection = hive.connect(
            host=address.host,
            port=address.port,
            username=os.environ.get("GREENSTREAM_SPARK_USER") or None,
        )
    except TTransportException as error:
        raise WarehouseUnavailable(
            f"cannot reach the Spark Thrift Server at {address.host}:{address.port} "
            f"({first_line(error)}); start it (scripts/throwaway-spark.sh start) or set "
            "GREENSTREAM_SPARK_HOST and GREENSTREAM_SPARK_PORT"
        ) from error
    return connection
