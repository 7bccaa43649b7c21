"""The `greenstream` command: user mistakes give one line on stderr and a non-zero exit."""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import GREENSTREAM, HEADER, PII_TEST_KEY, Warehouse, one_line_error


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["load", "missing.csv"], "missing.csv does not exist"),
        (["load", "empty_folder"], "no *.csv or *.csv.gz files in empty_folder"),
        (["load"], "nothing to load"),
        (["load", "--map", "meter_id", "r.csv"], "is not STD=SRC"),
        (["load", "--map", "meter=LCLid", "r.csv"], "'meter' is not a standard column"),
        (["load", "--unit", "kWh", "--map", "energy_unit=u", "r.csv"], "not both"),
        (["load", "--registry", "nope.csv"], "--registry nope.csv is not a file"),
        (
            ["load", "--map", "meter_id=timestamp", "r.csv"],
            "--map: source column 'timestamp' would be read as both meter_id and timestamp",
        ),
        (
            ["load", "--map", "meter_id=x", "--map", "timestamp= X", "r.csv"],
            "--map: source column 'x' would be read as both meter_id and timestamp",
        ),
        (
            ["run", "--map", "energy_value=energy_unit", "r.csv"],
            "--map: source column 'energy_unit' would be read as both energy_value and energy_unit",
        ),
        (["build", "--vars", "{max_kw: [1"], "--vars is not valid YAML"),
        (["build", "--vars", "{no_such_var: 1}"], "unknown var 'no_such_var'"),
        (["run", "--vars", "{max_kw: high}", "r.csv"], "var max_kw must be a finite, non-negative"),
        (["build", "--vars", "{max_kw: .nan}"], "var max_kw must be a finite, non-negative number"),
        (["run", "--vars", "{max_kw: .inf}", "r.csv"], "var max_kw must be a finite, non-negative"),
        (
            ["build", "--vars", "{reading_interval_minutes: .inf}"],
            "var reading_interval_minutes must be a finite, non-negative number, got inf",
        ),
        (
            ["run", "--vars", "{local_timezone: right/UTC}", "r.csv"],
            "var local_timezone must be an IANA time zone like Europe/London, got 'right/UTC'",
        ),
    ],
)
def test_user_mistakes_are_one_line(warehouse: Warehouse, args: list[str], expected: str) -> None:
    (warehouse.root / "empty_folder").mkdir()
    (warehouse.root / "r.csv").write_bytes(HEADER + b"m1,2024-01-01 00:00,1,kWh\n")
    line = one_line_error(warehouse.cli(*args, check=False))
    assert expected in line
    assert warehouse.query(
        "select count(*) from information_schema.tables where table_schema = 'raw'"
    ) == [(0,)]  # nothing ran


def test_a_swap_of_two_columns_is_a_mapping_like_any_other(warehouse: Warehouse) -> None:
    (warehouse.root / "r.csv").write_bytes(HEADER + b"2024-01-01 00:00,m1,1,kWh\n")
    warehouse.cli("load", "--map", "meter_id=timestamp", "--map", "timestamp=meter_id", "r.csv")
    assert warehouse.query('select meter_id, "timestamp" from raw.meter_readings') == [
        ("m1", "2024-01-01 00:00")
    ]


