-- sqlfluff:indentation:template_blocks_indent:false
{#- A meter-day row is keyed by its meter, a neighbourhood-day row by its neighbourhood:
    the unique key of the incremental update is the expression below. -#}
{%- set row_key = "grain || '|' || coalesce(meter_id, neighbourhood)"
    ~ " || '|' || cast(local_date as text)" %}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=row_key,
    on_schema_change='append_new_columns',
    post_hook="{{ greenstream.delete_placeholders('peak_kw') }}",
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}
-- depends_on: {{ ref('meter_day_quality') }}

with

-- incremental: from the earliest scored-again date on (a constant, pushed into the view)
slots as (

    select * from {{ ref('int_meter_slots_peak_flagged') }}
    {%- if incremental %}
        where local_date >= {{ greenstream.first_changed_date(ref('meter_day_quality')) }}
    {%- endif %}

),

{%- if incremental %}

meter_day_quality as (

    select * from {{ ref('meter_day_quality') }}

),

-- meter-days scored again since the last build (their slots or registry changed)
changed_meter_days as (

    select
        meter_id,
        local_date
    from meter_day_quality
    where _built_at > {{ watermark() }}

),

changed_dates as (

    select distinct local_date
    from changed_meter_days

),

-- every slot on a changed date: the neighbourhood-days need all their meters
slots_on_changed_dates as (

    select slots.*
    from slots
    inner join changed_dates
        on slots.local_date = changed_dates.local_date

),

changed_meter_slots as (

    select slots_on_changed_dates.*
    from slots_on_changed_dates
    inner join changed_meter_days
        on
            slots_on_changed_dates.meter_id = changed_meter_days.meter_id
            and slots_on_changed_dates.local_date = changed_meter_days.local_date

),

-- neighbourhood-days a changed meter-day belongs to now, or belonged to at the last build
affected_neighbourhood_days as (

    select distinct
        neighbourhood,
        local_date
    from changed_meter_slots
    where neighbourhood is not null
    union
    select
        stored.neighbourhood,
        stored.local_date
    from {{ this }} as stored
    inner join changed_meter_days
        on
            stored.meter_id = changed_meter_days.meter_id
            and stored.local_date = changed_meter_days.local_date
    where stored.grain = 'meter_day' and stored.neighbourhood is not null

),

-- SPEC §8: measured, valid, in-bounds readings only
usable_slots as (

    select * from changed_meter_slots
    where source = 'measured' and not is_out_of_bounds

),

neighbourhood_usable_slots as (

    select slots_on_changed_dates.*
    from slots_on_changed_dates
    inner join affected_neighbourhood_days
        on
            slots_on_changed_dates.neighbourhood = affected_neighbourhood_days.neighbourhood
            and slots_on_changed_dates.local_date = affected_neighbourhood_days.local_date
    where slots_on_changed_dates.source = 'measured' and not slots_on_changed_dates.is_out_of_bounds

),
{%- else %}

-- SPEC §8: measured, valid, in-bounds readings only
usable_slots as (

    select * from slots
    where source = 'measured' and not is_out_of_bounds

),

neighbourhood_usable_slots as (

    select * from usable_slots

),
{%- endif %}

meter_slots_ranked as (

    select
        meter_id,
        neighbourhood,
        local_date,
        slot_start,
        {{ round_half_away('kw', 6) }} as peak_kw,
        row_number() over (
            partition by meter_id, local_date
            order by {{ round_half_away('kw', 6) }} desc, slot_start asc
        ) as peak_rank
    from usable_slots

),

meter_day_energy as (

    select
        meter_id,
        local_date,
        sum(case when is_peak then kwh else 0 end) as peak_kwh,
        sum(case when is_peak then 0 else kwh end) as off_peak_kwh
    from usable_slots
    group by meter_id, local_date

),

meter_days as (

    select
        'meter_day' as grain,
        meter_slots_ranked.meter_id,
        meter_slots_ranked.neighbourhood,
        meter_slots_ranked.local_date,
        meter_slots_ranked.peak_kw,
        meter_slots_ranked.slot_start as peak_slot_start,
        meter_day_energy.peak_kwh,
        meter_day_energy.off_peak_kwh
    from meter_slots_ranked
    inner join meter_day_energy
        on
            meter_slots_ranked.meter_id = meter_day_energy.meter_id
            and meter_slots_ranked.local_date = meter_day_energy.local_date
    where meter_slots_ranked.peak_rank = 1

),

