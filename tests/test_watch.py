"""`greenstream watch` as a real process on a temporary landing folder, on both engines.

Builds are the slow part (~20-30 s each), so the scenarios are few and each does much:

- lifecycle (2 builds): a file lands, builds, moves to processed/ beside an older file of
  the same name and logs its latency; then the warehouse goes away (PostgreSQL: a
  dedicated throwaway server is stopped; DuckDB: another process holds the file lock)
  while a file is written slowly in parts and an already loaded file is delivered again;
  the watcher retries with backoff, alerts, leaves both files in the landing folder (not
  the dead letter), loads them once the warehouse is back, and a SIGTERM during that
  build ends it with exit 0 after the build, nothing lost or doubled.
- bad files (no build): two rejected files in two cycles go to the dead letter with their
  sidecars and an alert each, the watcher keeps going; SIGTERM while idle exits 0.
- SIGTERM mid-load, then a restart (1 build): the file in hand is finished and moved,
  the next one is left in the landing folder and nothing is built; the next watcher
  builds the loaded file with the new one, and the injected transient failure
  (tests/hooks/sitecustomize.py) is retried with `dbt retry`: attempts=2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import GREENSTREAM, ROOT, Warehouse, failing_builds, make_warehouse

POLL = 0.5
HEADER = "meter_id,timestamp,energy_value,energy_unit\n"
TIMEOUT = 180  # seconds for a build to show up (a cold dbt parse included)


def rows(meter: str, count: int) -> str:
    """`count` quarter-hour readings of one meter from 2024-01-01 00:00, values 1..count kWh."""
    start = dt.datetime(2024, 1, 1)
    return "".join(
        f"{meter},{start + dt.timedelta(minutes=15 * i):%Y-%m-%d %H:%M},{i + 1},kWh\n"
        for i in range(count)
    )


@dataclass
class Watcher:
    """A running `greenstream watch`: stderr lines with the monotonic time each was read."""

    process: subprocess.Popen[str]
    lines: list[tuple[float, str]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    seen: int = 0  # lines up to the last one wait_for matched

    @classmethod
    def start(cls, warehouse: Warehouse, landing: Path, **env: str) -> Watcher:
        argv = [GREENSTREAM, "watch", str(landing), "--poll", str(POLL)]
        warehouse.calls.append(shlex.join(argv))
        stdout = (warehouse.root / "watch.stdout").open("a")  # dbt's log lines
        process = subprocess.Popen(
            argv,
            cwd=warehouse.root,
            env={**warehouse.env, **env},
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
        stdout.close()
        watcher = cls(process)
        threading.Thread(target=watcher._read, daemon=True).start()
        watcher.wait_for(r"watch: watching ")
        return watcher

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.changed:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def mark(self) -> int:
        with self.changed:
            return len(self.lines)

    def wait_for(
        self, pattern: str, timeout: float = TIMEOUT, after: int | None = None
    ) -> tuple[float, re.Match[str]]:
        """The first stderr line matching `pattern` after line `after` (default: after the
        line the last wait_for matched): its read time and match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        start = self.seen if after is None else after
        with self.changed:
            while True:
                for number, (read_at, line) in enumerate(self.lines[start:], start=start + 1):
                    found = regex.search(line)
                    if found:
                        self.seen = number
                        return read_at, found
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"no line matching {pattern!r}:\n{self.stderr}")
                self.changed.wait(min(left, 0.2))

    def matching(self, pattern: str) -> list[str]:
        with self.changed:
            return [line for _, line in self.lines if re.search(pattern, line)]

    @property
    def stderr(self) -> str:
        with self.changed:
            return "\n".join(line for _, line in self.lines)

    def stop(self, timeout: float = TIMEOUT) -> int:
        """SIGTERM; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        time.sleep(0.1)  # let the reader thread take the last lines
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def watchers() -> Iterator[list[Watcher]]:
    """Watchers started by a test, killed should the test fail before stopping them."""
    started: list[Watcher] = []
    yield started
    for watcher in started:
        watcher.kill()


def sha12(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()[:12]


def latencies(watcher: Watcher) -> dict[str, float]:
    found = (re.search(r"latency (\S+): ([0-9.]+) s", line) for line in watcher.stderr.split("\n"))
    return {match[1]: float(match[2]) for match in found if match}


# -- a dedicated PostgreSQL server that a test may stop and start -------------------------


@dataclass
class Server:
    env: dict[str, str]
    folder: Path

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = next(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), None)
        command = [str(pg_ctl or "pg_ctl"), "-D", str(self.folder / "data"), *args]
        if os.geteuid() == 0:  # the script runs the server as `postgres` when root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-l", str(self.folder / "server.log"), "-w", "start")

    def restore(self) -> None:
        """Started again if it is down."""
        with contextlib.suppress(subprocess.CalledProcessError):  # already running
            self.start()


@pytest.fixture(scope="module")
def dedicated_postgres() -> Iterator[Server]:
    """Never the shared server: this one is stopped and started by the outage test."""
    script = ROOT / "scripts" / "throwaway-postgres.sh"
    started = subprocess.run([str(script), "start"], capture_output=True, text=True, check=True)
    exports = dict(pair.split("=", 1) for pair in shlex.split(started.stdout)[1:] if "=" in pair)
    server = Server(
        {name: exports[name] for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD")}
        | {"PGDATABASE": "greenstream"},
        Path(exports["GREENSTREAM_PG_DIR"]),
    )
    try:
        yield server
    finally:
        subprocess.run([str(script), "stop", str(server.folder)], check=False)


HOLD_THE_DUCKDB_FILE = """
import sys, time
import duckdb
deadline = time.monotonic() + 60
while True:
    try:
        connection = duckdb.connect(sys.argv[1])
        break
    except duckdb.IOException:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
