"""The ml_features Parquet export (DuckDB): rewrites the `local_date` partitions whose
rows changed in this build and removes the partitions left without rows; one row per
current partition file (doc `gold_lake_exports`)."""

from greenstream.lake import export

COLUMNS = [
    "meter_id",
    "neighbourhood",
    "slot_start",
    "local_ts",
    "hour",
    "iso_weekday",
    "is_weekend",
    "is_peak",
    "kw",
    "is_estimated",
]


def model(dbt, session):
    dbt.config(materialized="table")
    featured = dbt.ref("int_meter_slots_featured")
    return export(
        session,
        featured,
        this=dbt.this,
        folder=dbt.config.get("lake_folder"),
        partition=("local_date", "cast(local_date as varchar)"),
        columns=COLUMNS,
        order_by="meter_id, slot_start",
    )
