{#- The build log `audit.build_log` (doc `build_scope_design`; created with the raw
    tables by the loader): one row per complete build, written by the project's
    on-run-end hook. `int_build_scope` reads the latest row to know what is new since the
    last complete build. -#}

{#- on-run-end: a build is complete when every incremental model of the project ran in
    it and succeeded. Only then is a row written: the instant the build started and the
    latest `_loaded_at` of the raw readings it parsed. A failed, partial or `dbt retry`
    invocation writes nothing, so the next build works from the last complete one again. -#}
{% macro record_complete_build(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set succeeded = [] -%}
    {%- for result in results -%}
        {%- if result.status == 'success' -%}
            {%- do succeeded.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.config.materialized == 'incremental'
            and node.package_name == project_name and node.unique_id not in succeeded -%}
            {{ return('') }}
        {%- endif -%}
    {%- endfor -%}
    {#- a project without bronze readings has no build scope to record -#}
    {%- set raw_readings = greenstream.model_relation('stg_raw__meter_readings') -%}
    {%- if raw_readings is none -%}
        {{ return('') }}
    {%- endif -%}
    insert into audit.build_log (built_at, loaded_through)
    select
        {{ greenstream.built_at() }},
        coalesce(max(_loaded_at), {{ greenstream.the_beginning() }})
    from {{ raw_readings }}
{%- endmacro %}

{#- The instant this dbt invocation started (UTC), as a timestamptz literal: every row a
    model writes carries it in `_built_at`. -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as {{ greenstream.type_timestamptz() }})
{%- endmacro %}

{#- Sentinel instants of the scope: before every slot, and after every slot. -#}
{% macro the_beginning() -%}
    cast('0001-01-01 00:00:00+00' as {{ greenstream.type_timestamptz() }})
{%- endmacro %}

{% macro the_end() -%}
    cast('9999-12-31 00:00:00+00' as {{ greenstream.type_timestamptz() }})
{%- endmacro %}

{#- The latest `_loaded_at` parsed by the last complete build (the beginning when none):
    raw rows landed after it are new. A literal read when the model runs, so that both
    engines can skip the older part of a table; unit tests override it. -#}
{% macro loaded_through() -%}
    {{ return(greenstream.build_log_literal('loaded_through')) }}
{%- endmacro %}

{#- The instant the last complete build started (the beginning when none): registry
    versions recorded after it, and ledger entries finished after it, are new. -#}
{% macro last_build_started_at() -%}
    {{ return(greenstream.build_log_literal('built_at')) }}
{%- endmacro %}

{% macro build_log_literal(column) -%}
    {%- set build_log = adapter.get_relation(
        database=target.database, schema='audit', identifier='build_log'
    ) if execute else none -%}
    {%- if build_log is none -%}
        {{ return(greenstream.the_beginning()) }}
    {%- endif -%}
    {%- set query -%}
        select cast(max({{ column }}) as {{ dbt.type_string() }}) from {{ build_log }}
    {%- endset -%}
    {%- set latest = run_query(query).columns[0].values()[0] -%}
    {{ return(greenstream.timestamptz_literal(latest) if latest else greenstream.the_beginning()) }}
{%- endmacro %}

{#- A timestamptz literal of a timestamp's text as an engine prints it. -#}
{% macro timestamptz_literal(text) -%}
    {{ return("cast('" ~ text ~ "' as " ~ greenstream.type_timestamptz() ~ ")") }}
{%- endmacro %}

{#- The slots the last build left in silver.meter_slots: `int_build_scope` reads the run
    starts stored there (not a `ref`: it is the previous build's output, read before this
    build rewrites it). Before the first build, no rows. Unit tests override it. -#}
{% macro stored_meter_slots() -%}
    {%- set meter_slots = greenstream.model_relation('meter_slots') if execute else none -%}
    {%- set stored = load_relation(meter_slots) if meter_slots is not none else none -%}
    {%- if stored is not none -%}
        {{ return(stored) }}
    {%- endif -%}
    {{ return(
        "(select cast(null as " ~ dbt.type_string() ~ ") as meter_id,"
        ~ " cast(null as " ~ dbt.type_string() ~ ") as source,"
        ~ " cast(null as " ~ greenstream.type_timestamptz() ~ ") as slot_start,"
        ~ " cast(null as " ~ greenstream.type_timestamptz() ~ ") as value_run_started_at,"
        ~ " cast(null as " ~ greenstream.type_timestamptz() ~ ") as near_zero_run_started_at"
        ~ " where 1 = 0) as no_stored_slots"
    ) }}
{%- endmacro %}

{#- The earliest timestamp among the raw rows landed since the last complete build, as a
    literal (the end of time when none): older rows cannot share a slot with a new row. -#}
{% macro earliest_new_reading_at() -%}
    {%- if not execute or load_relation(ref('stg_raw__meter_readings')) is none -%}
        {{ return(greenstream.the_end()) }}
    {%- endif -%}
    {%- set query -%}
        select cast(min(reading_at) as {{ dbt.type_string() }})
        from {{ ref('stg_raw__meter_readings') }}
        where _loaded_at > {{ greenstream.loaded_through() }}
    {%- endset -%}
    {%- set earliest = run_query(query).columns[0].values()[0] -%}
    {{ return(greenstream.timestamptz_literal(earliest) if earliest else greenstream.the_end()) }}
{%- endmacro %}

{#- The relation a model of this project builds, from the graph (for code that may not
    `ref` it: a hook, or a model reading another's previous output); none when the
    project has no such model. -#}
{% macro model_relation(name) -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ name) -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}
