"""The quarantine Parquet export (DuckDB): rewrites the month partitions (`local_month`,
YYYY-MM of `local_date`) whose rows changed in this build and removes the months left
without rows; one row per current partition file (doc `gold_lake_exports`)."""

from greenstream.lake import export

COLUMNS = [
    "meter_id",
    "neighbourhood",
    "local_date",
    "expected_slots",
    "measured_slots",
    "interpolated_slots",
    "missing_slots",
    "invalid_readings",
    "has_unit_conversion",
    "has_out_of_bounds",
    "has_fault",
    "fault_types",
    "neighbour_correlation",
    "deduction_unit_conversion",
    "deduction_interpolation",
    "deduction_out_of_bounds",
    "deduction_fault",
    "deduction_unfilled",
    "q_score",
    "tier",
    "reasons",
]


def model(dbt, session):
    dbt.config(materialized="table")
    quarantined = dbt.ref("int_meter_days_quarantined")
    return export(
        session,
        quarantined,
        this=dbt.this,
        folder=dbt.config.get("lake_folder"),
        partition=("local_month", "strftime(local_date, '%Y-%m')"),
        columns=COLUMNS,
        order_by="local_date, meter_id",
    )
