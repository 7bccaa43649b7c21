-- A meter's registry versions cover disjoint date ranges [valid_from_date, valid_to_date):
-- returns every pair of versions of one meter that share a date. Every join of a meter's
-- slots or days to its version as of that date (gold's `int_meter_slots_peak_flagged`,
-- `billing_daily`) then gives at most one row per slot or day.

with

versions as (

    select * from {{ ref('int_meter_registry_versions') }}

),

final as (

    select
        earlier.meter_id,
        earlier.version_number as earlier_version,
        later.version_number as later_version
    from versions as earlier
    inner join versions as later
        on
            earlier.meter_id = later.meter_id
            and earlier.version_number < later.version_number
            and earlier.valid_from_date < later.valid_to_date
            and earlier.valid_to_date > later.valid_from_date

)

select * from final
