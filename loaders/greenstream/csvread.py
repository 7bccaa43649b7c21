"""Reading one CSV file with DuckDB's reader, with exact physical line numbers.

DuckDB's CSV reader parses the records (all varchar, comma, RFC 4180 double-quote
quoting, header) and its rejects handling names the records it could not read, with
the byte offset where each starts. It cannot number the records it did read, so a
scan of the raw bytes supplies the physical line numbers:

* the header is line 1, blank lines are not records, a record whose quoted field holds
  line breaks starts on its first line and spans several;
* when the file's line count equals header + records + blank lines, no record spans
  lines (proof in `_line_layout`) and the landed records are simply the lines that are
  neither blank nor rejected, in order: a binary search over the few gaps turns the
  reader's row order into line numbers (a POSITIONAL JOIN), so the common case costs a few passes
  over the bytes in C;
* otherwise a quote-parity scan of every line finds where each record starts.

Before the reader, a screen of the bytes (numpy; a second, quote-aware pass only when
the first finds something) takes out what DuckDB's strict reader cannot take one record at
a time: line endings that mix CRLF and LF (the CR of a record's line break is dropped;
line breaks inside quotes are field text and stay), a carriage return outside quotes that
ends no line, and records longer than MAX_RECORD_BYTES. Such a record is rejected here
and its lines are left blank, so the reader skips it and every line keeps its number.

DuckDB reads a copy of exactly those bytes in a stage file with a fixed name: a path is
never read as a glob pattern (`h[1].csv` is that file, not `h1.csv`) and the bytes read
are the bytes hashed.

Every file is checked for zero data loss: records = rows read + rows rejected, or the
file is refused whole.
"""

from __future__ import annotations

import bisect
import csv
import functools
import gzip
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from greenstream.errors import first_line

BOM = b"\xef\xbb\xbf"
STAGE_TABLE = "gs_stage"
STAGE_VIEW = "gs_stage_lines"
REJECTS_TABLE = "gs_stage_rejects"
_READER_REJECTS = "gs_reader_errors"
_READER_SCANS = "gs_reader_scans"
_BREAKS_TABLE = "gs_stage_breaks"
MAX_RECORD_BYTES = 1_048_576  # a longer record is rejected (DuckDB's max_line_size is set to it)
# A NUL byte, or a line ending in an empty field (unquoted or "") (see `_Layout.suspects`).
_SUSPECT_ENDINGS = (b",", b",\r", b',""', b',""\r')
_LF, _CR, _COMMA, _QUOTE = (ord(mark) for mark in '\n\r,"')
_REASONS = {
    "TOO MANY COLUMNS": "too many fields",
    "MISSING COLUMNS": "too few fields",
    "INVALID ENCODING": "not valid UTF-8",
    "UNQUOTED VALUE": "bad quoting",
    "LINE SIZE OVER MAXIMUM": "record too long",
    "INVALID STATE": "unreadable record",
    "CAST": "unreadable record",
}


class FileRejected(Exception):
    """The file cannot be read at all (or lacks a required column): it goes to the dead letter.

    The message is a short reason built here, never text taken from the file's records.
    """


@dataclass(frozen=True)
class Reject:
    """One record that could not be read: its first physical line, its text, and why."""

    line: int
    raw_text: str
    reason: str


@dataclass
class ParsedFile:
    """A file read into the parse connection.

    `STAGE_VIEW` holds one row per landed record: the header's columns as `c0..cN` (text
    as read; an empty field is the empty string) and `_source_line`.
    `REJECTS_TABLE` holds (`_source_line`, `raw_text`, `reason`) per rejected record.
    """

    header: list[str]
    records: int
    landed: int
    rejects: list[Reject] = field(default_factory=list)


def read_bytes(path: Path) -> bytes:
    """The file's bytes as stored (what its SHA-256 is taken of)."""
    return path.read_bytes()


def decompress(path: Path, stored: bytes) -> bytes:
    """The CSV text of the file: gunzipped when it is named `.gz`."""
    if not path.name.lower().endswith(".gz"):
        return stored
    try:
        return gzip.decompress(stored)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise FileRejected(
            f"named .gz but not a readable gzip file ({error}); send the file again"
        ) from error


