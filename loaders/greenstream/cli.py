"""The `greenstream` command line: one verb per job (load, build, run, watch, ...)."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import psycopg2

from greenstream.errors import OneLineError, RunFailed, UserError
from greenstream.load import (
    Loader,
    LoadOptions,
    LoadSummary,
    check_regular_file,
    discover,
    parse_mapping,
)
from greenstream.settings import TARGETS, Settings
from greenstream.warehouse import Warehouse, spark_errors


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default=None,
        help="warehouse to use (default: $GREENSTREAM_TARGET or duckdb)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="greenstream",
        description="Land smart-meter CSV exports and build trustworthy data with dbt.",
        epilog="exit status: 0 done; 1 the run failed (the warehouse unreachable or locked, "
        "a file sent to the dead letter, the build or a test failed); 2 a usage error",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {importlib.metadata.version('greenstream')}",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    load = verbs.add_parser("load", help="land CSV files (and a meter registry) into raw")
    _add_target(load)
    load.add_argument("--registry", type=Path, help="meter registry CSV to land")
    load.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="STD=SRC",
        help="read source column SRC as standard column STD (repeatable)",
    )
    load.add_argument("--unit", help="constant energy unit for files without a unit column")
    load.add_argument("paths", nargs="*", type=Path, help="CSV files or folders")

    build = verbs.add_parser("build", help="dbt build: seeds, snapshots, models and tests")
    _add_target(build)
    build.add_argument("--vars", help="YAML mapping of dbt vars, e.g. '{max_kw: 25}'")
    build.add_argument("--full-refresh", action="store_true", help="rebuild everything from raw")
    build.add_argument("--select", nargs="+", help="dbt selection (default: everything)")

    run = verbs.add_parser("run", help="load, then build")
    _add_target(run)
    run.add_argument("--registry", type=Path, help="meter registry CSV to land")
    run.add_argument("--vars", help="YAML mapping of dbt vars")
    run.add_argument("--map", action="append", default=[], metavar="STD=SRC", help="as for load")
    run.add_argument("--unit", help="as for load")
    run.add_argument("paths", nargs="+", type=Path, help="CSV files or folders")

    generate = verbs.add_parser("generate", help="write realistic synthetic meter data")
    generate.add_argument("--meters", type=int, required=True, help="number of meters")
    generate.add_argument("--days", type=int, required=True, help="number of days")
    generate.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=dt.date(2024, 1, 1),
        help="first day, YYYY-MM-DD (default 2024-01-01)",
    )
    generate.add_argument("--interval", type=int, default=15, help="minutes per reading")
    generate.add_argument("--seed", type=int, default=42, help="random seed (deterministic)")
    generate.add_argument(
        "--files-per",
        choices=("day", "hour", "batch"),
        default="day",
        help="one reading file per day, per hour, or one for the whole batch",
    )
    generate.add_argument("--out", type=Path, required=True, help="output folder")
    generate.add_argument(
        "--fault-rate",
        type=float,
        default=1.0,
        help="multiplier for every fault rate (default 1.0; 0 writes clean data)",
    )
    generate.add_argument(
        "--rate",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="rate of one fault kind, e.g. stuck=0.01 or missing_value=0.05 (repeatable; "
        "an unknown kind lists them all; OUT/manifest.json records every rate used)",
    )

    watch = verbs.add_parser("watch", help="load and build every new file dropped in a folder")
    _add_target(watch)
    watch.add_argument("landing_dir", type=Path, help="folder where CSV files arrive")
    watch.add_argument("--poll", type=float, default=5.0, help="seconds between scans (5)")
    watch.add_argument("--vars", help="YAML mapping of dbt vars")
    watch.add_argument("--map", action="append", default=[], metavar="STD=SRC", help="as for load")
    watch.add_argument("--unit", help="as for load")

    retention = verbs.add_parser(
        "retention", help="move raw rows older than retention_days to the Parquet cold archive"
    )
    _add_target(retention)
    retention.add_argument("--days", type=int, help="keep this many days (default: retention_days)")

    restore = verbs.add_parser("restore", help="bring one archived month back into raw")
    _add_target(restore)
    restore.add_argument("--month", required=True, help="the month to restore, YYYY-MM")

    roles = verbs.add_parser(
        "setup-roles", help="PostgreSQL: create the loader, transformer and analyst roles"
    )
    _add_target(roles)

    report = verbs.add_parser("report", help="write a self-contained HTML quality report")
    _add_target(report)
    report.add_argument("--out", type=Path, default=Path("report.html"), help="output file")

    failures = verbs.add_parser("failures", help="failing and warning dbt tests of the last build")
    _add_target(failures)

    status = verbs.add_parser("status", help="recent runs, files, rows, tiers and dead letters")
    _add_target(status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except OneLineError as error:
        print(f"greenstream: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("greenstream: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`greenstream status | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.verb == "generate":
        from greenstream import generate  # numpy is only needed here

        print(generate.run_from_args(args).describe())
        return 0
    settings = Settings.from_env(args.target)
    if args.verb == "load":
        return _load(args, settings)
    if args.verb == "watch":
        from greenstream import watch

        return watch.main(args, settings)
    if args.verb in ("retention", "restore"):
        from greenstream import retention

        if settings.target == "spark":
            raise UserError(
                f"{args.verb} is not available on Spark yet: there, expire old Iceberg "
                "snapshots and files with the platform's own maintenance (README)"
            )
        return retention.main(args, settings)
    if args.verb == "setup-roles":
        from greenstream import access

        return access.main(args, settings)
    if args.verb == "report":
        from greenstream import report

        return report.main(args, settings)
    if args.verb in ("failures", "status"):
        from greenstream import ops

        return ops.main(args, settings)
    from greenstream.transform import parse_vars  # dbt is slow to import: only when building

    if args.verb == "build":
        return _build(settings, parse_vars(args.vars, settings), args.full_refresh, args.select)
    dbt_vars = parse_vars(args.vars, settings)  # run: check the vars before loading anything
    started_at = dt.datetime.now(dt.UTC)
    summary = _land(args, settings)
    built = _build(
        settings,
        dbt_vars,
        full_refresh=False,
        select=None,
        command="run",
        started_at=started_at,
        files=len(summary.outcomes),
        rows_landed=summary.landed,
    )
    return max(1 if summary.count("dead_letter") else 0, built)


def _load(args: argparse.Namespace, settings: Settings) -> int:
    """`load`: exit 0 when every file landed or was already loaded, 1 when some file went
    to the dead letter."""
    return 1 if _land(args, settings).count("dead_letter") else 0


def _land(args: argparse.Namespace, settings: Settings) -> LoadSummary:
    """Land the files and registry given on the command line."""
    options = LoadOptions(mapping=parse_mapping(args.map, args.unit), unit=args.unit)
    readings = discover(args.paths)
    registry: Path | None = args.registry
    if registry is not None:
        if not registry.exists():
            raise UserError(f"--registry {registry} is not a file; give the registry CSV")
        check_regular_file(registry)
    if not readings and registry is None:
        raise UserError("nothing to load: give CSV files or folders, or --registry FILE")
    warehouse = _open(settings)
    try:
        loader = Loader(warehouse, settings, options)
        try:
            return loader.load(readings, registry)
        finally:
            loader.close()
    finally:
        warehouse.close()


def _build(
    settings: Settings,
    dbt_vars: dict[str, Any],
    full_refresh: bool,
    select: list[str] | None,
    *,
    command: str = "build",
    started_at: dt.datetime | None = None,
    files: int = 0,
    rows_landed: int = 0,
) -> int:
    """`build` (and the build of `run`): dbt build with retries (pipeline.py), recorded in
    audit.pipeline_runs; 1 when dbt still reports errors."""
    from greenstream import pipeline  # dbt is slow to import: only when building

    started_at = started_at or pipeline.now()
    _open(settings).close()  # a clear one-line error when the warehouse is unreachable
    result = pipeline.build(settings, dbt_vars, full_refresh=full_refresh, select=select)
    audit = pipeline.AuditLog()
    pipeline.record_build(
        audit,
        settings,
        result,
        command=command,
        started_at=started_at,
        files=files,
        rows_landed=rows_landed,
    )
    audit.flush(settings)
    if result.success:
        return 0
    print(f"greenstream: error: dbt build failed: {result.error}", file=sys.stderr)
    return 1


def _open(settings: Settings) -> Warehouse:
    """Connect and make sure the raw schema exists (one-line errors)."""
    warehouse = Warehouse(settings)
    try:
        warehouse.ensure_raw_schema()
    except (duckdb.Error, psycopg2.Error, *spark_errors()) as error:
        warehouse.close()
        first = str(error).strip().splitlines()[0]
        raise RunFailed(
            f"cannot create the raw schema on {settings.target}: {first}; "
            "check that the user may create schemas and tables"
        ) from None
    return warehouse


if __name__ == "__main__":
    sys.exit(main())
