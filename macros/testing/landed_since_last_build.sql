{#- Test scope (a `where` config) for the input-quality and parsing tests on the
    raw readings: the rows landed since the last successful build started, as
    recorded in audit.pipeline_runs (created with raw). Each raw row is tested
    in the first build after it lands, instead of every build re-reading every
    raw row ever landed (millions per day); a failed build moves nothing on, so
    its rows are tested again. With no successful build yet, every row is tested. -#}
{% macro landed_since_last_build() -%}
    _loaded_at > (
        select coalesce(max(started_at), cast('0001-01-01 00:00:00+00' as {{ greenstream.type_timestamptz() }}))
        from audit.pipeline_runs
        where outcome = 'success' and command in ('build', 'run', 'watch')
    )
{%- endmacro %}
