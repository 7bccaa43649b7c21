-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['meter_id', 'local_date'],
    on_schema_change='append_new_columns',
    post_hook="{{ greenstream.delete_placeholders('slot_start') }}",
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}

with

meter_day_quality as (

    select * from {{ ref('meter_day_quality') }}

),

-- incremental: from the earliest scored-again date on (a constant, pushed into the view)
slots as (

    select * from {{ ref('int_meter_slots_peak_flagged') }}
    {%- if incremental %}
        where local_date >= {{ greenstream.first_changed_date(ref('meter_day_quality')) }}
    {%- endif %}

),

-- incremental: the meter-days scored again since the last build
scored_days as (

    select
        meter_id,
        tier,
        local_date
    from meter_day_quality
    {%- if incremental %}
        where _built_at > {{ watermark() }}
    {%- endif %}

),

gold_days as (

    select
        meter_id,
        local_date
    from scored_days
    where tier = 'GOLD'

),

featured as (

    select
        cast(slots.meter_id as text) as meter_id,
        cast(slots.neighbourhood as text) as neighbourhood,
        cast(slots.slot_start as timestamp with time zone) as slot_start,
        cast(slots.local_ts as timestamp) as local_ts,
        cast(slots.local_hour as integer) as hour,  -- noqa: RF04
        cast(slots.iso_weekday as integer) as iso_weekday,
        cast(slots.is_weekend as boolean) as is_weekend,
        cast(slots.is_peak as boolean) as is_peak,
        cast(slots.kw as double precision) as kw,
        cast(slots.source = 'interpolated' as boolean) as is_estimated,
        cast(slots.local_date as date) as local_date
    from gold_days
    inner join slots
        on
            gold_days.meter_id = slots.meter_id
            and gold_days.local_date = slots.local_date

),

{%- if incremental %}

-- a scored day that is no longer GOLD gets a placeholder (slot_start NULL) so that
-- delete+insert removes its old slots; the post-hook deletes the placeholder
placeholders as (

    select
        {{ greenstream.placeholder_columns([
            'cast(meter_id as text) as meter_id',
            ('neighbourhood', 'text'),
            ('slot_start', 'timestamp with time zone'),
            ('local_ts', 'timestamp'),
            ('hour', 'integer'),
            ('iso_weekday', 'integer'),
            ('is_weekend', 'boolean'),
            ('is_peak', 'boolean'),
            ('kw', 'double precision'),
            ('is_estimated', 'boolean'),
            'cast(local_date as date) as local_date',
        ]) }}
    from scored_days
    where tier <> 'GOLD'

),

rows_to_write as (

    select * from featured
    union all
    select * from placeholders

),
{%- else %}

rows_to_write as (

    select * from featured

),
{%- endif %}

final as (

    select
        *,
        {{ built_at() }} as _built_at
    from rows_to_write

)

select * from final
