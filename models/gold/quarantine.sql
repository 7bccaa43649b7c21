{#- The quarantine is kept up to date incrementally in `int_meter_days_quarantined`;
    this model publishes it. On DuckDB it is written as one Parquet file (ZSTD) under the
    lake folder with a view over it (rewritten whole from the incremental table: dbt-duckdb
    `external` models cannot be incremental); on PostgreSQL it is a view over the table. -#}
{{ config(
    materialized='external' if target.type == 'duckdb' else 'view',
    format='parquet',
    options={'compression': 'zstd'},
) }}

with

quarantined_days as (

    select * from {{ ref('int_meter_days_quarantined') }}

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