print("held", flush=True)
sys.stdin.read()
"""


@dataclass
class DuckDBLock:
    """Another process holding the DuckDB file: the DuckDB way of being unreachable.

    The holder waits for the lock: the watcher may still be writing its audit row after
    the line the test waited for.
    """

    path: str
    holder: subprocess.Popen[str] | None = None

    def stop(self) -> None:
        self.holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_THE_DUCKDB_FILE, self.path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.holder.stdout is not None and self.holder.stdout.readline() == "held\n"

    def start(self) -> None:
        assert self.holder is not None and self.holder.stdin is not None
        self.holder.stdin.close()
        self.holder.wait(10)

    def restore(self) -> None:
        if self.holder is not None and self.holder.poll() is None:
            self.holder.kill()


# -- the scenarios ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_lifecycle_with_an_outage_a_slow_file_a_redelivery_and_sigterm_mid_build(
    target: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    watchers: list[Watcher],
) -> None:
    server: Server | DuckDBLock
    if target == "postgres":
        server = request.getfixturevalue("dedicated_postgres")
        postgres: dict[str, str] | None = server.env
    else:
        server = DuckDBLock(str(tmp_path / "warehouse.duckdb"))
        postgres = None
    with make_warehouse(target, tmp_path, postgres) as warehouse:
        landing = tmp_path / "landing"
        (landing / "processed").mkdir(parents=True)
        g1 = HEADER + rows("M1", 3)
        (landing / "processed" / "g1.csv").write_text("an older g1.csv, kept as it is\n")
        (landing / "g1.csv").write_text(g1)

        watcher = Watcher.start(warehouse, landing)
        watchers.append(watcher)
        watcher.wait_for(r"latency g1\.csv: ")
        assert (landing / "processed" / f"{sha12(g1)}-g1.csv").read_text() == g1
        assert not (landing / "g1.csv").exists()

        # The warehouse goes away; g1.csv is delivered again, slow.csv is written in parts
        # 0.3 s apart (less than a poll: it must not be taken before the last part).
        server.stop()
        request.addfinalizer(server.restore)  # should the test fail while it is down
        down_at, down_line = time.monotonic(), watcher.mark()
        (landing / "g1.csv").write_text(g1)
        slow = landing / "slow.csv"
        parts = [HEADER + rows("M2", 1), *rows("M2", 5).splitlines(keepends=True)[1:]]
        for part in parts:
            with slow.open("a") as handle:
                handle.write(part)
            time.sleep(0.3)
        written_at = time.monotonic()
        taken_at, _ = watcher.wait_for(r"complete file\(s\): .*slow\.csv")
        assert taken_at >= written_at
        pattern = r"alert \(error\) watch: warehouse: failing since .*4 attempts"
        watcher.wait_for(pattern, after=down_line)
        delays = [re.findall(r"retrying in ([0-9.]+) s$", line) for line in watcher.matching("")]
        assert [found[0] for found in delays if found][:4] == ["0.5", "1.0", "2.0", "4.0"]
        assert sorted(path.name for path in landing.glob("*.csv")) == ["g1.csv", "slow.csv"]
        assert not (tmp_path / "dead_letter").exists()

        server.start()
        up_at = time.monotonic()
        watcher.wait_for(r"watch: warehouse is back")
        watcher.wait_for(r"watch: building \(1 new file\(s\)\)")
        assert watcher.stop() == 0  # SIGTERM during the build: it finishes, then exits
        assert watcher.matching(r"stopped; 0 file\(s\) left"), watcher.stderr
        slow_content = HEADER + rows("M2", 5)

        assert sorted(path.name for path in landing.iterdir()) == ["processed"]
        assert {path.name: path.read_text() for path in (landing / "processed").iterdir()} == {
            "g1.csv": "an older g1.csv, kept as it is\n",
            f"{sha12(g1)}-g1.csv": g1,
            f"{sha12(g1)}-2-g1.csv": g1,
            "slow.csv": slow_content,
        }
        assert warehouse.query(
            "select file_name, status, records, rows_landed, file_sha256 from raw.load_ledger "
            "order by started_at"
        ) == [
            ("g1.csv", "loaded", 3, 3, hashlib.sha256(g1.encode()).hexdigest()),
            ("g1.csv", "skipped_duplicate", None, 0, hashlib.sha256(g1.encode()).hexdigest()),
            ("slow.csv", "loaded", 5, 5, hashlib.sha256(slow_content.encode()).hexdigest()),
        ]
        assert warehouse.query(
            "select _source_file, count(*) from raw.meter_readings group by 1 order by 1"
        ) == [("g1.csv", 3), ("slow.csv", 5)]
        assert warehouse.scalar("select count(*) from silver.meter_readings") == 8

        runs = warehouse.query(
            "select command, target, files, rows_landed, outcome, attempts, error, "
            "latency_seconds, file_latencies from audit.pipeline_runs order by started_at"
        )
        logged = latencies(watcher)
        assert [run[:7] for run in runs] == [
            ("watch", target, 1, 3, "success", 1, None),
            ("watch", target, 2, 5, "success", 1, None),  # slow.csv and the re-delivery
        ]
        assert [json.loads(run[8]) for run in runs] == [
            {"g1.csv": runs[0][7]},
            {"slow.csv": runs[1][7]},
        ]
        assert logged == {"g1.csv": round(runs[0][7], 2), "slow.csv": round(runs[1][7], 2)}
        # slow.csv arrived before the outage ended: its latency counts the time down
        assert runs[1][7] > up_at - down_at
        assert warehouse.query("select source, severity, subject from audit.alerts") == [
            ("watch", "error", "warehouse")
        ]


def test_bad_files_go_to_the_dead_letter_with_an_alert_and_sigterm_when_idle_exits_0(
    warehouse: Warehouse, watchers: list[Watcher]
) -> None:
    landing = warehouse.root / "landing"
    landing.mkdir()
    watcher = Watcher.start(warehouse, landing)
    watchers.append(watcher)
    (landing / "bad.csv").write_text("meter_id,timestamp\nM1,2024-01-01 00:00\n")
    watcher.wait_for(r"alert \(warning\) watch: dead letter bad\.csv: missing required")
    (landing / "broken.csv.gz").write_bytes(b"not gzip at all")
    watcher.wait_for(r"alert \(warning\) watch: dead letter broken\.csv\.gz: ")
    # bare-CR line endings once stalled the folder (a traceback every cycle)
    (landing / "mac.csv").write_bytes(HEADER.encode().replace(b"\n", b"\r") + b"M1,t,1,kWh\r")
    watcher.wait_for(r"alert \(warning\) watch: dead letter mac\.csv: line 1 holds a carriage")
    time.sleep(3 * POLL)  # idle
    assert watcher.stop() == 0
    assert not watcher.matching(r"building|Traceback|unavailable|cycle failed")

    dead = warehouse.root / "dead_letter"
    assert sorted(path.name for path in dead.iterdir()) == [
        "bad.csv",
        "bad.csv.error.json",
        "broken.csv.gz",
        "broken.csv.gz.error.json",
        "mac.csv",
        "mac.csv.error.json",
    ]
    assert sorted(path.name for path in landing.iterdir()) == ["processed"]
    assert not any((landing / "processed").iterdir())
    sidecar = json.loads((dead / "bad.csv.error.json").read_text())
    assert sidecar["reason"].startswith("missing required column(s) energy_value, energy_unit")
    assert warehouse.query(
        "select file_name, status, rows_landed from raw.load_ledger order by started_at"
    ) == [
        ("bad.csv", "dead_letter", 0),
        ("broken.csv.gz", "dead_letter", 0),
        ("mac.csv", "dead_letter", 0),
    ]
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 0
    assert (
        warehouse.query(
            "select command, files, rows_landed, outcome, attempts, error, latency_seconds "
            "from audit.pipeline_runs order by started_at"
        )
        == [("watch", 1, 0, "success", 0, None, None)] * 3
    )
    alerts = warehouse.query(
        "select source, severity, subject, message from audit.alerts order by raised_at"
    )
    assert [alert[:3] for alert in alerts] == [
        ("watch", "warning", "dead letter bad.csv"),
        ("watch", "warning", "dead letter broken.csv.gz"),
        ("watch", "warning", "dead letter mac.csv"),
    ]
    assert alerts[0][3] == sidecar["reason"]


def test_sigterm_mid_load_finishes_that_file_and_the_next_start_builds_it_with_a_retry(
    warehouse: Warehouse, watchers: list[Watcher]
) -> None:
    landing = warehouse.root / "landing"
    landing.mkdir()
    # a.csv takes some 100 ms to load: the SIGTERM sent when its load starts lands in it
    big = HEADER + "".join(rows(f"M{meter:02d}", 1000) for meter in range(20))
    small = HEADER + rows("B1", 2)
    (landing / "a.csv").write_text(big)
    (landing / "b.csv.gz").write_bytes(gzip.compress(small.encode()))

    first = Watcher.start(warehouse, landing)
    watchers.append(first)
    first.wait_for(r"watch: loading a\.csv")
    assert first.stop() == 0
    first.wait_for(r"a\.csv: 20,000 rows landed, 0 rejected; moved to .*processed/a\.csv$")
    first.wait_for(r"stopping before the build; the next start builds these files")
    first.wait_for(r"stopped; 1 file\(s\) left in .*: b\.csv\.gz$")
    assert not first.matching(r"loading b\.csv\.gz|building")
    assert sorted(path.name for path in landing.glob("*.csv*")) == ["b.csv.gz"]
    assert warehouse.query("select file_name, status, rows_landed from raw.load_ledger") == [
        ("a.csv", "loaded", 20_000)
    ]

    second = Watcher.start(warehouse, landing, **failing_builds(1))
    watchers.append(second)
    second.wait_for(r"watch: building \(1 new file\(s\)\)")
    second.wait_for(r"watch: built in 2 attempt\(s\)")
    assert second.stop() == 0
    (failure,) = second.matching(r"transient build failure")
    assert "server closed the connection unexpectedly (injected by" in failure
    assert re.search(r"; dbt retry in [0-9.]+ s \(attempt 2 of 4\)$", failure)
    assert list(latencies(second)) == ["b.csv.gz"]  # a.csv arrived before this watcher

    assert sorted(path.name for path in (landing / "processed").iterdir()) == [
        "a.csv",
        "b.csv.gz",
    ]
    assert warehouse.query(
        "select file_name, status, rows_landed from raw.load_ledger order by started_at"
    ) == [("a.csv", "loaded", 20_000), ("b.csv.gz", "loaded", 2)]
    assert warehouse.query(
        "select command, files, rows_landed, outcome, attempts, error from audit.pipeline_runs "
        "order by started_at"
    ) == [
        ("watch", 1, 20_000, "failed", 0, "stopped before the build; the next start builds"),
        ("watch", 1, 2, "success", 2, None),
    ]
    assert warehouse.scalar("select count(*) from audit.alerts") == 0
    assert warehouse.scalar("select count(*) from raw.meter_readings") == 20_002
    assert warehouse.scalar("select count(*) from silver.meter_readings") == 20_002
