-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='reading_id',
    on_schema_change='append_new_columns',
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}

with

-- incremental: only the raw rows landed since the last build
readings as (

    select * from {{ ref('stg_raw__meter_readings') }}
    {%- if incremental %}
        where _loaded_at > {{ watermark('_loaded_at') }}
    {%- endif %}

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

-- statuses 1-6 of SPEC §4: properties of the row alone, first that applies
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
        end as row_status,
        {{ round_kw('kw') }} as kw_rounded
    from converted

),

{%- if incremental %}

-- the (meter, slot)s a new unclassified row competes for
touched_slots as (

    select distinct
        meter_id,
        slot_start
    from checked
    where row_status is null

),

-- stored rows of those slots that took part in the duplicate check (statuses 7-9): they
-- are ranked again together with the new rows (a later conflicting re-delivery turns a
-- valid reading into duplicate_conflict)
stored_competitors as (

    select
        stored._batch_id,
        stored._source_file,
        stored._source_line,
        stored._file_sha256,
        stored._loaded_at,
        stored.meter_id,
        stored.reading_ts as reading_at,
        {{ epoch_us('stored.slot_start') }} as slot_epoch_us,
        stored.slot_start,
        stored.energy_value_num,
        stored.unit,
        stored.unit_kind,
        stored.kw,
        cast(null as text) as row_status,
        {{ round_kw('stored.kw') }} as kw_rounded
    from {{ this }} as stored
    inner join touched_slots
        on
            stored.meter_id = touched_slots.meter_id
            and stored.slot_start = touched_slots.slot_start
    where stored.status in ('duplicate', 'duplicate_conflict', 'negative_value', 'valid')

),

competitors as (

    select * from checked
    union all
    select * from stored_competitors

),
{%- else %}

competitors as (

    select * from checked

),
{%- endif %}

-- status 7: rows still unclassified compete per (meter, slot); the windows of rows
-- already classified are computed too but never read
slot_groups as (

    select
        *,
        count(*) over (
            partition by row_status, meter_id, slot_epoch_us
        ) as rows_in_slot,
        min(kw_rounded) over (
            partition by row_status, meter_id, slot_epoch_us
        ) as slot_min_kw_rounded,
        max(kw_rounded) over (
            partition by row_status, meter_id, slot_epoch_us
        ) as slot_max_kw_rounded,
        row_number() over (
            partition by row_status, meter_id, slot_epoch_us
            order by _loaded_at asc, _source_file asc, _source_line asc, _file_sha256 asc
        ) as arrival_rank
    from competitors

),

classified as (

    select
        *,
        case
            when row_status is not null then row_status
            when rows_in_slot > 1 and slot_min_kw_rounded < slot_max_kw_rounded
                then 'duplicate_conflict'
            when rows_in_slot > 1 and arrival_rank > 1 then 'duplicate'
            when kw < 0 then 'negative_value'
            else 'valid'
        end as status
    from slot_groups

),

final as (

    select
        _file_sha256 || ':' || cast(_source_line as text) as reading_id,
        meter_id,
        status,
        unit,
        unit_kind,
        energy_value_num,
        kw,
        coalesce(status = 'valid' and kw > {{ var('max_kw') }}, false) as is_out_of_bounds,
        status in (
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
