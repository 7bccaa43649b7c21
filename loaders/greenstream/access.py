"""`setup-roles`: PostgreSQL roles for the loader, the transformer (dbt) and analysts.

Three NOLOGIN group roles, created once per cluster (roles are cluster-wide) and
granted their privileges in the current database (run it once per database):

- `greenstream_loader` writes raw only: usage and create on schema `raw`, select and
  insert on its tables (no update, no delete: raw is append-only).
- `greenstream_transformer` runs dbt: reads `raw`, owns `bronze`, `silver`, `gold`,
  `snapshots` and `audit` (the schemas and whatever is already in them).
- `greenstream_analyst` reads gold only: usage on `gold`, select on its tables,
  including tables the transformer creates later (default privileges; dbt's `grants`
  config on gold says the same for every build).

People log in as their own users, members of a group role; no password is kept in
the repository. A login user that creates objects should act as its group role so
the objects belong to the group (and default privileges apply):

    create role alice login password '...' in role greenstream_analyst;
    create role dbt_bot login password '...' in role greenstream_transformer;
    alter role dbt_bot set role greenstream_transformer;

Run it as a superuser (or a role with CREATEROLE that owns the database).
"""

from __future__ import annotations

import argparse
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from greenstream.errors import RunFailed, UserError
from greenstream.settings import Settings
from greenstream.warehouse import Warehouse

LOADER = "greenstream_loader"
TRANSFORMER = "greenstream_transformer"
ANALYST = "greenstream_analyst"
ROLES = (LOADER, TRANSFORMER, ANALYST)
DBT_SCHEMAS = ("bronze", "silver", "gold", "snapshots", "audit")
# ALTER <kind> ... OWNER TO, per pg_class.relkind
RELATION_KINDS = {
    "r": "table",
    "p": "table",
    "v": "view",
    "m": "materialized view",
}


def main(args: argparse.Namespace, settings: Settings) -> int:
    if settings.target != "postgres":
        raise UserError(
            "access control is a PostgreSQL feature; run setup-roles with --target postgres"
        )
    warehouse = Warehouse(settings)
    try:
        warehouse.ensure_raw_schema()  # grants below reach the raw tables
        with warehouse.transaction(), warehouse.pg.cursor() as cursor:
            setup_roles(cursor)
    except psycopg2.errors.InsufficientPrivilege as error:
        first = str(error).strip().splitlines()[0]
        raise RunFailed(
            f"setup-roles needs a superuser (or CREATEROLE and the database's owner): {first}"
        ) from None
    finally:
        warehouse.close()
    print(f"{LOADER}: writes raw (usage, create on schema raw; select, insert on raw tables)")
    print(f"{TRANSFORMER}: reads raw; owns {', '.join(DBT_SCHEMAS)} (runs dbt)")
    print(f"{ANALYST}: reads gold only (select on every gold table, now and future)")
    print(
        "log in as your own user, a member of one role, e.g. "
        f"create role alice login password '...' in role {ANALYST}"
    )
    return 0


def setup_roles(cursor: Any) -> None:
    """Create the roles if missing and grant their privileges here (idempotent)."""
    for role in ROLES:
        # Another session may create the role at the same time: both outcomes are fine.
        cursor.execute(
            sql.SQL(
                "do $create$ begin create role {} nologin; "
                "exception when duplicate_object or unique_violation then null; end $create$"
            ).format(sql.Identifier(role))
        )
    loader, transformer, analyst = (sql.Identifier(role) for role in ROLES)
    cursor.execute("select current_database()")
    database = sql.Identifier(cursor.fetchone()[0])
    statements = [
        sql.SQL("grant connect on database {} to {}, {}, {}").format(
            database, loader, transformer, analyst
        ),
        # raw: the loader writes, the transformer reads; also tables created later
        # by this role (the raw DDL) or by the loader.
        sql.SQL("grant usage, create on schema raw to {}").format(loader),
        sql.SQL("grant select, insert on all tables in schema raw to {}").format(loader),
        sql.SQL(
            "alter default privileges in schema raw grant select, insert on tables to {}"
        ).format(loader),
        sql.SQL("grant usage on schema raw to {}").format(transformer),
        sql.SQL("grant select on all tables in schema raw to {}").format(transformer),
        sql.SQL("alter default privileges in schema raw grant select on tables to {}").format(
            transformer
        ),
        sql.SQL(
            "alter default privileges for role {} in schema raw grant select on tables to {}"
        ).format(loader, transformer),
    ]
    for schema in DBT_SCHEMAS:
        statements += [
            sql.SQL("create schema if not exists {} authorization {}").format(
                sql.Identifier(schema), transformer
            ),
            sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), transformer),
        ]
    statements += [
        sql.SQL("grant usage on schema gold to {}").format(analyst),
        sql.SQL("grant select on all tables in schema gold to {}").format(analyst),
        sql.SQL(
            "alter default privileges for role {} in schema gold grant select on tables to {}"
        ).format(transformer, analyst),
    ]
    for statement in statements:
        cursor.execute(statement)
    _hand_over_relations(cursor)


def _hand_over_relations(cursor: Any) -> None:
    """Relations already in the dbt schemas (a build before setup-roles) go to the
    transformer, so dbt can replace them."""
    cursor.execute(
        "select namespace.nspname, class.relname, class.relkind "
        "from pg_class as class "
        "inner join pg_namespace as namespace on class.relnamespace = namespace.oid "
        "where namespace.nspname = any(%s) and class.relkind::text = any(%s) "
        "and pg_get_userbyid(class.relowner) <> %s",
        [list(DBT_SCHEMAS), list(RELATION_KINDS), TRANSFORMER],
    )
    for schema, name, kind in cursor.fetchall():
        cursor.execute(
            sql.SQL("alter {} {}.{} owner to {}").format(
                sql.SQL(RELATION_KINDS[kind]),
                sql.Identifier(schema),
                sql.Identifier(name),
                sql.Identifier(TRANSFORMER),
            )
        )
