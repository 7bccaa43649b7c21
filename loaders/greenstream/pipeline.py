"""dbt builds that survive transient failures, and the record of every run for data ops.

`build` runs `dbt build` (no unit tests: `make test` runs those). A failed attempt is
transient when dbt could not reach or lock the warehouse (a lost or refused connection,
a lock or serialization conflict, a timeout); it is then tried again after
BUILD_BACKOFF_SECONDS * 2**(n-1) (2, 4, 8 s, plus up to 50 % jitter), at most
BUILD_ATTEMPTS times in all. When the failed attempt ran nodes, the retry is `dbt retry`
(only the nodes that errored, failed or were skipped run again); when dbt stopped before
running any node (the warehouse was unreachable from the start) the build is run again.
Anything else (a failing data test of severity error, a SQL error) is not retried.

Every build, run and watch cycle leaves one row in `audit.pipeline_runs`, and a build its
dbt results, one row per node (the last attempt's result of each node), in
`audit.build_results` of the warehouse it built: `greenstream failures` and `status` read
them there, never from dbt's `target/run_results.json`, which every warehouse of a
checkout shares. A build that still fails, a file sent to the dead letter by the watcher
and a warehouse outage leave a row in `audit.alerts`. Rows wait in an `AuditLog` until the
warehouse takes them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import psycopg2

from greenstream.errors import WarehouseUnavailable, first_line
from greenstream.settings import Settings
from greenstream.transform import run_dbt
from greenstream.warehouse import Warehouse

BUILD_ATTEMPTS = 4  # the build and up to 3 retries
BUILD_BACKOFF_SECONDS = 2.0  # before retry n: 2 * 2**(n-1) s, plus up to 50 % jitter
BUILD_COMMAND = ("build", "--exclude-resource-type", "unit_test")

# What a transient warehouse problem says, on PostgreSQL (libpq, server) and DuckDB.
TRANSIENT = re.compile(
    r"connection refused|could not connect|connection to server|server closed the connection"
    r"|connection (?:reset|timed out|already closed|is closed)|terminating connection"
    r"|ssl connection has been closed|no connection to the server|too many clients"
    r"|the database system is (?:starting up|shutting down|in recovery)"
    r"|could not serialize access|deadlock detected|lock timeout|could not set lock"
    r"|conflicting lock|transactioncontext error: conflict|statement timeout|timed out",
    re.IGNORECASE,
)
_FAILED = ("error", "fail", "runtime error")


@dataclass(frozen=True)
class NodeResult:
    """One node's dbt result in a build: one row of audit.build_results."""

    unique_id: str
    resource_type: str
    name: str
    status: str  # success | error | skipped | pass | warn | fail | ...
    failures: int | None  # failing rows of a test
    rows_affected: int | None
    message: str | None
    relation_name: str | None  # where a test stored its failing rows
    attached_node: str | None  # the model a test is attached to
    column_name: str | None  # the column a test checks
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    execution_seconds: float


