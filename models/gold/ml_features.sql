{#- The features are kept up to date in `int_meter_slots_featured`; this model publishes
    them. On DuckDB, a view over the Parquet files of the export (partitioned by
    local_date, only the changed partitions rewritten each build: doc
    `gold_lake_exports`); on PostgreSQL, a view over the table. local_date is the last
    column on both engines because a partition column comes back last. -#}
{{ config(materialized='view') }}

with

featured_slots as (

    select * from {{ exported_rows(
        'int_ml_features_exported', 'int_meter_slots_featured', "{'local_date': date}"
    ) }}

),

final as (

    select
        meter_id,
        neighbourhood,
        slot_start,
        local_ts,
        hour,  -- noqa: RF04
        iso_weekday,
        is_weekend,
        is_peak,
        kw,
        is_estimated,
        local_date
    from featured_slots

)

select * from final
