{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_day',
) }}

with

-- in scope: the meter-days to check, where the registry places them (doc
-- `build_scope_design`)
located_days as (

    select * from {{ scoped(ref('int_meter_days_registered'), 'meter_day') }}

),

-- every meter-day from the scope's earliest date (a constant: the scans skip older days)
registered_days as (

    select * from {{ ref('int_meter_days_registered') }}
    where local_date >= {{ scope_start('rebuild_days_from') }}

),

all_hourly_profiles as (

    select * from {{ ref('int_meter_hours_profiled') }}
    where local_date >= {{ scope_start('rebuild_days_from') }}

),

-- a meter-day's check needs every meter of its neighbourhood that day
neighbourhood_days_checked as (

    select distinct
        neighbourhood,
        local_date
    from located_days
    where neighbourhood is not null

),

neighbourhood_members as (

    select
        registered_days.meter_id,
        registered_days.neighbourhood,
        registered_days.local_date
    from registered_days
    inner join neighbourhood_days_checked
        on
            registered_days.neighbourhood = neighbourhood_days_checked.neighbourhood
            and registered_days.local_date = neighbourhood_days_checked.local_date

),

-- hours without a measured slot carry no profile
located_hours as (

    select
        all_hourly_profiles.meter_id,
        neighbourhood_members.neighbourhood,
        all_hourly_profiles.local_hour,
        all_hourly_profiles.mean_micro_kw,
        all_hourly_profiles.local_date
    from all_hourly_profiles
    inner join neighbourhood_members
        on
            all_hourly_profiles.meter_id = neighbourhood_members.meter_id
            and all_hourly_profiles.local_date = neighbourhood_members.local_date
    where all_hourly_profiles.measured_slots > 0

),

neighbourhood_hours as (

    select
        neighbourhood,
        local_date,
        local_hour,
        sum(mean_micro_kw) as sum_mean_micro_kw,
        count(*) as meters
    from located_hours
    group by neighbourhood, local_date, local_hour

),

-- each neighbourhood-day's measured meters, counted from its distinct (meter) rows: a
-- `count(distinct)` made PostgreSQL sort every meter-hour by neighbourhood-day
neighbourhood_meters as (

    select distinct
        neighbourhood,
        local_date,
        meter_id
    from located_hours

),

neighbourhood_days as (

    select
        neighbourhood,
        local_date,
        count(*) as meters_measured
    from neighbourhood_meters
    group by neighbourhood, local_date

),

measured_days as (

    select distinct
        meter_id,
        local_date
    from neighbourhood_meters

),

-- the neighbourhood profile leaves the meter out: the other meters' hourly means are
-- the neighbourhood's sum and count minus the meter's own. Integer micro-kW sums are
-- exact, so each value is one correctly rounded division, the same on both engines
paired_hours as (

    select
        located_hours.meter_id,
        located_hours.local_date,
        cast(located_hours.mean_micro_kw as {{ type_double() }}) as own_micro_kw,
        cast(
            neighbourhood_hours.sum_mean_micro_kw - located_hours.mean_micro_kw
            as {{ type_double() }}
        )
        / cast(neighbourhood_hours.meters - 1 as {{ type_double() }}) as neighbour_micro_kw
    from located_hours
    inner join neighbourhood_hours
        on
            located_hours.neighbourhood = neighbourhood_hours.neighbourhood
            and located_hours.local_date = neighbourhood_hours.local_date
            and located_hours.local_hour = neighbourhood_hours.local_hour
    where neighbourhood_hours.meters > 1

),

-- two-pass Pearson correlation: means first, then sums of centred products
centred_hours as (

    select
        meter_id,
        local_date,
        own_micro_kw,
        neighbour_micro_kw,
        own_micro_kw - avg(own_micro_kw) over (partition by meter_id, local_date) as own_deviation,
        neighbour_micro_kw
        - avg(neighbour_micro_kw) over (partition by meter_id, local_date) as neighbour_deviation
    from paired_hours

),

pair_statistics as (

    select
        meter_id,
        local_date,
        count(*) as paired_hours,
        min(own_micro_kw) < max(own_micro_kw) as is_own_varying,
        min(neighbour_micro_kw) < max(neighbour_micro_kw) as is_neighbour_varying,
        sum(own_deviation * neighbour_deviation) as sum_cross_deviation,
        sum(own_deviation * own_deviation) as sum_own_squares,
        sum(neighbour_deviation * neighbour_deviation) as sum_neighbour_squares
    from centred_hours
    group by meter_id, local_date

),

checked as (

    select
        located_days.meter_id,
        located_days.local_date,
        located_days.neighbourhood,
        cast(
            case
                when located_days.neighbourhood is null then 0
                else
                    coalesce(neighbourhood_days.meters_measured, 0)
                    - case when measured_days.meter_id is not null then 1 else 0 end
            end as integer
        ) as other_meters,
        cast(coalesce(pair_statistics.paired_hours, 0) as integer) as paired_hours,
        pair_statistics.is_own_varying,
        pair_statistics.is_neighbour_varying,
        pair_statistics.sum_cross_deviation,
        pair_statistics.sum_own_squares,
        pair_statistics.sum_neighbour_squares
    from located_days
    left join neighbourhood_days
        on
            located_days.neighbourhood = neighbourhood_days.neighbourhood
            and located_days.local_date = neighbourhood_days.local_date
    left join measured_days
        on
            located_days.meter_id = measured_days.meter_id
            and located_days.local_date = measured_days.local_date
    left join pair_statistics
        on
            located_days.meter_id = pair_statistics.meter_id
            and located_days.local_date = pair_statistics.local_date

),

evaluated as (

    select
        *,
        coalesce(
            neighbourhood is not null
            and other_meters >= {{ var('neighbour_min_meters') }}
            and paired_hours >= {{ var('neighbour_min_hours') }}
            and is_own_varying
            and is_neighbour_varying,
            false
        ) as is_evaluated
    from checked

),

correlated as (

    select
        *,
        case
            when is_evaluated
                then cast({{ round_half_away(
                    'sum_cross_deviation / nullif(sqrt(sum_own_squares * sum_neighbour_squares), 0)', 6
                ) }} as {{ type_double() }})
        end as neighbour_correlation
    from evaluated

),

final as (

    select
        meter_id,
        neighbourhood,
        other_meters,
        paired_hours,
        neighbour_correlation,
        coalesce(
            neighbour_correlation < {{ var('neighbour_min_correlation') }}, false
        ) as is_neighbour_mismatch,
        local_date,
        {{ built_at() }} as _built_at
    from correlated

)

select * from final
