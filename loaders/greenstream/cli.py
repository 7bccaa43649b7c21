"""The `greenstream` command line: load, build, run, generate."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from greenstream.errors import UserError
from greenstream.settings import TARGETS


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
    run.add_argument(
        "--map", action="append", default=[], metavar="STD=SRC", help="as for load"
    )
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as error:
        print(f"greenstream: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("greenstream: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    raise NotImplementedError(args.verb)


if __name__ == "__main__":
    sys.exit(main())