@dataclass(frozen=True)
class BuildResult:
    """How a build ended: success, dbt invocations used, the error in one line, and the
    last result of every node that ran."""

    success: bool
    attempts: int
    error: str | None
    finished_at: dt.datetime
    transient: bool = False  # it failed on a transient error: worth trying again later
    nodes: tuple[NodeResult, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """One dbt invocation judged: did it succeed, is its failure worth retrying."""

    success: bool
    transient: bool
    ran_nodes: bool  # run_results.json was written: `dbt retry` can pick up from it
    error: str | None


@dataclass(frozen=True)
class RunRecord:
    """One row of audit.pipeline_runs."""

    command: str  # build | run | watch
    target: str
    started_at: dt.datetime
    finished_at: dt.datetime
    files: int
    rows_landed: int
    outcome: str  # success | failed
    attempts: int
    error: str | None
    latencies: dict[str, float] = field(default_factory=dict)  # file -> seconds
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    nodes: tuple[NodeResult, ...] = ()  # audit.build_results of this run


@dataclass(frozen=True)
class Alert:
    """One row of audit.alerts."""

    source: str  # build | run | watch
    severity: str  # warning | error
    subject: str
    message: str
    raised_at: dt.datetime = field(default_factory=lambda: now())
    alert_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class AuditLog:
    """Rows for audit.pipeline_runs and audit.alerts, kept until the warehouse takes them
    (it may be down when they happen)."""

    def __init__(self) -> None:
        self.pending: list[RunRecord | Alert] = []

    def add(self, row: RunRecord | Alert) -> None:
        self.pending.append(row)

    def write(self, warehouse: Warehouse) -> None:
        """Insert every pending row in one transaction (the audit tables must exist)."""
        if not self.pending:
            return
        with warehouse.transaction():
            for row in self.pending:
                if isinstance(row, RunRecord):
                    _insert_run(warehouse, row)
                else:
                    _insert_alert(warehouse, row)
        self.pending.clear()

    def flush(self, settings: Settings) -> bool:
        """Write pending rows over a new connection; on failure keep them and warn."""
        if not self.pending:
            return True
        try:
            warehouse = Warehouse(settings)
        except WarehouseUnavailable as error:
            _warn_unrecorded(error)
            return False
        try:
            self.write(warehouse)
        except (duckdb.Error, psycopg2.Error) as error:
            _warn_unrecorded(error)
            return False
        finally:
            warehouse.close()
        return True


def _warn_unrecorded(error: BaseException) -> None:
    print(
        f"greenstream: warning: could not record the run in audit ({first_line(error)})",
        file=sys.stderr,
        flush=True,
    )


def _insert_run(warehouse: Warehouse, row: RunRecord) -> None:
    warehouse.execute(
        "insert into audit.pipeline_runs (run_id, command, target, started_at, finished_at, "
        "files, rows_landed, outcome, attempts, error, latency_seconds, file_latencies) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row.run_id,
            row.command,
            row.target,
            row.started_at,
            row.finished_at,
            row.files,
            row.rows_landed,
            row.outcome,
            row.attempts,
            row.error,
            max(row.latencies.values()) if row.latencies else None,
            json.dumps(row.latencies) if row.latencies else None,
        ],
    )
    if not row.nodes:
        return
    values = [
        [
            row.run_id,
            row.finished_at,
            node.unique_id,
            node.resource_type,
            node.name,
            node.status,
            node.failures,
            node.rows_affected,
            node.message,
            node.relation_name,
            node.attached_node,
            node.column_name,
            node.started_at,
            node.completed_at,
            node.execution_seconds,
        ]
        for node in row.nodes
    ]
    placeholders = ", ".join(["(" + ", ".join(["?"] * len(values[0])) + ")"] * len(values))
    warehouse.execute(  # one statement: the warehouse is held as briefly as possible
        "insert into audit.build_results (run_id, build_finished_at, unique_id, "
        "resource_type, name, status, failures, rows_affected, message, relation_name, "
        "attached_node, column_name, started_at, completed_at, execution_seconds) "
        f"values {placeholders}",
        [value for node_values in values for value in node_values],
    )


def _insert_alert(warehouse: Warehouse, row: Alert) -> None:
    warehouse.execute(
        "insert into audit.alerts (alert_id, raised_at, source, severity, subject, message) "
        "values (?, ?, ?, ?, ?, ?)",
        [row.alert_id, row.raised_at, row.source, row.severity, row.subject, row.message],
    )


def build(
    settings: Settings,
    dbt_vars: dict[str, Any],
    *,
    full_refresh: bool = False,
    select: Sequence[str] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    jitter: Callable[[], float] = random.random,
    stopping: Callable[[], bool] = lambda: False,
) -> BuildResult:
    """`dbt build`, retried on transient failures (see the module docstring)."""
    if settings.target == "duckdb":
        settings.lake_dir.mkdir(parents=True, exist_ok=True)  # Parquet exports land here
    command = list(BUILD_COMMAND)
    if full_refresh:
        command.append("--full-refresh")
    if select:
        command += ["--select", *select]
    attempts = 0
    resume = False  # an attempt wrote run_results.json: retry from it
    nodes: dict[str, NodeResult] = {}  # the last result of each node
    while True:
        attempts += 1
        result = run_dbt(["retry"] if resume else command, settings, dbt_vars)
        verdict = judge(result)
        nodes.update((node.unique_id, node) for node in node_results(result))
        if settings.target == "duckdb":
            _release_duckdb()
        if verdict.success:
            return BuildResult(True, attempts, None, now(), nodes=tuple(nodes.values()))
        resume = resume or verdict.ran_nodes
        error = verdict.error or "dbt build failed"
        if attempts > 1:
            error = f"{error} (after {attempts} attempts)"
        if not verdict.transient or attempts >= BUILD_ATTEMPTS or stopping():
            return BuildResult(
                False, attempts, error, now(), verdict.transient, tuple(nodes.values())
            )
        delay = BUILD_BACKOFF_SECONDS * 2 ** (attempts - 1) * (1 + 0.5 * jitter())
        print(
            f"greenstream: transient build failure: {verdict.error}; "
            f"{'dbt retry' if resume else 'dbt build'} in {delay:.1f} s "
            f"(attempt {attempts + 1} of {BUILD_ATTEMPTS})",
            file=sys.stderr,
            flush=True,
        )
        sleep(delay)
        if stopping():  # asked to stop while waiting: leave the retry to the next start
            error = f"{error}; stopped before retrying"
            return BuildResult(False, attempts, error, now(), True, tuple(nodes.values()))