def readable_text(raw: bytes) -> tuple[str, bool]:
    """The text of a line, and whether it is clean (valid UTF-8 without NUL bytes).

    A clean line is returned exactly. Otherwise the form is lossless and readable:
    every backslash is doubled and every invalid byte (and NUL) is written `\\xNN`.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        escaped = raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")
        return escaped.replace("\x00", "\\x00"), False
    if "\x00" in text:
        return text.replace("\\", "\\\\").replace("\x00", "\\x00"), False
    return text, True


def parse_header(data: bytes) -> list[str]:
    """The header's column names as written (line 1, after an optional BOM)."""
    if not data or data == BOM:
        raise FileRejected("empty file: no header line; export the file again")
    start = len(BOM) if data.startswith(BOM) else 0
    end = data.find(b"\n", start)
    line = data[start:] if end < 0 else data[start:end]
    if line.endswith(b"\r"):
        line = line[:-1]
    if b"\r" in line:
        raise FileRejected(
            "line 1 holds a carriage return (CR): the file ends its lines with a bare CR "
            "(classic Mac OS); export it with LF or CRLF line endings"
        )
    if not line.strip():
        raise FileRejected("line 1 is blank: the header must be the first line")
    text, clean = readable_text(line)
    if not clean:
        raise FileRejected(
            "the header line is not valid UTF-8 text, so this is no CSV export (an image, a "
            "spreadsheet, another encoding?); save it as UTF-8 CSV and load that"
        )
    if text.lstrip().startswith(("{", "[")):
        raise FileRejected("this is JSON, not CSV; export the data as CSV with a header row")
    if text.count('"') % 2:
        raise FileRejected("the header line has an unclosed quote; fix the quotes on line 1")
    header = next(csv.reader([text]))
    separator = next((mark for mark in (";", "\t", "|") if len(header) == 1 and mark in text), None)
    if separator is not None:
        raise FileRejected(
            f"the header is one column holding {separator!r}: the file is separated by "
            f"{separator!r}, not commas; export it comma-separated"
        )
    return header


def read_csv(
    connection: duckdb.DuckDBPyConnection,
    stage: Path,
    data: bytes,
    header: list[str],
    redact: Callable[[str], str] | None = None,
    personal: bool = False,
) -> ParsedFile:
    """Read the CSV text `data` into the stage objects of `connection`.

    `stage` is a file the reader reads the screened bytes from (a name without glob
    characters; removed afterwards). `redact`, when given, replaces the text of every
    rejected record. `personal`: the file holds personal data, so no reason quotes the
    reader's own error text (it may hold a record).
    """
    drop_stage(connection)
    screened = _screen(data)
    columns = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(len(header)))
    stage.write_bytes(screened.data)
    try:
        connection.execute(
            f"create temp table {STAGE_TABLE} as select * from read_csv("
            f"{sql_literal(str(stage))}, columns = {{{columns}}}, header = true, "
            "auto_detect = false, all_varchar = true, delim = ',', quote = '\"', "
            f"escape = '\"', strict_mode = true, max_line_size = {MAX_RECORD_BYTES}, "
            f"store_rejects = true, rejects_table = '{_READER_REJECTS}', "
            f"rejects_scan = '{_READER_SCANS}', rejects_limit = 0)"
        )
    except duckdb.Error as error:
        detail = "" if personal else f" ({first_line(error)})"
        raise FileRejected(f"the CSV reader could not read the file{detail}") from error
    finally:
        stage.unlink(missing_ok=True)
    staged = _scalar_int(connection, f"select count(*) from {STAGE_TABLE}")
    reader_rejects = connection.execute(
        f"select line_byte_position, error_type::varchar from {_READER_REJECTS}"
    ).fetchall()
    layout = _Layout(screened.data)
    # The reader's byte offset of a rejected record is its first byte or the next one
    # (DuckDB 2.0 is not consistent), so a record is found as the one holding that byte.
    kinds: dict[int, set[str]] = {}
    for position, kind in sorted(reader_rejects, key=lambda row: int(row[0])):
        kinds.setdefault(layout.line_of(int(position)), set()).add(str(kind))
        layout.remember(int(position))
    if not layout.simple(staged + len(kinds), kinds):
        regrouped: dict[int, set[str]] = {}
        for line, found in kinds.items():
            regrouped.setdefault(layout.record_start(line), set()).update(found)
        kinds = regrouped
        if layout.records != staged + len(kinds):
            raise FileRejected(
                f"the CSV reader found {staged + len(kinds)} records but the line scan "
                f"{layout.records}: the file's quoting or line endings are inconsistent"
            )
    rejects: dict[int, Reject] = {}
    for line, found in kinds.items():
        raw = layout.record_bytes(line)
        text, clean = readable_text(raw)
        reasons = {_REASONS.get(kind, "unreadable record") for kind in found}
        if "record too long" in reasons:  # the reader's other complaints follow from it
            reasons = {_too_long(raw)}
        if not clean:
            reasons.discard("not valid UTF-8")
            reasons.add(_unclean_reason(raw))
        reason = "; ".join(sorted(_describe(reason, text, len(header)) for reason in reasons))
        rejects[line] = Reject(line, text, reason)
    rejected_by_reader = set(rejects)
    # Records the reader accepted but that are not clean text of the header's width.
    for line in layout.suspects():
        if line in rejects:
            continue
        raw = layout.record_bytes(line)
        text, clean = readable_text(raw)
        if not clean:
            rejects[line] = Reject(line, text, _unclean_reason(raw))
        elif (found_fields := _field_count(text)) != len(header):
            rejects[line] = Reject(line, text, _width_reason(found_fields, len(header)))
    extra = set(rejects) - rejected_by_reader
    rejects.update(screened.rejects)
    ordered = sorted(rejects.values(), key=lambda reject: reject.line)
    if redact is not None:
        ordered = [
            Reject(reject.line, redact(reject.raw_text), reject.reason) for reject in ordered
        ]
    _create_line_view(connection, layout, staged, rejected_by_reader, extra)
    _create_rejects_table(connection, ordered)
    return ParsedFile(
        header=header,
        records=layout.records + len(screened.rejects),
        landed=staged - len(extra),
        rejects=ordered,
    )


