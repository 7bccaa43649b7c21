{#- The quarantine is kept up to date in `int_meter_days_quarantined`; this model
    publishes it. On DuckDB, a view over the Parquet files of the export (partitioned by
    month of local_date, only the changed months rewritten each build: doc
    `gold_lake_exports`); on PostgreSQL, a view over the table. -#}
{{ config(materialized='view') }}

with

quarantined_days as (

    select * from {{ exported_rows(
        'int_quarantine_exported', 'int_meter_days_quarantined', "{'local_month': varchar}"
    ) }}

),

final as (

    select
        meter_id,
        neighbourhood,
        local_date,
        expected_slots,
        measured_slots,
        interpolated_slots,
        missing_slots,
        invalid_readings,
        has_unit_conversion,
        has_out_of_bounds,
        has_fault,
        fault_types,
        neighbour_correlation,
        deduction_unit_conversion,
        deduction_interpolation,
        deduction_out_of_bounds,
        deduction_fault,
        deduction_unfilled,
        q_score,
        tier,
        reasons
    from quarantined_days

)

select * from final
