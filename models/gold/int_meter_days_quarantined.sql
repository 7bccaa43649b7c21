-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['meter_id', 'local_date'],
    on_schema_change='append_new_columns',
    post_hook="{{ greenstream.delete_placeholders('tier') }}",
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}
{%- set interval_minutes = var('reading_interval_minutes') %}

with

meter_day_quality as (

    select * from {{ ref('meter_day_quality') }}

),

-- incremental: the meter-days scored again since the last build
scored_days as (

    select * from meter_day_quality
    {%- if incremental %}
        where _built_at > {{ watermark() }}
    {%- endif %}

),

bronze_days as (

    select * from scored_days
    where tier = 'BRONZE'

),

-- hours as text with 2 decimals, e.g. 12.50
hours_spelled as (

    select
        *,
        cast(cast(
            {{ round_half_away('missing_slots * ' ~ interval_minutes ~ ' / 60.0', 2) }}
            as numeric(12, 2)
        ) as text) as missing_hours_text,
        cast(cast(
            {{ round_half_away('interpolated_slots * ' ~ interval_minutes ~ ' / 60.0', 2) }}
            as numeric(12, 2)
        ) as text) as interpolated_hours_text
    from bronze_days

),

-- one phrase per deduction that applies, largest kinds of loss first
reasons_listed as (

    select
        *,
        concat_ws(
            '; ',
            case when missing_slots > 0 then 'missing ' || missing_hours_text || ' h' end,
            case
                when interpolated_slots > 0
                    then 'interpolated ' || interpolated_hours_text || ' h'
            end,
            case when fault_types <> '' then replace(fault_types, ',', '; ') end,
            case when has_out_of_bounds then 'out of bounds' end,
            case when has_unit_conversion then 'unit conversion' end
        ) as reasons
    from hours_spelled

),

quarantined as (

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
        cast(reasons as text) as reasons
    from reasons_listed

),

{%- if incremental %}

-- a scored day that is no longer BRONZE gets a placeholder (tier NULL) so that
-- delete+insert removes its old row; the post-hook deletes the placeholder
placeholders as (

    select
        {{ greenstream.placeholder_columns([
            'meter_id',
            ('neighbourhood', 'text'),
            'local_date',
            ('expected_slots', 'integer'),
            ('measured_slots', 'integer'),
            ('interpolated_slots', 'integer'),
            ('missing_slots', 'integer'),
            ('invalid_readings', 'integer'),
            ('has_unit_conversion', 'boolean'),
            ('has_out_of_bounds', 'boolean'),
            ('has_fault', 'boolean'),
            ('fault_types', 'text'),
            ('neighbour_correlation', 'double precision'),
            ('deduction_unit_conversion', 'numeric(12, 4)'),
            ('deduction_interpolation', 'numeric(12, 4)'),
            ('deduction_out_of_bounds', 'numeric(12, 4)'),
            ('deduction_fault', 'numeric(12, 4)'),
            ('deduction_unfilled', 'numeric(12, 4)'),
            ('q_score', 'numeric(5, 2)'),
            ('tier', 'text'),
            ('reasons', 'text'),
        ]) }}
    from scored_days
    where tier <> 'BRONZE'

),

rows_to_write as (

    select * from quarantined
    union all
    select * from placeholders

),
{%- else %}

rows_to_write as (

    select * from quarantined

),
{%- endif %}

final as (

    select
        *,
        {{ built_at() }} as _built_at
    from rows_to_write

)

select * from final
