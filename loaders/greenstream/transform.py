"""Running the dbt project (seeds, snapshots, models, tests) from Python."""

from __future__ import annotations

import math
import os
from typing import Any

import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult

from greenstream.errors import UserError
from greenstream.settings import Settings, project_dir
from greenstream.warehouse import time_zone_names


def project_vars() -> dict[str, Any]:
    """The vars declared in dbt_project.yml, with their defaults."""
    with (project_dir() / "dbt_project.yml").open(encoding="utf-8") as handle:
        declared: dict[str, Any] = yaml.safe_load(handle)["vars"]
    return declared


def parse_vars(text: str | None, settings: Settings) -> dict[str, Any]:
    """Parse `--vars` YAML and check every name and type against dbt_project.yml, and the
    values against what the target engine accepts (before anything runs)."""
    if not text:
        return {}
    try:
        given = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UserError(
            f"--vars is not valid YAML ({str(error).splitlines()[0]}); "
            "write it like '{reading_interval_minutes: 30}'"
        ) from error
    if not isinstance(given, dict):
        raise UserError("--vars must be a mapping, like '{reading_interval_minutes: 30}'")
    declared = project_vars()
    for name, value in given.items():
        if name not in declared:
            raise UserError(
                f"unknown var {name!r} in --vars; known vars: {', '.join(sorted(declared))}"
            )
        default = declared[name]
        if isinstance(default, int | float) and not isinstance(default, bool):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise UserError(f"var {name} must be a finite, non-negative number, got {value!r}")
        elif not isinstance(value, str) or not value:
            raise UserError(f"var {name} must be a non-empty string, got {value!r}")
    _check_interval(given.get("reading_interval_minutes"))
    _check_timezone(given.get("local_timezone"), settings)
    return given


def _check_interval(minutes: Any) -> None:
    if minutes is not None and (minutes != int(minutes) or minutes == 0 or 1440 % minutes):
        raise UserError(
            f"var reading_interval_minutes must be a whole number of minutes dividing a day "
            f"(1, 5, 15, 30, 60, ...), got {minutes!r}"
        )


def _check_timezone(zone: Any, settings: Settings) -> None:
    """The zone must be one the engine lists, as written (`right/UTC` is known to Python's
    zoneinfo but not to DuckDB's ICU)."""
    if zone is not None and zone not in time_zone_names(settings):
        raise UserError(
            f"var local_timezone must be an IANA time zone like Europe/London, got {zone!r}, "
            f"which {settings.target} does not list"
        )


def run_dbt(
    command: list[str], settings: Settings, dbt_vars: dict[str, Any] | None = None
) -> dbtRunnerResult:
    """Invoke dbt in-process with the project's profiles and the chosen target."""
    os.environ.setdefault("PGTZ", "UTC")
    root = project_dir()
    args = [
        *command,
        "--project-dir",
        str(root),
        "--profiles-dir",
        str(root),
        "--target",
        settings.target,
    ]
    if dbt_vars:
        args += ["--vars", yaml.safe_dump(dbt_vars, default_flow_style=True).strip()]
    if "DBT_LOG_LEVEL_FILE" not in os.environ:
        # dbt's file log at debug level writes every statement: 8 % of a small build's time
        args += ["--log-level-file", "info"]
    return dbtRunner().invoke(args)
