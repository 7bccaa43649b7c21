"""Property-based fuzzing of the loader (SPEC §2) with hypothesis, on DuckDB, in-process.

Generated reading files (header variants, BOMs, line endings, quoting, encodings, widths,
huge fields, gzip, empty files) and byte-level mutations of them go through the real
loader into a fresh warehouse each. For every file:

- no exception escapes the loader (so the CLI never shows a traceback);
- it lands: records = landed + rejected, exactly what raw holds for it, and when the
  generator knows its record count (no mutation), records is that count; or it is whole
  in the dead letter with a sidecar and nothing of it lands;
- a second load of it changes nothing.

The example count is bounded (GREENSTREAM_FUZZ_EXAMPLES, default 150: well under a
minute) and derandomized: a run is reproducible, and a failure prints the falsifying
example and a `@reproduce_failure(...)` line to paste above the test to replay it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from greenstream.load import FileOutcome, Loader, LoadOptions
from greenstream.settings import Settings
from greenstream.warehouse import Warehouse

EXAMPLES = int(os.environ.get("GREENSTREAM_FUZZ_EXAMPLES", "150"))
STANDARD = ["meter_id", "timestamp", "energy_value", "energy_unit"]
# characters that stress CSV: separators, quotes, line breaks, spaces, non-ASCII, NUL
FIELD_TEXT = st.one_of(
    st.sampled_from(["m1", "2024-01-01 00:00", "1.5", "kWh", ""]),
    st.text(alphabet='m1 .-:,";\r\n\t\\é€\x00Zk', max_size=12),
)


@dataclass(frozen=True)
class Sample:
    name: str
    content: bytes
    records: int | None  # known record count, None when a mutation made it unknowable


@st.composite
def headers(draw: st.DrawFn) -> list[str]:
    names = list(STANDARD)
    if draw(st.booleans()):
        names = [draw(st.sampled_from([name, name.upper(), f" {name} "])) for name in names]
    if draw(st.booleans()):
        names.insert(draw(st.integers(0, len(names))), draw(st.sampled_from(["site", "x y"])))
    if draw(st.integers(0, 9)) == 5:  # (hypothesis favours the bounds: rare is inside)
        names.pop(draw(st.integers(0, len(names) - 1)))  # a required column missing
    return draw(st.permutations(names))


@st.composite
def samples(draw: st.DrawFn) -> Sample:
    header = draw(headers())
    rows = draw(
        st.lists(
            st.lists(FIELD_TEXT, min_size=len(header) - 1, max_size=len(header) + 1),
            max_size=8,
        )
    )
    if rows and draw(st.integers(0, 14)) == 7:  # a huge field, over the record limit
        rows[0][0] = "9" * draw(st.sampled_from([70_000, 1_100_000]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, None]))
    lines = [_line(header, csv.QUOTE_MINIMAL)] + [_line(row, quoting) for row in rows]
    # the header's line break is mostly a real one: a bare CR there rejects the whole file
    header_end = draw(st.sampled_from(["\n", "\r\n", "\r", "\n", "\r\n"]))
    ending = st.sampled_from(["\n", "\r\n", "\r", "\r\n", "\n"])
    endings = [header_end, *draw(st.lists(ending, min_size=len(rows), max_size=len(rows)))]
    text = "".join(line + ending for line, ending in zip(lines, endings, strict=True))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no final line break
    if draw(st.integers(0, 4)) == 2:
        text = text.replace("\n", "\n\n", 1)  # a blank line
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "utf-8"]))
    content = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 19)) == 9:
        content = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\n", b"meter_id"]))
    mutated = False
    for _ in range(draw(st.integers(0, 3))):  # byte-level mutations
        at = int(draw(st.floats(0.2, 1.0)) * len(content))  # mostly past the header
        byte = bytes([draw(st.sampled_from([0, 10, 13, 34, 44, 0xFF, 0xC3, 32]))])
        action = draw(st.sampled_from(["insert", "replace", "delete"]))
        tail = content[at + 1 :] if action != "insert" else content[at:]
        content = content[:at] + (b"" if action == "delete" else byte) + tail
        mutated = True
    gz = draw(st.integers(0, 4)) == 2
    known = None if mutated else _records(content, encoding)
    if gz:
        whole = gzip.compress(content)
        content = draw(st.sampled_from([whole, whole, whole, whole[:20]]))
    return Sample("fuzz.csv.gz" if gz else "fuzz.csv", content, known)


def _line(fields: list[str], quoting: int | None) -> str:
    if quoting is None:  # written by hand, unquoted: separators in fields break it
        return ",".join(fields)
    out = io.StringIO()
    csv.writer(out, quoting=quoting, lineterminator="").writerow(fields)
    return out.getvalue()


def _records(content: bytes, encoding: str) -> int | None:
    """Records after the header when a plain reading says (valid UTF-8, LF/CRLF only)."""
    if encoding not in ("utf-8", "utf-8-sig") or b"\r" in content.replace(b"\r\n", b""):
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if '"' in text or "\x00" in text:
        return None  # quoted line breaks: the count is the loader's own business
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return sum(1 for line in lines[1:] if line)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(samples())
def test_every_file_lands_exactly_or_goes_whole_to_the_dead_letter(sample: Sample) -> None:
    with tempfile.TemporaryDirectory(prefix="greenstream-fuzz-") as folder:
        root = Path(folder)
        path = root / sample.name
        path.write_bytes(sample.content)
        config = Settings(
            target="duckdb",
            duckdb_path=root / "warehouse.duckdb",
            lake_dir=root / "lake",
            dead_letter_dir=root / "dead_letter",
        )
        warehouse = Warehouse(config)
        try:
            warehouse.ensure_raw_schema()
            first = _load(warehouse, config, path)
            raw_rows, rejected_rows, ledger_landed = _state(warehouse)
            second = _load(warehouse, config, path)
            assert _state(warehouse) == (raw_rows, rejected_rows, ledger_landed)
        finally:
            warehouse.close()
    assert ledger_landed == raw_rows
    event(
        first.status if first.status == "loaded" else (first.error or "")[:50]
    )  # pytest --hypothesis-show-statistics shows the mix
    if first.status == "loaded":
        assert first.records == first.landed + first.rejected
        assert (raw_rows, rejected_rows) == (first.landed, first.rejected)
        if sample.records is not None:
            assert first.records == sample.records
        assert second.status == "skipped_duplicate"
    else:
        assert first.status == "dead_letter", first
        assert (raw_rows, rejected_rows) == (0, 0)
        assert first.error and "\n" not in first.error
        assert second.status == "dead_letter"


def _load(warehouse: Warehouse, config: Settings, path: Path) -> FileOutcome:
    """Load one file; a dead-lettered file must be there whole, with its sidecar."""
    loader = Loader(warehouse, config, LoadOptions(), progress=lambda message: None)
    try:
        outcome = loader.load_file(path, "readings")
    finally:
        loader.close()
    if outcome.status == "dead_letter":
        dead = config.dead_letter_dir
        assert (dead / path.name).read_bytes() == path.read_bytes()
        sidecar = json.loads((dead / f"{path.name}.error.json").read_text(encoding="utf-8"))
        assert sidecar["reason"] == outcome.error
    return outcome


def _state(warehouse: Warehouse) -> tuple[int, int, int]:
    """Rows in raw, rejected rows, and the rows landed according to the ledger."""
    ((raw_rows, rejected, landed),) = warehouse.fetchall(
        "select (select count(*) from raw.meter_readings), "
        "(select count(*) from raw.rejected_rows), "
        "(select coalesce(sum(rows_landed), 0) from raw.load_ledger where status = 'loaded')"
    )
    return int(raw_rows), int(rejected), int(landed)