def judge(result: Any) -> Verdict:
    """Judge a dbtRunnerResult of `dbt build` or `dbt retry`."""
    if result.success:
        return Verdict(True, False, True, None)
    if result.exception is not None:  # dbt stopped before (or instead of) running nodes
        text = str(result.exception)
        return Verdict(False, bool(TRANSIENT.search(text)), False, _message(text))
    failed = [node for node in result.result.results if str(node.status) in _FAILED]
    transient = any(
        str(node.status) != "fail" and TRANSIENT.search(node.message or "") for node in failed
    )
    described = [f"{node.node.unique_id}: {_message(node.message)}" for node in failed[:3]]
    more = f" (+{len(failed) - 3} more)" if len(failed) > 3 else ""
    error = f"{len(failed)} failed: {'; '.join(described)}{more}" if failed else None
    return Verdict(False, transient, True, error)


def node_results(result: Any) -> list[NodeResult]:
    """The nodes a dbtRunnerResult ran, with their results (none when dbt stopped first)."""
    if result.exception is not None or result.result is None:
        return []
    found = []
    for ran in result.result.results:
        node = ran.node
        timing = [moment for step in ran.timing for moment in (step.started_at, step.completed_at)]
        rows = (ran.adapter_response or {}).get("rows_affected")
        found.append(
            NodeResult(
                unique_id=str(node.unique_id),
                resource_type=str(node.resource_type),
                name=str(node.name),
                status=str(ran.status),
                failures=ran.failures,
                rows_affected=int(rows) if isinstance(rows, int) else None,
                message=ran.message,
                # only tests have the last two, not every node a relation
                relation_name=getattr(node, "relation_name", None),
                attached_node=getattr(node, "attached_node", None),
                column_name=getattr(node, "column_name", None),
                started_at=_utc(min(timing)) if timing else None,
                completed_at=_utc(max(timing)) if timing else None,
                execution_seconds=float(ran.execution_time),
            )
        )
    return found


def _utc(moment: dt.datetime) -> dt.datetime:
    """dbt's timings are naive UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _message(message: str | None) -> str:
    """A node's message in one line (dbt puts 'Database Error in model x' on its own line)."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    return " ".join(lines[:3]) if lines else "failed"


def record_build(
    audit: AuditLog,
    settings: Settings,
    result: BuildResult,
    *,
    command: str,
    started_at: dt.datetime,
    files: int = 0,
    rows_landed: int = 0,
    arrivals: Sequence[tuple[str, dt.datetime]] = (),
) -> RunRecord:
    """Queue the run's audit row (and an alert when the build failed).

    `arrivals` are the files the build covers with the time each arrived: on success the
    record carries each file's event-to-insight latency (arrival to the end of the build).
    """
    latencies = (
        {name: (result.finished_at - arrived).total_seconds() for name, arrived in arrivals}
        if result.success
        else {}
    )
    record = RunRecord(
        command=command,
        target=settings.target,
        started_at=started_at,
        finished_at=result.finished_at,
        files=files,
        rows_landed=rows_landed,
        outcome="success" if result.success else "failed",
        attempts=result.attempts,
        error=result.error,
        latencies=latencies,
        nodes=result.nodes,
    )
    audit.add(record)
    if not result.success:
        audit.add(Alert(command, "error", f"build {record.run_id}", result.error or "failed"))
    return record


def _release_duckdb() -> None:
    """dbt-duckdb keeps its database open in the process after a run (`keep_open`): close
    it, so that the file is not locked while a watcher waits for the next file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    manager: Any = DuckDBConnectionManager  # untyped
    try:
        environment = manager.env()
    except Exception:  # dbt never opened it (it stopped before running anything)
        return
    manager.close_all_connections()
    environment.close()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
