"""Settings read from the environment: one place for every variable the project honours."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TARGETS = ("duckdb", "postgres")


def project_dir() -> Path:
    """The dbt project root (where dbt_project.yml lives)."""
    configured = os.environ.get("GREENSTREAM_PROJECT_DIR")
    if configured:
        return Path(configured).resolve()
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    """Where things live, from `GREENSTREAM_*` variables with their documented defaults."""

    target: str
    duckdb_path: Path
    lake_dir: Path
    dead_letter_dir: Path

    @classmethod
    def from_env(cls, target: str | None = None) -> Settings:
        chosen = target or os.environ.get("GREENSTREAM_TARGET", "duckdb")
        if chosen not in TARGETS:
            raise ValueError(f"unknown target {chosen!r}: use one of {', '.join(TARGETS)}")
        return cls(
            target=chosen,
            duckdb_path=Path(
                os.environ.get("GREENSTREAM_DUCKDB_PATH", "warehouse/greenstream.duckdb")
            ),
            lake_dir=Path(os.environ.get("GREENSTREAM_LAKE_DIR", "lake")),
            dead_letter_dir=Path(os.environ.get("GREENSTREAM_DEAD_LETTER_DIR", "dead_letter")),
        )
