"""Bronze parsing (SPEC §3) on both engines: every grammar case, exact answers.

Raw rows are inserted directly (as the loader would land them: untrimmed
text), the bronze models are built with dbt, and the staging views are read
back. Each case's answer was worked out by hand; the grammar decisions are
documented in models/bronze/_bronze__docs.md.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

from greenstream.settings import Settings, project_dir
from greenstream.warehouse import Warehouse as RawWarehouse

from conftest import Warehouse

UTC = dt.UTC
LOADED_AT = dt.datetime(2024, 6, 10, 23, 30, tzinfo=UTC)
BRONZE_MODELS = (
    "stg_raw__meter_readings",
    "stg_raw__meter_registry",
    "stg_raw__rejected_rows",
    "stg_raw__load_ledger",
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# (raw timestamp text, expected UTC instant or None when unparseable)
TIMESTAMP_CASES: list[tuple[str | None, dt.datetime | None]] = [
    # every accepted shape
    ("2024-03-05T14:30", utc(2024, 3, 5, 14, 30)),
    ("2024-03-05 14:30", utc(2024, 3, 5, 14, 30)),
    ("2024-03-05T14:30:15", utc(2024, 3, 5, 14, 30, 15)),
    ("2024-03-05 14:30:15", utc(2024, 3, 5, 14, 30, 15)),
    ("2024-03-05T14:30:15.5", utc(2024, 3, 5, 14, 30, 15, 500000)),
    ("2024-03-05T14:30:15.123456", utc(2024, 3, 5, 14, 30, 15, 123456)),
    # beyond microseconds the fraction is truncated, never rounded
    ("2024-03-05T14:30:15.123456789", utc(2024, 3, 5, 14, 30, 15, 123456)),
    ("2024-03-05T23:59:59.9999999", utc(2024, 3, 5, 23, 59, 59, 999999)),
    ("2024-03-05T14:30:00." + "1" * 5000 + "Z", utc(2024, 3, 5, 14, 30, 0, 111111)),
    ("2024-03-05T14:30Z", utc(2024, 3, 5, 14, 30)),
    ("2024-03-05T14:30:00Z", utc(2024, 3, 5, 14, 30)),
    ("2024-03-05T14:30:00+02", utc(2024, 3, 5, 12, 30)),
    ("2024-03-05T14:30+02", utc(2024, 3, 5, 12, 30)),
    ("2024-03-05T14:30:00-0530", utc(2024, 3, 5, 20, 0)),
    ("2024-03-05T14:30:00+05:30", utc(2024, 3, 5, 9, 0)),
    ("2024-03-05 14:30:15.25-03:45", utc(2024, 3, 5, 18, 15, 15, 250000)),
    ("2024-03-05T14:30:00-00", utc(2024, 3, 5, 14, 30)),
    ("2024-03-05T14:30:00+00:00", utc(2024, 3, 5, 14, 30)),
    # offsets that cross midnight, month end and year end
    ("2024-03-05T23:30:00-01:00", utc(2024, 3, 6, 0, 30)),
    ("2024-03-06T00:30+01:00", utc(2024, 3, 5, 23, 30)),
    ("2024-03-01T00:15+0100", utc(2024, 2, 29, 23, 15)),
    ("2023-12-31T23:45-00:30", utc(2024, 1, 1, 0, 15)),
    ("2024-01-01T00:15:00+01", utc(2023, 12, 31, 23, 15)),
    # the largest offsets allowed
    ("2024-03-05T14:30+18:00", utc(2024, 3, 4, 20, 30)),
    ("2024-03-05T14:30-1800", utc(2024, 3, 6, 8, 30)),
    # wall-clock times that a local session zone would skip or repeat
    ("2024-03-31 02:30:00", utc(2024, 3, 31, 2, 30)),
    ("2024-10-27T02:30:00+02:00", utc(2024, 10, 27, 0, 30)),
    # calendar edges
    ("2024-02-29T12:00", utc(2024, 2, 29, 12, 0)),
    ("2000-02-29 00:00", utc(2000, 2, 29, 0, 0)),
    ("2024-12-31T23:59:59", utc(2024, 12, 31, 23, 59, 59)),
    ("0001-01-01T00:00Z", utc(1, 1, 1, 0, 0)),
    ("9999-12-31T23:59:59.999999Z", utc(9999, 12, 31, 23, 59, 59, 999999)),
    # surrounding whitespace is trimmed (spaces, tab, CR, LF)
    ("  2024-03-05T14:30:00Z  ", utc(2024, 3, 5, 14, 30)),
    ("\t2024-03-05 14:30\r\n", utc(2024, 3, 5, 14, 30)),
    # unparseable: shape
    (None, None),
    ("", None),
    ("   ", None),
    ("2024-03-05  14:30", None),  # two spaces
    ("2024-03-05\t14:30", None),  # tab as separator
    ("2024-03-05 T14:30", None),
    ("2024-1-01T00:00", None),  # missing leading zero
    ("2024-03-05T9:00", None),
    ("2024-03-05T14:30:00Zjunk", None),  # trailing garbage
    ("2024-03-05T14:30:00 Z", None),
    ("2024-03-05T14:30:00ZZ", None),
    ("2024-03-05t14:30", None),  # lowercase t
    ("2024-03-05T14:30z", None),  # lowercase z
    ("2024-03-05T14:30:00.", None),  # fraction point without digits
    ("2024-03-05T14:30.5", None),  # fraction without seconds
    ("2024-03-05", None),
    ("2024-03-05T14", None),
    ("20240305T143000Z", None),
    ("2024/03/05 14:30", None),
    ("05-03-2024 14:30", None),
    ("\uff12024-03-05T14:30", None),  # a full-width digit
    ("2024-03-05T14:30:00.123+", None),
    ("2024-03-05T14:30:00+02:00:00", None),
    # unparseable: offsets
    ("2024-03-05T14:30+25:00", None),
    ("2024-03-05T14:30+18:01", None),
    ("2024-03-05T14:30-19", None),
    ("2024-03-05T14:30+05:60", None),
    ("2024-03-05T14:30+1", None),
    ("2024-03-05T14:30+053", None),
    ("2024-03-05T14:30+05:", None),
    # unparseable: impossible dates and times
    ("2024-03-05T24:00", None),
    ("2024-03-05T23:60", None),
    ("2024-03-05T12:00:60", None),
    ("2024-02-30T00:00", None),
    ("2023-02-29T00:00", None),
    ("1900-02-29T00:00", None),  # century, not divisible by 400
    ("2024-04-31T00:00", None),
    ("2024-00-10T00:00", None),
    ("2024-13-01T00:00", None),
    ("2024-03-00T00:00", None),
    ("0000-01-01T00:00", None),
    # the UTC instant must stay within years 0001..9999
    ("0001-01-01T00:30+01:00", None),
    ("9999-12-31T23:30-01:00", None),
    # SQL-ish text is just text
    ("2024-03-05'; drop table raw.meter_readings; --", None),
    ("1' or '1'='1", None),
    ("9" * 5000, None),
]

# (raw energy value, expected number, is missing, is invalid)
NUMBER_CASES: list[tuple[str | None, float | None, bool, bool]] = [
    ("0.163", 0.163, False, False),
    (" 0.163 ", 0.163, False, False),
    ("\t42\r\n", 42.0, False, False),
    (".5", 0.5, False, False),
    ("5.", 5.0, False, False),
    ("+5", 5.0, False, False),
    ("-1.25", -1.25, False, False),
    ("-0", 0.0, False, False),
    ("-0.0", 0.0, False, False),
    ("00012.50", 12.5, False, False),
    ("1e3", 1000.0, False, False),
    ("1E-3", 0.001, False, False),
    ("1.5e+2", 150.0, False, False),
    ("-2.5E0", -2.5, False, False),
    (".5e1", 5.0, False, False),
    ("3.14159265358979323846264338327950288", 3.141592653589793, False, False),
    ("0" * 1000 + "1.5", 1.5, False, False),
    ("1" * 300, float("1" * 300), False, False),
    ("9.99e307", 9.99e307, False, False),
    ("-9.99e307", -9.99e307, False, False),
    ("1e-307", 1e-307, False, False),
    ("0.0000001e-300", 1e-307, False, False),
    # zero mantissa: zero whatever the exponent
    ("0e999999", 0.0, False, False),
    ("-0.000e-99999999999999999999", 0.0, False, False),
    # underflow (magnitude below 1e-307) is 0, not invalid
    ("1e-308", 0.0, False, False),
    ("1e-999", 0.0, False, False),
    ("-1e-999", 0.0, False, False),
    ("0." + "0" * 400 + "1", 0.0, False, False),
    ("1e-99999999999999999999", 0.0, False, False),
    # overflow (magnitude 1e308 or more) is infinite: invalid
    ("1e308", None, False, True),
    ("1e999", None, False, True),
    ("-1e999", None, False, True),
    ("1" + "0" * 400, None, False, True),
    ("1e99999999999999999999", None, False, True),
    ("0.001e311", None, False, True),
    # not numbers
    ("abc", None, False, True),
    ("1.2.3", None, False, True),
    ("inf", None, False, True),
    ("-inf", None, False, True),
    ("infinity", None, False, True),
    ("Infinity", None, False, True),
    ("0x10", None, False, True),
    ("1,5", None, False, True),
    ("1 000", None, False, True),
    ("12kW", None, False, True),
    (".", None, False, True),
    ("+", None, False, True),
    ("-", None, False, True),
    ("e5", None, False, True),
    ("1e", None, False, True),
    ("1e+", None, False, True),
    ("--1", None, False, True),
    ("+-1", None, False, True),
    ("\u0661\u0662", None, False, True),  # Arabic-Indic digits
    ("nan1", None, False, True),
    ("n a", None, False, True),
    ("1; drop table raw.meter_readings", None, False, True),
    ("9" * 5000 + "x", None, False, True),
    # missing tokens, any case, trimmed
    (None, None, True, False),
    ("", None, True, False),
    ("   ", None, True, False),
    ("\t", None, True, False),
    ("NULL", None, True, False),
    ("null", None, True, False),
    ("None", None, True, False),
    ("NONE", None, True, False),
    ("NaN", None, True, False),
    ("nan", None, True, False),
    (" NaN ", None, True, False),
    ("NA", None, True, False),
    ("na", None, True, False),
    ("N/A", None, True, False),
    ("n/a", None, True, False),
]

# (raw text, trimmed text or None when empty) for meter_id and energy_unit
ID_CASES: list[tuple[str | None, str | None]] = [
    ("M001", "M001"),
    ("  M001 ", "M001"),
    ("\tM 001\r\n", "M 001"),
    ("", None),
    ("   ", None),
    (None, None),
    ("M'1; drop table raw.meter_readings; --", "M'1; drop table raw.meter_readings; --"),
]


def _raw_warehouse(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> RawWarehouse:
    """The loader's own connection to this test's warehouse, raw schema created."""
    for name, value in warehouse.env.items():
        if name.startswith(("PG", "GREENSTREAM_")):
            monkeypatch.setenv(name, value)
    raw = RawWarehouse(Settings.from_env(warehouse.target))
    raw.ensure_raw_schema()
    return raw


def _insert_readings(raw: RawWarehouse, rows: list[tuple[Any, ...]]) -> None:
    """rows: (file, line, meter_id, timestamp, energy_value, energy_unit)."""
    with raw.transaction():
        for source_file, line, meter_id, timestamp, value, unit in rows:
            raw.execute(
                "insert into raw.meter_readings values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    meter_id,
                    timestamp,
                    value,
                    unit,
                    f"batch-{source_file}",
                    source_file,
                    line,
                    f"sha-{source_file}",
                    LOADED_AT,
                ],
            )


def _build_bronze(warehouse: Warehouse) -> None:
    """dbt build of the bronze models and their tests; bad input must not fail it.

    dbt itself rather than `greenstream build --select`: with cautious indirect
    selection, tests that also read silver or gold (not built here) are left out.
    """
    dbt = str(Path(sys.executable).with_name("dbt"))
    project = str(project_dir())
    argv = [dbt, "build", "--select", *BRONZE_MODELS, "--indirect-selection", "cautious"]
    argv += ["--project-dir", project, "--profiles-dir", project, "--target", warehouse.target]
    result = subprocess.run(
        argv, cwd=warehouse.root, env=warehouse.env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}"


def _readings_by_line(warehouse: Warehouse, source_file: str, columns: str) -> dict[int, Any]:
    rows = warehouse.query(
        f"select _source_line, {columns} from bronze.stg_raw__meter_readings "
        f"where _source_file = '{source_file}' order by _source_line"
    )
    return {row[0]: row[1:] for row in rows}


def test_bronze_readings_follow_the_grammar(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _raw_warehouse(warehouse, monkeypatch)
    rows: list[tuple[Any, ...]] = []
    for line, (text, _) in enumerate(TIMESTAMP_CASES, start=2):
        rows.append(("timestamps.csv", line, "M001", text, "1", "kWh"))
    for line, (text, *_) in enumerate(NUMBER_CASES, start=2):
        rows.append(("numbers.csv", line, "M001", "2024-03-05T14:30Z", text, "kWh"))
    for line, (text, _) in enumerate(ID_CASES, start=2):
        rows.append(("ids.csv", line, text, "2024-03-05T14:30Z", "1", text))
    _insert_readings(raw, rows)
    raw.close()

    _build_bronze(warehouse)

    assert warehouse.scalar("select count(*) from bronze.stg_raw__meter_readings") == len(rows)

    parsed = _readings_by_line(warehouse, "timestamps.csv", "timestamp_text, reading_at")
    wrong = [
        (text, expected, parsed[line][1])
        for line, (text, expected) in enumerate(TIMESTAMP_CASES, start=2)
        if parsed[line][1] != expected
        or (expected is not None and parsed[line][1].utcoffset() is None)
    ]
    assert wrong == [], "timestamp cases parsed wrongly (text, expected, got)"
    line_of = {text: line for line, (text, _) in enumerate(TIMESTAMP_CASES, start=2)}
    assert [parsed[line_of[text]][0] for text in ("  2024-03-05T14:30:00Z  ", None, "   ")] == [
        "2024-03-05T14:30:00Z",
        None,
        "",
    ]

    numbers = _readings_by_line(
        warehouse,
        "numbers.csv",
        "energy_value_text, energy_value_num, is_energy_value_missing, is_energy_value_invalid",
    )
    wrong_numbers = [
        (text, (number, missing, invalid), numbers[line][1:])
        for line, (text, number, missing, invalid) in enumerate(NUMBER_CASES, start=2)
        if numbers[line][1:] != (number, missing, invalid)
    ]
    assert wrong_numbers == [], "number cases parsed wrongly (text, expected, got)"
    assert numbers[3][0] == "0.163"  # " 0.163 " trimmed
    assert all(isinstance(values[1], float) for values in numbers.values() if values[1] is not None)

    # a view is evaluated in the reader's session: the instants must not move
    in_range = [
        (line, expected)
        for line, (text, expected) in enumerate(TIMESTAMP_CASES, start=2)
        if expected is not None and 1 < expected.year < 9999
    ]
    sql = (
        "select _source_line, reading_at from bronze.stg_raw__meter_readings "
        "where _source_file = 'timestamps.csv' and _source_line in "
        f"({', '.join(str(line) for line, _ in in_range)}) order by _source_line"
    )
    for zone in ("Asia/Kathmandu", "America/St_Johns", "Europe/Berlin"):
        assert _query_in_zone(warehouse, sql, zone) == in_range, zone

    ids = _readings_by_line(warehouse, "ids.csv", "meter_id, energy_unit")
    assert [ids[line] for line in range(2, 2 + len(ID_CASES))] == [
        (expected, expected) for _, expected in ID_CASES
    ]


def _query_in_zone(warehouse: Warehouse, sql: str, zone: str) -> list[tuple[Any, ...]]:
    """Run `sql` in a session whose time zone is `zone` (not the fixture's UTC)."""
    if warehouse.target == "duckdb":
        with duckdb.connect(warehouse.env["GREENSTREAM_DUCKDB_PATH"]) as connection:
            connection.execute(f"set TimeZone = '{zone}'")
            return connection.execute(sql).fetchall()
    env = warehouse.env
    connection = psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD", ""),
        dbname=env["PGDATABASE"],
        options=f"-c TimeZone={zone}",
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        connection.close()


# (raw valid_from, expected effective_from_date); _loaded_at is 2024-06-10 23:30 UTC
VALID_FROM_CASES: list[tuple[str | None, dt.date]] = [
    ("2024-05-01", dt.date(2024, 5, 1)),
    (" 2024-05-01\t", dt.date(2024, 5, 1)),
    ("2024-02-29", dt.date(2024, 2, 29)),
    (None, dt.date(2024, 6, 10)),
    ("", dt.date(2024, 6, 10)),
    ("2023-02-29", dt.date(2024, 6, 10)),
    ("2024-5-1", dt.date(2024, 6, 10)),
    ("01/05/2024", dt.date(2024, 6, 10)),
    ("2024-05-01T00:00", dt.date(2024, 6, 10)),
    ("0000-01-01", dt.date(2024, 6, 10)),
]


def test_bronze_registry_rejected_rows_and_ledger(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _raw_warehouse(warehouse, monkeypatch)
    # loaded late on 2024-06-11 in UTC+02:00, i.e. 2024-06-10 23:30 UTC
    loaded_at = dt.datetime(2024, 6, 11, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with raw.transaction():
        for line, (valid_from, _) in enumerate(VALID_FROM_CASES, start=2):
            raw.execute(
                "insert into raw.meter_registry values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    *(f" M{line} ", " North ", "", f"\tk{line} ", valid_from),
                    *("batch-r", "registry.csv", line, "sha-r", loaded_at),
                ],
            )
        raw.execute(
            "insert into raw.rejected_rows values (?, ?, ?, ?, ?, ?, ?)",
            ["batch-1", "a.csv", 7, "M1,2024-03-05T14:30,1", "too few fields", "sha-1", LOADED_AT],
        )
        raw.execute(
            "insert into raw.load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                *("batch-1", "a.csv", "/in/a.csv", "sha-1", "readings", "loaded", 10, 9, 1),
                *('{"meter_id": "meter_id"}', "[]", None, 1, LOADED_AT, LOADED_AT, 0.25),
            ],
        )
    raw.close()

    _build_bronze(warehouse)

    registry = warehouse.query(
        "select _source_line, meter_id, neighbourhood, tariff, customer_key, "
        "effective_from_date from bronze.stg_raw__meter_registry order by _source_line"
    )
    assert registry == [
        (line, f"M{line}", "North", None, f"k{line}", expected)
        for line, (_, expected) in enumerate(VALID_FROM_CASES, start=2)
    ]
    assert warehouse.query(
        "select _batch_id, _source_file, _source_line, raw_text, reason, _file_sha256 "
        "from bronze.stg_raw__rejected_rows"
    ) == [("batch-1", "a.csv", 7, "M1,2024-03-05T14:30,1", "too few fields", "sha-1")]
    assert warehouse.query(
        "select batch_id, file_kind, status, records, rows_landed, rows_rejected, attempts, "
        "duration_seconds, finished_at from bronze.stg_raw__load_ledger"
    ) == [("batch-1", "readings", "loaded", 10, 9, 1, 1, 0.25, LOADED_AT)]
