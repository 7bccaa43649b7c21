-- Input quality (warn): files in which more than 10 % of the readings have an
-- invalid energy value (present but not a finite decimal number). Usually a
-- locale change (decimal commas) or a shifted column in the export.
{{ config(severity='warn') }}

with

readings as (

    select * from {{ ref('stg_raw__meter_readings') }}
    where {{ landed_since_last_build() }}

),

per_file as (

    select
        _batch_id,
        _source_file,
        count(*) as readings,
        sum(case when is_energy_value_invalid then 1 else 0 end) as invalid_values
    from readings
    group by _batch_id, _source_file

),

final as (

    select
        _batch_id,
        _source_file,
        readings,
        invalid_values
    from per_file
    where invalid_values * 10 > readings

)

select * from final
