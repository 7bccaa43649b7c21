-- sqlfluff:indentation:template_blocks_indent:false
{#- A table, not a view: the parse is the costliest step of the pipeline, so it runs
    once per raw row (the rows landed since the last build are appended) instead of
    once per reader (silver and every data test). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}

with

-- incremental: only the raw rows landed since the last build (the loader only appends;
-- rows that retention archives stay here, as in silver)
source as (

    select * from {{ source('raw', 'meter_readings') }}
    {%- if is_incremental() %}
        where _loaded_at > (select coalesce(max(_loaded_at), {{ the_beginning() }}) from {{ this }})
    {%- endif %}

),

trimmed as (

    select
        _batch_id,
        _source_file,
        _source_line,
        _file_sha256,
        _loaded_at,
        {{ trim_whitespace('meter_id') }} as meter_id,
        {{ trim_whitespace(adapter.quote('timestamp')) }} as timestamp_text,
        {{ trim_whitespace('energy_value') }} as energy_value_text,
        {{ trim_whitespace('energy_unit') }} as energy_unit
    from source
    {{ optimizer_fence() }}

),

-- the zone designator's length, read many times by the timestamp parse
zoned as (

    select
        *,
        {{ timestamp_zone_length('timestamp_text') }} as timestamp_zone_length
    from trimmed
    {{ optimizer_fence() }}

),

parsed as (

    select
        _batch_id,
        _source_file,
        _source_line,
        _file_sha256,
        _loaded_at,
        timestamp_text,
        energy_value_text,
        nullif(meter_id, '') as meter_id,
        nullif(energy_unit, '') as energy_unit,
        {{ parse_timestamp_utc('timestamp_text', 'timestamp_zone_length') }} as reading_at,
        {{ parse_decimal_number('energy_value_text') }} as energy_value_num,
        {{ is_missing_token('energy_value_text') }} as is_energy_value_missing
    from zoned
    {{ optimizer_fence() }}

),

flagged as (

    select
        *,
        not is_energy_value_missing and energy_value_num is null as is_energy_value_invalid
    from parsed

),

final as (

    select
        _batch_id,
        _source_file,
        _source_line,
        _file_sha256,
        _loaded_at,
        meter_id,
        timestamp_text,
        reading_at,
        energy_value_text,
        energy_value_num,
        is_energy_value_missing,
        is_energy_value_invalid,
        energy_unit
    from flagged

)

select * from final
