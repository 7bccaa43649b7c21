"""The loader (SPEC §2) on both engines, on files written here with answers known by hand.

Line numbers are physical: the header is line 1, and every expected `_source_line`
below was counted by hand in the bytes the test writes.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

from greenstream import load as load_module
from greenstream.load import Landing, Loader, LoadOptions, RetryPolicy
from greenstream.settings import Settings
from greenstream.warehouse import Warehouse as Connection

from conftest import PII_TEST_KEY, Warehouse

HEADER = b"meter_id,timestamp,energy_value,energy_unit"
LONDON = Path(__file__).resolve().parents[2] / "shared" / "data" / "london"


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def readings(warehouse: Warehouse, source_file: str | None = None) -> list[tuple[Any, ...]]:
    where = f"where _source_file = '{source_file}'" if source_file else ""
    return warehouse.query(
        'select _source_line, meter_id, "timestamp", energy_value, energy_unit '
        f"from raw.meter_readings {where} order by _source_file, _source_line"
    )


def rejects(warehouse: Warehouse) -> list[tuple[Any, ...]]:
    return warehouse.query(
        "select _source_file, _source_line, raw_text, reason from raw.rejected_rows "
        "order by _source_file, _source_line"
    )


def ledger(warehouse: Warehouse) -> list[tuple[Any, ...]]:
    return warehouse.query(
        "select file_name, file_kind, status, records, rows_landed, rows_rejected, attempts "
        "from raw.load_ledger order by started_at, file_name"
    )


def test_bom_crlf_blank_lines_and_quoted_line_breaks(warehouse: Warehouse) -> None:
    content = (
        b"\xef\xbb\xbf" + HEADER + b"\r\n"  # line 1
        b"m1,2024-01-01T00:00:00Z, 1.5 ,kWh\r\n"  # line 2
        b"\r\n"  # line 3: blank, not a record
        b'"m2","2024-01-01\r\n00:15",2,"k""W"\r\n'  # lines 4-5: one record
        b"m3,2024-01-01 00:30,,W\r\n"  # line 6: empty value
    )
    write(warehouse.root, "bom.csv", content)
    result = warehouse.cli("load", "bom.csv")
    assert readings(warehouse) == [
        (2, "m1", "2024-01-01T00:00:00Z", " 1.5 ", "kWh"),
        (4, "m2", "2024-01-01\r\n00:15", "2", 'k"W'),
        (6, "m3", "2024-01-01 00:30", "", "W"),
    ]
    assert ledger(warehouse) == [("bom.csv", "readings", "loaded", 3, 3, 0, 1)]
    assert "bom.csv: 3 rows, 0 rejected" in result.stderr


def test_gzip_lands_like_the_plain_file(warehouse: Warehouse) -> None:
    content = HEADER + b"\nm1,2024-01-01 00:00,1,kWh\n\nm2,2024-01-01 00:15,2,kWh\n"
    write(warehouse.root, "plain.csv.gz", gzip.compress(content))
    warehouse.cli("load", "plain.csv.gz")
    assert readings(warehouse) == [
        (2, "m1", "2024-01-01 00:00", "1", "kWh"),
        (4, "m2", "2024-01-01 00:15", "2", "kWh"),
    ]
    digest = hashlib.sha256((warehouse.root / "plain.csv.gz").read_bytes()).hexdigest()
    assert warehouse.scalar("select distinct _file_sha256 from raw.meter_readings") == digest


def test_missing_column_goes_whole_to_the_dead_letter(warehouse: Warehouse) -> None:
    content = b"meter_id,timestamp,energy_value\nm1,2024-01-01 00:00,1\n"
    write(warehouse.root, "no_unit.csv", content)
    write(warehouse.root, "not_gzip.csv.gz", content)
    result = warehouse.cli("load", "no_unit.csv", "not_gzip.csv.gz", check=False)
    assert result.returncode == 1
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 0
    assert warehouse.scalar("select count(*) from raw.rejected_rows") == 0
    dead = warehouse.root / "dead_letter"
    assert (dead / "no_unit.csv").read_bytes() == content
    assert (warehouse.root / "no_unit.csv").exists()  # copied, not moved
    sidecar = json.loads((dead / "no_unit.csv.error.json").read_text())
    assert sidecar["reason"].startswith("missing required column(s) energy_unit;")
    assert sidecar["sha256"] == hashlib.sha256(content).hexdigest()
    assert {"file", "reason", "sha256", "time"} <= set(sidecar)
    gz_sidecar = json.loads((dead / "not_gzip.csv.gz.error.json").read_text())
    assert gz_sidecar["reason"].startswith("named .gz but not a readable gzip file")
    assert warehouse.query(
        "select file_name, status, rows_landed, error is not null from raw.load_ledger "
        "order by file_name"
    ) == [("no_unit.csv", "dead_letter", 0, True), ("not_gzip.csv.gz", "dead_letter", 0, True)]


def test_malformed_and_non_utf8_lines_are_rejected_with_exact_accounting(
    warehouse: Warehouse,
) -> None:
    content = (
        HEADER + b"\n"  # 1
        b"m1,2024-01-01 00:00,1,kWh\n"  # 2 landed
        b"m2,2024-01-01 00:00,1,kWh,extra\n"  # 3 too many
        b"m3,2024-01-01 00:00\n"  # 4 too few
        b"\n"  # 5 blank
        b"m4,2024-01-01 00:00,\xff1,kWh\n"  # 6 invalid UTF-8
        b'm5,"2024-01-01\n00:00",1,kWh,x\n'  # 7-8 too many, over two lines
        b"m6,2024-01-01 00:00,1,kWh,\n"  # 9 trailing delimiter: five fields
        b"m7,2024-01-01 00:00,2\\x,kWh\n"  # 10 landed (a literal backslash)
        b"m8,2024-01-01 00:00,\x00,kWh\n"  # 11 NUL byte
        b"m9,2024-01-01 00:15,3,kWh"  # 12 landed, no final newline
    )
    write(warehouse.root, "bad.csv", content)
    warehouse.cli("load", "bad.csv")
    assert [row[:2] for row in readings(warehouse)] == [(2, "m1"), (10, "m7"), (12, "m9")]
    assert warehouse.scalar(
        "select energy_value from raw.meter_readings where _source_line = 10"
    ) == ("2\\x")
    assert rejects(warehouse) == [
        ("bad.csv", 3, "m2,2024-01-01 00:00,1,kWh,extra", "too many fields (5, header has 4)"),
        ("bad.csv", 4, "m3,2024-01-01 00:00", "too few fields (2, header has 4)"),
        ("bad.csv", 6, "m4,2024-01-01 00:00,\\xff1,kWh", "not valid UTF-8"),
        ("bad.csv", 7, 'm5,"2024-01-01\n00:00",1,kWh,x', "too many fields (5, header has 4)"),
        ("bad.csv", 9, "m6,2024-01-01 00:00,1,kWh,", "too many fields (5, header has 4)"),
        ("bad.csv", 11, "m8,2024-01-01 00:00,\\x00,kWh", "contains a NUL byte"),
    ]
    # 9 records after the header (the blank line is none) = 3 landed + 6 rejected
    assert ledger(warehouse) == [("bad.csv", "readings", "loaded", 9, 3, 6, 1)]


def test_shuffled_extra_and_oddly_written_header_columns(warehouse: Warehouse) -> None:
    content = (
        b" Energy_Unit ,site,ENERGY_VALUE,Timestamp , meter_id,notes\n"
        b"kWh,north,0.25,2024-01-01 00:00,m1,hello\n"
    )
    write(warehouse.root, "shuffled.csv", content)
    warehouse.cli("load", "shuffled.csv")
    assert readings(warehouse) == [(2, "m1", "2024-01-01 00:00", "0.25", "kWh")]
    mapping, ignored = warehouse.query(
        "select column_mapping, ignored_columns from raw.load_ledger"
    )[0]
    assert json.loads(ignored) == ["site", "notes"]
    assert json.loads(mapping) == {
        "columns": {
            "meter_id": " meter_id",
            "timestamp": "Timestamp ",
            "energy_value": "ENERGY_VALUE",
            "energy_unit": " Energy_Unit ",
        }
    }


def test_ids_that_look_like_sql_are_stored_verbatim(warehouse: Warehouse) -> None:
    evil = "x'); drop table raw.meter_readings; --"
    content = (
        HEADER
        + b"\n"
        + f'"{evil}",2024-01-01 00:00,1,kWh\n'.encode()
        + b'"a""b",\'; select 1; --,?,%s\n'
    )
    write(warehouse.root, "it's; --.csv", content)
    warehouse.cli("load", "it's; --.csv")
    assert readings(warehouse) == [
        (2, evil, "2024-01-01 00:00", "1", "kWh"),
        (3, 'a"b', "'; select 1; --", "?", "%s"),
    ]
    assert warehouse.scalar("select distinct _source_file from raw.meter_readings") == (
        "it's; --.csv"
    )


def test_reloading_a_file_lands_nothing_and_the_ledger_says_skipped(
    warehouse: Warehouse,
) -> None:
    write(warehouse.root, "once.csv", HEADER + b"\nm1,2024-01-01 00:00,1,kWh\nm1,x\n")
    warehouse.cli("load", "once.csv")
    second = warehouse.cli("load", "once.csv")
    assert "once.csv: skipped, already loaded" in second.stderr
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 1
    assert warehouse.scalar("select count(*) from raw.rejected_rows") == 1
    assert [row[:6] for row in ledger(warehouse)] == [
        ("once.csv", "readings", "loaded", 2, 1, 1),
        ("once.csv", "readings", "skipped_duplicate", None, 0, 0),
    ]


def test_constant_unit_and_mapped_columns(warehouse: Warehouse) -> None:
    write(warehouse.root, "export.csv", b"id,when,kwh\nm1,2024-01-01 00:00, 0.5 \n")
    warehouse.cli(
        "load", "--map", "meter_id=ID", "--map", "timestamp= when", "--map", "energy_value=kwh",
        "--unit", "kWh", "export.csv",
    )  # fmt: skip
    assert readings(warehouse) == [(2, "m1", "2024-01-01 00:00", " 0.5 ", "kWh")]
    assert json.loads(warehouse.scalar("select column_mapping from raw.load_ledger")) == {
        "columns": {"meter_id": "id", "timestamp": "when", "energy_value": "kwh"},
        "constants": {"energy_unit": "kWh"},
    }


def test_folders_load_their_csv_files_in_name_order(warehouse: Warehouse) -> None:
    folder = warehouse.root / "drop"
    (folder / "sub").mkdir(parents=True)
    write(folder, "b.csv", HEADER + b"\nm2,t,1,kWh\n")
    write(folder, "a.CSV.gz", gzip.compress(HEADER + b"\nm1,t,1,kWh\n"))
    write(folder, "notes.txt", b"not data")
    write(folder / "sub", "c.csv", HEADER + b"\nm3,t,1,kWh\n")
    warehouse.cli("load", "drop")
    assert [row[0] for row in ledger(warehouse)] == ["a.CSV.gz", "b.csv"]


# -- registry and personal data ---------------------------------------------------------

REGISTRY = (
    b"meter_id,neighbourhood,tariff,customer_id,customer_name,address,valid_from\n"
    b"m1,north,flat,C-1001,Ada Lovelace,12 Analytical Row,2024-01-01\n"
    b"m2,north,tou, ,Charles Babbage,1 Difference Street,\n"
    b'm3,south,flat,C-1003,Grace Hopper,"7 Compiler Lane, Apt 2"\n'  # 6 fields
)
PERSONAL = (
    "C-1001", "C-1003", "Ada Lovelace", "Charles Babbage", "Grace Hopper",
    "Analytical Row", "Difference Street", "Compiler Lane", "Lovelace", "Hopper",
)  # fmt: skip


def test_registry_replaces_customers_by_keys_and_keeps_no_personal_data(
    warehouse: Warehouse,
) -> None:
    write(warehouse.root, "registry.csv", REGISTRY)
    write(warehouse.root, "r.csv", HEADER + b"\nm1,2024-01-01 00:00,1,kWh\n")
    warehouse.cli("load", "--registry", "registry.csv", "r.csv")
    key = hmac.new(PII_TEST_KEY.encode(), b"C-1001", hashlib.sha256).hexdigest()
    assert warehouse.query(
        "select meter_id, neighbourhood, tariff, customer_key, valid_from, _source_line "
        "from raw.meter_registry order by _source_line"
    ) == [
        ("m1", "north", "flat", key, "2024-01-01", 2),
        ("m2", "north", "tou", None, "", 3),
    ]
    (line, raw_text, reason), = warehouse.query(
        "select _source_line, raw_text, reason from raw.rejected_rows"
    )  # fmt: skip
    assert (line, reason) == (4, "too few fields (6, header has 7)")
    assert raw_text.startswith("[redacted registry line: ")
    assert ledger(warehouse)[0][:6] == ("registry.csv", "registry", "loaded", 3, 2, 1)
    leaks = _personal_data_in_every_text_column(warehouse, PERSONAL)
    assert leaks == []


def test_a_registry_without_tariff_goes_to_the_dead_letter_without_leaking(
    warehouse: Warehouse,
) -> None:
    content = b"meter_id,neighbourhood,customer_id,customer_name\nm1,north,C-1001,Ada Lovelace\n"
    write(warehouse.root, "registry.csv", content)
    result = warehouse.cli("load", "--registry", "registry.csv", check=False)
    assert result.returncode == 1
    sidecar = (warehouse.root / "dead_letter" / "registry.csv.error.json").read_text()
    assert json.loads(sidecar)["reason"].startswith("missing required column(s) tariff;")
    assert "Lovelace" not in sidecar and "C-1001" not in sidecar
    assert "Lovelace" not in result.stderr and "C-1001" not in result.stderr
    assert ledger(warehouse) == [("registry.csv", "registry", "dead_letter", None, 0, 0, 0)]
    assert warehouse.scalar("select count(*) from raw.meter_registry") == 0


def _personal_data_in_every_text_column(
    warehouse: Warehouse, needles: tuple[str, ...]
) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text column of every table holding a needle."""
    if warehouse.target == "duckdb":
        columns = warehouse.query(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        )
    else:
        columns = warehouse.query(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type in ('text', 'character varying') "
            "and table_schema not in ('pg_catalog', 'information_schema')"
        )
    assert any(table == "meter_registry" for _, table, _ in columns)
    leaks = []
    for schema, table, column in columns:
        for needle in needles:
            found = warehouse.scalar(
                f'select count(*) from "{schema}"."{table}" '
                f"where strpos(lower(\"{column}\"), lower('{needle}')) > 0"
            )
            if found:
                leaks.append((f"{schema}.{table}", column, needle))
    return leaks