@dataclass(frozen=True)
class _Screened:
    """The bytes the reader gets, and the records rejected before it (by first line)."""

    data: bytes
    rejects: dict[int, Reject]


def _screen(data: bytes) -> _Screened:
    """Take out what the strict reader cannot take record by record (module docstring).

    A first pass finds files with only LF or only CRLF line breaks, no other CR and no
    line over MAX_RECORD_BYTES: they go to the reader as they are. Otherwise quote parity
    (a line break after an even number of quotes ends a record) finds the records.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == _LF)
    returns = np.flatnonzero(raw == _CR)
    bounds = np.concatenate(([-1], newlines, [len(raw)]))
    longest = int(np.max(np.diff(bounds))) - 1
    crlf = int(np.count_nonzero(raw[np.maximum(newlines - 1, 0)] == _CR)) if len(newlines) else 0
    if longest <= MAX_RECORD_BYTES and len(returns) == crlf and crlf in (0, len(newlines)):
        return _Screened(data, {})
    quotes = np.flatnonzero(raw == _QUOTE)
    # record ends: line breaks after an even number of quotes, and the end of the data
    ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    if not len(ends) or ends[-1] != len(raw) - 1:
        ends = np.concatenate((ends, [len(raw)]))
    keep = np.ones(len(raw), dtype=bool)
    # the CR of a record's CRLF goes (a CR ending the data too): the reader sees LF only
    before = ends - 1
    ending_cr = before[(before >= 0) & (raw[np.maximum(before, 0)] == _CR)]
    keep[ending_cr] = False
    outside = returns[np.searchsorted(quotes, returns) % 2 == 0]
    stray = np.setdiff1d(outside, ending_cr)  # a CR outside quotes that ends no record
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts - np.isin(ends - 1, ending_cr)
    bad: dict[int, set[str]] = {}
    for long_record in np.flatnonzero(lengths > MAX_RECORD_BYTES):
        bad.setdefault(int(long_record), set()).add("record too long")
    for cr_record in np.searchsorted(ends, stray):
        bad.setdefault(int(cr_record), set()).add("carriage return (CR) outside quotes")
    rejects: dict[int, Reject] = {}
    line_starts = np.concatenate(([0], newlines + 1))
    for record, reasons in bad.items():
        start, end = int(starts[record]), int(ends[record])
        if record == 0:
            continue  # the header: parse_header judged it
        keep[start:end] &= raw[start:end] == _LF  # blank lines, each line keeps its number
        record_raw = data[start:end].removesuffix(b"\r")
        if not record_raw.strip(b"\r"):
            continue  # a blank line (of CRs) is no record
        line = int(np.searchsorted(line_starts, start, side="right"))
        text, _ = readable_text(record_raw)
        described = {_too_long(record_raw) if r == "record too long" else r for r in reasons}
        rejects[line] = Reject(line, text, "; ".join(sorted(described)))
    return _Screened(raw[keep].tobytes(), rejects)


def _too_long(raw: bytes) -> str:
    return f"record too long ({len(raw):,} bytes; the limit is {MAX_RECORD_BYTES:,})"


def drop_stage(connection: duckdb.DuckDBPyConnection) -> None:
    """Forget the previous file's stage (its temp objects may hold personal data)."""
    connection.execute(f"drop view if exists {STAGE_VIEW}")
    for table in (STAGE_TABLE, REJECTS_TABLE, _READER_REJECTS, _READER_SCANS, _BREAKS_TABLE):
        connection.execute(f"drop table if exists {table}")


