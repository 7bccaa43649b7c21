-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['meter_id', 'local_date'],
    on_schema_change='append_new_columns',
    post_hook="{{ greenstream.delete_placeholders('tier') }}",
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}

with

meter_day_quality as (

    select * from {{ ref('meter_day_quality') }}

),

-- incremental: from the earliest scored-again date on (a constant, pushed into the view)
all_slots as (

    select * from {{ ref('int_meter_slots_peak_flagged') }}
    {%- if incremental %}
        where local_date >= {{ greenstream.first_changed_date(ref('meter_day_quality')) }}
    {%- endif %}

),

registry_versions as (

    select * from {{ ref('int_meter_registry_versions') }}

),

-- incremental: the meter-days scored again since the last build (their slots, tier or
-- registry attributes may have changed)
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

billable_days as (

    select
        meter_id,
        tier,
        local_date
    from scored_days
    where tier in ('GOLD', 'SILVER')

),

slots as (

    select all_slots.*
    from all_slots
    inner join billable_days
        on
            all_slots.meter_id = billable_days.meter_id
            and all_slots.local_date = billable_days.local_date

),

-- measured (in or out of bounds) and interpolated slots; missing slots carry no kW
energy_per_day as (

    select
        meter_id,
        local_date,
        sum(case when is_peak then kwh else 0 end) as peak_kwh,
        sum(case when is_peak then 0 else kwh end) as off_peak_kwh,
        sum(case when source = 'interpolated' then kwh else 0 end) as estimated_kwh
    from slots
    where source in ('measured', 'interpolated')
    group by meter_id, local_date

),

energy_rounded as (

    select
        meter_id,
        local_date,
        cast({{ round_half_away('peak_kwh', 6) }} as numeric(18, 6)) as peak_kwh,
        cast({{ round_half_away('off_peak_kwh', 6) }} as numeric(18, 6)) as off_peak_kwh,
        cast({{ round_half_away('estimated_kwh', 6) }} as numeric(18, 6)) as estimated_kwh
    from energy_per_day

),

billed as (

    select
        cast(billable_days.meter_id as text) as meter_id,
        cast(registry_versions.customer_key as text) as customer_key,
        cast(registry_versions.tariff as text) as tariff,
        cast(registry_versions.neighbourhood as text) as neighbourhood,
        cast(billable_days.local_date as date) as local_date,
        cast(billable_days.tier as text) as tier,
        -- the total is the sum of its rounded parts, so total = peak + off-peak exactly
        cast(
            coalesce(energy_rounded.peak_kwh, 0) + coalesce(energy_rounded.off_peak_kwh, 0)
            as numeric(18, 6)
        ) as total_kwh,
        cast(coalesce(energy_rounded.peak_kwh, 0) as numeric(18, 6)) as peak_kwh,
        cast(coalesce(energy_rounded.off_peak_kwh, 0) as numeric(18, 6)) as off_peak_kwh,
        cast(coalesce(energy_rounded.estimated_kwh, 0) as numeric(18, 6)) as estimated_kwh
    from billable_days
    left join energy_rounded
        on
            billable_days.meter_id = energy_rounded.meter_id
            and billable_days.local_date = energy_rounded.local_date
    left join registry_versions
        on
            billable_days.meter_id = registry_versions.meter_id
            and billable_days.local_date >= registry_versions.valid_from_date
            and billable_days.local_date < registry_versions.valid_to_date

),

{%- if incremental %}

-- a scored day that is no longer billable gets a placeholder (tier NULL) so that
-- delete+insert removes its old row; the post-hook deletes the placeholder
placeholders as (

    select
        {{ greenstream.placeholder_columns([
            'meter_id',
            ('customer_key', 'text'),
            ('tariff', 'text'),
            ('neighbourhood', 'text'),
            'local_date',
            ('tier', 'text'),
            ('total_kwh', 'numeric(18, 6)'),
            ('peak_kwh', 'numeric(18, 6)'),
            ('off_peak_kwh', 'numeric(18, 6)'),
            ('estimated_kwh', 'numeric(18, 6)'),
        ]) }}
    from scored_days
    where tier not in ('GOLD', 'SILVER')

),

rows_to_write as (

    select * from billed
    union all
    select * from placeholders

),
{%- else %}

rows_to_write as (

    select * from billed

),
{%- endif %}

final as (

    select
        *,
        {{ built_at() }} as _built_at
    from rows_to_write

)

select * from final
