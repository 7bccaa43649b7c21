"""`greenstream watch LANDING_DIR`: load and build every complete file dropped in a folder.

- Candidates are the `*.csv` and `*.csv.gz` files directly in LANDING_DIR (names starting
  with a dot are someone's temporary files and are left alone).
- A file is complete (stable) when two scans one poll apart saw the same size and
  modification time and it was last modified at least one poll ago; until then it is
  left where it is.
- It arrived at its modification time when first seen (or when first seen, if that is
  earlier). Its event-to-insight latency runs from its arrival to the end of the first
  successful build that covers it: one `greenstream: latency ...` line on stderr, and
  `latency_seconds` (the largest) and `file_latencies` (JSON) in audit.pipeline_runs.
- A cycle takes every stable file, in name order: each is loaded in its own transaction
  (idempotent by SHA-256) and moved at once to LANDING_DIR/processed/ under its own name
  (if that name is taken there, `<first 12 hex of its SHA-256>-<name>`, then
  `<sha12>-<n>-<name>`; nothing is overwritten); an already loaded file is moved there too.
  A rejected file is moved to the dead-letter folder with its sidecar and raises a
  warning alert. Then one dbt build (pipeline.build, with its retries) covers the cycle's
  files, and the cycle leaves one row in audit.pipeline_runs.
- The warehouse being unreachable is an outage, not a bad file: the file stays in the
  landing folder and the cycle is tried again after poll * 2**(n-1) seconds (at most 60);
  after 3 retries an error alert is raised (stored once the warehouse is back). A build
  that still fails on a transient error is tried again the same way.
- At start, files loaded but not covered by a successful build since (a load without a
  build, a build that failed, a watcher stopped before its build) are built; while other
  files are still arriving that build waits for them.
- SIGINT/SIGTERM: the load or build in hand is finished, nothing new is started, exit 0. A
  second signal aborts the step in hand (its transaction rolls back; exit 130). A file is
  moved out of the landing folder right after its load commits; should the process die in
  between, the next cycle finds it already loaded and only moves it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from greenstream import pipeline
from greenstream.errors import UserError, WarehouseUnavailable, first_line
from greenstream.load import (
    CSV_SUFFIXES,
    FileOutcome,
    Loader,
    LoadOptions,
    RetryPolicy,
    parse_mapping,
)
from greenstream.settings import Settings
from greenstream.transform import parse_vars
from greenstream.warehouse import Warehouse, is_transient

PROCESSED = "processed"
OUTAGE_RETRIES = 3  # failed retries of a cycle before an alert
MAX_BACKOFF_SECONDS = 60.0
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class _Sighting:
    size: int
    mtime_ns: int
    arrived_at: dt.datetime


def main(args: argparse.Namespace, settings: Settings) -> int:
    landing: Path = args.landing_dir
    if not landing.is_dir():
        raise UserError(f"{landing} is not a folder; give the folder where CSV files arrive")
    if not args.poll > 0:
        raise UserError(f"--poll must be a positive number of seconds, got {args.poll}")
    options = LoadOptions(mapping=parse_mapping(args.map, args.unit), unit=args.unit, move=True)
    watcher = Watcher(landing, settings, options, parse_vars(args.vars, settings), args.poll)
    with _signals(watcher.request_stop):
        watcher.run()
    return 0


@contextmanager
def _signals(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    previous = {number: signal.signal(number, handler) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


class Watcher:
    """The scan / load / build loop over one landing folder."""

    def __init__(
        self,
        landing: Path,
        settings: Settings,
        options: LoadOptions,
        dbt_vars: dict[str, Any],
        poll: float,
    ) -> None:
        self.landing = landing
        self.processed = landing / PROCESSED
        self.settings = settings
        self.options = options
        self.dbt_vars = dbt_vars
        self.poll = poll
        self.stop = threading.Event()
        self.audit = pipeline.AuditLog()
        self.seen: dict[Path, _Sighting] = {}
        self.settling = False  # some candidate is not complete yet
        self.backlog_checked = False
        self.needs_build = False
        self.awaiting: list[tuple[str, dt.datetime]] = []  # loaded, not yet built: arrivals
        self.batch_files = 0  # files handled since the last pipeline_runs row
        self.batch_rows = 0
        self.failures = 0  # consecutive failed cycles
        self.failing_since: dt.datetime | None = None
        self.retry_at = 0.0  # time.monotonic() before which no cycle starts

    def request_stop(self, number: int, frame: FrameType | None) -> None:
        """Signal handler: the first signal stops after the step in hand, a second aborts it."""
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()

    def run(self) -> None:
        self.processed.mkdir(exist_ok=True)
        _say(
            f"watch: watching {self.landing} every {self.poll:g} s "
            f"(target {self.settings.target}); SIGINT or SIGTERM stops"
        )
        while not self.stop.is_set():
            try:
                ready = self.scan()
                due = time.monotonic() >= self.retry_at
                if due and (ready or not self.backlog_checked or self._build_due(False)):
                    self.cycle(ready)
            except Exception as error:  # never let the loop die
                self._failed(error)
            self.stop.wait(self.poll)
        waiting = sorted(path.name for path in self._candidates())
        _say(
            f"watch: stopped; {len(waiting)} file(s) left in {self.landing}"
            + (f": {', '.join(waiting)}" if waiting else "")
        )

    # -- finding complete files --------------------------------------------------------

    def _candidates(self) -> list[Path]:
        return [
            Path(entry.path)
            for entry in os.scandir(self.landing)
            if entry.is_file()
            and not entry.name.startswith(".")
            and entry.name.lower().endswith(CSV_SUFFIXES)
        ]

    def scan(self) -> list[Path]:
        """Update the sightings; the complete files, in name order."""
        seen: dict[Path, _Sighting] = {}
        ready: list[Path] = []
        wall = time.time()
        for path in self._candidates():
            try:
                stat = path.stat()
            except FileNotFoundError:  # gone between listing and stat
                continue
            before = self.seen.get(path)
            if before is None:
                first = pipeline.now()
                arrived = min(first, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))
                seen[path] = _Sighting(stat.st_size, stat.st_mtime_ns, arrived)
                continue
            unchanged = (before.size, before.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
            if unchanged and wall - stat.st_mtime >= self.poll:
                ready.append(path)
            seen[path] = _Sighting(stat.st_size, stat.st_mtime_ns, before.arrived_at)
        self.seen = seen
        self.settling = len(ready) < len(seen)
        return sorted(ready, key=lambda path: path.name)

    # -- one cycle ---------------------------------------------------------------------

    def cycle(self, ready: list[Path]) -> None:
        """Load the complete files, then build; raises when the warehouse fails."""
        started_at = pipeline.now()
        if ready:
            _say(f"watch: {len(ready)} complete file(s): {', '.join(p.name for p in ready)}")
        loaded_now = False
        warehouse = Warehouse(self.settings)  # WarehouseUnavailable when unreachable
        try:
            warehouse.ensure_raw_schema()
            if not self.backlog_checked:
                self.needs_build = self.needs_build or _unbuilt_loads(warehouse)
                self.backlog_checked = True
            self.audit.write(warehouse)  # alerts raised while the warehouse was away
            self._recovered()
            # a file the warehouse cannot take for now stays in the landing folder
            retry = RetryPolicy(dead_letter_on_outage=False)
            loader = Loader(warehouse, self.settings, self.options, retry=retry, progress=_say)
            try:
                for path in ready:
                    if self.stop.is_set():
                        break
                    loaded_now = self._load(loader, path) or loaded_now
            finally:
                loader.close()
        finally:
            warehouse.close()
        if self.stop.is_set():
            if loaded_now:
                _say("watch: stopping before the build; the next start builds these files")
            self._record_without_build(started_at)
        elif self._build_due(loaded_now):
            self._build(started_at)
        else:
            self._record_without_build(started_at)
        self.audit.flush(self.settings)

    def _load(self, loader: Loader, path: Path) -> bool:
        """Land one file and move it on; True when it landed."""
        arrived = self.seen[path].arrived_at
        _say(f"watch: loading {path.name}")
        outcome = loader.load_file(path, "readings")
        self.batch_files += 1
        self.batch_rows += outcome.landed
        if outcome.status == "dead_letter":
            where = self.settings.dead_letter_dir
            _say(f"watch: {path.name}: to the dead letter ({where}): {outcome.error}")
            self._alert("warning", f"dead letter {path.name}", outcome.error or "rejected")
            return False
        moved = self._move_to_processed(path)
        if outcome.status == "skipped_duplicate":
            _say(f"watch: {path.name}: already loaded (same SHA-256); moved to {moved}")
            return False
        _say(f"watch: {path.name}: {_describe(outcome)}; moved to {moved}")
        self.awaiting.append((path.name, arrived))
        self.needs_build = True
        return True

    def _move_to_processed(self, path: Path) -> Path | str:
        """Move a loaded file to processed/ without overwriting anything there."""
        try:
            return _move_no_clobber(path, self.processed)
        except OSError as error:  # it stays; the next cycle finds it loaded and moves it
            return f"nowhere (could not move it: {error}; it is retried next cycle)"

    def _build_due(self, loaded_now: bool) -> bool:
        """Build after new loads; a catch-up build waits while files are still arriving."""
        return self.needs_build and (loaded_now or not self.settling)

    def _build(self, started_at: dt.datetime) -> None:
        _say(f"watch: building ({len(self.awaiting)} new file(s))")
        result = pipeline.build(
            self.settings, self.dbt_vars, sleep=self.stop.wait, stopping=self.stop.is_set
        )
        pipeline.record_build(
            self.audit,
            self.settings,
            result,
            command="watch",
            started_at=started_at,
            files=self.batch_files,
            rows_landed=self.batch_rows,
            arrivals=self.awaiting,
        )
        self.batch_files = self.batch_rows = 0
        if result.success:
            for name, arrived in self.awaiting:
                seconds = (result.finished_at - arrived).total_seconds()
                _say(
                    f"latency {name}: {seconds:.2f} s from arrival "
                    f"({_stamp(arrived)}) to built ({_stamp(result.finished_at)})"
                )
            self.awaiting.clear()
            self.needs_build = False
            _say(f"watch: built in {result.attempts} attempt(s)")
            return
        _say(f"watch: build failed: {result.error}")
        # A transient failure is tried again (with backoff); a real one waits for new files.
        self.needs_build = result.transient
        if result.transient:
            outage = WarehouseUnavailable(result.error or "the build failed")
            self._failed(outage, alert=False)  # the build alerted

    def _record_without_build(self, started_at: dt.datetime) -> None:
        """A cycle that only moved files on (dead letter, duplicates) or stopped early."""
        if not self.batch_files:
            return
        stopped = self.stop.is_set() and self.needs_build
        self.audit.add(
            pipeline.RunRecord(
                command="watch",
                target=self.settings.target,
                started_at=started_at,
                finished_at=pipeline.now(),
                files=self.batch_files,
                rows_landed=self.batch_rows,
                outcome="failed" if stopped else "success",
                attempts=0,
                error="stopped before the build; the next start builds" if stopped else None,
            )
        )
        self.batch_files = self.batch_rows = 0

    # -- outages -----------------------------------------------------------------------

    def _failed(self, error: Exception, *, alert: bool = True) -> None:
        self.failures += 1
        self.failing_since = self.failing_since or pipeline.now()
        delay = min(self.poll * 2 ** (self.failures - 1), max(MAX_BACKOFF_SECONDS, self.poll))
        self.retry_at = time.monotonic() + delay
        outage = isinstance(error, WarehouseUnavailable) or is_transient(error)
        what = "warehouse unavailable" if outage else f"cycle failed ({type(error).__name__})"
        _say(
            f"watch: {what}: {first_line(error)}; files stay in {self.landing}; "
            f"retrying in {delay:.1f} s"
        )
        if alert and self.failures == OUTAGE_RETRIES + 1:
            self._alert(
                "error",
                "warehouse" if outage else "watch cycle",
                f"failing since {_stamp(self.failing_since)} ({self.failures} attempts): "
                f"{first_line(error)}; files wait in {self.landing}",
            )

    def _recovered(self) -> None:
        if self.failures and self.failing_since is not None:
            _say(f"watch: warehouse is back (unavailable since {_stamp(self.failing_since)})")
        self.failures = 0
        self.failing_since = None
        self.retry_at = 0.0

    def _alert(self, severity: str, subject: str, message: str) -> None:
        _say(f"alert ({severity}) watch: {subject}: {message}")
        self.audit.add(pipeline.Alert("watch", severity, subject, message))


def _unbuilt_loads(warehouse: Warehouse) -> bool:
    """Some file loaded after the end of the last successful build (attempts > 0: a watch
    cycle that only moved files on built nothing; retention runs build nothing either)."""
    rows = warehouse.fetchall(
        "select count(*) from raw.load_ledger as ledger where ledger.status = 'loaded' "
        "and not exists (select 1 from audit.pipeline_runs as runs "
        "where runs.command in ('build', 'run', 'watch') and runs.outcome = 'success' "
        "and runs.attempts > 0 and runs.finished_at >= ledger.finished_at)"
    )
    return bool(rows[0][0])


def _move_no_clobber(path: Path, folder: Path) -> Path:
    """Move `path` into `folder` under a name nothing there has yet: its own, else
    `<sha12>-<name>`, else `<sha12>-<n>-<name>` (a hard link then an unlink, so an
    existing file is never replaced, even by a racing writer)."""
    target = folder / path.name
    sha12 = ""
    taken = 0
    while True:
        try:
            os.link(path, target)
        except FileExistsError:
            taken += 1
            sha12 = sha12 or hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            prefix = sha12 if taken == 1 else f"{sha12}-{taken}"
            target = folder / f"{prefix}-{path.name}"
            continue
        path.unlink()
        return target


def _describe(outcome: FileOutcome) -> str:
    return f"{outcome.landed:,} rows landed, {outcome.rejected:,} rejected"


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _say(message: str) -> None:
    print(f"greenstream: {message}", file=sys.stderr, flush=True)