def sql_literal(text: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


class _Layout:
    """Where the records of a file's CSV text start, by physical line (1-based).

    Two modes. Simple: no record spans lines, so every non-blank line after the header
    is one record. Otherwise a quote-parity scan lists the first line of every record.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.bytes = np.frombuffer(data, dtype=np.uint8)
        self.newlines = np.flatnonzero(self.bytes == _LF)  # offsets of every b"\n"
        self.lines = len(self.newlines) + (0 if data.endswith(b"\n") else 1)
        self.blank_lines = _blank_lines(self.bytes, self.newlines)
        self.record_starts: list[int] | None = None
        self._counted = (0, 1)  # (byte offset, its line) of the last `line_of`
        self._positions: dict[int, int] = {}  # line -> a byte offset on that line

    @property
    def records(self) -> int:
        """Data records (the header is not one)."""
        if self.record_starts is not None:
            return len(self.record_starts)
        return self.lines - 1 - len(self.blank_lines)

    def simple(self, reader_records: int, rejected_lines: Iterable[int]) -> bool:
        """Keep the simple mode when it explains what the reader found, else scan quotes.

        Let L be the lines, R the records the reader found, B the lines that look blank
        and C the continuation lines of records that span lines: L = 1 + R + B_true + C
        and B = B_true + C_blank. The last continuation line of such a record holds its
        closing quote, so C_blank < C whenever C > 0: L == 1 + R + B exactly when no
        record spans lines.
        """
        blank = set(self.blank_lines)
        if self.lines == 1 + reader_records + len(blank) and not any(
            line < 2 or line in blank for line in rejected_lines
        ):
            return True
        self.record_starts, self.blank_lines = _quote_scan(self.data)
        return False

    def line_of(self, position: int) -> int:
        """Physical line holding byte `position` (a binary search over the line breaks)."""
        line = int(np.searchsorted(self.newlines, position)) + 1
        self._counted = (position, line)
        return line

    def remember(self, position: int) -> None:
        """Note that byte `position` lies on the line last counted (for `record_bytes`)."""
        self._positions[self._counted[1]] = position

    def record_start(self, line: int) -> int:
        """First line of the record that holds physical `line` (1 for the header)."""
        if self.record_starts is None:
            return line
        index = bisect.bisect_right(self.record_starts, line) - 1
        return self.record_starts[index] if index >= 0 else 1

    @functools.cached_property
    def _blank_set(self) -> set[int]:
        return set(self.blank_lines)

    @functools.cached_property
    def _line_offsets(self) -> list[int]:
        return [0, *(int(offset) + 1 for offset in self.newlines)]

    def record_bytes(self, line: int) -> bytes:
        """The bytes of the record starting on `line`, without its final line break."""
        if self.record_starts is None:
            start = self.data.rfind(b"\n", 0, self._positions[line]) + 1
            end = self.data.find(b"\n", start)
            raw = self.data[start:] if end < 0 else self.data[start:end]
            return raw[:-1] if raw.endswith(b"\r") else raw
        index = bisect.bisect_left(self.record_starts, line)
        following = self.record_starts[index + 1] if index + 1 < len(self.record_starts) else 0
        last = following - 1 if following else self.lines
        while last > line and last in self._blank_set:
            last -= 1
        offsets = self._line_offsets
        start = offsets[line - 1]
        raw = self.data[start : offsets[last] - 1] if last < len(offsets) else self.data[start:]
        return raw[:-1] if raw.endswith(b"\r") else raw

    def suspects(self) -> list[int]:
        """Records the reader may have accepted wrongly: with a NUL byte, or ending in an
        empty field (DuckDB 2.0 silently drops empty trailing fields beyond the header)."""
        data, raw = self.data, self.bytes
        # each line's end: its b"\n", or the b"\r" before it
        ends = self.newlines - (raw[np.maximum(self.newlines - 1, 0)] == _CR)
        before = [raw[np.maximum(ends - back, 0)] for back in (1, 2, 3)]
        empty_last = (before[0] == _COMMA) & (ends >= 1)
        quoted_last = (before[0] == _QUOTE) & (before[1] == _QUOTE) & (before[2] == _COMMA)
        quoted_last &= ends >= 3
        positions = [int(at) for at in np.flatnonzero(raw == 0)]
        positions += [int(at) for at in ends[empty_last] - 1]
        positions += [int(at) for at in ends[quoted_last] - 3]
        if data.endswith(_SUSPECT_ENDINGS):
            positions.append(data.rindex(b","))
        lines: set[int] = set()
        for position in sorted(positions):
            lines.add(self.record_start(self.line_of(position)))
            self.remember(position)
        lines.discard(1)
        return sorted(lines)


def _blank_lines(raw: npt.NDArray[np.uint8], newlines: npt.NDArray[np.intp]) -> list[int]:
    """Lines that are empty or a lone CR (inside quotes or not), ended by a line break."""
    step = np.diff(newlines)
    lone_cr = (step == 2) & (raw[np.minimum(newlines[:-1] + 1, len(raw) - 1)] == _CR)
    # newline j (0-based) ends line j + 1, so the blank line after it is line j + 2
    return [int(index) + 2 for index in np.flatnonzero((step == 1) | lone_cr)]


def _quote_scan(data: bytes) -> tuple[list[int], list[int]]:
    """Record start lines and blank lines (outside quotes) after the header, by quote parity."""
    starts: list[int] = []
    blanks: list[int] = []
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    inside = lines[0].count(b'"') % 2 == 1
    for number, line in enumerate(lines[1:], start=2):
        if not inside:
            if line in (b"", b"\r"):
                blanks.append(number)
                continue
            starts.append(number)
        if line.count(b'"') % 2:
            inside = not inside
    return starts, blanks


def _create_line_view(
    connection: duckdb.DuckDBPyConnection,
    layout: _Layout,
    staged: int,
    rejected_lines: set[int],
    extra_rejects: set[int],
) -> None:
    """`STAGE_VIEW`: the staged rows with their physical line, minus the extra rejects.

    Staged row k (0-based, file order) is the k-th line after the header that starts a
    record the reader accepted. Lines that do not (blank, continuation, rejected) are
    gaps g_1 < g_2 < ...; row k sits on line k + 2 + i for the largest i with
    g_i - i - 1 <= k. numpy computes that line for every row (a binary search per row)
    and a POSITIONAL JOIN puts it beside the row: no sort of the staged rows.
    """
    gaps: set[int] = set(layout.blank_lines) | rejected_lines
    if layout.record_starts is not None:
        starts = set(layout.record_starts)
        gaps |= {line for line in range(2, layout.lines + 1) if line not in starts}
    if gaps:
        ordered = np.fromiter(sorted(gaps), dtype=np.int64, count=len(gaps))
        thresholds = ordered - np.arange(2, len(ordered) + 2, dtype=np.int64)
        rows = np.arange(staged, dtype=np.int64)
        numbers = rows + 2 + np.searchsorted(thresholds, rows, side="right")
        connection.register("gs_lines_arrow", pa.table({"_source_line": numbers}))
        connection.execute(f"create temp table {_BREAKS_TABLE} as select * from gs_lines_arrow")
        connection.unregister("gs_lines_arrow")
        lines = (
            f"select staged.*, numbered._source_line from {STAGE_TABLE} as staged "
            f"positional join {_BREAKS_TABLE} as numbered"
        )
    else:
        lines = f"select *, rowid + 2 as _source_line from {STAGE_TABLE}"
    where = ""
    if extra_rejects:
        listed = ", ".join(str(line) for line in sorted(extra_rejects))
        where = f" where _source_line not in ({listed})"
    connection.execute(f"create temp view {STAGE_VIEW} as select * from ({lines}){where}")


def _create_rejects_table(connection: duckdb.DuckDBPyConnection, rejects: list[Reject]) -> None:
    table = pa.table(
        {
            "_source_line": pa.array([reject.line for reject in rejects], type=pa.int64()),
            "raw_text": pa.array([reject.raw_text for reject in rejects], type=pa.string()),
            "reason": pa.array([reject.reason for reject in rejects], type=pa.string()),
        }
    )
    connection.register("gs_rejects_arrow", table)
    connection.execute(f"create temp table {REJECTS_TABLE} as select * from gs_rejects_arrow")
    connection.unregister("gs_rejects_arrow")


def _field_count(text: str) -> int:
    try:
        return len(next(csv.reader([text], strict=True)))
    except (csv.Error, StopIteration):
        return -1


def _width_reason(found: int, expected: int) -> str:
    if found < 0:
        return "bad quoting"
    side = "too many" if found > expected else "too few"
    return f"{side} fields ({found}, header has {expected})"


def _unclean_reason(raw: bytes) -> str:
    return "contains a NUL byte" if b"\x00" in raw else "not valid UTF-8"


def _describe(reason: str, text: str, expected: int) -> str:
    if reason in ("too many fields", "too few fields"):
        found = _field_count(text)
        if found >= 0:
            return _width_reason(found, expected)
    return reason


def _scalar_int(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return int(row[0])
