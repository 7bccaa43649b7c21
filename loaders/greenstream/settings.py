"""Settings read from the environment: one place for every variable the project honours."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from greenstream.errors import UserError

TARGETS = ("duckdb", "postgres", "spark")
PII_KEY_ENV = "GREENSTREAM_PII_KEY"


def project_dir() -> Path:
    """The dbt project root (where dbt_project.yml lives)."""
    configured = os.environ.get("GREENSTREAM_PROJECT_DIR")
    if configured:
        return Path(configured).resolve()
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PostgresAddress:
    """Which PostgreSQL server and database: PGHOST, PGPORT, PGDATABASE (and defaults)."""

    host: str
    port: str
    database: str

    @classmethod
    def from_env(cls) -> PostgresAddress:
        return cls(
            host=os.environ.get("PGHOST", "127.0.0.1"),
            port=os.environ.get("PGPORT", "5432"),
            database=os.environ.get("PGDATABASE", "greenstream"),
        )


@dataclass(frozen=True)
class SparkAddress:
    """Which Spark Thrift Server (GREENSTREAM_SPARK_HOST, GREENSTREAM_SPARK_PORT), and the
    folder the loader stages Parquet files in for it to read (GREENSTREAM_SPARK_STAGING_DIR:
    a path the server sees too; default `<lake>/_spark_staging`)."""

    host: str
    port: int
    staging_dir: Path

    @classmethod
    def from_env(cls, lake_dir: Path) -> SparkAddress:
        port = os.environ.get("GREENSTREAM_SPARK_PORT", "10000")
        if not port.isdigit():
            raise UserError(f"GREENSTREAM_SPARK_PORT must be a port number, got {port!r}")
        staging = os.environ.get("GREENSTREAM_SPARK_STAGING_DIR")
        return cls(
            host=os.environ.get("GREENSTREAM_SPARK_HOST", "127.0.0.1"),
            port=int(port),
            staging_dir=Path(staging) if staging else lake_dir.absolute() / "_spark_staging",
        )


@dataclass(frozen=True)
class Settings:
    """Where things live, from `GREENSTREAM_*` variables with their documented defaults."""

    target: str
    duckdb_path: Path
    lake_dir: Path
    dead_letter_dir: Path
    pii_key: str | None = None  # GREENSTREAM_PII_KEY; None: the warehouse's generated key

    @classmethod
    def from_env(cls, target: str | None = None) -> Settings:
        chosen = target or os.environ.get("GREENSTREAM_TARGET", "duckdb")
        if chosen not in TARGETS:
            raise UserError(
                f"unknown target {chosen!r}: use one of {', '.join(TARGETS)} "
                "(check GREENSTREAM_TARGET)"
            )
        pii_key = os.environ.get(PII_KEY_ENV)
        if pii_key is not None and not pii_key.strip():
            raise UserError(
                f"{PII_KEY_ENV} is set but blank; set it to a long random secret, or unset it "
                "to use the key generated for the warehouse"
            )
        return cls(
            target=chosen,
            duckdb_path=Path(
                os.environ.get("GREENSTREAM_DUCKDB_PATH", "warehouse/greenstream.duckdb")
            ),
            lake_dir=Path(os.environ.get("GREENSTREAM_LAKE_DIR", "lake")),
            dead_letter_dir=Path(os.environ.get("GREENSTREAM_DEAD_LETTER_DIR", "dead_letter")),
            pii_key=pii_key,
        )
