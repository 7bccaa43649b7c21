{#- What this build recomputes (doc `build_scope_design`): every widening rule in one
    place. Rebuilt whole every build from what is new since the last complete build. -#}
{#- the last complete build, read once: what it parsed and when it started -#}
{%- set new_after = loaded_through() -%}
{%- set versions_after = last_build_started_at() -%}
{#- a first build or a full refresh rebuilds every scoped table whole: no scope to work
    out, and no scan of the raw rows for the earliest new reading -#}
{%- set scope_needed = scope_is_read() -%}
{%- set earliest_new_reading = earliest_new_reading_at() if scope_needed else the_end() -%}

with

raw_readings as (

    select * from {{ ref('stg_raw__meter_readings') }}

),

rejected_rows as (

    select * from {{ ref('stg_raw__rejected_rows') }}

),

load_ledger as (

    select * from {{ ref('stg_raw__load_ledger') }}

),

registry_versions as (

    select * from {{ ref('int_meter_registry_versions') }}

),

-- the slots the last build stored: runs and anchors that new readings can extend
stored_slots as (

    select * from {{ stored_meter_slots() }}

),

-- raw rows landed since the last complete build, on their slots (SPEC §4)
new_readings as (

    select
        meter_id,
        {{ timestamptz_of_epoch_us(slot_epoch_us('reading_at')) }} as slot_start
    from raw_readings
    where _loaded_at > {{ new_after }}

),

-- rule 1: a meter's rows can change from the earliest slot it gained a row on (late and
-- out-of-order rows of any age; a later duplicate changes the status of its slot's rows)
changed_meters as (

    select
        meter_id,
        min(slot_start) as changed_from
    from new_readings
    where meter_id is not null and slot_start is not null
    group by meter_id

),

previous_measured_slots as (

    select
        changed_meters.meter_id,
        max(stored_slots.slot_start) as slot_start
    from changed_meters
    inner join stored_slots
        on
            changed_meters.meter_id = stored_slots.meter_id
            and changed_meters.changed_from > stored_slots.slot_start
            and stored_slots.source = 'measured'
    group by changed_meters.meter_id

),

-- rule 2: slots are recomputed from the start of the runs of the measured slot before the
-- change (a stuck or near-zero run can grow; that slot is also the interpolation anchor
-- of the gap before the change). Both compare kW rounded to 6 decimals, so a near-zero
-- run holds the value runs of its slots and its start, when there is one, is the
-- earlier: no run of either kind crosses it. No measured slot before: the whole meter
slot_changes as (

    select
        changed_meters.meter_id,
        changed_meters.changed_from,
        coalesce(
            stored_slots.near_zero_run_started_at,
            stored_slots.value_run_started_at,
            {{ the_beginning() }}
        ) as rebuild_slots_from
    from changed_meters
    left join previous_measured_slots
        on changed_meters.meter_id = previous_measured_slots.meter_id
    left join stored_slots
        on
            previous_measured_slots.meter_id = stored_slots.meter_id
            and previous_measured_slots.slot_start = stored_slots.slot_start

),

-- a meter-day's slots change from the day of the first slot that can change; that slot
-- is measured, so its day is in the meter's span and the span after it (SPEC §5
-- max_silent_days) depends only on the days from it. Measured values (what hourly
-- profiles and peaks read) change only from the day of changed_from
slot_changes_dated as (

    select
        meter_id,
        changed_from,
        rebuild_slots_from,
        case
            when rebuild_slots_from = {{ the_beginning() }} then cast('0001-01-01' as date)
            else {{ local_date('rebuild_slots_from') }}
        end as rebuild_slots_from_date,
        {{ local_date('changed_from') }} as values_changed_from_date
    from slot_changes

),

-- rule 3: a registry version recorded since the last complete build changes the meter's
-- days from the date it takes effect (a meter's first version: all its days)
registry_changes as (

    select
        meter_id,
        min(coalesce(valid_from_date, cast('0001-01-01' as date))) as rebuild_days_from
    from registry_versions
    where version_built_at > {{ versions_after }}
    group by meter_id

),

meter_changes as (

    select
        meter_id,
        changed_from,
        rebuild_slots_from,
        rebuild_slots_from_date,
        rebuild_slots_from_date as rebuild_days_from,
        values_changed_from_date as neighbours_from
    from slot_changes_dated
    union all
    select
        meter_id,
        {{ the_end() }} as changed_from,
        {{ the_end() }} as rebuild_slots_from,
        cast('9999-12-31' as date) as rebuild_slots_from_date,
        rebuild_days_from,
        rebuild_days_from as neighbours_from
    from registry_changes

),

-- every neighbourhood a meter has in any registry version (where it is and where it was)
meter_neighbourhoods as (

    select distinct
        meter_id,
        neighbourhood
    from registry_versions
    where neighbourhood is not null

),

-- rule 4: a meter-day whose measured values or registry changed changes the
-- neighbourhood-days of its neighbourhoods (the profile without each other meter, the
-- neighbourhood's peak), old and new alike. Flags and interpolated slots (a stuck run
-- growing back to its start) change neither
neighbourhood_changes as (

    select
        meter_neighbourhoods.neighbourhood,
        min(meter_changes.neighbours_from) as rebuild_days_from
    from meter_changes
    inner join meter_neighbourhoods
        on meter_changes.meter_id = meter_neighbourhoods.meter_id
    group by meter_neighbourhoods.neighbourhood

),

-- rule 5: every meter that is or was in a changed neighbourhood is checked again from
-- that date (meters entering or leaving included); its slots stay as they are
neighbour_changes as (

    select
        meter_neighbourhoods.meter_id,
        {{ the_end() }} as changed_from,
        {{ the_end() }} as rebuild_slots_from,
        cast('9999-12-31' as date) as rebuild_slots_from_date,
        neighbourhood_changes.rebuild_days_from
    from neighbourhood_changes
    inner join meter_neighbourhoods
        on neighbourhood_changes.neighbourhood = meter_neighbourhoods.neighbourhood

),

meter_scope as (

    select
        meter_id,
        min(changed_from) as changed_from,
        min(rebuild_slots_from) as rebuild_slots_from,
        min(rebuild_slots_from_date) as rebuild_slots_from_date,
        min(rebuild_days_from) as rebuild_days_from
    from (
        select
            meter_id,
            changed_from,
            rebuild_slots_from,
            rebuild_slots_from_date,
            rebuild_days_from
        from meter_changes
        union all
        select * from neighbour_changes
    ) as changes
    group by meter_id

),

-- rule 6: a file's audit changes when it lands, and when a later row joins the slot of
-- one of its rows (its rows' statuses can change). Older raw rows of the changed meters
-- from the earliest new reading on (a constant: the scan skips what is older)
old_readings_of_changed_meters as (

    select
        raw_readings._batch_id,
        raw_readings._loaded_at,
        raw_readings.meter_id,
        {{ timestamptz_of_epoch_us(slot_epoch_us('raw_readings.reading_at')) }} as slot_start
    from raw_readings
    inner join changed_meters
        on raw_readings.meter_id = changed_meters.meter_id
    where
        raw_readings.reading_at >= {{ earliest_new_reading }}
        - interval '{{ slot_length_us() }} microseconds'
        and raw_readings._loaded_at <= {{ new_after }}

),

batch_scope as (

    select
        _batch_id as batch_id,
        min(_loaded_at) as batch_loaded_at
    from (
        select
            raw_readings._batch_id,
            raw_readings._loaded_at
        from raw_readings
        where raw_readings._loaded_at > {{ new_after }}
        union all
        select
            _batch_id,
            _loaded_at
        from rejected_rows
        where _loaded_at > {{ new_after }}
        union all
        select
            batch_id as _batch_id,
            cast(null as {{ type_timestamptz() }}) as _loaded_at
        from load_ledger
        where finished_at > {{ versions_after }}
        union all
        select
            old_readings_of_changed_meters._batch_id,
            old_readings_of_changed_meters._loaded_at
        from old_readings_of_changed_meters
        inner join new_readings
            on
                old_readings_of_changed_meters.meter_id = new_readings.meter_id
                and old_readings_of_changed_meters.slot_start = new_readings.slot_start
    ) as batches
    group by _batch_id

),

final as (

    select
        'meter' as scope_grain,
        meter_id,
        cast(null as {{ dbt.type_string() }}) as neighbourhood,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        changed_from,
        rebuild_slots_from,
        rebuild_slots_from_date,
        rebuild_days_from,
        cast(null as {{ type_timestamptz() }}) as batch_loaded_at
    from meter_scope
    union all
    select
        'neighbourhood' as scope_grain,
        cast(null as {{ dbt.type_string() }}) as meter_id,
        neighbourhood,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        cast(null as {{ type_timestamptz() }}) as changed_from,
        cast(null as {{ type_timestamptz() }}) as rebuild_slots_from,
        cast(null as date) as rebuild_slots_from_date,
        rebuild_days_from,
        cast(null as {{ type_timestamptz() }}) as batch_loaded_at
    from neighbourhood_changes
    union all
    select
        'batch' as scope_grain,
        cast(null as {{ dbt.type_string() }}) as meter_id,
        cast(null as {{ dbt.type_string() }}) as neighbourhood,
        batch_id,
        cast(null as {{ type_timestamptz() }}) as changed_from,
        cast(null as {{ type_timestamptz() }}) as rebuild_slots_from,
        cast(null as date) as rebuild_slots_from_date,
        cast(null as date) as rebuild_days_from,
        batch_loaded_at
    from batch_scope

)

select * from final
{%- if not scope_needed %}
    where 1 = 0
{%- endif %}
