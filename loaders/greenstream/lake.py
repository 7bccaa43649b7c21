"""Parquet exports by partition (DuckDB): only the partitions whose rows changed are written.

The gold exports `ml_features` (by `local_date`) and `quarantine` (by month of
`local_date`) are kept in incremental tables; a dbt Python model calls `export` after
each build. A partition's fingerprint is its row count and the latest `_built_at` of its
rows: every row a build writes carries that build's start, so a partition that gained,
lost or replaced rows has a new fingerprint. Such a partition is written again whole
(`<folder>/<key>=<value>/<uuid>.parquet`, ZSTD, rows in `order_by` order); a partition
without rows any more is removed, and so is anything else in the folder that is not a
current partition. The returned table lists the current partition files: the gold views
read exactly these files.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa

LISTING = pa.schema(
    [
        ("partition_value", pa.string()),
        ("row_count", pa.int64()),
        ("latest_built_at", pa.timestamp("us", tz="UTC")),
        ("path", pa.string()),
    ]
)
Fingerprint = tuple[int, Any]


def export(
    session: Any,
    rows: Any,
    this: Any,
    folder: str,
    partition: tuple[str, str],
    columns: list[str],
    order_by: str,
) -> pa.Table:
    """Write the changed partitions of `rows` (a DuckDB relation of `session`) to `folder`.

    `this` is the dbt model's own relation (its table holds the listing this export
    returned last time, once there is one); `partition` is (key, SQL expression of the
    partition value as text).
    """
    key, value_sql = partition
    root = Path(folder).resolve()
    # the name the rows go by in this export's queries: exports run side by side on one
    # connection, whose virtual table names they share
    name = f"rows_of_{root.name}"
    current: dict[str, Fingerprint] = {
        value: (row_count, latest)
        for value, row_count, latest in rows.query(
            name, f"select {value_sql}, count(*), max(_built_at) from {name} group by 1"
        ).fetchall()
    }
    exported = {
        value: (row_count, latest)
        for value, row_count, latest, path in _previous_listing(session, this)
        if Path(path).is_file()
    }
    changed = sorted(value for value, print_ in current.items() if exported.get(value) != print_)
    keep = {f"{key}={value}" for value in current.keys() - set(changed)}
    if root.is_dir():
        for entry in root.iterdir():
            if entry.name in keep:
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    if changed:
        values = ", ".join("'" + value.replace("'", "''") + "'" for value in changed)
        rows.query(
            name,
            f"select {', '.join(columns)}, {value_sql} as {key} from {name}"
            f" where {value_sql} in ({values}) order by {order_by}",
        ).to_parquet(str(root), partition_by=[key], append=True, compression="zstd")
    return pa.Table.from_pylist(
        [
            {
                "partition_value": value,
                "row_count": row_count,
                "latest_built_at": latest,
                "path": str(path),
            }
            for value, (row_count, latest) in sorted(current.items())
            for path in sorted((root / f"{key}={value}").glob("*.parquet"))
        ],
        schema=LISTING,
    )


def _previous_listing(session: Any, this: Any) -> list[tuple[str, int, Any, str]]:
    found = session.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [this.schema, this.identifier],
    ).fetchall()[0][0]
    if not found:
        return []
    return list(
        session.execute(
            "select partition_value, row_count, latest_built_at, path"
            f' from "{this.schema}"."{this.identifier}"'
        ).fetchall()
    )
