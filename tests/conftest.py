"""Shared fixtures: one warehouse per test on DuckDB and on PostgreSQL (and Spark).

PostgreSQL comes from the PG* variables when PGHOST is set (CI starts a
throwaway server and exports them); otherwise the suite starts its own
throwaway server with scripts/throwaway-postgres.sh and stops it at the end.
Spark likewise: GREENSTREAM_SPARK_HOST and _PORT, or scripts/throwaway-spark.sh.
With CI=true a server that cannot be had fails the run, never skips it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

from greenstream.warehouse import spark_typed

ROOT = Path(__file__).resolve().parents[1]
GREENSTREAM = str(Path(sys.executable).with_name("greenstream"))
PII_TEST_KEY = "test-key-not-a-secret"
# The header of a readings file in the standard columns.
HEADER = b"meter_id,timestamp,energy_value,energy_unit\n"


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The single stderr line of a failed command (no traceback). Exit 2 is a usage error
    (the command line or the environment is wrong); exit 1 a run that failed (the warehouse
    unreachable or locked, nothing to show yet)."""
    assert result.returncode == code, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("greenstream: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def failing_builds(count: int) -> dict[str, str]:
    """Environment for a `greenstream` process whose first `count` dbt invocations fail on a
    lost connection (the hook in tests/hooks/sitecustomize.py)."""
    return {"GREENSTREAM_TEST_FAIL_BUILDS": str(count), "PYTHONPATH": str(ROOT / "tests" / "hooks")}


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass
class Warehouse:
    """A private warehouse for one test: its own DuckDB file or PostgreSQL database."""

    target: str
    env: dict[str, str]
    root: Path
    calls: list[str] = field(default_factory=list)

    def cli(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the real `greenstream` command against this warehouse."""
        argv = [GREENSTREAM, *map(str, args)]
        self.calls.append(shlex.join(argv))
        result = subprocess.run(
            argv, cwd=self.root, env=self.env, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{shlex.join(argv)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one query on the warehouse and return every row."""
        if self.target == "spark":
            return _spark_query(self.env, sql)
        if self.target == "duckdb":
            with duckdb.connect(self.env["GREENSTREAM_DUCKDB_PATH"]) as connection:
                connection.execute("set TimeZone = 'UTC'")
                return connection.execute(sql).fetchall()
        with _pg_connect(self.env) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            rows = list(cursor.fetchall()) if cursor.description else []
        connection.close()
        return rows

    def scalar(self, sql: str) -> Any:
        rows = self.query(sql)
        assert len(rows) == 1 and len(rows[0]) == 1, f"expected one value from {sql!r}: {rows}"
        return rows[0][0]


def _spark_query(env: dict[str, str], sql: str, *, rows: bool = True) -> list[tuple[Any, ...]]:
    """One statement on the Spark Thrift Server; a query's rows typed as the other engines'."""
    from pyhive import hive

    connection = hive.connect(
        host=env["GREENSTREAM_SPARK_HOST"], port=int(env["GREENSTREAM_SPARK_PORT"])
    )
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        if not rows:
            return []
        return spark_typed(cursor.description, cursor.fetchall())
    finally:
        connection.close()


def _pg_connect(env: dict[str, str], dbname: str | None = None) -> Any:
    return psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD", ""),
        dbname=dbname or env["PGDATABASE"],
        options="-c TimeZone=UTC",
    )


_PG_VARS = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
_SPARK_VARS = ("GREENSTREAM_SPARK_HOST", "GREENSTREAM_SPARK_PORT")
# Spark has one catalog: a warehouse is the project's schemas, dropped before each use.
SPARK_SCHEMAS = ("raw", "audit", "bronze", "silver", "gold", "snapshots", "main")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[dict[str, str] | None]:
    """PG* variables of a reachable server, or None (a failure in CI)."""
    with _server("PostgreSQL", _PG_VARS, "throwaway-postgres.sh", "GREENSTREAM_PG_DIR") as env:
        yield env


@pytest.fixture(scope="session")
def spark_server() -> Iterator[dict[str, str] | None]:
    """The address of a Spark Thrift Server, or None (a failure in CI). One server for the
    whole run: a test that uses it owns it (one test module, on one worker)."""
    with _server("Spark", _SPARK_VARS, "throwaway-spark.sh", "GREENSTREAM_SPARK_DIR") as env:
        yield env


@contextmanager
def _server(
    name: str, variables: tuple[str, ...], script_name: str, folder_variable: str
) -> Iterator[dict[str, str] | None]:
    """The server the environment names (its first variable set), else a throwaway one
    started by the script and stopped after; None when none can be had (a failure in CI)."""
    if os.environ.get(variables[0]):
        yield {variable: os.environ.get(variable, "") for variable in variables}
        return
    script = ROOT / "scripts" / script_name
    started = subprocess.run([str(script), "start"], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        reason = f"no {name}: {started.stderr.strip()}"
        if IN_CI:
            pytest.fail(reason)
        yield None
        return
    exports = dict(
        pair.split("=", 1) for pair in shlex.split(started.stdout.strip())[1:] if "=" in pair
    )
    try:
        yield {variable: exports.get(variable, "") for variable in variables}
    finally:
        subprocess.run([str(script), "stop", exports[folder_variable]], check=False)


def _spark_reset(spark: dict[str, str]) -> None:
    """Drop the project's schemas and everything in them: an empty Spark warehouse."""
    for schema in SPARK_SCHEMAS:
        _spark_query(spark, f"drop database if exists {schema} cascade", rows=False)


@contextmanager
def make_warehouse(
    target: str,
    tmp_path: Path,
    postgres: dict[str, str] | None,
    spark: dict[str, str] | None = None,
) -> Iterator[Warehouse]:
    """Create a private warehouse on `target`; drop it afterwards (Spark: empty it first)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PG", "GREENSTREAM_", "DBT_"))
    }
    env.update(
        GREENSTREAM_TARGET=target,
        GREENSTREAM_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"),
        GREENSTREAM_LAKE_DIR=str(tmp_path / "lake"),
        GREENSTREAM_DEAD_LETTER_DIR=str(tmp_path / "dead_letter"),
        GREENSTREAM_PII_KEY=PII_TEST_KEY,
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # generated PostgreSQL PII keys go there
        DBT_TARGET_PATH=str(tmp_path / "dbt_target"),
        DBT_LOG_PATH=str(tmp_path / "dbt_logs"),
        PGTZ="UTC",
    )
    database = None
    if target == "spark":
        if spark is None:
            if IN_CI:
                pytest.fail("Spark is required in CI")
            pytest.skip("no Spark Thrift Server on this machine (pip install -e '.[spark]')")
        env.update(spark)
        _spark_reset(spark)
    if target == "postgres":
        if postgres is None:
            if IN_CI:
                pytest.fail("PostgreSQL is required in CI")
            pytest.skip("no PostgreSQL server available on this machine")
        database = f"gs_test_{uuid.uuid4().hex[:12]}"
        admin = _pg_connect(postgres)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"create database {database}")
        admin.close()
        env.update(postgres, PGDATABASE=database)
    try:
        yield Warehouse(target=target, env=env, root=tmp_path)
    finally:
        if database is not None and postgres is not None:
            admin = _pg_connect(postgres)
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(f"drop database if exists {database} with (force)")
            admin.close()


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: dict[str, str] | None
) -> Iterator[Warehouse]:
    """A private, empty warehouse, once per engine."""
    with make_warehouse(request.param, tmp_path, postgres_server) as private:
        yield private


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    """A private, empty DuckDB warehouse for DuckDB-only behaviour (Parquet exports)."""
    with make_warehouse("duckdb", tmp_path, None) as private:
        yield private


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow tests first, the Spark module (the longest: 9 minutes in the suite) before
    them: `make test` hands whole files to its workers in collection order
    (--no-loadscope-reorder), so the longest files start at once instead of last. A file's
    tests stay together (its module fixtures are built once)."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    spark_files = {item.path for item in items if "spark_server" in item.fixturenames}
    items.sort(key=lambda item: (item.path not in spark_files, item.path not in slow_files))
