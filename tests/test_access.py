"""Access control (PostgreSQL only): `setup-roles`, then dbt as the transformer, then
prove what the analyst and the loader can and cannot do.

Roles are cluster-wide: the group roles may already exist (the command tolerates that,
and the test leaves them for other databases). The login users are made here, with
passwords generated here, and dropped at the end.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import pytest

from conftest import ROOT, Warehouse, make_warehouse

DBT = str(Path(sys.executable).with_name("dbt"))
READINGS = b"meter_id,timestamp,energy_value,energy_unit\n" + b"".join(
    f"m1,2024-01-01 {hour:02}:{minute:02},1.5,kW\n".encode()
    for hour in range(24)
    for minute in (0, 15, 30, 45)
)
DENIED_SCHEMAS = ("raw", "bronze", "silver", "snapshots", "audit")


@pytest.fixture
def postgres_warehouse(
    tmp_path: Path, postgres_server: dict[str, str] | None
) -> Iterator[Warehouse]:
    with make_warehouse("postgres", tmp_path, postgres_server) as private:
        yield private


class Logins:
    """Login users made for one test, each a member of one group role."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.passwords: dict[str, str] = {}

    def create(self, group: str) -> str:
        user = f"gs_test_{uuid.uuid4().hex[:8]}_{group.removeprefix('greenstream_')}"
        password = secrets.token_urlsafe(24)
        self.passwords[user] = password
        # Objects the user creates belong to the group role (default privileges apply).
        self.warehouse.query(
            f"create role {user} login password '{password}' in role {group};"
            f"alter role {user} set role {group}"
        )
        return user

    def connect(self, user: str) -> Any:
        env = self.warehouse.env
        connection = psycopg2.connect(
            host=env["PGHOST"],
            port=env["PGPORT"],
            user=user,
            password=self.passwords[user],
            dbname=env["PGDATABASE"],
        )
        connection.autocommit = True  # each statement alone: a denial aborts nothing else
        return connection

    def drop_all(self) -> None:
        for user in self.passwords:
            self.warehouse.query(f"drop owned by {user}; drop role {user}")


def can_select(connection: Any, relation: str) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"select count(*) from {relation}")
            return True
    except psycopg2.errors.InsufficientPrivilege:
        return False


def test_setup_roles_is_a_postgresql_feature(duckdb_warehouse: Warehouse) -> None:
    result = duckdb_warehouse.cli("setup-roles", check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "greenstream: error: access control is a PostgreSQL feature; "
        "run setup-roles with --target postgres\n",
    )


def test_analyst_reads_gold_and_nothing_else(postgres_warehouse: Warehouse) -> None:
    warehouse = postgres_warehouse
    warehouse.cli("setup-roles")
    warehouse.cli("setup-roles")  # idempotent: the roles exist now
    (warehouse.root / "day.csv").write_bytes(READINGS)
    warehouse.cli("load", "day.csv")
    logins = Logins(warehouse)
    try:
        transformer = logins.create("greenstream_transformer")
        analyst = logins.create("greenstream_analyst")
        loader = logins.create("greenstream_loader")

        # dbt runs as the transformer (greenstream build also creates raw, which the
        # transformer may only read, so dbt is called directly here).
        env = {**warehouse.env, "PGUSER": transformer, "PGPASSWORD": logins.passwords[transformer]}
        build = subprocess.run(
            [
                DBT,
                "build",
                "--exclude-resource-type",
                "unit_test",
                "--target",
                "postgres",
                "--project-dir",
                str(ROOT),
                "--profiles-dir",
                str(ROOT),
            ],
            cwd=warehouse.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert build.returncode == 0, build.stdout[-4000:]

        relations = warehouse.query(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'bronze', 'silver', 'gold', 'snapshots', 'audit') "
            "order by 1, 2"
        )
        schemas = {schema for schema, _ in relations}
        assert schemas == {"raw", "bronze", "silver", "gold", "snapshots", "audit"}
        gold = [f"gold.{name}" for schema, name in relations if schema == "gold"]
        assert len(gold) >= 7
        assert warehouse.scalar("select count(*) from gold.meter_day_quality") == 1

        with closing(logins.connect(analyst)) as connection:
            assert {table: can_select(connection, table) for table in gold} == dict.fromkeys(
                gold, True
            )
            others = [f"{schema}.{name}" for schema, name in relations if schema != "gold"]
            assert {table: can_select(connection, table) for table in others} == dict.fromkeys(
                others, False
            )
            with connection.cursor() as cursor:
                for schema in DENIED_SCHEMAS:
                    with pytest.raises(
                        psycopg2.errors.InsufficientPrivilege,
                        match=f"permission denied for schema {schema}",
                    ):
                        cursor.execute(f"select 1 from {schema}.any_table")

        with closing(logins.connect(loader)) as connection, connection.cursor() as cursor:
            cursor.execute(
                'insert into raw.meter_readings (meter_id, "timestamp", energy_value, '
                "energy_unit, _batch_id, _source_file, _source_line, _file_sha256, _loaded_at) "
                "values ('m9', 'x', '1', 'kW', 'b', 'f.csv', 2, 'h', now())"
            )
            cursor.execute("select count(*) from raw.meter_readings")
            assert cursor.fetchone() == (96 + 1,)
            assert not can_select(connection, "gold.meter_day_quality")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("delete from raw.meter_readings")
    finally:
        logins.drop_all()
