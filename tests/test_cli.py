"""The `greenstream` command: user mistakes give one line on stderr and a non-zero exit."""

from __future__ import annotations

import subprocess

import duckdb
import pytest

from conftest import GREENSTREAM, HEADER, Warehouse, one_line_error


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
        (["build", "--vars", "{max_kw: [1"], "--vars is not valid YAML"),
        (["build", "--vars", "{no_such_var: 1}"], "unknown var 'no_such_var'"),
        (["run", "--vars", "{max_kw: high}", "r.csv"], "var max_kw must be a non-negative number"),
    ],
)
def test_user_mistakes_are_one_line(warehouse: Warehouse, args: list[str], expected: str) -> None:
    (warehouse.root / "empty_folder").mkdir()
    (warehouse.root / "r.csv").write_bytes(HEADER + b"m1,2024-01-01 00:00,1,kWh\n")
    line = one_line_error(warehouse.cli(*args, check=False))
    assert expected in line


def test_run_checks_the_vars_before_loading(warehouse: Warehouse) -> None:
    (warehouse.root / "r.csv").write_bytes(HEADER + b"m1,2024-01-01 00:00,1,kWh\n")
    one_line_error(warehouse.cli("run", "--vars", "{max_kw: -1}", "r.csv", check=False))
    if warehouse.target == "duckdb":
        assert not (warehouse.root / "warehouse.duckdb").exists()
    else:
        assert warehouse.scalar("select count(*) from pg_namespace where nspname = 'raw'") == 0


def test_unreachable_postgres_is_one_line(duckdb_warehouse: Warehouse) -> None:
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
    line = one_line_error(result)
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in line
    assert "start the server or set PGHOST" in line


def test_a_locked_duckdb_file_is_one_line(duckdb_warehouse: Warehouse) -> None:
    (duckdb_warehouse.root / "r.csv").write_bytes(HEADER)
    with duckdb.connect(duckdb_warehouse.env["GREENSTREAM_DUCKDB_PATH"]):
        line = one_line_error(duckdb_warehouse.cli("load", "r.csv", check=False))
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


def test_without_a_key_one_is_created_once_with_a_warning(warehouse: Warehouse) -> None:
    registry = b"meter_id,neighbourhood,tariff,customer_id\nm1,n,flat,C1\n"
    (warehouse.root / "registry.csv").write_bytes(registry)
    (warehouse.root / "registry2.csv").write_bytes(registry + b"m2,n,flat,C1\n")
    env = {name: value for name, value in warehouse.env.items() if name != "GREENSTREAM_PII_KEY"}
    warehouse.env = env
    first = warehouse.cli("load", "--registry", "registry.csv")
    key_file = warehouse.root / ".greenstream" / "pii.key"
    assert "GREENSTREAM_PII_KEY is not set; created a random key" in first.stderr
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text()
    second = warehouse.cli("load", "--registry", "registry2.csv")
    assert "GREENSTREAM_PII_KEY" not in second.stderr
    assert key_file.read_text() == key
    keys = warehouse.query("select distinct customer_key from raw.meter_registry")
    assert len(keys) == 1  # the same customer got the same key from the same file key


def test_build_runs_dbt_and_passes_its_verdict_on(duckdb_warehouse: Warehouse) -> None:
    result = duckdb_warehouse.cli("build", "--select", "unit_conversions", check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert duckdb_warehouse.scalar("select count(*) from bronze.unit_conversions") == 4
