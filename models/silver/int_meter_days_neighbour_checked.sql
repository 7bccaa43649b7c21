-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['meter_id', 'local_date'],
    on_schema_change='append_new_columns',
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}

with

all_meter_days as (

    select * from {{ ref('int_meter_days_spanned') }}

),

all_hourly_profiles as (

    select * from {{ ref('int_meter_hours_profiled') }}

),

registry_versions as (

    select * from {{ ref('int_meter_registry_versions') }}

),

{%- if incremental %}

-- meters whose registry history gained a version since the last build: their days from
-- the date the new version takes effect (a first version: all their days)
registry_changes as (

    select
        meter_id,
        min(
            case
                when version_number = 1 then cast('0001-01-01' as date)
                else effective_from_date
            end
        ) as changed_from_date
    from registry_versions
    where version_built_at > {{ watermark() }}
    group by meter_id

),

-- meter-days whose own inputs changed: new meter-days, new hourly profiles, registry
changed_meter_days as (

    select
        meter_id,
        local_date
    from all_meter_days
    where _built_at > {{ watermark() }}
    union
    select
        meter_id,
        local_date
    from all_hourly_profiles
    where _built_at > {{ watermark() }}
    union
    select
        all_meter_days.meter_id,
        all_meter_days.local_date
    from all_meter_days
    inner join registry_changes
        on
            all_meter_days.meter_id = registry_changes.meter_id
            and all_meter_days.local_date >= registry_changes.changed_from_date

),

changed_dates as (

    select distinct local_date
    from changed_meter_days

),

-- every meter-day on a changed date, where the registry places it
located_on_changed_dates as (

    select
        all_meter_days.meter_id,
        all_meter_days.local_date,
        registry_versions.neighbourhood
    from all_meter_days
    inner join changed_dates
        on all_meter_days.local_date = changed_dates.local_date
    left join registry_versions
        on
            all_meter_days.meter_id = registry_versions.meter_id
            and all_meter_days.local_date >= registry_versions.valid_from_date
            and all_meter_days.local_date < registry_versions.valid_to_date

),

-- a changed meter-day changes its neighbourhood's profile that day, both where it is
-- now and where it was at the last build (a move leaves the old neighbourhood)
affected_neighbourhood_days as (

    select
        located_on_changed_dates.neighbourhood,
        located_on_changed_dates.local_date
    from located_on_changed_dates
    inner join changed_meter_days
        on
            located_on_changed_dates.meter_id = changed_meter_days.meter_id
            and located_on_changed_dates.local_date = changed_meter_days.local_date
    where located_on_changed_dates.neighbourhood is not null
    union
    select
        stored.neighbourhood,
        stored.local_date
    from {{ this }} as stored
    inner join changed_meter_days
        on
            stored.meter_id = changed_meter_days.meter_id
            and stored.local_date = changed_meter_days.local_date
    where stored.neighbourhood is not null

),

-- every meter-day of an affected neighbourhood-day is checked again whole
scope as (

    select
        meter_id,
        local_date
    from changed_meter_days
    union
    select
        located_on_changed_dates.meter_id,
        located_on_changed_dates.local_date
    from located_on_changed_dates
    inner join affected_neighbourhood_days
        on
            located_on_changed_dates.neighbourhood = affected_neighbourhood_days.neighbourhood
            and located_on_changed_dates.local_date = affected_neighbourhood_days.local_date

),

meter_days as (

    select
        all_meter_days.meter_id,
        all_meter_days.local_date
    from all_meter_days
    inner join scope
        on
            all_meter_days.meter_id = scope.meter_id
            and all_meter_days.local_date = scope.local_date

),

hourly_profiles as (

    select
        all_hourly_profiles.meter_id,
        all_hourly_profiles.local_date,
        all_hourly_profiles.local_hour,
        all_hourly_profiles.mean_micro_kw
    from all_hourly_profiles
    inner join scope
        on
            all_hourly_profiles.meter_id = scope.meter_id
            and all_hourly_profiles.local_date = scope.local_date
    where all_hourly_profiles.measured_slots > 0

),
{%- else %}

meter_days as (

    select
        meter_id,
        local_date
    from all_meter_days

),

-- hours without a measured slot carry no profile
hourly_profiles as (

    select
        meter_id,
        local_date,
        local_hour,
        mean_micro_kw
    from all_hourly_profiles
    where measured_slots > 0

),
{%- endif %}

-- the neighbourhood of each meter-day as the registry stood on that date
located_days as (

    select
        meter_days.meter_id,
        meter_days.local_date,
        registry_versions.neighbourhood
    from meter_days
    left join registry_versions
        on
            meter_days.meter_id = registry_versions.meter_id
            and meter_days.local_date >= registry_versions.valid_from_date
            and meter_days.local_date < registry_versions.valid_to_date

),

located_hours as (

    select
        hourly_profiles.meter_id,
        located_days.neighbourhood,
        hourly_profiles.local_hour,
        hourly_profiles.mean_micro_kw,
        hourly_profiles.local_date
    from hourly_profiles
    inner join located_days
        on
            hourly_profiles.meter_id = located_days.meter_id
            and hourly_profiles.local_date = located_days.local_date
    where located_days.neighbourhood is not null

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

neighbourhood_days as (

    select
        neighbourhood,
        local_date,
        count(distinct meter_id) as meters_measured
    from located_hours
    group by neighbourhood, local_date

),

measured_days as (

    select distinct
        meter_id,
        local_date
    from hourly_profiles

),

-- the neighbourhood profile leaves the meter out: the other meters' hourly means are
-- the neighbourhood's sum and count minus the meter's own. Integer micro-kW sums are
-- exact, so each value is one correctly rounded division, the same on both engines
paired_hours as (

    select
        located_hours.meter_id,
        located_hours.local_date,
        cast(located_hours.mean_micro_kw as double precision) as own_micro_kw,
        cast(
            neighbourhood_hours.sum_mean_micro_kw - located_hours.mean_micro_kw
            as double precision
        )
        / cast(neighbourhood_hours.meters - 1 as double precision) as neighbour_micro_kw
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
                ) }} as double precision)
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