# -- failures inside the warehouse: atomicity and retries (in-process) -----------------


@pytest.fixture
def connect(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point this process's environment at the test's warehouse."""
    for name, value in warehouse.env.items():
        if name.startswith(("PG", "GREENSTREAM_")):
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(warehouse.root)
    yield


def _loader(sleeps: list[float]) -> tuple[Connection, Loader]:
    settings = Settings.from_env()
    connection = Connection(settings)
    connection.ensure_raw_schema()
    loader = Loader(
        connection, settings, LoadOptions(),
        retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 0.5), progress=lambda message: None,
    )  # fmt: skip
    return connection, loader


def _transient(target: str) -> Exception:
    if target == "duckdb":
        return duckdb.TransactionException("Conflict on update")
    return psycopg2.OperationalError("server closed the connection unexpectedly")


MIXED = HEADER + b"\nm1,2024-01-01 00:00,1,kWh\nm2,too,few\n"


@pytest.mark.usefixtures("connect")
def test_a_failure_after_the_readings_were_inserted_lands_nothing(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(warehouse.root, "mid.csv", MIXED)
    inserted: list[str] = []
    real_insert = Landing.insert_readings

    def insert_readings(self: Landing, select_sql: str) -> None:
        real_insert(self, select_sql)
        inserted.append(select_sql)

    def insert_rejects(self: Landing, select_sql: str) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Landing, "insert_readings", insert_readings)
    monkeypatch.setattr(Landing, "insert_rejects", insert_rejects)
    sleeps: list[float] = []
    connection, loader = _loader(sleeps)
    outcome = loader.load_file(path, "readings")
    loader.close()
    connection.close()
    assert len(inserted) == 1  # the readings were inserted, then the transaction failed
    assert (outcome.status, outcome.attempts, sleeps) == ("dead_letter", 1, [])
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 0
    assert warehouse.scalar("select count(*) from raw.rejected_rows") == 0
    assert ledger(warehouse) == [("mid.csv", "readings", "dead_letter", None, 0, 0, 1)]
    sidecar = json.loads((warehouse.root / "dead_letter" / "mid.csv.error.json").read_text())
    assert sidecar["reason"] == "warehouse refused the file: RuntimeError: disk on fire"


@pytest.mark.usefixtures("connect")
def test_transient_errors_are_retried_with_growing_jittered_delays(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(warehouse.root, "flaky.csv", MIXED)
    calls: list[int] = []
    real_insert = Landing.insert_rejects

    def insert_rejects(self: Landing, select_sql: str) -> None:
        calls.append(1)
        if len(calls) <= 2:
            raise _transient(warehouse.target)
        real_insert(self, select_sql)

    monkeypatch.setattr(Landing, "insert_rejects", insert_rejects)
    sleeps: list[float] = []
    connection, loader = _loader(sleeps)
    outcome = loader.load_file(path, "readings")
    loader.close()
    connection.close()
    assert (outcome.status, outcome.attempts, len(calls)) == ("loaded", 3, 3)
    assert sleeps == [0.5 * 1.25, 1.0 * 1.25]  # base 0.5 s doubling, jitter 0.5 -> +25 %
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 1
    assert warehouse.scalar("select count(*) from raw.rejected_rows") == 1
    assert ledger(warehouse) == [("flaky.csv", "readings", "loaded", 2, 1, 1, 3)]


@pytest.mark.usefixtures("connect")
def test_a_file_still_failing_after_three_retries_goes_to_the_dead_letter(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(warehouse.root, "down.csv", MIXED)

    def insert_readings(self: Landing, select_sql: str) -> None:
        raise _transient(warehouse.target)

    monkeypatch.setattr(Landing, "insert_readings", insert_readings)
    sleeps: list[float] = []
    connection, loader = _loader(sleeps)
    outcome = loader.load_file(path, "readings")
    loader.close()
    connection.close()
    assert (outcome.status, outcome.attempts) == ("dead_letter", 4)
    assert sleeps == [0.625, 1.25, 2.5]
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 0
    assert ledger(warehouse) == [("down.csv", "readings", "dead_letter", None, 0, 0, 4)]
    assert (warehouse.root / "dead_letter" / "down.csv").exists()


def test_backoff_grows_exponentially_within_its_jitter_bounds() -> None:
    for attempt, base in ((1, 0.5), (2, 1.0), (3, 2.0)):
        assert load_module.backoff_seconds(attempt, 0.0) == base
        assert load_module.backoff_seconds(attempt, 0.999) < base * 1.5
    assert load_module.backoff_seconds(1, 0.999) < load_module.backoff_seconds(2, 0.0)
    assert load_module.backoff_seconds(2, 0.999) < load_module.backoff_seconds(3, 0.0)


@pytest.mark.usefixtures("connect")
def test_move_sends_the_file_itself_to_the_dead_letter(warehouse: Warehouse) -> None:
    path = write(warehouse.root, "moved.csv", b"meter_id\nm1\n")
    settings = Settings.from_env()
    connection = Connection(settings)
    connection.ensure_raw_schema()
    loader = Loader(connection, settings, LoadOptions(move=True), progress=lambda message: None)
    outcome = loader.load_file(path, "readings")
    loader.close()
    connection.close()
    assert outcome.status == "dead_letter"
    assert not path.exists()
    assert (warehouse.root / "dead_letter" / "moved.csv").read_bytes() == b"meter_id\nm1\n"


# -- the real London export, mapped ----------------------------------------------------


def test_london_export_lands_as_read(warehouse: Warehouse) -> None:
    files = [LONDON / "MAC000128.csv", LONDON / "MAC000134.csv"]
    warehouse.cli(
        "load", "--map", "meter_id=LCLid", "--map", "timestamp=tstp",
        "--map", "energy_value=energy(kWh/hh)", "--unit", "kWh", *files,
    )  # fmt: skip
    for path in files:
        lines = path.read_bytes().count(b"\n")
        landed = warehouse.scalar(
            f"select count(*) from raw.meter_readings where _source_file = '{path.name}'"
        )
        assert landed == lines - 1
        assert (
            warehouse.scalar(
                "select max(_source_line) from raw.meter_readings "
                f"where _source_file = '{path.name}'"
            )
            == lines
        )
    assert warehouse.query(
        'select meter_id, "timestamp", energy_value, energy_unit from raw.meter_readings '
        "where _source_file = 'MAC000128.csv' and _source_line = 2"
    ) == [("MAC000128", "2013-01-01 00:00:00", " 0.163 ", "kWh")]
    assert warehouse.scalar("select count(*) from raw.rejected_rows") == 0


# -- what head-end systems really send (issue 12) ----------------------------------------


def test_a_path_with_glob_characters_loads_exactly_that_file(warehouse: Warehouse) -> None:
    """`h[1].csv` is a file name, not a pattern matching h1.csv (nor are `*`, `?`, `{}`)."""
    write(warehouse.root, "h1.csv", HEADER + b"\nplain,2024-01-01 00:00,1,kWh\n")
    names = ["h[1].csv", "a*b.csv", "q?.csv", "br{a,b}.csv", "~tilde.csv"]
    for number, name in enumerate(names):
        write(warehouse.root, name, HEADER + f"\nm{number},2024-01-01 00:00,1,kWh\n".encode())
    warehouse.cli("load", "h1.csv", *names)
    assert warehouse.query(
        "select _source_file, meter_id from raw.meter_readings order by _source_file"
    ) == sorted([("h1.csv", "plain"), *((name, f"m{n}") for n, name in enumerate(names))])
    assert warehouse.scalar("select count(*) from raw.load_ledger where status = 'loaded'") == 6


def test_bare_cr_file_goes_to_the_dead_letter_and_the_next_file_lands(
    warehouse: Warehouse,
) -> None:
    """Classic Mac line endings: no traceback; a reason; the files after it still land."""
    content = HEADER + b"\rm1,2024-01-01 00:00,1,kWh\rm2,2024-01-01 00:15,2,kWh\r"
    write(warehouse.root, "a_mac.csv", content)
    write(warehouse.root, "b_ok.csv", HEADER + b"\nm3,2024-01-01 00:00,1,kWh\n")
    result = warehouse.cli("load", "a_mac.csv", "b_ok.csv", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    reason = (
        "line 1 holds a carriage return (CR): the file ends its lines with a bare CR "
        "(classic Mac OS); export it with LF or CRLF line endings"
    )
    sidecar = json.loads((warehouse.root / "dead_letter" / "a_mac.csv.error.json").read_text())
    assert sidecar["reason"] == reason
    assert ledger(warehouse) == [
        ("a_mac.csv", "readings", "dead_letter", None, 0, 0, 0),
        ("b_ok.csv", "readings", "loaded", 1, 1, 0, 1),
    ]
    assert readings(warehouse) == [(2, "m3", "2024-01-01 00:00", "1", "kWh")]


def test_mixed_crlf_and_lf_line_endings_are_records_like_any_other(
    warehouse: Warehouse,
) -> None:
    content = (
        HEADER + b"\r\n"  # 1
        b"m1,2024-01-01 00:00,1,kWh\r\n"  # 2
        b'm2,"2024-01-01\r\n00:15",2,kWh\r\n'  # 3-4: a CRLF inside quotes is field text
        b"m3,2024-01-01 00:30,3,kWh\n"  # 5: an appended LF line
        b"\n"  # 6: blank
        b"m4,2024-01-01 00:45,4\n"  # 7: too few fields
        b"m5,2024-01-01 01:00,5,kWh\r\n"  # 8
        b"m6,2024-01-01 01:15,6,kWh"  # 9: no final line break
    )
    write(warehouse.root, "mixed.csv", content)
    warehouse.cli("load", "mixed.csv")
    assert readings(warehouse) == [
        (2, "m1", "2024-01-01 00:00", "1", "kWh"),
        (3, "m2", "2024-01-01\r\n00:15", "2", "kWh"),
        (5, "m3", "2024-01-01 00:30", "3", "kWh"),
        (8, "m5", "2024-01-01 01:00", "5", "kWh"),
        (9, "m6", "2024-01-01 01:15", "6", "kWh"),
    ]
    assert rejects(warehouse) == [
        ("mixed.csv", 7, "m4,2024-01-01 00:45,4", "too few fields (3, header has 4)")
    ]
    assert ledger(warehouse) == [("mixed.csv", "readings", "loaded", 6, 5, 1, 1)]


def test_a_cr_inside_an_unquoted_field_rejects_that_record_alone(warehouse: Warehouse) -> None:
    content = HEADER + b"\nm1,2024-01-01 00:00,1,kWh\nm2,2024-01-01\r00:15,2,kWh\nm3,t,3,kWh\n"
    write(warehouse.root, "cr.csv", content)
    warehouse.cli("load", "cr.csv")
    assert [row[:2] for row in readings(warehouse)] == [(2, "m1"), (4, "m3")]
    assert rejects(warehouse) == [
        ("cr.csv", 3, "m2,2024-01-01\r00:15,2,kWh", "carriage return (CR) outside quotes")
    ]


@pytest.mark.parametrize("size", [3_000_000, 40_000_000])
def test_an_over_long_record_is_one_rejected_row_and_the_rest_lands(
    warehouse: Warehouse, size: int
) -> None:
    long_line = b"m2,2024-01-01 00:15," + b"9" * size + b",kWh"
    content = (
        HEADER + b"\nm1,2024-01-01 00:00,1,kWh\n" + long_line + b'\nm3,"2024-01-01 00:30",3,kWh\n'
    )
    write(warehouse.root, "long.csv", content)
    warehouse.cli("load", "long.csv")
    assert [row[:2] for row in readings(warehouse)] == [(2, "m1"), (4, "m3")]
    reason = f"record too long ({len(long_line):,} bytes; the limit is 1,048,576)"
    assert warehouse.query(
        "select _source_line, length(raw_text), reason from raw.rejected_rows"
    ) == [(3, len(long_line), reason)]
    assert ledger(warehouse) == [("long.csv", "readings", "loaded", 3, 2, 1, 1)]


def test_a_registry_without_a_header_row_leaks_nothing(warehouse: Warehouse) -> None:
    """Its first line (a customer) is taken for the header: the reason must not quote it."""
    content = REGISTRY.split(b"\n", 1)[1]  # the records, no header
    write(warehouse.root, "registry.csv", content)
    result = warehouse.cli("load", "--registry", "registry.csv", check=False)
    assert result.returncode == 1
    sidecar = (warehouse.root / "dead_letter" / "registry.csv.error.json").read_text()
    reason = json.loads(sidecar)["reason"]
    assert reason.startswith("missing required column(s) meter_id, neighbourhood, tariff; ")
    status = warehouse.cli("status", check=False)
    for text in (sidecar, result.stderr, status.stdout, status.stderr):
        assert [word for word in PERSONAL if word in text] == []
    assert _personal_data_in_every_text_column(warehouse, PERSONAL) == []
