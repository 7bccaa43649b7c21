-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['meter_id', 'slot_start'],
    on_schema_change='append_new_columns',
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}
{%- set interval_minutes = var('reading_interval_minutes') | int -%}

with

all_slots as (

    select * from {{ ref('int_meter_slots_interpolated') }}

),

{%- if incremental %}

-- per meter with slots built since the last build: the earliest such slot
changed_meters as (

    select
        meter_id,
        min(slot_start) as first_changed_slot
    from all_slots
    where _built_at > {{ watermark() }}
    group by meter_id

),

-- the stored measured slot right before the earliest change
previous_measured as (

    select
        changed_meters.meter_id,
        changed_meters.first_changed_slot,
        max(stored.slot_start) as previous_measured_slot
    from changed_meters
    left join {{ this }} as stored
        on
            changed_meters.meter_id = stored.meter_id
            and stored.slot_start < changed_meters.first_changed_slot
            and stored.source = 'measured'
    group by changed_meters.meter_id, changed_meters.first_changed_slot

),

-- runs that end before that slot cannot change; the runs it belongs to can grow. Value
-- runs are recomputed from the start of its value run, near-zero runs from the start of
-- its near-zero run (or from the slot itself when it is not near zero). NULL: no
-- measured slot before the change, recompute the meter whole
run_bounds as (

    select
        previous_measured.meter_id,
        stored.value_run_started_at as value_runs_from,
        coalesce(stored.near_zero_run_started_at, stored.slot_start) as near_zero_runs_from,
        case
            when stored.value_run_started_at < coalesce(stored.near_zero_run_started_at, stored.slot_start)
                then stored.value_run_started_at
            else coalesce(stored.near_zero_run_started_at, stored.slot_start)
        end as read_from
    from previous_measured
    left join {{ this }} as stored
        on
            previous_measured.meter_id = stored.meter_id
            and previous_measured.previous_measured_slot = stored.slot_start

),

slots as (

    select
        all_slots.*,
        run_bounds.value_runs_from,
        run_bounds.near_zero_runs_from
    from all_slots
    inner join run_bounds
        on
            all_slots.meter_id = run_bounds.meter_id
            and (run_bounds.read_from is null or all_slots.slot_start >= run_bounds.read_from)

),

-- slots read again but ahead of one kind of run's recompute start keep that kind's flags
stored_flags as (

    select
        stored.meter_id,
        stored.slot_start,
        stored.is_stuck,
        stored.value_run_started_at,
        stored.is_near_zero,
        stored.near_zero_run_started_at
    from {{ this }} as stored
    inner join run_bounds
        on
            stored.meter_id = run_bounds.meter_id
            and stored.slot_start >= run_bounds.read_from
            and (
                stored.slot_start < run_bounds.value_runs_from
                or stored.slot_start < run_bounds.near_zero_runs_from
            )

),
{%- else %}

slots as (

    select
        *,
        cast(null as timestamp with time zone) as value_runs_from,
        cast(null as timestamp with time zone) as near_zero_runs_from
    from all_slots

),
{%- endif %}

-- runs are over measured slots only, in time order: other slots are skipped (SPEC §6)
measured_slots as (

    select
        meter_id,
        slot_epoch_us,
        slot_start,
        value_runs_from,
        near_zero_runs_from,
        {{ round_kw('kw') }} as kw_rounded,
        kw <= {{ var('near_zero_kw') }} as is_near_zero_reading
    from slots
    where source = 'measured'

),

value_run_keyed as (

    select
        *,
        {{ run_key('meter_id', 'slot_epoch_us', 'kw_rounded') }} as value_run_key
    from measured_slots
    where value_runs_from is null or slot_start >= value_runs_from

),

near_zero_run_keyed as (

    select
        *,
        {{ run_key('meter_id', 'slot_epoch_us', 'is_near_zero_reading') }} as near_zero_run_key
    from measured_slots
    where near_zero_runs_from is null or slot_start >= near_zero_runs_from

),

value_runs as (

    select
        meter_id,
        slot_epoch_us,
        min(slot_start) over (
            partition by meter_id, kw_rounded, value_run_key
        ) as value_run_started_at,
        count(*) over (
            partition by meter_id, kw_rounded, value_run_key
        ) as value_run_readings
    from value_run_keyed

),

near_zero_runs as (

    select
        meter_id,
        slot_epoch_us,
        is_near_zero_reading,
        min(slot_start) over (
            partition by meter_id, is_near_zero_reading, near_zero_run_key
        ) as near_zero_run_started_at,
        count(*) over (
            partition by meter_id, is_near_zero_reading, near_zero_run_key
        ) as near_zero_run_readings
    from near_zero_run_keyed

),

flagged as (

    select
        slots.meter_id,
        slots.unit,
        slots.source,
        slots.kw,
        slots.anchor_before_kw,
        slots.anchor_after_kw,
        value_runs.slot_epoch_us is not null as has_value_run,
        near_zero_runs.slot_epoch_us is not null as has_near_zero_run,
        coalesce(
            value_runs.value_run_readings * {{ interval_minutes }}
            >= {{ var('stuck_min_hours') }} * 60,
            false
        ) as is_stuck,
        coalesce(
            near_zero_runs.is_near_zero_reading
            and near_zero_runs.near_zero_run_readings * {{ interval_minutes }}
            >= {{ var('near_zero_min_hours') }} * 60,
            false
        ) as is_near_zero,
        slots.is_out_of_bounds,
        slots.local_date,
        slots.slot_start,
        value_runs.value_run_started_at,
        case
            when near_zero_runs.is_near_zero_reading then near_zero_runs.near_zero_run_started_at
        end as near_zero_run_started_at
    from slots
    left join value_runs
        on
            slots.meter_id = value_runs.meter_id
            and slots.slot_epoch_us = value_runs.slot_epoch_us
    left join near_zero_runs
        on
            slots.meter_id = near_zero_runs.meter_id
            and slots.slot_epoch_us = near_zero_runs.slot_epoch_us

),

final as (

    select
        flagged.meter_id,
        flagged.unit,
        flagged.source,
        flagged.kw,
        flagged.anchor_before_kw,
        flagged.anchor_after_kw,
        {%- if incremental %}
            case
                when flagged.source = 'measured' and not flagged.has_value_run
                    then stored_flags.is_stuck
                else flagged.is_stuck
            end as is_stuck,
            case
                when flagged.source = 'measured' and not flagged.has_near_zero_run
                    then stored_flags.is_near_zero
                else flagged.is_near_zero
            end as is_near_zero,
        {%- else %}
        flagged.is_stuck,
        flagged.is_near_zero,
        {%- endif %}
        flagged.is_out_of_bounds,
        flagged.local_date,
        flagged.slot_start,
        {%- if incremental %}
            case
                when flagged.source = 'measured' and not flagged.has_value_run
                    then stored_flags.value_run_started_at
                else flagged.value_run_started_at
            end as value_run_started_at,
            case
                when flagged.source = 'measured' and not flagged.has_near_zero_run
                    then stored_flags.near_zero_run_started_at
                else flagged.near_zero_run_started_at
            end as near_zero_run_started_at,
        {%- else %}
        flagged.value_run_started_at,
        flagged.near_zero_run_started_at,
        {%- endif %}
        {{ built_at() }} as _built_at
    from flagged
    {%- if incremental %}
        left join stored_flags
            on
                flagged.meter_id = stored_flags.meter_id
                and flagged.slot_start = stored_flags.slot_start
    {%- endif %}

)

select * from final
