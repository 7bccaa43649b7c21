{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_slot',
) }}
{%- set slot_us = slot_length_us() -%}
{#- enough slot numbers for a 25-hour day -#}
{%- set last_slot_number = (25 * 60) // (var('reading_interval_minutes') | int) -%}

with

-- in scope: each meter from its first slot that can change, which is measured (or the
-- meter's first slot), so that its gaps start afresh there (doc `build_scope_design`)
meter_days as (

    select * from {{ scoped(ref('int_meter_days_spanned'), 'meter_slot_day') }}

),

readings as (

    select * from {{ scoped(ref('meter_readings'), 'meter_slot') }}

),

valid_readings as (

    select
        meter_id,
        slot_start,
        unit,
        kw,
        is_out_of_bounds
    from readings
    where status = 'valid'

),

-- a span of the meter's days starts where the day before is not a meter-day (SPEC §5
-- max_silent_days): gaps are filled within a span only
meter_days_spanned as (

    select
        meter_id,
        local_date,
        sum(is_span_start) over (
            partition by meter_id
            order by local_date
            rows between unbounded preceding and current row
        ) as span_number
    from (
        select
            meter_id,
            local_date,
            case
                when
                    lag(local_date) over (partition by meter_id order by local_date)
                    = local_date - 1
                    then 0
                else 1
            end as is_span_start
        from meter_days
    ) as meter_days_marked

),

local_dates as (

    select distinct local_date
    from meter_days

),

-- the local day [midnight, next midnight) in epoch microseconds: 23, 24 or 25 hours
day_bounds as (

    select
        local_date,
        {{ epoch_us(utc_instant_of_local_midnight('local_date')) }} as day_start_epoch_us,
        {{ epoch_us(utc_instant_of_local_midnight('local_date + 1')) }} as day_end_epoch_us
    from local_dates

),

-- the first grid slot at or after local midnight (midnight need not be on the grid)
first_slots as (

    select
        local_date,
        day_end_epoch_us,
        day_start_epoch_us
        + mod(mod(-day_start_epoch_us, {{ slot_us }}) + {{ slot_us }}, {{ slot_us }})
            as first_slot_epoch_us
    from day_bounds

),

slot_numbers as (

    select cast(slot_number as bigint) as slot_number
    from generate_series(0, {{ last_slot_number }}) as numbers (slot_number)

),

day_slots as (

    select
        first_slots.local_date,
        first_slots.first_slot_epoch_us + slot_numbers.slot_number * {{ slot_us }}
            as slot_epoch_us
    from first_slots
    cross join slot_numbers
    where
        first_slots.first_slot_epoch_us + slot_numbers.slot_number * {{ slot_us }}
        < first_slots.day_end_epoch_us

),

grid_slots as (

    select
        meter_days_spanned.meter_id,
        meter_days_spanned.span_number,
        meter_days_spanned.local_date,
        day_slots.slot_epoch_us,
        {{ timestamptz_of_epoch_us('day_slots.slot_epoch_us') }} as slot_start
    from meter_days_spanned
    inner join day_slots
        on meter_days_spanned.local_date = day_slots.local_date

),

-- the slots to write: in scope, from the meter's first slot that can change
slots_in_scope as (

    select * from {{ scoped('grid_slots', 'meter_slot') }}

),

measured as (

    select
        slots_in_scope.meter_id,
        slots_in_scope.span_number,
        valid_readings.unit,
        slots_in_scope.slot_epoch_us,
        valid_readings.kw,
        slots_in_scope.local_date,
        slots_in_scope.slot_start,
        valid_readings.kw is not null as is_measured,
        coalesce(valid_readings.is_out_of_bounds, false) as is_out_of_bounds
    from slots_in_scope
    left join valid_readings
        on
            slots_in_scope.meter_id = valid_readings.meter_id
            and slots_in_scope.slot_start = valid_readings.slot_start

),

-- gap filling (SPEC §5): the measured slots at or before and at or after every slot of
-- its span: a running max (min) of the measured slots' epochs, one sort per direction;
-- their kW joined back by key. A measured slot is its own anchor both ways
anchored_epochs as (

    select
        *,
        max(case when is_measured then slot_epoch_us end) over (
            partition by meter_id, span_number
            order by slot_epoch_us asc
            rows between unbounded preceding and current row
        ) as anchor_before_epoch_us,
        min(case when is_measured then slot_epoch_us end) over (
            partition by meter_id, span_number
            order by slot_epoch_us desc
            rows between unbounded preceding and current row
        ) as anchor_after_epoch_us
    from measured

),

measured_slots as (

    select
        meter_id,
        slot_epoch_us,
        kw
    from measured
    where is_measured

),

anchored as (

    select
        anchored_epochs.*,
        before_anchor.kw as anchor_before_kw,
        after_anchor.kw as anchor_after_kw
    from anchored_epochs
    left join measured_slots as before_anchor
        on
            anchored_epochs.meter_id = before_anchor.meter_id
            and anchored_epochs.anchor_before_epoch_us = before_anchor.slot_epoch_us
    left join measured_slots as after_anchor
        on
            anchored_epochs.meter_id = after_anchor.meter_id
            and anchored_epochs.anchor_after_epoch_us = after_anchor.slot_epoch_us

),

filled as (

    select
        *,
        case
            when is_measured then 'measured'
            when
                anchor_before_epoch_us is not null
                and anchor_after_epoch_us is not null
                and {{ is_fillable_gap('anchor_before_epoch_us', 'anchor_after_epoch_us') }}
                then 'interpolated'
            else 'missing'
        end as source  -- noqa: RF04
    from anchored

),

final as (

    select
        meter_id,
        unit,
        source,
        slot_epoch_us,
        case
            when source = 'measured' then kw
            when source = 'interpolated'
                then {{ interpolated_kw(
                    'slot_epoch_us',
                    'anchor_before_epoch_us', 'anchor_before_kw',
                    'anchor_after_epoch_us', 'anchor_after_kw'
                ) }}
        end as kw,
        case when source = 'interpolated' then anchor_before_kw end as anchor_before_kw,
        case when source = 'interpolated' then anchor_after_kw end as anchor_after_kw,
        is_out_of_bounds,
        local_date,
        slot_start,
        {{ built_at() }} as _built_at
    from filled

)

select * from final
