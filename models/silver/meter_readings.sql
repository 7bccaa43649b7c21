{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='reading',
) }}

with

-- in scope: the raw rows landed since the last complete build, and the rows of their
-- meters from the earliest slot they gained a row on (doc `build_scope_design`)
readings as (

    select * from {{ scoped(ref('stg_raw__meter_readings'), 'raw_reading') }}

),

unit_conversions as (

    select * from {{ ref('unit_conversions') }}

),

slotted as (

    select
        *,
        {{ epoch_us('reading_at') }} as reading_epoch_us,
        {{ slot_epoch_us('reading_at') }} as slot_epoch_us
    from readings

),

converted as (

    select
        slotted.*,
        unit_conversions.unit,
        unit_conversions.kind as unit_kind,
        {{ kw_from_reading(
            'slotted.energy_value_num', 'unit_conversions.factor', 'unit_conversions.kind'
        ) }} as kw,
        {{ timestamptz_of_epoch_us('slotted.slot_epoch_us') }} as slot_start
    from slotted
    left join unit_conversions
        on lower(slotted.energy_unit) = lower(unit_conversions.unit)

),

-- statuses 1-7 of SPEC §4: properties of the row alone (and of its landing), first that
-- applies
checked as (

    select
        _batch_id,
        _source_file,
        _source_line,
        _file_sha256,
        _loaded_at,
        meter_id,
        reading_at,
        slot_epoch_us,
        slot_start,
        energy_value_num,
        unit,
        unit_kind,
        kw,
        case
            when meter_id is null then 'missing_meter_id'
            when reading_at is null then 'invalid_timestamp'
            when
                slot_epoch_us - {{ epoch_us('_loaded_at') }}
                > {{ (var('timestamp_tolerance_seconds') * 1000000) | int }}
                then 'future_timestamp'
            when
                abs(reading_epoch_us - slot_epoch_us)
                > {{ (var('timestamp_tolerance_seconds') * 1000000) | int }}
                then 'off_grid_timestamp'
            when is_energy_value_missing then 'missing_value'
            when
                is_energy_value_invalid
                or energy_value_num is null
                or abs(energy_value_num) > 1e300
                then 'invalid_value'
            when unit is null then 'invalid_unit'
        end as row_status
    from converted

),

-- status 8: rows still unclassified compete per (meter, slot); in scope, every row of a
-- slot that gained a row is here
ranked as (

    {{ ranked_by_arrival('checked') }}

),

classified as (

    select
        *,
        case
            when row_status is not null then row_status
            when
                is_in_crowded_slot
                and {{ round_kw('slot_min_kw') }} < {{ round_kw('slot_max_kw') }}
                then 'duplicate_conflict'
            when arrival_rank > 1 then 'duplicate'
            when kw < 0 then 'negative_value'
            else 'valid'
        end as status
    from ranked

),

final as (

    select
        _file_sha256 || ':' || cast(_source_line as {{ type_text() }}) as reading_id,
        meter_id,
        status,
        unit,
        unit_kind,
        energy_value_num,
        kw,
        coalesce(status = 'valid' and kw > {{ var('max_kw') }}, false) as is_out_of_bounds,
        status in (
            'future_timestamp',
            'off_grid_timestamp',
            'missing_value',
            'invalid_value',
            'invalid_unit',
            'duplicate_conflict',
            'negative_value'
        ) as is_invalid_reading,
        {{ local_date('slot_start') }} as local_date,
        reading_at as reading_ts,
        slot_start,
        _batch_id,
        _source_file,
        _source_line,
        _file_sha256,
        _loaded_at,
        {{ built_at() }} as _built_at
    from classified

)

select * from final