def test_version() -> None:
    result = subprocess.run([GREENSTREAM, "--version"], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "greenstream 0.1.0\n", "")


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_a_pipe_socket_or_device_is_refused_in_one_line(
    duckdb_warehouse: Warehouse, kind: str
) -> None:
    """Reading a named pipe would block for ever (a device may never end)."""
    root = duckdb_warehouse.root
    if kind == "fifo":
        path, what = root / "pipe.csv", "a named pipe"
        os.mkfifo(path)
    elif kind == "socket":
        path, what = root / "sock.csv", "a socket"
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(path))
    else:
        path, what = Path("/dev/zero"), "a device"
    for args in (["load", str(path)], ["load", "--registry", str(path)]):
        result = subprocess.run(
            [GREENSTREAM, *args],
            cwd=root,
            env=duckdb_warehouse.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        line = one_line_error(result)
        assert f"{path} is {what}, not a regular file; give CSV files or folders" in line


def test_run_checks_the_vars_before_loading(warehouse: Warehouse) -> None:
    (warehouse.root / "r.csv").write_bytes(HEADER + b"m1,2024-01-01 00:00,1,kWh\n")
    one_line_error(warehouse.cli("run", "--vars", "{max_kw: -1}", "r.csv", check=False))
    if warehouse.target == "duckdb":
        assert not (warehouse.root / "warehouse.duckdb").exists()
    else:
        assert warehouse.scalar("select count(*) from pg_namespace where nspname = 'raw'") == 0


def test_unreachable_postgres_is_one_line_and_exit_1(duckdb_warehouse: Warehouse) -> None:
    (duckdb_warehouse.root / "r.csv").write_bytes(HEADER)
    env = {**duckdb_warehouse.env, "PGHOST": "127.0.0.1", "PGPORT": "1"}
    result = subprocess.run(
        [GREENSTREAM, "load", "--target", "postgres", "r.csv"],
        cwd=duckdb_warehouse.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    line = one_line_error(result, code=1)  # the run failed; the command was right
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in line
    assert "start the server or set PGHOST" in line


def test_a_locked_duckdb_file_is_one_line_and_exit_1(duckdb_warehouse: Warehouse) -> None:
    (duckdb_warehouse.root / "r.csv").write_bytes(HEADER)
    with duckdb.connect(duckdb_warehouse.env["GREENSTREAM_DUCKDB_PATH"]):
        line = one_line_error(duckdb_warehouse.cli("load", "r.csv", check=False), code=1)
    assert "cannot open the DuckDB file" in line
    assert "close the other program using it" in line


def test_unknown_target_in_the_environment_is_one_line(duckdb_warehouse: Warehouse) -> None:
    env = {**duckdb_warehouse.env, "GREENSTREAM_TARGET": "oracle"}
    result = subprocess.run(
        [GREENSTREAM, "load", "x.csv"],
        cwd=duckdb_warehouse.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "unknown target 'oracle'" in one_line_error(result)


def test_load_reports_progress_per_file_and_a_summary(warehouse: Warehouse) -> None:
    (warehouse.root / "a.csv").write_bytes(HEADER + b"m1,t,1,kWh\nm2,t\n")
    (warehouse.root / "b.csv").write_bytes(b"meter_id\nm1\n")
    result = warehouse.cli("load", "a.csv", "b.csv", check=False)
    assert result.returncode == 1  # a file went to the dead letter
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("greenstream: [1/2] a.csv: 1 rows, 1 rejected, ")
    assert lines[1].startswith("greenstream: [2/2] b.csv: to the dead letter: missing required")
    assert lines[2].startswith(
        "greenstream: done: 1 loaded, 0 skipped (already loaded), 1 to the dead letter"
    )
    assert lines[2].endswith("1 rows landed, 1 rejected")


def test_registry_alone_is_allowed(warehouse: Warehouse) -> None:
    (warehouse.root / "registry.csv").write_bytes(b"meter_id,neighbourhood,tariff\nm1,n,flat\n")
    warehouse.cli("load", "--registry", "registry.csv")
    assert warehouse.query("select meter_id, customer_key, valid_from from raw.meter_registry") == [
        ("m1", None, None)
    ]


def key_file(warehouse: Warehouse) -> Path:
    """Where a generated PII key lives (README, Environment)."""
    if warehouse.target == "duckdb":
        return Path(warehouse.env["GREENSTREAM_DUCKDB_PATH"] + ".pii-key")
    env = warehouse.env
    name = f"{env['PGHOST']}_{env['PGPORT']}_{env['PGDATABASE']}.key".replace("/", "_")
    return Path(env["XDG_CONFIG_HOME"]) / "greenstream" / "pii-keys" / name


REGISTRY = b"meter_id,neighbourhood,tariff,customer_id\nm1,n,flat,C1\n"


def test_without_a_key_one_is_made_once_for_the_warehouse(warehouse: Warehouse) -> None:
    """Two working directories on one warehouse give a customer one key, not two."""
    (warehouse.root / "one").mkdir()
    (warehouse.root / "two").mkdir()
    (warehouse.root / "one" / "registry.csv").write_bytes(REGISTRY)
    (warehouse.root / "two" / "registry.csv").write_bytes(REGISTRY + b"m2,n,flat,C1\n")
    del warehouse.env["GREENSTREAM_PII_KEY"]
    first = warehouse.cli("load", "--registry", "one/registry.csv")
    path = key_file(warehouse)
    assert f"GREENSTREAM_PII_KEY is not set; created a random key in {path}" in first.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    key = path.read_text()
    second = subprocess.run(
        [GREENSTREAM, "load", "--registry", "registry.csv"],
        cwd=warehouse.root / "two",
        env=warehouse.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "GREENSTREAM_PII_KEY" not in second.stderr
    assert path.read_text() == key
    assert not list(warehouse.root.rglob(".greenstream"))
    expected = hmac.new(key.strip().encode(), b"C1", hashlib.sha256).hexdigest()
    assert warehouse.query("select distinct customer_key from raw.meter_registry") == [(expected,)]


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_key_is_refused(warehouse: Warehouse, blank: str) -> None:
    (warehouse.root / "registry.csv").write_bytes(REGISTRY)
    warehouse.env["GREENSTREAM_PII_KEY"] = blank
    line = one_line_error(warehouse.cli("load", "--registry", "registry.csv", check=False))
    assert line == (
        "greenstream: error: GREENSTREAM_PII_KEY is set but blank; set it to a long random "
        "secret, or unset it to use the key generated for the warehouse"
    )


def test_a_load_with_another_key_is_refused(warehouse: Warehouse) -> None:
    (warehouse.root / "registry.csv").write_bytes(REGISTRY)
    (warehouse.root / "registry2.csv").write_bytes(REGISTRY + b"m2,n,flat,C2\n")
    warehouse.cli("load", "--registry", "registry.csv")
    warehouse.env["GREENSTREAM_PII_KEY"] = "another-key"
    line = one_line_error(warehouse.cli("load", "--registry", "registry2.csv", check=False))
    assert line.startswith(
        "greenstream: error: this PII key (GREENSTREAM_PII_KEY) is not the key this "
        "warehouse's customer keys were made with (fingerprint "
    )
    assert warehouse.scalar("select count(*) from raw.meter_registry") == 1
    # what the warehouse keeps is a fingerprint, never the key
    ((fingerprint,),) = warehouse.query("select fingerprint from raw.pii_key_fingerprint")
    assert PII_TEST_KEY not in fingerprint and len(fingerprint) == 64
    assert fingerprint[:12] in line
    del warehouse.env["GREENSTREAM_PII_KEY"]  # no key is made: the warehouse has one
    line = one_line_error(warehouse.cli("load", "--registry", "registry2.csv", check=False))
    path = key_file(warehouse)
    assert line == (
        f"greenstream: error: GREENSTREAM_PII_KEY is not set and there is no key in {path}, "
        f"but this warehouse's customer keys were made with a key (fingerprint "
        f"{fingerprint[:12]}): set GREENSTREAM_PII_KEY to it, or put it in {path}"
    )
    assert not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("yet-another-key\n")
    line = one_line_error(warehouse.cli("load", "--registry", "registry2.csv", check=False))
    assert f"this PII key ({path}) is not the key" in line
    assert warehouse.scalar("select count(*) from raw.meter_registry") == 1


def test_build_runs_dbt_and_passes_its_verdict_on(duckdb_warehouse: Warehouse) -> None:
    result = duckdb_warehouse.cli("build", "--select", "unit_conversions", check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert duckdb_warehouse.scalar("select count(*) from bronze.unit_conversions") == 4