-- one row per neighbourhood slot: the sum of its meters' kW at that slot
neighbourhood_slots as (

    select
        neighbourhood,
        local_date,
        slot_start,
        is_peak,
        {{ round_half_away('sum(kw)', 6) }} as kw,
        sum(kwh) as kwh
    from neighbourhood_usable_slots
    where neighbourhood is not null
    group by neighbourhood, local_date, slot_start, is_peak

),

neighbourhood_slots_ranked as (

    select
        *,
        row_number() over (
            partition by neighbourhood, local_date
            order by kw desc, slot_start asc
        ) as peak_rank
    from neighbourhood_slots

),

neighbourhood_day_energy as (

    select
        neighbourhood,
        local_date,
        sum(case when is_peak then kwh else 0 end) as peak_kwh,
        sum(case when is_peak then 0 else kwh end) as off_peak_kwh
    from neighbourhood_slots
    group by neighbourhood, local_date

),

neighbourhood_days as (

    select
        'neighbourhood_day' as grain,
        cast(null as text) as meter_id,
        neighbourhood_slots_ranked.neighbourhood,
        neighbourhood_slots_ranked.local_date,
        neighbourhood_slots_ranked.kw as peak_kw,
        neighbourhood_slots_ranked.slot_start as peak_slot_start,
        neighbourhood_day_energy.peak_kwh,
        neighbourhood_day_energy.off_peak_kwh
    from neighbourhood_slots_ranked
    inner join neighbourhood_day_energy
        on
            neighbourhood_slots_ranked.neighbourhood = neighbourhood_day_energy.neighbourhood
            and neighbourhood_slots_ranked.local_date = neighbourhood_day_energy.local_date
    where neighbourhood_slots_ranked.peak_rank = 1

),

both_grains as (

    select * from meter_days
    union all
    select * from neighbourhood_days

),

{%- if incremental %}
{#- the measures, NULL in the placeholders of both grains -#}
{%- set peak_nulls = [
    ('peak_kw', 'double precision'),
    ('peak_slot_start', 'timestamp with time zone'),
    ('peak_kwh', 'double precision'),
    ('off_peak_kwh', 'double precision'),
] %}

-- a recomputed key left without a row (no usable slot any more, or a neighbourhood the
-- meters moved out of) gets a placeholder (peak_kw NULL) so that delete+insert removes
-- its old row; the post-hook deletes the placeholder
placeholders as (

    select
        {{ greenstream.placeholder_columns([
            "'meter_day' as grain",
            'changed_meter_days.meter_id',
            ('neighbourhood', 'text'),
            'changed_meter_days.local_date',
        ] + peak_nulls) }}
    from changed_meter_days
    left join meter_days
        on
            changed_meter_days.meter_id = meter_days.meter_id
            and changed_meter_days.local_date = meter_days.local_date
    where meter_days.meter_id is null
    union all
    select
        {{ greenstream.placeholder_columns([
            "'neighbourhood_day' as grain",
            ('meter_id', 'text'),
            'affected_neighbourhood_days.neighbourhood',
            'affected_neighbourhood_days.local_date',
        ] + peak_nulls) }}
    from affected_neighbourhood_days
    left join neighbourhood_days
        on
            affected_neighbourhood_days.neighbourhood = neighbourhood_days.neighbourhood
            and affected_neighbourhood_days.local_date = neighbourhood_days.local_date
    where neighbourhood_days.neighbourhood is null

),

rows_to_write as (

    select * from both_grains
    union all
    select * from placeholders

),
{%- else %}

rows_to_write as (

    select * from both_grains

),
{%- endif %}

final as (

    select
        cast(grain as text) as grain,
        cast(meter_id as text) as meter_id,
        cast(neighbourhood as text) as neighbourhood,
        cast(local_date as date) as local_date,
        cast(peak_kw as double precision) as peak_kw,
        cast(peak_slot_start as timestamp with time zone) as peak_slot_start,
        cast({{ round_half_away('peak_kwh', 6) }} as numeric(18, 6)) as peak_kwh,
        cast({{ round_half_away('off_peak_kwh', 6) }} as numeric(18, 6)) as off_peak_kwh,
        {{ built_at() }} as _built_at
    from rows_to_write

)

select * from final
