"""User mistakes not covered by test_cli.py: one line that says what happened and what to
do, a non-zero exit, no traceback. On the real `greenstream` command, both engines."""

from __future__ import annotations

import json
import socket
import subprocess

import duckdb
import pytest

from conftest import GREENSTREAM, HEADER, Warehouse, one_line_error


def _where(warehouse: Warehouse) -> str:
    if warehouse.target == "duckdb":
        return f"no DuckDB warehouse at {warehouse.env['GREENSTREAM_DUCKDB_PATH']}"
    env = warehouse.env
    return f"postgres {env['PGHOST']}:{env['PGPORT']}/{env['PGDATABASE']}"


@pytest.mark.parametrize("verb", ["report", "status"])
def test_report_and_status_on_an_empty_warehouse(warehouse: Warehouse, verb: str) -> None:
    line = one_line_error(warehouse.cli(verb, check=False), code=1)
    assert _where(warehouse) in line
    assert "load and build first" in line or "load files first" in line
    assert "greenstream run --registry REGISTRY.csv READINGS_FOLDER" in line


def test_report_after_a_load_without_a_build(warehouse: Warehouse) -> None:
    (warehouse.root / "r.csv").write_bytes(HEADER + b"m1,2024-01-01 00:00,1,kW\n")
    warehouse.cli("load", "r.csv")
    line = one_line_error(warehouse.cli("report", check=False), code=1)
    assert "no gold data in " in line
    assert line.endswith(
        "yet: load and build first (greenstream run --registry REGISTRY.csv READINGS_FOLDER)"
    )


def test_failures_before_any_build(warehouse: Warehouse) -> None:
    (warehouse.root / "r.csv").write_bytes(HEADER + b"m1,2024-01-01 00:00,1,kW\n")
    warehouse.cli("load", "r.csv")
    line = one_line_error(warehouse.cli("failures", check=False), code=1)
    env = warehouse.env
    where = (
        f"duckdb {env['GREENSTREAM_DUCKDB_PATH']}"
        if warehouse.target == "duckdb"
        else f"postgres {env['PGHOST']}:{env['PGPORT']}/{env['PGDATABASE']}"
    )
    assert line == (
        f"greenstream: error: no dbt build recorded in {where} yet: run greenstream build "
        "(or greenstream run) first"
    )


def test_report_into_a_missing_folder(warehouse: Warehouse) -> None:
    line = one_line_error(warehouse.cli("report", "--out", "nowhere/r.html", check=False))
    assert line == (
        "greenstream: error: cannot write the report to nowhere/r.html: the folder nowhere "
        "does not exist; create it or give another --out"
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("[1, 2]", "--vars must be a mapping, like '{reading_interval_minutes: 30}'"),
        (
            "{local_timezone: Mars/Base}",
            "var local_timezone must be an IANA time zone like Europe/London, got 'Mars/Base'",
        ),
        (
            "{reading_interval_minutes: 7}",
            "var reading_interval_minutes must be a whole number of minutes dividing a day",
        ),
        ("{local_timezone: ''}", "var local_timezone must be a non-empty string"),
    ],
)
def test_bad_vars(duckdb_warehouse: Warehouse, given: str, expected: str) -> None:
    line = one_line_error(duckdb_warehouse.cli("build", "--vars", given, check=False))
    assert expected in line


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


@pytest.mark.parametrize("verb", ["build", "report", "status"])
def test_no_postgres_server(duckdb_warehouse: Warehouse, verb: str) -> None:
    port = _closed_port()
    env = {**duckdb_warehouse.env, "PGHOST": "127.0.0.1", "PGPORT": str(port)}
    result = subprocess.run(
        [GREENSTREAM, verb, "--target", "postgres"],
        cwd=duckdb_warehouse.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    line = one_line_error(result, code=1)
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}" in line
    assert line.endswith(
        "start the server or set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE"
    )


@pytest.mark.parametrize("verb", ["build", "report", "status"])
def test_a_locked_duckdb_file(duckdb_warehouse: Warehouse, verb: str) -> None:
    path = duckdb_warehouse.env["GREENSTREAM_DUCKDB_PATH"]
    with duckdb.connect(path):  # another program holds the write lock
        line = one_line_error(duckdb_warehouse.cli(verb, check=False), code=1)
    assert f"cannot open the DuckDB file {path}: " in line
    assert "close the other program using it" in line
    assert line.endswith("and try again")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
            "the header line is not valid UTF-8 text, so this is no CSV export (an image, a "
            "spreadsheet, another encoding?); save it as UTF-8 CSV and load that",
        ),
        (
            b'[{"meter_id": "m1", "timestamp": "2024-01-01 00:00"}]\n',
            "this is JSON, not CSV; export the data as CSV with a header row",
        ),
        (
            b"meter_id;timestamp;energy_value;energy_unit\nm1;2024-01-01 00:00;1;kW\n",
            "the header is one column holding ';': the file is separated by ';', not commas; "
            "export it comma-separated",
        ),
        (
            b"\xef\xbb\xbf",
            "empty file: no header line; export the file again",
        ),
    ],
    ids=["png", "json", "semicolons", "empty"],
)
def test_a_file_in_the_wrong_format_goes_to_the_dead_letter(
    warehouse: Warehouse, content: bytes, reason: str
) -> None:
    (warehouse.root / "meter.csv").write_bytes(content)
    result = warehouse.cli("load", "meter.csv", check=False)
    assert result.returncode == 1  # a file went to the dead letter
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"greenstream: [1/1] meter.csv: to the dead letter: {reason}; ")
    dead = warehouse.root / "dead_letter"
    assert (dead / "meter.csv").read_bytes() == content
    assert json.loads((dead / "meter.csv.error.json").read_text())["reason"] == reason
    assert warehouse.query("select status, error from raw.load_ledger") == [("dead_letter", reason)]
