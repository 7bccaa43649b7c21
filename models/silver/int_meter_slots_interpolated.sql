{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_slot',
) }}

with

-- in scope: each meter from its first slot that can change, which is measured (or the
-- meter's first slot), so that its gaps start afresh there (doc `build_scope_design`)
slots as (

    select * from {{ scoped(ref('int_meter_slots_measured'), 'meter_slot') }}

),

meter_days as (

    select * from {{ scoped(ref('int_meter_days_spanned'), 'meter_slot_day') }}

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

measured as (

    select
        slots.*,
        meter_days_spanned.span_number
    from slots
    inner join meter_days_spanned
        on
            slots.meter_id = meter_days_spanned.meter_id
            and slots.local_date = meter_days_spanned.local_date

),

-- gap filling (SPEC §5): the measured slots at or before and at or after every slot of
-- its span, and their kW: a running max (min) of the measured slots' epochs and the last
-- (next) measured kW so far, in one sort on DuckDB and one per direction elsewhere
-- (`rows_at_or_after`). A measured slot is its own anchor both ways
anchored as (

    select
        *,
        max(case when is_measured then slot_epoch_us end) over (
            partition by meter_id, span_number
            order by slot_epoch_us asc
            rows between unbounded preceding and current row
        ) as anchor_before_epoch_us,
        {{ last_non_null(
            'case when is_measured then kw end', 'meter_id, span_number', 'slot_epoch_us'
        ) }} as anchor_before_kw,
        min(case when is_measured then slot_epoch_us end)
            {{ rows_at_or_after('meter_id, span_number', 'slot_epoch_us') }}
            as anchor_after_epoch_us,
        {{ next_non_null(
            'case when is_measured then kw end', 'meter_id, span_number', 'slot_epoch_us'
        ) }} as anchor_after_kw
    from measured

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
